// SPDX-License-Identifier: Apache-2.0
/* Host veth names: stable, short enough for the kernel, distinct per attachment. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni/naming.h"

Test(host_veth_name, fits_ifnamsiz_and_is_stable)
{
	char a[IF_NAMESIZE], b[IF_NAMESIZE];
	char long_id[200];

	memset(long_id, 'f', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	host_veth_name(long_id, "eth0", a);
	cr_expect_eq(strlen(a), IF_NAMESIZE - 1, "name '%s' uses all 15 characters", a);
	cr_expect_eq(strncmp(a, HOST_VETH_PREFIX, strlen(HOST_VETH_PREFIX)), 0, "prefix in '%s'", a);
	host_veth_name(long_id, "eth0", b);
	cr_expect_str_eq(a, b, "same attachment, same name");
	cr_expect(is_host_veth_name(a), "'%s' is recognised as ours", a);
}

Test(host_veth_name, known_value)
{
	char n[IF_NAMESIZE];

	/* Pinned so a change of hash, which would orphan live pods' veths on upgrade, is noticed. */
	host_veth_name("ctr1", "eth0", n);
	cr_expect_str_eq(n, "slcf3759a1dde65", "hash of (ctr1, eth0)");
}

Test(host_veth_name, distinct_per_attachment)
{
	char a[IF_NAMESIZE], b[IF_NAMESIZE], c[IF_NAMESIZE];

	host_veth_name("abc", "eth0", a);
	host_veth_name("abc", "eth1", b);
	host_veth_name("ab", "ceth0", c);
	cr_expect_str_neq(a, b, "interface is part of the name");
	cr_expect_str_neq(a, c, "the boundary between id and interface counts");
}

Test(host_veth_name, no_collisions_in_ten_thousand)
{
	/* 48 bits of hash: ten thousand pods collide with odds of about 1 in 5 million. */
	static char names[10000][IF_NAMESIZE];
	char id[65];
	int i, j;

	for (i = 0; i < 10000; i++) {
		snprintf(id, sizeof(id), "%064x", i);
		host_veth_name(id, "eth0", names[i]);
	}
	qsort(names, 10000, IF_NAMESIZE, (int (*)(const void *, const void *))strcmp);
	for (i = 1, j = 0; i < 10000; i++)
		j += !strcmp(names[i - 1], names[i]);
	cr_expect_eq(j, 0, "%d collisions", j);
}

Test(host_veth_name, recognises_only_ours)
{
	cr_expect(!is_host_veth_name("eth0"), "eth0");
	cr_expect(!is_host_veth_name("slc"), "bare prefix");
	cr_expect(!is_host_veth_name("slc0123456789aB"), "upper-case hex");
	cr_expect(!is_host_veth_name("slc0123456789a"), "one digit short");
	cr_expect(!is_host_veth_name("lxc0123456789ab"), "another CNI's prefix");
}
