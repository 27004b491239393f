/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every tc_pod test shares: a freshly loaded skeleton, never pinned, so
 * its maps and counters start empty and go away with the test; two local
 * endpoints; running one program on one frame; and checking the outcome.
 */
#ifndef SLUICE_SELFTEST_FIXTURE_H
#define SLUICE_SELFTEST_FIXTURE_H

#include <stddef.h>
#include <linux/types.h>
#include <linux/pkt_cls.h>
#include <criterion/parameterized.h>
#include <sluice/abi.h>

#include "pkt.h"
#include "tc_pod.skel.h"

/*
 * Both pods of the test flow are local: the source too, so that a lookup
 * by the wrong address would redirect to FX_SRC_IFINDEX and be caught.
 * Addresses in host order: 10.244.0.2 and 10.244.0.3.
 */
#define FX_SRC_ADDR 0x0af40002
#define FX_DST_ADDR 0x0af40003
/*
 * Host-side veth ifindexes of the two pods. fx_add_endpoint() makes a
 * device with each number, for fx_run() to name as the one a pod's frame
 * came in on; the live tests give their veths these very numbers.
 */
#define FX_SRC_IFINDEX 41
#define FX_DST_IFINDEX 42
/* A pod on another node (10.244.1.9): not in the endpoint map. */
#define FX_REMOTE_ADDR 0x0af40109
/* Entries in a test table. */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* TTL of the test flow's frames: Linux's default. */
#define FX_TTL 64
/* L4 payload bytes in the test flow's frames: short, and odd on purpose. */
#define FX_PAYLOAD_LEN 13
/* Ports of the test flow: an ephemeral client port talking to a well-known one. */
#define FX_SPORT 40000
#define FX_DPORT 80

extern struct tc_pod *fx_skel;
/* Endpoint map values of the two pods, as the fixture installed them. */
extern const struct sluice_endpoint_info fx_src_ep;
extern const struct sluice_endpoint_info fx_dst_ep;

/*
 * Criterion parameters for a table of n cases: the indexes 0..n-1, written
 * into idx. Criterion runs each case in a freshly executed worker, where
 * the parent's pointers (case names, builder functions) do not hold; an
 * index into the worker's own copy of the table does.
 */
struct criterion_test_params fx_case_params(size_t *idx, size_t n);

/* Criterion .init and .fini: load the skeleton and fill the map; free it. */
void fx_setup(void);
void fx_teardown(void);

/* Makes addr (host order) a local pod, delivered as info says. */
void fx_add_endpoint(__u32 addr, const struct sluice_endpoint_info *info);

/*
 * A frame of the test flow: source pod to its gateway MAC, for the
 * destination pod, FX_SPORT to FX_DPORT; a TCP frame is a SYN.
 */
struct pkt_ipv4 fx_flow(__u8 protocol);

/* Builds spec into buf, asserting that it fits; returns the length. */
__u32 fx_build(const struct pkt_ipv4 *spec, void *buf, const char *desc);

/*
 * One run of a program on one frame. BPF_PROG_TEST_RUN reports the verdict
 * and the frame as the program left it, but not where a redirect would have
 * sent it: bpf_redirect_peer() leaves the target in per-CPU state that
 * test_run neither acts on nor returns. test_tc_pod_live.c checks targets.
 */
struct fx_result {
	__u32 retval;
	__u8 out[PKT_MAX];
	__u32 out_len;
	struct sluice_counter delta[SLUICE_VERDICT_MAX];	/* change per verdict */
};

/* Keys in map m (of fx_skel or a skeleton sharing its maps), asserting the walk ends cleanly. */
__u32 fx_count_keys(const struct bpf_map *m);
/* All verdict counters, summed over CPUs. */
void fx_read_counters(struct sluice_counter c[SLUICE_VERDICT_MAX], const char *desc);

/*
 * Runs prog once on len bytes of in, as if it came in on device ifindex
 * (0: none; else a device of the test's namespace); desc names the case.
 */
void fx_run_on(struct bpf_program *prog, __u32 ifindex, const void *in, __u32 len,
	       struct fx_result *res, const char *desc);

/* fx_run_on() from the veth of the frame's source endpoint, if it is a local pod. */
void fx_run(struct bpf_program *prog, const void *in, __u32 len, struct fx_result *res,
	    const char *desc);

/* Verdict v counted one packet of len bytes, and no other verdict moved. */
void fx_expect_counted(const struct sluice_counter delta[SLUICE_VERDICT_MAX],
		       enum sluice_verdict v, __u32 len, const char *desc);

/* Offset of the first byte where a and b differ, or -1 if none does. */
int fx_first_diff(const void *a, const void *b, __u32 len);

/* The program returned retval and left the frame as it was. */
void fx_expect_untouched(const struct fx_result *res, const void *in, __u32 len,
			 __u32 retval, const char *desc);

/*
 * out is in rewritten for delivery to ep as a routed hop: MACs set for it,
 * TTL one lower, header checksum as a full recomputation gives it, every
 * other byte unchanged.
 */
void fx_expect_rewritten(const void *out, __u32 out_len, const void *in, __u32 len,
			 const struct sluice_endpoint_info *ep, const char *desc);

/* The program returned TC_ACT_REDIRECT with the frame rewritten for ep. */
void fx_expect_delivered(const struct fx_result *res, const void *in, __u32 len,
			 const struct sluice_endpoint_info *ep, const char *desc);

#endif
