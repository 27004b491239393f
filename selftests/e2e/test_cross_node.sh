# SPDX-License-Identifier: Apache-2.0
# Pod networking across nodes, in both routing modes (--routing native and
# --routing vxlan): three nodes on one wire (lib_cluster.sh), two pods on
# each; every test also checks that no node's kernel forwarded a datagram,
# so that BPF alone carried pod traffic from one node to another.

source "$SLUICE_ROOT/selftests/e2e/lib_cluster.sh"

SOCK_CLIENT=$SLUICE_ROOT/build/selftests/sock_client
# Each node's two pods probe the four pods elsewhere over TCP and UDP, and
# answer the four that probe them: at least one packet per flow each way.
CN_MIN_REMOTE_PACKETS=32

# The verdicts a mode counts for pod traffic leaving to another node and
# arriving from one.
cn_send_verdict() {
	case $1 in
	native) echo forward-node ;;
	vxlan) echo forward-tunnel ;;
	esac
}
cn_recv_verdict() {
	case $1 in
	native) echo net-to-pod ;;
	vxlan) echo tunnel-to-pod ;;
	esac
}

# Every ordered pair of the six pods, TCP and UDP, each getting the right
# pod's answer; every node counted the pod traffic it sent and received
# across nodes under the mode's verdicts, and routes as the mode does.
cn_all_pairs() {
	local mode=$1 node send recv
	send=$(cn_send_verdict "$mode")
	recv=$(cn_recv_verdict "$mode")
	cluster_up "$mode"
	cl_expect_routes "$mode"
	cl_verdicts_mark "$send" "$recv"
	cl_expect_all_pairs tcp udp
	for node in "${CL_NODES[@]}"; do
		cl_verdict_grew "$node" "$send" "$CN_MIN_REMOTE_PACKETS"
		cl_verdict_grew "$node" "$recv" "$CN_MIN_REMOTE_PACKETS"
	done
	cl_check_bpf_only "$mode"
}

test_cross_node_all_pairs_native() { cn_all_pairs native; }
test_cross_node_all_pairs_vxlan() { cn_all_pairs vxlan; }

