# SPDX-License-Identifier: Apache-2.0
# Service load balancing on one node: ClusterIP over TCP and UDP, refusal,
# affinity, hairpin, backend changes, conntrack, restarts.

# A node with backends b1..bN serving TCP 8080 (answering their name) and a client pod.
svc_node() {
	local n=$1 i
	node_create n1
	agent_start n1
	for ((i = 1; i <= n; i++)); do
		pod_add n1 "b$i"
		tcp_serve "b$i"
	done
	pod_add n1 client
	for ((i = 1; i <= n; i++)); do tcp_wait_listen "b$i"; done
}

test_clusterip_spreads_over_backends() {
	local counts b n
	svc_node 3
	svc_write n1 web 10.96.0.10 80 8080 TCP b1 b2 b3
	svc_wait n1 10.96.0.10 3
	counts=$(for _ in $(seq 300); do tcp_ask client 10.96.0.10 80; done | sort | uniq -c)
	for b in b1 b2 b3; do
		n=$(awk -v b="$b" '$2 == b {print $1}' <<<"$counts")
		# 20% to 47% of 300 connections each.
		((${n:-0} >= 60 && ${n:-0} <= 141)) || fail "backend $b got ${n:-0} of 300: $counts"
	done
	[[ $(awk '{s += $1} END {print s}' <<<"$counts") == 300 ]] || fail "lost connections: $counts"
	# The client's socket is connected to the VIP: replies came back from it.
	[[ $(in_pod client "$SLUICE_ROOT/build/selftests/sock_client" tcp 10.96.0.10 80) == \
		"peer=10.96.0.10:80 reply=b"[123] ]] || fail "the client does not see the VIP"
}

# The client's socket talks to the VIP: a connected UDP socket accepts replies
# only from the address it sent to, so an answer proves reverse translation.
test_clusterip_udp_request_response() {
	local answer
	svc_node 1
	bg_in_pod b1 socat UDP-RECVFROM:5353,fork "SYSTEM:echo udp-b1"
	svc_write n1 dns 10.96.0.53 53 5353 UDP b1
	svc_wait n1 10.96.0.53 1
	answer=$(in_pod client sh -c 'echo q | socat -T 2 - UDP:10.96.0.53:53')
	[[ $answer == udp-b1 ]] || fail "UDP answer: '$answer'"
	# A reply whose checksum was left stale would have been dropped by the client's stack.
	[[ $(in_pod client nstat -az UdpInCsumErrors | awk '/UdpInCsumErrors/ {print $2}') == 0 ]] ||
		fail "UDP checksum errors in the client"
}

# A service with no endpoints refuses at once instead of letting clients time out.
test_service_without_endpoints_refuses_at_once() {
	local start end out
	svc_node 1
	svc_write n1 empty 10.96.0.20 80 8080 TCP
	svc_wait n1 10.96.0.20 0
	start=$(date +%s%N)
	out=$(in_pod client socat -T 5 - TCP:10.96.0.20:80,connect-timeout=5 </dev/null 2>&1) &&
		fail "connected to a service with no endpoints"
	end=$(date +%s%N)
	[[ $out == *"Connection refused"* ]] || fail "not refused: $out"
	(((end - start) / 1000000 < 1000)) || fail "refusal took $(((end - start) / 1000000)) ms"
	(($(verdict_packets n1 svc-refused) >= 1)) || fail "svc-refused not counted"
	out=$(in_pod client sh -c 'echo q | socat -T 2 - UDP:10.96.0.20:80' 2>&1) &&
		[[ -n $out ]] && fail "UDP to an empty service answered: $out"
	true
}

# An ICMP error about a service flow reaches the client as the service's
# (quote and source translated back): a UDP request to a backend port that
# nothing listens on fails at once instead of waiting out its timeout.
test_icmp_error_from_backend_reaches_client() {
	local start end out
	svc_node 1
	svc_write n1 closed 10.96.0.54 53 5354 UDP b1
	svc_wait n1 10.96.0.54 1
	start=$(date +%s%N)
	out=$(in_pod client sh -c 'echo q | socat -T 3 - UDP:10.96.0.54:53' 2>&1) &&
		fail "no error for a UDP port nothing listens on: '$out'"
	end=$(date +%s%N)
	[[ $out == *"Connection refused"* ]] || fail "not refused: $out"
	(((end - start) / 1000000 < 1000)) || fail "refusal took $(((end - start) / 1000000)) ms"
}

