# SPDX-License-Identifier: Apache-2.0
# sluice-cni against the CNI spec: versions, errors, chaining, CHECK, STATUS.

# Runs sluice-cni expecting failure with a CNI error of code $1; prints the error.
expect_cni_error() {
	local code=$1 out
	shift
	out=$("$@") && fail "expected CNI error $code, got success: $out"
	[[ $(jq -r .code <<<"$out") == "$code" ]] || fail "expected code $code, got: $out"
	[[ -n $(jq -r .msg <<<"$out") ]] || fail "error without msg: $out"
}

# Nothing of an attachment is left: no host veth, no endpoint, no lease but $2.
expect_nothing_left() {
	local node=$1 keep_leases=${2:-0} leases
	! on_node "$node" ip -br link | grep -q '^slc' || fail "veth left: $(on_node "$node" ip -br link)"
	if [[ -e $(pin_root "$node") ]]; then
		[[ $(sluice_cli "$node" -j endpoint list | jq length) == "$keep_leases" ]] ||
			fail "endpoints left: $(sluice_cli "$node" -j endpoint list)"
	fi
	leases=$(ls "$E2E_DIR/ipam-$node/podnet" 2>/dev/null | grep -vc -e lock -e last_reserved || true)
	[[ $leases == "$keep_leases" ]] || fail "$leases IPAM leases, want $keep_leases"
}

test_add_without_agent_asks_to_retry() {
	local conf
	node_create n1
	ip netns add "$E2E_PREFIX-pa"
	conf=$(cni_conf n1)
	expect_cni_error 11 cni_exec n1 ADD ctr-pa "/var/run/netns/$E2E_PREFIX-pa" eth0 "$conf"
	expect_nothing_left n1
	conf=$(cni_conf n1 10.244.1.0/24 1.1.0)
	expect_cni_error 50 cni_exec n1 STATUS "" "" "" "$conf"
	agent_start n1
	cni_exec n1 STATUS "" "" "" "$conf" >/dev/null || fail "STATUS with the agent up"
	# Pins stay when the agent stops: pods can still be added.
	agent_stop n1
	cni_exec n1 STATUS "" "" "" "$conf" >/dev/null || fail "STATUS with pins but no agent"
	pod_add n1 pb
}

test_failed_add_leaves_nothing() {
	local conf
	node_create n1
	agent_start n1
	# A /30 has one address for pods: the second ADD fails inside IPAM, whose
	# own error code (host-local uses 999) reaches the runtime unchanged.
	conf=$(cni_conf n1 10.244.9.0/30)
	pod_add n1 pa "$conf"
	ip netns add "$E2E_PREFIX-pb"
	expect_cni_error 999 cni_exec n1 ADD ctr-pb "/var/run/netns/$E2E_PREFIX-pb" eth0 "$conf"
	expect_nothing_left_but_pa
	# The pod namespace has an eth0 already: fails after IPAM, which must be undone.
	ip -n "$E2E_PREFIX-pb" link add eth0 type veth peer name eth0-peer
	pod_del n1 pa "$conf"
	expect_cni_error 101 cni_exec n1 ADD ctr-pb "/var/run/netns/$E2E_PREFIX-pb" eth0 "$conf"
	expect_nothing_left n1
	# A repeated ADD is refused without touching the live attachment.
	pod_add n1 pc "$conf"
	expect_cni_error 101 cni_exec n1 ADD ctr-pc "/var/run/netns/$E2E_PREFIX-pc" eth0 "$conf"
	expect_nothing_left_but_pc
}

# Helpers for the above: exactly one attachment (the named pod's) remains.
expect_nothing_left_but_pa() { expect_one_left pa; }
expect_nothing_left_but_pc() { expect_one_left pc; }
expect_one_left() {
	[[ $(sluice_cli n1 -j endpoint list | jq -r '.[].container_id') == "ctr-$1" ]] ||
		fail "endpoints: $(sluice_cli n1 -j endpoint list)"
	[[ -e $E2E_DIR/ipam-n1/podnet/$(pod_ip "$1") ]] || fail "lease of $1 lost"
	[[ $(on_node n1 ip -br link | grep -c '^slc') == 1 ]] || fail "veths: $(on_node n1 ip -br link)"
	in_pod "$1" ip -4 addr show dev eth0 | grep -q "$(pod_ip "$1")" || fail "$1 lost its address"
}

test_bad_input_gets_cni_errors() {
	local conf ns
	node_create n1
	agent_start n1
	ns=/var/run/netns/$E2E_PREFIX-pa
	ip netns add "$E2E_PREFIX-pa"
	conf=$(cni_conf n1)
	expect_cni_error 6 cni_exec n1 ADD ctr-pa "$ns" eth0 '{"cniVersion": "1.0.0", '
	expect_cni_error 1 cni_exec n1 ADD ctr-pa "$ns" eth0 "$(jq '.cniVersion = "9.0.0"' <<<"$conf")"
	expect_cni_error 7 cni_exec n1 ADD ctr-pa "$ns" eth0 "$(jq 'del(.ipam)' <<<"$conf")"
	expect_cni_error 7 cni_exec n1 ADD ctr-pa "$ns" eth0 "$(jq '.ipam.type = "no-such-ipam"' <<<"$conf")"
	expect_cni_error 7 cni_exec n1 ADD ctr-pa "$ns" eth0 "$(jq '.bpffs = "relative"' <<<"$conf")"
	expect_cni_error 4 cni_exec n1 ADD ctr-pa "" eth0 "$conf"
	expect_cni_error 4 cni_exec n1 ADD ctr-pa /var/run/netns/none-such eth0 "$conf"
	expect_cni_error 4 cni_exec n1 ADD "bad id" "$ns" eth0 "$conf"
	expect_cni_error 4 cni_exec n1 ADD ctr-pa "$ns" "eth0/x" "$conf"
	expect_cni_error 4 cni_exec n1 ADD ctr-pa "$ns" eth0 "$conf" "K8S_POD_NAME"
	expect_cni_error 4 cni_exec n1 FROB ctr-pa "$ns" eth0 "$conf"
	expect_cni_error 2 cni_exec n1 ADD ctr-pa "$ns" eth0 "$(jq '. + {prevResult: {}}' <<<"$conf")"
	expect_nothing_left n1
}

