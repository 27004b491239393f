// SPDX-License-Identifier: Apache-2.0
/*
 * Pods and Namespaces as policy reads them, label sets, and the LPM
 * prefixes a port range is cut into.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy/objects.h"
#include "policy/pol_writer.h"

static int pod(const char *json, struct pol_pod *p, char *why, size_t len)
{
	cJSON *o = cJSON_Parse(json);
	int err;

	cr_assert_not_null(o, "JSON: %s", json);
	err = pol_pod_parse(o, p, why, len);
	cJSON_Delete(o);
	return err;
}

Test(policy_objects, pod_labels_address_and_named_ports)
{
	struct pol_pod p;
	char why[256] = "";

	cr_assert_eq(pod("{\"metadata\":{\"name\":\"a\",\"namespace\":\"x\","
			 "\"labels\":{\"pod\":\"a\",\"tier\":\"web\"}},"
			 "\"spec\":{\"containers\":[{\"ports\":[{\"containerPort\":8080},"
			 "{\"name\":\"http\",\"containerPort\":80},"
			 "{\"name\":\"dns\",\"containerPort\":53,\"protocol\":\"UDP\"}]},"
			 "{\"ports\":[{\"name\":\"metrics\",\"containerPort\":9090}]}]},"
			 "\"status\":{\"podIP\":\"fd00::1\",\"podIPs\":[{\"ip\":\"fd00::1\"},"
			 "{\"ip\":\"10.244.1.7\"}]}}", &p, why, sizeof(why)),
		     0, "%s", why);
	cr_expect_str_eq(p.ns, "x");
	cr_expect_str_eq(p.name, "a");
	cr_expect_str_eq(labels_get(&p.labels, "tier"), "web");
	cr_expect_eq(p.ip.s_addr, inet_addr("10.244.1.7"), "the first IPv4 of podIPs");
	cr_assert_eq(p.n_ports, 3, "only named ports are kept");
	cr_expect_str_eq(p.ports[0].name, "http");
	cr_expect_eq(p.ports[0].proto, IPPROTO_TCP, "TCP by default");
	cr_expect_eq(p.ports[1].proto, IPPROTO_UDP);
	cr_expect_eq(p.ports[2].port, 9090, "ports of every container");
	pol_pod_free(&p);
}

Test(policy_objects, pod_without_address_yet)
{
	struct pol_pod p;
	char why[256] = "";

	cr_assert_eq(pod("{\"metadata\":{\"name\":\"a\"}}", &p, why, sizeof(why)), 0, "%s", why);
	cr_expect_str_eq(p.ns, "default", "a namespaced object without one is in default");
	cr_expect_eq(p.ip.s_addr, 0);
	cr_expect_eq(p.labels.n, 0);
	pol_pod_free(&p);
}

/* A host-network pod has the node's address, a finished one may lend it on: neither names it. */
Test(policy_objects, host_network_and_finished_pods_have_no_address)
{
	static const char *const cases[] = {
		"{\"metadata\":{\"name\":\"h\"},\"spec\":{\"hostNetwork\":true},"
		"\"status\":{\"podIP\":\"10.0.0.1\"}}",
		"{\"metadata\":{\"name\":\"s\"},\"status\":{\"phase\":\"Succeeded\","
		"\"podIP\":\"10.244.1.9\"}}",
		"{\"metadata\":{\"name\":\"f\"},\"status\":{\"phase\":\"Failed\","
		"\"podIP\":\"10.244.1.9\"}}",
	};
	struct pol_pod p;
	char why[256] = "";
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(pod(cases[i], &p, why, sizeof(why)), 0, "%s", why);
		cr_expect_eq(p.ip.s_addr, 0, "case %zu keeps an address", i);
		pol_pod_free(&p);
	}
	cr_assert_eq(pod("{\"metadata\":{\"name\":\"r\"},\"status\":{\"phase\":\"Running\","
			 "\"podIP\":\"10.244.1.9\"}}", &p, why, sizeof(why)), 0, "%s", why);
	cr_expect_eq(p.ip.s_addr, inet_addr("10.244.1.9"), "a running pod has its address");
	pol_pod_free(&p);
}

