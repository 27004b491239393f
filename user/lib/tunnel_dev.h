/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The node's VXLAN device for VXLAN routing: collect-metadata ("external"),
 * so one device reaches every node and BPF sets each packet's far end.
 */
#ifndef SLUICE_TUNNEL_DEV_H
#define SLUICE_TUNNEL_DEV_H

/*
 * Finds SLUICE_VXLAN_DEVICE or makes it, up, with this MTU; a device of
 * that name that is not sluice's kind of VXLAN is replaced. Returns its
 * ifindex or a negative errno.
 */
int tunnel_dev_ensure(unsigned int mtu);
/* Deletes the device: 1 when it did, 0 when there was none. */
int tunnel_dev_remove(void);

#endif
