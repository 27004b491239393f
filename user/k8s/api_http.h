/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A libcurl easy handle set up for the API server of a configuration: TLS
 * (the CA file or PEM bytes, or no check when insecure), the client
 * certificate, a bearer token read for each request, timeouts and TCP
 * keepalive so a dead peer is noticed during a quiet watch. libcurl's
 * verbose output stays off and no header is ever logged: both would show
 * the token.
 */
#ifndef SLUICE_K8S_API_HTTP_H
#define SLUICE_K8S_API_HTTP_H

#include <stddef.h>
#include <curl/curl.h>

#include "k8s/api_config.h"

/* Longest a TCP connection and TLS handshake may take. */
#define API_CONNECT_TIMEOUT_MS 10000
/* Time past a request's own timeout (a watch's timeoutSeconds) before it is cut. */
#define API_TIMEOUT_GRACE_S 30
/* Idle seconds before TCP keepalive probes start, and between probes. */
#define API_KEEPALIVE_IDLE_S 30
#define API_KEEPALIVE_INTVL_S 10

/* Where response bytes go, as libcurl's write callback. */
typedef size_t (*api_write_fn)(char *data, size_t size, size_t n, void *ctx);

struct api_http {
	CURL *easy;
	struct curl_slist *headers;	/* the running request's; hold the token */
	char error[CURL_ERROR_SIZE];	/* libcurl's words for the last failure */
};

/*
 * Sets up h for cfg, which must outlive it (PEM data is used in place).
 * 0, or -1 with why.
 */
int api_http_init(struct api_http *h, const struct api_config *cfg, api_write_fn write,
		  void *ctx, char *why, size_t len);
/*
 * Prepares a GET of url lasting at most timeout_s (plus the grace), with the
 * token as it is now. 0, or -1 with why (the token file cannot be read).
 */
int api_http_request(struct api_http *h, const struct api_config *cfg, const char *url,
		     long timeout_s, char *why, size_t len);
/* The request is over: wipes and frees its headers. */
void api_http_end(struct api_http *h);
void api_http_free(struct api_http *h);

#endif
