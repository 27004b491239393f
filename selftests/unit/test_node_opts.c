// SPDX-License-Identifier: Apache-2.0
/* The agent's cross-node options: --routing and --non-masquerade-cidrs. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "agent/nodes.h"

Test(node_opts, routing_modes)
{
	enum sluice_routing r = SLUICE_ROUTING_NATIVE;

	cr_expect(nodes_routing_parse("vxlan", &r) && r == SLUICE_ROUTING_VXLAN, "vxlan");
	cr_expect(nodes_routing_parse("native", &r) && r == SLUICE_ROUTING_NATIVE, "native");
	cr_expect_not(nodes_routing_parse("VXLAN", &r), "names are lower case");
	cr_expect_not(nodes_routing_parse("geneve", &r), "no such mode");
	cr_expect_not(nodes_routing_parse("", &r), "empty");
}

Test(node_opts, non_masquerade_cidrs)
{
	struct nomasq o;
	char why[128], addr[INET_ADDRSTRLEN];

	cr_assert(nomasq_parse(&o, "10.0.0.0/8,192.168.0.0/16", why, sizeof(why)), "%s", why);
	cr_assert_eq(o.n, 2);
	inet_ntop(AF_INET, &o.cidrs[1].addr, addr, sizeof(addr));
	cr_expect_str_eq(addr, "192.168.0.0");
	cr_expect_eq(o.cidrs[1].prefix, 16);
}

Test(node_opts, bad_non_masquerade_cidrs)
{
	static const char *const bad[] = {
		"", ",", "10.0.0.1/8", "10.0.0.0", "10.0.0.0/33", "fd00::/8", "10.0.0.0/8,x",
	};
	char why[128], many[8192];
	struct nomasq o;
	size_t i, n = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		cr_expect_not(nomasq_parse(&o, bad[i], why, sizeof(why)), "accepted '%s'", bad[i]);
		cr_expect(why[0] != '\0', "'%s': no reason given", bad[i]);
	}
	for (i = 0; i <= SLUICE_NOMASQ_MAX; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "%s10.%zu.%zu.0/24", i ? "," : "",
				      i / 256, i % 256);
	cr_expect_not(nomasq_parse(&o, many, why, sizeof(why)), "more than the map holds");
	cr_expect(strstr(why, "more than") != NULL, "reason: %s", why);
}
