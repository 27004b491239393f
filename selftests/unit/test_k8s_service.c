// SPDX-License-Identifier: Apache-2.0
/*
 * Services and EndpointSlices in their API shapes: what the parsers take
 * from them, and every bad field refused with its name in `why`, so the
 * agent's log line points at it. Bad inputs are the fixture objects with
 * one field edited (JSON Pointer, RFC 6901), so nothing else is wrong.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/fields.h"
#include "k8s/service.h"
#include "k8s_json_fixtures.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* Edits one bad-input case makes to its fixture. */
#define EDITS_MAX 2
/* Longest JSON Pointer token the fixtures need. */
#define TOKEN_LEN 64
/* The longest object name the API allows (a DNS subdomain). */
#define NAME_API_MAX 253
/* The API's bound on endpoints in one slice. */
#define SLICE_ENDPOINTS_MAX 1000

/* The tree under test and what it parsed to; static, as k8s_service is large. */
static cJSON *doc;
static struct k8s_service svc;
static struct k8s_endpointslice es;
static char why[K8S_WHY_LEN];

static void teardown(void)
{
	cJSON_Delete(doc);
	doc = NULL;
	k8s_service_free(&svc);
	k8s_endpointslice_free(&es);
}

TestSuite(k8s_service, .fini = teardown);
TestSuite(k8s_endpointslice, .fini = teardown);

static void load(const char *json)
{
	cJSON_Delete(doc);
	doc = cJSON_Parse(json);
	cr_assert_not_null(doc, "setup: fixture JSON parses");
}

/* The next token of a JSON Pointer into tok, with ~1 and ~0 unescaped; the rest after it. */
static const char *pointer_token(const char *p, char *tok)
{
	size_t n = 0;

	for (p++; *p && *p != '/'; p++) {
		cr_assert_lt(n, TOKEN_LEN - 1, "setup: pointer token fits");
		if (*p == '~' && (p[1] == '0' || p[1] == '1')) {
			tok[n++] = p[1] == '1' ? '/' : '~';
			p++;
		} else {
			tok[n++] = *p;
		}
	}
	tok[n] = '\0';
	return p;
}

/* Sets the value at JSON Pointer ptr to the JSON text value, or deletes it (value NULL). */
static void edit(const char *ptr, const char *value)
{
	cJSON *parent = doc, *v = value ? cJSON_Parse(value) : NULL;
	char tok[TOKEN_LEN];
	const char *p = ptr;

	cr_assert(!value || v, "setup: edit value %s parses", value);
	for (;;) {
		p = pointer_token(p, tok);
		if (!*p)
			break;
		parent = cJSON_IsArray(parent) ? cJSON_GetArrayItem(parent, atoi(tok)) :
						 cJSON_GetObjectItemCaseSensitive(parent, tok);
		cr_assert_not_null(parent, "setup: %s leads somewhere in the fixture", ptr);
	}
	if (cJSON_IsArray(parent)) {
		int i = atoi(tok);

		cr_assert_lt(i, cJSON_GetArraySize(parent), "setup: %s is in the list", ptr);
		if (v)
			cJSON_ReplaceItemInArray(parent, i, v);
		else
			cJSON_DeleteItemFromArray(parent, i);
		return;
	}
	if (!v)
		cJSON_DeleteItemFromObjectCaseSensitive(parent, tok);
	else if (cJSON_GetObjectItemCaseSensitive(parent, tok))
		cJSON_ReplaceItemInObjectCaseSensitive(parent, tok, v);
	else
		cJSON_AddItemToObject(parent, tok, v);
}

/* Can c continue a field name ("spec.ports" in "spec.portsX", "spec.ports.port")? */
static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '[' || c == '_';
}

/*
 * Does why name field, as a whole name? "[]" in field stands for any index
 * or name between the brackets ("spec.ports[http].port" names
 * "spec.ports[].port").
 */
static bool why_names(const char *text, const char *field)
{
	const char *br = strstr(field, "[]"), *at, *end;
	size_t pre = br ? (size_t)(br - field) + 1 : strlen(field);

	for (at = text; *at; at++) {
		if (strncmp(at, field, pre) || (at > text && name_char(at[-1])))
			continue;
		end = at + pre;
		if (br) {
			while (*end && *end != ']' && *end != ' ')
				end++;
			if (*end != ']' || strncmp(end, br + 1, strlen(br + 1)))
				continue;
			end += strlen(br + 1);
		}
		if (!name_char(*end))
			return true;
	}
	return false;
}

