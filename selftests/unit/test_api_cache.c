// SPDX-License-Identifier: Apache-2.0
/* A kind's cache: a relist yields only differences, watch events one consistent history. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/api_cache.h"
#include "test_api_fixtures.h"

static struct fx_rec rec;
static struct api_cache cache;
static cJSON *last;	/* the last object delivered */

static void record(void *ctx, enum k8s_event_type type, enum k8s_kind kind, cJSON *obj)
{
	(void)ctx;
	fx_record(&rec, type, kind, obj);
	cJSON_Delete(last);
	last = obj;
}

static void setup(void)
{
	memset(&rec, 0, sizeof(rec));
	api_cache_init(&cache, K8S_KIND_SERVICE, record, NULL);
}

static void teardown(void)
{
	api_cache_free(&cache);
	cJSON_Delete(last);
	last = NULL;
}

TestSuite(api_cache, .init = setup, .fini = teardown);

static cJSON *parse(const char *json)
{
	cJSON *v = cJSON_Parse(json);

	cr_assert_not_null(v, "fixture parses: %s", json);
	return v;
}

static void list(const char *const *items, size_t n)
{
	char why[256];
	size_t i;

	api_cache_list_begin(&cache);
	for (i = 0; i < n; i++)
		cr_assert_eq(api_cache_list_item(&cache, parse(items[i]), why, sizeof(why)), 0,
			     "item %zu: %s", i, why);
	api_cache_list_end(&cache);
}

static void watch(enum k8s_event_type type, const char *json)
{
	char why[256];

	cr_assert_eq(api_cache_watch(&cache, type, parse(json), why, sizeof(why)), 0,
		     "watch event: %s", why);
}

static void expect(const char *want)
{
	cr_assert_str_eq(rec.text, want, "events:\n%s\nnot:\n%s", rec.text, want);
	rec.text[0] = '\0';
}

Test(api_cache, relist_delivers_only_differences)
{
	static const char *const first[] = {
		FX_API_SERVICE_ITEM("a", "10"),
		FX_API_SERVICE_ITEM("b", "11"),
		FX_API_SERVICE_ITEM("c", "12"),
	};
	static const char *const second[] = {
		FX_API_SERVICE_ITEM("a", "10"),
		FX_API_SERVICE_ITEM("b", "20"),
		FX_API_SERVICE_ITEM("d", "21"),
	};

	list(first, 3);
	expect("ADDED Service shop/a 10\nADDED Service shop/b 11\nADDED Service shop/c 12\n");
	list(second, 3);
	expect("MODIFIED Service shop/b 20\nADDED Service shop/d 21\nDELETED Service shop/c 12\n");
	cr_assert_eq(cache.n, 3, "a, b and d held");
	list(second, 3);
	expect("");
}

Test(api_cache, a_deletion_carries_the_last_object)
{
	static const char *const one[] = { FX_API_SERVICE_ITEM("a", "10") };

	list(one, 1);
	list(NULL, 0);
	expect("ADDED Service shop/a 10\nDELETED Service shop/a 10\n");
	cr_assert_not_null(cJSON_GetObjectItemCaseSensitive(last, "spec"),
			   "the whole object, for sinks that parse it");
	cr_assert_eq(cache.n, 0, "nothing held");
}

/* A list started over (its continue token expired) must not keep what only the first try saw. */
Test(api_cache, a_restarted_list_forgets_the_abandoned_one)
{
	static const char *const held[] = { FX_API_SERVICE_ITEM("a", "10") };
	char why[256];

	list(held, 1);
	api_cache_list_begin(&cache);
	cr_assert_eq(api_cache_list_item(&cache, parse(FX_API_SERVICE_ITEM("b", "11")), why,
					 sizeof(why)), 0, "first try, first page");
	api_cache_list_begin(&cache);
	cr_assert_eq(api_cache_list_item(&cache, parse(FX_API_SERVICE_ITEM("a", "10")), why,
					 sizeof(why)), 0, "second try");
	api_cache_list_end(&cache);
	expect("ADDED Service shop/a 10\nADDED Service shop/b 11\nDELETED Service shop/b 11\n");
	cr_assert_eq(cache.n, 1, "a alone");
}

