// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/selector.h"

static int fail(char *why, size_t len, const char *field, const char *what)
{
	snprintf(why, len, "%s: %s", field, what);
	return -EINVAL;
}

static struct selector_req *add_req(struct selector *sel, size_t cap)
{
	if (sel->n == cap)
		return NULL;
	return &sel->reqs[sel->n++];
}

static int parse_expression(const cJSON *e, struct selector_req *r, const char *field, char *why,
			    size_t len)
{
	const cJSON *key = cJSON_GetObjectItemCaseSensitive(e, "key");
	const cJSON *op = cJSON_GetObjectItemCaseSensitive(e, "operator");
	const cJSON *vals = cJSON_GetObjectItemCaseSensitive(e, "values"), *v;
	size_t n = 0;

	if (!cJSON_IsString(key) || !key->valuestring[0])
		return fail(why, len, field, "matchExpressions[].key must be a non-empty string");
	if (!cJSON_IsString(op))
		return fail(why, len, field, "matchExpressions[].operator must be a string");
	if (!strcmp(op->valuestring, "In"))
		r->op = SEL_IN;
	else if (!strcmp(op->valuestring, "NotIn"))
		r->op = SEL_NOT_IN;
	else if (!strcmp(op->valuestring, "Exists"))
		r->op = SEL_EXISTS;
	else if (!strcmp(op->valuestring, "DoesNotExist"))
		r->op = SEL_DOES_NOT_EXIST;
	else
		return fail(why, len, field, "matchExpressions[].operator is not In, NotIn, Exists "
			    "or DoesNotExist");
	r->key = strdup(key->valuestring);
	if (!r->key)
		return -ENOMEM;
	if (vals && !cJSON_IsNull(vals) && !cJSON_IsArray(vals))
		return fail(why, len, field, "matchExpressions[].values must be a list");
	/* The API's own validation: In/NotIn need values, Exists/DoesNotExist none. */
	if ((r->op == SEL_IN || r->op == SEL_NOT_IN) != (cJSON_GetArraySize(vals) > 0))
		return fail(why, len, field, r->op == SEL_IN || r->op == SEL_NOT_IN ?
			    "matchExpressions[].values must not be empty for In and NotIn" :
			    "matchExpressions[].values must be empty for Exists and DoesNotExist");
	r->values = calloc((size_t)cJSON_GetArraySize(vals) + 1, sizeof(*r->values));
	if (!r->values)
		return -ENOMEM;
	cJSON_ArrayForEach(v, vals) {
		if (!cJSON_IsString(v))
			return fail(why, len, field, "matchExpressions[].values holds a non-string");
		r->values[n] = strdup(v->valuestring);
		if (!r->values[n])
			return -ENOMEM;
		r->n_values = ++n;
	}
	return 0;
}

int selector_parse(const cJSON *obj, const char *field, struct selector *sel, char *why,
		   size_t why_len)
{
	const cJSON *ml, *me, *it, *labels_obj, *exprs;
	size_t cap;
	int err;

	memset(sel, 0, sizeof(*sel));
	if (!cJSON_IsObject(obj))
		return fail(why, why_len, field, "must be a label selector object");
	ml = cJSON_GetObjectItemCaseSensitive(obj, "matchLabels");
	me = cJSON_GetObjectItemCaseSensitive(obj, "matchExpressions");
	if (ml && !cJSON_IsNull(ml) && !cJSON_IsObject(ml))
		return fail(why, why_len, field, "matchLabels must be an object");
	if (me && !cJSON_IsNull(me) && !cJSON_IsArray(me))
		return fail(why, why_len, field, "matchExpressions must be a list");
	cap = (size_t)(cJSON_GetArraySize(ml) + cJSON_GetArraySize(me));
	sel->reqs = calloc(cap + 1, sizeof(*sel->reqs));
	if (!sel->reqs)
		return -ENOMEM;
	labels_obj = cJSON_IsObject(ml) ? ml : NULL;
	exprs = cJSON_IsArray(me) ? me : NULL;
	cJSON_ArrayForEach(it, labels_obj) {
		struct selector_req *r = add_req(sel, cap);

		if (!cJSON_IsString(it)) {
			selector_free(sel);
			return fail(why, why_len, field, "matchLabels values must be strings");
		}
		r->key = strdup(it->string);
		r->values = calloc(2, sizeof(*r->values));
		if (!r->key || !r->values || !(r->values[0] = strdup(it->valuestring))) {
			selector_free(sel);
			return -ENOMEM;
		}
		r->op = SEL_IN;
		r->n_values = 1;
	}
	cJSON_ArrayForEach(it, exprs) {
		err = parse_expression(it, add_req(sel, cap), field, why, why_len);
		if (err) {
			selector_free(sel);
			return err;
		}
	}
	return 0;
}

void selector_free(struct selector *sel)
{
	size_t i, j;

	for (i = 0; i < sel->n; i++) {
		free(sel->reqs[i].key);
		for (j = 0; j < sel->reqs[i].n_values; j++)
			free(sel->reqs[i].values[j]);
		free(sel->reqs[i].values);
	}
	free(sel->reqs);
	sel->reqs = NULL;
	sel->n = 0;
}

static bool in_values(const struct selector_req *r, const char *v)
{
	size_t i;

	for (i = 0; i < r->n_values; i++)
		if (!strcmp(r->values[i], v))
			return true;
	return false;
}

bool selector_matches(const struct selector *sel, const struct labels *l)
{
	size_t i;

	for (i = 0; i < sel->n; i++) {
		const struct selector_req *r = &sel->reqs[i];
		const char *v = labels_get(l, r->key);
		bool ok;

		switch (r->op) {
		case SEL_IN:
			ok = v && in_values(r, v);
			break;
		case SEL_NOT_IN:
			/* A missing key is "not in" any set, as the API defines. */
			ok = !v || !in_values(r, v);
			break;
		case SEL_EXISTS:
			ok = v != NULL;
			break;
		default:
			ok = v == NULL;
		}
		if (!ok)
			return false;
	}
	return true;
}
