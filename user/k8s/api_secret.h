/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Credentials in memory: read, decoded and freed so that no copy is left
 * behind unwiped (buffers grow by copying and wiping, never by realloc).
 */
#ifndef SLUICE_K8S_API_SECRET_H
#define SLUICE_K8S_API_SECRET_H

#include <stddef.h>

/* Largest credential or kubeconfig file read: far above any real one. */
#define API_SECRET_FILE_MAX (4 << 20)

/* Bytes decoded from a kubeconfig's *-data field: PEM text. */
struct api_blob {
	char *data;
	size_t len;
};

/* A whole file with a NUL after it (free with api_secret_free), or -errno. */
int api_secret_read(const char *path, char **out, size_t *len);
/*
 * Standard padded base64, line breaks skipped as Go's decoder skips them.
 * 0, -EINVAL for anything else, or -ENOMEM.
 */
int api_secret_base64(const char *s, struct api_blob *out);
/* Wipes n bytes at p, then frees it; NULL is fine. */
void api_secret_free(void *p, size_t n);

#endif
