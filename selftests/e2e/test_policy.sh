# SPDX-License-Identifier: Apache-2.0
# NetworkPolicy end to end, as the upstream network-policy suite tests it:
# namespaces x, y, z with pods a, b, c, each serving TCP and UDP on ports
# 80 and 81; every case applies policies, probes every pod pair on every
# port and protocol, and compares the whole matrix with the expected one.
# Self-connections never leave the pod and are not probed.

NP_NAMESPACES=(x y z)
NP_PODS=(a b c)
NP_PORTS=80,81
# How long a probe waits: a dropped SYN or datagram never gets an answer.
NP_PROBE_TIMEOUT=1
# Probe rounds a case gets: the agent applies a change in milliseconds, but a
# manifest written just before the first round may not have been read yet.
NP_ROUNDS=4
# The servers outlive the longest test (run.sh stops a test after 300 s).
NP_SERVE_S=300
NETPOL=(python3 "$SLUICE_ROOT/selftests/e2e/tools/netpol.py")

# Writes a manifest for node n1 from stdin: written beside, then renamed in.
np_manifest() {
	local dir
	dir=$(manifest_dir n1)
	cat >"$dir/$1.json.tmp"
	mv "$dir/$1.json.tmp" "$dir/$1.json"
}

np_remove() { rm -f "$(manifest_dir n1)/$1.json"; }

# np_namespace NAME [LABELS_JSON]
np_namespace() {
	jq -n --arg n "$1" --argjson l "${2:-"{\"ns\": \"$1\"}"}" \
		'{apiVersion: "v1", kind: "Namespace", metadata: {name: $n, labels: $l}}' |
		np_manifest "ns-$1"
}

# np_pod NS NAME [LABELS_JSON]: each pod names its ports as upstream's do.
np_pod() {
	jq -n --arg ns "$1" --arg n "$2" --argjson l "${3:-"{\"pod\": \"$2\"}"}" '{
		apiVersion: "v1", kind: "Pod",
		metadata: {namespace: $ns, name: $n, labels: $l},
		spec: {containers: [{name: "c", ports: [
			{name: "serve-80-tcp", containerPort: 80, protocol: "TCP"},
			{name: "serve-80-udp", containerPort: 80, protocol: "UDP"},
			{name: "serve-81-tcp", containerPort: 81, protocol: "TCP"},
			{name: "serve-81-udp", containerPort: 81, protocol: "UDP"}]}]}}' |
		np_manifest "pod-$1-$2"
}

# np_policy NS NAME SPEC_JSON
np_policy() {
	jq -n --arg ns "$1" --arg n "$2" --argjson spec "$3" '{
		apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy",
		metadata: {namespace: $ns, name: $n}, spec: $spec}' | np_manifest "np-$1-$2"
}

np_ip() { pod_ip "$1-$2"; }

# The nine pods, their servers and the agent on node n1.
np_cluster() {
	local ns p
	node_create n1
	agent_start n1
	for ns in "${NP_NAMESPACES[@]}"; do
		np_namespace "$ns"
		for p in "${NP_PODS[@]}"; do np_pod "$ns" "$p"; done
	done
	for ns in "${NP_NAMESPACES[@]}"; do
		for p in "${NP_PODS[@]}"; do
			POD_NS=$ns POD_NAME=$p pod_add n1 "$ns-$p"
			bg_in_pod "$ns-$p" "${NETPOL[@]}" serve --lifetime "$NP_SERVE_S" 80 81
		done
	done
	for ns in "${NP_NAMESPACES[@]}"; do
		for p in "${NP_PODS[@]}"; do tcp_wait_listen "$ns-$p" 81; done
	done
}

# Probes every pair from every pod at once into $E2E_DIR/observed.
np_probe() {
	local targets=() others=() pids=() ns p t
	for ns in "${NP_NAMESPACES[@]}"; do
		for p in "${NP_PODS[@]}"; do targets+=("$ns/$p=$(np_ip "$ns" "$p")"); done
	done
	for ns in "${NP_NAMESPACES[@]}"; do
		for p in "${NP_PODS[@]}"; do
			others=()
			for t in "${targets[@]}"; do [[ $t == "$ns/$p="* ]] || others+=("$t"); done
			in_pod "$ns-$p" "${NETPOL[@]}" probe --src "$ns/$p" --timeout "$NP_PROBE_TIMEOUT" \
				--ports "$NP_PORTS" "${others[@]}" >"$E2E_DIR/probe-$ns-$p" &
			pids+=($!)
		done
	done
	wait "${pids[@]}"
	cat "$E2E_DIR"/probe-* >"$E2E_DIR/observed"
}

