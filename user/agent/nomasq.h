/* SPDX-License-Identifier: Apache-2.0 */
/* --non-masquerade-cidrs: destinations pods reach with their own address. */
#ifndef SLUICE_AGENT_NOMASQ_H
#define SLUICE_AGENT_NOMASQ_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/pins.h"
#include "policy/netpol.h"

struct nomasq {
	struct np_cidr cidrs[SLUICE_NOMASQ_MAX];
	size_t n;
};

/* "10.0.0.0/8,192.168.0.0/16": false, with why, for a bad, missing or extra CIDR. */
bool nomasq_parse(struct nomasq *o, const char *list, char *why, size_t len);
/* Makes sluice_nomasq4 exactly o; the entries that stay are never removed meanwhile. */
int nomasq_write(const struct sluice_pins *pins, const struct nomasq *o);

#endif
