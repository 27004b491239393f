// SPDX-License-Identifier: Apache-2.0
/*
 * Builds cJSON values from libyaml's event stream: a stack of open
 * collections, a table of anchors, and go-yaml v2's rules for typing plain
 * scalars (see yaml_json.h).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "k8s/yaml_json.h"

/* libyaml's spelling of the core tags (!!str, !!int, ...). */
#define CORE_TAG_PREFIX "tag:yaml.org,2002:"

struct anchor {
	char *name;
	cJSON *value;		/* a copy, owned */
	size_t nodes;		/* its size, charged to the budget per alias */
};

/* An open sequence or mapping. */
struct frame {
	cJSON *node;
	char *anchor;		/* registered when the collection ends */
	size_t nodes_at_start;
	char *key;		/* mapping: the key waiting for its value */
	bool merge;		/* that key is << */
	yaml_mark_t key_mark;
	cJSON *merges;		/* mapping: the values of its << keys */
};

struct builder {
	struct frame *stack;
	size_t depth, stack_cap;
	struct anchor *anchors;
	size_t n_anchors, anchors_cap;
	size_t nodes;		/* made in this document, alias copies included */
	size_t alias_nodes;	/* copied by aliases in this stream */
	cJSON *root;
	unsigned int doc_line;	/* where the document's first node starts */
	struct yaml_json_doc *docs;
	size_t n_docs, docs_cap;
	struct yaml_json_error *err;
};

static const char *const null_words[] = { "", "~", "null", "Null", "NULL" };
static const char *const true_words[] = {
	"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
};
static const char *const false_words[] = {
	"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
};
/* Numbers to YAML, but not to JSON: kubectl fails on them too. */
static const char *const not_json_words[] = {
	".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
	"-.inf", "-.Inf", "-.INF",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static bool in_words(const char *s, const char *const *words, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, words[i]))
			return true;
	return false;
}

static void set_error(struct yaml_json_error *err, size_t line0, size_t col0,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void set_error(struct yaml_json_error *err, size_t line0, size_t col0,
		      const char *fmt, ...)
{
	va_list ap;

	err->line = line0 + 1;
	err->column = col0 + 1;
	va_start(ap, fmt);
	vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
	va_end(ap);
}

#define fail(b, mark, ...) \
	(set_error((b)->err, (mark).line, (mark).column, __VA_ARGS__), -1)

/* Go's strconv.ParseInt/ParseUint with base 0, as go-yaml reads integers. */
static bool go_int(const char *s, double *d)
{
	static const char *const digit_sets[] = {
		[2] = "01", [8] = "01234567", [10] = "0123456789",
		[16] = "0123456789abcdefABCDEF",
	};
	unsigned long long v;
	bool neg = false;
	int base = 10;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (s[0] == '0' && s[1]) {
		switch (s[1]) {
		case 'x':
		case 'X':
			base = 16;
			s += 2;
			break;
		case 'o':
		case 'O':
			base = 8;
			s += 2;
			break;
		case 'b':
		case 'B':
			base = 2;
			s += 2;
			break;
		default:	/* YAML 1.1 octal: 0777 */
			base = 8;
			s += 1;
		}
	}
	if (!*s || s[strspn(s, digit_sets[base])])
		return false;
	errno = 0;
	v = strtoull(s, NULL, base);
	/* Beyond int64 below zero, or uint64 above it, Go fails too. */
	if (errno == ERANGE || (neg && v > 1ULL << 63))
		return false;
	*d = neg ? -(double)v : (double)v;
	return true;
}

/* go-yaml's float syntax: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool yaml_float(const char *s, double *d)
{
	static const char digits[] = "0123456789";
	const char *p = s;
	size_t int_digits, frac_digits = 0;
	bool dot = false;
	double v;

	if (*p == '+' || *p == '-')
		p++;
	int_digits = strspn(p, digits);
	p += int_digits;
	if (*p == '.') {
		dot = true;
		frac_digits = strspn(++p, digits);
		p += frac_digits;
	}
	if (!int_digits && (!dot || !frac_digits))
		return false;
	if (*p == 'e' || *p == 'E') {
		size_t n;

		if (*++p == '+' || *p == '-')
			p++;
		n = strspn(p, digits);
		if (!n)
			return false;
		p += n;
	}
	if (*p)
		return false;
	errno = 0;
	v = strtod(s, NULL);
	/* Go reports overflow as an error, and go-yaml then keeps the string. */
	if (errno == ERANGE && isinf(v))
		return false;
	*d = v;
	return true;
}

