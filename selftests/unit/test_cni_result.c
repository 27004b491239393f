// SPDX-License-Identifier: Apache-2.0
/* Reading IPAM results and prevResults, writing results per spec version. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni/result.h"

static cJSON *parse(const char *json)
{
	cJSON *o = cJSON_Parse(json);

	cr_assert_not_null(o, "test JSON parses: %s", json);
	return o;
}

Test(cni_result, reads_ipam_1_0_result)
{
	cJSON *o = parse("{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.244.1.7/24\","
			 "\"gateway\":\"10.244.1.1\"}],\"routes\":[{\"dst\":\"0.0.0.0/0\"}],"
			 "\"dns\":{\"nameservers\":[\"10.96.0.10\"]}}");
	struct cni_result r;
	struct cni_error e = { 0 };
	char a[INET6_ADDRSTRLEN];

	cr_assert_eq(cni_result_parse(o, "ipam", &r, &e), 0, "parse: %s", e.details);
	cr_assert_eq(r.n_ips, 1, "one address");
	cni_addr_str(&r.ips[0].addr, a, sizeof(a));
	cr_expect_str_eq(a, "10.244.1.7", "address");
	cr_expect_eq(r.ips[0].prefix, 24, "prefix");
	cr_expect(r.ips[0].has_gateway, "gateway present");
	cr_expect_eq(r.ips[0].iface, -1, "IPAM leaves interface out");
	cr_expect_eq(r.n_routes, 1, "route");
	cr_expect_eq(r.routes[0].prefix, 0, "default route prefix");
	cr_expect_not_null(r.dns, "dns kept");
	cni_result_free(&r);
	cJSON_Delete(o);
}

Test(cni_result, reads_0_4_result_with_versions)
{
	cJSON *o = parse("{\"cniVersion\":\"0.4.0\",\"interfaces\":[{\"name\":\"eth0\","
			 "\"sandbox\":\"/run/netns/x\"}],\"ips\":[{\"version\":\"4\","
			 "\"address\":\"10.0.0.5/32\",\"interface\":0}]}");
	struct cni_result r;
	struct cni_error e = { 0 };

	cr_assert_eq(cni_result_parse(o, "prev", &r, &e), 0, "parse: %s", e.details);
	cr_expect_eq(r.n_ifaces, 1, "interfaces");
	cr_expect_str_eq(r.ifaces[0].sandbox, "/run/netns/x", "sandbox");
	cr_expect_eq(r.ips[0].iface, 0, "interface index");
	cni_result_free(&r);
	cJSON_Delete(o);
}

Test(cni_result, rejects_malformed_results)
{
	static const char *bad[] = {
		"[]",
		"{\"ips\":{}}",
		"{\"ips\":[{\"gateway\":\"10.0.0.1\"}]}",
		"{\"ips\":[{\"address\":\"10.0.0.5\"}]}",
		"{\"ips\":[{\"address\":\"10.0.0.5/33\"}]}",
		"{\"ips\":[{\"address\":\"10.0.0.5/-1\"}]}",
		"{\"ips\":[{\"address\":\"10.0.0.300/24\"}]}",
		"{\"ips\":[{\"address\":\"10.0.0.5/24\",\"gateway\":\"x\"}]}",
		"{\"ips\":[{\"address\":\"10.0.0.5/24\",\"interface\":-1}]}",
		"{\"routes\":[{\"gw\":\"10.0.0.1\"}]}",
		"{\"interfaces\":[{\"mac\":\"aa:bb\"}]}",
		"{\"interfaces\":[{\"name\":\"waytoolonginterfacename\"}]}",
		"{\"dns\":[]}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *o = parse(bad[i]);
		struct cni_result r;
		struct cni_error e = { 0 };

		cr_expect_eq(cni_result_parse(o, "ipam", &r, &e), CNI_ERR_DECODE, "accepted %s",
			     bad[i]);
		cr_expect(strstr(e.details, "ipam") != NULL, "details name the source: %s",
			  e.details);
		cni_result_free(&r);
		cJSON_Delete(o);
	}
}

Test(cni_result, too_many_addresses_refused)
{
	char json[4096] = "{\"ips\":[";
	struct cni_result r;
	struct cni_error e = { 0 };
	cJSON *o;
	int i;

	for (i = 0; i <= CNI_RESULT_MAX_IPS; i++)
		sprintf(json + strlen(json), "%s{\"address\":\"10.0.0.%d/32\"}", i ? "," : "", i);
	strcat(json, "]}");
	o = parse(json);
	cr_expect_eq(cni_result_parse(o, "ipam", &r, &e), CNI_ERR_DECODE, "%d addresses",
		     CNI_RESULT_MAX_IPS + 1);
	cni_result_free(&r);
	cJSON_Delete(o);
}

static struct cni_result sample(void)
{
	struct cni_result r;

	memset(&r, 0, sizeof(r));
	r.n_ifaces = 2;
	strcpy(r.ifaces[0].name, "slc0123456789ab");
	strcpy(r.ifaces[0].mac, "02:00:00:00:00:01");
	r.ifaces[0].mtu = 1500;
	strcpy(r.ifaces[1].name, "eth0");
	strcpy(r.ifaces[1].mac, "02:00:00:00:00:02");
	strcpy(r.ifaces[1].sandbox, "/var/run/netns/p1");
	r.ifaces[1].mtu = 1500;
	r.n_ips = 1;
	cni_cidr_parse("10.244.1.9/32", &r.ips[0].addr, &r.ips[0].prefix);
	r.ips[0].has_gateway = true;
	cni_addr_parse("169.254.1.1", &r.ips[0].gateway);
	r.ips[0].iface = 1;
	r.n_routes = 1;
	cni_cidr_parse("0.0.0.0/0", &r.routes[0].dst, &r.routes[0].prefix);
	r.routes[0].has_gw = true;
	cni_addr_parse("169.254.1.1", &r.routes[0].gw);
	return r;
}

static cJSON *write_and_parse(const struct cni_result *r, const char *version)
{
	char *s = cni_result_json(r, version);
	cJSON *o;

	cr_assert_not_null(s, "result JSON for %s", version);
	o = cJSON_Parse(s);
	free(s);
	cr_assert_not_null(o, "result for %s is JSON", version);
	return o;
}

Test(cni_result, writes_1_0_shape)
{
	struct cni_result r = sample();
	cJSON *o = write_and_parse(&r, "1.0.0");
	cJSON *ip = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "ips"), 0);
	cJSON *pod = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "interfaces"), 1);
	cJSON *route = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "routes"), 0);

	cr_expect_str_eq(cJSON_GetObjectItem(o, "cniVersion")->valuestring, "1.0.0", "version");
	cr_expect_str_eq(cJSON_GetObjectItem(ip, "address")->valuestring, "10.244.1.9/32", "address");
	cr_expect_str_eq(cJSON_GetObjectItem(ip, "gateway")->valuestring, "169.254.1.1", "gateway");
	cr_expect_eq(cJSON_GetObjectItem(ip, "interface")->valueint, 1, "interface index");
	cr_expect_null(cJSON_GetObjectItem(ip, "version"), "1.0 has no ips[].version");
	cr_expect_str_eq(cJSON_GetObjectItem(pod, "sandbox")->valuestring, "/var/run/netns/p1",
			 "sandbox");
	cr_expect_null(cJSON_GetObjectItem(pod, "mtu"), "1.0 has no interface mtu");
	cr_expect_str_eq(cJSON_GetObjectItem(route, "dst")->valuestring, "0.0.0.0/0", "route dst");
	cr_expect_str_eq(cJSON_GetObjectItem(route, "gw")->valuestring, "169.254.1.1", "route gw");
	cr_expect_null(cJSON_GetObjectItem(o, "dns"), "no dns when IPAM gave none");
	cJSON_Delete(o);
}

Test(cni_result, writes_0_4_and_1_1_differences)
{
	struct cni_result r = sample();
	cJSON *v04 = write_and_parse(&r, "0.4.0"), *v11 = write_and_parse(&r, "1.1.0");
	cJSON *ip = cJSON_GetArrayItem(cJSON_GetObjectItem(v04, "ips"), 0);
	cJSON *pod = cJSON_GetArrayItem(cJSON_GetObjectItem(v11, "interfaces"), 1);

	cr_expect_str_eq(cJSON_GetObjectItem(ip, "version")->valuestring, "4", "0.4 ips[].version");
	cr_expect_eq(cJSON_GetObjectItem(pod, "mtu")->valueint, 1500, "1.1 interface mtu");
	cJSON_Delete(v04);
	cJSON_Delete(v11);
}

Test(cni_result, round_trip)
{
	struct cni_result r = sample(), back;
	struct cni_error e = { 0 };
	cJSON *o = write_and_parse(&r, "1.1.0");

	cr_assert_eq(cni_result_parse(o, "round trip", &back, &e), 0, "re-read: %s", e.details);
	cr_expect_eq(back.n_ifaces, 2, "interfaces");
	cr_expect(cni_addr_equal(&back.ips[0].addr, &r.ips[0].addr), "address");
	cr_expect_eq(back.ips[0].iface, 1, "interface index");
	cr_expect_eq(back.ifaces[1].mtu, 1500, "mtu");
	cni_result_free(&back);
	cJSON_Delete(o);
}

Test(cni_result, cidr_and_address_parsing)
{
	struct cni_addr a;
	unsigned int p;

	cr_expect(cni_cidr_parse("fd00::1/64", &a, &p) && a.family == AF_INET6 && p == 64, "IPv6");
	cr_expect(!cni_cidr_parse("10.0.0.1/", &a, &p), "empty prefix");
	cr_expect(!cni_cidr_parse("/24", &a, &p), "no address");
	cr_expect(!cni_cidr_parse("10.0.0.1/2x", &a, &p), "junk prefix");
	cr_expect(!cni_cidr_parse("10.0.0.1/+8", &a, &p), "signed prefix");
	cr_expect(!cni_addr_parse("10.0.0", &a), "short address");
}
