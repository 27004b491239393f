/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy maps of the test skeleton (fx_skel), written by hand the way
 * the agent's writer fills them: identities of addresses, one allow table
 * per endpoint and direction, the monitor switch; and read back what the
 * programs leave: drop counters and events. Addresses and ports are in
 * host order here and converted at the map; every failure asserts, naming
 * the map.
 */
#ifndef SLUICE_SELFTEST_POLICY_MAPS_H
#define SLUICE_SELFTEST_POLICY_MAPS_H

#include <stddef.h>
#include <linux/types.h>
#include <sluice/abi.h>

/* A rule's protocol meaning every protocol and port: the identity alone. */
#define PM_PROTO_ANY 0
/*
 * A rule's protocol marking the catch-all entry (prefix 0) that keeps a
 * direction open; IANA reserves 255, so no flow has it.
 */
#define PM_PROTO_CATCH_ALL 255
/* The whole port space, as a rule's range. */
#define PM_PORT_FIRST 0
#define PM_PORT_LAST 0xffff
/* Bits of a policy key's port: a range prefix spans SLUICE_POLICY_KEY_BITS minus some. */
#define PM_PORT_BITS 16
/* Entries each test table holds at most: a few rules, a range a few dozen prefixes. */
#define PM_TABLE_MAX 256
/* Events one read collects at most: far more than any test step makes. */
#define PM_EVENTS_MAX 32

/* What one allow rule of a table lets through. */
struct pm_rule {
	__u32 identity;		/* the peer's, or SLUICE_IDENTITY_ANY */
	__u8 proto;		/* IPPROTO_*, or PM_PROTO_ANY for every protocol and port */
	__u16 port_first;	/* ports port_first..port_last of proto */
	__u16 port_last;
	__u32 policy_id;	/* what the entries' value names */
};

/* Gives the addresses of addr/prefixlen (host order) identity in sluice_ipcache4. */
void pm_set_identity(__u32 addr, __u32 prefixlen, __u32 identity);

/* A new allow table with nothing in it, which allows nothing; its fd. */
int pm_table_new(void);

/*
 * Writes rule into table fd: one entry for every protocol (the identity's
 * 32 bits), a single port (all 64) or the catch-all (none), else the
 * prefixes covering the range. Returns the entries written.
 */
__u32 pm_table_add(int fd, const struct pm_rule *rule);

/* Removes the catch-all entry from table fd, isolating its direction in place. */
void pm_table_del_catch_all(int fd);

/* A new fd of endpoint addr's table in dir, which the program reads now. */
int pm_table_of(enum sluice_direction dir, __u32 addr);

/*
 * Makes a table of the n rules endpoint addr's table in dir, replacing any
 * it had whole, as the agent swaps them; n 0 isolates it, allowing nothing.
 */
void pm_set_policy(enum sluice_direction dir, __u32 addr, const struct pm_rule *rules,
		   size_t n);

/* Sets how many monitors asked for ALLOW events (sluice_monitor slot 0). */
void pm_set_allow_events(__u32 monitors);

/* The drops counted for endpoint addr and reason, summed over CPUs; zero if none. */
struct sluice_counter pm_drops(__u32 addr, enum sluice_verdict reason);

/* Keys in sluice_drops: the (endpoint, reason) pairs that saw a drop. */
__u32 pm_drop_keys(void);

/*
 * Takes every event waiting in sluice_events, oldest first, into ev (room
 * for PM_EVENTS_MAX); returns how many there were.
 */
size_t pm_read_events(struct sluice_event ev[PM_EVENTS_MAX]);

#endif