/* A plain scalar as a number, if go-yaml reads it as one. */
static int plain_number(const char *s, bool *is_number, double *d)
{
	char *plain, *w;
	const char *r;

	*is_number = false;
	/* go-yaml tries numbers only on these first characters. */
	if (*s == '.') {
		*is_number = yaml_float(s, d);
		return 0;
	}
	if (!*s || !strchr("+-0123456789", *s))
		return 0;
	/* Then without the _ separators. */
	plain = malloc(strlen(s) + 1);
	if (!plain)
		return -1;
	for (r = s, w = plain; *r; r++)
		if (*r != '_')
			*w++ = *r;
	*w = '\0';
	*is_number = go_int(plain, d) || yaml_float(plain, d);
	free(plain);
	return 0;
}

static int plain_value(struct builder *b, const char *s, yaml_mark_t mark, cJSON **out)
{
	bool is_number;
	double d;

	if (in_words(s, null_words, ARRAY_SIZE(null_words)))
		*out = cJSON_CreateNull();
	else if (in_words(s, true_words, ARRAY_SIZE(true_words)))
		*out = cJSON_CreateTrue();
	else if (in_words(s, false_words, ARRAY_SIZE(false_words)))
		*out = cJSON_CreateFalse();
	else if (in_words(s, not_json_words, ARRAY_SIZE(not_json_words)))
		return fail(b, mark, "%s is a number JSON cannot hold", s);
	else if (plain_number(s, &is_number, &d))
		*out = NULL;
	else
		*out = is_number ? cJSON_CreateNumber(d) : cJSON_CreateString(s);
	return *out ? 0 : fail(b, mark, "out of memory");
}

/* The cJSON types a tag asks for: cJSON_String for !, !!str and foreign tags. */
static int tag_types(const char *tag)
{
	static const struct {
		const char *name;
		int types;
	} core[] = {
		{ "int", cJSON_Number },
		{ "float", cJSON_Number },
		{ "bool", cJSON_True | cJSON_False },
		{ "null", cJSON_NULL },
	};
	size_t i, n = strlen(CORE_TAG_PREFIX);

	if (!strncmp(tag, CORE_TAG_PREFIX, n))
		for (i = 0; i < ARRAY_SIZE(core); i++)
			if (!strcmp(tag + n, core[i].name))
				return core[i].types;
	return cJSON_String;
}

static int scalar_value(struct builder *b, const yaml_event_t *ev, cJSON **out)
{
	const char *text = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	int want = tag ? tag_types(tag) : 0;

	if (want == cJSON_String ||
	    (!tag && ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)) {
		*out = cJSON_CreateString(text);
		return *out ? 0 : fail(b, ev->start_mark, "out of memory");
	}
	if (plain_value(b, text, ev->start_mark, out))
		return -1;
	if (want && !((*out)->type & want)) {
		cJSON_Delete(*out);
		return fail(b, ev->start_mark, "%s is not a !!%s", text,
			    tag + strlen(CORE_TAG_PREFIX));
	}
	return 0;
}

static struct frame *top(struct builder *b)
{
	return b->depth ? &b->stack[b->depth - 1] : NULL;
}

static bool wants_key(const struct frame *f)
{
	return f && cJSON_IsObject(f->node) && !f->key;
}

/* Anchors are redefinable: the latest definition of a name wins. */
static const struct anchor *find_anchor(const struct builder *b, const char *name)
{
	size_t i;

	for (i = b->n_anchors; i--;)
		if (!strcmp(b->anchors[i].name, name))
			return &b->anchors[i];
	return NULL;
}

