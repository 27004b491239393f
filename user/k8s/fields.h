/* SPDX-License-Identifier: Apache-2.0 */
/* Reading typed fields out of Kubernetes JSON objects, with reasons when they are wrong. */
#ifndef SLUICE_K8S_FIELDS_H
#define SLUICE_K8S_FIELDS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

/* Room for a reason an object was refused. */
#define K8S_WHY_LEN 256

/* v if it is a list, else NULL: for walking optional lists with cJSON_ArrayForEach. */
const cJSON *k8s_list(const cJSON *v);
/* The child at a dotted path ("spec.ports"), or NULL. */
const cJSON *k8s_get(const cJSON *obj, const char *path);
/* A string at path, or def when absent; NULL (and why) when present but not a string. */
const char *k8s_str(const cJSON *obj, const char *path, const char *def, char *why, size_t len);
/* Copies a string into a fixed field; false (and why) when it does not fit. */
bool k8s_copy(char *dst, size_t size, const char *src, const char *field, char *why, size_t len);
/* A whole number in [min, max] at path; def when absent. */
bool k8s_int(const cJSON *obj, const char *path, long def, long min, long max, long *out,
	     char *why, size_t len);
/* "TCP", "UDP", "SCTP" (default TCP) to an IPPROTO_ value. */
bool k8s_protocol(const cJSON *obj, uint8_t *proto, char *why, size_t len);
/* An IPv4 address in dotted form; false for anything else (IPv6 included). */
bool k8s_ipv4(const char *s, struct in_addr *a);
/*
 * Puts the path of the list item a field lives in ("spec.ports[].") in front
 * of why, unless it is there already; returns -EINVAL for the caller to pass on.
 */
int k8s_in(char *why, size_t len, const char *prefix);
/* A valid IPv6 address (a dual-stack field's other family): skipped, not an error. */
bool k8s_ipv6(const char *s);
/* metadata.namespace and metadata.name into the fixed fields. */
bool k8s_meta(const cJSON *obj, char *ns, size_t ns_len, char *name, size_t name_len,
	      char *why, size_t len);

#endif
