// SPDX-License-Identifier: Apache-2.0
/* Node objects as the node reconciler reads them: pod CIDR and InternalIP. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "k8s/node_info.h"

static int parse(const char *json, struct node_info *n, char *why, size_t len)
{
	cJSON *o = cJSON_Parse(json);
	int err;

	cr_assert_not_null(o, "JSON: %s", json);
	err = node_info_parse(o, n, why, len);
	cJSON_Delete(o);
	return err;
}

static void expect_addr(struct in_addr a, const char *want, const char *what)
{
	char got[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, got, sizeof(got));
	cr_expect_str_eq(got, want, "%s", what);
}

/* The shape the API server returns for a registered node, trimmed. */
Test(node_info, real_node_object)
{
	struct node_info n;
	char why[256];

	cr_assert_eq(parse("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n2\","
			   "\"labels\":{\"kubernetes.io/hostname\":\"n2\"}},\"spec\":{\"podCIDR\":"
			   "\"10.244.2.0/24\",\"podCIDRs\":[\"10.244.2.0/24\",\"fd00:10:244:2::/64\"]},"
			   "\"status\":{\"addresses\":[{\"type\":\"Hostname\",\"address\":\"n2\"},"
			   "{\"type\":\"InternalIP\",\"address\":\"fd00::2\"},{\"type\":\"InternalIP\","
			   "\"address\":\"192.168.50.2\"}]}}", &n, why, sizeof(why)),
		     0, "refused: %s", why);
	cr_expect_str_eq(n.name, "n2");
	expect_addr(n.cidr.addr, "10.244.2.0", "pod CIDR network");
	cr_expect_eq(n.cidr.prefix, 24, "pod CIDR prefix");
	expect_addr(n.addr, "192.168.50.2", "the IPv4 InternalIP, IPv6 and Hostname skipped");
}

/* A node just registered has neither yet: valid, and routes nothing. */
Test(node_info, new_node_without_cidr_or_address)
{
	struct node_info n;
	char why[256];

	cr_assert_eq(parse("{\"metadata\":{\"name\":\"n9\"},\"spec\":{},\"status\":{}}", &n, why,
			   sizeof(why)), 0, "refused: %s", why);
	cr_expect_eq(n.cidr.prefix, 0, "no pod CIDR");
	cr_expect_eq(n.addr.s_addr, 0, "no address");
}

Test(node_info, only_pod_cidr_of_old_objects)
{
	struct node_info n;
	char why[256];

	cr_assert_eq(parse("{\"metadata\":{\"name\":\"n1\"},\"spec\":{\"podCIDR\":\"10.244.1.0/24\"}}",
			   &n, why, sizeof(why)), 0, "refused: %s", why);
	expect_addr(n.cidr.addr, "10.244.1.0", "podCIDR alone");
}

Test(node_info, bad_objects_name_the_field)
{
	static const struct {
		const char *json, *field;
	} bad[] = {
		{ "{\"spec\":{}}", "metadata.name" },
		{ "{\"metadata\":{\"name\":\"\"}}", "metadata.name" },
		{ "{\"metadata\":{\"name\":\"n\"},\"spec\":{\"podCIDRs\":\"10.0.0.0/24\"}}",
		  "spec.podCIDRs" },
		{ "{\"metadata\":{\"name\":\"n\"},\"spec\":{\"podCIDRs\":[7]}}", "spec.podCIDRs" },
		{ "{\"metadata\":{\"name\":\"n\"},\"spec\":{\"podCIDRs\":[\"10.0.0.1/24\"]}}",
		  "is not an IPv4 or IPv6 network" },
		{ "{\"metadata\":{\"name\":\"n\"},\"spec\":{\"podCIDRs\":[\"0.0.0.0/0\"]}}",
		  "is not a pod network" },
		{ "{\"metadata\":{\"name\":\"n\"},\"spec\":{\"podCIDR\":\"10.0.1.0/24\","
		  "\"podCIDRs\":[\"10.0.0.0/24\"]}}", "more than one IPv4 network" },
		{ "{\"metadata\":{\"name\":\"n\"},\"status\":{\"addresses\":{}}}",
		  "status.addresses" },
		{ "{\"metadata\":{\"name\":\"n\"},\"status\":{\"addresses\":[{\"type\":"
		  "\"InternalIP\"}]}}", "status.addresses" },
		{ "{\"metadata\":{\"name\":\"n\"},\"status\":{\"addresses\":[{\"type\":"
		  "\"InternalIP\",\"address\":\"node-1\"}]}}", "is not an address" },
	};
	struct node_info n;
	char why[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		cr_expect_eq(parse(bad[i].json, &n, why, sizeof(why)), -EINVAL, "accepted: %s",
			     bad[i].json);
		cr_expect(strstr(why, bad[i].field) != NULL, "%s: reason '%s' lacks '%s'",
			  bad[i].json, why, bad[i].field);
	}
}