static int add_anchor(struct builder *b, const char *name, const cJSON *v,
		      size_t nodes, yaml_mark_t mark)
{
	struct anchor *a;

	if (b->n_anchors == b->anchors_cap) {
		size_t cap = b->anchors_cap ? 2 * b->anchors_cap : 8;

		a = reallocarray(b->anchors, cap, sizeof(*a));
		if (!a)
			return fail(b, mark, "out of memory");
		b->anchors = a;
		b->anchors_cap = cap;
	}
	a = &b->anchors[b->n_anchors];
	a->name = strdup(name);
	a->value = cJSON_Duplicate(v, true);
	a->nodes = nodes;
	if (!a->name || !a->value) {
		free(a->name);
		cJSON_Delete(a->value);
		return fail(b, mark, "out of memory");
	}
	b->n_anchors++;
	return 0;
}

static void clear_anchors(struct builder *b)
{
	while (b->n_anchors) {
		b->n_anchors--;
		free(b->anchors[b->n_anchors].name);
		cJSON_Delete(b->anchors[b->n_anchors].value);
	}
}

/* The value of a << key: a mapping, or a sequence of them, merged at the end. */
static int add_merge(struct builder *b, struct frame *f, cJSON *v)
{
	cJSON *m;

	if (!f->merges && !(f->merges = cJSON_CreateArray())) {
		cJSON_Delete(v);
		return fail(b, f->key_mark, "out of memory");
	}
	if (cJSON_IsObject(v)) {
		cJSON_AddItemToArray(f->merges, v);
		return 0;
	}
	if (cJSON_IsArray(v)) {
		while ((m = v->child) && cJSON_IsObject(m))
			cJSON_AddItemToArray(f->merges, cJSON_DetachItemViaPointer(v, m));
		if (!m) {
			cJSON_Delete(v);
			return 0;
		}
	}
	cJSON_Delete(v);
	return fail(b, f->key_mark, "<< needs a mapping or a sequence of mappings");
}

/* Keys the mapping does not set itself come from its << values, earlier first. */
static int apply_merges(struct builder *b, struct frame *f, yaml_mark_t mark)
{
	cJSON *src, *item, *next;

	cJSON_ArrayForEach(src, f->merges) {
		for (item = src->child; item; item = next) {
			next = item->next;
			if (cJSON_GetObjectItemCaseSensitive(f->node, item->string))
				continue;
			cJSON_DetachItemViaPointer(src, item);
			if (!cJSON_AddItemToObject(f->node, item->string, item)) {
				cJSON_Delete(item);
				return fail(b, mark, "out of memory");
			}
		}
	}
	return 0;
}

/*
 * A finished value (nodes in size) goes to its anchor, then to its parent:
 * the document root, a sequence, a mapping key or a mapping value.
 */
