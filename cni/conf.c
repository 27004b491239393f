// SPDX-License-Identifier: Apache-2.0
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "naming.h"
#include "version.h"
#include "lib/field.h"
#include <sluice/pins.h>

/* A plugin type is a file name: no path separator, not "." or "..". */
static bool valid_plugin_name(const char *s)
{
	return *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

static int parse_string(const cJSON *root, const char *key, bool required, const char **out,
			struct cni_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);

	*out = NULL;
	if (!v) {
		if (required)
			return cni_fail(err, CNI_ERR_INVALID_CONFIG, "missing field",
					"the network configuration needs \"%s\"", key);
		return 0;
	}
	if (!cJSON_IsString(v))
		return cni_fail(err, CNI_ERR_INVALID_CONFIG, "invalid field",
				"\"%s\" must be a string", key);
	*out = v->valuestring;
	return 0;
}

static int parse_ipam(const cJSON *root, struct cni_conf *conf, struct cni_error *err)
{
	const cJSON *ipam = cJSON_GetObjectItemCaseSensitive(root, "ipam");
	const cJSON *type;

	if (!ipam)
		return 0;
	if (!cJSON_IsObject(ipam))
		return cni_fail(err, CNI_ERR_INVALID_CONFIG, "invalid field",
				"\"ipam\" must be an object");
	type = cJSON_GetObjectItemCaseSensitive(ipam, "type");
	if (!cJSON_IsString(type) || !valid_plugin_name(type->valuestring) ||
	    !copy_field(conf->ipam_type, sizeof(conf->ipam_type), type->valuestring))
		return cni_fail(err, CNI_ERR_INVALID_CONFIG, "invalid field",
				"\"ipam.type\" must name the IPAM plugin to run, a file name on "
				"CNI_PATH such as \"host-local\"");
	return 0;
}

static int parse_mtu(const cJSON *root, struct cni_conf *conf, struct cni_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "mtu");

	conf->mtu = CNI_MTU_DEFAULT;
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble != (double)(long)v->valuedouble ||
	    v->valuedouble < CNI_MTU_MIN || v->valuedouble > CNI_MTU_MAX)
		return cni_fail(err, CNI_ERR_INVALID_CONFIG, "invalid field",
				"\"mtu\" must be a whole number from %d to %d", CNI_MTU_MIN,
				CNI_MTU_MAX);
	conf->mtu = (unsigned int)v->valuedouble;
	conf->mtu_set = true;
	return 0;
}

static int parse_valid_attachments(const cJSON *root, struct cni_conf *conf,
				   struct cni_error *err)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "cni.dev/valid-attachments");
	const cJSON *item;
	size_t i = 0;

	if (!list)
		return 0;
	if (!cJSON_IsArray(list))
		return cni_fail(err, CNI_ERR_INVALID_CONFIG, "invalid field",
				"\"cni.dev/valid-attachments\" must be a list");
	conf->has_valid = 1;
	conf->n_valid = (size_t)cJSON_GetArraySize(list);
	conf->valid = calloc(conf->n_valid ? conf->n_valid : 1, sizeof(*conf->valid));
	if (!conf->valid)
		return cni_fail(err, CNI_ERR_IO, "out of memory", "valid-attachments");
	cJSON_ArrayForEach(item, list) {
		struct cni_attachment *a = &conf->valid[i++];
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "containerID");
		const cJSON *ifname = cJSON_GetObjectItemCaseSensitive(item, "ifname");

		if (!cJSON_IsString(id) || !cJSON_IsString(ifname))
			return cni_fail(err, CNI_ERR_INVALID_CONFIG, "invalid field",
					"each entry of \"cni.dev/valid-attachments\" needs "
					"\"containerID\" and \"ifname\" strings");
		a->container_id = id->valuestring;
		a->ifname = ifname->valuestring;
	}
	return 0;
}

int cni_conf_parse(const char *json, struct cni_conf *conf, struct cni_error *err)
{
	const char *name, *bpffs, *type;
	cJSON *root;

	memset(conf, 0, sizeof(*conf));
	root = cJSON_Parse(json);
	if (!root)
		return cni_fail(err, CNI_ERR_DECODE, "cannot decode the network configuration",
				"stdin is not valid JSON");
	conf->root = root;
	if (!cJSON_IsObject(root))
		return cni_fail(err, CNI_ERR_DECODE, "cannot decode the network configuration",
				"stdin must hold a JSON object");
	if (parse_string(root, "cniVersion", true, &conf->version, err))
		return err->code;
	if (!cni_version_supported(conf->version)) {
		const char *v = conf->version;

		conf->version = NULL;
		return cni_fail(err, CNI_ERR_INCOMPATIBLE_VERSION, "incompatible CNI version",
				"cniVersion \"%s\" is not one sluice-cni speaks (0.3.0 to %s)", v,
				CNI_VERSION_LATEST);
	}
	if (parse_string(root, "name", true, &name, err))
		return err->code;
	if (!cni_name_valid(name) || !copy_field(conf->name, sizeof(conf->name), name))
		return cni_fail(err, CNI_ERR_INVALID_CONFIG, "invalid field",
				"\"name\" \"%s\" must start with a letter or digit, hold only letters, "
				"digits, '_', '.', '-', and be under %d characters", name, CNI_NAME_LEN);
	if (parse_string(root, "type", true, &type, err))
		return err->code;
	if (parse_string(root, "bpffs", false, &bpffs, err))
		return err->code;
	if (!bpffs)
		bpffs = SLUICE_PIN_ROOT_DEFAULT;
	if (bpffs[0] != '/' || !copy_field(conf->bpffs, sizeof(conf->bpffs), bpffs))
		return cni_fail(err, CNI_ERR_INVALID_CONFIG, "invalid field",
				"\"bpffs\" \"%s\" must be an absolute path (the agent's pin root)",
				bpffs);
	if (parse_mtu(root, conf, err) || parse_ipam(root, conf, err) ||
	    parse_valid_attachments(root, conf, err))
		return err->code;
	conf->prev_result = cJSON_GetObjectItemCaseSensitive(root, "prevResult");
	if (conf->prev_result && !cJSON_IsObject(conf->prev_result))
		return cni_fail(err, CNI_ERR_INVALID_CONFIG, "invalid field",
				"\"prevResult\" must be an object");
	return 0;
}

void cni_conf_free(struct cni_conf *conf)
{
	free(conf->valid);
	cJSON_Delete(conf->root);
	memset(conf, 0, sizeof(*conf));
}

const char *cni_conf_version_or_latest(const struct cni_conf *conf)
{
	return conf->version ? conf->version : CNI_VERSION_LATEST;
}
