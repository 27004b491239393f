// SPDX-License-Identifier: Apache-2.0
/* VERSION: which spec versions sluice-cni speaks. */
#include <cjson/cJSON.h>

#include "plugin.h"
#include "version.h"

char *cni_version_json(const char *input)
{
	cJSON *in = cJSON_Parse(input), *o = cJSON_CreateObject(), *arr;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, "cniVersion");
	unsigned int parsed[3];
	size_t i;
	char *s;

	/* Echo the caller's version when it is one; libcni may send any. */
	cJSON_AddStringToObject(o, "cniVersion",
				cJSON_IsString(v) && cni_version_parse(v->valuestring, parsed) ?
				v->valuestring : CNI_VERSION_LATEST);
	arr = cJSON_AddArrayToObject(o, "supportedVersions");
	for (i = 0; i < cni_supported_count; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(cni_supported_versions[i]));
	s = cJSON_Print(o);
	cJSON_Delete(o);
	cJSON_Delete(in);
	return s;
}
