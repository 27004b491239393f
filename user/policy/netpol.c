// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/fields.h"
#include "policy/netpol.h"

/* Ports are 16-bit and 0 is no port. */
#define PORT_MIN 1
#define PORT_MAX 65535
/* Bits of an IPv4 prefix. */
#define IPV4_BITS 32

static int fail(char *why, size_t len, const char *what)
{
	if (!why[0])
		snprintf(why, len, "%s", what);
	return -EINVAL;
}

static __u32 prefix_mask(uint8_t prefix)
{
	return prefix ? ~0U << (IPV4_BITS - prefix) : 0;
}

bool np_cidr_parse(const char *s, struct np_cidr *c, bool *v6)
{
	char buf[INET6_ADDRSTRLEN + 4], *slash, *end;
	unsigned long p;

	*v6 = strchr(s, ':') != NULL;
	if (*v6 || strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!slash || !isdigit((unsigned char)slash[1]))
		return false;
	*slash = '\0';
	p = strtoul(slash + 1, &end, 10);
	if (*end || p > IPV4_BITS || inet_pton(AF_INET, buf, &c->addr) != 1)
		return false;
	c->prefix = (uint8_t)p;
	/* The API requires a network address; host bits set is an error, not a rounding. */
	return !(ntohl(c->addr.s_addr) & ~prefix_mask(c->prefix));
}

bool np_cidr_contains(const struct np_cidr *outer, const struct np_cidr *inner)
{
	__u32 mask = prefix_mask(outer->prefix);

	return inner->prefix >= outer->prefix &&
	       (ntohl(inner->addr.s_addr) & mask) == ntohl(outer->addr.s_addr);
}

/* IANA_SVC_NAME: 1-15 lower-case letters, digits and '-', a letter among them. */
static bool valid_port_name(const char *s)
{
	bool letter = false;
	size_t n = strlen(s);

	if (!n || n >= NP_PORT_NAME_LEN || s[0] == '-' || s[n - 1] == '-' || strstr(s, "--"))
		return false;
	for (; *s; s++) {
		if (islower((unsigned char)*s))
			letter = true;
		else if (!isdigit((unsigned char)*s) && *s != '-')
			return false;
	}
	return letter;
}

static int parse_port(const cJSON *it, struct np_port *p, char *why, size_t len)
{
	const cJSON *port = cJSON_GetObjectItemCaseSensitive(it, "port");
	long end;

	if (!k8s_protocol(it, &p->proto, why, len))
		return k8s_in(why, len, "ports[].");
	if (!port || cJSON_IsNull(port)) {
		p->any_port = true;
		if (cJSON_GetObjectItemCaseSensitive(it, "endPort"))
			return fail(why, len, "ports[].endPort needs a numeric port");
		return 0;
	}
	if (cJSON_IsString(port)) {
		if (!valid_port_name(port->valuestring))
			return fail(why, len, "ports[].port is not a valid port name");
		if (cJSON_GetObjectItemCaseSensitive(it, "endPort"))
			return fail(why, len, "ports[].endPort needs a numeric port");
		strcpy(p->name, port->valuestring);
		return 0;
	}
	if (!cJSON_IsNumber(port) || port->valuedouble < PORT_MIN || port->valuedouble > PORT_MAX ||
	    port->valuedouble != (double)(long)port->valuedouble)
		return fail(why, len, "ports[].port must be a port number or a name");
	p->port = (uint16_t)port->valuedouble;
	if (!k8s_int(it, "endPort", p->port, p->port, PORT_MAX, &end, why, len))
		return k8s_in(why, len, "ports[].");
	p->end_port = (uint16_t)end;
	return 0;
}

static int parse_ipblock(const cJSON *ib, struct np_peer *peer, char *why, size_t len)
{
	const char *cidr = k8s_str(ib, "cidr", NULL, why, len);
	const cJSON *except = cJSON_GetObjectItemCaseSensitive(ib, "except"), *e;
	bool v6;

	if (!cidr)
		return why[0] ? k8s_in(why, len, "ipBlock.") : fail(why, len, "ipBlock.cidr is missing");
	if (!np_cidr_parse(cidr, &peer->cidr, &v6)) {
		if (!v6)
			return fail(why, len, "ipBlock.cidr is not a network in CIDR form");
		peer->kind = NP_PEER_NONE;
		return 0;
	}
	peer->kind = NP_PEER_IPBLOCK;
	if (except && !cJSON_IsNull(except) && !cJSON_IsArray(except))
		return fail(why, len, "ipBlock.except must be a list");
	peer->except = calloc((size_t)cJSON_GetArraySize(except) + 1, sizeof(*peer->except));
	if (!peer->except)
		return -ENOMEM;
	cJSON_ArrayForEach(e, except) {
		struct np_cidr *c = &peer->except[peer->n_except];

		if (!cJSON_IsString(e) || !np_cidr_parse(e->valuestring, c, &v6) ||
		    !np_cidr_contains(&peer->cidr, c) || c->prefix == peer->cidr.prefix)
			return fail(why, len, "ipBlock.except entries must be networks strictly "
				    "inside ipBlock.cidr");
		peer->n_except++;
	}
	return 0;
}

