// SPDX-License-Identifier: Apache-2.0
/*
 * lb_frontends_build(): the frontends and backends a Service and its
 * EndpointSlices ask of this node, checked against README "Services" and
 * kube-proxy's rules. Services and slices are built field by field here, so
 * each test states exactly the input it is about; the last test runs the
 * API-shaped fixtures through the parsers and the builder together.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "k8s/fields.h"
#include "k8s/service.h"
#include "lb/frontends.h"
#include "k8s_json_fixtures.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* Slices, endpoints and ports one test builds at most. */
#define SLICES_MAX 4
#define ENDPOINTS_MAX 16
#define SLICE_PORTS_MAX 4
/* Backends one expectation lists at most. */
#define WANT_MAX 8

#define NODE_NAME "node-a"
#define OTHER_NODE "node-b"
#define NS "shop"
#define SVC_NAME "web"
#define CLUSTER_IP "10.96.0.10"
/* Documentation ranges (RFC 5737) for addresses outside the cluster. */
#define EXTERNAL_IP "192.0.2.10"
#define EXTERNAL_IP2 "192.0.2.11"
#define LB_IP "203.0.113.7"
#define NODE_IP "172.18.0.2"
#define NODE_IP2 "172.18.0.3"
/* Ports of the service and of its pods. */
#define HTTP_PORT 80
#define HTTP_TARGET 8080
#define DNS_PORT 53
#define DNS_TARGET 5353
#define NODE_PORT 30080
#define DNS_NODE_PORT 30053
#define AFFINITY_SECONDS 600

/* Everything under test is static: struct k8s_service is large, and Criterion forks. */
static struct k8s_service svc;
/* The ports svc_port() gives svc: a parsed Service's come from the heap. */
static struct k8s_svc_port svc_ports[K8S_SVC_MAX_PORTS];
static struct k8s_endpointslice slices[SLICES_MAX];
static struct k8s_endpoint endpoints[SLICES_MAX][ENDPOINTS_MAX];
static struct k8s_slice_port slice_ports[SLICES_MAX][SLICE_PORTS_MAX];
static size_t n_slices;
static struct in_addr node_addrs[2];
static struct lb_node node = { .name = NODE_NAME, .addrs = node_addrs };
static struct lb_frontends out;

static void teardown(void)
{
	lb_frontends_free(&out);
}

TestSuite(lb_frontends, .fini = teardown);

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	cr_assert_eq(inet_pton(AF_INET, s, &a), 1, "setup: %s is an IPv4 address", s);
	return a;
}

/* A service shop/web of type t with one cluster IP and no ports yet. */
static void svc_init(enum k8s_svc_type t)
{
	memset(&svc, 0, sizeof(svc));
	svc.ports = svc_ports;
	strcpy(svc.ns, NS);
	strcpy(svc.name, SVC_NAME);
	svc.type = t;
	svc.cluster_ips[svc.n_cluster_ips++] = ip(CLUSTER_IP);
	svc.affinity_timeout = K8S_AFFINITY_TIMEOUT_DEFAULT;
}

static void svc_port(const char *name, __u8 proto, __u16 port, __u16 node_port)
{
	struct k8s_svc_port *p = &svc.ports[svc.n_ports++];

	strcpy(p->name, name);
	p->proto = proto;
	p->port = port;
	p->node_port = node_port;
}

/* A new IPv4 slice ns/name for service, without endpoints or ports yet. */
static struct k8s_endpointslice *slice(const char *ns, const char *name, const char *service)
{
	struct k8s_endpointslice *es;

	cr_assert_lt(n_slices, SLICES_MAX, "setup: room for another slice");
	es = &slices[n_slices];
	memset(es, 0, sizeof(*es));
	strcpy(es->ns, ns);
	strcpy(es->name, name);
	strcpy(es->service, service);
	es->ipv4 = true;
	es->endpoints = endpoints[n_slices];
	es->ports = slice_ports[n_slices];
	n_slices++;
	return es;
}

static void slice_port(struct k8s_endpointslice *es, const char *name, __u8 proto, __u16 port)
{
	struct k8s_slice_port *p = &es->ports[es->n_ports++];

	strcpy(p->name, name);
	p->proto = proto;
	p->port = port;
}

/* Endpoint conditions, as the parser leaves them. */
enum cond {
	READY,			/* ready, serving, not terminating */
	STARTING,		/* not ready, not serving, not terminating */
	TERM_SERVING,		/* terminating, still serving */
	TERM_GONE,		/* terminating, no longer serving */
};

