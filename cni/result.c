// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"
#include "version.h"
#include "lib/field.h"

/* Longest CIDR text: an IPv6 address, '/', three digits. */
#define CIDR_STR_LEN (INET6_ADDRSTRLEN + 4)

bool cni_addr_parse(const char *s, struct cni_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->addr) == 1) {
		a->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, a->addr) == 1) {
		a->family = AF_INET6;
		return true;
	}
	return false;
}

bool cni_cidr_parse(const char *s, struct cni_addr *a, unsigned int *prefix)
{
	char buf[CIDR_STR_LEN], *slash, *end;
	unsigned long p;

	if (!copy_field(buf, sizeof(buf), s))
		return false;
	slash = strchr(buf, '/');
	if (!slash || !slash[1])
		return false;
	*slash = '\0';
	if (!cni_addr_parse(buf, a))
		return false;
	p = strtoul(slash + 1, &end, 10);
	if (*end || slash[1] < '0' || slash[1] > '9' || p > (a->family == AF_INET ? 32u : 128u))
		return false;
	*prefix = (unsigned int)p;
	return true;
}

void cni_addr_str(const struct cni_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family, a->addr, buf, len) && len)
		buf[0] = '\0';
}

bool cni_addr_equal(const struct cni_addr *a, const struct cni_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : CNI_ADDR_LEN);
}

static const char *get_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int bad(struct cni_error *err, const char *what, const char *field)
{
	return cni_fail(err, CNI_ERR_DECODE, "cannot decode a CNI result",
			"%s: \"%s\" is missing or invalid", what, field);
}

static int parse_ifaces(const cJSON *list, const char *what, struct cni_result *r,
			struct cni_error *err)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, list) {
		struct cni_iface *f;
		const char *name = get_str(it, "name"), *mac = get_str(it, "mac");
		const char *sandbox = get_str(it, "sandbox");
		const cJSON *mtu = cJSON_GetObjectItemCaseSensitive(it, "mtu");

		if (r->n_ifaces == CNI_RESULT_MAX_IFACES)
			return bad(err, what, "interfaces (too many)");
		f = &r->ifaces[r->n_ifaces++];
		if (!name || !copy_field(f->name, sizeof(f->name), name))
			return bad(err, what, "interfaces[].name");
		if (mac && !copy_field(f->mac, sizeof(f->mac), mac))
			return bad(err, what, "interfaces[].mac");
		if (sandbox && !copy_field(f->sandbox, sizeof(f->sandbox), sandbox))
			return bad(err, what, "interfaces[].sandbox");
		if (cJSON_IsNumber(mtu) && mtu->valuedouble > 0)
			f->mtu = (unsigned int)mtu->valuedouble;
	}
	return 0;
}

static int parse_ips(const cJSON *list, const char *what, struct cni_result *r,
		     struct cni_error *err)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, list) {
		const char *addr = get_str(it, "address"), *gw = get_str(it, "gateway");
		const cJSON *iface = cJSON_GetObjectItemCaseSensitive(it, "interface");
		struct cni_ip *ip;

		if (r->n_ips == CNI_RESULT_MAX_IPS)
			return bad(err, what, "ips (too many)");
		ip = &r->ips[r->n_ips++];
		if (!addr || !cni_cidr_parse(addr, &ip->addr, &ip->prefix))
			return bad(err, what, "ips[].address");
		if (gw) {
			if (!cni_addr_parse(gw, &ip->gateway))
				return bad(err, what, "ips[].gateway");
			ip->has_gateway = true;
		}
		ip->iface = -1;
		if (cJSON_IsNumber(iface)) {
			if (iface->valuedouble < 0 || iface->valuedouble >= CNI_RESULT_MAX_IFACES)
				return bad(err, what, "ips[].interface");
			ip->iface = (int)iface->valuedouble;
		}
	}
	return 0;
}

static int parse_routes(const cJSON *list, const char *what, struct cni_result *r,
			struct cni_error *err)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, list) {
		const char *dst = get_str(it, "dst"), *gw = get_str(it, "gw");
		struct cni_route *rt;

		if (r->n_routes == CNI_RESULT_MAX_ROUTES)
			return bad(err, what, "routes (too many)");
		rt = &r->routes[r->n_routes++];
		if (!dst || !cni_cidr_parse(dst, &rt->dst, &rt->prefix))
			return bad(err, what, "routes[].dst");
		if (gw) {
			if (!cni_addr_parse(gw, &rt->gw))
				return bad(err, what, "routes[].gw");
			rt->has_gw = true;
		}
	}
	return 0;
}

