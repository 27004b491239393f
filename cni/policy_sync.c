// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "policy_sync.h"
#include "lib/agent_notify.h"
#include "lib/field.h"
#include "lib/policy_tables.h"

/*
 * How long ADD waits for the agent: a flush takes milliseconds, but the
 * agent may be busy with a burst of API events; kubelet retries a failed ADD.
 */
#define POLICY_SYNC_TIMEOUT_MS 10000

static const char *const table_maps[] = {
	SLUICE_STR(SLUICE_MAP_POLICY_IN),
	SLUICE_STR(SLUICE_MAP_POLICY_OUT),
};

/* The pod's drop counters, so a later pod with its address starts from zero. */
static void drops_remove(const struct sluice_pins *pins, const struct sluice_endpoint_key *key)
{
	int fd = pins_open_map(pins, SLUICE_STR(SLUICE_MAP_DROPS));
	__u32 reason;

	if (fd < 0)
		return;
	for (reason = 0; reason < SLUICE_VERDICT_MAX; reason++) {
		struct sluice_drop_key k = { .endpoint = key->addr[0], .reason = reason };

		bpf_map_delete_elem(fd, &k);
	}
	close(fd);
}

void policy_state_remove(const struct sluice_pins *pins, const struct sluice_endpoint_key *key)
{
	size_t i;

	for (i = 0; i < sizeof(table_maps) / sizeof(table_maps[0]); i++) {
		int fd = pins_open_map(pins, table_maps[i]);

		if (fd < 0)
			continue;
		bpf_map_delete_elem(fd, key);
		close(fd);
	}
	if (key->family == SLUICE_FAMILY_IPV4)
		drops_remove(pins, key);
}

int policy_sync(struct cni_ctx *ctx)
{
	char why[256];
	int ret = agent_notify_request(&ctx->pins, POLICY_SYNC_TIMEOUT_MS, why, sizeof(why));

	if (!ret)
		return 0;
	if ((ret == -ECONNREFUSED || ret == -ENOENT) && !policy_isolating_tables(&ctx->pins, 1))
		return 0;
	return cni_fail(&ctx->err, CNI_ERR_TRY_AGAIN, "the pod's network policy is not in place",
			"%s; NetworkPolicy is enforced on this node, so the pod waits for a "
			"running, synced sluice agent", why);
}