static void ep(struct k8s_endpointslice *es, const char *addr, enum cond c, const char *node_name)
{
	struct k8s_endpoint *e = &es->endpoints[es->n_endpoints++];

	memset(e, 0, sizeof(*e));
	e->addr = ip(addr);
	e->ready = c == READY;
	e->serving = c == READY || c == TERM_SERVING;
	e->terminating = c == TERM_SERVING || c == TERM_GONE;
	strcpy(e->node_name, node_name);
}

/* The common slice: http TCP and dns UDP, with the given endpoints. */
static struct k8s_endpointslice *web_slice(const char *name)
{
	struct k8s_endpointslice *es = slice(NS, name, SVC_NAME);

	slice_port(es, "http", IPPROTO_TCP, HTTP_TARGET);
	slice_port(es, "dns", IPPROTO_UDP, DNS_TARGET);
	return es;
}

static void build(const char *step)
{
	cr_assert_eq(lb_frontends_build(&svc, slices, n_slices, &node, &out), 0, "%s: build",
		     step);
}

static const struct lb_frontend *find(const char *addr, __u16 port, __u8 proto,
				      enum sluice_svc_scope scope)
{
	struct in_addr a = ip(addr);
	size_t i;

	for (i = 0; i < out.n; i++) {
		const struct sluice_svc4_key *k = &out.items[i].key;

		if (k->addr == a.s_addr && k->port == htons(port) && k->proto == proto &&
		    k->scope == scope)
			return &out.items[i];
	}
	return NULL;
}

static const struct lb_frontend *must_find(const char *addr, __u16 port, __u8 proto,
					   enum sluice_svc_scope scope, const char *step)
{
	const struct lb_frontend *fe = find(addr, port, proto, scope);

	cr_assert_not_null(fe, "%s: frontend %s:%u/%u %s exists", step, addr, port, proto,
			   scope == SLUICE_SCOPE_EXTERNAL ? "external" : "internal");
	return fe;
}

/* One expected backend: its address, and flags beyond the defaults. */
struct want_be {
	const char *addr;
	__u8 flags;
};

/*
 * fe's backends are exactly want (in order: sorted by address), all on
 * port/proto, with no duplicate.
 */
static void expect_backends(const struct lb_frontend *fe, __u16 port, __u8 proto,
			    const struct want_be *want, size_t n, const char *step)
{
	size_t i;

	cr_assert_eq(fe->n_backends, n, "%s: %zu backends, want %zu", step, fe->n_backends, n);
	for (i = 0; i < n; i++) {
		const struct lb_backend *b = &fe->backends[i];
		char got[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &b->addr, got, sizeof(got));
		cr_expect_str_eq(got, want[i].addr, "%s: backend %zu address", step, i);
		cr_expect_eq(ntohs(b->port), port, "%s: backend %zu port is the targetPort", step,
			     i);
		cr_expect_eq(b->proto, proto, "%s: backend %zu protocol", step, i);
		cr_expect_eq(b->flags, want[i].flags, "%s: backend %zu (%s) flags %#x, want %#x",
			     step, i, got, b->flags, want[i].flags);
	}
}

/* ---- Frontends per address, port and protocol ---- */

Test(lb_frontends, cluster_ip_per_port_and_protocol)
{
	static const struct want_be all[] = { { "10.244.2.5", 0 }, { "10.244.3.5", 0 } };
	const struct lb_frontend *fe;
	struct k8s_endpointslice *es;

	svc_init(K8S_SVC_CLUSTER_IP);
	svc_port("http", IPPROTO_TCP, HTTP_PORT, 0);
	svc_port("dns", IPPROTO_UDP, DNS_PORT, 0);
	svc_port("dns-tcp", IPPROTO_TCP, DNS_PORT, 0);
	es = web_slice("web-1");
	slice_port(es, "dns-tcp", IPPROTO_TCP, DNS_TARGET + 1);
	ep(es, "10.244.3.5", READY, OTHER_NODE);
	ep(es, "10.244.2.5", READY, OTHER_NODE);
	build("three ports");
	cr_assert_eq(out.n, 3, "one frontend per port and protocol, got %zu", out.n);
	fe = must_find(CLUSTER_IP, HTTP_PORT, IPPROTO_TCP, SLUICE_SCOPE_INTERNAL, "http");
	cr_expect_eq(fe->kind, SLUICE_SVC_CLUSTER_IP, "http: kind ClusterIP");
	cr_expect_str_eq(fe->port_name, "http", "http: port name");
	expect_backends(fe, HTTP_TARGET, IPPROTO_TCP, all, ARRAY_SIZE(all), "http");
	fe = must_find(CLUSTER_IP, DNS_PORT, IPPROTO_UDP, SLUICE_SCOPE_INTERNAL, "dns");
	cr_expect_str_eq(fe->port_name, "dns", "dns: port name");
	expect_backends(fe, DNS_TARGET, IPPROTO_UDP, all, ARRAY_SIZE(all), "dns");
	fe = must_find(CLUSTER_IP, DNS_PORT, IPPROTO_TCP, SLUICE_SCOPE_INTERNAL, "dns-tcp");
	cr_expect_str_eq(fe->port_name, "dns-tcp", "dns-tcp: port name");
	expect_backends(fe, DNS_TARGET + 1, IPPROTO_TCP, all, ARRAY_SIZE(all), "dns-tcp");
}

