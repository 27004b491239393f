// SPDX-License-Identifier: Apache-2.0
/*
 * kubeconfig and in-cluster configuration (rules in api_config.h). Every
 * buffer that may hold a credential is wiped before it is freed
 * (api_secret.h).
 */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "k8s/api_config.h"
#include "k8s/yaml_json.h"
#include "lib/log.h"

/* Highest TCP port number. */
#define PORT_MAX 65535
/* What every PEM block starts with: a -data field must hold one. */
#define PEM_BEGIN "-----BEGIN "

/* What a kubeconfig being read needs for errors and relative names. */
struct kc {
	const char *path;
	char *dir;		/* of path: relative file names start there */
	char *why;
	size_t len;
};

void api_config_free_token(char *token)
{
	if (token)
		api_secret_free(token, strlen(token));
}

static void blob_free(struct api_blob *b)
{
	api_secret_free(b->data, b->len);
	b->data = NULL;
	b->len = 0;
}

void api_config_free(struct api_config *cfg)
{
	free(cfg->server);
	free(cfg->ca_file);
	blob_free(&cfg->ca_pem);
	api_config_free_token(cfg->token);
	free(cfg->token_file);
	free(cfg->cert_file);
	free(cfg->key_file);
	blob_free(&cfg->cert_pem);
	blob_free(&cfg->key_pem);
	memset(cfg, 0, sizeof(*cfg));
}

static int fail(struct kc *kc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct kc *kc, const char *fmt, ...)
{
	int n = snprintf(kc->why, kc->len, "kubeconfig %s: ", kc->path);
	va_list ap;

	if (n >= 0 && (size_t)n < kc->len) {
		va_start(ap, fmt);
		vsnprintf(kc->why + n, kc->len - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A string field at where.field: NULL when absent, null or empty. */
static int opt_str(struct kc *kc, const cJSON *obj, const char *where, const char *field,
		   const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);

	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return fail(kc, "%s.%s must be a string", where, field);
	if (*v->valuestring)
		*out = v->valuestring;
	return 0;
}

/* A file name as the kubeconfig means it: relative ones start at its directory. */
static int set_path(struct kc *kc, char **dst, const char *name)
{
	if (!name)
		return 0;
	if (name[0] == '/')
		*dst = strdup(name);
	else if (asprintf(dst, "%s/%s", kc->dir, name) < 0)
		*dst = NULL;
	return *dst ? 0 : fail(kc, "out of memory");
}

/* A *-data field: base64 of PEM text. */
static int set_pem(struct kc *kc, struct api_blob *dst, const char *b64, const char *where,
		   const char *field)
{
	if (!b64)
		return 0;
	if (api_secret_base64(b64, dst))
		return fail(kc, "%s.%s is not valid base64", where, field);
	if (!memmem(dst->data, dst->len, PEM_BEGIN, strlen(PEM_BEGIN))) {
		blob_free(dst);
		return fail(kc, "%s.%s does not hold PEM data", where, field);
	}
	return 0;
}

/* The object under key of the entry named name in the list at field ("clusters"). */
static const cJSON *named(struct kc *kc, const cJSON *root, const char *field,
			  const char *key, const char *name, const char *from)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, field), *e, *n, *v;

	if (list && !cJSON_IsArray(list) && !cJSON_IsNull(list)) {
		fail(kc, "%s must be a list", field);
		return NULL;
	}
	cJSON_ArrayForEach(e, list) {
		n = cJSON_GetObjectItemCaseSensitive(e, "name");
		if (!cJSON_IsString(n) || strcmp(n->valuestring, name))
			continue;
		v = cJSON_GetObjectItemCaseSensitive(e, key);
		if (!cJSON_IsObject(v)) {
			fail(kc, "%s[\"%s\"].%s must be an object", field, name, key);
			return NULL;
		}
		return v;
	}
	fail(kc, "%s names \"%s\", which is not in %s", from, name, field);
	return NULL;
}

