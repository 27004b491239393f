// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/fields.h"
#include "k8s/service.h"

/* Ports are 16-bit and 0 is no port. */
#define PORT_MIN 1
#define PORT_MAX 65535
/* The API's bound on endpoints in one slice. */
#define K8S_SLICE_MAX_ENDPOINTS 1000

static int fail(char *why, size_t len, const char *fmt, const char *arg)
{
	if (!why[0])
		snprintf(why, len, fmt, arg);
	return -EINVAL;
}

/* Adds the IPv4 ones of a list of address strings; IPv6 (dual-stack) ones are skipped. */
static int add_ips(const cJSON *list, const char *field, struct in_addr *out, unsigned int *n,
		   char *why, size_t len)
{
	const cJSON *it;
	struct in_addr a;

	if (!list || cJSON_IsNull(list))
		return 0;
	if (!cJSON_IsArray(list))
		return fail(why, len, "%s must be a list", field);
	cJSON_ArrayForEach(it, list) {
		if (!cJSON_IsString(it))
			return fail(why, len, "%s holds a non-string", field);
		if (k8s_ipv6(it->valuestring))
			continue;
		if (!k8s_ipv4(it->valuestring, &a))
			return fail(why, len, "%s holds an invalid address", field);
		if (*n == K8S_SVC_MAX_IPS)
			return fail(why, len, "%s lists too many addresses", field);
		out[(*n)++] = a;
	}
	return 0;
}

static int parse_type(const cJSON *obj, struct k8s_service *svc, char *why, size_t len)
{
	const char *t = k8s_str(obj, "spec.type", "ClusterIP", why, len);

	if (!t)
		return -EINVAL;
	if (!strcmp(t, "ClusterIP"))
		svc->type = K8S_SVC_CLUSTER_IP;
	else if (!strcmp(t, "NodePort"))
		svc->type = K8S_SVC_NODE_PORT;
	else if (!strcmp(t, "LoadBalancer"))
		svc->type = K8S_SVC_LOAD_BALANCER;
	else if (!strcmp(t, "ExternalName"))
		svc->type = K8S_SVC_EXTERNAL_NAME;
	else
		return fail(why, len, "spec.type \"%s\" is not ClusterIP, NodePort, LoadBalancer "
			    "or ExternalName", t);
	return 0;
}

static int parse_cluster_ips(const cJSON *obj, struct k8s_service *svc, char *why, size_t len)
{
	const cJSON *ips = k8s_get(obj, "spec.clusterIPs");
	const char *ip = k8s_str(obj, "spec.clusterIP", "", why, len);
	struct in_addr a;

	if (!ip)
		return -EINVAL;
	if (!strcmp(ip, "None")) {
		svc->headless = true;
		return 0;
	}
	/* clusterIPs, when set, holds clusterIP first and the other family's address after it. */
	if (ips && !cJSON_IsNull(ips))
		return add_ips(ips, "spec.clusterIPs", svc->cluster_ips, &svc->n_cluster_ips, why,
			       len);
	if (!*ip || k8s_ipv6(ip))
		return 0;
	if (!k8s_ipv4(ip, &a))
		return fail(why, len, "spec.clusterIP \"%s\" is not an address", ip);
	svc->cluster_ips[svc->n_cluster_ips++] = a;
	return 0;
}

/* targetPort is a number or a name; EndpointSlices carry the resolved numbers. */
static int check_target_port(const cJSON *port, char *why, size_t len)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(port, "targetPort");

	if (!t || cJSON_IsNull(t) || (cJSON_IsString(t) && t->valuestring[0]))
		return 0;
	if (cJSON_IsNumber(t) && t->valuedouble >= PORT_MIN && t->valuedouble <= PORT_MAX &&
	    t->valuedouble == (double)(long)t->valuedouble)
		return 0;
	return fail(why, len, "%s", "spec.ports[].targetPort must be a port number or a name");
}

static int parse_ports(const cJSON *obj, struct k8s_service *svc, char *why, size_t len)
{
	const cJSON *list = k8s_get(obj, "spec.ports"), *it;
	long port, node_port;
	int n;

	if (!list || cJSON_IsNull(list))
		return 0;
	if (!cJSON_IsArray(list))
		return fail(why, len, "%s", "spec.ports must be a list");
	n = cJSON_GetArraySize(list);
	if (n > K8S_SVC_MAX_PORTS)
		return fail(why, len, "%s", "spec.ports lists too many ports");
	/* One more, as the slices' lists: never a 0-byte allocation. */
	svc->ports = calloc((size_t)n + 1, sizeof(*svc->ports));
	if (!svc->ports)
		return fail(why, len, "%s", "spec.ports: out of memory");
	cJSON_ArrayForEach(it, list) {
		struct k8s_svc_port *p = &svc->ports[svc->n_ports++];
		const char *name;

		name = k8s_str(it, "name", "", why, len);
		if (!name || !k8s_copy(p->name, sizeof(p->name), name, "name", why, len) ||
		    !k8s_protocol(it, &p->proto, why, len) ||
		    !k8s_int(it, "port", -1, PORT_MIN, PORT_MAX, &port, why, len) ||
		    !k8s_int(it, "nodePort", 0, 0, PORT_MAX, &node_port, why, len))
			return k8s_in(why, len, "spec.ports[].");
		if (port < 0)
			return fail(why, len, "spec.ports[%s].port is missing", p->name);
		if (check_target_port(it, why, len))
			return -EINVAL;
		p->port = (uint16_t)port;
		p->node_port = (uint16_t)node_port;
	}
	return 0;
}

