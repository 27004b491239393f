/* SPDX-License-Identifier: Apache-2.0 */
/* Names of the host-side veths sluice-cni creates. */
#ifndef SLUICE_CNI_NAMING_H
#define SLUICE_CNI_NAMING_H

#include <stdbool.h>
#include <net/if.h>

/* Every sluice host veth starts with this, so GC and operators can tell them apart. */
#define HOST_VETH_PREFIX "slc"

/*
 * The host veth name of a (container ID, interface) attachment: the prefix
 * and 12 hex digits of a hash of both, 15 characters in all. Stable, so DEL
 * and CHECK find the veth with nothing but the CNI environment.
 */
void host_veth_name(const char *container_id, const char *ifname, char name[IF_NAMESIZE]);
bool is_host_veth_name(const char *name);

/*
 * The CNI spec's rule for network names and container IDs: an alphanumeric
 * character, then alphanumerics, '_', '.' and '-'.
 */
bool cni_name_valid(const char *s);

#endif