Test(lb_frontends, slices_merge_and_duplicates_count_once)
{
	static const struct want_be want[] = {
		{ "10.244.1.5", 0 }, { "10.244.2.5", 0 }, { "10.244.3.5", 0 },
	};
	struct k8s_endpointslice *a, *b;

	svc_init(K8S_SVC_CLUSTER_IP);
	svc_port("http", IPPROTO_TCP, HTTP_PORT, 0);
	a = web_slice("web-1");
	ep(a, "10.244.2.5", READY, OTHER_NODE);
	ep(a, "10.244.3.5", READY, OTHER_NODE);
	/* During a rebalance the controller may list one endpoint in two slices. */
	b = web_slice("web-2");
	ep(b, "10.244.3.5", READY, OTHER_NODE);
	ep(b, "10.244.1.5", READY, OTHER_NODE);
	build("two slices");
	cr_assert_eq(out.n, 1, "one frontend");
	expect_backends(&out.items[0], HTTP_TARGET, IPPROTO_TCP, want, ARRAY_SIZE(want),
			"two slices");
}

Test(lb_frontends, port_matched_by_name_and_protocol)
{
	static const struct want_be one[] = { { "10.244.2.5", 0 } };
	const struct lb_frontend *fe;
	struct k8s_endpointslice *es;

	svc_init(K8S_SVC_CLUSTER_IP);
	svc_port("dns", IPPROTO_UDP, DNS_PORT, 0);
	svc_port("metrics", IPPROTO_TCP, HTTP_PORT, 0);
	es = slice(NS, "web-1", SVC_NAME);
	/* Same name, other protocol; and the right protocol under another name. */
	slice_port(es, "dns", IPPROTO_TCP, DNS_TARGET + 1);
	slice_port(es, "metric", IPPROTO_TCP, HTTP_TARGET);
	slice_port(es, "dns", IPPROTO_UDP, DNS_TARGET);
	ep(es, "10.244.2.5", READY, OTHER_NODE);
	build("port matching");
	cr_assert_eq(out.n, 2, "a frontend per service port, with backends or not");
	fe = must_find(CLUSTER_IP, DNS_PORT, IPPROTO_UDP, SLUICE_SCOPE_INTERNAL, "dns");
	expect_backends(fe, DNS_TARGET, IPPROTO_UDP, one, ARRAY_SIZE(one), "dns/UDP");
	fe = must_find(CLUSTER_IP, HTTP_PORT, IPPROTO_TCP, SLUICE_SCOPE_INTERNAL, "metrics");
	cr_expect_eq(fe->n_backends, 0, "metrics: no slice port of that name, no backend");
}

Test(lb_frontends, unnamed_port_matches_unnamed_slice_port)
{
	static const struct want_be one[] = { { "10.244.2.5", 0 } };
	struct k8s_endpointslice *es;

	svc_init(K8S_SVC_CLUSTER_IP);
	svc_port("", IPPROTO_TCP, HTTP_PORT, 0);
	es = slice(NS, "web-1", SVC_NAME);
	slice_port(es, "", IPPROTO_TCP, HTTP_TARGET);
	ep(es, "10.244.2.5", READY, OTHER_NODE);
	build("unnamed port");
	cr_assert_eq(out.n, 1, "one frontend");
	expect_backends(&out.items[0], HTTP_TARGET, IPPROTO_TCP, one, ARRAY_SIZE(one),
			"unnamed port");
}

/* ---- Which endpoints become backends ---- */

