// SPDX-License-Identifier: Apache-2.0
/*
 * sluice-cni: the CNI plugin that wires a pod to sluice's datapath. It never
 * loads BPF programs: it attaches the ones the agent pinned.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "plugin.h"
#include "lib/log.h"

/* Largest network configuration read from stdin; real ones are a few KiB. */
#define CNI_MAX_STDIN (1 << 20)

static char *read_stdin(void)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	while (buf) {
		if (len + 1 == cap) {
			char *nb = cap < CNI_MAX_STDIN ? realloc(buf, cap * 2) : NULL;

			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(STDIN_FILENO, buf + len, cap - len - 1);
		if (n == 0)
			break;
		if (n < 0) {
			free(buf);
			return NULL;
		}
		len += (size_t)n;
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

static int dispatch(struct cni_ctx *ctx)
{
	int lock = -1, ret;

	if (cni_env_parse(&ctx->env, &ctx->err) ||
	    cni_conf_parse(ctx->output, &ctx->conf, &ctx->err))
		return ctx->err.code;
	free(ctx->output);
	ctx->output = NULL;
	pins_init(&ctx->pins, ctx->conf.bpffs);
	if (ctx->env.command != CNI_CMD_STATUS && ctx->env.command != CNI_CMD_CHECK)
		lock = cni_lock(&ctx->pins);
	switch (ctx->env.command) {
	case CNI_CMD_ADD:
		ret = cni_cmd_add(ctx);
		break;
	case CNI_CMD_DEL:
		ret = cni_cmd_del(ctx);
		break;
	case CNI_CMD_CHECK:
		ret = cni_cmd_check(ctx);
		break;
	case CNI_CMD_STATUS:
		ret = cni_cmd_status(ctx);
		break;
	case CNI_CMD_GC:
		ret = cni_cmd_gc(ctx);
		break;
	default:
		ret = cni_fail(&ctx->err, CNI_ERR_INVALID_ENV, "unexpected command", "%s",
			       ctx->env.command_name);
	}
	if (lock >= 0)
		close(lock);
	return ret;
}

int main(void)
{
	struct cni_ctx ctx;
	char *input, *out;
	int ret;

	/* A delegated plugin closing its stdin early must not kill us. */
	signal(SIGPIPE, SIG_IGN);
	log_init("sluice-cni", LOG_LEVEL_INFO, false);
	memset(&ctx, 0, sizeof(ctx));
	input = read_stdin();
	if (!input) {
		cni_fail(&ctx.err, CNI_ERR_IO, "cannot read the network configuration",
			 "reading stdin failed");
	} else if (!cni_env_command(&ctx.env, &ctx.err) && ctx.env.command == CNI_CMD_VERSION) {
		out = cni_version_json(input);
		free(input);
		if (out)
			puts(out);
		free(out);
		return out ? 0 : 1;
	}
	ctx.output = input;	/* dispatch() parses it, then reuses the slot for the result */
	ret = ctx.err.code ? ctx.err.code : dispatch(&ctx);
	if (ret) {
		const char *version = cni_conf_version_or_latest(&ctx.conf);

		pr_err("%s %s: %s", ctx.env.command_name ? ctx.env.command_name : "?",
		       ctx.err.msg, ctx.err.details);
		out = cni_error_json(&ctx.err, version);
		if (out)
			puts(out);
		free(out);
	} else if (ctx.output) {
		puts(ctx.output);
	}
	free(ctx.output);
	cni_conf_free(&ctx.conf);
	return ret ? 1 : 0;
}
