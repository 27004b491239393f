// SPDX-License-Identifier: Apache-2.0
/* `sluice service list`: every frontend with its backends, as the maps hold them. */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "cli/cli.h"

static const char usage[] =
	"Usage: sluice service { list } [--bpffs DIR] [-j]\n"
	"  list   every frontend (address, port, protocol, scope) with its service and backends\n";

struct backend_row {
	__u32 id;
	struct sluice_backend4 b;
};

struct frontend_row {
	struct sluice_svc4_key key;
	struct sluice_svc_value v;
	struct sluice_svc_meta meta;
	bool has_meta;
};

/* Where a map entry goes in a row: key and value each at their own offset. */
struct row_layout {
	size_t size, key_off, key_size, val_off;
};

static const struct row_layout fe_layout = {
	.size = sizeof(struct frontend_row),
	.key_off = offsetof(struct frontend_row, key),
	.key_size = sizeof(struct sluice_svc4_key),
	.val_off = offsetof(struct frontend_row, v),
};

static const struct row_layout be_layout = {
	.size = sizeof(struct backend_row),
	.key_off = offsetof(struct backend_row, id),
	.key_size = sizeof(__u32),
	.val_off = offsetof(struct backend_row, b),
};

static const char *const kind_names[] = {
	[SLUICE_SVC_CLUSTER_IP] = "ClusterIP",
	[SLUICE_SVC_NODE_PORT] = "NodePort",
	[SLUICE_SVC_EXTERNAL_IP] = "ExternalIP",
	[SLUICE_SVC_LOAD_BALANCER] = "LoadBalancer",
};

static const char *proto_name(__u8 proto)
{
	return proto == IPPROTO_UDP ? "udp" : proto == IPPROTO_TCP ? "tcp" : "other";
}

static int frontend_cmp(const void *a, const void *b)
{
	const struct frontend_row *x = a, *y = b;

	if (ntohl(x->key.addr) != ntohl(y->key.addr))
		return ntohl(x->key.addr) < ntohl(y->key.addr) ? -1 : 1;
	if (ntohs(x->key.port) != ntohs(y->key.port))
		return ntohs(x->key.port) < ntohs(y->key.port) ? -1 : 1;
	return memcmp(&x->key, &y->key, sizeof(x->key));
}

static int backend_cmp(const void *a, const void *b)
{
	const struct backend_row *x = a, *y = b;

	if (x->b.svc_id != y->b.svc_id)
		return x->b.svc_id < y->b.svc_id ? -1 : 1;
	return ntohl(x->b.addr) < ntohl(y->b.addr) ? -1 : ntohl(x->b.addr) > ntohl(y->b.addr);
}

/* Reads a whole hash map into rows; entries that vanish meanwhile are skipped. */
static int read_map(int fd, const struct row_layout *l, void **rows, size_t *n)
{
	char key[sizeof(struct sluice_svc4_key)], next[sizeof(key)];
	size_t cap = 0;
	void *prev = NULL;

	*rows = NULL;
	*n = 0;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		char *row;

		memcpy(key, next, l->key_size);
		prev = key;
		if (*n == cap) {
			void *r = realloc(*rows, (cap = cap ? cap * 2 : 64) * l->size);

			if (!r)
				return -ENOMEM;
			*rows = r;
		}
		row = (char *)*rows + *n * l->size;
		memset(row, 0, l->size);
		memcpy(row + l->key_off, key, l->key_size);
		if (!bpf_map_lookup_elem(fd, key, row + l->val_off))
			(*n)++;
	}
	return 0;
}

/* The first of frontend id's backends in bes (sorted by frontend id), or n_bes. */
static size_t first_backend(const struct backend_row *bes, size_t n_bes, __u32 id)
{
	size_t lo = 0, hi = n_bes, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (bes[mid].b.svc_id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const char *kind_name(const struct frontend_row *f)
{
	if (!f->has_meta || f->meta.kind >= sizeof(kind_names) / sizeof(kind_names[0]))
		return "?";
	return kind_names[f->meta.kind];
}

static cJSON *backend_json(const struct backend_row *r)
{
	cJSON *o = cJSON_CreateObject();
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &r->b.addr, a, sizeof(a));
	cJSON_AddNumberToObject(o, "id", r->id);
	cJSON_AddStringToObject(o, "address", a);
	cJSON_AddNumberToObject(o, "port", ntohs(r->b.port));
	cJSON_AddStringToObject(o, "state", r->b.flags & SLUICE_BACKEND_F_TERMINATING ?
				"terminating" : "active");
	cJSON_AddBoolToObject(o, "local", r->b.flags & SLUICE_BACKEND_F_LOCAL);
	return o;
}

static cJSON *frontend_json(const struct frontend_row *f, const struct backend_row *bes,
			    size_t n_bes)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	char a[INET_ADDRSTRLEN];
	size_t i;

	inet_ntop(AF_INET, &f->key.addr, a, sizeof(a));
	cJSON_AddNumberToObject(o, "id", f->v.id);
	cJSON_AddStringToObject(o, "address", a);
	cJSON_AddNumberToObject(o, "port", ntohs(f->key.port));
	cJSON_AddStringToObject(o, "protocol", proto_name(f->key.proto));
	cJSON_AddStringToObject(o, "scope",
				f->key.scope == SLUICE_SCOPE_EXTERNAL ? "external" : "internal");
	if (f->has_meta) {
		cJSON_AddStringToObject(o, "kind", kind_name(f));
		cJSON_AddStringToObject(o, "namespace", f->meta.namespace);
		cJSON_AddStringToObject(o, "name", f->meta.name);
		cJSON_AddStringToObject(o, "port_name", f->meta.port_name);
	}
	cJSON_AddBoolToObject(o, "affinity", f->v.flags & SLUICE_SVC_F_AFFINITY);
	if (f->v.flags & SLUICE_SVC_F_AFFINITY)
		cJSON_AddNumberToObject(o, "affinity_timeout", f->v.affinity_timeout);
	arr = cJSON_AddArrayToObject(o, "backends");
	for (i = first_backend(bes, n_bes, f->v.id); i < n_bes && bes[i].b.svc_id == f->v.id; i++)
		cJSON_AddItemToArray(arr, backend_json(&bes[i]));
	return o;
}

