// SPDX-License-Identifier: Apache-2.0
/*
 * NetworkPolicy semantics, computed: isolation, peers (pods, namespaces,
 * both, ipBlock with except), ports (numbers, names, endPort ranges,
 * protocols), unions, implied policy types, identities.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/compute.h"
#include "policy/identity.h"

/* Pods, namespaces and policies a test may add at most. */
#define FX_MAX 16
/* Identity numbers the tests allocate from. */
#define FX_ID_LIMIT 65536

static struct pol_model m;
static struct id_allocator ids;

static void fx_init(void)
{
	memset(&m, 0, sizeof(m));
	m.pods = calloc(FX_MAX, sizeof(*m.pods));
	m.nss = calloc(FX_MAX, sizeof(*m.nss));
	m.policies = calloc(FX_MAX, sizeof(*m.policies));
	id_allocator_init(&ids, FX_ID_LIMIT);
}

static void fx_fini(void)
{
	size_t i;

	for (i = 0; i < m.n_pods; i++) {
		labels_free(&m.pods[i].labels);
		free(m.pods[i].ports);
	}
	for (i = 0; i < m.n_nss; i++)
		labels_free(&m.nss[i].labels);
	for (i = 0; i < m.n_policies; i++)
		netpol_free(&m.policies[i]);
	pol_identities_free(&m);
	free(m.pods);
	free(m.nss);
	free(m.policies);
	id_allocator_free(&ids);
}

TestSuite(policy, .init = fx_init, .fini = fx_fini);

static struct labels labels_of(const char *json)
{
	cJSON *o = cJSON_Parse(json);
	struct labels l;

	cr_assert_eq(labels_from_json(o, &l), 0, "labels %s", json);
	cJSON_Delete(o);
	return l;
}

static void ns(const char *name, const char *labels)
{
	struct pol_namespace *n = &m.nss[m.n_nss++];

	strcpy(n->name, name);
	n->labels = labels_of(labels);
}

/* ports: "name/proto/port;..." with proto 6 or 17. */
static size_t pod(const char *nsname, const char *name, const char *labels, const char *ip,
		  const char *ports)
{
	struct pol_pod *p = &m.pods[m.n_pods];
	char buf[128], *save = NULL, *tok;

	strcpy(p->ns, nsname);
	strcpy(p->name, name);
	p->labels = labels_of(labels);
	inet_pton(AF_INET, ip, &p->ip);
	p->ports = calloc(FX_MAX, sizeof(*p->ports));
	strcpy(buf, ports ? ports : "");
	for (tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		struct pol_container_port *cp = &p->ports[p->n_ports++];
		unsigned int proto, port;

		cr_assert_eq(sscanf(tok, "%15[^/]/%u/%u", cp->name, &proto, &port), 3, "port %s", tok);
		cp->proto = (uint8_t)proto;
		cp->port = (uint16_t)port;
	}
	return m.n_pods++;
}

static void policy(const char *json)
{
	cJSON *o = cJSON_Parse(json);
	char why[256] = "";

	cr_assert_not_null(o, "policy JSON: %s", json);
	cr_assert_eq(netpol_parse(o, &m.policies[m.n_policies], why, sizeof(why)), 0,
		     "policy %s: %s", json, why);
	m.n_policies++;
	cJSON_Delete(o);
}

static void build(void)
{
	cr_assert_eq(pol_assign_identities(&m, &ids), 0, "identities");
}

enum dir { IN, OUT };

/*
 * Would traffic between pod `self` and peer identity `peer` on proto/port
 * pass in direction d? True when the direction is not isolated.
 */
