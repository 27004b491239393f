// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/labels.h"

static int label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct label *)a)->key, ((const struct label *)b)->key);
}

int labels_from_json(const cJSON *obj, struct labels *out)
{
	const cJSON *it;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (!obj || cJSON_IsNull(obj))
		return 0;
	if (!cJSON_IsObject(obj))
		return -EINVAL;
	out->items = calloc((size_t)cJSON_GetArraySize(obj) + 1, sizeof(*out->items));
	if (!out->items)
		return -ENOMEM;
	cJSON_ArrayForEach(it, obj) {
		if (!cJSON_IsString(it)) {
			labels_free(out);
			return -EINVAL;
		}
		out->items[n].key = strdup(it->string);
		out->items[n].value = strdup(it->valuestring);
		if (!out->items[n].key || !out->items[n].value) {
			out->n = n + 1;
			labels_free(out);
			return -ENOMEM;
		}
		n++;
	}
	out->n = n;
	qsort(out->items, n, sizeof(*out->items), label_cmp);
	return 0;
}

void labels_free(struct labels *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->items[i].key);
		free(l->items[i].value);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

int labels_copy(const struct labels *src, struct labels *dst)
{
	size_t i;

	dst->items = calloc(src->n + 1, sizeof(*dst->items));
	dst->n = 0;
	if (!dst->items)
		return -ENOMEM;
	for (i = 0; i < src->n; i++) {
		dst->items[i].key = strdup(src->items[i].key);
		dst->items[i].value = strdup(src->items[i].value);
		dst->n++;
		if (!dst->items[i].key || !dst->items[i].value) {
			labels_free(dst);
			return -ENOMEM;
		}
	}
	return 0;
}

int labels_set(struct labels *l, const char *key, const char *value)
{
	struct label probe = { .key = (char *)key }, *hit = NULL, *items;
	char *v = strdup(value), *k = NULL;

	if (l->n)
		hit = bsearch(&probe, l->items, l->n, sizeof(*l->items), label_cmp);
	if (v && hit) {
		free(hit->value);
		hit->value = v;
		return 0;
	}
	items = v ? realloc(l->items, (l->n + 1) * sizeof(*items)) : NULL;
	if (items)
		l->items = items;
	if (!items || !(k = strdup(key))) {
		free(v);
		return -ENOMEM;
	}
	items[l->n++] = (struct label){ .key = k, .value = v };
	qsort(items, l->n, sizeof(*items), label_cmp);
	return 0;
}

const char *labels_get(const struct labels *l, const char *key)
{
	struct label probe = { .key = (char *)key }, *hit;

	if (!l->n)
		return NULL;
	hit = bsearch(&probe, l->items, l->n, sizeof(*l->items), label_cmp);
	return hit ? hit->value : NULL;
}

int labels_cmp(const struct labels *a, const struct labels *b)
{
	size_t i;
	int c;

	for (i = 0; i < a->n && i < b->n; i++) {
		c = strcmp(a->items[i].key, b->items[i].key);
		if (!c)
			c = strcmp(a->items[i].value, b->items[i].value);
		if (c)
			return c;
	}
	return a->n == b->n ? 0 : a->n < b->n ? -1 : 1;
}

void labels_str(const struct labels *l, char *buf, size_t len)
{
	size_t i, off = 0;

	if (len)
		buf[0] = '\0';
	for (i = 0; i < l->n && off < len; i++) {
		int n = snprintf(buf + off, len - off, "%s%s=%s", i ? "," : "", l->items[i].key,
				 l->items[i].value);

		if (n < 0)
			break;
		off += (size_t)n;
	}
}
