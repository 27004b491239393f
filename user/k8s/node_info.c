// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "k8s/fields.h"
#include "k8s/node_info.h"

static int fail(char *why, size_t len, const char *what)
{
	snprintf(why, len, "%s", what);
	return -EINVAL;
}

static int add_cidr(struct node_info *n, const char *s, const char *field, char *why, size_t len)
{
	struct np_cidr c;
	bool v6;

	if (!np_cidr_parse(s, &c, &v6)) {
		if (v6)
			return 0;
		snprintf(why, len, "%s '%s' is not an IPv4 or IPv6 network", field, s);
		return -EINVAL;
	}
	if (!c.prefix) {
		snprintf(why, len, "%s '%s' is not a pod network", field, s);
		return -EINVAL;
	}
	/* At most one per family, and podCIDR repeats podCIDRs[0]. */
	if (n->cidr.prefix && (n->cidr.addr.s_addr != c.addr.s_addr || n->cidr.prefix != c.prefix))
		return fail(why, len, "spec.podCIDRs has more than one IPv4 network");
	n->cidr = c;
	return 0;
}

static int pod_cidrs(const cJSON *obj, struct node_info *n, char *why, size_t len)
{
	const cJSON *list = k8s_get(obj, "spec.podCIDRs"), *it;
	const char *one = k8s_str(obj, "spec.podCIDR", "", why, len);
	int err;

	if (!one)
		return -EINVAL;
	if (list && !cJSON_IsArray(list))
		return fail(why, len, "spec.podCIDRs must be a list");
	cJSON_ArrayForEach(it, k8s_list(list)) {
		if (!cJSON_IsString(it))
			return fail(why, len, "spec.podCIDRs[] must be strings");
		err = add_cidr(n, it->valuestring, "spec.podCIDRs[]", why, len);
		if (err)
			return err;
	}
	/* podCIDR is podCIDRs[0] by the API's rules; older objects carry only it. */
	return *one ? add_cidr(n, one, "spec.podCIDR", why, len) : 0;
}

static int internal_ip(const cJSON *obj, struct node_info *n, char *why, size_t len)
{
	const cJSON *list = k8s_get(obj, "status.addresses"), *it;

	if (list && !cJSON_IsArray(list))
		return fail(why, len, "status.addresses must be a list");
	cJSON_ArrayForEach(it, k8s_list(list)) {
		const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "type"));
		const char *addr = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "address"));

		if (!type || !addr)
			return fail(why, len, "status.addresses[] needs string type and address");
		if (strcmp(type, "InternalIP"))
			continue;
		if (k8s_ipv4(addr, &n->addr))
			return 0;
		if (!k8s_ipv6(addr)) {
			snprintf(why, len, "status.addresses[] InternalIP '%s' is not an address", addr);
			return -EINVAL;
		}
	}
	return 0;
}

int node_info_parse(const cJSON *obj, struct node_info *n, char *why, size_t len)
{
	const char *name;
	int err;

	memset(n, 0, sizeof(*n));
	why[0] = '\0';
	name = k8s_str(obj, "metadata.name", NULL, why, len);
	if (!name)
		return why[0] ? -EINVAL : fail(why, len, "metadata.name is missing");
	if (!*name)
		return fail(why, len, "metadata.name is empty");
	if (!k8s_copy(n->name, sizeof(n->name), name, "metadata.name", why, len))
		return -EINVAL;
	err = pod_cidrs(obj, n, why, len);
	return err ? err : internal_ip(obj, n, why, len);
}
