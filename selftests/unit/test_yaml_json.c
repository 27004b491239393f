// SPDX-License-Identifier: Apache-2.0
/* YAML streams to JSON values, typed as kubectl types them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/yaml_json.h"

struct parsed {
	struct yaml_json_doc *docs;
	size_t n;
};

static struct parsed parse_ok(const char *yaml)
{
	struct yaml_json_error err;
	struct parsed p;

	cr_assert_eq(yaml_json_parse(yaml, strlen(yaml), &p.docs, &p.n, &err), 0,
		     "parse %s: line %u col %u: %s", yaml, err.line, err.column, err.reason);
	return p;
}

static struct yaml_json_error parse_bad(const char *yaml)
{
	struct yaml_json_doc *docs = NULL;
	struct yaml_json_error err;
	size_t n = 0;

	cr_assert_eq(yaml_json_parse(yaml, strlen(yaml), &docs, &n, &err), -1,
		     "parse of %s fails", yaml);
	cr_assert_null(docs, "no documents after an error");
	return err;
}

/* The one document of yaml, printed as compact JSON. */
static char *one_doc_json(const char *yaml)
{
	struct parsed p = parse_ok(yaml);
	char *s;

	cr_assert_eq(p.n, 1, "one document in %s", yaml);
	s = cJSON_PrintUnformatted(p.docs[0].value);
	yaml_json_free(p.docs, p.n);
	return s;
}

static void expect_json(const char *yaml, const char *json)
{
	char *got = one_doc_json(yaml);

	cr_expect_str_eq(got, json, "%s", yaml);
	free(got);
}

