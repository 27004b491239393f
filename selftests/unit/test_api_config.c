// SPDX-License-Identifier: Apache-2.0
/* kubeconfig and in-cluster configuration: what is read, and errors naming the field. */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "k8s/api_config.h"

/* Open files in nftw's walk of the test directory. */
#define NFTW_FDS 8

/* PEM text and its base64, as kubectl writes *-data fields. */
#define CA_PEM "-----BEGIN CERTIFICATE-----\nZmFrZSBjYQ==\n-----END CERTIFICATE-----\n"
#define CA_B64 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tClptRnJaU0JqWVE9PQotLS0tLUVO" \
	"RCBDRVJUSUZJQ0FURS0tLS0tCg=="
#define CERT_PEM "-----BEGIN CERTIFICATE-----\nZmFrZSBjZXJ0\n-----END CERTIFICATE-----\n"
#define CERT_B64 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tClptRnJaU0JqWlhKMAotLS0tLUVO" \
	"RCBDRVJUSUZJQ0FURS0tLS0tCg=="
#define KEY_PEM "-----BEGIN PRIVATE KEY-----\nczNjcjN0LWtleQ==\n-----END PRIVATE KEY-----\n"
#define KEY_B64 "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCmN6Tmpjak4wTFd0bGVRPT0KLS0tLS1F" \
	"TkQgUFJJVkFURSBLRVktLS0tLQo="
#define NOT_PEM_B64 "bm90IHBlbSBhdCBhbGw="
/* A credential that must never appear in an error. */
#define TOKEN "s3cr3t-t0ken"

/* A kubeconfig with one context "c" on cluster "k" and user "u". */
#define KUBECONFIG(cluster, user)							\
	"apiVersion: v1\nkind: Config\ncurrent-context: c\n"				\
	"contexts:\n- name: c\n  context: {cluster: k, user: u, namespace: kube-system}\n" \
	"clusters:\n- name: k\n  cluster:\n" cluster					\
	"users:\n- name: u\n  user:\n" user

static char dir[] = "/tmp/sluice-apiconfig-XXXXXX";
static char path[sizeof(dir) + 32];
static struct api_config cfg;

