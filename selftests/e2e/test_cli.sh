# SPDX-License-Identifier: Apache-2.0
# The sluice CLI as an operator meets it: help, errors, JSON, prefixes.

# The README's usage block is the help text, word for word.
test_cli_help_matches_readme() {
	local readme help
	readme=$(sed -n '/<!-- usage: begin/,/<!-- usage: end/p' "$SLUICE_ROOT/README.md" |
		sed '1,2d;$d' | sed '$d')
	help=$("$SLUICE_BIN/sluice" help 2>&1)
	[[ -n $readme ]] || fail "no usage block in README.md"
	diff <(echo "$readme") <(echo "$help") || fail "README usage and 'sluice help' differ"
}

test_cli_errors_and_json() {
	local out rc
	out=$("$SLUICE_BIN/sluice" frobnicate 2>&1) && fail "unknown object accepted"
	[[ $out == *"unknown object 'frobnicate'"* ]] || fail "message: $out"
	set +e
	"$SLUICE_BIN/sluice" frobnicate >/dev/null 2>&1
	rc=$?
	set -e
	[[ $rc == 2 ]] || fail "usage errors exit 2, got $rc"
	out=$("$SLUICE_BIN/sluice" -j endpoint frob 2>/dev/null) && fail "unknown verb accepted"
	[[ $(jq -r .error <<<"$out") == "unknown verb 'frob'" ]] || fail "JSON error: $out"
	out=$("$SLUICE_BIN/sluice" s 2>&1) && fail "ambiguous prefix accepted"
	[[ $out == *ambiguous* ]] || fail "ambiguous: $out"
	out=$("$SLUICE_BIN/sluice" --bpffs relative status 2>&1) && fail "relative --bpffs accepted"
	[[ $out == *"absolute path"* ]] || fail "relative bpffs: $out"
	out=$("$SLUICE_BIN/sluice" agent 2>&1) && fail "agent without a node name started"
	[[ $out == *"--node-name"* ]] || fail "agent without node name: $out"
	out=$("$SLUICE_BIN/sluice" agent --node-name n1 --routing geneve 2>&1) &&
		fail "agent with an unknown routing mode started"
	[[ $out == *"--routing is vxlan or native"* ]] || fail "bad --routing: $out"
	out=$("$SLUICE_BIN/sluice" agent --node-name n1 --non-masquerade-cidrs 10.0.0.1/8 2>&1) &&
		fail "agent with a bad non-masquerade CIDR started"
	[[ $out == *"--non-masquerade-cidrs: '10.0.0.1/8'"* ]] || fail "bad CIDR: $out"
	out=$("$SLUICE_BIN/sluice" agent --node-name n1 --pod-cidr 10.244.1.0 2>&1) &&
		fail "agent with a bad pod CIDR started"
	[[ $out == *"--pod-cidr wants an IPv4 network"* ]] || fail "bad --pod-cidr: $out"
	out=$("$SLUICE_BIN/sluice" agent --node-name x --manifests /nonexistent 2>&1) &&
		fail "agent with a missing manifests dir started"
	[[ $out == *"--manifests /nonexistent"* ]] || fail "manifests: $out"
	out=$("$SLUICE_BIN/sluice" -j status --bpffs "/sys/fs/bpf/$E2E_PREFIX-none") &&
		fail "status ready with no pins"
	[[ $(jq -r .ready <<<"$out") == false ]] || fail "status JSON: $out"
}

test_cli_prefixes_and_json_output() {
	node_create n1
	agent_start n1
	pod_add n1 pa
	[[ $(sluice_cli n1 -j en l | jq -r '.[0].pod_name') == pa ]] || fail "'en l' prefix"
	[[ $(sluice_cli n1 -p stats | jq -r '.[0].verdict') == redirect-local ]] || fail "stats -p"
	[[ $(sluice_cli n1 -j version | jq -r .abi) == 1 ]] || fail "version JSON"
	# Map pressure: entries in use against capacity.
	[[ $(sluice_cli n1 -j status | jq -c '[.endpoints, .endpoint_capacity]') == "[1,1024]" ]] ||
		fail "status endpoints: $(sluice_cli n1 -j status)"
	# A second agent on the same pin root is refused.
	! on_node n1 "$SLUICE_BIN/sluice" agent --node-name n1 --bpffs "$(pin_root n1)" \
		>/dev/null 2>&1 || fail "a second agent took the same pin root"
}
