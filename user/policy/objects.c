// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/fields.h"
#include "lib/field.h"
#include "policy/objects.h"

/* Ports are 16-bit and 0 is no port. */
#define PORT_MIN 1
#define PORT_MAX 65535

static int fail(char *why, size_t len, const char *what)
{
	if (!why[0])
		snprintf(why, len, "%s", what);
	return -EINVAL;
}

static int labels_of(const cJSON *obj, struct labels *l, char *why, size_t len)
{
	int err = labels_from_json(k8s_get(obj, "metadata.labels"), l);

	if (err == -EINVAL)
		return fail(why, len, "metadata.labels must map strings to strings");
	return err;
}

/* The first IPv4 of status.podIPs, or of status.podIP. */
static int pod_ip(const cJSON *obj, struct pol_pod *pod, char *why, size_t len)
{
	const cJSON *ips = k8s_get(obj, "status.podIPs"), *it;
	const char *one = k8s_str(obj, "status.podIP", "", why, len);

	if (!one)
		return -EINVAL;
	cJSON_ArrayForEach(it, k8s_list(ips)) {
		const char *ip = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "ip"));

		if (!ip)
			return fail(why, len, "status.podIPs[].ip must be a string");
		if (k8s_ipv4(ip, &pod->ip))
			return 0;
		if (!k8s_ipv6(ip))
			return fail(why, len, "status.podIPs[].ip is not an address");
	}
	if (*one && !k8s_ipv4(one, &pod->ip) && !k8s_ipv6(one))
		return fail(why, len, "status.podIP is not an address");
	return 0;
}

static int container_ports(const cJSON *obj, struct pol_pod *pod, char *why, size_t len)
{
	const cJSON *cs = k8s_get(obj, "spec.containers"), *c, *p;
	size_t cap = 0;
	long port;

	cJSON_ArrayForEach(c, k8s_list(cs))
		cap += (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(c, "ports"));
	pod->ports = calloc(cap + 1, sizeof(*pod->ports));
	if (!pod->ports)
		return -ENOMEM;
	cJSON_ArrayForEach(c, k8s_list(cs)) {
		const cJSON *ports = cJSON_GetObjectItemCaseSensitive(c, "ports");

		cJSON_ArrayForEach(p, k8s_list(ports)) {
			struct pol_container_port *cp = &pod->ports[pod->n_ports];
			const char *name = k8s_str(p, "name", "", why, len);

			if (!name || !k8s_int(p, "containerPort", 0, PORT_MIN, PORT_MAX, &port, why, len) ||
			    !k8s_protocol(p, &cp->proto, why, len))
				return k8s_in(why, len, "spec.containers[].ports[].");
			/* Only named ports matter to policy. */
			if (!*name)
				continue;
			if (!copy_field(cp->name, sizeof(cp->name), name))
				return fail(why, len, "spec.containers[].ports[].name is too long");
			cp->port = (uint16_t)port;
			pod->n_ports++;
		}
	}
	return 0;
}

static bool pod_finished(const cJSON *obj)
{
	const char *phase = cJSON_GetStringValue(k8s_get(obj, "status.phase"));

	return phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"));
}

int pol_pod_parse(const cJSON *obj, struct pol_pod *pod, char *why, size_t len)
{
	int err;

	memset(pod, 0, sizeof(*pod));
	why[0] = '\0';
	if (!k8s_meta(obj, pod->ns, sizeof(pod->ns), pod->name, sizeof(pod->name), why, len))
		return -EINVAL;
	err = labels_of(obj, &pod->labels, why, len);
	if (!err)
		err = pod_ip(obj, pod, why, len);
	if (!err)
		err = container_ports(obj, pod, why, len);
	if (err) {
		pol_pod_free(pod);
		return err;
	}
	/*
	 * A host-network pod's address is the node's, and a finished pod's
	 * address may already be another pod's: neither names this pod.
	 */
	if (cJSON_IsTrue(k8s_get(obj, "spec.hostNetwork")) || pod_finished(obj))
		pod->ip.s_addr = 0;
	return 0;
}

void pol_pod_free(struct pol_pod *pod)
{
	labels_free(&pod->labels);
	free(pod->ports);
	pod->ports = NULL;
	pod->n_ports = 0;
}

int pol_namespace_parse(const cJSON *obj, struct pol_namespace *ns, char *why, size_t len)
{
	const char *name = k8s_str(obj, "metadata.name", NULL, why, len);

	memset(ns, 0, sizeof(*ns));
	if (!name || !*name)
		return fail(why, len, "metadata.name is missing");
	if (!k8s_copy(ns->name, sizeof(ns->name), name, "metadata.name", why, len))
		return -EINVAL;
	return labels_of(obj, &ns->labels, why, len);
}

void pol_namespace_free(struct pol_namespace *ns)
{
	labels_free(&ns->labels);
}