static bool allows(size_t self, enum dir d, uint32_t peer, uint8_t proto, uint16_t port)
{
	struct pol_result r;
	const struct pol_entries *es;
	bool isolated, ok = false;
	size_t i;

	cr_assert_eq(pol_compute(&m, self, &r), 0, "compute");
	isolated = d == IN ? r.ingress : r.egress;
	es = d == IN ? &r.in : &r.out;
	for (i = 0; i < es->n && !ok; i++) {
		const struct pol_entry *e = &es->items[i];

		ok = (e->identity == IDENTITY_ANY || e->identity == peer) &&
		     (e->proto == POL_PROTO_ANY || e->proto == proto) && e->lo <= port &&
		     port <= e->hi;
	}
	pol_result_free(&r);
	return !isolated || ok;
}

#define TCP 6
#define UDP 17
#define SCTP 132

static uint32_t id_of(size_t p)
{
	return m.pods[p].identity;
}

/* The identity an address outside every pod would get: its longest policy CIDR's. */
static uint32_t id_of_ip(const char *ip)
{
	struct np_cidr host = { .prefix = 32 };
	uint32_t best = IDENTITY_WORLD;
	int best_len = -1;
	size_t i;

	inet_pton(AF_INET, ip, &host.addr);
	for (i = 0; i < m.n_ids; i++)
		if (m.ids[i].kind == POL_ID_CIDR && np_cidr_contains(&m.ids[i].prefix, &host) &&
		    m.ids[i].prefix.prefix > best_len) {
			best = m.ids[i].id;
			best_len = m.ids[i].prefix.prefix;
		}
	return best;
}

Test(policy, no_policy_is_open)
{
	size_t a, b;

	ns("x", "{}");
	a = pod("x", "a", "{\"app\":\"a\"}", "10.244.0.1", NULL);
	b = pod("x", "b", "{\"app\":\"b\"}", "10.244.0.2", NULL);
	build();
	cr_expect(allows(a, IN, id_of(b), TCP, 80), "ingress open");
	cr_expect(allows(a, OUT, id_of(b), UDP, 53), "egress open");
}

Test(policy, default_deny_ingress_keeps_host)
{
	size_t a, b;

	ns("x", "{}");
	a = pod("x", "a", "{\"app\":\"a\"}", "10.244.0.1", NULL);
	b = pod("x", "b", "{}", "10.244.0.2", NULL);
	policy("{\"metadata\":{\"name\":\"deny\",\"namespace\":\"x\"},"
	       "\"spec\":{\"podSelector\":{},\"policyTypes\":[\"Ingress\"]}}");
	build();
	cr_expect(!allows(a, IN, id_of(b), TCP, 80), "ingress from a pod denied");
	cr_expect(allows(a, IN, IDENTITY_HOST, TCP, 80), "the node still reaches the pod");
	cr_expect(allows(a, OUT, id_of(b), TCP, 80), "egress untouched");
}

Test(policy, default_deny_egress)
{
	size_t a, b;

	ns("x", "{}");
	a = pod("x", "a", "{}", "10.244.0.1", NULL);
	b = pod("x", "b", "{}", "10.244.0.2", NULL);
	policy("{\"metadata\":{\"name\":\"deny\",\"namespace\":\"x\"},"
	       "\"spec\":{\"podSelector\":{},\"policyTypes\":[\"Egress\"]}}");
	build();
	cr_expect(!allows(a, OUT, id_of(b), TCP, 80), "egress denied");
	cr_expect(!allows(a, OUT, IDENTITY_WORLD, UDP, 53), "egress to the world denied");
	cr_expect(allows(a, IN, id_of(b), TCP, 80), "ingress untouched");
}

Test(policy, same_namespace_and_other_namespaces)
{
	size_t a, b, c;

	ns("x", "{\"ns\":\"x\"}");
	ns("y", "{\"ns\":\"y\"}");
	a = pod("x", "a", "{\"app\":\"a\"}", "10.244.0.1", NULL);
	b = pod("x", "b", "{\"app\":\"b\"}", "10.244.0.2", NULL);
	c = pod("y", "c", "{\"app\":\"b\"}", "10.244.0.3", NULL);
	policy("{\"metadata\":{\"name\":\"same-ns\",\"namespace\":\"x\"},\"spec\":{"
	       "\"podSelector\":{\"matchLabels\":{\"app\":\"a\"}},"
	       "\"ingress\":[{\"from\":[{\"podSelector\":{}}]}]}}");
	build();
	cr_expect(allows(a, IN, id_of(b), TCP, 80), "a pod of the same namespace");
	cr_expect(!allows(a, IN, id_of(c), TCP, 80), "a pod of another namespace with the same labels");
	cr_expect(allows(b, IN, id_of(c), TCP, 80), "a pod the policy does not select stays open");
}