# sessionAffinity: ClientIP keeps one client on one backend.
test_affinity_pins_a_client() {
	local answers
	svc_node 3
	SVC_SPEC='{"sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 60}}}' \
		svc_write n1 sticky 10.96.0.30 80 8080 TCP b1 b2 b3
	svc_wait n1 10.96.0.30 3
	answers=$(for _ in $(seq 30); do tcp_ask client 10.96.0.30 80; done | sort -u)
	[[ $(wc -l <<<"$answers") == 1 ]] || fail "one client reached: $answers"
	[[ $(sluice_cli n1 -j service list | jq '[.[] | select(.address == "10.96.0.30")][0].affinity') == true ]] ||
		fail "affinity not shown"
}

# A pod reaching a service that selects itself gets its own answer back.
test_hairpin_to_itself() {
	svc_node 1
	svc_write n1 self 10.96.0.40 80 8080 TCP b1
	svc_wait n1 10.96.0.40 1
	[[ $(tcp_ask b1 10.96.0.40 80) == b1 ]] || fail "hairpin connection failed"
	sluice_cli n1 ct list | grep -q hairpin || fail "no hairpin flow in conntrack"
}

# Backends that record what each connection sends them, in recv-<pod>.txt.
sink_serve() {
	local pod
	for pod in "$@"; do
		bg_in_pod "$pod" socat -u TCP-LISTEN:9000,fork,reuseaddr \
			"OPEN:$E2E_DIR/recv-$pod.txt,creat,append"
	done
	for pod in "$@"; do tcp_wait_listen "$pod" 9000; done
}

# Opens a long-lived connection from the client to addr:port, fed through fd 7.
stream_open() {
	mkfifo "$E2E_DIR/stream.fifo"
	bg_in_pod client socat -u "PIPE:$E2E_DIR/stream.fifo" "TCP:$1:$2"
	STREAM_PID=$!
	exec 7>"$E2E_DIR/stream.fifo"
}

# The backend pod whose file holds a line.
received_by() {
	grep -l -x "$1" "$E2E_DIR"/recv-*.txt 2>/dev/null | sed 's/.*recv-\(.*\)\.txt/\1/'
}

wait_received() {
	local i
	for ((i = 0; i < 30; i++)); do
		[[ -n $(received_by "$1") ]] && return 0
		sleep 0.1
	done
	fail "no backend received '$1'"
}

# Conntrack keeps an established flow on its backend when backends are added.
test_established_flow_stays_when_backends_are_added() {
	local first
	svc_node 3
	sink_serve b1 b2 b3
	svc_write n1 stream 10.96.0.50 90 9000 TCP b1 b2
	svc_wait n1 10.96.0.50 2
	stream_open 10.96.0.50 90
	echo one >&7
	wait_received one
	first=$(received_by one)
	svc_write n1 stream 10.96.0.50 90 9000 TCP b1 b2 b3
	svc_wait n1 10.96.0.50 3
	echo two >&7
	wait_received two
	[[ $(received_by two) == "$first" ]] || fail "flow moved from $first to $(received_by two)"
	exec 7>&-
}

