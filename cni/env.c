// SPDX-License-Identifier: Apache-2.0
#include <ctype.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "naming.h"
#include "lib/field.h"

static const struct {
	const char *name;
	enum cni_command cmd;
} commands[] = {
	{ "ADD", CNI_CMD_ADD },     { "DEL", CNI_CMD_DEL }, { "CHECK", CNI_CMD_CHECK },
	{ "STATUS", CNI_CMD_STATUS }, { "GC", CNI_CMD_GC },   { "VERSION", CNI_CMD_VERSION },
};

/* Which variables each command needs, as bits. */
enum {
	NEED_CONTAINERID = 1 << 0,
	NEED_NETNS = 1 << 1,
	NEED_IFNAME = 1 << 2,
	NEED_PATH = 1 << 3,
};

static unsigned int needs(enum cni_command cmd)
{
	switch (cmd) {
	case CNI_CMD_ADD:
	case CNI_CMD_CHECK:
		/* CNI_PATH too: both run the IPAM plugin. */
		return NEED_CONTAINERID | NEED_NETNS | NEED_IFNAME | NEED_PATH;
	case CNI_CMD_DEL:
		return NEED_CONTAINERID | NEED_IFNAME | NEED_PATH;
	case CNI_CMD_GC:
	case CNI_CMD_STATUS:
		return NEED_PATH;
	case CNI_CMD_VERSION:
		break;
	}
	return 0;
}

int cni_env_command(struct cni_env *env, struct cni_error *err)
{
	const char *cmd = getenv("CNI_COMMAND");
	size_t i;

	memset(env, 0, sizeof(*env));
	if (!cmd || !*cmd)
		return cni_fail(err, CNI_ERR_INVALID_ENV, "CNI_COMMAND is not set",
				"set CNI_COMMAND to ADD, DEL, CHECK, STATUS, GC or VERSION");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(cmd, commands[i].name)) {
			env->command = commands[i].cmd;
			env->command_name = commands[i].name;
			return 0;
		}
	}
	return cni_fail(err, CNI_ERR_INVALID_ENV, "unknown CNI_COMMAND",
			"CNI_COMMAND \"%s\" is not ADD, DEL, CHECK, STATUS, GC or VERSION", cmd);
}

/* The spec's container ID, short enough for the endpoint metadata. */
static bool valid_container_id(const char *s)
{
	return strlen(s) < SLUICE_CONTAINER_ID_LEN && cni_name_valid(s);
}

/* What the kernel accepts as an interface name (dev_valid_name()). */
static bool valid_ifname(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= IF_NAMESIZE || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s))
			return false;
	return true;
}

static const char *need_var(const char *name, struct cni_error *err)
{
	const char *v = getenv(name);

	if (!v || !*v)
		cni_fail(err, CNI_ERR_INVALID_ENV, "missing environment variable",
			 "%s must be set for this command", name);
	return v && *v ? v : NULL;
}

int cni_env_parse(struct cni_env *env, struct cni_error *err)
{
	unsigned int need;
	const char *args;

	if (cni_env_command(env, err))
		return err->code;
	need = needs(env->command);
	env->container_id = getenv("CNI_CONTAINERID");
	env->netns = getenv("CNI_NETNS");
	env->ifname = getenv("CNI_IFNAME");
	env->path = getenv("CNI_PATH");
	if ((need & NEED_CONTAINERID) && !need_var("CNI_CONTAINERID", err))
		return err->code;
	if ((need & NEED_NETNS) && !need_var("CNI_NETNS", err))
		return err->code;
	if ((need & NEED_IFNAME) && !need_var("CNI_IFNAME", err))
		return err->code;
	if ((need & NEED_PATH) && !need_var("CNI_PATH", err))
		return err->code;
	/* Lengths are checked here for every command: the endpoint metadata stores them. */
	if ((need & NEED_CONTAINERID) && !valid_container_id(env->container_id))
		return cni_fail(err, CNI_ERR_INVALID_ENV, "invalid CNI_CONTAINERID",
				"CNI_CONTAINERID \"%s\" must start with a letter or digit, hold only "
				"letters, digits, '_', '.', '-', and be under %d characters",
				env->container_id, SLUICE_CONTAINER_ID_LEN);
	if ((need & NEED_IFNAME) && !valid_ifname(env->ifname))
		return cni_fail(err, CNI_ERR_INVALID_ENV, "invalid CNI_IFNAME",
				"CNI_IFNAME \"%s\" is not a valid interface name (1 to %d characters, "
				"no '/', ':' or spaces)", env->ifname, IF_NAMESIZE - 1);
	if ((need & NEED_NETNS) && env->netns[0] != '/')
		return cni_fail(err, CNI_ERR_INVALID_ENV, "invalid CNI_NETNS",
				"CNI_NETNS \"%s\" must be the absolute path of a network namespace",
				env->netns);
	args = getenv("CNI_ARGS");
	return args ? cni_args_parse(args, env, err) : 0;
}

int cni_args_parse(const char *args, struct cni_env *env, struct cni_error *err)
{
	char *copy = strdup(args), *save = NULL, *pair;
	int ret = 0;

	if (!copy)
		return cni_fail(err, CNI_ERR_IO, "out of memory", "CNI_ARGS");
	for (pair = strtok_r(copy, ";", &save); pair && !ret; pair = strtok_r(NULL, ";", &save)) {
		char *eq = strchr(pair, '=');

		if (!eq || eq == pair) {
			ret = cni_fail(err, CNI_ERR_INVALID_ENV, "invalid CNI_ARGS",
				       "CNI_ARGS pair \"%s\" is not KEY=VALUE", pair);
			break;
		}
		*eq = '\0';
		if (!strcmp(pair, "K8S_POD_NAMESPACE") &&
		    !copy_field(env->pod_namespace, sizeof(env->pod_namespace), eq + 1))
			ret = cni_fail(err, CNI_ERR_INVALID_ENV, "invalid CNI_ARGS",
				       "K8S_POD_NAMESPACE is longer than %d characters",
				       SLUICE_POD_NAMESPACE_LEN - 1);
		else if (!strcmp(pair, "K8S_POD_NAME") &&
			 !copy_field(env->pod_name, sizeof(env->pod_name), eq + 1))
			ret = cni_fail(err, CNI_ERR_INVALID_ENV, "invalid CNI_ARGS",
				       "K8S_POD_NAME is longer than %d characters",
				       SLUICE_POD_NAME_LEN - 1);
	}
	free(copy);
	return ret;
}