# A ClusterIP service whose backends all run on other nodes than the client:
# every connection lands on a backend, both are used, and the client's socket
# sees the VIP (TCP getpeername, UDP recvfrom's source).
cn_clusterip() {
	local mode=$1 answers out i
	cluster_up "$mode"
	cl_svc_write web 10.96.5.10 80 "$CL_TCP_PORT" TCP b1 c1
	cl_svc_write dns 10.96.5.53 53 "$CL_UDP_PORT" UDP b2 c2
	cl_svc_wait 10.96.5.10 2
	cl_svc_wait 10.96.5.53 2
	cl_verdicts_mark "$(cn_send_verdict "$mode")"
	answers=$(for ((i = 0; i < 30; i++)); do
		in_pod a1 socat -T 2 - "TCP:10.96.5.10:80,connect-timeout=2" </dev/null 2>&1 ||
			echo "failed"
	done | sort | uniq -c)
	[[ $(awk '$2 == "b1" || $2 == "c1" {s += $1} END {print s}' <<<"$answers") == 30 ]] ||
		fail "30 TCP connections from a1 to 10.96.5.10 did not all land on b1 or c1: $answers"
	grep -qw b1 <<<"$answers" && grep -qw c1 <<<"$answers" ||
		fail "TCP connections did not use both remote backends: $answers"
	out=$(in_pod a1 "$SOCK_CLIENT" tcp 10.96.5.10 80 2>&1) || fail "TCP from a1 with sock_client: $out"
	[[ $out == "peer=10.96.5.10:80 reply=b1" || $out == "peer=10.96.5.10:80 reply=c1" ]] ||
		fail "a1's TCP socket does not see the VIP: $out"
	answers=$(for ((i = 0; i < 20; i++)); do
		in_pod a2 "$SOCK_CLIENT" udp 10.96.5.53 53 2>&1 || echo "failed"
	done | sort | uniq -c)
	[[ $(awk '$2 == "peer=10.96.5.53:53" && ($3 == "reply=b2" || $3 == "reply=c2") {s += $1}
		END {print s}' <<<"$answers") == 20 ]] ||
		fail "20 UDP requests from a2 to 10.96.5.53 did not all get an answer from the VIP: $answers"
	grep -q reply=b2 <<<"$answers" && grep -q reply=c2 <<<"$answers" ||
		fail "UDP requests did not use both remote backends: $answers"
	# 50 flows out of n1, at least one packet each.
	cl_verdict_grew n1 "$(cn_send_verdict "$mode")" 50
	cl_check_bpf_only "$mode"
}

test_cross_node_clusterip_native() { cn_clusterip native; }
test_cross_node_clusterip_vxlan() { cn_clusterip vxlan; }

# A host-network process on n1 reaches pods on n2 and n3 by their addresses,
# through the kernel route the agent installs for each remote pod CIDR.
cn_host_network() {
	local mode=$1 pod out
	cluster_up "$mode"
	cl_expect_routes "$mode"
	if [[ $mode == vxlan ]]; then
		out=$(on_node n1 ip -d link show sluice_vxlan) || fail "n1 has no sluice_vxlan device"
		[[ $out == *" external "* || $out == *"collect_metadata"* ]] ||
			fail "sluice_vxlan is not a collect-metadata device: $out"
		[[ $out == *"dstport 4789 "* ]] || fail "sluice_vxlan does not use UDP 4789: $out"
	fi
	for pod in b1 b2 c1; do
		out=$(on_node n1 socat -T 2 - "TCP:$(pod_ip "$pod"):$CL_TCP_PORT,connect-timeout=2" \
			</dev/null 2>&1) || fail "TCP from n1's host network to $pod: $out"
		[[ $out == "$pod" ]] || fail "TCP from n1's host network to $pod answered '$out'"
		out=$(echo q | on_node n1 socat -T 2 - "UDP:$(pod_ip "$pod"):$CL_UDP_PORT" 2>&1)
		[[ $out == "$pod" ]] || fail "UDP from n1's host network to $pod answered '$out'"
	done
	cl_check_bpf_only "$mode"
}

test_cross_node_host_network_native() { cn_host_network native; }
test_cross_node_host_network_vxlan() { cn_host_network vxlan; }

# cn_bulk SRC DST: SRC sends DST 2 MB of random bytes over one TCP
# connection, as a bulk sender does: full-sized segments (in vxlan mode of
# the tunnel's MTU), which the veths carry as GSO packets far larger than
# any MTU; DST must receive every byte intact.
CN_BULK_BYTES=2000000
cn_bulk() {
	local src=$1 dst=$2 sent got i
	head -c "$CN_BULK_BYTES" /dev/urandom >"$E2E_DIR/bulk-$src"
	sent=$(sha256sum <"$E2E_DIR/bulk-$src")
	rm -f "$E2E_DIR/bulk-$dst.sum"
	bg_in_pod "$dst" socat -u TCP-LISTEN:9100,reuseaddr \
		"SYSTEM:sha256sum >$E2E_DIR/bulk-$dst.sum.tmp && mv $E2E_DIR/bulk-$dst.sum.tmp $E2E_DIR/bulk-$dst.sum"
	tcp_wait_listen "$dst" 9100
	in_pod "$src" timeout 10 socat -u "OPEN:$E2E_DIR/bulk-$src" "TCP:$(pod_ip "$dst"):9100" ||
		fail "$src could not send $CN_BULK_BYTES bytes to $dst"
	for ((i = 0; i < 50; i++)); do
		[[ -e $E2E_DIR/bulk-$dst.sum ]] && break
		sleep 0.1
	done
	got=$(cat "$E2E_DIR/bulk-$dst.sum" 2>/dev/null)
	[[ $got == "$sent" ]] || fail "$dst received other bytes than $src sent: '$got', sent '$sent'"
}

# Bulk TCP crosses nodes intact, both ways, and through BPF alone (the
# kernel forwards none of it).
cn_bulk_tcp() {
	local mode=$1
	cluster_up "$mode"
	cn_bulk a1 b1
	cn_bulk c2 a2
	cl_check_bpf_only "$mode"
}

test_cross_node_bulk_tcp_native() { cn_bulk_tcp native; }
test_cross_node_bulk_tcp_vxlan() { cn_bulk_tcp vxlan; }

# cn_np NAME SPEC_JSON: a NetworkPolicy in namespace default, on every node.
cn_np() {
	jq -n --arg n "$1" --argjson spec "$2" '{apiVersion: "networking.k8s.io/v1",
		kind: "NetworkPolicy", metadata: {namespace: "default", name: $n}, spec: $spec}' |
		cl_manifest_all "np-$1"
}

# Whether a pod can open a TCP connection to another pod (its answer is its name).
cn_tcp_reaches() {
	[[ $(cl_ask "$1" tcp "$(pod_ip "$2")") == "$2" ]]
}

cn_udp_reaches() {
	[[ $(cl_ask "$1" udp "$(pod_ip "$2")") == "$2" ]]
}

# b1 on n2 takes ingress only from pods labelled role=client: a1 on n1 has
# the label, a2 (n1), c1 (n3) and b2 (b1's own node) have not. The remote
# pods' identities come from their Pod objects; n2 drops and counts.
# In force on n2 when b1's ingress table admits the clients' identity.
cn_wait_b1_policy() {
	local i
	for ((i = 0; i < 50; i++)); do
		sluice_cli n2 -j policy get default/b1 2>/dev/null | jq -e '.ingress.isolated and
			any(.ingress.allow[]; (.peer | startswith("pod:default:")) and
				(.peer | contains("role=client")) and .policy == "default/b1-from-clients")' \
			>/dev/null && return 0
		sleep 0.1
	done
	fail "b1's policy never in force on n2: $(sluice_cli n2 policy get default/b1 2>&1)"
}

cn_policy() {
	local mode=$1 b1 a2 out
	cluster_up "$mode"
	b1=$(pod_ip b1)
	a2=$(pod_ip a2)
	cl_pod_labels a1 '{"app": "a1", "role": "client"}'
	cn_np deny-b1 '{"podSelector": {"matchLabels": {"app": "b1"}}, "policyTypes": ["Ingress"]}'
	cn_np b1-from-clients '{"podSelector": {"matchLabels": {"app": "b1"}},
		"ingress": [{"from": [{"podSelector": {"matchLabels": {"role": "client"}}}]}]}'
	cn_wait_b1_policy
	cl_verdicts_mark drop-policy-ingress
	cn_tcp_reaches a1 b1 || fail "a1 (role=client, n1) cannot reach b1 over TCP"
	cn_udp_reaches a1 b1 || fail "a1 (role=client, n1) cannot reach b1 over UDP"
	# The drop is seen on n2, with the remote source's address.
	sluice_cli n2 -j monitor --count 1 --timeout 10 >"$E2E_DIR/monitor.json" &
	sleep 0.5
	cn_tcp_reaches a2 b1 && fail "a2 (unlabelled, n1) reached b1 over TCP"
	wait $! || fail "no drop event on n2: $(cat "$E2E_DIR/monitor.json")"
	jq -e --arg a2 "$a2" --arg b1 "$b1" 'select(.type == "drop" and
		.reason == "drop-policy-ingress" and .source == $a2 and .destination == $b1 and
		.destination_port == 8080)' "$E2E_DIR/monitor.json" >/dev/null ||
		fail "n2's drop event is not a2 -> b1:8080 by ingress policy: $(cat "$E2E_DIR/monitor.json")"
	cn_udp_reaches a2 b1 && fail "a2 (unlabelled, n1) reached b1 over UDP"
	cn_tcp_reaches c1 b1 && fail "c1 (unlabelled, n3) reached b1 over TCP"
	cn_tcp_reaches b2 b1 && fail "b2 (unlabelled, n2) reached b1 over TCP"
	# Only b1 is isolated: the refused pods still reach b2, and a1 still reaches b1.
	cn_tcp_reaches a2 b2 || fail "a2 cannot reach b2, which no policy selects"
	cn_tcp_reaches c1 b2 || fail "c1 cannot reach b2, which no policy selects"
	cn_tcp_reaches a1 b1 || fail "a1 cannot reach b1 after the refusals"
	# a2 TCP, a2 UDP, c1 TCP and b2 TCP: at least a packet each, on n2.
	cl_verdict_grew n2 drop-policy-ingress 4
	out=$(sluice_cli n2 -j policy get default/b1)
	jq -e 'any(.drops[]; .reason == "drop-policy-ingress" and .packets >= 4)' <<<"$out" \
		>/dev/null || fail "b1's drop counters on n2: $out"
	cl_check_bpf_only "$mode"
}