Test(yaml_json, plain_scalar_typing_table)
{
	static const struct {
		const char *yaml, *json;
	} rows[] = {
		{ "v:", "{\"v\":null}" },
		{ "v: ~", "{\"v\":null}" },
		{ "v: null", "{\"v\":null}" },
		{ "v: Null", "{\"v\":null}" },
		{ "v: NULL", "{\"v\":null}" },
		{ "v: nULL", "{\"v\":\"nULL\"}" },
		{ "v: true", "{\"v\":true}" },
		{ "v: True", "{\"v\":true}" },
		{ "v: TRUE", "{\"v\":true}" },
		{ "v: false", "{\"v\":false}" },
		{ "v: False", "{\"v\":false}" },
		{ "v: FALSE", "{\"v\":false}" },
		{ "v: tRUE", "{\"v\":\"tRUE\"}" },
		/* YAML 1.1 booleans, as kubectl reads them. */
		{ "v: yes", "{\"v\":true}" },
		{ "v: No", "{\"v\":false}" },
		{ "v: on", "{\"v\":true}" },
		{ "v: OFF", "{\"v\":false}" },
		{ "v: y", "{\"v\":true}" },
		{ "v: n", "{\"v\":false}" },
		{ "v: 0", "{\"v\":0}" },
		{ "v: 8080", "{\"v\":8080}" },
		{ "v: -17", "{\"v\":-17}" },
		{ "v: +17", "{\"v\":17}" },
		{ "v: 1_000", "{\"v\":1000}" },
		{ "v: 0x1F", "{\"v\":31}" },
		{ "v: 0o17", "{\"v\":15}" },
		{ "v: 0777", "{\"v\":511}" },
		{ "v: 0b101", "{\"v\":5}" },
		{ "v: 08", "{\"v\":8}" },
		{ "v: 1.5", "{\"v\":1.5}" },
		{ "v: -.5", "{\"v\":-0.5}" },
		{ "v: .5", "{\"v\":0.5}" },
		{ "v: 5.", "{\"v\":5}" },
		{ "v: 1e3", "{\"v\":1000}" },
		{ "v: 2.5E-1", "{\"v\":0.25}" },
		{ "v: 1e400", "{\"v\":\"1e400\"}" },
		{ "v: 0x", "{\"v\":\"0x\"}" },
		{ "v: 1.2.3", "{\"v\":\"1.2.3\"}" },
		{ "v: _1", "{\"v\":\"_1\"}" },
		{ "v: 10.0.0.1", "{\"v\":\"10.0.0.1\"}" },
		{ "v: 2001-12-14", "{\"v\":\"2001-12-14\"}" },
		{ "v: 80/TCP", "{\"v\":\"80/TCP\"}" },
		{ "v: -x", "{\"v\":\"-x\"}" },
		{ "v: web", "{\"v\":\"web\"}" },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		expect_json(rows[i].yaml, rows[i].json);
}

Test(yaml_json, quoted_block_and_tagged_scalars_are_strings)
{
	expect_json("a: \"true\"\nb: '123'\nc: '~'\nd: \"\"\ne: 'null'",
		    "{\"a\":\"true\",\"b\":\"123\",\"c\":\"~\",\"d\":\"\",\"e\":\"null\"}");
	expect_json("a: |\n  8080\nb: >-\n  yes", "{\"a\":\"8080\\n\",\"b\":\"yes\"}");
	expect_json("a: !!str 8080\nb: ! true\nc: !custom 1", "{\"a\":\"8080\",\"b\":\"true\",\"c\":\"1\"}");
	expect_json("a: !!int \"42\"\nb: !!bool yes", "{\"a\":42,\"b\":true}");
}

Test(yaml_json, tag_disagreeing_with_text_is_an_error)
{
	struct yaml_json_error err = parse_bad("a: 1\nb: !!int web\n");

	cr_expect_eq(err.line, 2, "line of the tagged scalar");
	cr_expect(strstr(err.reason, "!!int") != NULL, "reason names the tag: %s", err.reason);
}

Test(yaml_json, unrepresentable_scalars_are_errors)
{
	struct yaml_json_error err;

	err = parse_bad("a: 1\nb: .inf\n");
	cr_expect_eq(err.line, 2, ".inf: line");
	cr_expect(strstr(err.reason, ".inf") != NULL, ".inf: reason %s", err.reason);
	err = parse_bad("a: \"x\\0y\"\n");
	cr_expect_eq(err.line, 1, "NUL: line");
	cr_expect(strstr(err.reason, "NUL") != NULL, "NUL: reason %s", err.reason);
}

Test(yaml_json, nested_maps_and_sequences)
{
	expect_json("apiVersion: v1\n"
		    "kind: Service\n"
		    "metadata:\n"
		    "  name: web\n"
		    "  labels:\n"
		    "    app: web\n"
		    "spec:\n"
		    "  ports:\n"
		    "  - name: http\n"
		    "    port: 80\n"
		    "    targetPort: 8080\n"
		    "  - port: 443\n"
		    "  selector: {}\n"
		    "  empty: []\n",
		    "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\","
		    "\"labels\":{\"app\":\"web\"}},\"spec\":{\"ports\":[{\"name\":\"http\","
		    "\"port\":80,\"targetPort\":8080},{\"port\":443}],\"selector\":{},"
		    "\"empty\":[]}}");
	expect_json("- - 1\n  - [2, [3]]\n- {}", "[[1,[2,[3]]],{}]");
}

Test(yaml_json, flow_style)
{
	expect_json("{a: [1, two, {b: ~}], 'c': \"d\", e: [], f: {}}",
		    "{\"a\":[1,\"two\",{\"b\":null}],\"c\":\"d\",\"e\":[],\"f\":{}}");
	expect_json("{\"kind\":\"Pod\",\"spec\":{\"hostNetwork\":true,\"n\":[1.5,null]}}",
		    "{\"kind\":\"Pod\",\"spec\":{\"hostNetwork\":true,\"n\":[1.5,null]}}");
}

Test(yaml_json, multi_line_strings)
{
	expect_json("lit: |\n  line one\n  line two\n"
		    "fold: >\n  folded\n  text\n\n  para\n"
		    "strip: |-\n  no newline\n"
		    "plain: a plain\n  continued\n"
		    "dq: \"tab\\there\\u00e9 and\n  folded\"\n",
		    "{\"lit\":\"line one\\nline two\\n\",\"fold\":\"folded text\\npara\\n\","
		    "\"strip\":\"no newline\",\"plain\":\"a plain continued\","
		    "\"dq\":\"tab\\there\xc3\xa9 and folded\"}");
}

Test(yaml_json, anchors_and_aliases_are_copied)
{
	expect_json("base: &b {x: 1, y: [a, b]}\nport: &p 80\ncopy: *b\nagain: *p\nlist: [*p, *b]",
		    "{\"base\":{\"x\":1,\"y\":[\"a\",\"b\"]},\"port\":80,"
		    "\"copy\":{\"x\":1,\"y\":[\"a\",\"b\"]},\"again\":80,"
		    "\"list\":[80,{\"x\":1,\"y\":[\"a\",\"b\"]}]}");
	/* A later anchor of the same name wins for the aliases after it. */
	expect_json("- &a one\n- *a\n- &a two\n- *a", "[\"one\",\"one\",\"two\",\"two\"]");
	/* An anchored key is the string it spells. */
	expect_json("&k name: *k", "{\"name\":\"name\"}");
}

Test(yaml_json, merge_keys)
{
	expect_json("defaults: &d {a: 1, b: 2}\n"
		    "m:\n  <<: *d\n  b: 3\n",
		    "{\"defaults\":{\"a\":1,\"b\":2},\"m\":{\"b\":3,\"a\":1}}");
	/* Keys of the mapping win even when written before <<; earlier merges win. */
	expect_json("x: &x {a: 1}\ny: &y {a: 2, c: 4}\nm: {c: 5, <<: [*x, *y]}",
		    "{\"x\":{\"a\":1},\"y\":{\"a\":2,\"c\":4},\"m\":{\"c\":5,\"a\":1}}");
	/* A quoted << is an ordinary key. */
	expect_json("'<<': 1", "{\"<<\":1}");
}

Test(yaml_json, bad_merge_value_is_an_error)
{
	struct yaml_json_error err = parse_bad("a: 1\n<<: [1, 2]\n");

	cr_expect_eq(err.line, 2, "line of the << key");
	cr_expect(strstr(err.reason, "<<") != NULL, "reason: %s", err.reason);
}

Test(yaml_json, unknown_alias_is_an_error)
{
	struct yaml_json_error err = parse_bad("a: 1\nb:\n  c: *nope\n");

	cr_expect_eq(err.line, 3, "line of the alias");
	cr_expect_eq(err.column, 6, "column of the alias");
	cr_expect(strstr(err.reason, "nope") != NULL, "reason names it: %s", err.reason);
}

Test(yaml_json, alias_expansion_is_bounded, .timeout = 20)
{
	/* "Billion laughs": 10^9 strings if copied out in full. */
	struct yaml_json_error err = parse_bad(
		"a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
		"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		"f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
		"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
		"h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
		"i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n");

	cr_expect(strstr(err.reason, "aliases expand") != NULL, "reason: %s", err.reason);
	cr_expect_geq(err.line, 5, "stopped at a deep level, line %u", err.line);
}

Test(yaml_json, alias_budget_allows_ordinary_reuse)
{
	/* 2000 copies of a 21-node template, well inside the budget. */
	static const char head[] = "t: &t {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, "
				   "i: 9, j: 10, k: [1, 2, 3, 4, 5, 6, 7, 8, 9]}\nl:\n";
	size_t i, len = strlen(head);
	char *yaml = malloc(len + 2000 * 5 + 1);
	struct parsed p;

	cr_assert_not_null(yaml, "buffer");
	memcpy(yaml, head, len);
	for (i = 0; i < 2000; i++, len += 5)
		memcpy(yaml + len, "- *t\n", 5);
	yaml[len] = '\0';
	p = parse_ok(yaml);
	cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(p.docs[0].value, "l")), 2000,
		     "every copy made");
	yaml_json_free(p.docs, p.n);
	free(yaml);
}

