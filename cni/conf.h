/* SPDX-License-Identifier: Apache-2.0 */
/* The network configuration a runtime hands sluice-cni on stdin. */
#ifndef SLUICE_CNI_CONF_H
#define SLUICE_CNI_CONF_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "errors.h"

/* Default MTU of pod interfaces: Ethernet's, which every node device carries. */
#define CNI_MTU_DEFAULT 1500
/* Smallest MTU an IPv4 interface may have (RFC 791). */
#define CNI_MTU_MIN 68
/* Largest MTU a veth accepts. */
#define CNI_MTU_MAX 65535
/* Longest IPAM plugin name kept: a file name under CNI_PATH. */
#define CNI_PLUGIN_NAME_LEN 256
/* Longest network name kept, as the endpoint metadata stores it. */
#define CNI_NAME_LEN 64

/* One entry of cni.dev/valid-attachments (GC). */
struct cni_attachment {
	const char *container_id;
	const char *ifname;
};

struct cni_conf {
	cJSON *root;		/* the whole config, passed on to IPAM */
	const char *version;	/* cniVersion */
	char name[CNI_NAME_LEN];
	char bpffs[PATH_MAX];
	unsigned int mtu;
	bool mtu_set;		/* "mtu" was given: it beats the agent's pod MTU */
	char ipam_type[CNI_PLUGIN_NAME_LEN];	/* empty when there is no ipam section */
	const cJSON *prev_result;		/* prevResult, or NULL */
	struct cni_attachment *valid;		/* GC's valid attachments */
	size_t n_valid;
	int has_valid;				/* cni.dev/valid-attachments was given */
};

/*
 * Parses and validates a plugin configuration. Every problem is a CNI error
 * whose details name the field, its value and what would be accepted.
 */
int cni_conf_parse(const char *json, struct cni_conf *conf, struct cni_error *err);
void cni_conf_free(struct cni_conf *conf);

/* The version to answer in when the config could not be read. */
const char *cni_conf_version_or_latest(const struct cni_conf *conf);

#endif
