// SPDX-License-Identifier: Apache-2.0
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/api_http.h"

/* How the agent introduces itself in the API server's audit log. */
#define USER_AGENT "sluice-agent"
#define BEARER "Authorization: Bearer "

/* PEM bytes in place: the configuration outlives the handle and wipes them. */
static CURLcode set_blob(CURL *easy, CURLoption opt, const struct api_blob *b)
{
	struct curl_blob blob = { .data = b->data, .len = b->len, .flags = CURL_BLOB_NOCOPY };

	return curl_easy_setopt(easy, opt, &blob);
}

static CURLcode set_tls(CURL *easy, const struct api_config *cfg)
{
	CURLcode rc = CURLE_OK;

	if (cfg->insecure) {
		rc = curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
		if (!rc)
			rc = curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (cfg->ca_pem.data) {
		rc = set_blob(easy, CURLOPT_CAINFO_BLOB, &cfg->ca_pem);
	} else if (cfg->ca_file) {
		rc = curl_easy_setopt(easy, CURLOPT_CAINFO, cfg->ca_file);
	}
	if (!rc && cfg->cert_pem.data)
		rc = set_blob(easy, CURLOPT_SSLCERT_BLOB, &cfg->cert_pem);
	else if (!rc && cfg->cert_file)
		rc = curl_easy_setopt(easy, CURLOPT_SSLCERT, cfg->cert_file);
	if (!rc && cfg->key_pem.data)
		rc = set_blob(easy, CURLOPT_SSLKEY_BLOB, &cfg->key_pem);
	else if (!rc && cfg->key_file)
		rc = curl_easy_setopt(easy, CURLOPT_SSLKEY, cfg->key_file);
	return rc;
}

int api_http_init(struct api_http *h, const struct api_config *cfg, api_write_fn write,
		  void *ctx, char *why, size_t len)
{
	CURLcode rc;

	memset(h, 0, sizeof(*h));
	h->easy = curl_easy_init();
	if (!h->easy) {
		snprintf(why, len, "cannot create a libcurl handle");
		return -1;
	}
	/* Signals stay with the agent's main thread; DNS runs in libcurl's resolver thread. */
	rc = curl_easy_setopt(h->easy, CURLOPT_NOSIGNAL, 1L);
	if (!rc)
		rc = curl_easy_setopt(h->easy, CURLOPT_ERRORBUFFER, h->error);
	if (!rc)
		rc = curl_easy_setopt(h->easy, CURLOPT_PROTOCOLS_STR, "https,http");
	if (!rc)
		rc = curl_easy_setopt(h->easy, CURLOPT_USERAGENT, USER_AGENT);
	if (!rc)
		rc = curl_easy_setopt(h->easy, CURLOPT_CONNECTTIMEOUT_MS,
				      (long)API_CONNECT_TIMEOUT_MS);
	if (!rc)
		rc = curl_easy_setopt(h->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	if (!rc)
		rc = curl_easy_setopt(h->easy, CURLOPT_TCP_KEEPIDLE, (long)API_KEEPALIVE_IDLE_S);
	if (!rc)
		rc = curl_easy_setopt(h->easy, CURLOPT_TCP_KEEPINTVL, (long)API_KEEPALIVE_INTVL_S);
	if (!rc)
		rc = curl_easy_setopt(h->easy, CURLOPT_WRITEFUNCTION, write);
	if (!rc)
		rc = curl_easy_setopt(h->easy, CURLOPT_WRITEDATA, ctx);
	if (!rc)
		rc = curl_easy_setopt(h->easy, CURLOPT_PRIVATE, ctx);
	if (!rc)
		rc = set_tls(h->easy, cfg);
	if (rc) {
		snprintf(why, len, "setting up libcurl: %s", curl_easy_strerror(rc));
		api_http_free(h);
		return -1;
	}
	return 0;
}

/* The header list owns copies of the token: wipe them before they are freed. */
void api_http_end(struct api_http *h)
{
	struct curl_slist *s;

	for (s = h->headers; s; s = s->next)
		explicit_bzero(s->data, strlen(s->data));
	curl_slist_free_all(h->headers);
	h->headers = NULL;
}

static bool add_header(struct api_http *h, const char *line)
{
	struct curl_slist *s = curl_slist_append(h->headers, line);

	if (s)
		h->headers = s;
	return s;
}

int api_http_request(struct api_http *h, const struct api_config *cfg, const char *url,
		     long timeout_s, char *why, size_t len)
{
	char *token = NULL, *auth = NULL;
	size_t n;
	CURLcode rc;

	api_http_end(h);
	h->error[0] = '\0';
	if (api_config_token(cfg, &token, why, len))
		return -1;
	if (token) {
		n = strlen(BEARER) + strlen(token) + 1;
		auth = malloc(n);
		if (auth)
			snprintf(auth, n, BEARER "%s", token);
		api_config_free_token(token);
	}
	if ((token && !auth) || !add_header(h, "Accept: application/json") ||
	    (auth && !add_header(h, auth))) {
		api_config_free_token(auth);
		snprintf(why, len, "out of memory");
		return -1;
	}
	api_config_free_token(auth);
	rc = curl_easy_setopt(h->easy, CURLOPT_URL, url);
	if (!rc)
		rc = curl_easy_setopt(h->easy, CURLOPT_HTTPHEADER, h->headers);
	if (!rc)
		rc = curl_easy_setopt(h->easy, CURLOPT_TIMEOUT, timeout_s + API_TIMEOUT_GRACE_S);
	if (rc) {
		snprintf(why, len, "setting up the request: %s", curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

void api_http_free(struct api_http *h)
{
	api_http_end(h);
	if (h->easy)
		curl_easy_cleanup(h->easy);
	h->easy = NULL;
}