Test(yaml_json, depth_is_bounded)
{
	size_t depth = YAML_JSON_MAX_DEPTH + 1;
	char *yaml = malloc(2 * depth + 1);
	struct yaml_json_doc *docs = NULL;
	struct yaml_json_error err;
	size_t n;

	cr_assert_not_null(yaml, "buffer");
	memset(yaml, '[', depth);
	memset(yaml + depth, ']', depth);
	yaml[2 * depth] = '\0';
	cr_expect_eq(yaml_json_parse(yaml, 2 * depth, &docs, &n, &err), -1, "too deep fails");
	cr_expect(strstr(err.reason, "nested") != NULL, "reason: %s", err.reason);
	yaml[depth - 1] = ' ';
	yaml[depth] = ' ';
	cr_expect_eq(yaml_json_parse(yaml, 2 * depth, &docs, &n, &err), 0,
		     "at the limit parses: %s", err.reason);
	yaml_json_free(docs, n);
	free(yaml);
}

Test(yaml_json, multi_document_stream)
{
	struct parsed p = parse_ok("a: 1\n---\nb: 2\n...\n---\n# third\nc: 3\n");

	cr_assert_eq(p.n, 3, "three documents");
	cr_expect_eq(p.docs[0].line, 1, "first starts at line 1");
	cr_expect_eq(p.docs[1].line, 3, "second starts after its ---");
	cr_expect_eq(p.docs[2].line, 7, "third starts after its --- and comment");
	cr_expect_eq(cJSON_GetObjectItem(p.docs[2].value, "c")->valueint, 3, "third's content");
	yaml_json_free(p.docs, p.n);
}