int cni_result_parse(const cJSON *obj, const char *what, struct cni_result *r,
		     struct cni_error *err)
{
	const cJSON *ifaces, *ips, *routes, *dns;

	memset(r, 0, sizeof(*r));
	if (!cJSON_IsObject(obj))
		return bad(err, what, "result");
	ifaces = cJSON_GetObjectItemCaseSensitive(obj, "interfaces");
	ips = cJSON_GetObjectItemCaseSensitive(obj, "ips");
	routes = cJSON_GetObjectItemCaseSensitive(obj, "routes");
	dns = cJSON_GetObjectItemCaseSensitive(obj, "dns");
	if ((ifaces && !cJSON_IsArray(ifaces)) || (ips && !cJSON_IsArray(ips)) ||
	    (routes && !cJSON_IsArray(routes)) || (dns && !cJSON_IsObject(dns)))
		return bad(err, what, "interfaces/ips/routes/dns");
	if ((ifaces && parse_ifaces(ifaces, what, r, err)) || (ips && parse_ips(ips, what, r, err)) ||
	    (routes && parse_routes(routes, what, r, err)))
		return err->code;
	if (dns)
		r->dns = cJSON_Duplicate(dns, 1);
	return 0;
}

static void add_cidr(cJSON *o, const char *key, const struct cni_addr *a, unsigned int prefix)
{
	char addr[INET6_ADDRSTRLEN], cidr[CIDR_STR_LEN];

	cni_addr_str(a, addr, sizeof(addr));
	snprintf(cidr, sizeof(cidr), "%s/%u", addr, prefix);
	cJSON_AddStringToObject(o, key, cidr);
}

static void add_addr(cJSON *o, const char *key, const struct cni_addr *a)
{
	char addr[INET6_ADDRSTRLEN];

	cni_addr_str(a, addr, sizeof(addr));
	cJSON_AddStringToObject(o, key, addr);
}

char *cni_result_json(const struct cni_result *r, const char *version)
{
	bool v0 = cni_version_is_0x(version);
	bool has_mtu = cni_version_cmp(version, "1.1.0") >= 0;
	cJSON *o = cJSON_CreateObject(), *arr;
	unsigned int i;
	char *s;

	cJSON_AddStringToObject(o, "cniVersion", version);
	arr = cJSON_AddArrayToObject(o, "interfaces");
	for (i = 0; i < r->n_ifaces; i++) {
		cJSON *f = cJSON_CreateObject();

		cJSON_AddStringToObject(f, "name", r->ifaces[i].name);
		if (r->ifaces[i].mac[0])
			cJSON_AddStringToObject(f, "mac", r->ifaces[i].mac);
		if (has_mtu && r->ifaces[i].mtu)
			cJSON_AddNumberToObject(f, "mtu", r->ifaces[i].mtu);
		if (r->ifaces[i].sandbox[0])
			cJSON_AddStringToObject(f, "sandbox", r->ifaces[i].sandbox);
		cJSON_AddItemToArray(arr, f);
	}
	arr = cJSON_AddArrayToObject(o, "ips");
	for (i = 0; i < r->n_ips; i++) {
		const struct cni_ip *ip = &r->ips[i];
		cJSON *j = cJSON_CreateObject();

		if (v0)
			cJSON_AddStringToObject(j, "version", ip->addr.family == AF_INET ? "4" : "6");
		add_cidr(j, "address", &ip->addr, ip->prefix);
		if (ip->has_gateway)
			add_addr(j, "gateway", &ip->gateway);
		if (ip->iface >= 0)
			cJSON_AddNumberToObject(j, "interface", ip->iface);
		cJSON_AddItemToArray(arr, j);
	}
	if (r->n_routes) {
		arr = cJSON_AddArrayToObject(o, "routes");
		for (i = 0; i < r->n_routes; i++) {
			cJSON *j = cJSON_CreateObject();

			add_cidr(j, "dst", &r->routes[i].dst, r->routes[i].prefix);
			if (r->routes[i].has_gw)
				add_addr(j, "gw", &r->routes[i].gw);
			cJSON_AddItemToArray(arr, j);
		}
	}
	/* IPAM plugins send an empty "dns": {} when they know none; leave it out then. */
	if (r->dns && r->dns->child)
		cJSON_AddItemToObject(o, "dns", cJSON_Duplicate(r->dns, 1));
	s = cJSON_Print(o);
	cJSON_Delete(o);
	return s;
}

void cni_result_free(struct cni_result *r)
{
	cJSON_Delete(r->dns);
	r->dns = NULL;
}
