// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include "k8s/object.h"

static const struct {
	const char *kind;
	const char *api_version;
} kinds[K8S_KIND_MAX] = {
	[K8S_KIND_NODE] = { "Node", "v1" },
	[K8S_KIND_NAMESPACE] = { "Namespace", "v1" },
	[K8S_KIND_POD] = { "Pod", "v1" },
	[K8S_KIND_SERVICE] = { "Service", "v1" },
	[K8S_KIND_ENDPOINTSLICE] = { "EndpointSlice", "discovery.k8s.io/v1" },
	[K8S_KIND_NETWORKPOLICY] = { "NetworkPolicy", "networking.k8s.io/v1" },
};

const char *k8s_kind_name(enum k8s_kind kind)
{
	return (unsigned)kind < K8S_KIND_MAX ? kinds[kind].kind : "Unknown";
}

const char *k8s_kind_api_version(enum k8s_kind kind)
{
	return (unsigned)kind < K8S_KIND_MAX ? kinds[kind].api_version : "";
}

bool k8s_kind_of(const cJSON *obj, enum k8s_kind *kind)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(obj, "kind");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "apiVersion");
	int i;

	if (!cJSON_IsString(k) || !cJSON_IsString(v))
		return false;
	for (i = 0; i < K8S_KIND_MAX; i++) {
		if (!strcmp(k->valuestring, kinds[i].kind) &&
		    !strcmp(v->valuestring, kinds[i].api_version)) {
			*kind = (enum k8s_kind)i;
			return true;
		}
	}
	return false;
}
