// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipam.h"
#include "version.h"
#include "lib/field.h"

/* Most spec versions read from a plugin's VERSION answer. */
#define IPAM_MAX_VERSIONS 32
/* Largest answer read from the plugin; results are a few hundred bytes. */
#define IPAM_MAX_OUTPUT (1 << 20)
/* Read chunk for the plugin's stdout. */
#define IPAM_READ_CHUNK 4096

/* One variable to set (value) or unset (NULL) for the plugin's process. */
struct env_override {
	const char *name;
	const char *value;
};

static int find_plugin(const char *type, const char *cni_path, char *out, size_t len,
		       struct cni_error *err)
{
	char *dirs = strdup(cni_path), *save = NULL, *dir;
	struct stat sb;

	if (!dirs)
		return cni_fail(err, CNI_ERR_IO, "out of memory", "CNI_PATH");
	for (dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		int n = snprintf(out, len, "%s/%s", dir, type);

		if (n > 0 && (size_t)n < len && !stat(out, &sb) && S_ISREG(sb.st_mode) &&
		    !access(out, X_OK)) {
			free(dirs);
			return 0;
		}
	}
	free(dirs);
	return cni_fail(err, CNI_ERR_INVALID_CONFIG, "IPAM plugin not found",
			"no executable \"%s\" in CNI_PATH \"%s\"", type, cni_path);
}