test_cross_node_policy_native() { cn_policy native; }
test_cross_node_policy_vxlan() { cn_policy vxlan; }

# Switching the routing mode is an agent restart with another --routing
# (and IP forwarding as the new mode needs it): the pods stay, the routes
# follow the mode, and every pair still talks, carried by the new mode's
# path (its counters grow, the old mode's do not).
cn_switch_to() {
	local mode=$1 old=$2 node
	cl_agents_stop
	cl_ip_forward "$mode"
	cl_agents_start "$mode"
	cl_expect_routes "$mode"
	cl_verdicts_mark "$(cn_send_verdict "$mode")" "$(cn_send_verdict "$old")"
	cl_expect_all_pairs tcp
	for node in "${CL_NODES[@]}"; do
		cl_verdict_grew "$node" "$(cn_send_verdict "$mode")" 16
		[[ $(cl_verdict "$node" "$(cn_send_verdict "$old")") == \
			"${CL_MARK[$node/$(cn_send_verdict "$old")]}" ]] ||
			fail "$node still counts $(cn_send_verdict "$old") in $mode mode"
	done
	cl_check_bpf_only "$mode"
}

test_cross_node_routing_mode_switch() {
	cluster_up native
	cl_expect_routes native
	cl_expect_all_pairs tcp
	cl_check_bpf_only native
	cn_switch_to vxlan native
	# The pods keep the MTU they got in native mode, more than the tunnel's.
	cn_bulk a1 b1
	# And back: the tunnel's routes give way to the direct ones again.
	cn_switch_to native vxlan
	on_node n1 ip link show sluice_vxlan >/dev/null 2>&1 &&
		fail "sluice_vxlan still exists on n1 in native mode"
	true
}

