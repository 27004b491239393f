// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/compute.h"

/* The whole port space, for a rule port without a number. */
#define PORT_FIRST 0
#define PORT_LAST 65535

static const struct labels no_labels;

static const struct labels *ns_labels(const struct pol_model *m, const char *ns)
{
	size_t i;

	for (i = 0; i < m->n_nss; i++)
		if (!strcmp(m->nss[i].name, ns))
			return &m->nss[i].labels;
	/* A namespace not seen yet has no labels: only selectors needing none match it. */
	return &no_labels;
}

static bool set_has(const struct pol_cidr_set *s, const struct pol_model *m,
		    const struct np_cidr *c)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct np_cidr *x = &m->cidrs[s->idx[i]];

		if (x->addr.s_addr == c->addr.s_addr && x->prefix == c->prefix)
			return true;
	}
	return false;
}

/* Does peer (of a policy in namespace pol_ns) select identity id? */
static bool peer_selects(const struct pol_model *m, const char *pol_ns, const struct np_peer *p,
			 const struct pol_identity *id)
{
	size_t e;

	switch (p->kind) {
	case NP_PEER_PODS:
		if (id->kind != POL_ID_POD)
			return false;
		if (p->has_ns_sel ? !selector_matches(&p->ns_sel, ns_labels(m, id->ns)) :
				    strcmp(id->ns, pol_ns))
			return false;
		return !p->has_pod_sel || selector_matches(&p->pod_sel, &id->labels);
	case NP_PEER_IPBLOCK:
		if (!set_has(&id->cidrs, m, &p->cidr))
			return false;
		for (e = 0; e < p->n_except; e++)
			if (set_has(&id->cidrs, m, &p->except[e]))
				return false;
		return true;
	default:
		return false;
	}
}

static int add(struct pol_entries *es, uint32_t identity, uint8_t proto, uint16_t lo,
	       uint16_t hi, uint32_t policy)
{
	if (es->n == es->cap) {
		size_t cap = es->cap ? es->cap * 2 : 16;
		struct pol_entry *items = realloc(es->items, cap * sizeof(*items));

		if (!items)
			return -ENOMEM;
		es->items = items;
		es->cap = cap;
	}
	es->items[es->n++] = (struct pol_entry){
		.identity = identity, .proto = proto, .lo = lo, .hi = hi, .policy = policy,
	};
	return 0;
}

/* The ports a named port means on one pod: every container port of that name and protocol. */
static int add_named(struct pol_entries *es, const struct pol_pod *pod, const struct np_port *p,
		     uint32_t identity, uint32_t policy)
{
	size_t i;
	int err;

	for (i = 0; i < pod->n_ports; i++) {
		if (strcmp(pod->ports[i].name, p->name) || pod->ports[i].proto != p->proto)
			continue;
		err = add(es, identity, p->proto, pod->ports[i].port, pod->ports[i].port, policy);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Entries of one rule for one peer identity. A named port is resolved on
 * `named_on`: the selected pod for ingress; for egress, each pod that has
 * the peer identity (pods alike in labels may still differ in ports).
 */
static int rule_entries(const struct pol_model *m, const struct np_rule *r, uint32_t identity,
			const struct pol_pod *named_on, uint32_t policy, struct pol_entries *es)
{
	size_t i, k;
	int err = 0;

	if (r->all_ports)
		return add(es, identity, POL_PROTO_ANY, PORT_FIRST, PORT_LAST, policy);
	for (i = 0; i < r->n_ports && !err; i++) {
		const struct np_port *p = &r->ports[i];

		if (p->any_port)
			err = add(es, identity, p->proto, PORT_FIRST, PORT_LAST, policy);
		else if (!p->name[0])
			err = add(es, identity, p->proto, p->port, p->end_port, policy);
		else if (named_on)
			err = add_named(es, named_on, p, identity, policy);
		else
			/* Every peer: each pod's name resolves for that pod's identity. */
			for (k = 0; k < m->n_pods && !err; k++)
				if (identity == IDENTITY_ANY || m->pods[k].identity == identity)
					err = add_named(es, &m->pods[k], p, m->pods[k].identity,
							policy);
	}
	return err;
}

static int rules_entries(const struct pol_model *m, const struct netpol *np, uint32_t policy,
			 const struct np_rule *rules, size_t n_rules, const struct pol_pod *named_on,
			 struct pol_entries *es)
{
	size_t r, i, k;
	int err = 0;

	for (r = 0; r < n_rules && !err; r++) {
		if (rules[r].all_peers) {
			err = rule_entries(m, &rules[r], IDENTITY_ANY, named_on, policy, es);
			continue;
		}
		for (i = 0; i < m->n_ids && !err; i++) {
			for (k = 0; k < rules[r].n_peers; k++) {
				if (!peer_selects(m, np->ns, &rules[r].peers[k], &m->ids[i]))
					continue;
				err = rule_entries(m, &rules[r], m->ids[i].id, named_on, policy, es);
				break;
			}
		}
	}
	return err;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct pol_entry *x = a, *y = b;

	if (x->identity != y->identity)
		return x->identity < y->identity ? -1 : 1;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return 0;
}

/* Sorted and unique by (identity, proto, range): the first policy allowing it is kept. */
static void normalise(struct pol_entries *es)
{
	size_t i, j;

	if (!es->n)
		return;
	qsort(es->items, es->n, sizeof(*es->items), entry_cmp);
	for (i = 0, j = 0; i < es->n; i++)
		if (!j || entry_cmp(&es->items[j - 1], &es->items[i]))
			es->items[j++] = es->items[i];
	es->n = j;
}

int pol_compute(const struct pol_model *m, size_t pod, struct pol_result *r)
{
	const struct pol_pod *e = &m->pods[pod];
	size_t i;
	int err = 0;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < m->n_policies && !err; i++) {
		const struct netpol *np = &m->policies[i];

		if (strcmp(np->ns, e->ns) || !selector_matches(&np->pod_sel, &e->labels))
			continue;
		if (np->ingress) {
			r->ingress = true;
			err = rules_entries(m, np, (uint32_t)i, np->in_rules, np->n_in, e, &r->in);
		}
		if (np->egress && !err) {
			r->egress = true;
			err = rules_entries(m, np, (uint32_t)i, np->eg_rules, np->n_eg, NULL, &r->out);
		}
	}
	/* The node reaches its pods whatever the policy: kubelet probes come from it. */
	if (r->ingress && !err)
		err = add(&r->in, IDENTITY_HOST, POL_PROTO_ANY, PORT_FIRST, PORT_LAST,
			  POL_POLICY_BUILTIN);
	if (err) {
		pol_result_free(r);
		return err;
	}
	normalise(&r->in);
	normalise(&r->out);
	return 0;
}

void pol_result_free(struct pol_result *r)
{
	free(r->in.items);
	free(r->out.items);
	memset(r, 0, sizeof(*r));
}
