/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One kind's objects as the API server last described them, by namespace
 * and name, so that a relist yields only differences and the sink sees one
 * consistent history across reconnects:
 * - each object is checked (metadata.name and metadata.resourceVersion
 *   strings, metadata.namespace for namespaced kinds, kind and apiVersion,
 *   when present, those of the kind watched) and normalised: kind and
 *   apiVersion are filled in (list items lack them) and
 *   metadata.managedFields is dropped (large, and never read);
 * - a list is its items between list_begin and list_end: ADDED for a new
 *   object, MODIFIED for a new resourceVersion, nothing for the same one;
 *   list_end deletes every object the list did not name (DELETED with the
 *   object as last seen);
 * - a watch event: ADDED and MODIFIED become ADDED for an object not held
 *   and MODIFIED for one that is, nothing when its resourceVersion is the
 *   one held; DELETED of an object not held is dropped.
 */
#ifndef SLUICE_K8S_API_CACHE_H
#define SLUICE_K8S_API_CACHE_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "k8s/object.h"

/* Where the cache sends events; emit takes obj. */
typedef void (*api_emit_fn)(void *ctx, enum k8s_event_type type, enum k8s_kind kind, cJSON *obj);

struct api_cache {
	enum k8s_kind kind;
	void *tree;		/* "ns/name" (or "name") -> struct api_entry */
	size_t n;		/* objects held */
	unsigned int gen;	/* of the list being applied */
	api_emit_fn emit;
	void *ctx;
};

void api_cache_init(struct api_cache *c, enum k8s_kind kind, api_emit_fn emit, void *ctx);
void api_cache_free(struct api_cache *c);
/* A list starts: the objects it holds will be the whole state. */
void api_cache_list_begin(struct api_cache *c);
/* One of its items (taken). 0, or -1 with why when it is malformed (dropped). */
int api_cache_list_item(struct api_cache *c, cJSON *obj, char *why, size_t len);
/* The list is complete: objects it did not hold are deleted. */
void api_cache_list_end(struct api_cache *c);
/* A watch event's object (taken). 0, or -1 with why when it is malformed. */
int api_cache_watch(struct api_cache *c, enum k8s_event_type type, cJSON *obj, char *why,
		    size_t len);

#endif
