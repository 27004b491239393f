/* SPDX-License-Identifier: Apache-2.0 */
/* Kubernetes label sets: sorted key/value pairs, compared and matched as wholes. */
#ifndef SLUICE_POLICY_LABELS_H
#define SLUICE_POLICY_LABELS_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

struct label {
	char *key;
	char *value;
};

struct labels {
	struct label *items;	/* sorted by key, keys unique */
	size_t n;
};

/* From a metadata.labels object (NULL or absent: empty); -EINVAL for a non-string value. */
int labels_from_json(const cJSON *obj, struct labels *out);
void labels_free(struct labels *l);
int labels_copy(const struct labels *src, struct labels *dst);
/* Sets key to value, adding it when absent. 0 or -ENOMEM. */
int labels_set(struct labels *l, const char *key, const char *value);
/* The value of key, or NULL. */
const char *labels_get(const struct labels *l, const char *key);
int labels_cmp(const struct labels *a, const struct labels *b);
/* "k1=v1,k2=v2" into buf (cut at len), for logs and `sluice identity list`. */
void labels_str(const struct labels *l, char *buf, size_t len);

#endif
