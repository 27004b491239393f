# SPDX-License-Identifier: Apache-2.0
# Flows a node sends from its own address, on three nodes in both routing
# modes: NodePort and a load-balancer IP from outside the cluster with
# backends on other nodes (externalTrafficPolicy Cluster: the backend sees
# the node; Local: the client), and pods' traffic to outside the cluster, masqueraded to the
# node's address. Every node forwards here (net.ipv4.ip_forward=1, as on
# any Kubernetes node): replies to outside clients are routed by FIB
# lookup, which honours it; the verdict counters show BPF did the work.

source "$SLUICE_ROOT/selftests/e2e/lib_cluster.sh"

# The outside client, on the wire, and a server beyond it (TEST-NET-3).
NAT_OUTSIDE_IP=192.168.50.100
NAT_WORLD_IP=203.0.113.1
NAT_WORLD_NET=203.0.113.0/24
# Where servers answer with the address that reached them, pods and outside alike.
NAT_PEER_PORT=8081
# A UDP port nothing listens on out there: its requests get a port unreachable.
NAT_CLOSED_UDP_PORT=8089
NAT_PORT_CLUSTER=30080
NAT_PORT_LOCAL=30081
NAT_PORT_LB=30082
# A load-balancer ingress address (TEST-NET-2) that the outside routes to n1.
NAT_LB_IP=198.51.100.50

# A server answering each TCP connection with its peer's address.
nat_peer_server() {
	bg_in_pod "$1" socat "TCP-LISTEN:$NAT_PEER_PORT,${2:+bind=$2,}fork,reuseaddr" \
		'SYSTEM:echo $SOCAT_PEERADDR' >/dev/null 2>&1
}

# The cluster in MODE, forwarding on, with the outside namespace on the wire.
nat_cluster() {
	local ns=$E2E_PREFIX-outside node pod
	cluster_up "$1"
	for node in "${CL_NODES[@]}"; do
		on_node "$node" sysctl -qw net.ipv4.ip_forward=1
		on_node "$node" ip route add "$NAT_WORLD_NET" via "$NAT_OUTSIDE_IP"
	done
	ip netns add "$ns" || fail "cannot create the outside namespace"
	ip link add ext0 netns "$ns" type veth peer name outside netns "$(cl_wire_ns)"
	ip -n "$(cl_wire_ns)" link set outside master br0 up
	ip -n "$ns" addr add "$NAT_OUTSIDE_IP/24" dev ext0
	ip -n "$ns" addr add "$NAT_WORLD_IP/32" dev lo
	ip -n "$ns" link set ext0 up
	ip -n "$ns" link set lo up
	nat_peer_server outside "$NAT_WORLD_IP"
	for pod in b1 c1; do nat_peer_server "$pod"; done
	for pod in b1 c1 outside; do tcp_wait_listen "$pod" "$NAT_PEER_PORT"; done
}

# A NodePort service on every node: nat_nodeport NAME PORT POLICY POD...
# With $NAT_LB_INGRESS set, a LoadBalancer service with that ingress address.
nat_nodeport() {
	local name=$1 port=$2 policy=$3 pod eps='[]' type=NodePort status='{}'
	shift 3
	if [[ -n ${NAT_LB_INGRESS:-} ]]; then
		type=LoadBalancer
		status=$(jq -n --arg ip "$NAT_LB_INGRESS" '{loadBalancer: {ingress: [{ip: $ip}]}}')
	fi
	for pod in "$@"; do
		eps=$(jq --arg ip "$(pod_ip "$pod")" --arg node "${CL_NODE_OF[$pod]}" \
			'. + [{addresses: [$ip], conditions: {ready: true}, nodeName: $node}]' <<<"$eps")
	done
	jq -n --arg name "$name" --argjson np "$port" --arg policy "$policy" --arg type "$type" \
		--argjson status "$status" --argjson target "$NAT_PEER_PORT" --argjson eps "$eps" '{
		apiVersion: "v1", kind: "List", items: [
		{apiVersion: "v1", kind: "Service", metadata: {name: $name, namespace: "default"},
		 status: $status,
		 spec: {type: $type, clusterIP: "10.96.7.\($np - 30000)",
			externalTrafficPolicy: $policy,
			ports: [{name: "p", port: 80, targetPort: $target, nodePort: $np,
				 protocol: "TCP"}]}},
		{apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice",
		 metadata: {name: ($name + "-1"), namespace: "default",
			    labels: {"kubernetes.io/service-name": $name}},
		 addressType: "IPv4", ports: [{name: "p", port: $target, protocol: "TCP"}],
		 endpoints: $eps}]}' | cl_manifest_all "svc-$name"
}

