// SPDX-License-Identifier: Apache-2.0
/* CNI error results. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cni/errors.h"
#include <cjson/cJSON.h>

Test(cni_errors, first_error_wins)
{
	struct cni_error e = { 0 };

	cr_expect_eq(cni_fail(&e, CNI_ERR_IPAM, "root cause", "ipam %d", 1), CNI_ERR_IPAM, "code");
	cr_expect_eq(cni_fail(&e, CNI_ERR_SYSTEM, "consequence", "later"), CNI_ERR_IPAM,
		     "a later failure keeps the first code");
	cr_expect_str_eq(e.msg, "root cause", "msg");
	cr_expect_str_eq(e.details, "ipam 1", "details");
}

Test(cni_errors, json_shape)
{
	struct cni_error e = { 0 };
	char *s;
	cJSON *o;

	cni_fail(&e, CNI_ERR_TRY_AGAIN, "sluice datapath is not loaded", "start the agent");
	s = cni_error_json(&e, "1.0.0");
	o = cJSON_Parse(s);
	cr_assert_not_null(o, "error is JSON: %s", s);
	cr_expect_str_eq(cJSON_GetObjectItem(o, "cniVersion")->valuestring, "1.0.0", "cniVersion");
	cr_expect_eq(cJSON_GetObjectItem(o, "code")->valueint, 11, "code 11: try again later");
	cr_expect_str_eq(cJSON_GetObjectItem(o, "msg")->valuestring, "sluice datapath is not loaded",
			 "msg");
	cr_expect_str_eq(cJSON_GetObjectItem(o, "details")->valuestring, "start the agent",
			 "details");
	cJSON_Delete(o);
	free(s);
}

Test(cni_errors, long_text_is_cut_not_overrun)
{
	struct cni_error e = { 0 };
	char big[CNI_DETAILS_LEN * 2];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cni_fail(&e, CNI_ERR_IO, big, "%s", big);
	cr_expect_eq(strlen(e.msg), CNI_MSG_LEN - 1, "msg cut to its field");
	cr_expect_eq(strlen(e.details), CNI_DETAILS_LEN - 1, "details cut to its field");
}
