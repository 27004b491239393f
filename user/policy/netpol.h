/* SPDX-License-Identifier: Apache-2.0 */
/* NetworkPolicy (networking.k8s.io/v1), parsed and validated. */
#ifndef SLUICE_POLICY_NETPOL_H
#define SLUICE_POLICY_NETPOL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include <sluice/abi.h>

#include "policy/selector.h"

/* A named container port (IANA_SVC_NAME): 15 characters and a NUL. */
#define NP_PORT_NAME_LEN 16

struct np_port {
	uint8_t proto;		/* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP */
	bool any_port;		/* no port: every port of the protocol */
	char name[NP_PORT_NAME_LEN];	/* a named port, resolved per pod; else "" */
	uint16_t port;		/* numeric: port..end_port */
	uint16_t end_port;
};

struct np_cidr {
	struct in_addr addr;	/* network address (host bits cleared) */
	uint8_t prefix;
};

enum np_peer_kind {
	NP_PEER_PODS,		/* podSelector and/or namespaceSelector */
	NP_PEER_IPBLOCK,	/* an IPv4 ipBlock */
	NP_PEER_NONE,		/* an IPv6 ipBlock: matches no IPv4 traffic */
};

struct np_peer {
	enum np_peer_kind kind;
	bool has_pod_sel, has_ns_sel;
	struct selector pod_sel;	/* with has_pod_sel */
	struct selector ns_sel;		/* with has_ns_sel */
	struct np_cidr cidr;		/* NP_PEER_IPBLOCK */
	struct np_cidr *except;
	size_t n_except;
};

struct np_rule {
	bool all_peers;		/* from/to absent or empty */
	struct np_peer *peers;
	size_t n_peers;
	bool all_ports;		/* ports absent or empty */
	struct np_port *ports;
	size_t n_ports;
};

struct netpol {
	char ns[SLUICE_K8S_NAMESPACE_LEN];
	char name[SLUICE_K8S_NAME_LEN];
	struct selector pod_sel;
	bool ingress;		/* policyTypes holds Ingress (explicit or implied) */
	bool egress;
	struct np_rule *in_rules;
	size_t n_in;
	struct np_rule *eg_rules;
	size_t n_eg;
};

/* 0, or -EINVAL with why naming the field; the policy is then to be ignored whole. */
int netpol_parse(const cJSON *obj, struct netpol *np, char *why, size_t len);
void netpol_free(struct netpol *np);
/* Parses "10.0.0.0/8" with host bits required clear; false otherwise (IPv6 sets *v6). */
bool np_cidr_parse(const char *s, struct np_cidr *c, bool *v6);
bool np_cidr_contains(const struct np_cidr *outer, const struct np_cidr *inner);

#endif
