// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lb/frontends.h"
#include "lib/field.h"

/* Which endpoints a scope may use. */
enum pick {
	PICK_ALL,	/* any node's */
	PICK_LOCAL,	/* this node's only (traffic policy Local) */
};

static int backend_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct lb_backend));
}

/* Does this slice port serve service port sp? Names match, "" with "". */
static const struct k8s_slice_port *slice_port_for(const struct k8s_endpointslice *es,
						   const struct k8s_svc_port *sp)
{
	unsigned int i;

	for (i = 0; i < es->n_ports; i++)
		if (!strcmp(es->ports[i].name, sp->name) && es->ports[i].proto == sp->proto)
			return &es->ports[i];
	return NULL;
}

/*
 * The backends of service port sp: ready endpoints; or, when none is ready,
 * the terminating ones still serving, as kube-proxy does, so a rolling update
 * never leaves a gap. Duplicates across slices count once.
 */
static int collect(const struct k8s_service *svc, const struct k8s_svc_port *sp,
		   const struct k8s_endpointslice *slices, size_t n_slices,
		   const struct lb_node *node, enum pick pick, struct lb_frontend *fe)
{
	size_t i, cap = 0, n_ready = 0, n_term = 0, j;
	struct lb_backend *ready = NULL, *term = NULL;
	unsigned int e;
	int pass;

	for (i = 0; i < n_slices; i++)
		if (slices[i].ipv4 && !strcmp(slices[i].ns, svc->ns) &&
		    !strcmp(slices[i].service, svc->name))
			cap += slices[i].n_endpoints;
	ready = calloc(cap + 1, sizeof(*ready));
	term = calloc(cap + 1, sizeof(*term));
	if (!ready || !term) {
		free(ready);
		free(term);
		return -ENOMEM;
	}
	for (i = 0; i < n_slices; i++) {
		const struct k8s_endpointslice *es = &slices[i];
		const struct k8s_slice_port *p;

		if (!es->ipv4 || strcmp(es->ns, svc->ns) || strcmp(es->service, svc->name))
			continue;
		p = slice_port_for(es, sp);
		if (!p)
			continue;
		for (e = 0; e < es->n_endpoints; e++) {
			const struct k8s_endpoint *ep = &es->endpoints[e];
			bool local = node->name && !strcmp(ep->node_name, node->name);
			struct lb_backend b = {
				.addr = ep->addr.s_addr,
				.port = htons(p->port),
				.proto = p->proto,
				.flags = local ? SLUICE_BACKEND_F_LOCAL : 0,
			};

			if (pick == PICK_LOCAL && !local)
				continue;
			if (ep->ready && !ep->terminating)
				ready[n_ready++] = b;
			else if (ep->serving && ep->terminating) {
				b.flags |= SLUICE_BACKEND_F_TERMINATING;
				term[n_term++] = b;
			}
		}
	}
	pass = n_ready > 0;
	fe->backends = pass ? ready : term;
	fe->n_backends = pass ? n_ready : n_term;
	free(pass ? term : ready);
	qsort(fe->backends, fe->n_backends, sizeof(*fe->backends), backend_cmp);
	for (i = 0, j = 0; i < fe->n_backends; i++)
		if (!j || backend_cmp(&fe->backends[j - 1], &fe->backends[i]))
			fe->backends[j++] = fe->backends[i];
	fe->n_backends = j;
	return 0;
}

static int add(struct lb_frontends *out, size_t *cap, const struct k8s_service *svc,
	       const struct k8s_svc_port *sp, const struct k8s_endpointslice *slices,
	       size_t n_slices, const struct lb_node *node, __be32 addr, __u16 port,
	       enum sluice_svc_scope scope, enum sluice_svc_kind kind, enum pick pick)
{
	struct lb_frontend *fe;