Test(policy, namespace_selector_and_pod_plus_namespace_and)
{
	size_t a, yb, yc, zb;

	ns("x", "{\"ns\":\"x\"}");
	ns("y", "{\"ns\":\"y\",\"team\":\"blue\"}");
	ns("z", "{\"ns\":\"z\"}");
	a = pod("x", "a", "{\"app\":\"a\"}", "10.244.0.1", NULL);
	yb = pod("y", "b", "{\"app\":\"b\"}", "10.244.0.2", NULL);
	yc = pod("y", "c", "{\"app\":\"c\"}", "10.244.0.3", NULL);
	zb = pod("z", "b", "{\"app\":\"b\"}", "10.244.0.4", NULL);
	/* One peer with both selectors: pods labelled b in blue namespaces. */
	policy("{\"metadata\":{\"name\":\"and\",\"namespace\":\"x\"},\"spec\":{"
	       "\"podSelector\":{},\"ingress\":[{\"from\":[{"
	       "\"namespaceSelector\":{\"matchLabels\":{\"team\":\"blue\"}},"
	       "\"podSelector\":{\"matchLabels\":{\"app\":\"b\"}}}]}]}}");
	build();
	cr_expect(allows(a, IN, id_of(yb), TCP, 80), "b in a blue namespace");
	cr_expect(!allows(a, IN, id_of(yc), TCP, 80), "c in a blue namespace");
	cr_expect(!allows(a, IN, id_of(zb), TCP, 80), "b in another namespace");
}

Test(policy, separate_peers_are_or)
{
	size_t a, yc, zb;

	ns("x", "{}");
	ns("y", "{\"team\":\"blue\"}");
	ns("z", "{}");
	a = pod("x", "a", "{}", "10.244.0.1", NULL);
	yc = pod("y", "c", "{\"app\":\"c\"}", "10.244.0.3", NULL);
	zb = pod("z", "b", "{\"app\":\"b\"}", "10.244.0.4", NULL);
	/* Two peers: every pod of blue namespaces, or pods labelled b in x itself. */
	policy("{\"metadata\":{\"name\":\"or\",\"namespace\":\"x\"},\"spec\":{"
	       "\"podSelector\":{},\"ingress\":[{\"from\":["
	       "{\"namespaceSelector\":{\"matchLabels\":{\"team\":\"blue\"}}},"
	       "{\"podSelector\":{\"matchLabels\":{\"app\":\"b\"}}}]}]}}");
	build();
	cr_expect(allows(a, IN, id_of(yc), TCP, 80), "any pod of a blue namespace");
	cr_expect(!allows(a, IN, id_of(zb), TCP, 80), "b, but in z rather than x");
}