static void parse_service_ok(const char *step)
{
	int err;

	k8s_service_free(&svc);
	err = k8s_service_parse(doc, &svc, why, sizeof(why));

	cr_assert_eq(err, 0, "%s: parses (%s)", step, why);
}

static void parse_slice_ok(const char *step)
{
	int err = k8s_endpointslice_parse(doc, &es, why, sizeof(why));

	cr_assert_eq(err, 0, "%s: parses (%s)", step, why);
}

static void expect_ip(struct in_addr a, const char *want, const char *step)
{
	char got[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, got, sizeof(got));
	cr_expect_str_eq(got, want, "%s", step);
}

/* ---- Services that parse ---- */

Test(k8s_service, full_api_shape)
{
	load(FX_SERVICE_JSON);
	parse_service_ok("full service");
	cr_expect_str_eq(svc.ns, "shop", "metadata.namespace");
	cr_expect_str_eq(svc.name, "web", "metadata.name");
	cr_expect_eq(svc.type, K8S_SVC_LOAD_BALANCER, "spec.type LoadBalancer");
	cr_expect_not(svc.headless, "a cluster IP is not headless");
	cr_assert_eq(svc.n_cluster_ips, 1, "clusterIPs: the IPv4 one kept, the IPv6 one skipped");
	expect_ip(svc.cluster_ips[0], "10.96.0.10", "clusterIPs[0]");
	cr_assert_eq(svc.n_ports, 3, "all three ports parsed, SCTP included");
	cr_expect_str_eq(svc.ports[0].name, "http", "ports[0].name");
	cr_expect_eq(svc.ports[0].proto, IPPROTO_TCP, "ports[0].protocol TCP");
	cr_expect_eq(svc.ports[0].port, 80, "ports[0].port");
	cr_expect_eq(svc.ports[0].node_port, 30080, "ports[0].nodePort");
	cr_expect_str_eq(svc.ports[1].name, "dns", "ports[1].name");
	cr_expect_eq(svc.ports[1].proto, IPPROTO_UDP, "ports[1].protocol UDP");
	cr_expect_eq(svc.ports[1].port, 53, "ports[1].port (named targetPort accepted)");
	cr_expect_eq(svc.ports[1].node_port, 30053, "ports[1].nodePort");
	cr_expect_eq(svc.ports[2].proto, IPPROTO_SCTP, "ports[2].protocol SCTP");
	cr_expect_eq(svc.ports[2].port, 9000, "ports[2].port");
	cr_assert_eq(svc.n_external_ips, 1, "externalIPs: the IPv4 one kept");
	expect_ip(svc.external_ips[0], "192.0.2.10", "externalIPs[0]");
	cr_assert_eq(svc.n_lb_ips, 1, "ingress: the IPv4 ip kept, hostname-only and IPv6 skipped");
	expect_ip(svc.lb_ips[0], "203.0.113.7", "ingress[0].ip");
	cr_expect(svc.affinity, "sessionAffinity ClientIP");
	cr_expect_eq(svc.affinity_timeout, 600, "sessionAffinityConfig.clientIP.timeoutSeconds");
	cr_expect(svc.etp_local, "externalTrafficPolicy Local");
	cr_expect_not(svc.itp_local, "internalTrafficPolicy Cluster");
}

Test(k8s_service, minimal_takes_api_defaults)
{
	load(FX_SERVICE_MINIMAL_JSON);
	parse_service_ok("minimal service");
	cr_expect_str_eq(svc.ns, "default", "no metadata.namespace: default");
	cr_expect_eq(svc.type, K8S_SVC_CLUSTER_IP, "no spec.type: ClusterIP");
	cr_assert_eq(svc.n_cluster_ips, 1, "clusterIP alone, no clusterIPs");
	expect_ip(svc.cluster_ips[0], "10.96.0.20", "clusterIP");
	cr_assert_eq(svc.n_ports, 1, "one port");
	cr_expect_str_eq(svc.ports[0].name, "", "unnamed port");
	cr_expect_eq(svc.ports[0].proto, IPPROTO_TCP, "no protocol: TCP");
	cr_expect_eq(svc.ports[0].node_port, 0, "no nodePort");
	cr_expect_not(svc.affinity, "no sessionAffinity: None");
	cr_expect_eq(svc.affinity_timeout, K8S_AFFINITY_TIMEOUT_DEFAULT,
		     "no sessionAffinityConfig: the API default timeout");
	cr_expect_not(svc.etp_local, "no externalTrafficPolicy: Cluster");
	cr_expect_not(svc.itp_local, "no internalTrafficPolicy: Cluster");
	cr_expect_eq(svc.n_external_ips + svc.n_lb_ips, 0, "no external or ingress addresses");
}