Test(lb_frontends, ready_endpoints_only)
{
	static const struct want_be ready[] = { { "10.244.2.5", 0 }, { "10.244.2.7", 0 } };
	struct k8s_endpointslice *es;

	svc_init(K8S_SVC_CLUSTER_IP);
	svc_port("http", IPPROTO_TCP, HTTP_PORT, 0);
	es = web_slice("web-1");
	ep(es, "10.244.2.5", READY, OTHER_NODE);
	ep(es, "10.244.2.6", STARTING, OTHER_NODE);
	ep(es, "10.244.2.7", READY, OTHER_NODE);
	ep(es, "10.244.2.8", TERM_SERVING, OTHER_NODE);
	ep(es, "10.244.2.9", TERM_GONE, OTHER_NODE);
	build("mixed conditions");
	cr_assert_eq(out.n, 1, "one frontend");
	expect_backends(&out.items[0], HTTP_TARGET, IPPROTO_TCP, ready, ARRAY_SIZE(ready),
			"with a ready endpoint, only ready ones");
}

Test(lb_frontends, serving_terminating_only_when_none_ready)
{
	static const struct want_be term[] = {
		{ "10.244.2.5", SLUICE_BACKEND_F_TERMINATING },
		{ "10.244.2.7", SLUICE_BACKEND_F_TERMINATING },
	};
	struct k8s_endpointslice *es;

	svc_init(K8S_SVC_CLUSTER_IP);
	svc_port("http", IPPROTO_TCP, HTTP_PORT, 0);
	es = web_slice("web-1");
	ep(es, "10.244.2.7", TERM_SERVING, OTHER_NODE);
	ep(es, "10.244.2.6", STARTING, OTHER_NODE);
	ep(es, "10.244.2.5", TERM_SERVING, OTHER_NODE);
	ep(es, "10.244.2.9", TERM_GONE, OTHER_NODE);
	build("no ready endpoint");
	cr_assert_eq(out.n, 1, "one frontend");
	expect_backends(&out.items[0], HTTP_TARGET, IPPROTO_TCP, term, ARRAY_SIZE(term),
			"no ready endpoint: the serving terminating ones, flagged");
}

Test(lb_frontends, terminating_not_serving_never)
{
	struct k8s_endpointslice *es;

	svc_init(K8S_SVC_CLUSTER_IP);
	svc_port("http", IPPROTO_TCP, HTTP_PORT, 0);
	es = web_slice("web-1");
	ep(es, "10.244.2.8", TERM_GONE, OTHER_NODE);
	ep(es, "10.244.2.9", STARTING, OTHER_NODE);
	build("nothing serving");
	cr_assert_eq(out.n, 1, "the frontend stays, to refuse connections");
	cr_expect_eq(out.items[0].n_backends, 0, "no backend");
}

Test(lb_frontends, internal_policy_local_on_cluster_ip)
{
	static const struct want_be local[] = {
		{ "10.244.1.5", SLUICE_BACKEND_F_LOCAL },
		{ "10.244.1.6", SLUICE_BACKEND_F_LOCAL },
	};
	static const struct want_be all[] = {
		{ "10.244.1.5", SLUICE_BACKEND_F_LOCAL },
		{ "10.244.1.6", SLUICE_BACKEND_F_LOCAL },
		{ "10.244.2.5", 0 },
	};
	const struct lb_frontend *fe;
	struct k8s_endpointslice *es;

	svc_init(K8S_SVC_CLUSTER_IP);
	svc.itp_local = true;
	svc.external_ips[svc.n_external_ips++] = ip(EXTERNAL_IP);
	svc_port("http", IPPROTO_TCP, HTTP_PORT, 0);
	es = web_slice("web-1");
	ep(es, "10.244.2.5", READY, OTHER_NODE);
	ep(es, "10.244.1.6", READY, NODE_NAME);
	ep(es, "10.244.1.5", READY, NODE_NAME);
	build("internalTrafficPolicy Local");
	fe = must_find(CLUSTER_IP, HTTP_PORT, IPPROTO_TCP, SLUICE_SCOPE_INTERNAL, "cluster IP");
	expect_backends(fe, HTTP_TARGET, IPPROTO_TCP, local, ARRAY_SIZE(local),
			"cluster IP: this node's endpoints only");
	/* README: pods reaching an external address get every endpoint. */
	fe = must_find(EXTERNAL_IP, HTTP_PORT, IPPROTO_TCP, SLUICE_SCOPE_INTERNAL,
		       "external IP, internal scope");
	expect_backends(fe, HTTP_TARGET, IPPROTO_TCP, all, ARRAY_SIZE(all),
			"external IP, internal scope: all endpoints");
}

