/* SPDX-License-Identifier: Apache-2.0 */
/* CNI error results: the spec's well-known codes and sluice's own (100+). */
#ifndef SLUICE_CNI_ERRORS_H
#define SLUICE_CNI_ERRORS_H

#include <stdarg.h>

/* Well-known codes, CNI spec section 5 "Error". */
enum cni_code {
	CNI_OK = 0,
	CNI_ERR_INCOMPATIBLE_VERSION = 1,
	CNI_ERR_UNSUPPORTED_FIELD = 2,
	CNI_ERR_UNKNOWN_CONTAINER = 3,
	CNI_ERR_INVALID_ENV = 4,
	CNI_ERR_IO = 5,
	CNI_ERR_DECODE = 6,
	CNI_ERR_INVALID_CONFIG = 7,
	CNI_ERR_TRY_AGAIN = 11,
	CNI_ERR_NOT_AVAILABLE = 50,
	/* sluice's own: a kernel operation (netlink, bpf) failed. */
	CNI_ERR_SYSTEM = 100,
	/* sluice's own: the attachment's interfaces or address are taken. */
	CNI_ERR_EXISTS = 101,
	/* sluice's own: the IPAM plugin failed without a CNI error of its own. */
	CNI_ERR_IPAM = 102,
	/* sluice's own: CHECK found the attachment not as ADD left it. */
	CNI_ERR_CHECK_FAILED = 103,
};

/* Longest msg and details kept; the spec sets no limit, runtimes log these. */
#define CNI_MSG_LEN 256
#define CNI_DETAILS_LEN 1024

struct cni_error {
	int code;
	char msg[CNI_MSG_LEN];		/* short: what failed */
	char details[CNI_DETAILS_LEN];	/* longer: why, and what to fix */
};

/* Records the first error only: the root cause, not its consequences. Returns code. */
int cni_fail(struct cni_error *e, int code, const char *msg, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The error as the spec's JSON (caller frees), under cniVersion version. */
char *cni_error_json(const struct cni_error *e, const char *version);

#endif