# A host-network client on n1 reaches a ClusterIP whose backends are on
# n2 and n3 through the socket load balancer (on for n1 only, confined to a
# cgroup of the test's own): translated at connect(), routed to the other
# node, and the socket sees the VIP.
cn_host_clusterip() {
	local mode=$1 out answers="" i
	test_cgroup
	cluster_up "$mode"
	agent_stop n1
	agent_start n1 --devices eth0 --routing "$mode" --socket-lb on --cgroup-root "$TEST_CGROUP"
	cl_svc_write web 10.96.5.10 80 "$CL_TCP_PORT" TCP b1 c1
	cl_svc_wait 10.96.5.10 2
	for ((i = 0; i < 20; i++)); do
		out=$(in_cgroup_on_node "$SOCK_CLIENT" tcp 10.96.5.10 80) || fail "$mode: TCP: $out"
		[[ $out == "peer=10.96.5.10:80 reply="[bc]1 ]] || fail "$mode: peer and reply: $out"
		answers+=" ${out##*=}"
	done
	[[ $answers == *b1* && $answers == *c1* ]] || fail "$mode: one backend only:$answers"
	cl_check_bpf_only "$mode"
}

test_cross_node_host_network_clusterip_native() { cn_host_clusterip native; }
test_cross_node_host_network_clusterip_vxlan() { cn_host_clusterip vxlan; }

# The source's identity in the VNI: a2 shares a1's labels, but n2 has no Pod
# object of a2 (as when a new pod's object has not reached n2 yet), so by
# address a2 is nobody there. Pod identities are numbered alike on every
# node; in VXLAN routing n2 takes the number n1 put in the VNI and admits
# a2; in native routing there is no tunnel to carry it and a2 is refused.
cn_policy_vni() {
	local mode=$1 i id1 id2
	cluster_up "$mode"
	cl_pod_labels a1 '{"role": "client"}'
	cl_pod_labels a2 '{"role": "client"}'
	rm "$(manifest_dir n2)/pod-a2.json"
	cn_np deny-b1 '{"podSelector": {"matchLabels": {"app": "b1"}}, "policyTypes": ["Ingress"]}'
	cn_np b1-from-clients '{"podSelector": {"matchLabels": {"app": "b1"}},
		"ingress": [{"from": [{"podSelector": {"matchLabels": {"role": "client"}}}]}]}'
	for ((i = 0; i < 50; i++)); do
		id1=$(sluice_cli n1 -j identity list | jq -r '.[] | select(.identity ==
			"pod:default:role=client" and .addresses == 2) | .id')
		id2=$(sluice_cli n2 -j identity list | jq -r '.[] | select(.identity ==
			"pod:default:role=client" and .addresses == 1) | .id')
		[[ -n $id1 && -n $id2 ]] && break
		sleep 0.1
	done
	[[ -n $id1 && $id1 == "$id2" ]] ||
		fail "$mode: the clients' identity is '$id1' on n1 and '$id2' on n2, want one number"
	((id1 >= 65536)) || fail "$mode: identity $id1 is not in the cluster-wide range"
	cn_wait_b1_policy
	cn_tcp_reaches a1 b1 || fail "$mode: a1 (known to n2) cannot reach b1"
	cn_tcp_reaches c1 b1 && fail "$mode: c1 (no client) reached b1: the policy is not in force"
	if [[ $mode == vxlan ]]; then
		cn_tcp_reaches a2 b1 || fail "vxlan: a2 was not admitted by the identity in the VNI"
	else
		cn_tcp_reaches a2 b1 && fail "native: a2, unknown to n2, reached b1"
	fi
	cl_check_bpf_only "$mode"
}

test_cross_node_policy_vni_vxlan() { cn_policy_vni vxlan; }
test_cross_node_policy_vni_native() { cn_policy_vni native; }
