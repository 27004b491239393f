// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>
#include <cjson/cJSON.h>

#include "errors.h"
#include "lib/field.h"

int cni_fail(struct cni_error *e, int code, const char *msg, const char *fmt, ...)
{
	va_list ap;

	if (e->code)
		return e->code;
	e->code = code;
	copy_field(e->msg, sizeof(e->msg), msg);
	va_start(ap, fmt);
	vsnprintf(e->details, sizeof(e->details), fmt, ap);
	va_end(ap);
	return code;
}

char *cni_error_json(const struct cni_error *e, const char *version)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	cJSON_AddStringToObject(o, "cniVersion", version);
	cJSON_AddNumberToObject(o, "code", e->code);
	cJSON_AddStringToObject(o, "msg", e->msg);
	if (e->details[0])
		cJSON_AddStringToObject(o, "details", e->details);
	s = cJSON_Print(o);
	cJSON_Delete(o);
	return s;
}