Test(lb_frontends, internal_policy_local_without_local_endpoint)
{
	struct k8s_endpointslice *es;

	svc_init(K8S_SVC_CLUSTER_IP);
	svc.itp_local = true;
	svc_port("http", IPPROTO_TCP, HTTP_PORT, 0);
	es = web_slice("web-1");
	ep(es, "10.244.2.5", READY, OTHER_NODE);
	build("Local, no endpoint here");
	cr_assert_eq(out.n, 1, "the frontend stays");
	cr_expect_eq(out.items[0].n_backends, 0, "no backend from another node");
}

Test(lb_frontends, internal_policy_local_falls_back_to_local_terminating)
{
	static const struct want_be local[] = {
		{ "10.244.1.5", SLUICE_BACKEND_F_LOCAL | SLUICE_BACKEND_F_TERMINATING },
	};
	struct k8s_endpointslice *es;

	svc_init(K8S_SVC_CLUSTER_IP);
	svc.itp_local = true;
	svc_port("http", IPPROTO_TCP, HTTP_PORT, 0);
	es = web_slice("web-1");
	ep(es, "10.244.2.5", READY, OTHER_NODE);
	ep(es, "10.244.1.5", TERM_SERVING, NODE_NAME);
	build("Local, only a terminating endpoint here");
	cr_assert_eq(out.n, 1, "one frontend");
	expect_backends(&out.items[0], HTTP_TARGET, IPPROTO_TCP, local, ARRAY_SIZE(local),
			"no local ready endpoint: the local serving terminating one");
}

Test(lb_frontends, external_ips_two_frontends_each)
{
	static const struct want_be local[] = { { "10.244.1.5", SLUICE_BACKEND_F_LOCAL } };
	static const struct want_be all[] = {
		{ "10.244.1.5", SLUICE_BACKEND_F_LOCAL }, { "10.244.2.5", 0 },
	};
	static const char *const ext[] = { EXTERNAL_IP, EXTERNAL_IP2 };
	const struct lb_frontend *fe;
	struct k8s_endpointslice *es;
	size_t i;

	svc_init(K8S_SVC_CLUSTER_IP);
	svc.etp_local = true;
	for (i = 0; i < ARRAY_SIZE(ext); i++)
		svc.external_ips[svc.n_external_ips++] = ip(ext[i]);
	svc_port("http", IPPROTO_TCP, HTTP_PORT, 0);
	es = web_slice("web-1");
	ep(es, "10.244.2.5", READY, OTHER_NODE);
	ep(es, "10.244.1.5", READY, NODE_NAME);
	build("external IPs");
	cr_assert_eq(out.n, 1 + 2 * ARRAY_SIZE(ext), "cluster IP, and two per external IP");
	for (i = 0; i < ARRAY_SIZE(ext); i++) {
		fe = must_find(ext[i], HTTP_PORT, IPPROTO_TCP, SLUICE_SCOPE_EXTERNAL, ext[i]);
		cr_expect_eq(fe->kind, SLUICE_SVC_EXTERNAL_IP, "%s external: kind", ext[i]);
		expect_backends(fe, HTTP_TARGET, IPPROTO_TCP, local, ARRAY_SIZE(local),
				"external scope: externalTrafficPolicy Local");
		fe = must_find(ext[i], HTTP_PORT, IPPROTO_TCP, SLUICE_SCOPE_INTERNAL, ext[i]);
		cr_expect_eq(fe->kind, SLUICE_SVC_EXTERNAL_IP, "%s internal: kind", ext[i]);
		expect_backends(fe, HTTP_TARGET, IPPROTO_TCP, all, ARRAY_SIZE(all),
				"internal scope: all endpoints");
	}
	fe = must_find(CLUSTER_IP, HTTP_PORT, IPPROTO_TCP, SLUICE_SCOPE_INTERNAL, "cluster IP");
	expect_backends(fe, HTTP_TARGET, IPPROTO_TCP, all, ARRAY_SIZE(all),
			"cluster IP: externalTrafficPolicy does not apply");
}