Test(k8s_service, headless_has_no_cluster_ip)
{
	load(FX_SERVICE_MINIMAL_JSON);
	edit("/spec/clusterIP", "\"None\"");
	edit("/spec/clusterIPs", "[\"None\"]");
	parse_service_ok("headless");
	cr_expect(svc.headless, "clusterIP None is headless");
	cr_expect_eq(svc.n_cluster_ips, 0, "headless: no cluster IP");
}

Test(k8s_service, dual_stack_ipv6_primary_keeps_the_ipv4_address)
{
	load(FX_SERVICE_JSON);
	edit("/spec/clusterIP", "\"fd00:10:96::a\"");
	edit("/spec/clusterIPs", "[\"fd00:10:96::a\", \"10.96.0.10\"]");
	edit("/spec/ipFamilies", "[\"IPv6\", \"IPv4\"]");
	parse_service_ok("IPv6-primary dual stack");
	cr_assert_eq(svc.n_cluster_ips, 1, "the IPv4 second address is kept");
	expect_ip(svc.cluster_ips[0], "10.96.0.10", "clusterIPs[1]");
}

Test(k8s_service, ipv6_single_stack_has_no_ipv4_frontend_address)
{
	load(FX_SERVICE_JSON);
	edit("/spec/clusterIP", "\"fd00:10:96::a\"");
	edit("/spec/clusterIPs", "[\"fd00:10:96::a\"]");
	parse_service_ok("IPv6 single stack");
	cr_expect_eq(svc.n_cluster_ips, 0, "no IPv4 cluster IP");
	cr_expect_not(svc.headless, "IPv6 only is not headless");
}

Test(k8s_service, unallocated_cluster_ip_is_accepted_without_address)
{
	load(FX_SERVICE_MINIMAL_JSON);
	edit("/spec/clusterIP", "\"\"");
	parse_service_ok("empty clusterIP");
	cr_expect_eq(svc.n_cluster_ips, 0, "no address yet");
}

Test(k8s_service, external_name)
{
	load("{ \"apiVersion\": \"v1\", \"kind\": \"Service\","
	     "  \"metadata\": { \"name\": \"db\", \"namespace\": \"shop\" },"
	     "  \"spec\": { \"type\": \"ExternalName\", \"externalName\": \"db.example.com\","
	     "    \"ports\": [ { \"port\": 5432 } ] } }");
	parse_service_ok("ExternalName");
	cr_expect_eq(svc.type, K8S_SVC_EXTERNAL_NAME, "spec.type ExternalName");
	cr_expect_eq(svc.n_cluster_ips, 0, "no cluster IP");
}

Test(k8s_service, node_port_type_and_local_internal_policy)
{
	load(FX_SERVICE_JSON);
	edit("/spec/type", "\"NodePort\"");
	edit("/spec/internalTrafficPolicy", "\"Local\"");
	edit("/spec/externalTrafficPolicy", "\"Cluster\"");
	edit("/spec/sessionAffinity", "\"None\"");
	parse_service_ok("NodePort");
	cr_expect_eq(svc.type, K8S_SVC_NODE_PORT, "spec.type NodePort");
	cr_expect(svc.itp_local, "internalTrafficPolicy Local");
	cr_expect_not(svc.etp_local, "externalTrafficPolicy Cluster");
	cr_expect_not(svc.affinity, "sessionAffinity None");
}

Test(k8s_service, affinity_timeout_bounds_and_default)
{
	static const long accepted[] = { 1, K8S_AFFINITY_TIMEOUT_MAX };
	char num[24];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(accepted); i++) {
		load(FX_SERVICE_JSON);
		snprintf(num, sizeof(num), "%ld", accepted[i]);
		edit("/spec/sessionAffinityConfig/clientIP/timeoutSeconds", num);
		parse_service_ok("timeoutSeconds at a bound");
		cr_expect_eq(svc.affinity_timeout, accepted[i], "timeoutSeconds %ld kept",
			     accepted[i]);
	}
	load(FX_SERVICE_JSON);
	edit("/spec/sessionAffinityConfig", NULL);
	parse_service_ok("ClientIP without sessionAffinityConfig");
	cr_expect_eq(svc.affinity_timeout, K8S_AFFINITY_TIMEOUT_DEFAULT,
		     "ClientIP without a config: 10800 s");
}

