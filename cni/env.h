/* SPDX-License-Identifier: Apache-2.0 */
/* The CNI_* environment a runtime runs sluice-cni with. */
#ifndef SLUICE_CNI_ENV_H
#define SLUICE_CNI_ENV_H

#include <linux/types.h>
#include <sluice/endpoint.h>

#include "errors.h"

enum cni_command {
	CNI_CMD_ADD,
	CNI_CMD_DEL,
	CNI_CMD_CHECK,
	CNI_CMD_STATUS,
	CNI_CMD_GC,
	CNI_CMD_VERSION,
};

struct cni_env {
	enum cni_command command;
	const char *command_name;
	const char *container_id;	/* CNI_CONTAINERID */
	const char *netns;		/* CNI_NETNS */
	const char *ifname;		/* CNI_IFNAME */
	const char *path;		/* CNI_PATH */
	/* From CNI_ARGS; empty when not given. */
	char pod_namespace[SLUICE_POD_NAMESPACE_LEN];
	char pod_name[SLUICE_POD_NAME_LEN];
};

/* Reads CNI_COMMAND alone: VERSION must work whatever else is set. */
int cni_env_command(struct cni_env *env, struct cni_error *err);
/*
 * Reads and checks the variables the command needs, per the spec's
 * "Required environment parameters" of each operation.
 */
int cni_env_parse(struct cni_env *env, struct cni_error *err);
/* Parses CNI_ARGS ("K=V;K=V"); unknown keys are ignored, malformed pairs are not. */
int cni_args_parse(const char *args, struct cni_env *env, struct cni_error *err);

#endif
