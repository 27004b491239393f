// SPDX-License-Identifier: Apache-2.0
/* Network configuration parsing: what is accepted, and what each bad input yields. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "cni/conf.h"

Test(cni_conf, minimal_config_gets_defaults)
{
	struct cni_conf c;
	struct cni_error e = { 0 };
	int ret = cni_conf_parse("{\"cniVersion\":\"1.0.0\",\"name\":\"podnet\",\"type\":\"sluice-cni\","
				 "\"ipam\":{\"type\":\"host-local\"}}", &c, &e);

	cr_assert_eq(ret, 0, "parse failed: %s", e.details);
	cr_expect_str_eq(c.version, "1.0.0", "cniVersion");
	cr_expect_str_eq(c.name, "podnet", "name");
	cr_expect_str_eq(c.bpffs, "/sys/fs/bpf/sluice", "bpffs default");
	cr_expect_eq(c.mtu, CNI_MTU_DEFAULT, "mtu default");
	cr_expect_not(c.mtu_set, "no mtu given: the agent's pod MTU may apply");
	cr_expect_str_eq(c.ipam_type, "host-local", "ipam.type");
	cr_expect_null(c.prev_result, "no prevResult");
	cni_conf_free(&c);
}

Test(cni_conf, full_config_fields)
{
	struct cni_conf c;
	struct cni_error e = { 0 };
	int ret = cni_conf_parse(
		"{\"cniVersion\":\"1.1.0\",\"name\":\"k8s-pod.net_1\",\"type\":\"sluice-cni\","
		"\"bpffs\":\"/sys/fs/bpf/node-a/\",\"mtu\":1450,\"args\":{\"x\":1},"
		"\"ipam\":{\"type\":\"host-local\",\"ranges\":[[{\"subnet\":\"10.244.1.0/24\"}]]},"
		"\"prevResult\":{\"ips\":[]},"
		"\"cni.dev/valid-attachments\":[{\"containerID\":\"a\",\"ifname\":\"eth0\"},"
		"{\"containerID\":\"b\",\"ifname\":\"net1\"}]}", &c, &e);

	cr_assert_eq(ret, 0, "parse failed: %s", e.details);
	cr_expect_str_eq(c.name, "k8s-pod.net_1", "name with '.', '-', '_'");
	cr_expect_str_eq(c.bpffs, "/sys/fs/bpf/node-a/", "bpffs kept as given");
	cr_expect_eq(c.mtu, 1450, "mtu");
	cr_expect(c.mtu_set, "mtu given: it beats the agent's pod MTU");
	cr_expect_not_null(c.prev_result, "prevResult");
	cr_assert_eq(c.n_valid, 2, "two valid attachments");
	cr_expect_str_eq(c.valid[1].container_id, "b", "second attachment id");
	cr_expect_str_eq(c.valid[1].ifname, "net1", "second attachment ifname");
	cni_conf_free(&c);
}

Test(cni_conf, accepts_every_supported_version)
{
	const char *versions[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0" };
	size_t i;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		char json[256];
		struct cni_conf c;
		struct cni_error e = { 0 };

		snprintf(json, sizeof(json),
			 "{\"cniVersion\":\"%s\",\"name\":\"n\",\"type\":\"sluice-cni\"}", versions[i]);
		cr_expect_eq(cni_conf_parse(json, &c, &e), 0, "version %s refused: %s", versions[i],
			     e.details);
		cni_conf_free(&c);
	}
}

/* Inline arrays, not pointers: Criterion runs each case in a fresh process. */
struct bad_conf {
	char json[160];
	int code;
	char details_has[24];	/* a piece of text the details must name */
};