# Expectations on stdin ("SRC DST PROTO/PORT 0|1", globs, last match wins);
# probes until the whole matrix holds, NP_ROUNDS rounds at most.
np_expect() {
	local i
	cat >"$E2E_DIR/expect"
	for ((i = 1; i <= NP_ROUNDS; i++)); do
		np_probe
		"${NETPOL[@]}" check "$E2E_DIR/expect" "$E2E_DIR/observed" >"$E2E_DIR/check.out" &&
			return 0
		sleep 0.2
	done
	cat "$E2E_DIR/check.out" >&2
	tail -n 30 "$E2E_DIR/agent-n1.log" >&2
	fail "reachability is not the expected matrix after $NP_ROUNDS rounds"
}

# Everything reaches everything.
np_all_open() { echo '* * * 1' | np_expect; }

test_netpol_no_policy_everything_open() {
	np_cluster
	np_all_open
}

test_netpol_default_deny_ingress_and_egress() {
	np_cluster
	np_policy x deny-in '{"podSelector": {}, "policyTypes": ["Ingress"]}'
	np_expect <<-EOF
		* * * 1
		* x/* * 0
	EOF
	np_remove np-x-deny-in
	np_policy x deny-out '{"podSelector": {}, "policyTypes": ["Egress"]}'
	np_expect <<-EOF
		* * * 1
		x/* * * 0
	EOF
	# Both at once: x talks to nobody, nobody to x.
	np_policy x deny-in '{"podSelector": {}, "policyTypes": ["Ingress"]}'
	np_expect <<-EOF
		* * * 1
		x/* * * 0
		* x/* * 0
	EOF
}

test_netpol_allow_same_namespace_and_namespace_selector() {
	np_cluster
	np_policy x same-ns '{"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]}'
	np_expect <<-EOF
		* * * 1
		* x/* * 0
		x/* x/* * 1
	EOF
	np_remove np-x-same-ns
	# x/a takes ingress from namespace y only (matchExpressions In).
	np_policy x from-y '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchExpressions":
			[{"key": "ns", "operator": "In", "values": ["y"]}]}}]}]}'
	np_expect <<-EOF
		* * * 1
		* x/a * 0
		y/* x/a * 1
	EOF
}

test_netpol_pod_and_namespace_selector_and_vs_or() {
	np_cluster
	# One peer with both selectors: pods b in namespaces labelled ns=y.
	np_policy x and '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}},
			"podSelector": {"matchLabels": {"pod": "b"}}}]}]}'
	np_expect <<-EOF
		* * * 1
		* x/a * 0
		y/b x/a * 1
	EOF
	# Two peers: namespace y, or pods b of x itself.
	np_policy x and '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}},
			{"podSelector": {"matchLabels": {"pod": "b"}}}]}]}'
	np_expect <<-EOF
		* * * 1
		* x/a * 0
		y/* x/a * 1
		x/b x/a * 1
	EOF
}

test_netpol_ipblock_with_except() {
	local yb
	np_cluster
	yb=$(np_ip y b)
	# The whole pod subnet but y/b.
	np_policy x cidr "$(jq -n --arg ex "$yb/32" '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"ipBlock": {"cidr": "10.244.1.0/24", "except": [$ex]}}]}]}')"
	np_expect <<-EOF
		* * * 1
		y/b x/a * 0
	EOF
	# Egress to a CIDR: x/b reaches z/c's /32 only.
	np_policy x cidr-out "$(jq -n --arg ip "$(np_ip z c)/32" '{
		"podSelector": {"matchLabels": {"pod": "b"}}, "policyTypes": ["Egress"],
		"egress": [{"to": [{"ipBlock": {"cidr": $ip}}]}]}')"
	np_expect <<-EOF
		* * * 1
		y/b x/a * 0
		x/b * * 0
		x/b z/c * 1
	EOF
}

test_netpol_named_port_and_end_port() {
	np_cluster
	# A named port resolves per destination pod: serve-81-udp is UDP 81 only.
	np_policy x named '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"ports": [{"port": "serve-81-udp", "protocol": "UDP"}]}]}'
	np_expect <<-EOF
		* * * 1
		* x/a * 0
		* x/a udp/81 1
	EOF
	# 79-80 crosses an LPM prefix boundary: two prefixes, 81 outside both.
	np_policy x named '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"ports": [{"port": 79, "endPort": 80, "protocol": "TCP"}]}]}'
	np_expect <<-EOF
		* * * 1
		* x/a * 0
		* x/a tcp/80 1
	EOF
}

test_netpol_union_update_delete() {
	np_cluster
	np_policy x from-y '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}]}]}'
	np_policy x from-z-81 '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "z"}}}],
			"ports": [{"port": 81}]}]}'
	np_expect <<-EOF
		* * * 1
		* x/a * 0
		y/* x/a * 1
		z/* x/a tcp/81 1
	EOF
	# An update: from-y now admits namespace x instead.
	np_policy x from-y '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "x"}}}]}]}'
	np_expect <<-EOF
		* * * 1
		* x/a * 0
		x/* x/a * 1
		z/* x/a tcp/81 1
	EOF
	np_remove np-x-from-y
	np_remove np-x-from-z-81
	np_all_open
}

test_netpol_pod_and_namespace_label_changes() {
	np_cluster
	np_policy x from-b '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "blue"}},
			"podSelector": {"matchLabels": {"pod": "b"}}}]}]}'
	np_expect <<-EOF
		* * * 1
		* x/a * 0
	EOF
	np_namespace y '{"ns": "y", "team": "blue"}'
	np_expect <<-EOF
		* * * 1
		* x/a * 0
		y/b x/a * 1
	EOF
	# y/c becomes a b; y/b stops being one.
	np_pod y c '{"pod": "b"}'
	np_pod y b '{"pod": "other"}'
	np_expect <<-EOF
		* * * 1
		* x/a * 0
		y/c x/a * 1
	EOF
}

# Policy decides at the real destination: a Service VIP is translated first.
test_netpol_egress_to_service_checked_at_backend() {
	np_cluster
	np_policy x to-b '{"podSelector": {"matchLabels": {"pod": "a"}}, "policyTypes": ["Egress"],
		"egress": [{"to": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}]}'
	svc_write n1 to-xb 10.96.0.80 80 80 TCP x-b
	svc_write n1 to-xc 10.96.0.81 80 80 TCP x-c
	svc_wait n1 10.96.0.80 1
	svc_wait n1 10.96.0.81 1
	np_expect <<-EOF
		* * * 1
		x/a * * 0
		x/a x/b * 1
	EOF
	in_pod x-a socat -T 2 - TCP:10.96.0.80:80,connect-timeout=2 </dev/null ||
		fail "x/a cannot reach the service whose backend it may reach"
	in_pod x-a socat -T 2 - TCP:10.96.0.81:80,connect-timeout=2 </dev/null 2>/dev/null &&
		fail "x/a reached the service whose backend policy denies"
	return 0
}

# Both ends must allow: x/a may send to y/b, but y/b admits only namespace z.
test_netpol_egress_and_ingress_both_decide() {
	np_cluster
	np_policy x a-to-y '{"podSelector": {"matchLabels": {"pod": "a"}}, "policyTypes": ["Egress"],
		"egress": [{"to": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}]}]}'
	np_policy y b-from-z '{"podSelector": {"matchLabels": {"pod": "b"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "z"}}}]}]}'
	np_expect <<-EOF
		* * * 1
		x/a * * 0
		x/a y/* * 1
		* y/b * 0
		z/* y/b * 1
	EOF
}

# A change is in force for new connections within 100 ms of the agent taking
# it in (the agent logs how long each took), and within the manifest
# directory's settle time plus that of the file's rename.
NP_SETTLE_MS=100
np_flip() {
	local pod=$1 want=$2 staged=$3 target=$4 ip=$5 ms
	ms=$(in_pod "$pod" "${NETPOL[@]}" flip --timeout 0.01 --deadline 5 --want "$want" \
		--rename "$staged" "$target" "$ip" 80)
	echo "$target: outcome $want after $ms ms"
	((ms <= NP_SETTLE_MS + 100)) || fail "$target took $ms ms to apply"
}

np_last_apply_ms() {
	grep -o 'in force [0-9.]* ms after' "$E2E_DIR/agent-n1.log" | tail -n 1 | awk '{print $3}'
}

test_netpol_changes_apply_within_100ms() {
	local dir ip
	np_cluster
	dir=$(manifest_dir n1)
	ip=$(np_ip x a)
	np_policy x from-x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"podSelector": {}}]}]}'
	np_expect <<-EOF
		* * * 1
		* x/a * 0
		x/* x/a * 1
	EOF
	# Tightening by a policy change: x/b loses x/a. Staged outside the directory.
	jq -n '{apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy",
		metadata: {namespace: "x", name: "from-x"}, spec: {podSelector:
		{matchLabels: {pod: "a"}}, ingress: [{from: [{podSelector: {matchLabels:
		{pod: "c"}}}]}]}}' >"$E2E_DIR/staged.json"
	np_flip x-b 0 "$E2E_DIR/staged.json" "$dir/np-x-from-x.json" "$ip"
	awk -v ms="$(np_last_apply_ms)" 'BEGIN {exit !(ms != "" && ms <= 100)}' ||
		fail "the agent took $(np_last_apply_ms) ms to apply the policy change"
	# Loosening by a pod label change: x/b becomes a c.
	jq -n '{apiVersion: "v1", kind: "Pod", metadata: {namespace: "x", name: "b",
		labels: {pod: "c"}}}' >"$E2E_DIR/staged.json"
	np_flip x-b 1 "$E2E_DIR/staged.json" "$dir/pod-x-b.json" "$ip"
	awk -v ms="$(np_last_apply_ms)" 'BEGIN {exit !(ms != "" && ms <= 100)}' ||
		fail "the agent took $(np_last_apply_ms) ms to apply the label change"
	# A namespace label change: y gains the label a namespaceSelector wants.
	np_policy x from-x '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "red"}}}]}]}'
	np_expect <<-EOF
		* * * 1
		* x/a * 0
	EOF
	jq -n '{apiVersion: "v1", kind: "Namespace", metadata: {name: "y",
		labels: {ns: "y", team: "red"}}}' >"$E2E_DIR/staged.json"
	np_flip y-a 1 "$E2E_DIR/staged.json" "$dir/ns-y.json" "$ip"
	awk -v ms="$(np_last_apply_ms)" 'BEGIN {exit !(ms != "" && ms <= 100)}' ||
		fail "the agent took $(np_last_apply_ms) ms to apply the namespace label change"
}

# Decided semantics: a connection established while allowed keeps flowing
# after a policy stops allowing it (until it closes or idles out); new ones
# are refused at once. Conntrack entries are not policy's to tear down.
test_netpol_established_connection_survives_tightening() {
	local ip lines
	np_cluster
	ip=$(np_ip x a)
	bg_in_pod x-a socat TCP-LISTEN:9000,reuseaddr EXEC:cat
	tcp_wait_listen x-a 9000
	# A line every 0.2 s for 4 s over one connection, echoed back.
	in_pod y-a sh -c 'for i in $(seq 20); do echo "line $i"; sleep 0.2; done' |
		in_pod y-a socat -t 2 - "TCP:$ip:9000" >"$E2E_DIR/echo.out" &
	sleep 1
	np_policy x deny-in '{"podSelector": {}, "policyTypes": ["Ingress"]}'
	sleep 0.5
	in_pod y-b socat -T 1 - "TCP:$ip:80,connect-timeout=1" </dev/null 2>/dev/null &&
		fail "a new connection passed the default deny"
	wait $!
	lines=$(wc -l <"$E2E_DIR/echo.out")
	((lines == 20)) || fail "the established connection got $lines of 20 lines back"
}

# A bad edit keeps the last valid version; a bad new policy opens nothing.
test_netpol_malformed_policy_keeps_last_valid() {
	np_cluster
	np_policy x from-y '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}]}]}'
	np_expect <<-EOF
		* * * 1
		* x/a * 0
		y/* x/a * 1
	EOF
	# An edit that would open x/a to all, with an operator Kubernetes does not have.
	np_policy x from-y '{"podSelector": {"matchExpressions":
		[{"key": "pod", "operator": "Matches", "values": ["a"]}]}, "ingress": [{}]}'
	np_policy x bad-port '{"podSelector": {}, "ingress": [{"ports": [{"port": 70000}]}]}'
	sleep 0.5
	grep -q 'NetworkPolicy x/from-y skipped: .*operator' "$E2E_DIR/agent-n1.log" ||
		fail "no log names the bad edit and why: $(grep skipped "$E2E_DIR/agent-n1.log")"
	grep -q 'NetworkPolicy x/bad-port skipped: .*port' "$E2E_DIR/agent-n1.log" ||
		fail "no log names the bad policy and why"
	np_expect <<-EOF
		* * * 1
		* x/a * 0
		y/* x/a * 1
	EOF
}

# A pod added to an isolated namespace is isolated when CNI ADD returns:
# the plugin waits for the agent to program its policy. Its Pod object is
# not even known yet: namespace-wide policy applies by its CNI arguments.
test_netpol_new_pod_isolated_when_add_returns() {
	local ip
	np_cluster
	np_policy x deny-in '{"podSelector": {}, "policyTypes": ["Ingress"]}'
	np_expect <<-EOF
		* * * 1
		* x/* * 0
	EOF
	POD_NS=x POD_NAME=d pod_add n1 x-d
	ip=$(pod_ip x-d)
	bg_in_pod x-d socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:true
	tcp_wait_listen x-d 80
	in_pod y-a socat -T 1 - "TCP:$ip:80,connect-timeout=1" </dev/null 2>/dev/null &&
		fail "the new pod x/d took a connection its namespace's policy denies"
	[[ $(sluice_cli n1 -j policy get x/d | jq .ingress.isolated) == true ]] ||
		fail "x/d has no ingress table: $(sluice_cli n1 policy get x/d)"
	# Its DEL takes its tables with it; the nine other pods keep theirs.
	[[ $(np_tables in) == 10 && $(np_tables out) == 10 ]] ||
		fail "tables before x/d's DEL: $(np_tables in) in, $(np_tables out) out"
	pod_del n1 x-d
	[[ $(np_tables in) == 9 && $(np_tables out) == 9 ]] ||
		fail "tables after x/d's DEL: $(np_tables in) in, $(np_tables out) out"
}

# How many endpoints have a table in a direction (in or out): every pod has
# both for its whole life, open or not.
np_tables() {
	bpftool map dump pinned "$(pin_root n1)/maps/sluice_pol_$1" -j | jq length
}

# A pod cannot borrow another pod's address (or its own with a forged MAC) to
# pass policy: the veth checks both, drops with its own reason and says so.
test_netpol_spoofed_source_dropped() {
	local xa xb
	np_cluster
	xa=$(np_ip x a)
	xb=$(np_ip x b)
	np_policy x from-b '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}]}'
	np_expect <<-EOF
		* * * 1
		* x/a * 0
		x/b x/a * 1
	EOF
	sluice_cli n1 -j monitor --count 1 --timeout 10 >"$E2E_DIR/monitor.out" &
	sleep 0.5
	# y/a takes x/b's address as a second one and connects from it.
	in_pod y-a ip addr add "$xb/32" dev eth0
	in_pod y-a socat -T 1 - "TCP:$xa:80,bind=$xb,connect-timeout=1" </dev/null 2>/dev/null &&
		fail "a connection from a borrowed address passed"
	wait $!
	jq -e --arg xb "$xb" 'select(.type == "drop" and .reason == "drop-spoofed" and
		.source == $xb)' "$E2E_DIR/monitor.out" >/dev/null ||
		fail "no drop-spoofed event: $(cat "$E2E_DIR/monitor.out")"
	in_pod y-a ip addr del "$xb/32" dev eth0
	# x/b with a forged MAC is not x/b. The change flushed its gateway's
	# neighbour entry, which CNI ADD had made: it is put back.
	in_pod x-b ip link set eth0 address 02:00:00:00:00:99
	in_pod x-b ip neigh replace 169.254.1.1 dev eth0 nud permanent \
		lladdr "$(jq -r '.interfaces[0].mac' "$E2E_DIR/result-x-b.json")"
	in_pod x-b socat -T 1 - "TCP:$xa:80,connect-timeout=1" </dev/null 2>/dev/null &&
		fail "a frame with a forged MAC passed"
	(($(verdict_packets n1 drop-spoofed) >= 2)) ||
		fail "drop-spoofed counted $(verdict_packets n1 drop-spoofed) packets"
}

# Pinned tables enforce with no agent; a restarted agent keeps identities.
test_netpol_survives_agent_restart() {
	local before after
	np_cluster
	np_policy x from-b '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}]}'
	np_expect <<-EOF
		* * * 1
		* x/a * 0
		x/b x/a * 1
	EOF
	before=$(sluice_cli n1 -j identity list | jq -c 'sort_by(.id)')
	agent_stop n1
	np_expect <<-EOF
		* * * 1
		* x/a * 0
		x/b x/a * 1
	EOF
	agent_start n1
	after=$(sluice_cli n1 -j identity list | jq -c 'sort_by(.id)')
	[[ $before == "$after" ]] || fail "identities changed across a restart: $before -> $after"
	np_expect <<-EOF
		* * * 1
		* x/a * 0
		x/b x/a * 1
	EOF
}

# What an operator reads: a pod's rules, the identities, drop events.
test_netpol_cli_shows_rules_identities_and_drops() {
	local xa out
	np_cluster
	xa=$(np_ip x a)
	np_policy x web '{"podSelector": {"matchLabels": {"pod": "a"}},
		"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"ns": "y"}},
			"podSelector": {"matchLabels": {"pod": "b"}}}],
			"ports": [{"port": 80, "endPort": 90, "protocol": "TCP"}]}]}'
	np_expect <<-EOF
		* * * 1
		* x/a * 0
		y/b x/a tcp/* 1
	EOF
	out=$(sluice_cli n1 -j policy get x/a)
	jq -e '.ingress.isolated and (.egress.isolated | not) and
		any(.ingress.allow[]; .peer == "pod:y:pod=b" and .protocol == "tcp" and
			.port_from == 80 and .port_to == 90 and .policy == "x/web") and
		any(.ingress.allow[]; .peer == "host" and .policy == "(built-in)") and
		any(.drops[]; .reason == "drop-policy-ingress" and .packets > 0)' <<<"$out" >/dev/null ||
		fail "policy get x/a: $out"
	sluice_cli n1 policy get x/a | grep -q 'pod:y:pod=b  *tcp  *80-90  *x/web' ||
		fail "policy get x/a, as text: $(sluice_cli n1 policy get x/a)"
	sluice_cli n1 policy get x/nosuch 2>/dev/null && fail "policy get of a pod not here passed"
	out=$(sluice_cli n1 -j identity list)
	jq -e 'any(.[]; .identity == "pod:y:pod=b" and .addresses == 1) and
		any(.[]; .id == 1 and .identity == "host")' <<<"$out" >/dev/null ||
		fail "identity list: $out"
	# A drop as a line and as JSON, with its 5-tuple, pods and identities.
	sluice_cli n1 monitor --count 1 --timeout 10 >"$E2E_DIR/monitor.txt" &
	sleep 0.5
	in_pod y-a socat -T 1 - "TCP:$xa:81,connect-timeout=1" </dev/null 2>/dev/null &&
		fail "y/a reached x/a:81"
	wait $!
	grep -qE "DROP drop-policy-ingress tcp $(np_ip y a):[0-9]+ \(y/a\) -> $xa:81 \(x/a\) identity [0-9]+ -> [0-9]+" \
		"$E2E_DIR/monitor.txt" || fail "monitor line: $(cat "$E2E_DIR/monitor.txt")"
	# Allowed flows only with --allowed, naming the policy.
	sluice_cli n1 -j monitor --allowed --count 1 --timeout 10 >"$E2E_DIR/monitor.json" &
	sleep 0.5
	in_pod y-b socat -T 1 - "TCP:$xa:80,connect-timeout=1" </dev/null ||
		fail "y/b cannot reach x/a:80"
	wait $!
	jq -e --arg xa "$xa" 'select(.type == "allow" and .destination == $xa and
		.destination_port == 80 and .direction == "ingress" and .policy == "x/web" and
		.source_pod == "y/b")' "$E2E_DIR/monitor.json" >/dev/null ||
		fail "monitor --allowed: $(cat "$E2E_DIR/monitor.json")"
	# The monitor's count of readers wanting allowed flows is back to zero.
	[[ $(bpftool map dump pinned "$(pin_root n1)/maps/sluice_monitor" -j |
		jq -r '.[0].value[0:4] | join(" ")') == "0x00 0x00 0x00 0x00" ]] ||
		fail "the monitor left allowed events on"
}
