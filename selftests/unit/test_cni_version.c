// SPDX-License-Identifier: Apache-2.0
/* Spec versions: comparing, and agreeing on one with an IPAM plugin. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "cni/plugin.h"
#include "cni/version.h"

Test(cni_version, parse_and_compare)
{
	unsigned int v[3];

	cr_expect(cni_version_parse("1.10.2", v) && v[1] == 10, "1.10.2");
	cr_expect(!cni_version_parse("1.0", v), "two parts");
	cr_expect(!cni_version_parse("1.0.0-rc1", v), "suffix");
	cr_expect(!cni_version_parse(" 1.0.0", v), "leading space");
	cr_expect(!cni_version_parse("1.-1.0", v), "sign");
	cr_expect(!cni_version_parse(NULL, v), "NULL");
	cr_expect_lt(cni_version_cmp("0.4.0", "1.0.0"), 0, "0.4.0 < 1.0.0");
	cr_expect_gt(cni_version_cmp("1.10.0", "1.9.0"), 0, "numeric, not text, order");
	cr_expect_eq(cni_version_cmp("1.1.0", "1.1.0"), 0, "equal");
	cr_expect(cni_version_is_0x("0.3.1") && !cni_version_is_0x("1.0.0"), "0.x shape");
}

Test(cni_version, common_version_with_ipam)
{
	/* Debian's host-local (containernetworking-plugins 1.1.1) answers exactly this. */
	const char *host_local[] = { "0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0" };
	const char *future[] = { "1.1.0", "2.0.0" };
	const char *ancient[] = { "0.1.0", "0.2.0" };

	cr_expect_str_eq(cni_version_common(host_local, 6, "1.1.0"), "1.0.0",
			 "1.1.0 config talks 1.0.0 to host-local");
	cr_expect_str_eq(cni_version_common(host_local, 6, "0.4.0"), "0.4.0",
			 "never newer than the config");
	cr_expect_str_eq(cni_version_common(future, 2, "1.1.0"), "1.1.0", "newest shared");
	cr_expect_null(cni_version_common(ancient, 2, "1.1.0"), "nothing shared");
	cr_expect_null(cni_version_common(host_local, 0, "1.1.0"), "empty list");
}

Test(cni_version, version_command_answer)
{
	char *s = cni_version_json("{\"cniVersion\":\"1.0.0\"}");
	cJSON *o = cJSON_Parse(s), *list = cJSON_GetObjectItem(o, "supportedVersions");

	cr_assert_not_null(o, "VERSION prints JSON");
	cr_expect_str_eq(cJSON_GetObjectItem(o, "cniVersion")->valuestring, "1.0.0",
			 "echoes the caller's version");
	cr_expect_eq(cJSON_GetArraySize(list), 5, "0.3.0 to 1.1.0");
	cr_expect_str_eq(cJSON_GetArrayItem(list, 4)->valuestring, "1.1.0", "newest last");
	cJSON_Delete(o);
	free(s);
	s = cni_version_json("not json at all");
	o = cJSON_Parse(s);
	cr_expect_str_eq(cJSON_GetObjectItem(o, "cniVersion")->valuestring, "1.1.0",
			 "garbage input still gets an answer");
	cJSON_Delete(o);
	free(s);
}