Test(api_cache, watch_events_are_made_consistent)
{
	watch(K8S_EVENT_MODIFIED, FX_API_SERVICE("web", "5", "80"));
	watch(K8S_EVENT_ADDED, FX_API_SERVICE("web", "6", "81"));
	watch(K8S_EVENT_MODIFIED, FX_API_SERVICE("web", "6", "81"));
	watch(K8S_EVENT_DELETED, FX_API_SERVICE("db", "7", "80"));
	watch(K8S_EVENT_DELETED, FX_API_SERVICE("web", "8", "81"));
	expect("ADDED Service shop/web 5\nMODIFIED Service shop/web 6\nDELETED Service shop/web 8\n");
	cr_assert_eq(cache.n, 0, "nothing held");
}

Test(api_cache, objects_are_normalised)
{
	static const char *const item[] = { FX_API_SERVICE_ITEM("a", "10") };
	const cJSON *kind, *api;

	list(item, 1);
	kind = cJSON_GetObjectItemCaseSensitive(last, "kind");
	api = cJSON_GetObjectItemCaseSensitive(last, "apiVersion");
	cr_assert(cJSON_IsString(kind) && !strcmp(kind->valuestring, "Service"), "kind filled in");
	cr_assert(cJSON_IsString(api) && !strcmp(api->valuestring, "v1"), "apiVersion filled in");
	watch(K8S_EVENT_ADDED, FX_API_SERVICE("web", "5", "80"));
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(
			       cJSON_GetObjectItemCaseSensitive(last, "metadata"), "managedFields"),
		       "managedFields dropped");
}

Test(api_cache, malformed_objects_are_refused)
{
	static const struct {
		const char *json;
		const char *why;
	} bad[] = {
		{ "[]", "without metadata" },
		{ "{\"metadata\":[]}", "without metadata" },
		{ "{\"metadata\":{\"namespace\":\"shop\",\"resourceVersion\":\"1\"}}", "metadata.name" },
		{ "{\"metadata\":{\"name\":\"a\",\"namespace\":\"shop\"}}", "resourceVersion" },
		{ "{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"1\"}}", "metadata.namespace" },
		{ "{\"metadata\":{\"name\":\"a\",\"namespace\":\"\",\"resourceVersion\":\"1\"}}",
		  "metadata.namespace" },
		{ "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\",\"namespace\":\"shop\","
		  "\"resourceVersion\":\"1\"}}", "kind or apiVersion" },
		{ "{\"apiVersion\":\"v2\",\"metadata\":{\"name\":\"a\",\"namespace\":\"shop\","
		  "\"resourceVersion\":\"1\"}}", "kind or apiVersion" },
	};
	char why[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(api_cache_list_item(&cache, parse(bad[i].json), why, sizeof(why)), -1,
			     "%s is refused in a list", bad[i].json);
		cr_assert(strstr(why, bad[i].why), "%s: '%s' names %s", bad[i].json, why,
			  bad[i].why);
		cr_assert_eq(api_cache_watch(&cache, K8S_EVENT_ADDED, parse(bad[i].json), why,
					     sizeof(why)), -1, "%s is refused in a watch",
			     bad[i].json);
	}
	expect("");
	cr_assert_eq(cache.n, 0, "nothing held");
}

Test(api_cache, cluster_scoped_kinds_need_no_namespace)
{
	char why[256];

	api_cache_free(&cache);
	api_cache_init(&cache, K8S_KIND_NODE, record, NULL);
	cr_assert_eq(api_cache_watch(&cache, K8S_EVENT_ADDED,
				     parse("{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":"
					   "{\"name\":\"n1\",\"resourceVersion\":\"3\"}}"),
				     why, sizeof(why)), 0, "a Node: %s", why);
	expect("ADDED Node n1 3\n");
}