Test(policy, ip_block_with_except_covers_pods_and_outside)
{
	size_t a, in, ex;

	ns("x", "{}");
	a = pod("x", "a", "{}", "10.244.0.1", NULL);
	in = pod("x", "in", "{\"role\":\"c\"}", "10.244.1.5", NULL);
	ex = pod("x", "ex", "{\"role\":\"c\"}", "10.244.1.200", NULL);
	policy("{\"metadata\":{\"name\":\"cidr\",\"namespace\":\"x\"},\"spec\":{"
	       "\"podSelector\":{\"matchLabels\":{}},\"policyTypes\":[\"Egress\"],"
	       "\"egress\":[{\"to\":[{\"ipBlock\":{\"cidr\":\"10.244.1.0/24\","
	       "\"except\":[\"10.244.1.128/25\"]}},"
	       "{\"ipBlock\":{\"cidr\":\"192.0.2.0/24\"}}]}]}}");
	build();
	cr_expect_neq(id_of(in), id_of(ex),
		      "alike pods on either side of an except get different identities");
	cr_expect(allows(a, OUT, id_of(in), TCP, 80), "a pod inside the cidr");
	cr_expect(!allows(a, OUT, id_of(ex), TCP, 80), "a pod inside the except");
	cr_expect(allows(a, OUT, id_of_ip("192.0.2.7"), UDP, 53), "an outside address in a cidr");
	cr_expect(!allows(a, OUT, id_of_ip("198.51.100.1"), UDP, 53), "an outside address elsewhere");
	cr_expect_eq(id_of_ip("198.51.100.1"), IDENTITY_WORLD, "outside every cidr is the world");
}

Test(policy, ports_numbers_ranges_protocols)
{
	size_t a, b;

	ns("x", "{}");
	a = pod("x", "a", "{}", "10.244.0.1", NULL);
	b = pod("x", "b", "{}", "10.244.0.2", NULL);
	policy("{\"metadata\":{\"name\":\"ports\",\"namespace\":\"x\"},\"spec\":{"
	       "\"podSelector\":{},\"ingress\":[{\"ports\":["
	       "{\"port\":80},{\"protocol\":\"UDP\",\"port\":5000,\"endPort\":5010},"
	       "{\"protocol\":\"SCTP\"}]}]}}");
	build();
	cr_expect(allows(a, IN, id_of(b), TCP, 80), "TCP 80");
	cr_expect(!allows(a, IN, id_of(b), UDP, 80), "UDP 80: the protocol defaults to TCP");
	cr_expect(!allows(a, IN, id_of(b), TCP, 81), "TCP 81");
	cr_expect(allows(a, IN, id_of(b), UDP, 5000) && allows(a, IN, id_of(b), UDP, 5010),
		  "both ends of the endPort range");
	cr_expect(!allows(a, IN, id_of(b), UDP, 5011) && !allows(a, IN, id_of(b), UDP, 4999),
		  "outside the range");
	cr_expect(allows(a, IN, id_of(b), SCTP, 9), "a protocol without a port: all its ports");
}

Test(policy, named_ports_resolve_on_the_right_pod)
{
	size_t server, client, other;

	ns("x", "{}");
	server = pod("x", "server", "{\"app\":\"s\"}", "10.244.0.1", "http/6/8080;dns/17/53");
	client = pod("x", "client", "{\"app\":\"c\"}", "10.244.0.2", NULL);
	other = pod("x", "other", "{\"app\":\"o\"}", "10.244.0.3", "http/6/9090");
	policy("{\"metadata\":{\"name\":\"in\",\"namespace\":\"x\"},\"spec\":{"
	       "\"podSelector\":{\"matchLabels\":{\"app\":\"s\"}},"
	       "\"ingress\":[{\"ports\":[{\"port\":\"http\"}]}]}}");
	policy("{\"metadata\":{\"name\":\"out\",\"namespace\":\"x\"},\"spec\":{"
	       "\"podSelector\":{\"matchLabels\":{\"app\":\"c\"}},\"policyTypes\":[\"Egress\"],"
	       "\"egress\":[{\"ports\":[{\"port\":\"http\"}]}]}}");
	build();
	cr_expect(allows(server, IN, id_of(client), TCP, 8080), "ingress: the server's http port");
	cr_expect(!allows(server, IN, id_of(client), TCP, 9090), "not another pod's http port");
	cr_expect(!allows(server, IN, id_of(client), UDP, 8080), "the name's protocol only");
	cr_expect(allows(client, OUT, id_of(other), TCP, 9090),
		  "egress: the destination's own http port");
	cr_expect(allows(client, OUT, id_of(server), TCP, 8080), "egress to the server's http");
	cr_expect(!allows(client, OUT, id_of(other), TCP, 8080),
		  "egress: not a port only another pod names http");
}