static int place(struct builder *b, cJSON *v, const char *anchor, size_t nodes,
		 yaml_mark_t mark)
{
	struct frame *f = top(b);

	if (anchor && add_anchor(b, anchor, v, nodes, mark)) {
		cJSON_Delete(v);
		return -1;
	}
	if (!f) {
		b->root = v;
		return 0;
	}
	if (cJSON_IsArray(f->node)) {
		cJSON_AddItemToArray(f->node, v);
		return 0;
	}
	if (!f->key) {
		/* Scalars are taken as keys before they get here: this is an alias. */
		if (!cJSON_IsString(v)) {
			cJSON_Delete(v);
			return fail(b, mark, "a mapping key must be a string");
		}
		f->key = strdup(v->valuestring);
		f->merge = false;
		f->key_mark = mark;
		cJSON_Delete(v);
		return f->key ? 0 : fail(b, mark, "out of memory");
	}
	if (f->merge) {
		if (add_merge(b, f, v))
			return -1;
	} else if (cJSON_GetObjectItemCaseSensitive(f->node, f->key)) {
		cJSON_Delete(v);
		return fail(b, f->key_mark, "duplicate key %s", f->key);
	} else if (!cJSON_AddItemToObject(f->node, f->key, v)) {
		cJSON_Delete(v);
		return fail(b, mark, "out of memory");
	}
	free(f->key);
	f->key = NULL;
	return 0;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
	const char *text = (const char *)ev->data.scalar.value;
	const char *anchor = (const char *)ev->data.scalar.anchor;
	struct frame *f = top(b);
	cJSON *v;

	/* cJSON strings end at the first NUL: refuse rather than cut. */
	if (memchr(text, '\0', ev->data.scalar.length))
		return fail(b, ev->start_mark, "a string holds a NUL character");
	if (!wants_key(f)) {
		if (scalar_value(b, ev, &v))
			return -1;
		b->nodes++;
		return place(b, v, anchor, 1, ev->start_mark);
	}
	/* Keys are strings as written; only a plain << is a merge. */
	f->key = strdup(text);
	f->merge = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		   !ev->data.scalar.tag && !strcmp(text, "<<");
	f->key_mark = ev->start_mark;
	if (!f->key)
		return fail(b, ev->start_mark, "out of memory");
	if (!anchor)
		return 0;
	v = cJSON_CreateString(text);
	if (!v)
		return fail(b, ev->start_mark, "out of memory");
	if (add_anchor(b, anchor, v, 1, ev->start_mark)) {
		cJSON_Delete(v);
		return -1;
	}
	cJSON_Delete(v);
	return 0;
}

static int on_alias(struct builder *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	const struct anchor *a = find_anchor(b, name);
	cJSON *v;

	if (!a)
		return fail(b, ev->start_mark, "unknown alias *%s", name);
	if (a->nodes > YAML_JSON_MAX_ALIAS_NODES - b->alias_nodes)
		return fail(b, ev->start_mark,
			    "aliases expand to more than %d nodes (at *%s)",
			    YAML_JSON_MAX_ALIAS_NODES, name);
	b->alias_nodes += a->nodes;
	b->nodes += a->nodes;
	v = cJSON_Duplicate(a->value, true);
	if (!v)
		return fail(b, ev->start_mark, "out of memory");
	return place(b, v, NULL, a->nodes, ev->start_mark);
}

static int on_start(struct builder *b, const yaml_event_t *ev, bool mapping)
{
	const char *anchor = (const char *)(mapping ? ev->data.mapping_start.anchor :
						       ev->data.sequence_start.anchor);
	struct frame *f;

	if (wants_key(top(b)))
		return fail(b, ev->start_mark, "a mapping key must be a string");
	if (b->depth == YAML_JSON_MAX_DEPTH)
		return fail(b, ev->start_mark, "nested more than %d deep", YAML_JSON_MAX_DEPTH);
	if (b->depth == b->stack_cap) {
		size_t cap = b->stack_cap ? 2 * b->stack_cap : 16;

		f = reallocarray(b->stack, cap, sizeof(*f));
		if (!f)
			return fail(b, ev->start_mark, "out of memory");
		b->stack = f;
		b->stack_cap = cap;
	}
	f = &b->stack[b->depth];
	memset(f, 0, sizeof(*f));
	f->node = mapping ? cJSON_CreateObject() : cJSON_CreateArray();
	f->anchor = anchor ? strdup(anchor) : NULL;
	f->nodes_at_start = b->nodes++;
	if (!f->node || (anchor && !f->anchor)) {
		cJSON_Delete(f->node);
		free(f->anchor);
		return fail(b, ev->start_mark, "out of memory");
	}
	b->depth++;
	return 0;
}

static void free_frame(struct frame *f)
{
	cJSON_Delete(f->node);
	cJSON_Delete(f->merges);
	free(f->anchor);
	free(f->key);
}

static int on_end(struct builder *b, const yaml_event_t *ev)
{
	struct frame f = b->stack[--b->depth];
	int ret = 0;

	if (f.merges)
		ret = apply_merges(b, &f, ev->start_mark);
	if (!ret)
		ret = place(b, f.node, f.anchor, b->nodes - f.nodes_at_start, ev->start_mark);
	else
		cJSON_Delete(f.node);
	f.node = NULL;
	free_frame(&f);
	return ret;
}

