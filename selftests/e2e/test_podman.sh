# SPDX-License-Identifier: Apache-2.0
# sluice-cni driven by a real runtime: podman 4 with its CNI backend (libcni),
# which probes VERSION with dummy values, passes IgnoreUnknown CNI_ARGS, and
# runs DEL with its cached prevResult.

# podman with all of its state in this test's directory, run on node n1.
pm() {
	on_node n1 env CONTAINERS_CONF="$E2E_DIR/containers.conf" podman \
		--root "$E2E_DIR/podman/storage" --runroot "$E2E_DIR/podman/run" \
		--storage-driver vfs "$@"
}

# A one-binary image (busybox) built offline: no registry is reachable.
podman_setup() {
	local rootfs=$E2E_DIR/rootfs applet
	mkdir -p "$rootfs/bin" "$E2E_DIR/cni.d"
	cp /bin/busybox "$rootfs/bin/"
	for applet in sh sleep ping nc; do ln -s busybox "$rootfs/bin/$applet"; done
	cat >"$E2E_DIR/containers.conf" <<-CONF
		[network]
		network_backend = "cni"
		cni_plugin_dirs = ["$SLUICE_BIN", "$CNI_PLUGIN_DIR"]
		network_config_dir = "$E2E_DIR/cni.d"
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
	CONF
	cni_conf n1 | jq '{cniVersion, name, plugins: [del(.name, .cniVersion)]}' \
		>"$E2E_DIR/cni.d/podnet.conflist"
	on_cleanup pm rm -af -t 0 ">/dev/null 2>&1"
	# libcni keeps its result cache in /var/lib/cni/results, wherever podman
	# keeps the rest: a machine that had none gets none back (rmdir takes
	# only what is empty, so another runtime's cache there stays).
	[[ -e /var/lib/cni ]] ||
		on_cleanup "rmdir /var/lib/cni/results /var/lib/cni 2>/dev/null || true"
	tar -C "$rootfs" -c . | pm import - localhost/sluice-e2e-busybox >/dev/null ||
		fail "podman import"
}

# podman asks runc for limits of about a million, which this machine may not
# grant (EPERM); modest ones that any machine grants do for sleep and ping.
PODMAN_NOFILE=1024
PODMAN_NPROC=4096

pm_run() {
	local name=$1
	shift
	pm run -d --network podnet --name "$name" \
		--ulimit "nofile=$PODMAN_NOFILE:$PODMAN_NOFILE" \
		--ulimit "nproc=$PODMAN_NPROC:$PODMAN_NPROC" \
		localhost/sluice-e2e-busybox "$@" >/dev/null || fail "podman run $name"
}

container_ip() {
	sluice_cli n1 -j endpoint list | jq -r --arg n "$1" '.[] | select(.pod_name == $n) | .address'
}

test_podman_containers_on_sluice() {
	local ip1 ip2 lease
	command -v podman >/dev/null || fail "podman is not installed (tools/install-deps.sh installs it)"
	node_create n1
	agent_start n1
	podman_setup
	pm_run c1 sleep 120
	pm_run c2 sleep 120
	ip1=$(container_ip c1)
	ip2=$(container_ip c2)
	[[ -n $ip1 && -n $ip2 ]] || fail "endpoints: $(sluice_cli n1 endpoint list)"
	pm exec c1 ping -c 2 -W 2 "$ip2" >/dev/null || fail "ping c1 -> c2"
	pm exec c2 ping -c 2 -W 2 "$ip1" >/dev/null || fail "ping c2 -> c1"
	lease=$E2E_DIR/ipam-n1/podnet/$ip1
	[[ -e $lease ]] || fail "no lease for c1"
	pm rm -f -t 0 c1 >/dev/null || fail "podman rm c1"
	[[ -z $(container_ip c1) ]] || fail "c1's endpoint left after podman rm"
	[[ ! -e $lease ]] || fail "c1's lease left after podman rm"
	[[ $(on_node n1 ip -br link | grep -c '^slc') == 1 ]] || fail "c1's veth left"
	pm exec c2 ping -c 1 -W 2 "$ip2" >/dev/null || fail "c2 broken by c1's removal"
}
