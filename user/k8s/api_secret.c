// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "k8s/api_secret.h"

/* First buffer size for a file: a token or a small kubeconfig fits. */
#define READ_BUF_MIN 4096

void api_secret_free(void *p, size_t n)
{
	if (!p)
		return;
	explicit_bzero(p, n);
	free(p);
}

int api_secret_read(const char *path, char **out, size_t *len)
{
	size_t cap = READ_BUF_MIN, n = 0;
	char *buf, *nbuf;
	ssize_t r;
	int fd, err = 0;

	/* O_NONBLOCK: a FIFO in place of a token file must not stall the agent. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	while (buf) {
		if (n + 1 == cap) {
			if (cap > API_SECRET_FILE_MAX) {
				err = -EFBIG;
				break;
			}
			nbuf = malloc(2 * cap);
			if (nbuf)
				memcpy(nbuf, buf, n);
			api_secret_free(buf, cap);
			buf = nbuf;
			cap *= 2;
			continue;
		}
		r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? -errno : 0;
			break;
		}
		n += r;
	}
	close(fd);
	if (!buf)
		return -ENOMEM;
	if (err) {
		api_secret_free(buf, cap);
		return err;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	return c == '/' ? 63 : -1;
}

int api_secret_base64(const char *s, struct api_blob *out)
{
	size_t n = strlen(s), size = n / 4 * 3 + 3, o = 0, q = 0, pad = 0, i;
	unsigned int acc = 0;
	char *buf = malloc(size);
	int v;

	if (!buf)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (s[i] == '\r' || s[i] == '\n')
			continue;
		if (s[i] == '=') {
			pad++;
			continue;
		}
		v = b64_value((unsigned char)s[i]);
		if (v < 0 || pad)
			goto bad;
		acc = acc << 6 | (unsigned int)v;
		if (++q == 4) {
			buf[o++] = (char)(acc >> 16);
			buf[o++] = (char)(acc >> 8);
			buf[o++] = (char)acc;
			q = acc = 0;
		}
	}
	/* The last group: 2 symbols and "==", 3 and "=", or none. */
	if (q == 2 && pad == 2) {
		buf[o++] = (char)(acc >> 4);
	} else if (q == 3 && pad == 1) {
		buf[o++] = (char)(acc >> 10);
		buf[o++] = (char)(acc >> 2);
	} else if (q || pad) {
		goto bad;
	}
	out->data = buf;
	out->len = o;
	return 0;
bad:
	api_secret_free(buf, size);
	return -EINVAL;
}
