/* SPDX-License-Identifier: Apache-2.0 */
/* One sluice-cni invocation: its inputs, its answer, and the commands. */
#ifndef SLUICE_CNI_PLUGIN_H
#define SLUICE_CNI_PLUGIN_H

#include "conf.h"
#include "env.h"
#include "errors.h"
#include "lib/pins.h"

struct cni_ctx {
	struct cni_env env;
	struct cni_conf conf;
	struct sluice_pins pins;	/* from conf.bpffs */
	struct cni_error err;
	char *output;			/* printed on success; NULL prints nothing */
};

/* Each returns 0 or the CNI error code recorded in ctx->err. */
int cni_cmd_add(struct cni_ctx *ctx);
int cni_cmd_del(struct cni_ctx *ctx);
int cni_cmd_check(struct cni_ctx *ctx);
int cni_cmd_status(struct cni_ctx *ctx);
int cni_cmd_gc(struct cni_ctx *ctx);
/* VERSION reads nothing but stdin's cniVersion, as libcni probes with dummy values. */
char *cni_version_json(const char *input);

/*
 * Serialises sluice-cni invocations on one pin root (ADD, DEL and GC read
 * and change the same veths and maps). Returns a descriptor to close, or -1
 * when the root does not exist yet (nothing there to protect).
 */
int cni_lock(const struct sluice_pins *pins);

#endif
