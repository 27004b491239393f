# SPDX-License-Identifier: Apache-2.0
# The DaemonSet's CNI installer (deploy/install-cni.sh) against a stand-in
# API server: it finds its node's pod CIDR, installs the plugins and writes
# a conflist that the real plugin and agent then use to wire a pod.

source "$SLUICE_ROOT/selftests/e2e/lib_api.sh"

test_install_cni_writes_a_working_conflist() {
	local sa=$E2E_DIR/sa bin=$E2E_DIR/opt-cni-bin conf=$E2E_DIR/net.d list out
	api_node
	api_do '[{"apply": {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n0"},
		"spec": {"podCIDR": "10.244.8.0/24"}}},
		{"apply": {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"},
		"spec": {"podCIDR": "10.244.9.0/24"}}}]' >/dev/null
	mkdir -p "$sa"
	cp "$E2E_DIR/tls/ca.crt" "$sa/ca.crt"
	printf '%s' "$API_TOKEN" >"$sa/token"
	# As the init container runs it: in the node's namespace, the API at its address.
	on_node n1 env NODE_NAME=n1 KUBERNETES_SERVICE_HOST=127.0.0.1 \
		KUBERNETES_SERVICE_PORT="$API_PORT" SA_DIR="$sa" CNI_BIN_DIR="$bin" \
		CNI_CONF_DIR="$conf" SLUICE_BIN_DIR="$SLUICE_BIN" \
		IPAM_BIN="$CNI_PLUGIN_DIR/host-local" SLUICE_BPFFS="$(pin_root n1)" \
		sh "$SLUICE_ROOT/deploy/install-cni.sh" || fail "install-cni.sh failed"
	[[ -x $bin/sluice-cni && -x $bin/host-local ]] || fail "plugins not installed: $(ls "$bin")"
	list=$(cat "$conf/05-sluice.conflist")
	[[ $(jq -r '.plugins[0].ipam.ranges[0][0].subnet' <<<"$list") == 10.244.9.0/24 ]] ||
		fail "conflist for the wrong CIDR: $list"
	[[ $(api_requests '.path == "/api/v1/nodes" and .auth == "ok" and
		(.query.fieldSelector // "") == "metadata.name=n1"') == 1 ]] ||
		fail "the installer did not list its own node with the token"

	# The installed plugin, run by its conflist, wires a pod the agent serves.
	agent_start n1
	ip netns add "$E2E_PREFIX-p1"
	out=$(CNI_PATH_DIRS="$bin" cni_chain n1 ADD ctr-p1 "/var/run/netns/$E2E_PREFIX-p1" eth0 \
		"$(jq --arg d "$E2E_DIR/ipam" '.plugins[0].ipam.dataDir = $d' <<<"$list")") ||
		fail "ADD through the installed conflist: $out"
	[[ $(jq -r '.ips[0].address' <<<"$out") == 10.244.9.* ]] || fail "pod address: $out"
	sluice_cli n1 endpoint list | grep -q 10.244.9. || fail "no endpoint for the pod"

	# A node without a pod CIDR, or an IPv6 one, is refused with the reason.
	out=$(POD_CIDR=fd00::/64 CNI_BIN_DIR="$bin" CNI_CONF_DIR="$conf" \
		SLUICE_BIN_DIR="$SLUICE_BIN" sh "$SLUICE_ROOT/deploy/install-cni.sh" 2>&1) &&
		fail "an IPv6 pod CIDR was accepted"
	[[ $out == *IPv6* ]] || fail "IPv6 refusal: $out"
	out=$(env -u KUBERNETES_SERVICE_HOST NODE_NAME=n1 CNI_BIN_DIR="$bin" CNI_CONF_DIR="$conf" \
		sh "$SLUICE_ROOT/deploy/install-cni.sh" 2>&1) && fail "no CIDR and no API accepted"
	[[ $out == *"no POD_CIDR and no API server"* ]] || fail "missing CIDR: $out"
}
