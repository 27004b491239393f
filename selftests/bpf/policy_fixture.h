/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the NetworkPolicy tests share: tc_pod and tc_node on one set of
 * maps (lb_node_setup()), identities for the fixture's pods and a few
 * peers, and checks of what a verdict leaves behind: drop counters,
 * events and conntrack entries.
 */
#ifndef SLUICE_SELFTEST_POLICY_FIXTURE_H
#define SLUICE_SELFTEST_POLICY_FIXTURE_H

#include "lb_fixture.h"
#include "policy_maps.h"

/* Identities of the fixture's pods; any numbers above the reserved ones. */
#define PF_SRC_ID 1001
#define PF_DST_ID 1002
/* An identity no address here has. */
#define PF_OTHER_ID 1003
/* The identity of a CIDR policies name. */
#define PF_CIDR_ID 1020

/* The node's own address on the pod network (10.244.0.1): identity host. */
#define PF_NODE_ADDR 0x0af40001
/* An address outside the cluster with no identity of its own (203.0.113.7, TEST-NET-3). */
#define PF_WORLD_ADDR 0xcb007107
/* The CIDR PF_CIDR_ID stands for (198.51.100.0/24, TEST-NET-2) and an address in it. */
#define PF_CIDR_NET 0xc6336400
#define PF_CIDR_BITS 24
#define PF_CIDR_ADDR 0xc633640a
/* Bits of an IPv4 address: an ipcache entry for one address. */
#define PF_HOST_BITS 32

/* The policy id the tests' rules carry unless they say otherwise. */
#define PF_POLICY_ID 7

/* Shorter names for rule tables. */
#define PF_PORT(id, proto, port) { (id), (proto), (port), (port), PF_POLICY_ID }
#define PF_RANGE(id, proto, first, last) { (id), (proto), (first), (last), PF_POLICY_ID }
#define PF_ALL_PORTS(id, proto) PF_RANGE(id, proto, PM_PORT_FIRST, PM_PORT_LAST)
#define PF_ALL_PROTOS(id) { (id), PM_PROTO_ANY, 0, 0, PF_POLICY_ID }
/* The entry that keeps a direction open while the endpoint keeps its table. */
#define PF_CATCH_ALL { SLUICE_IDENTITY_ANY, PM_PROTO_CATCH_ALL, 0, 0, SLUICE_POLICY_ID_OPEN }

/* Most rules in one table of a case. */
#define PF_RULES_MAX 3

/* One direction's table of a pod in a case: absent (open), or these rules (none: deny all). */
struct pf_table {
	bool isolated;
	size_t n;
	struct pm_rule rules[PF_RULES_MAX];
};

#define PF_OPEN { false, 0, { { 0 } } }
#define PF_DENY_ALL { true, 0, { { 0 } } }
#define PF_RULES(...) { true, ARRAY_SIZE(((struct pm_rule[]){ __VA_ARGS__ })), { __VA_ARGS__ } }

/* Gives endpoint addr the table t in dir, unless t leaves it open. */
void pf_set_table(enum sluice_direction dir, __u32 addr, const struct pf_table *t);

/*
 * Criterion .init and .fini: lb_node_setup(), then the pods' identities,
 * host for the node's address and PF_CIDR_ID for PF_CIDR_NET.
 */
void pf_setup(void);
void pf_teardown(void);

/* When a run happened: between t0 and t1 on the program's clock. */
struct pf_when {
	__u64 t0, t1;
};

/* lb_run() of prog, noting when it ran. */
__u32 pf_run(struct bpf_program *prog, const struct pkt_ipv4 *spec, __u8 in[PKT_MAX],
	     struct fx_result *res, struct pf_when *when, const char *desc);

/* The frame of fx_flow(proto) to daddr:dport (host order). */
struct pkt_ipv4 pf_flow(__u8 proto, __u32 daddr, __u16 dport);

/*
 * The answer to spec: addresses and ports swapped, tcp_flags if TCP, sent
 * by the local pod `sender` (its MACs), or with the MACs swapped if NULL.
 */
struct pkt_ipv4 pf_reverse(const struct pkt_ipv4 *spec, __u8 tcp_flags,
			   const struct sluice_endpoint_info *sender);

/*
 * The event a verdict on the frame spec sends: its 5-tuple (ports 0 but
 * for TCP and UDP), the rest as given. reason is an enum sluice_verdict
 * for a DROP, an enum sluice_allow_reason for an ALLOW.
 */
struct sluice_event pf_event(enum sluice_event_type type, __u8 reason,
			     enum sluice_direction dir, const struct pkt_ipv4 *spec,
			     __u32 src_id, __u32 dst_id, __u32 ifindex, __u32 policy_id);

/*
 * Exactly one event waits, equal to want and stamped within when; an
 * ALLOW of a flow no policy isolates names no direction or device.
 */
void pf_expect_event(const struct sluice_event *want, const struct pf_when *when,
		     const char *desc);

/* No event waits. */
void pf_expect_no_event(const char *desc);

/*
 * The first drop of its kind in the test: TC_ACT_SHOT, verdict
 * want->reason counted, one packet of len bytes counted against endpoint
 * (host order) for that reason, and the event want sent.
 */
void pf_expect_drop(const struct fx_result *res, __u32 len, const struct sluice_event *want,
		    __u32 endpoint, const struct pf_when *when, const char *desc);

/* Drops were counted under n (endpoint, reason) keys, and no more. */
void pf_expect_drop_keys(__u32 n, const char *desc);

/* No drop was counted against any endpoint, and no event sent. */
void pf_expect_no_drop(const char *desc);

/* The flow spec belongs to, as conntrack keys it: ports 0 but for TCP and UDP. */
struct lb_tuple pf_tuple(const struct pkt_ipv4 *spec);

/*
 * The entries a new flow's first packet spec (a lone SYN, for TCP) leaves,
 * seen after translation: FORWARD of its tuple, REPLY of the reverse.
 */
void pf_expect_new_flow(const struct pkt_ipv4 *spec, const struct pf_when *when,
			const char *desc);

#endif