static int on_document_end(struct builder *b, const yaml_event_t *ev)
{
	cJSON *v = b->root ? b->root : cJSON_CreateNull();

	b->root = NULL;
	/* Anchors do not reach across documents. */
	clear_anchors(b);
	if (!v)
		return fail(b, ev->start_mark, "out of memory");
	if (b->n_docs == b->docs_cap) {
		size_t cap = b->docs_cap ? 2 * b->docs_cap : 4;
		struct yaml_json_doc *d = reallocarray(b->docs, cap, sizeof(*d));

		if (!d) {
			cJSON_Delete(v);
			return fail(b, ev->start_mark, "out of memory");
		}
		b->docs = d;
		b->docs_cap = cap;
	}
	b->docs[b->n_docs].value = v;
	b->docs[b->n_docs].line = b->doc_line;
	b->n_docs++;
	return 0;
}

static int on_event(struct builder *b, const yaml_event_t *ev)
{
	/* A document is where its first node is, not its "---". */
	if (!b->doc_line && ev->type != YAML_DOCUMENT_START_EVENT)
		b->doc_line = ev->start_mark.line + 1;
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		b->doc_line = 0;
		b->nodes = 0;
		return 0;
	case YAML_DOCUMENT_END_EVENT:
		return on_document_end(b, ev);
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_ALIAS_EVENT:
		return on_alias(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(b, ev, false);
	case YAML_MAPPING_START_EVENT:
		return on_start(b, ev, true);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_end(b, ev);
	default:
		return 0;
	}
}

/* libyaml's own errors: a position, a problem and what it was parsing. */
static void parser_error(const yaml_parser_t *p, const char *buf, size_t len,
			 struct yaml_json_error *err)
{
	size_t line = 0, col = 0, i;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		snprintf(err->reason, sizeof(err->reason), "out of memory");
		return;
	case YAML_READER_ERROR:
		/* Encoding errors carry a byte offset, not a mark. */
		for (i = 0; i < p->problem_offset && i < len; i++) {
			if (buf[i] == '\n') {
				line++;
				col = 0;
			} else {
				col++;
			}
		}
		set_error(err, line, col, "%s", p->problem);
		return;
	default:
		if (p->context)
			set_error(err, p->problem_mark.line, p->problem_mark.column,
				  "%s %s at line %zu", p->problem, p->context,
				  p->context_mark.line + 1);
		else
			set_error(err, p->problem_mark.line, p->problem_mark.column,
				  "%s", p->problem);
	}
}

static void builder_free(struct builder *b)
{
	while (b->depth)
		free_frame(&b->stack[--b->depth]);
	free(b->stack);
	clear_anchors(b);
	free(b->anchors);
	cJSON_Delete(b->root);
}

void yaml_json_free(struct yaml_json_doc *docs, size_t n_docs)
{
	size_t i;

	for (i = 0; i < n_docs; i++)
		cJSON_Delete(docs[i].value);
	free(docs);
}

int yaml_json_parse(const char *buf, size_t len, struct yaml_json_doc **docs,
		    size_t *n_docs, struct yaml_json_error *err)
{
	struct builder b = { .err = err };
	yaml_parser_t parser;
	yaml_event_t ev;
	bool done = false;
	int ret = 0;

	memset(err, 0, sizeof(*err));
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err->reason, sizeof(err->reason), "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	/* libyaml ends every stream with STREAM-END or an error. */
	while (!done && !ret) {
		if (!yaml_parser_parse(&parser, &ev)) {
			parser_error(&parser, buf, len, err);
			ret = -1;
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		ret = on_event(&b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	builder_free(&b);
	if (ret) {
		yaml_json_free(b.docs, b.n_docs);
		return -1;
	}
	*docs = b.docs;
	*n_docs = b.n_docs;
	return 0;
}