Test(policy_objects, bad_pods_name_the_field)
{
	static const struct {
		const char *json, *field;
	} cases[] = {
		{ "{\"metadata\":{}}", "metadata.name" },
		{ "{\"metadata\":{\"name\":\"a\",\"labels\":{\"k\":1}}}", "metadata.labels" },
		{ "{\"metadata\":{\"name\":\"a\"},\"status\":{\"podIP\":\"10.1\"}}", "status.podIP" },
		{ "{\"metadata\":{\"name\":\"a\"},\"status\":{\"podIPs\":[{\"ip\":7}]}}",
		  "status.podIPs" },
		{ "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"containers\":[{\"ports\":"
		  "[{\"name\":\"p\",\"containerPort\":70000}]}]}}", "containerPort" },
		{ "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"containers\":[{\"ports\":"
		  "[{\"name\":\"p\",\"containerPort\":80,\"protocol\":\"ICMP\"}]}]}}", "protocol" },
		{ "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"containers\":[{\"ports\":"
		  "[{\"name\":\"much-too-long-port-name\",\"containerPort\":80}]}]}}", "name" },
	};
	struct pol_pod p;
	char why[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		cr_expect_eq(pod(cases[i].json, &p, why, sizeof(why)), -EINVAL, "case %zu passed", i);
		cr_expect(strstr(why, cases[i].field), "case %zu: '%s' does not name %s", i, why,
			  cases[i].field);
	}
}

Test(policy_objects, namespaces)
{
	struct pol_namespace ns;
	char why[256] = "";
	cJSON *o = cJSON_Parse("{\"metadata\":{\"name\":\"x\",\"labels\":{\"team\":\"a\"}}}");

	cr_assert_eq(pol_namespace_parse(o, &ns, why, sizeof(why)), 0, "%s", why);
	cr_expect_str_eq(ns.name, "x");
	cr_expect_str_eq(labels_get(&ns.labels, "team"), "a");
	pol_namespace_free(&ns);
	cJSON_Delete(o);
	o = cJSON_Parse("{\"metadata\":{\"labels\":{}}}");
	cr_expect_eq(pol_namespace_parse(o, &ns, why, sizeof(why)), -EINVAL, "no name");
	cJSON_Delete(o);
}

Test(policy_objects, labels_set_adds_and_replaces_in_order)
{
	struct labels l = { 0 };
	char text[128];

	cr_assert_eq(labels_set(&l, "m", "1"), 0);
	cr_assert_eq(labels_set(&l, "a", "2"), 0);
	cr_assert_eq(labels_set(&l, "z", "3"), 0);
	cr_assert_eq(labels_set(&l, "m", "4"), 0);
	labels_str(&l, text, sizeof(text));
	cr_expect_str_eq(text, "a=2,m=4,z=3", "sorted, the key replaced");
	cr_expect_str_eq(labels_get(&l, "m"), "4");
	labels_free(&l);
}

struct prefixes {
	__u16 start[32];
	__u8 bits[32];
	size_t n;
};

static void collect(__u16 start, __u8 bits, void *ctx)
{
	struct prefixes *p = ctx;

	cr_assert_lt(p->n, 32, "too many prefixes");
	p->start[p->n] = start;
	p->bits[p->n++] = bits;
}

/* The prefixes cover lo..hi exactly: no port outside, none inside twice. */
static void check_cover(__u16 lo, __u16 hi, size_t want_n)
{
	struct prefixes p = { .n = 0 };
	__u32 next = lo;
	size_t i;

	pol_port_prefixes(lo, hi, collect, &p);
	for (i = 0; i < p.n; i++) {
		__u32 size = 1u << (16 - p.bits[i]);

		cr_expect_eq(p.start[i], next, "%u-%u: prefix %zu starts at %u, not %u", lo, hi, i,
			     p.start[i], next);
		cr_expect_eq(p.start[i] % size, 0, "%u-%u: prefix %zu is not aligned", lo, hi, i);
		next = p.start[i] + size;
	}
	cr_expect_eq(next, (__u32)hi + 1, "%u-%u: ends at %u", lo, hi, next - 1);
	cr_expect_eq(p.n, want_n, "%u-%u: %zu prefixes, want %zu", lo, hi, p.n, want_n);
}

Test(policy_objects, port_ranges_become_exact_prefixes)
{
	check_cover(80, 80, 1);
	check_cover(79, 80, 2);
	check_cover(80, 87, 1);
	check_cover(32000, 32768, 3);
	check_cover(1, 65535, 16);
	check_cover(0, 65535, 1);
	check_cover(65535, 65535, 1);
}
