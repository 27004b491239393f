// SPDX-License-Identifier: Apache-2.0
/* CNI_* environment and CNI_ARGS parsing. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cni/env.h"

static void clear_env(void)
{
	unsetenv("CNI_COMMAND");
	unsetenv("CNI_CONTAINERID");
	unsetenv("CNI_NETNS");
	unsetenv("CNI_IFNAME");
	unsetenv("CNI_PATH");
	unsetenv("CNI_ARGS");
}

static void add_env(void)
{
	clear_env();
	setenv("CNI_COMMAND", "ADD", 1);
	setenv("CNI_CONTAINERID", "0123abcd", 1);
	setenv("CNI_NETNS", "/var/run/netns/p1", 1);
	setenv("CNI_IFNAME", "eth0", 1);
	setenv("CNI_PATH", "/opt/cni/bin:/usr/lib/cni", 1);
}

TestSuite(cni_env, .init = add_env, .fini = clear_env);

Test(cni_env, add_with_everything)
{
	struct cni_env env;
	struct cni_error e = { 0 };

	setenv("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=kube-system;K8S_POD_NAME=coredns-1;"
		"K8S_POD_INFRA_CONTAINER_ID=0123abcd;K8S_POD_UID=u-1", 1);
	cr_assert_eq(cni_env_parse(&env, &e), 0, "parse: %s", e.details);
	cr_expect_eq(env.command, CNI_CMD_ADD, "command");
	cr_expect_str_eq(env.container_id, "0123abcd", "container id");
	cr_expect_str_eq(env.ifname, "eth0", "ifname");
	cr_expect_str_eq(env.pod_namespace, "kube-system", "K8S_POD_NAMESPACE");
	cr_expect_str_eq(env.pod_name, "coredns-1", "K8S_POD_NAME");
}

Test(cni_env, missing_variables_are_named)
{
	const char *vars[] = { "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH" };
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		struct cni_env env;
		struct cni_error e = { 0 };

		add_env();
		unsetenv(vars[i]);
		cr_expect_eq(cni_env_parse(&env, &e), CNI_ERR_INVALID_ENV, "without %s", vars[i]);
		cr_expect(strstr(e.details, vars[i]) != NULL, "details name %s: %s", vars[i],
			  e.details);
	}
}

Test(cni_env, del_needs_no_netns)
{
	struct cni_env env;
	struct cni_error e = { 0 };

	setenv("CNI_COMMAND", "DEL", 1);
	unsetenv("CNI_NETNS");
	cr_expect_eq(cni_env_parse(&env, &e), 0, "DEL without CNI_NETNS: %s", e.details);
}

Test(cni_env, version_ignores_dummy_values)
{
	struct cni_env env;
	struct cni_error e = { 0 };

	clear_env();
	setenv("CNI_COMMAND", "VERSION", 1);
	setenv("CNI_CONTAINERID", "dummy", 1);
	setenv("CNI_NETNS", "dummy", 1);
	setenv("CNI_IFNAME", "dummy", 1);
	setenv("CNI_PATH", "dummy", 1);
	cr_expect_eq(cni_env_parse(&env, &e), 0, "VERSION with libcni's dummies: %s", e.details);
	cr_expect_eq(env.command, CNI_CMD_VERSION, "command");
}

Test(cni_env, gc_and_status_need_only_path)
{
	const char *cmds[] = { "GC", "STATUS" };
	size_t i;

	for (i = 0; i < 2; i++) {
		struct cni_env env;
		struct cni_error e = { 0 };

		clear_env();
		setenv("CNI_COMMAND", cmds[i], 1);
		setenv("CNI_PATH", "/usr/lib/cni", 1);
		cr_expect_eq(cni_env_parse(&env, &e), 0, "%s: %s", cmds[i], e.details);
	}
}

struct bad_env {
	const char *var, *value, *named;
};

Test(cni_env, rejects_bad_values)
{
	static const struct bad_env cases[] = {
		{ "CNI_COMMAND", "", "CNI_COMMAND" },
		{ "CNI_COMMAND", "add", "add" },
		{ "CNI_COMMAND", "DELETE", "DELETE" },
		{ "CNI_CONTAINERID", "-abc", "CNI_CONTAINERID" },
		{ "CNI_CONTAINERID", "a b", "CNI_CONTAINERID" },
		{ "CNI_CONTAINERID", "a/b", "CNI_CONTAINERID" },
		{ "CNI_IFNAME", "eth0123456789abc", "CNI_IFNAME" },
		{ "CNI_IFNAME", "a/b", "CNI_IFNAME" },
		{ "CNI_IFNAME", "a b", "CNI_IFNAME" },
		{ "CNI_IFNAME", "..", "CNI_IFNAME" },
		{ "CNI_NETNS", "relative/ns", "CNI_NETNS" },
		{ "CNI_ARGS", "K8S_POD_NAME", "K8S_POD_NAME" },
		{ "CNI_ARGS", "A=1;=2", "=2" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cni_env env;
		struct cni_error e = { 0 };

		add_env();
		setenv(cases[i].var, cases[i].value, 1);
		cr_expect_eq(cni_env_parse(&env, &e), CNI_ERR_INVALID_ENV, "%s=%s accepted",
			     cases[i].var, cases[i].value);
		cr_expect(strstr(e.details, cases[i].named) != NULL, "%s=%s: details '%s' name %s",
			  cases[i].var, cases[i].value, e.details, cases[i].named);
	}
}

Test(cni_env, long_container_id_refused)
{
	char id[SLUICE_CONTAINER_ID_LEN + 1];
	struct cni_env env;
	struct cni_error e = { 0 };

	memset(id, 'a', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	setenv("CNI_CONTAINERID", id, 1);
	cr_expect_eq(cni_env_parse(&env, &e), CNI_ERR_INVALID_ENV, "%zu-character id",
		     strlen(id));
	id[SLUICE_CONTAINER_ID_LEN - 1] = '\0';
	setenv("CNI_CONTAINERID", id, 1);
	memset(&e, 0, sizeof(e));
	cr_expect_eq(cni_env_parse(&env, &e), 0, "%zu-character id fits", strlen(id));
}

Test(cni_env, args_edge_cases)
{
	struct cni_env env;
	struct cni_error e = { 0 };
	char longname[SLUICE_POD_NAME_LEN + 16];

	memset(&env, 0, sizeof(env));
	cr_expect_eq(cni_args_parse("", &env, &e), 0, "empty CNI_ARGS");
	cr_expect_eq(cni_args_parse("K8S_POD_NAME=a=b;;", &env, &e), 0, "value with '=' and empty pairs");
	cr_expect_str_eq(env.pod_name, "a=b", "value keeps its '='");
	cr_expect_eq(cni_args_parse("UNKNOWN=1", &env, &e), 0, "unknown keys are ignored");
	strcpy(longname, "K8S_POD_NAME=");
	memset(longname + 13, 'x', SLUICE_POD_NAME_LEN);
	longname[13 + SLUICE_POD_NAME_LEN] = '\0';
	cr_expect_eq(cni_args_parse(longname, &env, &e), CNI_ERR_INVALID_ENV, "too long pod name");
}