Test(lb_frontends, load_balancer_ips_two_frontends_each)
{
	static const struct want_be all[] = {
		{ "10.244.1.5", SLUICE_BACKEND_F_LOCAL }, { "10.244.2.5", 0 },
	};
	static const enum sluice_svc_scope scopes[] = {
		SLUICE_SCOPE_EXTERNAL, SLUICE_SCOPE_INTERNAL,
	};
	const struct lb_frontend *fe;
	struct k8s_endpointslice *es;
	size_t i;

	svc_init(K8S_SVC_LOAD_BALANCER);
	svc.lb_ips[svc.n_lb_ips++] = ip(LB_IP);
	svc_port("http", IPPROTO_TCP, HTTP_PORT, 0);
	es = web_slice("web-1");
	ep(es, "10.244.2.5", READY, OTHER_NODE);
	ep(es, "10.244.1.5", READY, NODE_NAME);
	build("load-balancer IP, policy Cluster");
	cr_assert_eq(out.n, 3, "cluster IP, and two for the ingress IP (no nodePort)");
	for (i = 0; i < ARRAY_SIZE(scopes); i++) {
		fe = must_find(LB_IP, HTTP_PORT, IPPROTO_TCP, scopes[i], "ingress IP");
		cr_expect_eq(fe->kind, SLUICE_SVC_LOAD_BALANCER, "ingress IP scope %d: kind",
			     scopes[i]);
		expect_backends(fe, HTTP_TARGET, IPPROTO_TCP, all, ARRAY_SIZE(all),
				"ingress IP, policy Cluster: all endpoints in both scopes");
	}
}

Test(lb_frontends, node_ports_on_every_node_address)
{
	static const struct want_be local[] = { { "10.244.1.5", SLUICE_BACKEND_F_LOCAL } };
	static const struct want_be all[] = {
		{ "10.244.1.5", SLUICE_BACKEND_F_LOCAL }, { "10.244.2.5", 0 },
	};
	static const char *const addrs[] = { NODE_IP, NODE_IP2 };
	const struct lb_frontend *fe;
	struct k8s_endpointslice *es;
	size_t i;

	svc_init(K8S_SVC_NODE_PORT);
	svc.etp_local = true;
	svc_port("http", IPPROTO_TCP, HTTP_PORT, NODE_PORT);
	for (i = 0; i < ARRAY_SIZE(addrs); i++)
		node_addrs[i] = ip(addrs[i]);
	node.n_addrs = ARRAY_SIZE(addrs);
	es = web_slice("web-1");
	ep(es, "10.244.2.5", READY, OTHER_NODE);
	ep(es, "10.244.1.5", READY, NODE_NAME);
	build("NodePort");
	cr_assert_eq(out.n, 1 + 2 * ARRAY_SIZE(addrs), "cluster IP, and two per node address");
	for (i = 0; i < ARRAY_SIZE(addrs); i++) {
		fe = must_find(addrs[i], NODE_PORT, IPPROTO_TCP, SLUICE_SCOPE_EXTERNAL, addrs[i]);
		cr_expect_eq(fe->kind, SLUICE_SVC_NODE_PORT, "%s external: kind", addrs[i]);
		expect_backends(fe, HTTP_TARGET, IPPROTO_TCP, local, ARRAY_SIZE(local),
				"node port, external scope: externalTrafficPolicy Local");
		fe = must_find(addrs[i], NODE_PORT, IPPROTO_TCP, SLUICE_SCOPE_INTERNAL, addrs[i]);
		expect_backends(fe, HTTP_TARGET, IPPROTO_TCP, all, ARRAY_SIZE(all),
				"node port, internal scope: all endpoints");
	}
	cr_expect_null(find(NODE_IP, HTTP_PORT, IPPROTO_TCP, SLUICE_SCOPE_EXTERNAL),
		       "the service port is not opened on node addresses");
}

Test(lb_frontends, load_balancer_type_gets_node_ports_too)
{
	svc_init(K8S_SVC_LOAD_BALANCER);
	svc_port("http", IPPROTO_TCP, HTTP_PORT, NODE_PORT);
	/* allocateLoadBalancerNodePorts: false leaves a port without one. */
	svc_port("dns", IPPROTO_UDP, DNS_PORT, 0);
	node_addrs[0] = ip(NODE_IP);
	node.n_addrs = 1;
	build("LoadBalancer");
	cr_expect_eq(out.n, 2 + 2, "two cluster IP frontends, and two for the one nodePort");
	must_find(NODE_IP, NODE_PORT, IPPROTO_TCP, SLUICE_SCOPE_EXTERNAL, "LoadBalancer");
	must_find(NODE_IP, NODE_PORT, IPPROTO_TCP, SLUICE_SCOPE_INTERNAL, "LoadBalancer");
}

Test(lb_frontends, cluster_ip_type_opens_no_node_port)
{
	svc_init(K8S_SVC_CLUSTER_IP);
	/* Left over from an earlier type NodePort: not for ClusterIP services. */
	svc_port("http", IPPROTO_TCP, HTTP_PORT, NODE_PORT);
	node_addrs[0] = ip(NODE_IP);
	node.n_addrs = 1;
	build("ClusterIP with a nodePort");
	cr_expect_eq(out.n, 1, "the cluster IP frontend only");
	cr_expect_null(find(NODE_IP, NODE_PORT, IPPROTO_TCP, SLUICE_SCOPE_EXTERNAL),
		       "no node port frontend");
}