static int read_cluster(struct kc *kc, struct api_config *cfg, const cJSON *c, const char *where)
{
	const char *server, *ca, *ca_data, *authority;
	const cJSON *insecure = cJSON_GetObjectItemCaseSensitive(c, "insecure-skip-tls-verify");
	size_t n;

	if (opt_str(kc, c, where, "server", &server) ||
	    opt_str(kc, c, where, "certificate-authority", &ca) ||
	    opt_str(kc, c, where, "certificate-authority-data", &ca_data))
		return -1;
	if (!server)
		return fail(kc, "%s.server is missing", where);
	if (strncmp(server, "https://", strlen("https://")) &&
	    strncmp(server, "http://", strlen("http://")))
		return fail(kc, "%s.server must start with https:// or http://", where);
	/* A password there would be logged with the URL. */
	authority = strstr(server, "://") + strlen("://");
	if (memchr(authority, '@', strcspn(authority, "/?#")))
		return fail(kc, "%s.server must not hold a user or password: use a user entry",
			    where);
	if (insecure && !cJSON_IsBool(insecure) && !cJSON_IsNull(insecure))
		return fail(kc, "%s.insecure-skip-tls-verify must be true or false", where);
	cfg->insecure = cJSON_IsTrue(insecure);
	if (cfg->insecure && (ca || ca_data))
		return fail(kc, "%s: a certificate-authority with insecure-skip-tls-verify is "
			    "contradictory", where);
	cfg->server = strdup(server);
	if (!cfg->server)
		return fail(kc, "out of memory");
	n = strlen(cfg->server);
	while (n && cfg->server[n - 1] == '/')
		cfg->server[--n] = '\0';
	if (ca && ca_data) {
		pr_warn("kubeconfig %s: %s has certificate-authority and -data: the data wins",
			kc->path, where);
		ca = NULL;
	}
	if (set_path(kc, &cfg->ca_file, ca))
		return -1;
	return set_pem(kc, &cfg->ca_pem, ca_data, where, "certificate-authority-data");
}

/* Credentials sluice cannot use: plugins it would have to run, and basic auth. */
static const char *const unsupported_auth[] = {
	"exec", "auth-provider", "username", "password",
};

static int read_user(struct kc *kc, struct api_config *cfg, const cJSON *u, const char *where)
{
	const char *token, *token_file, *cert, *cert_data, *key, *key_data;
	size_t i;

	if (opt_str(kc, u, where, "token", &token) ||
	    opt_str(kc, u, where, "tokenFile", &token_file) ||
	    opt_str(kc, u, where, "client-certificate", &cert) ||
	    opt_str(kc, u, where, "client-certificate-data", &cert_data) ||
	    opt_str(kc, u, where, "client-key", &key) ||
	    opt_str(kc, u, where, "client-key-data", &key_data))
		return -1;
	if ((cert || cert_data) && !key && !key_data)
		return fail(kc, "%s has a client certificate but no client-key or client-key-data",
			    where);
	if ((key || key_data) && !cert && !cert_data)
		return fail(kc, "%s has a client key but no client-certificate or "
			    "client-certificate-data", where);
	for (i = 0; i < sizeof(unsupported_auth) / sizeof(unsupported_auth[0]); i++) {
		if (!cJSON_GetObjectItemCaseSensitive(u, unsupported_auth[i]))
			continue;
		if (!token && !token_file && !cert && !cert_data)
			return fail(kc, "%s.%s is not supported: give a token, tokenFile or "
				    "client certificate", where, unsupported_auth[i]);
		pr_warn("kubeconfig %s: %s.%s is not supported, ignored", kc->path, where,
			unsupported_auth[i]);
	}
	if (token) {
		cfg->token = strdup(token);
		if (!cfg->token)
			return fail(kc, "out of memory");
	} else if (set_path(kc, &cfg->token_file, token_file)) {
		return -1;
	}
	if (cert_data)
		cert = NULL;
	if (key_data)
		key = NULL;
	if (set_path(kc, &cfg->cert_file, cert) || set_path(kc, &cfg->key_file, key) ||
	    set_pem(kc, &cfg->cert_pem, cert_data, where, "client-certificate-data") ||
	    set_pem(kc, &cfg->key_pem, key_data, where, "client-key-data"))
		return -1;
	return 0;
}

/* Secret strings in the parsed tree, wiped before it is freed. */
static const char *const secret_fields[] = { "token", "client-key-data" };

static void wipe_tree(cJSON *v)
{
	cJSON *c;
	size_t i;

	cJSON_ArrayForEach(c, v) {
		for (i = 0; c->string && i < sizeof(secret_fields) / sizeof(secret_fields[0]); i++)
			if (cJSON_IsString(c) && !strcmp(c->string, secret_fields[i]))
				explicit_bzero(c->valuestring, strlen(c->valuestring));
		wipe_tree(c);
	}
}

static int read_kubeconfig(struct kc *kc, struct api_config *cfg, const cJSON *root)
{
	const cJSON *ctx, *cluster, *user;
	const char *current, *cluster_name, *user_name;
	char where[API_ORIGIN_LEN];

	if (!cJSON_IsObject(root))
		return fail(kc, "not a kubeconfig (no YAML mapping)");
	if (opt_str(kc, root, "(top level)", "current-context", &current))
		return -1;
	if (!current)
		return fail(kc, "current-context is not set");
	ctx = named(kc, root, "contexts", "context", current, "current-context");
	if (!ctx)
		return -1;
	snprintf(where, sizeof(where), "contexts[\"%s\"].context", current);
	if (opt_str(kc, ctx, where, "cluster", &cluster_name) ||
	    opt_str(kc, ctx, where, "user", &user_name))
		return -1;
	if (!cluster_name)
		return fail(kc, "%s.cluster is missing", where);
	cluster = named(kc, root, "clusters", "cluster", cluster_name, "the current context");
	if (!cluster)
		return -1;
	snprintf(where, sizeof(where), "clusters[\"%s\"].cluster", cluster_name);
	if (read_cluster(kc, cfg, cluster, where))
		return -1;
	/* A context without a user talks to the server anonymously. */
	if (user_name) {
		user = named(kc, root, "users", "user", user_name, "the current context");
		if (!user)
			return -1;
		snprintf(where, sizeof(where), "users[\"%s\"].user", user_name);
		if (read_user(kc, cfg, user, where))
			return -1;
	}
	snprintf(cfg->origin, sizeof(cfg->origin), "kubeconfig %s (context %s)", kc->path,
		 current);
	return 0;
}

