// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/api_proto.h"

/* Smallest line buffer: most events fit at once. */
#define LINE_BUF_MIN 4096

static int line_append(struct api_lines *l, const char *data, size_t n)
{
	size_t cap = l->cap ? l->cap : LINE_BUF_MIN;
	char *buf;

	if (l->len + n > API_LINE_MAX)
		return -EMSGSIZE;
	while (cap < l->len + n)
		cap *= 2;
	if (cap != l->cap) {
		buf = realloc(l->buf, cap);
		if (!buf)
			return -ENOMEM;
		l->buf = buf;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, data, n);
	l->len += n;
	return 0;
}

static int line_done(const char *line, size_t n, api_line_fn fn, void *ctx)
{
	if (n && line[n - 1] == '\r')
		n--;
	return n ? fn(ctx, line, n) : 0;
}

int api_lines_feed(struct api_lines *l, const char *data, size_t len, api_line_fn fn, void *ctx)
{
	const char *end = data + len, *nl;
	int ret;

	while (data < end) {
		nl = memchr(data, '\n', end - data);
		if (!nl)
			return line_append(l, data, end - data);
		if (l->len) {
			ret = line_append(l, data, nl - data);
			if (!ret)
				ret = line_done(l->buf, l->len, fn, ctx);
			l->len = 0;
		} else if (nl - data > API_LINE_MAX) {
			ret = -EMSGSIZE;
		} else {
			/* A whole line in this chunk needs no copy. */
			ret = line_done(data, nl - data, fn, ctx);
		}
		if (ret)
			return ret;
		data = nl + 1;
	}
	return 0;
}

void api_lines_reset(struct api_lines *l)
{
	l->len = 0;
}

void api_lines_free(struct api_lines *l)
{
	free(l->buf);
	memset(l, 0, sizeof(*l));
}

static const char *const event_types[] = {
	[API_EVENT_ADDED] = "ADDED",
	[API_EVENT_MODIFIED] = "MODIFIED",
	[API_EVENT_DELETED] = "DELETED",
	[API_EVENT_BOOKMARK] = "BOOKMARK",
	[API_EVENT_ERROR] = "ERROR",
};

int api_event_parse(const char *line, size_t len, struct api_event *ev, char *why, size_t why_len)
{
	const cJSON *type;
	size_t i;

	memset(ev, 0, sizeof(*ev));
	ev->root = cJSON_ParseWithLength(line, len);
	if (!cJSON_IsObject(ev->root)) {
		snprintf(why, why_len, "not a JSON object");
		goto bad;
	}
	type = cJSON_GetObjectItemCaseSensitive(ev->root, "type");
	ev->object = cJSON_GetObjectItemCaseSensitive(ev->root, "object");
	if (!cJSON_IsString(type)) {
		snprintf(why, why_len, "no type");
		goto bad;
	}
	for (i = 0; i < sizeof(event_types) / sizeof(event_types[0]); i++)
		if (!strcmp(type->valuestring, event_types[i]))
			break;
	if (i == sizeof(event_types) / sizeof(event_types[0])) {
		snprintf(why, why_len, "unknown type \"%.64s\"", type->valuestring);
		goto bad;
	}
	if (!cJSON_IsObject(ev->object)) {
		snprintf(why, why_len, "%s without an object", event_types[i]);
		goto bad;
	}
	ev->type = (enum api_event_type)i;
	return 0;
bad:
	api_event_free(ev);
	return -1;
}

void api_event_free(struct api_event *ev)
{
	cJSON_Delete(ev->root);
	memset(ev, 0, sizeof(*ev));
}

static void copy_str(char *dst, size_t size, const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	/* A longer text is cut: these are for log lines. */
	snprintf(dst, size, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

void api_status_read(const cJSON *obj, struct api_status *st)
{
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(obj, "code");

	st->code = cJSON_IsNumber(code) ? (long)code->valuedouble : 0;
	copy_str(st->reason, sizeof(st->reason), obj, "reason");
	copy_str(st->message, sizeof(st->message), obj, "message");
}

bool api_status_parse(const char *body, size_t len, struct api_status *st)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	bool ok = cJSON_IsObject(root);

	memset(st, 0, sizeof(*st));
	if (ok)
		api_status_read(root, st);
	cJSON_Delete(root);
	return ok;
}

bool api_status_gone(const struct api_status *st)
{
	return st->code == API_HTTP_GONE || !strcmp(st->reason, "Expired") ||
	       !strcmp(st->reason, "Gone");
}

int api_list_parse(const char *body, size_t len, enum k8s_kind kind, struct api_list *l,
		   char *why, size_t why_len)
{
	const cJSON *meta, *rv, *cont, *k;
	char want[64];

	memset(l, 0, sizeof(*l));
	snprintf(want, sizeof(want), "%sList", k8s_kind_name(kind));
	l->root = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsObject(l->root)) {
		snprintf(why, why_len, "the list is not a JSON object");
		goto bad;
	}
	k = cJSON_GetObjectItemCaseSensitive(l->root, "kind");
	if (k && (!cJSON_IsString(k) || strcmp(k->valuestring, want))) {
		snprintf(why, why_len, "a %s was expected, got kind %.64s", want,
			 cJSON_IsString(k) ? k->valuestring : "(not a string)");
		goto bad;
	}
	meta = cJSON_GetObjectItemCaseSensitive(l->root, "metadata");
	rv = cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion");
	cont = cJSON_GetObjectItemCaseSensitive(meta, "continue");
	if (!cJSON_IsString(rv) || !*rv->valuestring) {
		snprintf(why, why_len, "%s without metadata.resourceVersion", want);
		goto bad;
	}
	if (cont && !cJSON_IsString(cont) && !cJSON_IsNull(cont)) {
		snprintf(why, why_len, "%s metadata.continue is not a string", want);
		goto bad;
	}
	l->items = cJSON_GetObjectItemCaseSensitive(l->root, "items");
	/* Go encodes an empty list as null. */
	if (!l->items || cJSON_IsNull(l->items)) {
		cJSON_DeleteItemFromObjectCaseSensitive(l->root, "items");
		l->items = cJSON_AddArrayToObject(l->root, "items");
		if (!l->items) {
			snprintf(why, why_len, "out of memory");
			goto bad;
		}
	} else if (!cJSON_IsArray(l->items)) {
		snprintf(why, why_len, "%s items is not a list", want);
		goto bad;
	}
	l->resource_version = rv->valuestring;
	l->cont = cJSON_IsString(cont) && *cont->valuestring ? cont->valuestring : NULL;
	return 0;
bad:
	api_list_free(l);
	return -1;
}

void api_list_free(struct api_list *l)
{
	cJSON_Delete(l->root);
	memset(l, 0, sizeof(*l));
}
