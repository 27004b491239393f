// SPDX-License-Identifier: Apache-2.0
/* The list/watch protocol's shapes: watch lines split anywhere, WatchEvents, Lists, Status. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/api_proto.h"
#include "test_api_fixtures.h"

/* Lines one feed test may collect. */
#define LINES_MAX 16

static const char stream[] =
	FX_API_EVENT("ADDED", FX_API_SERVICE("web", "48213", "80"))
	FX_API_BOOKMARK("48250")
	"\n"
	FX_API_EVENT("MODIFIED", FX_API_SERVICE("web", "48260", "81"))
	FX_API_GONE;

struct collected {
	char *lines[LINES_MAX];
	size_t n;
};

static int collect(void *ctx, const char *line, size_t len)
{
	struct collected *c = ctx;

	cr_assert_lt(c->n, LINES_MAX, "room for another line");
	c->lines[c->n++] = strndup(line, len);
	return 0;
}

static void collected_free(struct collected *c)
{
	while (c->n)
		free(c->lines[--c->n]);
}

/* The lines of the stream, split at newlines by hand. */
static void expected_lines(struct collected *want)
{
	const char *p = stream, *nl;

	memset(want, 0, sizeof(*want));
	while ((nl = strchr(p, '\n'))) {
		if (nl > p)
			collect(want, p, nl - p);
		p = nl + 1;
	}
}

static void assert_same(const struct collected *got, const struct collected *want, size_t cut)
{
	size_t i;

	cr_assert_eq(got->n, want->n, "split at %zu: %zu lines, not %zu", cut, got->n, want->n);
	for (i = 0; i < want->n; i++)
		cr_assert_str_eq(got->lines[i], want->lines[i], "split at %zu: line %zu", cut, i);
}

Test(api_lines, every_split_position_gives_the_same_lines)
{
	struct collected want, got;
	struct api_lines l = { 0 };
	size_t len = strlen(stream), cut;

	expected_lines(&want);
	cr_assert_eq(want.n, 4, "four events (the blank line is no event)");
	for (cut = 0; cut <= len; cut++) {
		memset(&got, 0, sizeof(got));
		cr_assert_eq(api_lines_feed(&l, stream, cut, collect, &got), 0, "first part");
		cr_assert_eq(api_lines_feed(&l, stream + cut, len - cut, collect, &got), 0,
			     "second part");
		assert_same(&got, &want, cut);
		collected_free(&got);
	}
	api_lines_free(&l);
	collected_free(&want);
}

Test(api_lines, one_byte_at_a_time)
{
	struct collected want, got = { 0 };
	struct api_lines l = { 0 };
	size_t i;

	expected_lines(&want);
	for (i = 0; stream[i]; i++)
		cr_assert_eq(api_lines_feed(&l, stream + i, 1, collect, &got), 0, "byte %zu", i);
	assert_same(&got, &want, 1);
	cr_assert_eq(l.len, 0, "nothing left over after the last newline");
	api_lines_free(&l);
	collected_free(&got);
	collected_free(&want);
}

Test(api_lines, crlf_and_partial_lines)
{
	struct collected got = { 0 };
	struct api_lines l = { 0 };

	cr_assert_eq(api_lines_feed(&l, "{\"a\":1}\r\n{\"b\"", 13, collect, &got), 0, "feed");
	cr_assert_eq(got.n, 1, "one line complete");
	cr_assert_str_eq(got.lines[0], "{\"a\":1}", "the \\r is not part of the line");
	api_lines_reset(&l);
	cr_assert_eq(api_lines_feed(&l, ":2}\n", 4, collect, &got), 0, "feed after reset");
	cr_assert_str_eq(got.lines[1], ":2}", "the partial line was forgotten");
	api_lines_free(&l);
	collected_free(&got);
}

static int stop_at_second(void *ctx, const char *line, size_t len)
{
	int *n = ctx;

	(void)line;
	(void)len;
	return ++*n == 2 ? -1 : 0;
}

