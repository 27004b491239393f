// SPDX-License-Identifier: Apache-2.0
/* Label selectors: matchLabels and every matchExpressions operator, and bad input. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/selector.h"

static struct labels labels_of(const char *json)
{
	cJSON *o = cJSON_Parse(json);
	struct labels l;

	cr_assert_not_null(o, "labels JSON: %s", json);
	cr_assert_eq(labels_from_json(o, &l), 0, "labels from %s", json);
	cJSON_Delete(o);
	return l;
}

static bool matches(const char *sel_json, const char *labels_json)
{
	cJSON *o = cJSON_Parse(sel_json);
	struct labels l = labels_of(labels_json);
	struct selector s;
	char why[128] = "";
	bool m;

	cr_assert_not_null(o, "selector JSON: %s", sel_json);
	cr_assert_eq(selector_parse(o, "sel", &s, why, sizeof(why)), 0, "parse %s: %s", sel_json,
		     why);
	m = selector_matches(&s, &l);
	selector_free(&s);
	labels_free(&l);
	cJSON_Delete(o);
	return m;
}

struct match_case {
	char sel[160];
	char labels[80];
	bool want;
};

Test(selector, truth_table)
{
	static const struct match_case cases[] = {
		{ "{}", "{}", true },
		{ "{}", "{\"a\":\"1\"}", true },
		{ "{\"matchLabels\":{\"a\":\"1\"}}", "{\"a\":\"1\",\"b\":\"2\"}", true },
		{ "{\"matchLabels\":{\"a\":\"1\"}}", "{\"a\":\"2\"}", false },
		{ "{\"matchLabels\":{\"a\":\"1\"}}", "{}", false },
		{ "{\"matchLabels\":{\"a\":\"1\",\"b\":\"2\"}}", "{\"a\":\"1\"}", false },
		{ "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[\"1\",\"2\"]}]}",
		  "{\"a\":\"2\"}", true },
		{ "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[\"1\"]}]}",
		  "{}", false },
		{ "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"NotIn\",\"values\":[\"1\"]}]}",
		  "{\"a\":\"2\"}", true },
		{ "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"NotIn\",\"values\":[\"1\"]}]}",
		  "{\"a\":\"1\"}", false },
		{ "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"NotIn\",\"values\":[\"1\"]}]}",
		  "{}", true },
		{ "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\"}]}", "{\"a\":\"\"}",
		  true },
		{ "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\"}]}", "{\"b\":\"1\"}",
		  false },
		{ "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"DoesNotExist\"}]}", "{}", true },
		{ "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"DoesNotExist\"}]}",
		  "{\"a\":\"1\"}", false },
		/* matchLabels and matchExpressions are ANDed. */
		{ "{\"matchLabels\":{\"a\":\"1\"},\"matchExpressions\":[{\"key\":\"b\",\"operator\":"
		  "\"Exists\"}]}", "{\"a\":\"1\"}", false },
		{ "{\"matchLabels\":{\"a\":\"1\"},\"matchExpressions\":[{\"key\":\"b\",\"operator\":"
		  "\"Exists\"}]}", "{\"a\":\"1\",\"b\":\"x\"}", true },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(matches(cases[i].sel, cases[i].labels), cases[i].want,
			     "%s on %s should be %d", cases[i].sel, cases[i].labels, cases[i].want);
}

Test(selector, rejects_bad_selectors)
{
	static const char *const bad[] = {
		"[]",
		"{\"matchLabels\":[]}",
		"{\"matchLabels\":{\"a\":1}}",
		"{\"matchExpressions\":{}}",
		"{\"matchExpressions\":[{\"operator\":\"Exists\"}]}",
		"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Maybe\"}]}",
		"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\"}]}",
		"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[]}]}",
		"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\",\"values\":[\"x\"]}]}",
		"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[1]}]}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *o = cJSON_Parse(bad[i]);
		struct selector s;
		char why[128] = "";

		cr_expect_eq(selector_parse(o, "spec.podSelector", &s, why, sizeof(why)), -EINVAL,
			     "accepted %s", bad[i]);
		cr_expect(strstr(why, "spec.podSelector") != NULL, "why names the field: %s", why);
		cJSON_Delete(o);
	}
}

Test(labels, canonical_text_and_order)
{
	struct labels a = labels_of("{\"b\":\"2\",\"a\":\"1\"}"), b = labels_of("{\"a\":\"1\",\"b\":\"2\"}");
	char buf[64];

	cr_expect_eq(labels_cmp(&a, &b), 0, "order of keys does not matter");
	labels_str(&a, buf, sizeof(buf));
	cr_expect_str_eq(buf, "a=1,b=2", "sorted text");
	cr_expect_str_eq(labels_get(&a, "b"), "2", "get");
	cr_expect_null(labels_get(&a, "c"), "missing key");
	labels_free(&a);
	labels_free(&b);
}