# libcni probes VERSION with dummy values; each spec version gets its own result shape.
test_versions_and_result_shapes() {
	local out
	node_create n1
	agent_start n1
	out=$(printf '{"cniVersion":"1.1.0"}' | env -i CNI_COMMAND=VERSION CNI_CONTAINERID=dummy \
		CNI_NETNS=dummy CNI_IFNAME=dummy CNI_PATH=dummy "$SLUICE_BIN/sluice-cni") ||
		fail "VERSION: $out"
	[[ $(jq -c .supportedVersions <<<"$out") == '["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]' ]] ||
		fail "VERSION answer: $out"
	pod_add n1 pa "$(cni_conf n1 10.244.1.0/24 0.4.0)"
	[[ $(jq -r '.ips[0].version' "$E2E_DIR/result-pa.json") == 4 ]] || fail "0.4.0 ips[].version"
	pod_add n1 pb "$(cni_conf n1 10.244.1.0/24 1.1.0)"
	# The agent asks for the VXLAN tunnel's MTU: Ethernet's 1500 less 50 bytes of headers.
	[[ $(jq -r '.interfaces[1].mtu' "$E2E_DIR/result-pb.json") == 1450 ]] || fail "1.1.0 mtu"
	[[ $(jq -r '.ips[0].version' "$E2E_DIR/result-pb.json") == null ]] || fail "1.1.0 has no version"
	in_pod pa ping -c 1 -W 2 "$(pod_ip pb)" >/dev/null || fail "ping across versions"
}

# A conflist with a chained plugin after sluice-cni, run as libcni runs it.
test_conflist_chain_with_tuning() {
	local list result ns=/var/run/netns/$E2E_PREFIX-pa
	node_create n1
	agent_start n1
	ip netns add "$E2E_PREFIX-pa"
	list=$(cni_conf n1 | jq '{cniVersion, name, plugins: [del(.name, .cniVersion),
		{type: "tuning", sysctl: {"net.ipv4.conf.eth0.rp_filter": "2"}}]}')
	result=$(cni_chain n1 ADD ctr-pa "$ns" eth0 "$list") || fail "chain ADD: $result"
	[[ $(jq -r '.interfaces[1].name' <<<"$result") == eth0 ]] || fail "tuning dropped our result: $result"
	[[ $(in_pod pa sysctl -n net.ipv4.conf.eth0.rp_filter) == 2 ]] || fail "tuning did not run"
	cni_chain n1 CHECK ctr-pa "$ns" eth0 "$list" "$result" >/dev/null || fail "chain CHECK"
	cni_chain n1 DEL ctr-pa "$ns" eth0 "$list" "$result" >/dev/null || fail "chain DEL"
	expect_nothing_left n1
}

# CHECK passes on a fresh attachment and names what broke afterwards.
test_check_finds_broken_attachments() {
	local conf host key ns=/var/run/netns/$E2E_PREFIX-pa
	node_create n1
	agent_start n1
	pod_add n1 pa
	conf=$(cni_conf n1 | jq --slurpfile p "$E2E_DIR/result-pa.json" '. + {prevResult: $p[0]}')
	cni_exec n1 CHECK ctr-pa "$ns" eth0 "$conf" >/dev/null || fail "CHECK after ADD"
	expect_cni_error 7 cni_exec n1 CHECK ctr-pa "$ns" eth0 "$(jq 'del(.prevResult)' <<<"$conf")"
	host=$(jq -r '.interfaces[0].name' "$E2E_DIR/result-pa.json")
	on_node n1 tc filter del dev "$host" ingress
	expect_cni_error 103 cni_exec n1 CHECK ctr-pa "$ns" eth0 "$conf"
	agent_stop n1
	agent_start n1	# the agent's sync puts the programs back
	cni_exec n1 CHECK ctr-pa "$ns" eth0 "$conf" >/dev/null || fail "CHECK after the agent repaired"
	in_pod pa ip route del default
	expect_cni_error 103 cni_exec n1 CHECK ctr-pa "$ns" eth0 "$conf"
	in_pod pa ip route add default via 169.254.1.1 dev eth0
	# Remove the datapath entry behind the plugin's back, as a buggy tool might.
	key=$(bpftool -j map dump pinned "$(pin_root n1)/maps/sluice_endpoint" | jq -r '.[0].key | join(" ")')
	bpftool map delete pinned "$(pin_root n1)/maps/sluice_endpoint" key hex $key
	expect_cni_error 103 cni_exec n1 CHECK ctr-pa "$ns" eth0 "$conf"
}
