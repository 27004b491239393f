/* SPDX-License-Identifier: Apache-2.0 */
/*
 * YAML documents as JSON values, typed the way kubectl (sigs.k8s.io/yaml on
 * go-yaml v2, YAML 1.1) types them, so a manifest means the same to sluice
 * as to the API server:
 *
 * - plain scalars: "", ~, null, Null, NULL are null; true/false, yes/no,
 *   on/off, y/n (lower, Capitalised or UPPER case) are booleans; decimal,
 *   0x, 0o, 0b and leading-0 octal integers, with _ separators, and decimal
 *   floats are numbers; .inf and .nan are errors (JSON has no such number);
 *   anything else, timestamps included, is a string;
 * - quoted and block (| >) scalars are strings; so is any scalar tagged !!str,
 *   ! or with a tag outside the YAML core set; !!int, !!float, !!bool and
 *   !!null type the text as if it were plain and must agree with it;
 * - mapping keys are scalars, taken as written; a duplicate key is an error
 *   (kubectl's strict field validation rejects one too, and silently keeping
 *   either copy hides a mistake); a << key merges mappings as in go-yaml,
 *   keys written in the mapping itself taking precedence;
 * - aliases are copied out in full, within a budget of copied nodes per
 *   stream that defeats "billion laughs" inputs;
 * - numbers are doubles (cJSON): integers beyond 2^53 lose precision.
 */
#ifndef SLUICE_K8S_YAML_JSON_H
#define SLUICE_K8S_YAML_JSON_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* Room for a reason such as libyaml's longest message with its context. */
#define YAML_JSON_REASON_MAX 160

/* Nodes that aliases may copy out in one stream: about 20 MB of cJSON. */
#define YAML_JSON_MAX_ALIAS_NODES (1 << 18)

/* Nesting depth allowed: the same as cJSON allows for JSON text. */
#define YAML_JSON_MAX_DEPTH CJSON_NESTING_LIMIT

struct yaml_json_error {
	unsigned int line;	/* 1-based; 0 when the input gave no position */
	unsigned int column;	/* 1-based */
	char reason[YAML_JSON_REASON_MAX];
};

struct yaml_json_doc {
	cJSON *value;		/* an empty document is a JSON null */
	unsigned int line;	/* where its content starts, 1-based */
};

/*
 * Converts every document of the stream in buf (len bytes, no terminator
 * needed). Returns 0 with *docs and *n_docs set (no documents for an empty
 * stream), or -1 with err filled and nothing returned: a stream is taken
 * whole or not at all.
 */
int yaml_json_parse(const char *buf, size_t len, struct yaml_json_doc **docs,
		    size_t *n_docs, struct yaml_json_error *err);
/* Frees the documents and their values; a value set to NULL was taken. */
void yaml_json_free(struct yaml_json_doc *docs, size_t n_docs);

#endif