static int parse_policies(const cJSON *obj, struct k8s_service *svc, char *why, size_t len)
{
	const char *aff = k8s_str(obj, "spec.sessionAffinity", "None", why, len);
	const char *etp = k8s_str(obj, "spec.externalTrafficPolicy", "Cluster", why, len);
	const char *itp = k8s_str(obj, "spec.internalTrafficPolicy", "Cluster", why, len);
	long timeout;

	if (!aff || !etp || !itp)
		return -EINVAL;
	if (strcmp(aff, "None") && strcmp(aff, "ClientIP"))
		return fail(why, len, "spec.sessionAffinity \"%s\" is not None or ClientIP", aff);
	svc->affinity = !strcmp(aff, "ClientIP");
	if (!k8s_int(obj, "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
		     K8S_AFFINITY_TIMEOUT_DEFAULT, 1, K8S_AFFINITY_TIMEOUT_MAX, &timeout, why, len))
		return -EINVAL;
	svc->affinity_timeout = (uint32_t)timeout;
	if (strcmp(etp, "Cluster") && strcmp(etp, "Local"))
		return fail(why, len, "spec.externalTrafficPolicy \"%s\" is not Cluster or Local",
			    etp);
	if (strcmp(itp, "Cluster") && strcmp(itp, "Local"))
		return fail(why, len, "spec.internalTrafficPolicy \"%s\" is not Cluster or Local",
			    itp);
	svc->etp_local = !strcmp(etp, "Local");
	svc->itp_local = !strcmp(itp, "Local");
	return 0;
}

static int parse_lb_ingress(const cJSON *obj, struct k8s_service *svc, char *why, size_t len)
{
	const cJSON *list = k8s_get(obj, "status.loadBalancer.ingress"), *it;
	struct in_addr a;

	if (!list || cJSON_IsNull(list))
		return 0;
	if (!cJSON_IsArray(list))
		return fail(why, len, "%s", "status.loadBalancer.ingress must be a list");
	cJSON_ArrayForEach(it, list) {
		const char *ip = k8s_str(it, "ip", "", why, len);

		/* Hostname-only ingress points (some clouds) have nothing to program. */
		if (!ip)
			return k8s_in(why, len, "status.loadBalancer.ingress[].");
		if (!*ip || k8s_ipv6(ip))
			continue;
		if (!k8s_ipv4(ip, &a))
			return fail(why, len, "status.loadBalancer.ingress[].ip \"%s\" is invalid", ip);
		if (svc->n_lb_ips == K8S_SVC_MAX_IPS)
			return fail(why, len, "%s", "status.loadBalancer.ingress lists too many");
		svc->lb_ips[svc->n_lb_ips++] = a;
	}
	return 0;
}

int k8s_service_parse(const cJSON *obj, struct k8s_service *svc, char *why, size_t len)
{
	memset(svc, 0, sizeof(*svc));
	why[0] = '\0';
	if (!k8s_meta(obj, svc->ns, sizeof(svc->ns), svc->name, sizeof(svc->name), why, len))
		return -EINVAL;
	if (parse_type(obj, svc, why, len) || parse_cluster_ips(obj, svc, why, len) ||
	    parse_ports(obj, svc, why, len) || parse_policies(obj, svc, why, len) ||
	    add_ips(k8s_get(obj, "spec.externalIPs"), "spec.externalIPs", svc->external_ips,
		    &svc->n_external_ips, why, len) ||
	    parse_lb_ingress(obj, svc, why, len)) {
		k8s_service_free(svc);
		return -EINVAL;
	}
	return 0;
}

void k8s_service_free(struct k8s_service *svc)
{
	free(svc->ports);
	svc->ports = NULL;
	svc->n_ports = 0;
}

/* A condition: true, false, or null (unknown), which the API says to read as default. */
static int condition(const cJSON *ep, const char *name, bool def, bool *out, char *why,
		     size_t len)
{
	const cJSON *c = k8s_get(ep, "conditions");
	const cJSON *v = cJSON_IsObject(c) ? cJSON_GetObjectItemCaseSensitive(c, name) : NULL;

	if (!v || cJSON_IsNull(v)) {
		*out = def;
		return 0;
	}
	if (!cJSON_IsBool(v))
		return fail(why, len, "endpoints[].conditions.%s must be true, false or null", name);
	*out = cJSON_IsTrue(v);
	return 0;
}

