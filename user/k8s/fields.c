// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <stdio.h>
#include <string.h>

#include "k8s/fields.h"
#include "lib/field.h"

/* Longest dotted path the code asks for. */
#define K8S_PATH_LEN 128

const cJSON *k8s_get(const cJSON *obj, const char *path)
{
	char buf[K8S_PATH_LEN], *save = NULL, *part;
	const cJSON *cur = obj;

	if (!copy_field(buf, sizeof(buf), path))
		return NULL;
	for (part = strtok_r(buf, ".", &save); part && cur; part = strtok_r(NULL, ".", &save))
		cur = cJSON_IsObject(cur) ? cJSON_GetObjectItemCaseSensitive(cur, part) : NULL;
	return cur;
}

const char *k8s_str(const cJSON *obj, const char *path, const char *def, char *why, size_t len)
{
	const cJSON *v = k8s_get(obj, path);

	if (!v || cJSON_IsNull(v))
		return def;
	if (!cJSON_IsString(v)) {
		snprintf(why, len, "%s is not a string", path);
		return NULL;
	}
	return v->valuestring;
}

bool k8s_copy(char *dst, size_t size, const char *src, const char *field, char *why, size_t len)
{
	if (copy_field(dst, size, src))
		return true;
	snprintf(why, len, "%s is longer than %zu characters", field, size - 1);
	return false;
}

bool k8s_int(const cJSON *obj, const char *path, long def, long min, long max, long *out,
	     char *why, size_t len)
{
	const cJSON *v = k8s_get(obj, path);

	if (!v || cJSON_IsNull(v)) {
		*out = def;
		return true;
	}
	if (!cJSON_IsNumber(v) || v->valuedouble != (double)(long)v->valuedouble ||
	    v->valuedouble < min || v->valuedouble > max) {
		snprintf(why, len, "%s must be a whole number from %ld to %ld", path, min, max);
		return false;
	}
	*out = (long)v->valuedouble;
	return true;
}

bool k8s_protocol(const cJSON *obj, uint8_t *proto, char *why, size_t len)
{
	const char *p = k8s_str(obj, "protocol", "TCP", why, len);

	if (!p)
		return false;
	if (!strcmp(p, "TCP"))
		*proto = IPPROTO_TCP;
	else if (!strcmp(p, "UDP"))
		*proto = IPPROTO_UDP;
	else if (!strcmp(p, "SCTP"))
		*proto = IPPROTO_SCTP;
	else {
		snprintf(why, len, "protocol \"%s\" is not TCP, UDP or SCTP", p);
		return false;
	}
	return true;
}

bool k8s_ipv4(const char *s, struct in_addr *a)
{
	return inet_pton(AF_INET, s, a) == 1;
}

bool k8s_meta(const cJSON *obj, char *ns, size_t ns_len, char *name, size_t name_len,
	      char *why, size_t len)
{
	const char *n = k8s_str(obj, "metadata.name", NULL, why, len);
	const char *s = k8s_str(obj, "metadata.namespace", "default", why, len);

	if (!n || !*n) {
		if (!why[0])
			snprintf(why, len, "metadata.name is missing");
		return false;
	}
	if (!s)
		return false;
	return k8s_copy(name, name_len, n, "metadata.name", why, len) &&
	       k8s_copy(ns, ns_len, s, "metadata.namespace", why, len);
}

int k8s_in(char *why, size_t len, const char *prefix)
{
	char tmp[K8S_WHY_LEN];

	if (strncmp(why, prefix, strlen(prefix))) {
		snprintf(tmp, sizeof(tmp), "%s%s", prefix, why);
		copy_field(why, len, tmp);
	}
	return -EINVAL;
}

bool k8s_ipv6(const char *s)
{
	struct in6_addr a;

	return inet_pton(AF_INET6, s, &a) == 1;
}

const cJSON *k8s_list(const cJSON *v)
{
	return cJSON_IsArray(v) ? v : NULL;
}
