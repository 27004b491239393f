/* SPDX-License-Identifier: Apache-2.0 */
/* Service (v1) and EndpointSlice (discovery.k8s.io/v1), as load balancing needs them. */
#ifndef SLUICE_K8S_SERVICE_H
#define SLUICE_K8S_SERVICE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include <sluice/abi.h>
#include <cjson/cJSON.h>

/* Most ports one Service may list here; far above what clusters use. */
#define K8S_SVC_MAX_PORTS 128
/* Most IPv4 addresses of one kind (cluster, external, load-balancer) kept per Service. */
#define K8S_SVC_MAX_IPS 16
/* sessionAffinityConfig.clientIP.timeoutSeconds: default and bounds (API reference). */
#define K8S_AFFINITY_TIMEOUT_DEFAULT 10800
#define K8S_AFFINITY_TIMEOUT_MAX 86400
/* A node name is a DNS subdomain. */
#define K8S_NODE_NAME_LEN SLUICE_K8S_NAME_LEN
/* The label that ties an EndpointSlice to its Service. */
#define K8S_LABEL_SERVICE_NAME "kubernetes.io/service-name"

enum k8s_svc_type {
	K8S_SVC_CLUSTER_IP,
	K8S_SVC_NODE_PORT,
	K8S_SVC_LOAD_BALANCER,
	K8S_SVC_EXTERNAL_NAME,
};

struct k8s_svc_port {
	char name[SLUICE_K8S_PORT_NAME_LEN];
	uint8_t proto;		/* IPPROTO_* */
	uint16_t port;
	uint16_t node_port;	/* 0: none */
};

struct k8s_service {
	char ns[SLUICE_K8S_NAMESPACE_LEN];
	char name[SLUICE_K8S_NAME_LEN];
	enum k8s_svc_type type;
	bool headless;		/* clusterIP: None */
	struct in_addr cluster_ips[K8S_SVC_MAX_IPS];
	unsigned int n_cluster_ips;
	struct in_addr external_ips[K8S_SVC_MAX_IPS];
	unsigned int n_external_ips;
	struct in_addr lb_ips[K8S_SVC_MAX_IPS];
	unsigned int n_lb_ips;
	/* As many as spec.ports lists: room for the most in each took 95 MB at 10,000. */
	struct k8s_svc_port *ports;
	unsigned int n_ports;
	bool affinity;		/* sessionAffinity: ClientIP */
	uint32_t affinity_timeout;
	bool etp_local;		/* externalTrafficPolicy: Local */
	bool itp_local;		/* internalTrafficPolicy: Local */
};

struct k8s_endpoint {
	struct in_addr addr;	/* the first address; the API calls them fungible */
	bool ready;
	bool serving;
	bool terminating;
	char node_name[K8S_NODE_NAME_LEN];
};

struct k8s_slice_port {
	char name[SLUICE_K8S_PORT_NAME_LEN];
	uint8_t proto;
	uint16_t port;
};

struct k8s_endpointslice {
	char ns[SLUICE_K8S_NAMESPACE_LEN];
	char name[SLUICE_K8S_NAME_LEN];
	char service[SLUICE_K8S_NAME_LEN];	/* kubernetes.io/service-name */
	bool ipv4;				/* addressType IPv4; others are kept, unused */
	struct k8s_endpoint *endpoints;
	unsigned int n_endpoints;
	struct k8s_slice_port *ports;
	unsigned int n_ports;
};

/*
 * Each returns 0, or -EINVAL with why set to the first thing wrong, in the
 * terms of the API field, for the log line that names the object.
 */
int k8s_service_parse(const cJSON *obj, struct k8s_service *svc, char *why, size_t len);
/* Frees what a successful k8s_service_parse() allocated (a failed one frees it itself). */
void k8s_service_free(struct k8s_service *svc);
int k8s_endpointslice_parse(const cJSON *obj, struct k8s_endpointslice *es, char *why,
			    size_t len);
void k8s_endpointslice_free(struct k8s_endpointslice *es);

#endif