Test(k8s_service, null_lists_are_empty)
{
	load(FX_SERVICE_JSON);
	edit("/spec/externalIPs", "null");
	edit("/spec/ports", "null");
	edit("/status/loadBalancer/ingress", "null");
	parse_service_ok("null lists");
	cr_expect_eq(svc.n_external_ips + svc.n_ports + svc.n_lb_ips, 0, "null lists hold nothing");
}

/* Makes spec.ports hold n distinct TCP ports. */
static void set_ports(unsigned int n)
{
	cJSON *ports = cJSON_CreateArray();
	unsigned int i;

	for (i = 0; i < n; i++) {
		cJSON *p = cJSON_CreateObject();
		char name[16];

		snprintf(name, sizeof(name), "p%u", i);
		cJSON_AddStringToObject(p, "name", name);
		cJSON_AddNumberToObject(p, "port", 1000 + i);
		cJSON_AddItemToArray(ports, p);
	}
	cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "spec"),
					       "ports", ports);
}

Test(k8s_service, port_count_limit)
{
	load(FX_SERVICE_JSON);
	set_ports(K8S_SVC_MAX_PORTS);
	parse_service_ok("as many ports as allowed");
	cr_expect_eq(svc.n_ports, K8S_SVC_MAX_PORTS, "all %d ports kept", K8S_SVC_MAX_PORTS);
	load(FX_SERVICE_JSON);
	set_ports(K8S_SVC_MAX_PORTS + 1);
	k8s_service_free(&svc);
	cr_expect_eq(k8s_service_parse(doc, &svc, why, sizeof(why)), -EINVAL,
		     "one port too many: refused");
	cr_expect(why_names(why, "spec.ports"), "one port too many: why names spec.ports: %s",
		  why);
}

/* Makes spec.externalIPs hold n distinct IPv4 addresses. */
static void set_external_ips(unsigned int n)
{
	cJSON *ips = cJSON_CreateArray();
	unsigned int i;

	for (i = 0; i < n; i++) {
		char ip[INET_ADDRSTRLEN];

		snprintf(ip, sizeof(ip), "192.0.2.%u", i + 1);
		cJSON_AddItemToArray(ips, cJSON_CreateString(ip));
	}
	cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "spec"),
					       "externalIPs", ips);
}

Test(k8s_service, address_count_limit)
{
	load(FX_SERVICE_JSON);
	set_external_ips(K8S_SVC_MAX_IPS);
	parse_service_ok("as many external IPs as kept");
	cr_expect_eq(svc.n_external_ips, K8S_SVC_MAX_IPS, "all %d kept", K8S_SVC_MAX_IPS);
	load(FX_SERVICE_JSON);
	set_external_ips(K8S_SVC_MAX_IPS + 1);
	k8s_service_free(&svc);
	cr_expect_eq(k8s_service_parse(doc, &svc, why, sizeof(why)), -EINVAL,
		     "one external IP too many: refused");
	cr_expect(why_names(why, "spec.externalIPs"),
		  "one external IP too many: why names spec.externalIPs: %s", why);
}

/* Sets metadata.name to n characters. */
static void set_name_of_length(size_t n)
{
	char *name = malloc(n + 1);

	cr_assert_not_null(name, "setup: room for a %zu-character name", n);
	memset(name, 'a', n);
	name[n] = '\0';
	cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "metadata"),
					       "name", cJSON_CreateString(name));
	free(name);
}

Test(k8s_service, name_length)
{
	load(FX_SERVICE_JSON);
	set_name_of_length(NAME_API_MAX);
	parse_service_ok("the longest name the API allows");
	cr_expect_eq(strlen(svc.name), NAME_API_MAX, "a %d-character name kept whole",
		     NAME_API_MAX);
	/* One character more than the fixed field holds: refused, never cut. */
	load(FX_SERVICE_JSON);
	set_name_of_length(SLUICE_K8S_NAME_LEN);
	k8s_service_free(&svc);
	cr_expect_eq(k8s_service_parse(doc, &svc, why, sizeof(why)), -EINVAL,
		     "a %d-character name: refused", SLUICE_K8S_NAME_LEN);
	cr_expect(why_names(why, "metadata.name"), "long name: why names metadata.name: %s", why);
}