Test(api_lines, a_callback_stops_the_feed)
{
	struct api_lines l = { 0 };
	int n = 0;

	cr_assert_eq(api_lines_feed(&l, "a\nb\nc\n", 6, stop_at_second, &n), -1,
		     "the callback's -1 comes back");
	cr_assert_eq(n, 2, "no line after the one that stopped it");
	api_lines_free(&l);
}

Test(api_lines, an_overlong_line_is_refused)
{
	struct collected got = { 0 };
	struct api_lines l = { 0 };
	char *big = malloc(API_LINE_MAX + 2);

	cr_assert_not_null(big, "allocate");
	memset(big, 'x', API_LINE_MAX + 1);
	big[API_LINE_MAX + 1] = '\n';
	cr_assert_eq(api_lines_feed(&l, big, API_LINE_MAX + 1, collect, &got), -EMSGSIZE,
		     "a partial line over the limit");
	api_lines_reset(&l);
	cr_assert_eq(api_lines_feed(&l, big, API_LINE_MAX + 2, collect, &got), -EMSGSIZE,
		     "a whole line over the limit in one chunk");
	cr_assert_eq(got.n, 0, "nothing delivered");
	free(big);
	api_lines_free(&l);
}

static struct api_event parse_ok(const char *line)
{
	struct api_event ev;
	char why[128];

	cr_assert_eq(api_event_parse(line, strlen(line), &ev, why, sizeof(why)), 0,
		     "parse %s: %s", line, why);
	return ev;
}

static const char *obj_rv(const cJSON *obj)
{
	return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"),
						"resourceVersion")->valuestring;
}

Test(api_event, each_type)
{
	static const struct {
		const char *line;
		enum api_event_type type;
		const char *rv;
	} cases[] = {
		{ FX_API_EVENT("ADDED", FX_API_SERVICE("web", "1", "80")), API_EVENT_ADDED, "1" },
		{ FX_API_EVENT("MODIFIED", FX_API_SERVICE("web", "2", "80")), API_EVENT_MODIFIED,
		  "2" },
		{ FX_API_EVENT("DELETED", FX_API_SERVICE("web", "3", "80")), API_EVENT_DELETED,
		  "3" },
		{ FX_API_BOOKMARK("4"), API_EVENT_BOOKMARK, "4" },
	};
	struct api_event ev;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ev = parse_ok(cases[i].line);
		cr_assert_eq(ev.type, cases[i].type, "case %zu: type", i);
		cr_assert_str_eq(obj_rv(ev.object), cases[i].rv, "case %zu: the object's rv", i);
		api_event_free(&ev);
	}
}

Test(api_event, error_carries_a_status)
{
	struct api_event ev = parse_ok(FX_API_GONE);
	struct api_status st;

	cr_assert_eq(ev.type, API_EVENT_ERROR, "an ERROR");
	api_status_read(ev.object, &st);
	cr_assert_eq(st.code, 410, "code");
	cr_assert_str_eq(st.reason, "Expired", "reason");
	cr_assert_str_eq(st.message, "too old resource version: 48213 (48290)", "message");
	cr_assert(api_status_gone(&st), "410 means list again");
	api_event_free(&ev);
}

Test(api_event, malformed_lines)
{
	static const char *const bad[] = {
		"not json",
		"[]",
		"{\"type\":\"ADDED\",\"object\":{\"metadata\":{}}",	/* cut short */
		"{\"object\":{}}",
		"{\"type\":1,\"object\":{}}",
		"{\"type\":\"RENAMED\",\"object\":{}}",
		"{\"type\":\"ADDED\"}",
		"{\"type\":\"MODIFIED\",\"object\":\"web\"}",
		"{\"type\":\"ERROR\",\"object\":null}",
	};
	struct api_event ev;
	char why[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		cr_assert_eq(api_event_parse(bad[i], strlen(bad[i]), &ev, why, sizeof(why)), -1,
			     "%s is refused", bad[i]);
		cr_assert_neq(why[0], '\0', "%s: a reason", bad[i]);
		cr_assert_null(ev.root, "%s: nothing kept", bad[i]);
	}
}

