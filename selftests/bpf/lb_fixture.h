/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the service load-balancing tests share: one ClusterIP service, its
 * backends, the frames its clients and backends send, and checks of what
 * the programs made of them. The client is the fixture's source pod
 * (FX_SRC_ADDR:FX_SPORT, a local pod, so replies to it are delivered).
 * tc_node, for traffic from outside the node, can be loaded beside
 * tc_pod on the same maps, as the agent loads both.
 */
#ifndef SLUICE_SELFTEST_LB_FIXTURE_H
#define SLUICE_SELFTEST_LB_FIXTURE_H

#include "fixture.h"
#include "lb_maps.h"
#include "tc_node.skel.h"

/* The service's ClusterIP, 10.96.0.10, and port, host order. */
#define LB_VIP 0x0a60000a
#define LB_VIP_PORT FX_DPORT
/* The port its backends listen on (the targetPort). */
#define LB_BE_PORT 8080
/* Its frontend id: any, as long as the tables are indexed by it. */
#define LB_SVC_ID 3
/* Two backend pods, 10.244.0.9 and 10.244.0.10, and their backend ids. */
#define LB_BE1_ADDR 0x0af40009
#define LB_BE2_ADDR 0x0af4000a
#define LB_BE1_ID 11
#define LB_BE2_ID 12
/* Their host-side veth ifindexes when they are local pods. */
#define LB_BE1_IFINDEX 43
#define LB_BE2_IFINDEX 44
/* CT entries of a flow policy allowed: FORWARD and REPLY. */
#define LB_FLOW_ENTRIES 2
/* ... and of a service flow, which also has its SERVICE entry. */
#define LB_SVC_FLOW_ENTRIES 3
/* The address a pod reaching itself through the service is translated from. */
#define LB_HAIRPIN_ADDR SLUICE_HAIRPIN_IPV4_HOST

/* Endpoint map values of the backends, for tests that make them local pods. */
extern const struct sluice_endpoint_info lb_be1_ep;
extern const struct sluice_endpoint_info lb_be2_ep;

/* tc_node, loaded by lb_node_setup() on fx_skel's maps. */
extern struct tc_node *lb_node_skel;

/*
 * Criterion .init and .fini for tests of tc_from_net: fx_setup(), then
 * tc_node loaded with the same table size and every map of fx_skel's, so
 * that both programs see one set of services, conntrack and counters.
 */
void lb_node_setup(void);
void lb_node_teardown(void);

/* An address in host order, for messages: printf("%u.%u.%u.%u", LB_IP_ARGS(a)). */
#define LB_IP_FMT "%u.%u.%u.%u"
#define LB_IP_ARGS(a) ((a) >> 24) & 0xff, ((a) >> 16) & 0xff, ((a) >> 8) & 0xff, (a) & 0xff

/*
 * The frontend LB_VIP:LB_VIP_PORT/proto with one backend, LB_BE1_ID at
 * be_addr:LB_BE_PORT, named by every slot of its table.
 */
void lb_add_service(__u8 proto, __u32 be_addr);

/* A frame from the client port sport to the service, with tcp_flags if TCP. */
struct pkt_ipv4 lb_client_frame(__u8 proto, __u16 sport, __u8 tcp_flags);

/*
 * A reply from be_addr:LB_BE_PORT to dst:dport, sent by the backend pod to
 * its gateway: with be's MACs.
 */
struct pkt_ipv4 lb_reply_frame(__u8 proto, __u32 be_addr, __u32 dst, __u16 dport,
			       __u8 tcp_flags, const struct sluice_endpoint_info *be);

/* spec with the destination addr:port (host order), as its sender would build it. */
struct pkt_ipv4 lb_dnat(const struct pkt_ipv4 *spec, __u32 addr, __u16 port);

/* spec with the source addr:port (host order), as its sender would build it. */
struct pkt_ipv4 lb_snat(const struct pkt_ipv4 *spec, __u32 addr, __u16 port);

/* The flow a frame belongs to, as conntrack keys it. */
struct lb_tuple lb_tuple_of(const struct pkt_ipv4 *spec);

/* The tuple of t's replies: source and destination swapped. */
struct lb_tuple lb_tuple_reverse(const struct lb_tuple *t);

/* Builds spec and runs prog on it; the input frame is left in `in`. Its length. */
__u32 lb_run(struct bpf_program *prog, const struct pkt_ipv4 *spec, __u8 in[PKT_MAX],
	     struct fx_result *res, const char *desc);

/* lb_run() of tc_from_pod: a frame sent by a pod. */
__u32 lb_send(const struct pkt_ipv4 *spec, __u8 in[PKT_MAX], struct fx_result *res,
	      const char *desc);

/*
 * The output is the frame spec `want` describes (addresses and ports
 * translated, checksums as a sender computes them): delivered to ep as a
 * routed hop (TC_ACT_REDIRECT, MACs set, TTL one lower), or, with ep NULL,
 * passed to the stack (TC_ACT_OK) with the MACs and TTL it came with.
 */
void lb_expect_translated(const struct fx_result *res, const struct pkt_ipv4 *want,
			  const struct sluice_endpoint_info *ep, const char *desc);

/*
 * Sends the client's frame spec through tc_from_pod and checks that it
 * went to be_addr:LB_BE_PORT, delivered into ep, the backend's local pod.
 */
void lb_expect_to_backend(const struct pkt_ipv4 *spec, __u32 be_addr,
			  const struct sluice_endpoint_info *ep, const char *desc);

/*
 * Builds an ICMP error of type and code with outer's addresses, MACs and
 * TTL, quoting the frame about_spec describes (its IP header and l4_quoted
 * bytes after it), into buf; returns its length.
 */
__u32 lb_icmp_error(const struct pkt_ipv4 *outer, __u8 type, __u8 code,
		    const struct pkt_ipv4 *about_spec, size_t l4_quoted, __u8 buf[PKT_MAX],
		    const char *desc);

/*
 * The output frame's ICMP message (header and quote, checksum included) is
 * want's, byte for byte, and its IP and ICMP checksums hold.
 */
void lb_expect_icmp_message(const struct fx_result *res, const __u8 *want, const char *desc);

/* Conntrack holds want entries, expired or not. */
void lb_expect_ct_count(__u32 want, const char *desc);

/*
 * Conntrack holds an entry for t in direction dir with want's fields
 * (expires_ns aside), expiring timeout_s after a moment in [t0, t1].
 */
void lb_expect_ct(const struct lb_tuple *t, enum sluice_ct_dir dir,
		  const struct sluice_ct4_value *want, __u32 timeout_s, __u64 t0, __u64 t1,
		  const char *desc);

#endif