/* ---- Services refused ---- */

struct json_edit {
	const char *ptr;	/* JSON Pointer into the fixture */
	const char *value;	/* JSON text; NULL deletes */
};

struct bad_case {
	const char *desc;
	struct json_edit edits[EDITS_MAX];
	const char *field;	/* what why must name, as the API reference spells it */
};

static const struct bad_case svc_bad[] = {
	{ "no metadata.name", { { "/metadata/name", NULL } }, "metadata.name" },
	{ "empty metadata.name", { { "/metadata/name", "\"\"" } }, "metadata.name" },
	{ "metadata.name a number", { { "/metadata/name", "7" } }, "metadata.name" },
	{ "metadata.namespace a list", { { "/metadata/namespace", "[\"shop\"]" } },
	  "metadata.namespace" },
	{ "unknown spec.type", { { "/spec/type", "\"Ingress\"" } }, "spec.type" },
	{ "spec.type in the wrong case", { { "/spec/type", "\"loadbalancer\"" } }, "spec.type" },
	{ "spec.type a number", { { "/spec/type", "3" } }, "spec.type" },
	{ "spec.clusterIP out of range",
	  { { "/spec/clusterIP", "\"10.96.0.256\"" }, { "/spec/clusterIPs", NULL } },
	  "spec.clusterIP" },
	{ "spec.clusterIP a name",
	  { { "/spec/clusterIP", "\"kube-dns\"" }, { "/spec/clusterIPs", NULL } },
	  "spec.clusterIP" },
	{ "spec.clusterIP a number", { { "/spec/clusterIP", "167772170" } }, "spec.clusterIP" },
	{ "spec.clusterIPs not a list", { { "/spec/clusterIPs", "\"10.96.0.10\"" } },
	  "spec.clusterIPs" },
	{ "spec.clusterIPs with three octets", { { "/spec/clusterIPs/0", "\"10.96.0\"" } },
	  "spec.clusterIPs" },
	{ "spec.clusterIPs with a number", { { "/spec/clusterIPs/0", "10" } },
	  "spec.clusterIPs" },
	/* Anything with a colon passes for IPv6 and is skipped unchecked. */
	{ "spec.clusterIPs with a bad IPv6 address",
	  { { "/spec/clusterIPs/1", "\"fd00:10:96::zz\"" } }, "spec.clusterIPs" },
	{ "spec.clusterIP with a port",
	  { { "/spec/clusterIP", "\"10.96.0.10:80\"" }, { "/spec/clusterIPs", NULL } },
	  "spec.clusterIP" },
	{ "spec.ports not a list", { { "/spec/ports", "{ \"port\": 80 }" } }, "spec.ports" },
	{ "port 0", { { "/spec/ports/0/port", "0" } }, "spec.ports[].port" },
	{ "port 70000", { { "/spec/ports/0/port", "70000" } }, "spec.ports[].port" },
	{ "port \"x\"", { { "/spec/ports/0/port", "\"x\"" } }, "spec.ports[].port" },
	{ "port 80.5", { { "/spec/ports/0/port", "80.5" } }, "spec.ports[].port" },
	{ "no port", { { "/spec/ports/0/port", NULL } }, "spec.ports[].port" },
	{ "nodePort 70000", { { "/spec/ports/0/nodePort", "70000" } }, "spec.ports[].nodePort" },
	{ "unknown protocol", { { "/spec/ports/0/protocol", "\"ICMP\"" } },
	  "spec.ports[].protocol" },
	{ "port name a number", { { "/spec/ports/0/name", "80" } }, "spec.ports[].name" },
	{ "targetPort 0", { { "/spec/ports/0/targetPort", "0" } }, "spec.ports[].targetPort" },
	{ "targetPort 70000", { { "/spec/ports/0/targetPort", "70000" } },
	  "spec.ports[].targetPort" },
	{ "targetPort an empty name", { { "/spec/ports/1/targetPort", "\"\"" } },
	  "spec.ports[].targetPort" },
	{ "targetPort a bool", { { "/spec/ports/0/targetPort", "true" } },
	  "spec.ports[].targetPort" },
	{ "unknown sessionAffinity", { { "/spec/sessionAffinity", "\"Cookie\"" } },
	  "spec.sessionAffinity" },
	{ "timeoutSeconds 0", { { "/spec/sessionAffinityConfig/clientIP/timeoutSeconds", "0" } },
	  "spec.sessionAffinityConfig.clientIP.timeoutSeconds" },
	{ "timeoutSeconds 86401",
	  { { "/spec/sessionAffinityConfig/clientIP/timeoutSeconds", "86401" } },
	  "spec.sessionAffinityConfig.clientIP.timeoutSeconds" },
	{ "timeoutSeconds a string",
	  { { "/spec/sessionAffinityConfig/clientIP/timeoutSeconds", "\"600\"" } },
	  "spec.sessionAffinityConfig.clientIP.timeoutSeconds" },
	{ "unknown externalTrafficPolicy", { { "/spec/externalTrafficPolicy", "\"Global\"" } },
	  "spec.externalTrafficPolicy" },
	{ "externalTrafficPolicy in the wrong case",
	  { { "/spec/externalTrafficPolicy", "\"local\"" } }, "spec.externalTrafficPolicy" },
	{ "unknown internalTrafficPolicy", { { "/spec/internalTrafficPolicy", "\"Node\"" } },
	  "spec.internalTrafficPolicy" },
	{ "spec.externalIPs not a list", { { "/spec/externalIPs", "\"192.0.2.10\"" } },
	  "spec.externalIPs" },
	{ "spec.externalIPs out of range", { { "/spec/externalIPs/0", "\"192.0.2.300\"" } },
	  "spec.externalIPs" },
	{ "spec.externalIPs with an object",
	  { { "/spec/externalIPs/0", "{ \"ip\": \"192.0.2.10\" }" } }, "spec.externalIPs" },
	{ "spec.externalIPs with a port", { { "/spec/externalIPs/0", "\"192.0.2.10:80\"" } },
	  "spec.externalIPs" },
	{ "ingress not a list",
	  { { "/status/loadBalancer/ingress", "{ \"ip\": \"203.0.113.7\" }" } },
	  "status.loadBalancer.ingress" },
	{ "ingress ip out of range",
	  { { "/status/loadBalancer/ingress/0/ip", "\"203.0.113.256\"" } },
	  "status.loadBalancer.ingress[].ip" },
	{ "ingress ip a number", { { "/status/loadBalancer/ingress/0/ip", "7" } },
	  "status.loadBalancer.ingress[].ip" },
	{ "ingress ip with a port",
	  { { "/status/loadBalancer/ingress/0/ip", "\"203.0.113.7:443\"" } },
	  "status.loadBalancer.ingress[].ip" },
};