# What the outside client hears from ADDR:PORT; empty when nothing answers.
nat_ask_from_outside() {
	in_pod outside socat -T 3 - "TCP:$1:$2,connect-timeout=3" </dev/null 2>/dev/null || true
}

cn_nodeport() {
	local mode=$1 i out
	nat_cluster "$mode"
	nat_nodeport np-cluster "$NAT_PORT_CLUSTER" Cluster b1 c1
	nat_nodeport np-local "$NAT_PORT_LOCAL" Local b1 c1
	NAT_LB_INGRESS=$NAT_LB_IP nat_nodeport lb-cluster "$NAT_PORT_LB" Cluster b1 c1
	cl_svc_wait 10.96.7.80 2
	cl_svc_wait 10.96.7.82 2
	cl_verdicts_mark forward-net
	# n1 has no backend: the flow leaves n1 from its own address to n2 or n3.
	for ((i = 0; i < 6; i++)); do
		out=$(nat_ask_from_outside "${CL_NODE_IP[n1]}" "$NAT_PORT_CLUSTER")
		[[ $out == "${CL_NODE_IP[n1]}" ]] ||
			fail "$mode: Cluster NodePort on n1: the backend heard '$out', want n1's address"
	done
	cl_verdict_grew n1 forward-net 6
	# The load-balancer IP, routed to n1 by the outside as a cloud LB would send it.
	ip -n "$E2E_PREFIX-outside" route add "$NAT_LB_IP/32" via "${CL_NODE_IP[n1]}"
	out=$(nat_ask_from_outside "$NAT_LB_IP" 80)
	[[ $out == "${CL_NODE_IP[n1]}" ]] ||
		fail "$mode: LoadBalancer IP via n1: the backend heard '$out', want n1's address"
	# Local keeps the client's address: n2's own backend answers it directly.
	out=$(nat_ask_from_outside "${CL_NODE_IP[n2]}" "$NAT_PORT_LOCAL")
	[[ $out == "$NAT_OUTSIDE_IP" ]] ||
		fail "$mode: Local NodePort on n2: the backend heard '$out', want the client's address"
	sluice_cli n1 -j ct list | jq -e '[.[] | select(.direction == "snat-in")] | length > 0' \
		>/dev/null || fail "$mode: n1 tracks no snat-in entry: $(sluice_cli n1 ct list)"
}

test_cross_node_nodeport_native() { cn_nodeport native; }
test_cross_node_nodeport_vxlan() { cn_nodeport vxlan; }

cn_masquerade() {
	local mode=$1 pod out closed
	nat_cluster "$mode"
	cl_verdicts_mark masquerade
	for pod in a1 b1 c2; do
		out=$(in_pod "$pod" socat -T 3 - "TCP:$NAT_WORLD_IP:$NAT_PEER_PORT,connect-timeout=3" \
			</dev/null 2>/dev/null) || true
		[[ $out == "${CL_NODE_IP[${CL_NODE_OF[$pod]}]}" ]] ||
			fail "$mode: $pod to the world: the server heard '$out', want its node's address"
	done
	for pod in a1 b1 c2; do cl_verdict_grew "${CL_NODE_OF[$pod]}" masquerade 1; done
	# Pings too, by their echo identifier: the outside has no route back to pods.
	cl_verdicts_mark masquerade
	in_pod a1 ping -c 2 -W 2 "$NAT_WORLD_IP" >/dev/null || fail "$mode: a1 cannot ping the world"
	cl_verdict_grew n1 masquerade 2
	# The world's ICMP error about a masqueraded flow reaches the pod's socket.
	closed=UDP:$NAT_WORLD_IP:$NAT_CLOSED_UDP_PORT
	out=$(in_pod a1 sh -c "echo q | socat -T 3 - $closed" 2>&1) &&
		fail "$mode: no error from a closed UDP port out there: '$out'"
	[[ $out == *"Connection refused"* ]] || fail "$mode: a1's UDP request was not refused: $out"
	# Inside the cluster nothing is masqueraded: b1 hears a1 itself.
	out=$(in_pod a1 socat -T 3 - "TCP:$(pod_ip b1):$NAT_PEER_PORT,connect-timeout=3" </dev/null)
	[[ $out == "$(pod_ip a1)" ]] || fail "$mode: a1 to b1: b1 heard '$out', want a1's own address"
}

test_cross_node_masquerade_native() { cn_masquerade native; }
test_cross_node_masquerade_vxlan() { cn_masquerade vxlan; }
