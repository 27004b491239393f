// SPDX-License-Identifier: Apache-2.0
/*
 * The manifests in deploy/ against the code they deploy: RBAC grants
 * exactly what the agent lists and watches, and the DaemonSet wires what
 * the agent, the installer and the image expect. Run from the repository
 * root, as `make test-unit` does.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/api_watch.h"
#include "k8s/fields.h"
#include "k8s/yaml_json.h"

/* Where the image puts the installer (Dockerfile's COPY). */
#define INSTALLER_PATH "/usr/local/lib/sluice/install-cni.sh"
/* Longest "group/resource" text. */
#define RESOURCE_LEN 128

struct manifest {
	struct yaml_json_doc *docs;
	size_t n;
};

static void load(const char *path, struct manifest *m)
{
	struct yaml_json_error err = { 0 };
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	cr_assert_not_null(f, "cannot open %s (run from the repository root)", path);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)len, f), (size_t)len, "reading %s", path);
	fclose(f);
	cr_assert_eq(yaml_json_parse(buf, (size_t)len, &m->docs, &m->n, &err), 0,
		     "%s:%u: %s", path, err.line, err.reason);
	free(buf);
}

/* A string field's text, "" when absent. */
static const char *text(const cJSON *obj, const char *path)
{
	const char *s = cJSON_GetStringValue(k8s_get(obj, path));

	return s ? s : "";
}

static const cJSON *find(const struct manifest *m, const char *kind)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (!strcmp(text(m->docs[i].value, "kind"), kind))
			return m->docs[i].value;
	cr_assert_fail("no %s", kind);
	return NULL;
}

static void no_emit(void *ctx, enum k8s_event_type type, enum k8s_kind kind, cJSON *obj)
{
	(void)ctx;
	(void)type;
	(void)kind;
	(void)obj;
}

/* "group/resource" of the collection the agent watches for a kind: "/resource" for core. */
static void watched(enum k8s_kind kind, char *buf, size_t len)
{
	struct api_watch w;
	const char *p, *res;

	api_watch_init(&w, kind, no_emit, NULL);
	p = w.path;
	res = strrchr(p, '/') + 1;
	if (!strncmp(p, "/apis/", 6))
		snprintf(buf, len, "%.*s/%s", (int)(strchr(p + 6, '/') - (p + 6)), p + 6, res);
	else
		snprintf(buf, len, "/%s", res);
	api_watch_free(&w);
}

Test(deploy, cluster_role_grants_exactly_list_and_watch_of_what_the_agent_reads)
{
	struct manifest m;
	const cJSON *role, *rule, *g, *r, *v;
	char want[K8S_KIND_MAX][RESOURCE_LEN], have[RESOURCE_LEN];
	bool granted[K8S_KIND_MAX] = { false };
	int kind;

	load("deploy/rbac.yaml", &m);
	for (kind = 0; kind < K8S_KIND_MAX; kind++)
		watched(kind, want[kind], sizeof(want[kind]));
	role = find(&m, "ClusterRole");
	cJSON_ArrayForEach(rule, k8s_get(role, "rules")) {
		size_t n_verbs = 0;

		cJSON_ArrayForEach(v, k8s_get(rule, "verbs")) {
			const char *verb = cJSON_GetStringValue(v);

			cr_expect(!strcmp(verb, "list") || !strcmp(verb, "watch"),
				  "verb %s is more than the agent needs", verb);
			n_verbs++;
		}
		cr_expect_eq(n_verbs, 2, "every rule grants list and watch");
		cJSON_ArrayForEach(g, k8s_get(rule, "apiGroups")) {
			cJSON_ArrayForEach(r, k8s_get(rule, "resources")) {
				bool known = false;

				snprintf(have, sizeof(have), "%s/%s", cJSON_GetStringValue(g),
					 cJSON_GetStringValue(r));
				for (kind = 0; kind < K8S_KIND_MAX; kind++) {
					if (!strcmp(have, want[kind])) {
						granted[kind] = known = true;
					}
				}
				cr_expect(known, "%s is granted but never read", have);
			}
		}
	}
	for (kind = 0; kind < K8S_KIND_MAX; kind++)
		cr_expect(granted[kind], "the agent watches %s, which is not granted", want[kind]);
	cr_expect_str_eq(cJSON_GetStringValue(k8s_get(find(&m, "ClusterRoleBinding"),
						      "roleRef.name")),
			 cJSON_GetStringValue(k8s_get(role, "metadata.name")));
	yaml_json_free(m.docs, m.n);
}

static const cJSON *container(const cJSON *ds, const char *list, const char *name)
{
	const cJSON *c;
	char path[64];

	snprintf(path, sizeof(path), "spec.template.spec.%s", list);
	cJSON_ArrayForEach(c, k8s_get(ds, path))
		if (!strcmp(text(c, "name"), name))
			return c;
	cr_assert_fail("no %s %s", list, name);
	return NULL;
}

static bool has_arg(const cJSON *c, const char *needle)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, k8s_get(c, "args"))
		if (cJSON_IsString(a) && strstr(a->valuestring, needle))
			return true;
	return false;
}

Test(deploy, daemonset_wires_agent_installer_and_config)
{
	struct manifest ds_m, cm_m, rbac_m;
	const cJSON *ds, *cm, *agent, *init, *e, *vm;
	bool bpffs = false;

	load("deploy/daemonset.yaml", &ds_m);
	load("deploy/configmap.yaml", &cm_m);
	load("deploy/rbac.yaml", &rbac_m);
	ds = find(&ds_m, "DaemonSet");
	cm = find(&cm_m, "ConfigMap");
	agent = container(ds, "containers", "agent");
	init = container(ds, "initContainers", "install-cni");

	cr_expect(cJSON_IsTrue(k8s_get(ds, "spec.template.spec.hostNetwork")),
		  "the agent checks veths in the node's network namespace");
	cr_expect(cJSON_IsTrue(k8s_get(agent, "securityContext.privileged")));
	cr_expect_str_eq(cJSON_GetStringValue(k8s_get(ds, "spec.template.spec.serviceAccountName")),
			 cJSON_GetStringValue(k8s_get(find(&rbac_m, "ServiceAccount"),
						      "metadata.name")));
	cr_expect(has_arg(agent, "--in-cluster") && has_arg(agent, "--node-name"));
	cr_expect_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(k8s_get(init, "command"), 0)),
			 INSTALLER_PATH);
	cr_expect_str_eq(cJSON_GetStringValue(k8s_get(agent, "readinessProbe.httpGet.path")),
			 "/healthz");
	cJSON_ArrayForEach(vm, k8s_get(agent, "volumeMounts")) {
		if (!strcmp(text(vm, "mountPath"), "/sys/fs/bpf")) {
			bpffs = true;
			cr_expect_str_eq(cJSON_GetStringValue(k8s_get(vm, "mountPropagation")),
					 "Bidirectional", "pins must reach the node's bpffs");
		}
	}
	cr_expect(bpffs, "no bpffs mount");
	/* Every ConfigMap key the pods read exists. */
	cJSON_ArrayForEach(e, k8s_get(agent, "env")) {
		const char *key = cJSON_GetStringValue(k8s_get(e, "valueFrom.configMapKeyRef.key"));
		char path[64];

		if (!key)
			continue;
		snprintf(path, sizeof(path), "data.%s", key);
		cr_expect_not_null(k8s_get(cm, path), "ConfigMap has no key %s", key);
	}
	yaml_json_free(ds_m.docs, ds_m.n);
	yaml_json_free(cm_m.docs, cm_m.n);
	yaml_json_free(rbac_m.docs, rbac_m.n);
}