static void frontend_print(const struct frontend_row *f, const struct backend_row *bes,
			   size_t n_bes)
{
	char a[INET_ADDRSTRLEN], fe[48], svc[SLUICE_K8S_NAMESPACE_LEN + SLUICE_K8S_NAME_LEN + 80];
	size_t i, shown = 0;

	inet_ntop(AF_INET, &f->key.addr, a, sizeof(a));
	snprintf(fe, sizeof(fe), "%s:%u/%s", a, ntohs(f->key.port), proto_name(f->key.proto));
	snprintf(svc, sizeof(svc), "%s/%s:%s", f->meta.namespace, f->meta.name,
		 f->meta.port_name[0] ? f->meta.port_name : "-");
	printf("%-6u %-24s %-9s %-12s %-32s", f->v.id, fe,
	       f->key.scope == SLUICE_SCOPE_EXTERNAL ? "external" : "internal",
	       kind_name(f), f->has_meta ? svc : "?");
	for (i = first_backend(bes, n_bes, f->v.id); i < n_bes && bes[i].b.svc_id == f->v.id; i++) {
		inet_ntop(AF_INET, &bes[i].b.addr, a, sizeof(a));
		printf("%s%s:%u%s", shown++ ? ", " : " ", a, ntohs(bes[i].b.port),
		       bes[i].b.flags & SLUICE_BACKEND_F_TERMINATING ? " (terminating)" : "");
	}
	printf("%s\n", shown ? "" : " (none: refused)");
}

static int service_list(struct cli *cli, int argc, char **argv)
{
	int svc_fd, meta_fd, be_fd, err;
	struct frontend_row *fes = NULL;
	struct backend_row *bes = NULL;
	size_t n_fes = 0, n_bes = 0, i;

	if (argc) {
		p_err(cli, "service list takes no operands, got '%s'", argv[0]);
		return EXIT_USAGE;
	}
	svc_fd = pins_open_map(&cli->pins, SLUICE_STR(SLUICE_MAP_SVC4));
	meta_fd = pins_open_map(&cli->pins, SLUICE_STR(SLUICE_MAP_SVC_META));
	be_fd = pins_open_map(&cli->pins, SLUICE_STR(SLUICE_MAP_BACKEND4));
	if (svc_fd < 0 || meta_fd < 0 || be_fd < 0) {
		p_err(cli, "cannot open the service maps under %s (is the agent installed?)",
		      cli->pins.root);
		err = -ENOENT;
		goto out;
	}
	err = read_map(svc_fd, &fe_layout, (void **)&fes, &n_fes);
	if (!err)
		err = read_map(be_fd, &be_layout, (void **)&bes, &n_bes);
	if (err) {
		p_err(cli, "cannot read the service maps: %s", strerror(-err));
		goto out;
	}
	for (i = 0; i < n_fes; i++)
		fes[i].has_meta = !bpf_map_lookup_elem(meta_fd, &fes[i].v.id, &fes[i].meta);
	qsort(fes, n_fes, sizeof(*fes), frontend_cmp);
	qsort(bes, n_bes, sizeof(*bes), backend_cmp);
	if (cli->json) {
		cJSON *arr = cJSON_CreateArray();

		for (i = 0; i < n_fes; i++)
			cJSON_AddItemToArray(arr, frontend_json(&fes[i], bes, n_bes));
		p_json(cli, arr);
	} else {
		printf("%-6s %-24s %-9s %-12s %-32s %s\n", "ID", "FRONTEND", "SCOPE", "KIND",
		       "SERVICE", "BACKENDS");
		for (i = 0; i < n_fes; i++)
			frontend_print(&fes[i], bes, n_bes);
	}
out:
	free(fes);
	free(bes);
	if (svc_fd >= 0)
		close(svc_fd);
	if (meta_fd >= 0)
		close(meta_fd);
	if (be_fd >= 0)
		close(be_fd);
	return err ? EXIT_FAIL : EXIT_OK;
}

static const struct cli_cmd verbs[] = {
	{ "list", service_list, "every frontend and its backends" },
};

int cmd_service(struct cli *cli, int argc, char **argv)
{
	return cli_run_verb(cli, argc, argv, verbs, sizeof(verbs) / sizeof(verbs[0]), usage);
}