Test(lb_frontends, headless_and_external_name_have_none)
{
	struct k8s_endpointslice *es;

	svc_init(K8S_SVC_CLUSTER_IP);
	svc.headless = true;
	svc.n_cluster_ips = 0;
	svc.external_ips[svc.n_external_ips++] = ip(EXTERNAL_IP);
	svc_port("http", IPPROTO_TCP, HTTP_PORT, 0);
	es = web_slice("web-1");
	ep(es, "10.244.2.5", READY, OTHER_NODE);
	build("headless");
	cr_expect_eq(out.n, 0, "headless: no frontend, external IPs included");
	lb_frontends_free(&out);
	svc.headless = false;
	svc.type = K8S_SVC_EXTERNAL_NAME;
	build("ExternalName");
	cr_expect_eq(out.n, 0, "ExternalName: no frontend, external IPs included");
}

Test(lb_frontends, sctp_ports_are_skipped)
{
	struct k8s_endpointslice *es;

	svc_init(K8S_SVC_NODE_PORT);
	svc.external_ips[svc.n_external_ips++] = ip(EXTERNAL_IP);
	svc_port("sig", IPPROTO_SCTP, HTTP_PORT, NODE_PORT);
	svc_port("http", IPPROTO_TCP, HTTP_PORT, 0);
	node_addrs[0] = ip(NODE_IP);
	node.n_addrs = 1;
	es = web_slice("web-1");
	slice_port(es, "sig", IPPROTO_SCTP, HTTP_TARGET);
	ep(es, "10.244.2.5", READY, OTHER_NODE);
	build("SCTP");
	cr_expect_eq(out.n, 3, "the TCP port's three frontends only");
	cr_expect_null(find(CLUSTER_IP, HTTP_PORT, IPPROTO_SCTP, SLUICE_SCOPE_INTERNAL),
		       "no SCTP frontend");
}

Test(lb_frontends, affinity_flag_and_timeout)
{
	size_t i;

	svc_init(K8S_SVC_CLUSTER_IP);
	svc.affinity = true;
	svc.affinity_timeout = AFFINITY_SECONDS;
	svc.external_ips[svc.n_external_ips++] = ip(EXTERNAL_IP);
	svc_port("http", IPPROTO_TCP, HTTP_PORT, 0);
	build("ClientIP");
	cr_assert_eq(out.n, 3, "three frontends");
	for (i = 0; i < out.n; i++) {
		cr_expect_eq(out.items[i].flags, SLUICE_SVC_F_AFFINITY, "frontend %zu: affinity",
			     i);
		cr_expect_eq(out.items[i].affinity_timeout, AFFINITY_SECONDS,
			     "frontend %zu: timeout", i);
	}
	lb_frontends_free(&out);
	svc.affinity = false;
	build("None");
	for (i = 0; i < out.n; i++) {
		cr_expect_eq(out.items[i].flags, 0, "frontend %zu: no affinity", i);
		cr_expect_eq(out.items[i].affinity_timeout, 0, "frontend %zu: no timeout", i);
	}
}

Test(lb_frontends, only_this_services_ipv4_slices)
{
	static const struct want_be one[] = { { "10.244.2.5", 0 } };
	struct k8s_endpointslice *es;

	svc_init(K8S_SVC_CLUSTER_IP);
	svc_port("http", IPPROTO_TCP, HTTP_PORT, 0);
	es = web_slice("web-1");
	ep(es, "10.244.2.5", READY, OTHER_NODE);
	/* The IPv6 slice of a dual-stack service: its addresses are not IPv4. */
	es = web_slice("web-v6");
	es->ipv4 = false;
	ep(es, "10.244.9.9", READY, OTHER_NODE);
	es = slice(NS, "api-1", "api");
	slice_port(es, "http", IPPROTO_TCP, HTTP_TARGET);
	ep(es, "10.244.9.8", READY, OTHER_NODE);
	es = slice("other", "web-1", SVC_NAME);
	slice_port(es, "http", IPPROTO_TCP, HTTP_TARGET);
	ep(es, "10.244.9.7", READY, OTHER_NODE);
	build("mixed slices");
	cr_assert_eq(out.n, 1, "one frontend");
	expect_backends(&out.items[0], HTTP_TARGET, IPPROTO_TCP, one, ARRAY_SIZE(one),
			"IPv6 slices, other services and other namespaces ignored");
}