Test(policy, policies_union_and_implied_types)
{
	size_t a, b, c;

	ns("x", "{}");
	a = pod("x", "a", "{\"app\":\"a\"}", "10.244.0.1", NULL);
	b = pod("x", "b", "{\"app\":\"b\"}", "10.244.0.2", NULL);
	c = pod("x", "c", "{\"app\":\"c\"}", "10.244.0.3", NULL);
	policy("{\"metadata\":{\"name\":\"from-b\",\"namespace\":\"x\"},\"spec\":{"
	       "\"podSelector\":{\"matchLabels\":{\"app\":\"a\"}},"
	       "\"ingress\":[{\"from\":[{\"podSelector\":{\"matchLabels\":{\"app\":\"b\"}}}]}]}}");
	policy("{\"metadata\":{\"name\":\"from-c\",\"namespace\":\"x\"},\"spec\":{"
	       "\"podSelector\":{\"matchLabels\":{\"app\":\"a\"}},"
	       "\"ingress\":[{\"from\":[{\"podSelector\":{\"matchLabels\":{\"app\":\"c\"}}}]}],"
	       "\"egress\":[{\"to\":[{\"podSelector\":{\"matchLabels\":{\"app\":\"b\"}}}]}]}}");
	build();
	cr_expect(allows(a, IN, id_of(b), TCP, 1) && allows(a, IN, id_of(c), TCP, 1),
		  "two policies selecting a pod combine as a union");
	cr_expect(allows(a, OUT, id_of(b), TCP, 1), "egress rules imply Egress");
	cr_expect(!allows(a, OUT, id_of(c), TCP, 1), "and isolate egress");
}

Test(policy, empty_rule_and_empty_list)
{
	size_t a, b, c, d;

	ns("x", "{}");
	a = pod("x", "a", "{\"app\":\"a\"}", "10.244.0.1", NULL);
	b = pod("x", "b", "{\"app\":\"b\"}", "10.244.0.2", NULL);
	c = pod("x", "c", "{\"app\":\"c\"}", "10.244.0.3", NULL);
	d = pod("x", "d", "{\"app\":\"d\"}", "10.244.0.4", NULL);
	/* ingress: [{}] allows everything; ingress: [] allows nothing. */
	policy("{\"metadata\":{\"name\":\"all\",\"namespace\":\"x\"},\"spec\":{"
	       "\"podSelector\":{\"matchLabels\":{\"app\":\"a\"}},\"ingress\":[{}]}}");
	policy("{\"metadata\":{\"name\":\"none\",\"namespace\":\"x\"},\"spec\":{"
	       "\"podSelector\":{\"matchLabels\":{\"app\":\"c\"}},\"ingress\":[]}}");
	build();
	cr_expect(allows(a, IN, id_of(b), UDP, 7), "an empty rule allows every peer and port");
	cr_expect(allows(a, IN, IDENTITY_WORLD, TCP, 443), "including the world");
	cr_expect(!allows(c, IN, id_of(d), TCP, 80), "an empty list allows nothing");
}

Test(policy, identities_are_shared_and_stable)
{
	size_t a1, a2, b;
	uint32_t first;

	ns("x", "{}");
	a1 = pod("x", "a1", "{\"app\":\"a\"}", "10.244.0.1", NULL);
	a2 = pod("x", "a2", "{\"app\":\"a\"}", "10.244.0.2", NULL);
	b = pod("x", "b", "{\"app\":\"b\"}", "10.244.0.3", NULL);
	build();
	cr_expect_eq(id_of(a1), id_of(a2), "alike pods share an identity");
	cr_expect_neq(id_of(a1), id_of(b), "different labels, different identity");
	cr_expect_geq(id_of(a1), IDENTITY_FIRST, "allocated above the reserved ones");
	first = id_of(b);
	id_allocator_begin(&ids);
	build();
	cr_expect_eq(id_of(b), first, "recomputing keeps identities");
}