static int parse_peer(const cJSON *it, struct np_peer *peer, char *why, size_t len)
{
	const cJSON *ps = cJSON_GetObjectItemCaseSensitive(it, "podSelector");
	const cJSON *ns = cJSON_GetObjectItemCaseSensitive(it, "namespaceSelector");
	const cJSON *ib = cJSON_GetObjectItemCaseSensitive(it, "ipBlock");
	int err;

	peer->has_pod_sel = ps && !cJSON_IsNull(ps);
	peer->has_ns_sel = ns && !cJSON_IsNull(ns);
	if (ib && !cJSON_IsNull(ib)) {
		if (peer->has_pod_sel || peer->has_ns_sel)
			return fail(why, len, "a peer with ipBlock may not also select pods");
		return parse_ipblock(ib, peer, why, len);
	}
	if (!peer->has_pod_sel && !peer->has_ns_sel)
		return fail(why, len, "a peer needs podSelector, namespaceSelector or ipBlock");
	peer->kind = NP_PEER_PODS;
	if (peer->has_pod_sel) {
		err = selector_parse(ps, "podSelector", &peer->pod_sel, why, len);
		if (err)
			return err;
	}
	return peer->has_ns_sel ? selector_parse(ns, "namespaceSelector", &peer->ns_sel, why, len) :
				  0;
}

static int parse_rule(const cJSON *it, const char *peers_key, struct np_rule *r, char *why,
		      size_t len)
{
	const cJSON *peers = cJSON_GetObjectItemCaseSensitive(it, peers_key);
	const cJSON *ports = cJSON_GetObjectItemCaseSensitive(it, "ports"), *p;
	int err;

	if (!cJSON_IsObject(it))
		return fail(why, len, "rules must be objects");
	if ((peers && !cJSON_IsNull(peers) && !cJSON_IsArray(peers)) ||
	    (ports && !cJSON_IsNull(ports) && !cJSON_IsArray(ports)))
		return fail(why, len, "rule peers and ports must be lists");
	r->all_peers = cJSON_GetArraySize(peers) == 0;
	r->all_ports = cJSON_GetArraySize(ports) == 0;
	r->peers = calloc((size_t)cJSON_GetArraySize(peers) + 1, sizeof(*r->peers));
	r->ports = calloc((size_t)cJSON_GetArraySize(ports) + 1, sizeof(*r->ports));
	if (!r->peers || !r->ports)
		return -ENOMEM;
	cJSON_ArrayForEach(p, peers) {
		err = parse_peer(p, &r->peers[r->n_peers++], why, len);
		if (err)
			return err;
	}
	cJSON_ArrayForEach(p, ports) {
		err = parse_port(p, &r->ports[r->n_ports++], why, len);
		if (err)
			return err;
	}
	return 0;
}

static int parse_rules(const cJSON *spec, const char *key, const char *peers_key,
		       struct np_rule **out, size_t *n, char *why, size_t len)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(spec, key), *it;
	int err;

	if (!list || cJSON_IsNull(list))
		return 0;
	if (!cJSON_IsArray(list))
		return fail(why, len, "spec.ingress and spec.egress must be lists");
	*out = calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	cJSON_ArrayForEach(it, list) {
		err = parse_rule(it, peers_key, &(*out)[(*n)++], why, len);
		if (err)
			return err;
	}
	return 0;
}

/* Without policyTypes, Ingress always applies and Egress when there are egress rules. */
static int parse_types(const cJSON *spec, struct netpol *np, char *why, size_t len)
{
	const cJSON *types = cJSON_GetObjectItemCaseSensitive(spec, "policyTypes"), *t;

	if (!types || cJSON_IsNull(types) || !cJSON_GetArraySize(types)) {
		np->ingress = true;
		np->egress = np->n_eg > 0;
		return 0;
	}
	if (!cJSON_IsArray(types))
		return fail(why, len, "spec.policyTypes must be a list");
	cJSON_ArrayForEach(t, types) {
		if (cJSON_IsString(t) && !strcmp(t->valuestring, "Ingress"))
			np->ingress = true;
		else if (cJSON_IsString(t) && !strcmp(t->valuestring, "Egress"))
			np->egress = true;
		else
			return fail(why, len, "spec.policyTypes entries must be Ingress or Egress");
	}
	return 0;
}

int netpol_parse(const cJSON *obj, struct netpol *np, char *why, size_t len)
{
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
	int err;

	memset(np, 0, sizeof(*np));
	why[0] = '\0';
	if (!k8s_meta(obj, np->ns, sizeof(np->ns), np->name, sizeof(np->name), why, len))
		return -EINVAL;
	if (!cJSON_IsObject(spec))
		return fail(why, len, "spec is missing");
	err = selector_parse(cJSON_GetObjectItemCaseSensitive(spec, "podSelector"),
			     "spec.podSelector", &np->pod_sel, why, len);
	if (!err)
		err = parse_rules(spec, "ingress", "from", &np->in_rules, &np->n_in, why, len);
	if (!err)
		err = parse_rules(spec, "egress", "to", &np->eg_rules, &np->n_eg, why, len);
	if (!err)
		err = parse_types(spec, np, why, len);
	if (err)
		netpol_free(np);
	return err;
}

static void rules_free(struct np_rule *rules, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < rules[i].n_peers; j++) {
			selector_free(&rules[i].peers[j].pod_sel);
			selector_free(&rules[i].peers[j].ns_sel);
			free(rules[i].peers[j].except);
		}
		free(rules[i].peers);
		free(rules[i].ports);
	}
	free(rules);
}

void netpol_free(struct netpol *np)
{
	selector_free(&np->pod_sel);
	rules_free(np->in_rules, np->n_in);
	rules_free(np->eg_rules, np->n_eg);
	np->in_rules = np->eg_rules = NULL;
	np->n_in = np->n_eg = 0;
}
