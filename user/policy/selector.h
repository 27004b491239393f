/* SPDX-License-Identifier: Apache-2.0 */
/* Kubernetes LabelSelectors: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist). */
#ifndef SLUICE_POLICY_SELECTOR_H
#define SLUICE_POLICY_SELECTOR_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "policy/labels.h"

enum selector_op {
	SEL_IN,
	SEL_NOT_IN,
	SEL_EXISTS,
	SEL_DOES_NOT_EXIST,
};

/* One requirement; matchLabels k: v is "k In (v)". */
struct selector_req {
	char *key;
	enum selector_op op;
	char **values;
	size_t n_values;
};

struct selector {
	struct selector_req *reqs;
	size_t n;
};

/*
 * Parses a LabelSelector object; an empty one ({}) selects everything.
 * Returns 0, or -EINVAL with why naming the field (prefixed with field).
 */
int selector_parse(const cJSON *obj, const char *field, struct selector *sel, char *why,
		   size_t why_len);
void selector_free(struct selector *sel);
/* Every requirement holds for l. */
bool selector_matches(const struct selector *sel, const struct labels *l);

#endif
