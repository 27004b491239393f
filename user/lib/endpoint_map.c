// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "lib/endpoint_map.h"

int endpoint_maps_open(const struct sluice_pins *pins, struct endpoint_maps *m)
{
	m->info_fd = pins_open_map(pins, SLUICE_STR(SLUICE_MAP_ENDPOINT));
	if (m->info_fd < 0)
		return m->info_fd;
	m->meta_fd = pins_open_map(pins, SLUICE_STR(SLUICE_MAP_EP_META));
	if (m->meta_fd < 0) {
		int err = m->meta_fd;

		close(m->info_fd);
		m->info_fd = -1;
		return err;
	}
	return 0;
}

void endpoint_maps_close(struct endpoint_maps *m)
{
	if (m->info_fd >= 0)
		close(m->info_fd);
	if (m->meta_fd >= 0)
		close(m->meta_fd);
	m->info_fd = m->meta_fd = -1;
}

void endpoint_key_ipv4(struct sluice_endpoint_key *key, struct in_addr addr)
{
	memset(key, 0, sizeof(*key));
	key->family = SLUICE_FAMILY_IPV4;
	key->addr[0] = addr.s_addr;
}

void endpoint_key_str(const struct sluice_endpoint_key *key, char *buf, size_t len)
{
	int af = key->family == SLUICE_FAMILY_IPV6 ? AF_INET6 : AF_INET;

	if (!inet_ntop(af, key->addr, buf, len) && len)
		buf[0] = '\0';
}

static bool same_attachment(const struct sluice_endpoint_meta *a,
			    const struct sluice_endpoint_meta *b)
{
	return !strcmp(a->container_id, b->container_id) && !strcmp(a->ifname, b->ifname);
}

int endpoint_put(const struct endpoint_maps *m, const struct endpoint *ep)
{
	struct sluice_endpoint_meta old;

	if (!bpf_map_lookup_elem(m->meta_fd, &ep->key, &old) && !same_attachment(&old, &ep->meta))
		return -EEXIST;
	if (bpf_map_update_elem(m->meta_fd, &ep->key, &ep->meta, BPF_ANY))
		return -errno;
	if (bpf_map_update_elem(m->info_fd, &ep->key, &ep->info, BPF_ANY)) {
		int err = -errno;

		bpf_map_delete_elem(m->meta_fd, &ep->key);
		return err;
	}
	return 0;
}

int endpoint_delete(const struct endpoint_maps *m, const struct sluice_endpoint_key *key)
{
	/* Datapath entry first: nothing is forwarded to a half-removed endpoint. */
	if (bpf_map_delete_elem(m->info_fd, key) && errno != ENOENT)
		return -errno;
	if (bpf_map_delete_elem(m->meta_fd, key) && errno != ENOENT)
		return -errno;
	return 0;
}

int endpoint_get(const struct endpoint_maps *m, const struct sluice_endpoint_key *key,
		 struct endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->key = *key;
	if (bpf_map_lookup_elem(m->info_fd, key, &ep->info))
		return -errno;
	if (bpf_map_lookup_elem(m->meta_fd, key, &ep->meta) && errno != ENOENT)
		return -errno;
	return 0;
}

/*
 * Walks the metadata map: it holds every endpoint, including one whose
 * datapath entry a crash left unwritten.
 */
static int meta_walk(const struct endpoint_maps *m,
		     int (*fn)(const struct sluice_endpoint_key *, const struct sluice_endpoint_meta *, void *),
		     void *ctx)
{
	struct sluice_endpoint_key key, next;
	struct sluice_endpoint_meta meta;
	void *prev = NULL;
	int ret;

	while (!bpf_map_get_next_key(m->meta_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(m->meta_fd, &key, &meta))
			continue;
		ret = fn(&key, &meta, ctx);
		if (ret)
			return ret;
	}
	return errno == ENOENT ? 0 : -errno;
}

struct find_ctx {
	const char *container_id;
	const char *ifname;
	struct sluice_endpoint_key key;
};

static int find_cb(const struct sluice_endpoint_key *key,
		   const struct sluice_endpoint_meta *meta, void *arg)
{
	struct find_ctx *f = arg;

	if (strcmp(meta->container_id, f->container_id) || strcmp(meta->ifname, f->ifname))
		return 0;
	f->key = *key;
	return 1;
}

int endpoint_find_attachment(const struct endpoint_maps *m, const char *container_id,
			     const char *ifname, struct endpoint *ep)
{
	struct find_ctx f = { .container_id = container_id, .ifname = ifname };
	int ret = meta_walk(m, find_cb, &f);

	if (ret < 0)
		return ret;
	if (ret == 0)
		return -ENOENT;
	ret = endpoint_get(m, &f.key, ep);
	if (ret == -ENOENT) {
		/* Metadata without a datapath entry: still this attachment's. */
		memset(ep, 0, sizeof(*ep));
		ep->key = f.key;
		ret = bpf_map_lookup_elem(m->meta_fd, &f.key, &ep->meta) ? -errno : 0;
	}
	return ret;
}

struct list_ctx {
	const struct endpoint_maps *m;
	struct endpoint *eps;
	size_t count, cap;
};

static int list_cb(const struct sluice_endpoint_key *key,
		   const struct sluice_endpoint_meta *meta, void *arg)
{
	struct list_ctx *l = arg;
	struct endpoint *ep;

	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct endpoint *eps = realloc(l->eps, cap * sizeof(*eps));

		if (!eps)
			return -ENOMEM;
		l->eps = eps;
		l->cap = cap;
	}
	ep = &l->eps[l->count];
	memset(ep, 0, sizeof(*ep));
	ep->key = *key;
	ep->meta = *meta;
	/* An entry with metadata alone is listed with ifindex 0. */
	bpf_map_lookup_elem(l->m->info_fd, key, &ep->info);
	l->count++;
	return 0;
}

int endpoint_list(const struct endpoint_maps *m, struct endpoint **out, size_t *count)
{
	struct list_ctx l = { .m = m };
	int err = meta_walk(m, list_cb, &l);

	if (err) {
		free(l.eps);
		return err;
	}
	*out = l.eps;
	*count = l.count;
	return 0;
}

int endpoint_usage(const struct endpoint_maps *m, size_t *used, __u32 *capacity)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	struct endpoint *eps;
	int err;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(m->info_fd, &info, &len))
		return -errno;
	err = endpoint_list(m, &eps, used);
	if (err)
		return err;
	free(eps);
	*capacity = info.max_entries;
	return 0;
}