	if (out->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		struct lb_frontend *items = realloc(out->items, ncap * sizeof(*items));

		if (!items)
			return -ENOMEM;
		out->items = items;
		*cap = ncap;
	}
	fe = &out->items[out->n];
	memset(fe, 0, sizeof(*fe));
	fe->key.addr = addr;
	fe->key.port = htons(port);
	fe->key.proto = sp->proto;
	fe->key.scope = scope;
	fe->kind = kind;
	fe->flags = svc->affinity ? SLUICE_SVC_F_AFFINITY : 0;
	fe->affinity_timeout = svc->affinity ? svc->affinity_timeout : 0;
	copy_field(fe->port_name, sizeof(fe->port_name), sp->name);
	if (collect(svc, sp, slices, n_slices, node, pick, fe))
		return -ENOMEM;
	out->n++;
	return 0;
}

/*
 * External addresses (NodePort, externalIPs, load-balancer IPs) have two
 * frontends: clients outside the cluster get externalTrafficPolicy, while
 * pods and the node reaching the same address get every endpoint, as
 * kube-proxy short-circuits in-cluster traffic to such addresses.
 */
static int add_external(struct lb_frontends *out, size_t *cap, const struct k8s_service *svc,
			const struct k8s_svc_port *sp, const struct k8s_endpointslice *slices,
			size_t n_slices, const struct lb_node *node, __be32 addr, __u16 port,
			enum sluice_svc_kind kind)
{
	int err = add(out, cap, svc, sp, slices, n_slices, node, addr, port,
		      SLUICE_SCOPE_EXTERNAL, kind, svc->etp_local ? PICK_LOCAL : PICK_ALL);

	return err ? err : add(out, cap, svc, sp, slices, n_slices, node, addr, port,
			       SLUICE_SCOPE_INTERNAL, kind, PICK_ALL);
}

int lb_frontends_build(const struct k8s_service *svc, const struct k8s_endpointslice *slices,
		       size_t n_slices, const struct lb_node *node, struct lb_frontends *out)
{
	size_t cap = 0, a;
	unsigned int p, i;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (svc->headless || svc->type == K8S_SVC_EXTERNAL_NAME)
		return 0;
	for (p = 0; p < svc->n_ports && !err; p++) {
		const struct k8s_svc_port *sp = &svc->ports[p];

		/* SCTP is parsed but not balanced: the datapath tracks TCP and UDP. */
		if (sp->proto == IPPROTO_SCTP)
			continue;
		for (i = 0; i < svc->n_cluster_ips && !err; i++)
			err = add(out, &cap, svc, sp, slices, n_slices, node,
				  svc->cluster_ips[i].s_addr, sp->port, SLUICE_SCOPE_INTERNAL,
				  SLUICE_SVC_CLUSTER_IP, svc->itp_local ? PICK_LOCAL : PICK_ALL);
		for (i = 0; i < svc->n_external_ips && !err; i++)
			err = add_external(out, &cap, svc, sp, slices, n_slices, node,
					   svc->external_ips[i].s_addr, sp->port,
					   SLUICE_SVC_EXTERNAL_IP);
		for (i = 0; i < svc->n_lb_ips && !err; i++)
			err = add_external(out, &cap, svc, sp, slices, n_slices, node,
					   svc->lb_ips[i].s_addr, sp->port,
					   SLUICE_SVC_LOAD_BALANCER);
		if (!sp->node_port || svc->type == K8S_SVC_CLUSTER_IP)
			continue;
		for (a = 0; a < node->n_addrs && !err; a++)
			err = add_external(out, &cap, svc, sp, slices, n_slices, node,
					   node->addrs[a].s_addr, sp->node_port,
					   SLUICE_SVC_NODE_PORT);
	}
	if (err)
		lb_frontends_free(out);
	return err;
}

void lb_frontends_free(struct lb_frontends *fe)
{
	size_t i;

	for (i = 0; i < fe->n; i++)
		free(fe->items[i].backends);
	free(fe->items);
	fe->items = NULL;
	fe->n = 0;
}
