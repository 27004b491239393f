// SPDX-License-Identifier: Apache-2.0
/* NetworkPolicy parsing: the API's shape, implied types, and every kind of bad input. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy/netpol.h"

static int parse(const char *spec, struct netpol *np, char *why, size_t len)
{
	char json[1024];
	cJSON *o;
	int err;

	snprintf(json, sizeof(json),
		 "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"NetworkPolicy\","
		 "\"metadata\":{\"name\":\"p\",\"namespace\":\"x\"},\"spec\":%s}", spec);
	o = cJSON_Parse(json);
	cr_assert_not_null(o, "JSON: %s", json);
	err = netpol_parse(o, np, why, len);
	cJSON_Delete(o);
	return err;
}

Test(netpol, full_policy)
{
	struct netpol np;
	char why[256] = "";

	cr_assert_eq(parse("{\"podSelector\":{\"matchLabels\":{\"app\":\"db\"}},"
			   "\"policyTypes\":[\"Ingress\",\"Egress\"],"
			   "\"ingress\":[{\"from\":[{\"ipBlock\":{\"cidr\":\"172.17.0.0/16\","
			   "\"except\":[\"172.17.1.0/24\"]}},{\"namespaceSelector\":{}},"
			   "{\"podSelector\":{}}],\"ports\":[{\"protocol\":\"TCP\",\"port\":6379},"
			   "{\"port\":\"metrics\"},{\"port\":32000,\"endPort\":32768}]}],"
			   "\"egress\":[{\"to\":[{\"ipBlock\":{\"cidr\":\"10.0.0.0/24\"}}],"
			   "\"ports\":[{\"protocol\":\"UDP\",\"port\":53}]}]}", &np, why, sizeof(why)),
		     0, "parse: %s", why);
	cr_expect(np.ingress && np.egress, "types");
	cr_assert_eq(np.n_in, 1, "one ingress rule");
	cr_expect_eq(np.in_rules[0].n_peers, 3, "three peers");
	cr_expect_eq(np.in_rules[0].peers[0].kind, NP_PEER_IPBLOCK, "ipBlock");
	cr_expect_eq(np.in_rules[0].peers[0].n_except, 1, "except");
	cr_expect(np.in_rules[0].peers[1].has_ns_sel && !np.in_rules[0].peers[1].has_pod_sel,
		  "namespaceSelector alone");
	cr_expect_str_eq(np.in_rules[0].ports[1].name, "metrics", "named port");
	cr_expect_eq(np.in_rules[0].ports[2].end_port, 32768, "endPort");
	cr_expect_eq(np.in_rules[0].ports[0].end_port, 6379, "a single port is its own range");
	cr_expect_eq(np.eg_rules[0].ports[0].proto, IPPROTO_UDP, "UDP");
	netpol_free(&np);
}

Test(netpol, implied_types)
{
	struct netpol np;
	char why[256] = "";

	cr_assert_eq(parse("{\"podSelector\":{}}", &np, why, sizeof(why)), 0, "%s", why);
	cr_expect(np.ingress && !np.egress, "Ingress only without egress rules");
	netpol_free(&np);
	cr_assert_eq(parse("{\"podSelector\":{},\"egress\":[{}]}", &np, why, sizeof(why)), 0, "%s",
		     why);
	cr_expect(np.ingress && np.egress, "egress rules imply Egress");
	netpol_free(&np);
	cr_assert_eq(parse("{\"podSelector\":{},\"egress\":[]}", &np, why, sizeof(why)), 0, "%s", why);
	cr_expect(!np.egress, "an empty egress list does not imply Egress");
	netpol_free(&np);
}

Test(netpol, ipv6_blocks_match_nothing_but_stay_peers)
{
	struct netpol np;
	char why[256] = "";

	cr_assert_eq(parse("{\"podSelector\":{},\"ingress\":[{\"from\":[{\"ipBlock\":"
			   "{\"cidr\":\"fd00::/8\"}}]}]}", &np, why, sizeof(why)), 0, "%s", why);
	cr_expect(!np.in_rules[0].all_peers, "a rule of only IPv6 peers must not become 'all'");
	cr_expect_eq(np.in_rules[0].peers[0].kind, NP_PEER_NONE, "IPv6 peer");
	netpol_free(&np);
}

struct bad_case {
	char spec[200];
	char why_has[40];
};

Test(netpol, rejects_bad_policies)
{
	static const struct bad_case cases[] = {
		{ "{}", "podSelector" },
		{ "{\"podSelector\":[]}", "podSelector" },
		{ "{\"podSelector\":{},\"policyTypes\":[\"Sideways\"]}", "policyTypes" },
		{ "{\"podSelector\":{},\"ingress\":{}}", "spec.ingress" },
		{ "{\"podSelector\":{},\"ingress\":[{\"from\":[{}]}]}", "a peer needs" },
		{ "{\"podSelector\":{},\"ingress\":[{\"from\":[{\"ipBlock\":{\"cidr\":\"10.0.0.0/8\"},"
		  "\"podSelector\":{}}]}]}", "ipBlock" },
		{ "{\"podSelector\":{},\"ingress\":[{\"from\":[{\"ipBlock\":{\"cidr\":\"10.0.0.1/8\"}}]}]}",
		  "CIDR" },
		{ "{\"podSelector\":{},\"ingress\":[{\"from\":[{\"ipBlock\":{\"cidr\":\"10.0.0.0/33\"}}]}]}",
		  "CIDR" },
		{ "{\"podSelector\":{},\"ingress\":[{\"from\":[{\"ipBlock\":{\"cidr\":\"10.0.0.0/8\","
		  "\"except\":[\"11.0.0.0/16\"]}}]}]}", "except" },
		{ "{\"podSelector\":{},\"ingress\":[{\"from\":[{\"ipBlock\":{\"cidr\":\"10.0.0.0/8\","
		  "\"except\":[\"10.0.0.0/8\"]}}]}]}", "except" },
		{ "{\"podSelector\":{},\"ingress\":[{\"ports\":[{\"port\":0}]}]}", "port" },
		{ "{\"podSelector\":{},\"ingress\":[{\"ports\":[{\"port\":70000}]}]}", "port" },
		{ "{\"podSelector\":{},\"ingress\":[{\"ports\":[{\"port\":\"Bad_Name\"}]}]}", "port name" },
		{ "{\"podSelector\":{},\"ingress\":[{\"ports\":[{\"port\":80,\"endPort\":79}]}]}",
		  "endPort" },
		{ "{\"podSelector\":{},\"ingress\":[{\"ports\":[{\"port\":\"http\",\"endPort\":90}]}]}",
		  "endPort" },
		{ "{\"podSelector\":{},\"ingress\":[{\"ports\":[{\"protocol\":\"ICMP\"}]}]}",
		  "protocol" },
		{ "{\"podSelector\":{},\"egress\":[{\"to\":[{\"podSelector\":{\"matchExpressions\":"
		  "[{\"key\":\"a\",\"operator\":\"In\"}]}}]}]}", "podSelector" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct netpol np;
		char why[256] = "";

		cr_expect_eq(parse(cases[i].spec, &np, why, sizeof(why)), -EINVAL, "accepted %s",
			     cases[i].spec);
		cr_expect(strstr(why, cases[i].why_has) != NULL, "%s: why '%s' should name '%s'",
			  cases[i].spec, why, cases[i].why_has);
	}
}
