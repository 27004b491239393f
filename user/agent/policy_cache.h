/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the policy reconciler's two files share: the cached objects
 * (policy_cache.c keeps them from events) as the flush (policies.c) reads
 * them.
 */
#ifndef SLUICE_AGENT_POLICY_CACHE_H
#define SLUICE_AGENT_POLICY_CACHE_H

#include "agent/policies.h"
#include "policy/netpol.h"
#include "policy/objects.h"

/* "namespace/name". */
#define KEY_LEN (SLUICE_K8S_NAMESPACE_LEN + SLUICE_K8S_NAME_LEN)
/* The label the API server gives every namespace; policies select namespaces by it. */
#define NS_NAME_LABEL "kubernetes.io/metadata.name"

/* Every cached entry starts with its key. */
struct pod_entry {
	char key[KEY_LEN];
	struct pol_pod pod;
};

struct ns_entry {
	char key[KEY_LEN];
	struct pol_namespace ns;
};

struct np_entry {
	char key[KEY_LEN];
	struct netpol np;
};

/* A tree's entries, in key order. */
struct entries {
	void **v;
	size_t n, cap;
};

/* Fills es with a cache's entries (p->pods, p->nss or p->nps), in key order. 0 or -ENOMEM. */
int policy_cache_collect(void *tree, struct entries *es);
/* bsearch()'s comparison of a key with an entry of struct entries. */
int policy_cache_key_cmp(const void *key, const void *elem);
/* The first change since the last flush starts the clock of how long applying took. */
void policies_mark_dirty(struct policies *p);
/* Frees the caches' entries. */
void policy_caches_free(struct policies *p);

#endif