static size_t svc_bad_idx[ARRAY_SIZE(svc_bad)];

static struct criterion_test_params case_params(size_t *idx, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		idx[i] = i;
	return cr_make_param_array(size_t, idx, n);
}

ParameterizedTestParameters(k8s_service, refuses_bad_field)
{
	return case_params(svc_bad_idx, ARRAY_SIZE(svc_bad));
}

static void apply_edits(const struct bad_case *c)
{
	size_t e;

	for (e = 0; e < EDITS_MAX && c->edits[e].ptr; e++)
		edit(c->edits[e].ptr, c->edits[e].value);
}

ParameterizedTest(size_t *i, k8s_service, refuses_bad_field)
{
	const struct bad_case *c = &svc_bad[*i];
	int err;

	load(FX_SERVICE_JSON);
	apply_edits(c);
	k8s_service_free(&svc);
	err = k8s_service_parse(doc, &svc, why, sizeof(why));
	cr_assert_eq(err, -EINVAL, "%s: refused with -EINVAL (got %d)", c->desc, err);
	cr_expect(why_names(why, c->field), "%s: why names %s, got \"%s\"", c->desc, c->field,
		  why);
}

/* ---- EndpointSlices that parse ---- */

static void expect_endpoint(unsigned int i, const char *addr, bool ready, bool serving,
			    bool terminating, const char *node)
{
	const struct k8s_endpoint *ep = &es.endpoints[i];
	char step[48];

	snprintf(step, sizeof(step), "endpoints[%u]", i);
	expect_ip(ep->addr, addr, step);
	cr_expect_eq(ep->ready, ready, "%s: ready", step);
	cr_expect_eq(ep->serving, serving, "%s: serving", step);
	cr_expect_eq(ep->terminating, terminating, "%s: terminating", step);
	cr_expect_str_eq(ep->node_name, node, "%s: nodeName", step);
}