Test(api_status, gone_or_not)
{
	static const char gone_reason[] = "{\"kind\":\"Status\",\"reason\":\"Gone\"}";
	static const char forbidden[] = FX_API_STATUS(403, "Forbidden",
		"services is forbidden: User \\\"system:node:n1\\\" cannot list resource");
	struct api_status st;

	cr_assert(api_status_parse(gone_reason, strlen(gone_reason), &st), "parsed");
	cr_assert(api_status_gone(&st), "reason Gone without a code");
	cr_assert(api_status_parse(forbidden, strlen(forbidden), &st), "parsed");
	cr_assert_not(api_status_gone(&st), "403 is no reason to list again");
	cr_assert_eq(st.code, 403, "code");
	cr_assert_str_eq(st.reason, "Forbidden", "reason");
	cr_assert_not(api_status_parse("<html>", 6, &st), "an HTML body is no Status");
	cr_assert_eq(st.code, 0, "and leaves nothing");
}

static struct api_list list_ok(const char *body, enum k8s_kind kind)
{
	struct api_list l;
	char why[128];

	cr_assert_eq(api_list_parse(body, strlen(body), kind, &l, why, sizeof(why)), 0,
		     "parse %s: %s", body, why);
	return l;
}

Test(api_list, pages)
{
	struct api_list l = list_ok(FX_API_SERVICE_LIST("48290", "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ",
							 FX_API_SERVICE_ITEM("web", "48213") ","
							 FX_API_SERVICE_ITEM("db", "48100")),
				    K8S_KIND_SERVICE);

	cr_assert_str_eq(l.resource_version, "48290", "the list's resourceVersion");
	cr_assert_str_eq(l.cont, "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ", "the continue token");
	cr_assert_eq(cJSON_GetArraySize(l.items), 2, "two items");
	api_list_free(&l);
	l = list_ok(FX_API_SERVICE_LIST("48290", "", FX_API_SERVICE_ITEM("web", "48213")),
		    K8S_KIND_SERVICE);
	cr_assert_null(l.cont, "an empty continue is the last page");
	api_list_free(&l);
}

Test(api_list, empty_lists)
{
	struct api_list l = list_ok("{\"kind\":\"EndpointSliceList\",\"apiVersion\":"
				    "\"discovery.k8s.io/v1\",\"metadata\":{\"resourceVersion\":\"7\"},"
				    "\"items\":null}", K8S_KIND_ENDPOINTSLICE);

	cr_assert_eq(cJSON_GetArraySize(l.items), 0, "null items are an empty list");
	cr_assert_null(l.cont, "no continue");
	api_list_free(&l);
	l = list_ok("{\"metadata\":{\"resourceVersion\":\"7\"}}", K8S_KIND_NODE);
	cr_assert(cJSON_IsArray(l.items), "absent items are an empty list");
	api_list_free(&l);
}

Test(api_list, malformed_lists)
{
	static const struct {
		const char *body;
		const char *why;
	} bad[] = {
		{ "[]", "not a JSON object" },
		{ FX_API_SERVICE_LIST("1", "", ""), "a PodList was expected" },
		{ "{\"kind\":\"PodList\",\"metadata\":{},\"items\":[]}", "resourceVersion" },
		{ "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"\"}}", "resourceVersion" },
		{ "{\"metadata\":{\"resourceVersion\":\"1\",\"continue\":3}}", "continue" },
		{ "{\"metadata\":{\"resourceVersion\":\"1\"},\"items\":{}}", "items" },
	};
	struct api_list l;
	char why[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(api_list_parse(bad[i].body, strlen(bad[i].body), K8S_KIND_POD, &l,
					    why, sizeof(why)), -1, "%s is refused", bad[i].body);
		cr_assert(strstr(why, bad[i].why), "%s: '%s' names %s", bad[i].body, why,
			  bad[i].why);
		cr_assert_null(l.root, "nothing kept");
	}
}