# A flow to a removed backend ends promptly with a reset instead of hanging;
# new connections go to the backends that remain.
test_removed_backend_resets_its_flows() {
	local first keep i
	svc_node 2
	sink_serve b1 b2
	svc_write n1 stream 10.96.0.51 90 9000 TCP b1 b2
	svc_wait n1 10.96.0.51 2
	stream_open 10.96.0.51 90
	echo one >&7
	wait_received one
	first=$(received_by one)
	keep=$([[ $first == b1 ]] && echo b2 || echo b1)
	svc_write n1 stream 10.96.0.51 90 9000 TCP "$keep"
	svc_wait n1 10.96.0.51 1
	# The next segments reach a backend with no such connection, which resets it.
	# The writer must survive the reader dying: a write then fails, not kills.
	trap '' PIPE
	for ((i = 0; i < 20; i++)); do
		echo "more-$i" >&7 2>/dev/null || break
		kill -0 "$STREAM_PID" 2>/dev/null || break
		sleep 0.1
	done
	! kill -0 "$STREAM_PID" 2>/dev/null || fail "the flow to removed backend $first still runs"
	((i < 20)) || fail "no reset within 2 s"
	exec 7>&- 2>/dev/null || true
	[[ $(received_by "more-0") != "$first" ]] || fail "removed backend $first still got data"
	for i in $(seq 10); do
		in_pod client socat -T 2 -u - TCP:10.96.0.51:90 <<<"new-$i" || fail "new connection $i"
	done
	[[ $(for i in $(seq 10); do wait_received "new-$i"; received_by "new-$i"; done | sort -u) == "$keep" ]] ||
		fail "new connections not all on $keep"
}

# A Service or EndpointSlice with invalid fields is skipped with a log line
# naming it and why; everything else still applies.
test_invalid_objects_are_skipped() {
	svc_node 1
	jq -n '{apiVersion: "v1", kind: "Service", metadata: {name: "bad-ip", namespace: "default"},
		spec: {clusterIP: "10.96.0.999", ports: [{port: 80}]}}' >"$(manifest_dir n1)/bad1.json"
	jq -n '{apiVersion: "v1", kind: "Service", metadata: {name: "bad-port", namespace: "default"},
		spec: {clusterIP: "10.96.0.61", ports: [{port: 70000}]}}' >"$(manifest_dir n1)/bad2.json"
	jq -n '{apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice",
		metadata: {name: "bad-slice", namespace: "default",
			   labels: {"kubernetes.io/service-name": "good"}},
		addressType: "IPv4", endpoints: [{addresses: ["not-an-ip"]}]}' \
		>"$(manifest_dir n1)/bad3.json"
	svc_write n1 good 10.96.0.60 80 8080 TCP b1
	svc_wait n1 10.96.0.60 1
	[[ $(tcp_ask client 10.96.0.60 80) == b1 ]] || fail "the valid service does not work"
	grep -q 'Service default/bad-ip skipped.*spec.clusterIP' "$E2E_DIR/agent-n1.log" ||
		fail "no log naming default/bad-ip"
	grep -q 'Service default/bad-port skipped.*port' "$E2E_DIR/agent-n1.log" ||
		fail "no log naming default/bad-port"
	grep -q 'EndpointSlice default/bad-slice skipped.*not-an-ip' "$E2E_DIR/agent-n1.log" ||
		fail "no log naming default/bad-slice"
	[[ -z $(sluice_cli n1 -j service list | jq -r '.[] | select(.address == "10.96.0.61")') ]] ||
		fail "the invalid service was programmed"
}

# The ids a node's service maps hold, Maglev table maps included.
lb_state() {
	local root
	root=$(pin_root "$1")
	bpftool -j map dump pinned "$root/maps/sluice_svc4" | jq -c '[.[] | [.key, .value]] | sort'
	bpftool -j map dump pinned "$root/maps/sluice_backend4" | jq -c '[.[] | [.key, .value]] | sort'
	bpftool -j map dump pinned "$root/maps/sluice_maglev" | jq -c '[.[] | [.key, .value]] | sort'
}

# An agent restart neither drops a service flow nor rewrites any map entry.
test_agent_restart_keeps_service_flows_and_maps() {
	local before after
	svc_node 2
	sink_serve b1 b2
	svc_write n1 stream 10.96.0.70 90 9000 TCP b1 b2
	svc_wait n1 10.96.0.70 2
	stream_open 10.96.0.70 90
	echo one >&7
	wait_received one
	before=$(lb_state n1)
	agent_stop n1 KILL
	echo two >&7
	wait_received two
	in_pod client socat -u - TCP:10.96.0.70:90 <<<"new-while-down" || fail "new connection"
	wait_received new-while-down
	agent_start n1
	after=$(lb_state n1)
	[[ $before == "$after" ]] || fail "maps changed across the restart: $before -> $after"
	echo three >&7
	wait_received three
	[[ $(received_by one) == "$(received_by three)" ]] || fail "the flow changed backend"
	exec 7>&-
	# A service deleted while no agent ran is gone after it returns.
	agent_stop n1
	rm "$(manifest_dir n1)/stream.json"
	agent_start n1
	[[ $(sluice_cli n1 -j service list | jq length) == 0 ]] ||
		fail "a service deleted while the agent was down is still programmed"
}