static int parse_endpoint(const cJSON *it, struct k8s_endpoint *ep, bool ipv4, char *why,
			  size_t len)
{
	const cJSON *addrs = cJSON_GetObjectItemCaseSensitive(it, "addresses");
	const cJSON *first = cJSON_IsArray(addrs) ? cJSON_GetArrayItem(addrs, 0) : NULL;
	const char *node;

	if (!cJSON_IsString(first))
		return fail(why, len, "%s", "endpoints[].addresses needs at least one address");
	if (ipv4 && !k8s_ipv4(first->valuestring, &ep->addr))
		return fail(why, len, "endpoints[].addresses holds \"%s\", not IPv4",
			    first->valuestring);
	/* Unknown readiness counts as ready; serving follows ready when unknown. */
	if (condition(it, "ready", true, &ep->ready, why, len) ||
	    condition(it, "serving", ep->ready, &ep->serving, why, len) ||
	    condition(it, "terminating", false, &ep->terminating, why, len))
		return -EINVAL;
	node = k8s_str(it, "nodeName", "", why, len);
	if (!node || !k8s_copy(ep->node_name, sizeof(ep->node_name), node, "nodeName", why, len))
		return k8s_in(why, len, "endpoints[].");
	return 0;
}

static int parse_slice_ports(const cJSON *obj, struct k8s_endpointslice *es, char *why,
			     size_t len)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(obj, "ports"), *it;
	long port;

	if (!list || cJSON_IsNull(list))
		return 0;
	if (!cJSON_IsArray(list))
		return fail(why, len, "%s", "ports must be a list");
	es->ports = calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(*es->ports));
	if (!es->ports)
		return -ENOMEM;
	cJSON_ArrayForEach(it, list) {
		struct k8s_slice_port *p = &es->ports[es->n_ports];
		const char *name = k8s_str(it, "name", "", why, len);

		if (!name || !k8s_copy(p->name, sizeof(p->name), name, "name", why, len) ||
		    !k8s_protocol(it, &p->proto, why, len) ||
		    !k8s_int(it, "port", 0, 0, PORT_MAX, &port, why, len))
			return k8s_in(why, len, "ports[].");
		/* A port without a number means "any"; a service port cannot map to it. */
		if (!port)
			continue;
		p->port = (uint16_t)port;
		es->n_ports++;
	}
	return 0;
}

int k8s_endpointslice_parse(const cJSON *obj, struct k8s_endpointslice *es, char *why,
			    size_t len)
{
	const cJSON *list, *it, *label;
	const char *type, *svc;
	int n;

	memset(es, 0, sizeof(*es));
	why[0] = '\0';
	if (!k8s_meta(obj, es->ns, sizeof(es->ns), es->name, sizeof(es->name), why, len))
		return -EINVAL;
	type = k8s_str(obj, "addressType", NULL, why, len);
	if (!type || (strcmp(type, "IPv4") && strcmp(type, "IPv6") && strcmp(type, "FQDN")))
		return fail(why, len, "%s", "addressType must be IPv4, IPv6 or FQDN");
	es->ipv4 = !strcmp(type, "IPv4");
	label = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"),
						 "labels"),
		K8S_LABEL_SERVICE_NAME);
	/* A slice that names no service is kept (it serves none); a bad name is an error. */
	if (label && !cJSON_IsString(label))
		return fail(why, len, "%s", "metadata.labels[" K8S_LABEL_SERVICE_NAME
			    "] must be a string");
	svc = cJSON_GetStringValue(label);
	if (svc && !k8s_copy(es->service, sizeof(es->service), svc,
			     "metadata.labels[" K8S_LABEL_SERVICE_NAME "]", why, len))
		return -EINVAL;
	list = cJSON_GetObjectItemCaseSensitive(obj, "endpoints");
	n = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;
	if (list && !cJSON_IsNull(list) && !cJSON_IsArray(list))
		return fail(why, len, "%s", "endpoints must be a list");
	if (n > K8S_SLICE_MAX_ENDPOINTS)
		return fail(why, len, "%s", "endpoints lists more than 1000");
	es->endpoints = calloc((size_t)n + 1, sizeof(*es->endpoints));
	if (!es->endpoints)
		return -ENOMEM;
	cJSON_ArrayForEach(it, list) {
		if (parse_endpoint(it, &es->endpoints[es->n_endpoints], es->ipv4, why, len)) {
			k8s_endpointslice_free(es);
			return -EINVAL;
		}
		es->n_endpoints++;
	}
	if (parse_slice_ports(obj, es, why, len)) {
		k8s_endpointslice_free(es);
		return -EINVAL;
	}
	return 0;
}

void k8s_endpointslice_free(struct k8s_endpointslice *es)
{
	free(es->endpoints);
	free(es->ports);
	es->endpoints = NULL;
	es->ports = NULL;
	es->n_endpoints = es->n_ports = 0;
}
