/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kubernetes objects as the agent's state sources deliver them: the kinds
 * sluice reads, and the events that add, change and remove them. Sources
 * (the manifest directory, the API watch) hand raw JSON objects to a sink;
 * the typed cache parses and validates them.
 */
#ifndef SLUICE_K8S_OBJECT_H
#define SLUICE_K8S_OBJECT_H

#include <stdbool.h>
#include <cjson/cJSON.h>

/* The kinds sluice reads, each with exactly one apiVersion. */
enum k8s_kind {
	K8S_KIND_NODE,			/* v1 */
	K8S_KIND_NAMESPACE,		/* v1 */
	K8S_KIND_POD,			/* v1 */
	K8S_KIND_SERVICE,		/* v1 */
	K8S_KIND_ENDPOINTSLICE,		/* discovery.k8s.io/v1 */
	K8S_KIND_NETWORKPOLICY,		/* networking.k8s.io/v1 */
	K8S_KIND_MAX,
};

enum k8s_event_type {
	K8S_EVENT_ADDED,
	K8S_EVENT_MODIFIED,
	K8S_EVENT_DELETED,
};

/* "Service", "EndpointSlice", ... */
const char *k8s_kind_name(enum k8s_kind kind);
/* "v1", "discovery.k8s.io/v1", ... */
const char *k8s_kind_api_version(enum k8s_kind kind);
/*
 * The kind of an object from its apiVersion and kind fields; false for any
 * kind sluice does not read or an apiVersion it does not speak.
 */
bool k8s_kind_of(const cJSON *obj, enum k8s_kind *kind);

/* Where sources deliver events. obj is only valid during the call. */
struct k8s_sink {
	void (*event)(void *ctx, enum k8s_event_type type, enum k8s_kind kind,
		      const cJSON *obj);
	/* The source has delivered everything it had at start (or after a relist). */
	void (*synced)(void *ctx);
	void *ctx;
};

#endif