# sluice ct list shows a translated flow's entries (service, the translated flow
# policy passed, the reply); flush empties the table.
test_conntrack_list_and_flush() {
	svc_node 1
	svc_write n1 web 10.96.0.80 80 8080 TCP b1
	svc_wait n1 10.96.0.80 1
	tcp_ask client 10.96.0.80 80 >/dev/null
	[[ $(sluice_cli n1 -j ct list | jq -c '[.[] | .direction] | sort | unique') == \
		'["forward","reply","service"]' ]] || fail "ct list: $(sluice_cli n1 ct list)"
	[[ $(sluice_cli n1 -j ct list | jq -r '.[] | select(.direction == "reply") | .reply_from') == \
		10.96.0.80:80 ]] || fail "reply entry does not name the VIP"
	(($(sluice_cli n1 -j ct flush | jq .removed) >= 2)) || fail "flush removed nothing"
	[[ $(sluice_cli n1 -j ct list | jq length) == 0 ]] || fail "entries left after flush"
}

# Resizing maps on restart keeps every entry: endpoints, services, flows.
test_map_resize_keeps_entries() {
	local before
	svc_node 1
	sink_serve b1
	svc_write n1 stream 10.96.0.90 90 9000 TCP b1
	svc_wait n1 10.96.0.90 1
	stream_open 10.96.0.90 90
	echo one >&7
	wait_received one
	before=$(sluice_cli n1 -j ct list | jq length)
	agent_stop n1
	agent_start n1 --map-entries sluice_ct4=4096 --map-entries sluice_endpoint=2048
	[[ $(bpftool -j map show pinned "$(pin_root n1)/maps/sluice_ct4" | jq .max_entries) == 4096 ]] ||
		fail "ct4 not resized"
	[[ $(sluice_cli n1 -j ct list | jq length) == "$before" ]] || fail "conntrack entries lost"
	[[ $(sluice_cli n1 -j endpoint list | jq length) == 2 ]] || fail "endpoints lost"
	grep -q "sluice_ct4: .* entries migrated" "$E2E_DIR/agent-n1.log" || fail "no migration logged"
	echo two >&7
	wait_received two
	in_pod client socat -u - TCP:10.96.0.90:90 <<<"new-after" || fail "new connection"
	wait_received new-after
	exec 7>&-
}

# Another --maglev-table-size on restart: sluice_maglev is rebuilt for tables of
# the new size, filled before any source syncs; flows and services carry on.
test_maglev_size_change_on_restart() {
	local other=251
	svc_node 2
	sink_serve b1 b2
	svc_write n1 stream 10.96.0.95 90 9000 TCP b1 b2
	svc_wait n1 10.96.0.95 2
	stream_open 10.96.0.95 90
	echo one >&7
	wait_received one
	agent_stop n1
	agent_start n1 --maglev-table-size "$other"
	[[ $(bpftool -j map show pinned "$(pin_root n1)/maps/sluice_maglev" | jq .bytes_value) == \
		$((other * 4)) ]] || fail "sluice_maglev does not hold $other-slot tables"
	grep -q "map sluice_maglev: pinned layout differs" "$E2E_DIR/agent-n1.log" ||
		fail "no rebuild logged"
	grep -q "1 frontends without a Maglev table got theirs again" "$E2E_DIR/agent-n1.log" ||
		fail "the table was not restored at start"
	echo two >&7
	wait_received two
	[[ $(received_by one) == "$(received_by two)" ]] || fail "the flow changed backend"
	in_pod client socat -u - TCP:10.96.0.95:90 <<<"new-after" || fail "new connection"
	wait_received new-after
	exec 7>&-
}