Test(lb_frontends, backends_sorted_with_local_flag)
{
	static const struct want_be want[] = {
		{ "10.1.0.200", 0 },
		{ "10.244.1.5", SLUICE_BACKEND_F_LOCAL },
		{ "10.244.1.40", SLUICE_BACKEND_F_LOCAL },
		{ "10.244.2.5", 0 },
		{ "192.168.0.1", 0 },
	};
	struct k8s_endpointslice *es;

	svc_init(K8S_SVC_CLUSTER_IP);
	svc_port("http", IPPROTO_TCP, HTTP_PORT, 0);
	es = web_slice("web-1");
	ep(es, "192.168.0.1", READY, OTHER_NODE);
	ep(es, "10.244.2.5", READY, OTHER_NODE);
	ep(es, "10.244.1.40", READY, NODE_NAME);
	ep(es, "10.1.0.200", READY, "");
	ep(es, "10.244.1.5", READY, NODE_NAME);
	build("unsorted input");
	cr_assert_eq(out.n, 1, "one frontend");
	expect_backends(&out.items[0], HTTP_TARGET, IPPROTO_TCP, want, ARRAY_SIZE(want),
			"sorted by address, local ones flagged");
}

Test(lb_frontends, no_node_name_marks_nothing_local)
{
	struct k8s_endpointslice *es;

	svc_init(K8S_SVC_CLUSTER_IP);
	svc_port("http", IPPROTO_TCP, HTTP_PORT, 0);
	es = web_slice("web-1");
	ep(es, "10.244.1.5", READY, "");
	node.name = NULL;
	build("node without a name");
	cr_assert_eq(out.items[0].n_backends, 1, "the endpoint is a backend");
	cr_expect_eq(out.items[0].backends[0].flags, 0, "and not local");
}

/* ---- From API objects ---- */

Test(lb_frontends, from_api_objects)
{
	static const struct want_be http_ext[] = { { "10.244.1.5", SLUICE_BACKEND_F_LOCAL } };
	static const struct want_be http_all[] = {
		{ "10.244.1.5", SLUICE_BACKEND_F_LOCAL }, { "10.244.3.8", 0 }, { "10.244.3.9", 0 },
	};
	cJSON *svc_doc = cJSON_Parse(FX_SERVICE_JSON), *slice_doc = cJSON_Parse(FX_SLICE_JSON);
	const struct lb_frontend *fe;
	char why[K8S_WHY_LEN];

	cr_assert(svc_doc && slice_doc, "setup: fixtures parse as JSON");
	cr_assert_eq(k8s_service_parse(svc_doc, &svc, why, sizeof(why)), 0, "service: %s", why);
	cr_assert_eq(k8s_endpointslice_parse(slice_doc, &slices[0], why, sizeof(why)), 0,
		     "slice: %s", why);
	n_slices = 1;
	node_addrs[0] = ip(NODE_IP);
	node.n_addrs = 1;
	build("fixtures");
	/* Per TCP and UDP port: cluster IP 1, external IP 2, ingress IP 2, node address 2. */
	cr_expect_eq(out.n, 2 * 7, "SCTP skipped, IPv6 addresses skipped, got %zu", out.n);
	fe = must_find(CLUSTER_IP, HTTP_PORT, IPPROTO_TCP, SLUICE_SCOPE_INTERNAL, "fixtures");
	cr_expect_eq(fe->flags, SLUICE_SVC_F_AFFINITY, "fixtures: ClientIP");
	cr_expect_eq(fe->affinity_timeout, AFFINITY_SECONDS, "fixtures: timeoutSeconds");
	expect_backends(fe, HTTP_TARGET, IPPROTO_TCP, http_all, ARRAY_SIZE(http_all),
			"fixtures, cluster IP: the ready ones and those of unknown readiness");
	fe = must_find(LB_IP, HTTP_PORT, IPPROTO_TCP, SLUICE_SCOPE_EXTERNAL, "fixtures");
	expect_backends(fe, HTTP_TARGET, IPPROTO_TCP, http_ext, ARRAY_SIZE(http_ext),
			"fixtures, ingress IP from outside: externalTrafficPolicy Local");
	fe = must_find(NODE_IP, DNS_NODE_PORT, IPPROTO_UDP, SLUICE_SCOPE_INTERNAL, "fixtures");
	expect_backends(fe, DNS_TARGET, IPPROTO_UDP, http_all, ARRAY_SIZE(http_all),
			"fixtures, dns node port from inside");
	k8s_endpointslice_free(&slices[0]);
	k8s_service_free(&svc);
	cJSON_Delete(svc_doc);
	cJSON_Delete(slice_doc);
}