ParameterizedTestParameters(cni_conf, rejects_bad_input)
{
	static struct bad_conf cases[] = {
		{ "", CNI_ERR_DECODE, "not valid JSON" },
		{ "{\"cniVersion\":", CNI_ERR_DECODE, "not valid JSON" },
		{ "[1,2]", CNI_ERR_DECODE, "JSON object" },
		{ "{\"name\":\"n\",\"type\":\"t\"}", CNI_ERR_INVALID_CONFIG, "cniVersion" },
		{ "{\"cniVersion\":3,\"name\":\"n\",\"type\":\"t\"}", CNI_ERR_INVALID_CONFIG, "cniVersion" },
		{ "{\"cniVersion\":\"2.0.0\",\"name\":\"n\",\"type\":\"t\"}",
		  CNI_ERR_INCOMPATIBLE_VERSION, "2.0.0" },
		{ "{\"cniVersion\":\"0.2.0\",\"name\":\"n\",\"type\":\"t\"}",
		  CNI_ERR_INCOMPATIBLE_VERSION, "0.2.0" },
		{ "{\"cniVersion\":\"1.0\",\"name\":\"n\",\"type\":\"t\"}",
		  CNI_ERR_INCOMPATIBLE_VERSION, "1.0" },
		{ "{\"cniVersion\":\"1.0.0\",\"type\":\"t\"}", CNI_ERR_INVALID_CONFIG, "name" },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"-bad\",\"type\":\"t\"}",
		  CNI_ERR_INVALID_CONFIG, "-bad" },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"a/b\",\"type\":\"t\"}",
		  CNI_ERR_INVALID_CONFIG, "a/b" },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}", CNI_ERR_INVALID_CONFIG, "type" },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\",\"bpffs\":\"rel/path\"}",
		  CNI_ERR_INVALID_CONFIG, "rel/path" },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\",\"bpffs\":7}",
		  CNI_ERR_INVALID_CONFIG, "bpffs" },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\",\"mtu\":67}",
		  CNI_ERR_INVALID_CONFIG, "mtu" },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\",\"mtu\":65536}",
		  CNI_ERR_INVALID_CONFIG, "mtu" },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\",\"mtu\":1500.5}",
		  CNI_ERR_INVALID_CONFIG, "mtu" },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\",\"mtu\":\"1500\"}",
		  CNI_ERR_INVALID_CONFIG, "mtu" },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\",\"ipam\":[]}",
		  CNI_ERR_INVALID_CONFIG, "ipam" },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\",\"ipam\":{}}",
		  CNI_ERR_INVALID_CONFIG, "ipam.type" },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\",\"ipam\":{\"type\":\"../x\"}}",
		  CNI_ERR_INVALID_CONFIG, "ipam.type" },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\",\"prevResult\":[]}",
		  CNI_ERR_INVALID_CONFIG, "prevResult" },
		{ "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"t\","
		  "\"cni.dev/valid-attachments\":{}}", CNI_ERR_INVALID_CONFIG, "valid-attachments" },
		{ "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"t\","
		  "\"cni.dev/valid-attachments\":[{\"containerID\":\"a\"}]}",
		  CNI_ERR_INVALID_CONFIG, "ifname" },
	};
	return cr_make_param_array(struct bad_conf, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_conf *bc, cni_conf, rejects_bad_input)
{
	struct cni_conf c;
	struct cni_error e = { 0 };
	int ret = cni_conf_parse(bc->json, &c, &e);

	cr_expect_eq(ret, bc->code, "input %s: code %d, want %d (%s)", bc->json, ret, bc->code,
		     e.details);
	cr_expect_eq(e.code, bc->code, "recorded code for %s", bc->json);
	cr_expect(strstr(e.details, bc->details_has) != NULL,
		  "details for %s should name '%s', got '%s'", bc->json, bc->details_has, e.details);
	cr_expect(e.msg[0] != '\0', "a short message for %s", bc->json);
	cni_conf_free(&c);
}

Test(cni_conf, version_for_errors)
{
	struct cni_conf c;
	struct cni_error e = { 0 };

	cni_conf_parse("{\"cniVersion\":\"0.4.0\",\"name\":\"n\"}", &c, &e);
	cr_expect_str_eq(cni_conf_version_or_latest(&c), "0.4.0",
			 "errors answer in the config's version once it is known");
	cni_conf_free(&c);
	cni_conf_parse("{\"cniVersion\":\"9.9.9\"}", &c, &e);
	cr_expect_str_eq(cni_conf_version_or_latest(&c), "1.1.0",
			 "an unsupported version is not echoed back");
	cni_conf_free(&c);
}
