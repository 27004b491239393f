// SPDX-License-Identifier: Apache-2.0
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "cli/policy_names.h"
#include "lib/field.h"

int policy_names_open(struct cli *cli, struct policy_names *pn)
{
	struct endpoint_maps m;
	int err;

	memset(pn, 0, sizeof(*pn));
	pn->identity_fd = pins_open_map(&cli->pins, SLUICE_STR(SLUICE_MAP_IDENTITY));
	pn->meta_fd = pins_open_map(&cli->pins, SLUICE_STR(SLUICE_MAP_POLICY_META));
	err = pn->identity_fd < 0 ? pn->identity_fd : pn->meta_fd < 0 ? pn->meta_fd : 0;
	if (!err)
		err = endpoint_maps_open(&cli->pins, &m);
	if (!err) {
		err = endpoint_list(&m, &pn->eps, &pn->n_eps);
		endpoint_maps_close(&m);
	}
	if (err) {
		p_err(cli, "cannot open the policy maps under %s: %s", cli->pins.root,
		      strerror(-err));
		policy_names_close(pn);
		return EXIT_FAIL;
	}
	return 0;
}

void policy_names_close(struct policy_names *pn)
{
	if (pn->identity_fd >= 0)
		close(pn->identity_fd);
	if (pn->meta_fd >= 0)
		close(pn->meta_fd);
	free(pn->eps);
	pn->identity_fd = pn->meta_fd = -1;
	pn->eps = NULL;
}

void identity_name(const struct policy_names *pn, __u32 id, char *buf, size_t len)
{
	struct sluice_identity_meta m;

	switch (id) {
	case SLUICE_IDENTITY_ANY:
		snprintf(buf, len, "any");
		return;
	case SLUICE_IDENTITY_HOST:
		snprintf(buf, len, "host");
		return;
	case SLUICE_IDENTITY_WORLD:
		snprintf(buf, len, "world");
		return;
	}
	if (bpf_map_lookup_elem(pn->identity_fd, &id, &m))
		snprintf(buf, len, "?");
	else
		copy_field(buf, len, m.desc);
}

void policy_name(const struct policy_names *pn, __u32 id, char *buf, size_t len)
{
	struct sluice_policy_meta m;

	if (id == SLUICE_POLICY_ID_NONE)
		snprintf(buf, len, "(built-in)");
	else if (bpf_map_lookup_elem(pn->meta_fd, &id, &m))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%s/%s", m.namespace, m.name);
}

void address_pod(const struct policy_names *pn, __be32 addr, char *buf, size_t len)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < pn->n_eps; i++) {
		const struct endpoint *ep = &pn->eps[i];

		if (ep->key.family == SLUICE_FAMILY_IPV4 && ep->key.addr[0] == addr &&
		    ep->meta.pod_name[0]) {
			snprintf(buf, len, "%s/%s", ep->meta.pod_namespace, ep->meta.pod_name);
			return;
		}
	}
}

void proto_name(__u8 proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP:
		snprintf(buf, len, "tcp");
		break;
	case IPPROTO_UDP:
		snprintf(buf, len, "udp");
		break;
	case IPPROTO_SCTP:
		snprintf(buf, len, "sctp");
		break;
	case IPPROTO_ICMP:
		snprintf(buf, len, "icmp");
		break;
	default:
		snprintf(buf, len, "%u", proto);
	}
}
