/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The list/watch protocol as the API server speaks it (shapes from the
 * Kubernetes API reference: List, WatchEvent, Status), and a recorder of
 * the events a source or cache delivers, for the test_api_* tests.
 */
#ifndef SLUICE_SELFTEST_API_FIXTURES_H
#define SLUICE_SELFTEST_API_FIXTURES_H

#include <stdio.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "k8s/object.h"

/* A Service as a watch sends it: kind, apiVersion and managedFields included. */
#define FX_API_SERVICE(name, rv, port)							\
	"{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"" name "\","	\
	"\"namespace\":\"shop\",\"uid\":\"6f1c4a5e-2b7d-4e0a-9c61-1f2e3d4c5b6a\","		\
	"\"resourceVersion\":\"" rv "\",\"creationTimestamp\":\"2025-03-01T10:00:00Z\","	\
	"\"labels\":{\"app\":\"" name "\"},\"managedFields\":[{\"manager\":\"kubectl-client-side-apply\"," \
	"\"operation\":\"Update\",\"apiVersion\":\"v1\",\"time\":\"2025-03-01T10:00:00Z\","	\
	"\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:spec\":{\"f:ports\":{}}}}]},"		\
	"\"spec\":{\"ports\":[{\"name\":\"http\",\"protocol\":\"TCP\",\"port\":" port ","	\
	"\"targetPort\":8080}],\"selector\":{\"app\":\"" name "\"},\"clusterIP\":\"10.96.0.10\","	\
	"\"clusterIPs\":[\"10.96.0.10\"],\"type\":\"ClusterIP\",\"sessionAffinity\":\"None\","	\
	"\"ipFamilies\":[\"IPv4\"],\"ipFamilyPolicy\":\"SingleStack\","			\
	"\"internalTrafficPolicy\":\"Cluster\"},\"status\":{\"loadBalancer\":{}}}"

/* The same as a List item: no kind or apiVersion of its own. */
#define FX_API_SERVICE_ITEM(name, rv)							\
	"{\"metadata\":{\"name\":\"" name "\",\"namespace\":\"shop\","				\
	"\"uid\":\"0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70\",\"resourceVersion\":\"" rv "\","	\
	"\"creationTimestamp\":\"2025-03-01T10:00:00Z\"},\"spec\":{\"ports\":[{\"name\":\"http\"," \
	"\"protocol\":\"TCP\",\"port\":80,\"targetPort\":8080}],\"clusterIP\":\"10.96.0.11\","	\
	"\"type\":\"ClusterIP\"},\"status\":{\"loadBalancer\":{}}}"

/* A ServiceList page; cont is "" on the last page. */
#define FX_API_SERVICE_LIST(rv, cont, items)						\
	"{\"kind\":\"ServiceList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"" \
	rv "\",\"continue\":\"" cont "\"},\"items\":[" items "]}"

#define FX_API_EVENT(type, obj) "{\"type\":\"" type "\",\"object\":" obj "}\n"

/* A bookmark: only the resourceVersion means anything. */
#define FX_API_BOOKMARK(rv)								\
	FX_API_EVENT("BOOKMARK", "{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"metadata\":"	\
		     "{\"resourceVersion\":\"" rv "\",\"creationTimestamp\":null,"		\
		     "\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}},"		\
		     "\"spec\":{},\"status\":{\"loadBalancer\":{}}}")

/* A Status, as the body of an error response or the object of an ERROR event. */
#define FX_API_STATUS(code, reason, message)						\
	"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","	\
	"\"message\":\"" message "\",\"reason\":\"" reason "\",\"code\":" #code "}"

#define FX_API_GONE FX_API_EVENT("ERROR", FX_API_STATUS(410, "Expired",			\
					"too old resource version: 48213 (48290)"))

/* Events one test may record. */
#define FX_REC_MAX 64
/* Room for all recorded event lines. */
#define FX_REC_TEXT 4096

static const char *const fx_event_names[] = {
	[K8S_EVENT_ADDED] = "ADDED",
	[K8S_EVENT_MODIFIED] = "MODIFIED",
	[K8S_EVENT_DELETED] = "DELETED",
};

/* Events as lines "ADDED Service shop/web 48213", and how often synced came. */
struct fx_rec {
	char text[FX_REC_TEXT];
	size_t n;
	int synced;
};

static inline void fx_record(struct fx_rec *r, enum k8s_event_type type, enum k8s_kind kind,
			     const cJSON *obj)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *ns = cJSON_GetObjectItemCaseSensitive(meta, "namespace");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(meta, "name");
	const cJSON *rv = cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion");
	size_t len = strlen(r->text);

	snprintf(r->text + len, sizeof(r->text) - len, "%s %s %s%s%s %s\n", fx_event_names[type],
		 k8s_kind_name(kind), cJSON_IsString(ns) ? ns->valuestring : "",
		 cJSON_IsString(ns) ? "/" : "", cJSON_IsString(name) ? name->valuestring : "?",
		 cJSON_IsString(rv) ? rv->valuestring : "?");
	r->n++;
}

#endif
