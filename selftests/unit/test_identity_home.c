// SPDX-License-Identifier: Apache-2.0
/*
 * Pod identities numbered from their labels, alike on every node: homes,
 * what happens when two label sets share one, and restarts.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "policy/identity.h"

/* The allocator's own range, as the agent sets it. */
#define LIMIT SLUICE_IPCACHE_MAX
/* Label sets tried to find two with one home: the birthday bound of 2^24 is ~5,000. */
#define COLLISION_TRIES 50000

static struct id_allocator a, b;

static void setup(void)
{
	id_allocator_init(&a, LIMIT);
	id_allocator_init(&b, LIMIT);
}

static void teardown(void)
{
	id_allocator_free(&a);
	id_allocator_free(&b);
}

TestSuite(identity_home, .init = setup, .fini = teardown);

Test(identity_home, same_labels_same_number_on_every_node)
{
	static const char *const keys[] = { "pod:default:app=web", "pod:default:app=db",
					    "pod:kube-system:k8s-app=kube-dns" };
	uint32_t ida[3], idb[3];
	int i;

	/* Two nodes meeting the pods in opposite orders. */
	for (i = 0; i < 3; i++)
		ida[i] = id_allocator_get_home(&a, keys[i]);
	for (i = 2; i >= 0; i--)
		idb[i] = id_allocator_get_home(&b, keys[i]);
	cr_assert_eq(id_allocator_mark_shared(&a), 0);
	for (i = 0; i < 3; i++) {
		cr_expect_eq(ida[i], idb[i], "%s: %u here, %u there", keys[i], ida[i], idb[i]);
		cr_expect_eq(ida[i], identity_home(keys[i]), "%s: not at its home", keys[i]);
		cr_expect(ida[i] >= SLUICE_IDENTITY_CLUSTER_FIRST &&
			  ida[i] < SLUICE_IDENTITY_CLUSTER_END, "%s: %u out of range", keys[i], ida[i]);
		cr_expect(id_allocator_is_cluster(&a, keys[i]), "%s: not trusted", keys[i]);
	}
	cr_expect_eq(id_allocator_get_home(&a, keys[0]), ida[0], "asked again, same number");
}

/* Policy CIDRs stay numbered by each node, below the cluster-wide range. */
Test(identity_home, cidr_identities_are_local)
{
	uint32_t id = id_allocator_get(&a, "cidr:10.0.0.0/8");

	cr_assert(id >= IDENTITY_FIRST && id < SLUICE_IDENTITY_CLUSTER_FIRST, "id %u", id);
	cr_assert_eq(id_allocator_mark_shared(&a), 0);
	cr_expect_not(id_allocator_is_cluster(&a, "cidr:10.0.0.0/8"));
}

struct home_of {
	uint32_t home;
	int n;
};

static int home_cmp(const void *x, const void *y)
{
	uint32_t p = ((const struct home_of *)x)->home, q = ((const struct home_of *)y)->home;

	return p < q ? -1 : p > q;
}

/* Two label sets with one home, found by trying: FNV-1a is fixed, so always the same two. */
static void colliding_keys(char *k1, char *k2, size_t len)
{
	struct home_of *h = calloc(COLLISION_TRIES, sizeof(*h));
	int i;

	cr_assert_not_null(h);
	for (i = 0; i < COLLISION_TRIES; i++) {
		snprintf(k1, len, "pod:default:app=a%d", i);
		h[i] = (struct home_of){ identity_home(k1), i };
	}
	qsort(h, COLLISION_TRIES, sizeof(*h), home_cmp);
	for (i = 1; i < COLLISION_TRIES && h[i].home != h[i - 1].home; i++)
		;
	cr_assert_lt(i, COLLISION_TRIES, "no two of %d label sets share a home", COLLISION_TRIES);
	snprintf(k1, len, "pod:default:app=a%d", h[i - 1].n);
	snprintf(k2, len, "pod:default:app=a%d", h[i].n);
	free(h);
}

/*
 * The second label set finds its home taken and gets a number of this
 * node's own; neither number is trusted in a VNI any more, since a node
 * that knows only one of them would read the home as that one.
 */
Test(identity_home, shared_home_trusts_neither)
{
	char k1[64], k2[64];
	uint32_t id1, id2, id3;

	colliding_keys(k1, k2, sizeof(k1));
	id1 = id_allocator_get_home(&a, k1);
	id2 = id_allocator_get_home(&a, k2);
	id3 = id_allocator_get_home(&a, "pod:default:app=other");
	cr_assert_eq(id_allocator_mark_shared(&a), 0);
	cr_expect_eq(id1, identity_home(k1), "the first keeps its home");
	cr_expect(id2 >= IDENTITY_FIRST && id2 < SLUICE_IDENTITY_CLUSTER_FIRST,
		  "the second gets a local number, got %u", id2);
	cr_expect_not(id_allocator_is_cluster(&a, k1), "%s trusted with a shared home", k1);
	cr_expect_not(id_allocator_is_cluster(&a, k2), "%s trusted with a local number", k2);
	cr_expect(id_allocator_is_cluster(&a, "pod:default:app=other"), "id %u not trusted", id3);
}

/* A restart reads the numbers back: a home stays, a number that is nobody's home is refused. */
Test(identity_home, restore_keeps_homes_refuses_strangers)
{
	const char *key = "pod:default:app=web";
	uint32_t home = identity_home(key);

	cr_expect_eq(id_allocator_restore(&a, key, home), 0, "its home");
	cr_expect_eq(id_allocator_get_home(&a, key), home, "after the restore");
	cr_expect_neq(identity_home("pod:default:app=db"), home);
	cr_expect_eq(id_allocator_restore(&b, "pod:default:app=db", home), -EINVAL,
		     "another label set's home");
	cr_expect_eq(id_allocator_restore(&a, "pod:default:app=old", 300), 0,
		     "a local number of an older agent");
}
