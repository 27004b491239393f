/* SPDX-License-Identifier: Apache-2.0 */
/* CNI spec versions: which sluice-cni speaks, and agreeing on one with IPAM. */
#ifndef SLUICE_CNI_VERSION_H
#define SLUICE_CNI_VERSION_H

#include <stdbool.h>
#include <stddef.h>

/* The newest spec version sluice-cni implements. */
#define CNI_VERSION_LATEST "1.1.0"

/* Spec versions sluice-cni accepts in a config, oldest first. */
extern const char *const cni_supported_versions[];
extern const size_t cni_supported_count;

/* Parses "MAJOR.MINOR.PATCH" (no prefix, no suffix); false on anything else. */
bool cni_version_parse(const char *s, unsigned int v[3]);
/* <0, 0, >0 as a is older, the same as, or newer than b; unparsable sorts first. */
int cni_version_cmp(const char *a, const char *b);
bool cni_version_supported(const char *v);
/* True when version v carries the 0.x result shape ("version" on each IP). */
bool cni_version_is_0x(const char *v);

/*
 * The newest version in theirs that sluice-cni also speaks and that is not
 * newer than ceiling; NULL when there is none. Returns a pointer into
 * cni_supported_versions.
 */
const char *cni_version_common(const char *const *theirs, size_t n, const char *ceiling);

#endif
