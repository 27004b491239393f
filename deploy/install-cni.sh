#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The DaemonSet's init container: installs sluice-cni (and the host-local
# IPAM plugin it delegates to) into the node's CNI binary directory and
# writes the network configuration for the node's pod CIDR, as other CNIs'
# installers do. Idempotent: a restart rewrites the same files.
#
# Environment:
#   NODE_NAME        this node (the downward API's spec.nodeName)
#   POD_CIDR         the node's pod range; when unset, read from the Node's
#                    spec.podCIDR through the API (in-cluster credentials)
#   CNI_BIN_DIR      where the plugins go        (default /host/opt/cni/bin)
#   CNI_CONF_DIR     where the conflist goes     (default /host/etc/cni/net.d)
#   CNI_CONF_NAME    the conflist's file name    (default 05-sluice.conflist)
#   SLUICE_BPFFS     the agent's pin root        (default /sys/fs/bpf/sluice)
#   SLUICE_BIN_DIR   where the image keeps them  (default /usr/local/bin)
#   IPAM_BIN         the host-local plugin       (default /usr/lib/cni/host-local)
#   KUBERNETES_SERVICE_HOST/PORT, SA_DIR: the API server and credentials
set -eu

CNI_BIN_DIR=${CNI_BIN_DIR:-/host/opt/cni/bin}
CNI_CONF_DIR=${CNI_CONF_DIR:-/host/etc/cni/net.d}
CNI_CONF_NAME=${CNI_CONF_NAME:-05-sluice.conflist}
SLUICE_BPFFS=${SLUICE_BPFFS:-/sys/fs/bpf/sluice}
SLUICE_BIN_DIR=${SLUICE_BIN_DIR:-/usr/local/bin}
IPAM_BIN=${IPAM_BIN:-/usr/lib/cni/host-local}
SA_DIR=${SA_DIR:-/var/run/secrets/kubernetes.io/serviceaccount}

die() {
	echo "install-cni: $*" >&2
	exit 1
}

# The node's pod CIDR from its Node object. A list with a field selector
# needs only the "list" the agent has anyway; the name is checked again here.
node_pod_cidr() {
	[ -n "${NODE_NAME:-}" ] || die "NODE_NAME is not set (give it spec.nodeName)"
	[ -n "${KUBERNETES_SERVICE_HOST:-}" ] || die "no POD_CIDR and no API server to ask"
	curl -fsS --max-time 30 --cacert "$SA_DIR/ca.crt" \
		-H "Authorization: Bearer $(cat "$SA_DIR/token")" \
		"https://$KUBERNETES_SERVICE_HOST:${KUBERNETES_SERVICE_PORT:-443}/api/v1/nodes?fieldSelector=metadata.name%3D$NODE_NAME" |
		jq -er --arg n "$NODE_NAME" \
			'[.items[] | select(.metadata.name == $n) | .spec.podCIDR // empty][0] // empty'
}

# Writes beside, then renames: the runtime never reads half a file.
install_file() {
	cp "$1" "$2.sluice-tmp"
	chmod 755 "$2.sluice-tmp"
	mv -f "$2.sluice-tmp" "$2"
}

pod_cidr=${POD_CIDR:-$(node_pod_cidr)} || die "cannot read node $NODE_NAME's spec.podCIDR"
[ -n "$pod_cidr" ] || die "node ${NODE_NAME:-?} has no spec.podCIDR (allocate node CIDRs, or set POD_CIDR)"
case $pod_cidr in
*:*) die "pod CIDR $pod_cidr is IPv6; sluice pods are IPv4 only for now" ;;
*/*) ;;
*) die "pod CIDR '$pod_cidr' is not a CIDR" ;;
esac

mkdir -p "$CNI_BIN_DIR" "$CNI_CONF_DIR"
install_file "$SLUICE_BIN_DIR/sluice-cni" "$CNI_BIN_DIR/sluice-cni"
[ -x "$CNI_BIN_DIR/host-local" ] || install_file "$IPAM_BIN" "$CNI_BIN_DIR/host-local"
jq -n --arg subnet "$pod_cidr" --arg bpffs "$SLUICE_BPFFS" '{
	cniVersion: "1.0.0", name: "sluice",
	plugins: [{type: "sluice-cni", bpffs: $bpffs,
		ipam: {type: "host-local", ranges: [[{subnet: $subnet}]]}}]}' \
	>"$CNI_CONF_DIR/$CNI_CONF_NAME.sluice-tmp"
mv -f "$CNI_CONF_DIR/$CNI_CONF_NAME.sluice-tmp" "$CNI_CONF_DIR/$CNI_CONF_NAME"
echo "install-cni: sluice-cni in $CNI_BIN_DIR, $CNI_CONF_DIR/$CNI_CONF_NAME for $pod_cidr"
