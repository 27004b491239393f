/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Delegating address management to the IPAM plugin the config names, as the
 * CNI spec's section 4 describes, in the newest spec version both plugins speak.
 */
#ifndef SLUICE_CNI_IPAM_H
#define SLUICE_CNI_IPAM_H

#include <limits.h>
#include <cjson/cJSON.h>

#include "conf.h"
#include "env.h"
#include "errors.h"

struct ipam {
	char path[PATH_MAX];	/* the plugin binary found on CNI_PATH */
	const char *version;	/* the spec version both speak */
};

/* Finds the plugin on CNI_PATH and agrees on a version with it (its VERSION command). */
int ipam_open(struct ipam *ipam, const struct cni_conf *conf, const struct cni_env *env,
	      struct cni_error *err);

/* Runs ADD; *result gets the plugin's result object (caller deletes). */
int ipam_add(const struct ipam *ipam, const struct cni_conf *conf, cJSON **result,
	     struct cni_error *err);
/* Runs command (DEL, CHECK, STATUS, GC) with the caller's environment. */
int ipam_run(const struct ipam *ipam, const struct cni_conf *conf, const char *command,
	     struct cni_error *err);
/* Runs DEL for another attachment than the caller's own (GC of a stale one). */
int ipam_del_attachment(const struct ipam *ipam, const struct cni_conf *conf,
			const char *container_id, const char *ifname, struct cni_error *err);

#endif
