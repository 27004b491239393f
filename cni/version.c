// SPDX-License-Identifier: Apache-2.0
#include <stdio.h>
#include <string.h>

#include "version.h"

const char *const cni_supported_versions[] = {
	"0.3.0", "0.3.1", "0.4.0", "1.0.0", CNI_VERSION_LATEST,
};
const size_t cni_supported_count =
	sizeof(cni_supported_versions) / sizeof(cni_supported_versions[0]);

bool cni_version_parse(const char *s, unsigned int v[3])
{
	int used = 0;

	if (!s || sscanf(s, "%u.%u.%u%n", &v[0], &v[1], &v[2], &used) != 3)
		return false;
	/* sscanf skips leading spaces and accepts signs: insist on digits throughout. */
	return s[used] == '\0' && s[0] >= '0' && s[0] <= '9' && !strpbrk(s, " +-");
}

int cni_version_cmp(const char *a, const char *b)
{
	unsigned int va[3], vb[3];
	bool pa = cni_version_parse(a, va), pb = cni_version_parse(b, vb);
	int i;

	if (!pa || !pb)
		return (int)pa - (int)pb;
	for (i = 0; i < 3; i++)
		if (va[i] != vb[i])
			return va[i] < vb[i] ? -1 : 1;
	return 0;
}

bool cni_version_supported(const char *v)
{
	size_t i;

	for (i = 0; i < cni_supported_count; i++)
		if (!cni_version_cmp(v, cni_supported_versions[i]))
			return true;
	return false;
}

bool cni_version_is_0x(const char *v)
{
	return cni_version_cmp(v, "1.0.0") < 0;
}

const char *cni_version_common(const char *const *theirs, size_t n, const char *ceiling)
{
	const char *best = NULL;
	size_t i, j;

	for (i = 0; i < cni_supported_count; i++) {
		const char *ours = cni_supported_versions[i];

		if (cni_version_cmp(ours, ceiling) > 0)
			continue;
		for (j = 0; j < n; j++)
			if (theirs[j] && !cni_version_cmp(ours, theirs[j]))
				best = ours;
	}
	return best;
}