Test(k8s_endpointslice, full_api_shape)
{
	load(FX_SLICE_JSON);
	parse_slice_ok("full slice");
	cr_expect_str_eq(es.ns, "shop", "metadata.namespace");
	cr_expect_str_eq(es.name, "web-x7k2p", "metadata.name");
	cr_expect_str_eq(es.service, "web", "kubernetes.io/service-name label");
	cr_expect(es.ipv4, "addressType IPv4");
	cr_assert_eq(es.n_endpoints, 5, "every endpoint parsed");
	expect_endpoint(0, "10.244.1.5", true, true, false, "node-a");
	expect_endpoint(1, "10.244.2.6", false, true, true, "node-b");
	expect_endpoint(2, "10.244.2.7", false, false, true, "node-b");
	/* null: ready reads as true, serving as ready, terminating as false (API reference). */
	expect_endpoint(3, "10.244.3.8", true, true, false, "node-c");
	/* No conditions and two addresses: the first address, the same defaults. */
	expect_endpoint(4, "10.244.3.9", true, true, false, "");
	cr_assert_eq(es.n_ports, 2, "ports without a number (any port) are left out");
	cr_expect_str_eq(es.ports[0].name, "http", "ports[0].name");
	cr_expect_eq(es.ports[0].proto, IPPROTO_TCP, "ports[0].protocol");
	cr_expect_eq(es.ports[0].port, 8080, "ports[0].port");
	cr_expect_str_eq(es.ports[1].name, "dns", "ports[1].name");
	cr_expect_eq(es.ports[1].proto, IPPROTO_UDP, "ports[1].protocol");
	cr_expect_eq(es.ports[1].port, 5353, "ports[1].port");
}

Test(k8s_endpointslice, null_ready_defers_serving_to_ready)
{
	load(FX_SLICE_JSON);
	edit("/endpoints/3/conditions", "{ \"ready\": false, \"serving\": null }");
	parse_slice_ok("serving null, ready false");
	cr_expect_not(es.endpoints[3].serving, "serving null follows ready false");
	cr_expect_not(es.endpoints[3].terminating, "terminating absent: false");
}

Test(k8s_endpointslice, ipv6_slice_is_kept_but_not_ipv4)
{
	load(FX_SLICE_JSON);
	edit("/metadata/name", "\"web-v6\"");
	edit("/addressType", "\"IPv6\"");
	edit("/endpoints", "[ { \"addresses\": [\"fd00:10:244:1::5\"],"
	     "  \"conditions\": { \"ready\": true }, \"nodeName\": \"node-a\" } ]");
	parse_slice_ok("IPv6 slice");
	cr_expect_not(es.ipv4, "addressType IPv6 is not IPv4");
	cr_expect_eq(es.n_endpoints, 1, "its endpoint is parsed");
	cr_expect_str_eq(es.service, "web", "its service is known");
}

Test(k8s_endpointslice, fqdn_slice)
{
	load(FX_SLICE_JSON);
	edit("/addressType", "\"FQDN\"");
	edit("/endpoints", "[ { \"addresses\": [\"web-1.example.com\"] } ]");
	parse_slice_ok("FQDN slice");
	cr_expect_not(es.ipv4, "addressType FQDN is not IPv4");
	cr_expect_eq(es.n_endpoints, 1, "its endpoint is parsed");
}

Test(k8s_endpointslice, without_service_label_or_endpoints)
{
	load(FX_SLICE_JSON);
	edit("/metadata/labels", NULL);
	edit("/metadata/namespace", NULL);
	edit("/endpoints", "null");
	edit("/ports", "[]");
	parse_slice_ok("bare slice");
	cr_expect_str_eq(es.service, "", "no label: no service");
	cr_expect_str_eq(es.ns, "default", "no namespace: default");
	cr_expect_eq(es.n_endpoints, 0, "endpoints null: none");
	cr_expect_eq(es.n_ports, 0, "ports empty: none");
}

/* Makes endpoints hold n ready endpoints. */
static void set_endpoints(unsigned int n)
{
	cJSON *list = cJSON_CreateArray();
	unsigned int i;

	for (i = 0; i < n; i++) {
		cJSON *ep = cJSON_CreateObject(), *addrs = cJSON_AddArrayToObject(ep, "addresses");
		char ip[INET_ADDRSTRLEN];

		snprintf(ip, sizeof(ip), "10.244.%u.%u", i / 250, i % 250 + 2);
		cJSON_AddItemToArray(addrs, cJSON_CreateString(ip));
		cJSON_AddItemToArray(list, ep);
	}
	cJSON_ReplaceItemInObjectCaseSensitive(doc, "endpoints", list);
}