static void child_exec(const char *path, const char *command, int in_fd, int out_fd,
		       const struct env_override *ov, size_t n_ov)
{
	size_t i;

	if (dup2(in_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0)
		_exit(127);
	/* We ignore SIGPIPE to survive a plugin closing stdin early; it should not. */
	signal(SIGPIPE, SIG_DFL);
	setenv("CNI_COMMAND", command, 1);
	for (i = 0; i < n_ov; i++) {
		if (ov[i].value)
			setenv(ov[i].name, ov[i].value, 1);
		else
			unsetenv(ov[i].name);
	}
	execl(path, path, (char *)NULL);
	_exit(127);
}

/*
 * Runs the plugin with input on stdin, collecting stdout into *out; its
 * stderr stays ours, as the spec asks. Writes and reads together so that a
 * plugin answering before it has read everything cannot deadlock us.
 */
static int run_plugin(const char *path, const char *command, const char *input,
		      const struct env_override *ov, size_t n_ov, char **out, int *status)
{
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, err = 0;
	size_t in_len = strlen(input), in_off = 0, out_len = 0, out_cap = 0;
	char *buf = NULL;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) || pipe2(outp, O_CLOEXEC)) {
		err = -errno;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto out;
	}
	if (pid == 0)
		child_exec(path, command, in[0], outp[1], ov, n_ov);
	close(in[0]);
	close(outp[1]);
	in[0] = outp[1] = -1;
	fcntl(in[1], F_SETFL, O_NONBLOCK);

	while (outp[0] >= 0) {
		struct pollfd p[2] = { { .fd = outp[0], .events = POLLIN },
				       { .fd = in[1], .events = POLLOUT } };
		ssize_t n;

		if (poll(p, in[1] >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (in[1] >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			n = write(in[1], input + in_off, in_len - in_off);
			if (n > 0)
				in_off += (size_t)n;
			if (n < 0 && errno != EAGAIN)
				in_off = in_len;	/* the plugin closed stdin: it read enough */
			if (in_off == in_len) {
				close(in[1]);
				in[1] = -1;
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (out_cap - out_len < IPAM_READ_CHUNK + 1) {
				char *nb;

				if (out_cap >= IPAM_MAX_OUTPUT) {
					err = -EFBIG;
					break;
				}
				nb = realloc(buf, out_cap + IPAM_READ_CHUNK * 4);
				if (!nb) {
					err = -ENOMEM;
					break;
				}
				buf = nb;
				out_cap += IPAM_READ_CHUNK * 4;
			}
			n = read(outp[0], buf + out_len, IPAM_READ_CHUNK);
			if (n > 0) {
				out_len += (size_t)n;
			} else if (n == 0 || errno != EINTR) {
				close(outp[0]);
				outp[0] = -1;
			}
		}
	}
	if (waitpid(pid, status, 0) < 0 && !err)
		err = -errno;
out:
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	if (outp[0] >= 0)
		close(outp[0]);
	if (outp[1] >= 0)
		close(outp[1]);
	if (err) {
		free(buf);
		return err;
	}
	if (!buf)
		buf = calloc(1, 1);
	else
		buf[out_len] = '\0';
	*out = buf;
	return buf ? 0 : -ENOMEM;
}

/* Turns a failed run into a CNI error, keeping the plugin's own code and message. */
static int plugin_failed(const char *type, const char *command, const char *output, int status,
			 struct cni_error *err)
{
	cJSON *o = cJSON_Parse(output);
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(o, "code");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(o, "msg");
	const cJSON *details = cJSON_GetObjectItemCaseSensitive(o, "details");
	char m[CNI_MSG_LEN];
	int ret;

	if (cJSON_IsNumber(code) && code->valuedouble > 0) {
		snprintf(m, sizeof(m), "IPAM plugin %s %s: %s", type, command,
			 cJSON_IsString(msg) ? msg->valuestring : "failed");
		ret = cni_fail(err, (int)code->valuedouble, m, "%s",
			       cJSON_IsString(details) ? details->valuestring : "");
	} else {
		snprintf(m, sizeof(m), "IPAM plugin %s %s failed", type, command);
		ret = cni_fail(err, CNI_ERR_IPAM, m, "exit status %d, output: %.512s",
			       WIFEXITED(status) ? WEXITSTATUS(status) : -1, output);
	}
	cJSON_Delete(o);
	return ret;
}

/* Runs command; on success *out holds stdout (caller frees). */
static int call(const struct ipam *ipam, const char *type, const char *command,
		const char *input, const struct env_override *ov, size_t n_ov, char **out,
		struct cni_error *err)
{
	int status = 0, ret;

	ret = run_plugin(ipam->path, command, input, ov, n_ov, out, &status);
	if (ret)
		return cni_fail(err, CNI_ERR_IO, "cannot run the IPAM plugin", "%s: %s", ipam->path,
				strerror(-ret));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	ret = plugin_failed(type, command, *out, status, err);
	free(*out);
	*out = NULL;
	return ret;
}

int ipam_open(struct ipam *ipam, const struct cni_conf *conf, const struct cni_env *env,
	      struct cni_error *err)
{
	const char *theirs[IPAM_MAX_VERSIONS];
	const cJSON *list, *v;
	char input[64], *out = NULL;
	cJSON *o;
	size_t n = 0;

	memset(ipam, 0, sizeof(*ipam));
	if (!conf->ipam_type[0])
		return cni_fail(err, CNI_ERR_INVALID_CONFIG, "missing field",
				"the network configuration needs \"ipam\" with a \"type\"");
	if (find_plugin(conf->ipam_type, env->path, ipam->path, sizeof(ipam->path), err))
		return err->code;
	snprintf(input, sizeof(input), "{\"cniVersion\":\"%s\"}", conf->version);
	if (call(ipam, conf->ipam_type, "VERSION", input, NULL, 0, &out, err))
		return err->code;
	o = cJSON_Parse(out);
	free(out);
	list = cJSON_GetObjectItemCaseSensitive(o, "supportedVersions");
	cJSON_ArrayForEach(v, list)
		if (cJSON_IsString(v) && n < IPAM_MAX_VERSIONS)
			theirs[n++] = v->valuestring;
	ipam->version = cni_version_common(theirs, n, conf->version);
	cJSON_Delete(o);
	if (!ipam->version)
		return cni_fail(err, CNI_ERR_INCOMPATIBLE_VERSION, "incompatible IPAM plugin",
				"IPAM plugin %s speaks no CNI version from 0.3.0 up to %s",
				conf->ipam_type, conf->version);
	return 0;
}

/* The config as the IPAM plugin must see it: whole, in the agreed version. */
static char *ipam_input(const struct ipam *ipam, const struct cni_conf *conf)
{
	cJSON *copy = cJSON_Duplicate(conf->root, 1);
	char *s;

	if (!copy)
		return NULL;
	cJSON_ReplaceItemInObjectCaseSensitive(copy, "cniVersion",
					       cJSON_CreateString(ipam->version));
	s = cJSON_PrintUnformatted(copy);
	cJSON_Delete(copy);
	return s;
}

static int call_conf(const struct ipam *ipam, const struct cni_conf *conf, const char *command,
		     const struct env_override *ov, size_t n_ov, char **out,
		     struct cni_error *err)
{
	char *input = ipam_input(ipam, conf);
	int ret;

	if (!input)
		return cni_fail(err, CNI_ERR_IO, "out of memory", "IPAM input");
	ret = call(ipam, conf->ipam_type, command, input, ov, n_ov, out, err);
	free(input);
	return ret;
}

int ipam_add(const struct ipam *ipam, const struct cni_conf *conf, cJSON **result,
	     struct cni_error *err)
{
	char *out = NULL;

	if (call_conf(ipam, conf, "ADD", NULL, 0, &out, err))
		return err->code;
	*result = cJSON_Parse(out);
	free(out);
	if (!*result)
		return cni_fail(err, CNI_ERR_DECODE, "cannot decode the IPAM result",
				"IPAM plugin %s printed no JSON result", conf->ipam_type);
	return 0;
}

int ipam_run(const struct ipam *ipam, const struct cni_conf *conf, const char *command,
	     struct cni_error *err)
{
	char *out = NULL;
	int ret = call_conf(ipam, conf, command, NULL, 0, &out, err);

	free(out);
	return ret;
}

int ipam_del_attachment(const struct ipam *ipam, const struct cni_conf *conf,
			const char *container_id, const char *ifname, struct cni_error *err)
{
	const struct env_override ov[] = {
		{ "CNI_CONTAINERID", container_id },
		{ "CNI_IFNAME", ifname },
		/* GC may assume the namespace is gone (spec, GC). */
		{ "CNI_NETNS", NULL },
	};
	char *out = NULL;
	int ret = call_conf(ipam, conf, "DEL", ov, sizeof(ov) / sizeof(ov[0]), &out, err);

	free(out);
	return ret;
}