static void setup(void)
{
	cr_assert_not_null(mkdtemp(dir), "make the test directory");
	snprintf(path, sizeof(path), "%s/kubeconfig", dir);
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static void teardown(void)
{
	api_config_free(&cfg);
	nftw(dir, rm_entry, NFTW_FDS, FTW_DEPTH | FTW_PHYS);
}

TestSuite(api_config, .init = setup, .fini = teardown);
TestSuite(api_in_cluster, .init = setup, .fini = teardown);

static void write_file(const char *name, const char *text)
{
	char p[sizeof(dir) + 64];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	cr_assert_not_null(f, "create %s", p);
	fputs(text, f);
	fclose(f);
}

static void load_ok(const char *yaml)
{
	char why[API_WHY_LEN];

	write_file("kubeconfig", yaml);
	cr_assert_eq(api_config_kubeconfig(&cfg, path, why, sizeof(why)), 0, "load: %s", why);
}

static void load_bad(const char *yaml, const char *want)
{
	char why[API_WHY_LEN] = "";

	write_file("kubeconfig", yaml);
	cr_assert_eq(api_config_kubeconfig(&cfg, path, why, sizeof(why)), -1,
		     "refused:\n%s", yaml);
	cr_assert(strstr(why, want), "'%s' says '%s'", why, want);
	cr_assert(strstr(why, path), "'%s' names the file", why);
	cr_assert_null(strstr(why, TOKEN), "'%s' shows no credential", why);
	cr_assert_null(strstr(why, "czNjcjN0"), "'%s' shows no key", why);
	cr_assert_null(cfg.server, "nothing kept");
}

static void assert_blob(const struct api_blob *b, const char *want, const char *what)
{
	cr_assert_eq(b->len, strlen(want), "%s: length", what);
	cr_assert_eq(memcmp(b->data, want, b->len), 0, "%s: bytes", what);
}

static char *token_now(void)
{
	char why[API_WHY_LEN], *token;

	cr_assert_eq(api_config_token(&cfg, &token, why, sizeof(why)), 0, "token: %s", why);
	return token;
}

Test(api_config, token_and_ca_data)
{
	char *token;

	load_ok(KUBECONFIG("    server: https://10.0.0.1:6443/\n"
			   "    certificate-authority-data: " CA_B64 "\n",
			   "    token: " TOKEN "\n"));
	cr_assert_str_eq(cfg.server, "https://10.0.0.1:6443", "server without its trailing /");
	assert_blob(&cfg.ca_pem, CA_PEM, "CA");
	cr_assert_null(cfg.ca_file, "no CA file");
	cr_assert_not(cfg.insecure, "the server is checked");
	cr_assert_null(cfg.cert_file, "no client certificate");
	token = token_now();
	cr_assert_str_eq(token, TOKEN, "the token");
	api_config_free_token(token);
	cr_assert(strstr(cfg.origin, "(context c)"), "origin names the context: %s", cfg.origin);
	cr_assert_null(strstr(cfg.origin, TOKEN), "origin shows no credential");
}

Test(api_config, files_relative_to_the_kubeconfig)
{
	char want[sizeof(dir) + 32], *token;

	write_file("tok", "  " TOKEN "\n\n");
	load_ok(KUBECONFIG("    server: https://api.example:6443\n"
			   "    certificate-authority: ca.crt\n",
			   "    tokenFile: tok\n"
			   "    client-certificate: /etc/sluice/client.crt\n"
			   "    client-key: keys/client.key\n"));
	snprintf(want, sizeof(want), "%s/ca.crt", dir);
	cr_assert_str_eq(cfg.ca_file, want, "CA file beside the kubeconfig");
	snprintf(want, sizeof(want), "%s/keys/client.key", dir);
	cr_assert_str_eq(cfg.key_file, want, "key file beside the kubeconfig");
	cr_assert_str_eq(cfg.cert_file, "/etc/sluice/client.crt", "absolute names stay");
	cr_assert_null(cfg.token, "the token is read per request");
	token = token_now();
	cr_assert_str_eq(token, TOKEN, "whitespace around the token is dropped");
	api_config_free_token(token);
	/* Tokens rotate: the next request reads the file again. */
	write_file("tok", "rotated\n");
	token = token_now();
	cr_assert_str_eq(token, "rotated", "the new token");
	api_config_free_token(token);
}

Test(api_config, client_certificate_data)
{
	char *token;

	load_ok(KUBECONFIG("    server: https://10.0.0.1:6443\n"
			   "    insecure-skip-tls-verify: true\n",
			   "    client-certificate-data: " CERT_B64 "\n"
			   "    client-key-data: " KEY_B64 "\n"));
	assert_blob(&cfg.cert_pem, CERT_PEM, "certificate");
	assert_blob(&cfg.key_pem, KEY_PEM, "key");
	cr_assert(cfg.insecure, "insecure-skip-tls-verify");
	token = token_now();
	cr_assert_null(token, "no token");
}

Test(api_config, data_wins_over_files_and_token_over_token_file)
{
	load_ok(KUBECONFIG("    server: https://10.0.0.1:6443\n"
			   "    certificate-authority: ca.crt\n"
			   "    certificate-authority-data: " CA_B64 "\n",
			   "    token: " TOKEN "\n"
			   "    tokenFile: /nonexistent\n"
			   "    client-certificate: c.crt\n"
			   "    client-certificate-data: " CERT_B64 "\n"
			   "    client-key: c.key\n"
			   "    client-key-data: " KEY_B64 "\n"));
	cr_assert_null(cfg.ca_file, "the CA data wins");
	cr_assert_null(cfg.cert_file, "the certificate data wins");
	cr_assert_null(cfg.key_file, "the key data wins");
	cr_assert_null(cfg.token_file, "the token wins");
	cr_assert_str_eq(cfg.token, TOKEN, "the token");
}

Test(api_config, base64_with_line_breaks)
{
	load_ok(KUBECONFIG("    server: https://10.0.0.1:6443\n"
			   "    certificate-authority-data: |\n"
			   "      LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tClptRnJaU0JqWVE9PQotLS0tLUVO\n"
			   "      RCBDRVJUSUZJQ0FURS0tLS0tCg==\n", "    {}\n"));
	assert_blob(&cfg.ca_pem, CA_PEM, "CA");
}

Test(api_config, errors_name_the_field)
{
	static const struct {
		const char *yaml;
		const char *why;
	} bad[] = {
		{ "clusters: []\n", "current-context is not set" },
		{ "current-context: nope\ncontexts: []\n",
		  "current-context names \"nope\", which is not in contexts" },
		{ "current-context: c\ncontexts:\n- name: c\n  context: {user: u}\n",
		  "contexts[\"c\"].context.cluster is missing" },
		{ "current-context: c\ncontexts:\n- name: c\n  context: [k]\n",
		  "contexts[\"c\"].context must be an object" },
		{ "current-context: c\ncontexts:\n- name: c\n  context: {cluster: gone}\n",
		  "the current context names \"gone\", which is not in clusters" },
		{ "current-context: c\ncontexts: {c: 1}\n", "contexts must be a list" },
		{ KUBECONFIG("    certificate-authority: ca.crt\n", "    token: " TOKEN "\n"),
		  "clusters[\"k\"].cluster.server is missing" },
		{ KUBECONFIG("    server: ftp://10.0.0.1\n", "    token: " TOKEN "\n"),
		  "clusters[\"k\"].cluster.server must start with https:// or http://" },
		{ KUBECONFIG("    server: https://admin:" TOKEN "@10.0.0.1/k8s\n", "    {}\n"),
		  "clusters[\"k\"].cluster.server must not hold a user or password" },
		{ KUBECONFIG("    server: [https://10.0.0.1]\n", "    token: " TOKEN "\n"),
		  "clusters[\"k\"].cluster.server must be a string" },
		{ KUBECONFIG("    server: https://10.0.0.1\n"
			     "    certificate-authority-data: LS0t!!!\n", "    token: " TOKEN "\n"),
		  "clusters[\"k\"].cluster.certificate-authority-data is not valid base64" },
		{ KUBECONFIG("    server: https://10.0.0.1\n"
			     "    certificate-authority-data: LS0tL\n", "    token: " TOKEN "\n"),
		  "certificate-authority-data is not valid base64" },
		{ KUBECONFIG("    server: https://10.0.0.1\n"
			     "    certificate-authority-data: " NOT_PEM_B64 "\n", "    {}\n"),
		  "certificate-authority-data does not hold PEM data" },
		{ KUBECONFIG("    server: https://10.0.0.1\n"
			     "    insecure-skip-tls-verify: maybe\n", "    {}\n"),
		  "insecure-skip-tls-verify must be true or false" },
		{ KUBECONFIG("    server: https://10.0.0.1\n"
			     "    insecure-skip-tls-verify: true\n"
			     "    certificate-authority: ca.crt\n", "    {}\n"),
		  "contradictory" },
		{ KUBECONFIG("    server: https://10.0.0.1\n", "    token: 5\n"),
		  "users[\"u\"].user.token must be a string" },
		{ KUBECONFIG("    server: https://10.0.0.1\n",
			     "    client-certificate-data: " CERT_B64 "\n"),
		  "users[\"u\"].user has a client certificate but no client-key" },
		{ KUBECONFIG("    server: https://10.0.0.1\n", "    client-key: k.pem\n"),
		  "has a client key but no client-certificate" },
		{ KUBECONFIG("    server: https://10.0.0.1\n",
			     "    client-certificate-data: " CERT_B64 "\n"
			     "    client-key-data: czNjcjN0*\n"),
		  "users[\"u\"].user.client-key-data is not valid base64" },
		{ KUBECONFIG("    server: https://10.0.0.1\n",
			     "    exec: {command: aws, apiVersion: client.authentication.k8s.io/v1}\n"),
		  "users[\"u\"].user.exec is not supported" },
		{ KUBECONFIG("    server: https://10.0.0.1\n",
			     "    username: admin\n    password: " TOKEN "\n"),
		  "users[\"u\"].user.username is not supported" },
		{ "current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: ghost}\n"
		  "clusters:\n- name: k\n  cluster: {server: https://10.0.0.1}\n",
		  "the current context names \"ghost\", which is not in users" },
		{ "- just\n- a list\n", "not a kubeconfig" },
		{ "current-context: [\n", "line " },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		load_bad(bad[i].yaml, bad[i].why);
}

Test(api_config, other_credentials_are_ignored_beside_a_token)
{
	load_ok(KUBECONFIG("    server: https://10.0.0.1\n",
			   "    token: " TOKEN "\n    exec: {command: aws}\n"));
	cr_assert_str_eq(cfg.token, TOKEN, "the token is used");
}

Test(api_config, base64)
{
	static const struct {
		const char *in, *out;
	} good[] = {
		{ "", "" }, { "Zg==", "f" }, { "Zm8=", "fo" }, { "Zm9v", "foo" },
		{ "Zm9v\r\nYmFy", "foobar" }, { "+/+/", "\xfb\xff\xbf" },
	};
	static const char *const bad[] = {
		"Zg=", "Zg", "Z===", "Zg==Zg==", "Zm9v!", "Zm 9v", "====",
	};
	struct api_blob b;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cr_assert_eq(api_secret_base64(good[i].in, &b), 0, "'%s' decodes", good[i].in);
		assert_blob(&b, good[i].out, good[i].in);
		api_secret_free(b.data, b.len);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(api_secret_base64(bad[i], &b), -EINVAL, "'%s' is refused", bad[i]);
}

Test(api_config, missing_file)
{
	char why[API_WHY_LEN];

	cr_assert_eq(api_config_kubeconfig(&cfg, "/nonexistent/kubeconfig", why, sizeof(why)), -1,
		     "refused");
	cr_assert_str_eq(why, "kubeconfig /nonexistent/kubeconfig: cannot read: No such file or "
			 "directory", "names the file and the cause");
}

Test(api_config, an_unreadable_token_file)
{
	char why[API_WHY_LEN], *token = NULL;

	load_ok(KUBECONFIG("    server: https://10.0.0.1\n", "    tokenFile: missing\n"));
	cr_assert_eq(api_config_token(&cfg, &token, why, sizeof(why)), -1, "no token file");
	cr_assert(strstr(why, "cannot read the token file"), "why: %s", why);
	write_file("missing", " \n");
	cr_assert_eq(api_config_token(&cfg, &token, why, sizeof(why)), -1, "an empty token file");
	cr_assert(strstr(why, "is empty"), "why: %s", why);
	cr_assert_null(token, "no token");
}

static void service_account(void)
{
	write_file("token", TOKEN "\n");
	write_file("ca.crt", CA_PEM);
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
}

static void in_cluster_bad(const char *want)
{
	char why[API_WHY_LEN] = "";

	cr_assert_eq(api_config_in_cluster(&cfg, dir, why, sizeof(why)), -1, "refused");
	cr_assert(strstr(why, want), "'%s' says '%s'", why, want);
	cr_assert_null(strstr(why, TOKEN), "'%s' shows no credential", why);
	cr_assert_null(cfg.server, "nothing kept");
}

Test(api_in_cluster, service_account)
{
	char why[API_WHY_LEN], want[sizeof(dir) + 32], *token;

	service_account();
	cr_assert_eq(api_config_in_cluster(&cfg, dir, why, sizeof(why)), 0, "load: %s", why);
	cr_assert_str_eq(cfg.server, "https://10.96.0.1:443", "server");
	snprintf(want, sizeof(want), "%s/ca.crt", dir);
	cr_assert_str_eq(cfg.ca_file, want, "the service account's CA");
	snprintf(want, sizeof(want), "%s/token", dir);
	cr_assert_str_eq(cfg.token_file, want, "the token file, read per request");
	token = token_now();
	cr_assert_str_eq(token, TOKEN, "the token");
	api_config_free_token(token);
	cr_assert(strstr(cfg.origin, "in-cluster"), "origin: %s", cfg.origin);
}

Test(api_in_cluster, ipv6_host)
{
	char why[API_WHY_LEN];

	service_account();
	setenv("KUBERNETES_SERVICE_HOST", "fd00:10:96::1", 1);
	cr_assert_eq(api_config_in_cluster(&cfg, dir, why, sizeof(why)), 0, "load: %s", why);
	cr_assert_str_eq(cfg.server, "https://[fd00:10:96::1]:443", "brackets around IPv6");
}

Test(api_in_cluster, errors)
{
	service_account();
	unsetenv("KUBERNETES_SERVICE_HOST");
	in_cluster_bad("KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "https", 1);
	in_cluster_bad("KUBERNETES_SERVICE_PORT is not a port: \"https\"");
	setenv("KUBERNETES_SERVICE_PORT", "65536", 1);
	in_cluster_bad("is not a port");
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	write_file("token", "");
	in_cluster_bad("is empty");
	cr_assert_eq(chdir(dir), 0, "into the test directory");
	cr_assert_eq(remove("token"), 0, "remove the token");
	in_cluster_bad("cannot read the token file");
	cr_assert_eq(remove("ca.crt"), 0, "remove the CA");
	in_cluster_bad("cannot read the service-account CA");
}