Test(k8s_endpointslice, endpoint_count_limit)
{
	load(FX_SLICE_JSON);
	set_endpoints(SLICE_ENDPOINTS_MAX);
	parse_slice_ok("as many endpoints as the API allows");
	cr_expect_eq(es.n_endpoints, SLICE_ENDPOINTS_MAX, "all kept");
	k8s_endpointslice_free(&es);
	load(FX_SLICE_JSON);
	set_endpoints(SLICE_ENDPOINTS_MAX + 1);
	cr_expect_eq(k8s_endpointslice_parse(doc, &es, why, sizeof(why)), -EINVAL,
		     "one endpoint too many: refused");
	cr_expect(why_names(why, "endpoints"), "one too many: why names endpoints: %s", why);
}

/* ---- EndpointSlices refused ---- */

static const struct bad_case slice_bad[] = {
	{ "no metadata.name", { { "/metadata/name", NULL } }, "metadata.name" },
	{ "no addressType", { { "/addressType", NULL } }, "addressType" },
	{ "unknown addressType", { { "/addressType", "\"IP\"" } }, "addressType" },
	{ "addressType a number", { { "/addressType", "4" } }, "addressType" },
	/* A bad label must not silently untie the slice from its service. */
	{ "service-name label a number",
	  { { "/metadata/labels/kubernetes.io~1service-name", "7" } },
	  "metadata.labels[" K8S_LABEL_SERVICE_NAME "]" },
	{ "endpoints not a list", { { "/endpoints", "{}" } }, "endpoints" },
	{ "endpoint without addresses", { { "/endpoints/0/addresses", NULL } },
	  "endpoints[].addresses" },
	{ "endpoint with no address", { { "/endpoints/0/addresses", "[]" } },
	  "endpoints[].addresses" },
	{ "addresses not a list", { { "/endpoints/0/addresses", "\"10.244.1.5\"" } },
	  "endpoints[].addresses" },
	{ "addresses with a number", { { "/endpoints/0/addresses", "[167772165]" } },
	  "endpoints[].addresses" },
	{ "IPv6 address in an IPv4 slice", { { "/endpoints/0/addresses/0", "\"fd00::5\"" } },
	  "endpoints[].addresses" },
	{ "name in an IPv4 slice", { { "/endpoints/0/addresses/0", "\"web-1.shop\"" } },
	  "endpoints[].addresses" },
	{ "three octets in an IPv4 slice", { { "/endpoints/0/addresses/0", "\"10.244.1\"" } },
	  "endpoints[].addresses" },
	{ "ready a string", { { "/endpoints/0/conditions/ready", "\"true\"" } },
	  "endpoints[].conditions.ready" },
	{ "serving a number", { { "/endpoints/0/conditions/serving", "1" } },
	  "endpoints[].conditions.serving" },
	{ "terminating a string", { { "/endpoints/0/conditions/terminating", "\"no\"" } },
	  "endpoints[].conditions.terminating" },
	{ "nodeName a number", { { "/endpoints/0/nodeName", "7" } }, "endpoints[].nodeName" },
	{ "ports not a list", { { "/ports", "{}" } }, "ports" },
	{ "port 70000", { { "/ports/0/port", "70000" } }, "ports[].port" },
	{ "port \"x\"", { { "/ports/0/port", "\"x\"" } }, "ports[].port" },
	{ "unknown protocol", { { "/ports/0/protocol", "\"ICMP\"" } }, "ports[].protocol" },
	{ "port name a number", { { "/ports/0/name", "8080" } }, "ports[].name" },
};

static size_t slice_bad_idx[ARRAY_SIZE(slice_bad)];

ParameterizedTestParameters(k8s_endpointslice, refuses_bad_field)
{
	return case_params(slice_bad_idx, ARRAY_SIZE(slice_bad));
}

ParameterizedTest(size_t *i, k8s_endpointslice, refuses_bad_field)
{
	const struct bad_case *c = &slice_bad[*i];
	int err;

	load(FX_SLICE_JSON);
	apply_edits(c);
	err = k8s_endpointslice_parse(doc, &es, why, sizeof(why));
	cr_assert_eq(err, -EINVAL, "%s: refused with -EINVAL (got %d)", c->desc, err);
	cr_expect_null(es.endpoints, "%s: nothing left allocated", c->desc);
	cr_expect(why_names(why, c->field), "%s: why names %s, got \"%s\"", c->desc, c->field,
		  why);
}