Test(yaml_json, anchors_do_not_cross_documents)
{
	struct yaml_json_error err = parse_bad("a: &x 1\n---\nb: *x\n");

	cr_expect_eq(err.line, 3, "alias line in the second document");
}

Test(yaml_json, empty_documents_and_streams)
{
	struct parsed p;

	p = parse_ok("");
	cr_expect_eq(p.n, 0, "empty stream: no documents");
	yaml_json_free(p.docs, p.n);
	p = parse_ok("# only a comment\n\n");
	cr_expect_eq(p.n, 0, "comment-only stream: no documents");
	yaml_json_free(p.docs, p.n);
	p = parse_ok("---\n---\n# nothing\n");
	cr_assert_eq(p.n, 2, "two empty documents");
	cr_expect(cJSON_IsNull(p.docs[0].value), "first is null");
	cr_expect(cJSON_IsNull(p.docs[1].value), "second is null");
	yaml_json_free(p.docs, p.n);
}

Test(yaml_json, duplicate_keys_are_errors)
{
	struct yaml_json_error err = parse_bad("metadata:\n  name: a\n  labels: {}\n  name: b\n");

	cr_expect_eq(err.line, 4, "line of the second name");
	cr_expect_eq(err.column, 3, "column of the second name");
	cr_expect(strstr(err.reason, "duplicate key name") != NULL, "reason: %s", err.reason);
}

Test(yaml_json, collection_keys_are_errors)
{
	struct yaml_json_error err = parse_bad("a: 1\n? [x]\n: 2\n");

	cr_expect_eq(err.line, 2, "line of the complex key");
	cr_expect(strstr(err.reason, "key") != NULL, "reason: %s", err.reason);
}

Test(yaml_json, malformed_yaml_reports_line_and_column)
{
	struct yaml_json_error err;

	err = parse_bad("a: 1\nb: [1, 2\nc: 3\n");
	cr_expect_eq(err.line, 3, "unclosed flow sequence: line");
	cr_expect_eq(err.column, 2, "unclosed flow sequence: column");
	cr_expect(strstr(err.reason, "flow sequence") != NULL, "reason: %s", err.reason);

	err = parse_bad("a:\n  - x\n - y\n");
	cr_expect_eq(err.line, 3, "bad indentation: line");
	cr_expect(strstr(err.reason, "block mapping at line 1") != NULL, "reason: %s",
		  err.reason);

	err = parse_bad("a: ok\nb: c: d\n");
	cr_expect_eq(err.line, 2, "mapping in a plain value: line");
	cr_expect_eq(err.column, 5, "mapping in a plain value: column");

	err = parse_bad("a: 1\nb: \"\xff\"\n");
	cr_expect_eq(err.line, 2, "bad UTF-8: line");
	cr_expect_eq(err.column, 5, "bad UTF-8: column");
	cr_expect(strstr(err.reason, "UTF-8") != NULL, "reason: %s", err.reason);
}

Test(yaml_json, error_after_good_documents_returns_nothing)
{
	struct yaml_json_error err = parse_bad("a: 1\n---\nb: [\n");

	cr_expect_eq(err.line, 4, "error in the second document: line %u", err.line);
}
