// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/verdict_names.h"

static const char *const names[SLUICE_VERDICT_MAX] = {
	[SLUICE_VERDICT_REDIRECT_LOCAL] = "redirect-local",
	[SLUICE_VERDICT_PASS_STACK] = "pass-stack",
	[SLUICE_VERDICT_PASS_NON_IP] = "pass-non-ip",
	[SLUICE_VERDICT_TO_POD_STACK] = "to-pod-stack",
	[SLUICE_VERDICT_DROP_MALFORMED] = "drop-malformed",
	[SLUICE_VERDICT_SVC_REFUSED] = "svc-refused",
	[SLUICE_VERDICT_DROP_NO_BACKEND] = "drop-no-backend",
	[SLUICE_VERDICT_FORWARD_NET] = "forward-net",
	[SLUICE_VERDICT_NET_TO_POD] = "net-to-pod",
	[SLUICE_VERDICT_NET_PASS] = "net-pass",
	[SLUICE_VERDICT_DROP_SPOOFED] = "drop-spoofed",
	[SLUICE_VERDICT_DROP_POLICY_EGRESS] = "drop-policy-egress",
	[SLUICE_VERDICT_DROP_POLICY_INGRESS] = "drop-policy-ingress",
	[SLUICE_VERDICT_FORWARD_NODE] = "forward-node",
	[SLUICE_VERDICT_FORWARD_TUNNEL] = "forward-tunnel",
	[SLUICE_VERDICT_TUNNEL_TO_POD] = "tunnel-to-pod",
	[SLUICE_VERDICT_TUNNEL_PASS] = "tunnel-pass",
	[SLUICE_VERDICT_DROP_NO_ROUTE] = "drop-no-route",
	[SLUICE_VERDICT_MASQUERADE] = "masquerade",
	[SLUICE_VERDICT_DROP_NO_SNAT_PORT] = "drop-no-snat-port",
};

_Static_assert(SLUICE_VERDICT_MAX == 20, "give every verdict a name above");

const char *verdict_name(enum sluice_verdict v)
{
	return (unsigned)v < SLUICE_VERDICT_MAX && names[v] ? names[v] : "unknown";
}

int verdict_read(int map_fd, enum sluice_verdict v, struct sluice_counter *sum)
{
	int ncpu = libbpf_num_possible_cpus(), i, err = 0;
	struct sluice_counter *vals;
	__u32 key = v;

	if (ncpu < 0)
		return ncpu;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	memset(sum, 0, sizeof(*sum));
	if (bpf_map_lookup_elem(map_fd, &key, vals)) {
		err = -errno;
	} else {
		for (i = 0; i < ncpu; i++) {
			sum->packets += vals[i].packets;
			sum->bytes += vals[i].bytes;
		}
	}
	free(vals);
	return err;
}