int api_config_kubeconfig(struct api_config *cfg, const char *path, char *why, size_t len)
{
	struct kc kc = { .path = path, .why = why, .len = len };
	struct yaml_json_doc *docs = NULL;
	struct yaml_json_error yerr;
	size_t n_docs = 0, size = 0, i;
	char *buf = NULL, *copy;
	int err;

	memset(cfg, 0, sizeof(*cfg));
	copy = strdup(path);
	kc.dir = copy ? strdup(dirname(copy)) : NULL;
	free(copy);
	if (!kc.dir)
		return fail(&kc, "out of memory");
	err = api_secret_read(path, &buf, &size);
	if (err) {
		fail(&kc, "cannot read: %s", strerror(-err));
		goto out;
	}
	err = yaml_json_parse(buf, size, &docs, &n_docs, &yerr);
	if (err) {
		fail(&kc, "line %u column %u: %s", yerr.line, yerr.column, yerr.reason);
		goto out;
	}
	/* The first document with content is the config, as kubectl reads it. */
	for (i = 0; i < n_docs && cJSON_IsNull(docs[i].value); i++)
		;
	err = read_kubeconfig(&kc, cfg, i < n_docs ? docs[i].value : NULL);
out:
	for (i = 0; i < n_docs; i++)
		wipe_tree(docs[i].value);
	yaml_json_free(docs, n_docs);
	api_secret_free(buf, size);
	free(kc.dir);
	if (err)
		api_config_free(cfg);
	return err ? -1 : 0;
}

static bool valid_port(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	return isdigit((unsigned char)*s) && !*end && !errno && v >= 1 && v <= PORT_MAX;
}

int api_config_in_cluster(struct api_config *cfg, const char *sa_dir, char *why, size_t len)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	char *token = NULL;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	if (!host || !*host || !port || !*port) {
		snprintf(why, len, "in-cluster: KUBERNETES_SERVICE_HOST and "
			 "KUBERNETES_SERVICE_PORT must be set (is the agent running in a pod?)");
		return -1;
	}
	if (!valid_port(port)) {
		snprintf(why, len, "in-cluster: KUBERNETES_SERVICE_PORT is not a port: \"%s\"",
			 port);
		return -1;
	}
	/* An IPv6 address goes in brackets in a URL. */
	ret = asprintf(&cfg->server, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s",
		       host, port);
	if (ret < 0 || asprintf(&cfg->token_file, "%s/token", sa_dir) < 0 ||
	    asprintf(&cfg->ca_file, "%s/ca.crt", sa_dir) < 0) {
		snprintf(why, len, "in-cluster: out of memory");
		goto fail;
	}
	if (access(cfg->ca_file, R_OK)) {
		snprintf(why, len, "in-cluster: cannot read the service-account CA %s: %s",
			 cfg->ca_file, strerror(errno));
		goto fail;
	}
	/* Read once now so that a missing token fails at start, not at the first request. */
	if (api_config_token(cfg, &token, why, len))
		goto fail;
	api_config_free_token(token);
	snprintf(cfg->origin, sizeof(cfg->origin), "in-cluster (service account in %s)", sa_dir);
	return 0;
fail:
	api_config_free(cfg);
	return -1;
}

int api_config_token(const struct api_config *cfg, char **token, char *why, size_t len)
{
	size_t n, start = 0;
	char *buf;
	int err;

	*token = NULL;
	if (cfg->token) {
		*token = strdup(cfg->token);
		if (*token)
			return 0;
		snprintf(why, len, "out of memory");
		return -1;
	}
	if (!cfg->token_file)
		return 0;
	err = api_secret_read(cfg->token_file, &buf, &n);
	if (err) {
		snprintf(why, len, "cannot read the token file %s: %s", cfg->token_file,
			 strerror(-err));
		return -1;
	}
	while (n && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	while (start < n && isspace((unsigned char)buf[start]))
		start++;
	if (start == n) {
		snprintf(why, len, "the token file %s is empty", cfg->token_file);
		api_secret_free(buf, n);
		return -1;
	}
	memmove(buf, buf + start, n - start + 1);
	/* The shift leaves the token's last bytes behind it. */
	explicit_bzero(buf + n - start + 1, start);
	*token = buf;
	return 0;
}
