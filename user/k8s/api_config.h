/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where the Kubernetes API server is and how the agent proves who it is:
 * from a kubeconfig file (--kubeconfig) or from the pod's service account
 * (--in-cluster), the two ways client-go configures itself.
 *
 * kubeconfig: current-context names a context, whose cluster and user are
 * looked up by name.
 * - cluster: server (required, http:// or https://), certificate-authority
 *   (a PEM file) or certificate-authority-data (base64 PEM; wins over the
 *   file, with a warning, as in kubectl), insecure-skip-tls-verify;
 * - user: token (wins over tokenFile), tokenFile (re-read for every
 *   request: tokens rotate), client-certificate and client-key (files) or
 *   client-certificate-data and client-key-data (base64; the data wins).
 *   exec, auth-provider and username/password are not supported: an error
 *   when the user has no other credentials, else ignored with a warning.
 * - relative file names are relative to the kubeconfig's directory.
 * in-cluster: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT,
 * the token file and CA of the service-account directory.
 *
 * Errors name the file and the field. Credentials (tokens, keys) are never
 * logged nor put in an error, and are wiped from memory when freed.
 */
#ifndef SLUICE_K8S_API_CONFIG_H
#define SLUICE_K8S_API_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "k8s/api_secret.h"

/* Where a pod's service-account token and CA are mounted. */
#define API_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
/* Room for an error naming a file and a field. */
#define API_WHY_LEN 512
/* Room for a description of the configuration's origin in log lines. */
#define API_ORIGIN_LEN 320

struct api_config {
	char *server;		/* "https://host:port[/prefix]", without a trailing '/' */
	char *ca_file;		/* CAs to trust, PEM; NULL: ca_pem, or the system's */
	struct api_blob ca_pem;
	bool insecure;		/* insecure-skip-tls-verify: the server is not checked */
	char *token;		/* a bearer token: secret */
	char *token_file;	/* a file holding the bearer token, read per request */
	char *cert_file, *key_file;
	struct api_blob cert_pem, key_pem;	/* the key is secret */
	/* "kubeconfig FILE (context C)" or "in-cluster", for log lines. */
	char origin[API_ORIGIN_LEN];
};

/* Loads path's current context. 0, or -1 with why set and nothing kept. */
int api_config_kubeconfig(struct api_config *cfg, const char *path, char *why, size_t len);
/* The pod's service account, its files in sa_dir (API_SA_DIR outside tests). */
int api_config_in_cluster(struct api_config *cfg, const char *sa_dir, char *why, size_t len);
/*
 * The bearer token to send now: cfg->token or token_file's content (surrounding
 * whitespace removed). 0 with *token set (NULL: none; free with
 * api_config_free_token), or -1 with why naming the file.
 */
int api_config_token(const struct api_config *cfg, char **token, char *why, size_t len);
/* Wipes and frees a secret string. */
void api_config_free_token(char *token);
/* Wipes the secrets and frees everything; cfg may then be reused. */
void api_config_free(struct api_config *cfg);

#endif
