// SPDX-License-Identifier: Apache-2.0
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "naming.h"
#include "lib/hash.h"

/* Hex digits of the hash kept: what fits IFNAMSIZ after the prefix. */
#define HOST_VETH_HASH_DIGITS (IF_NAMESIZE - 1 - (int)(sizeof(HOST_VETH_PREFIX) - 1))

void host_veth_name(const char *container_id, const char *ifname, char name[IF_NAMESIZE])
{
	/* A separator no container ID holds, so ("ab", "c") and ("a", "bc") differ. */
	uint64_t h = fnv1a64(fnv1a64(fnv1a64(FNV64_OFFSET, container_id), "/"), ifname);

	snprintf(name, IF_NAMESIZE, HOST_VETH_PREFIX "%0*llx", HOST_VETH_HASH_DIGITS,
		 (unsigned long long)(h & ((1ULL << (4 * HOST_VETH_HASH_DIGITS)) - 1)));
}

bool is_host_veth_name(const char *name)
{
	size_t i, plen = sizeof(HOST_VETH_PREFIX) - 1;

	if (strlen(name) != plen + HOST_VETH_HASH_DIGITS || strncmp(name, HOST_VETH_PREFIX, plen))
		return false;
	for (i = plen; name[i]; i++)
		if (!strchr("0123456789abcdef", name[i]))
			return false;
	return true;
}

bool cni_name_valid(const char *s)
{
	if (!isalnum((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}
