# SPDX-License-Identifier: Apache-2.0
# A three-node cluster for cross-node tests, sourced by the tests that need
# it, after lib.sh: nodes n1, n2, n3, each with a device eth0 that is one end
# of a veth whose other end is a port of bridge br0 in namespace "wire"
# (which carries the test prefix, so cleanup removes it).
#
# Pod traffic between nodes must pass through BPF alone, never the kernel's
# forwarding. In vxlan mode IP forwarding stays off on every node
# (node_create), so nothing else could carry it. Native routing needs it on
# (bpf_fib_lookup honours net.ipv4.ip_forward, as the agent's warning and
# the README say), so there it is on, as on every Kubernetes node, and
# cl_check_bpf_only proves instead that the kernel forwarded no datagram.
#
#   n1  eth0 192.168.50.1/24  pods 10.244.1.0/24: a1 a2
#   n2  eth0 192.168.50.2/24  pods 10.244.2.0/24: b1 b2
#   n3  eth0 192.168.50.3/24  pods 10.244.3.0/24: c1 c2
#
# Every node's manifest directory holds the three Node objects, the
# Namespace "default" and every pod's Pod object (wherever the pod runs),
# as a real cluster's API server would give each agent.

CL_NODES=(n1 n2 n3)
CL_PODS=(a1 a2 b1 b2 c1 c2)
declare -gA CL_NODE_IP=([n1]=192.168.50.1 [n2]=192.168.50.2 [n3]=192.168.50.3)
declare -gA CL_POD_CIDR=([n1]=10.244.1.0/24 [n2]=10.244.2.0/24 [n3]=10.244.3.0/24)
declare -gA CL_NODE_OF=([a1]=n1 [a2]=n1 [b1]=n2 [b2]=n2 [c1]=n3 [c2]=n3)
# Labels of each pod's Pod object; cl_pod_labels changes them.
declare -gA CL_POD_LABELS=()
# The TCP port every pod answers on with its name (tcp_serve), and the UDP one.
CL_TCP_PORT=8080
CL_UDP_PORT=5353
# Seconds a probe waits: for a TCP connect (one SYN retransmission fits) and
# for each UDP datagram's answer.
CL_TCP_TIMEOUT=2
CL_UDP_TIMEOUT=1
# Datagrams a UDP probe sends, one at a time, before it believes no answer comes.
CL_UDP_TRIES=2

cl_wire_ns() { echo "$E2E_PREFIX-wire"; }

# The wire: a bridge in its own namespace and one veth per node into it.
cl_wire() {
	local node wire
	wire=$(cl_wire_ns)
	ip netns add "$wire" || fail "cannot create the wire namespace"
	ip -n "$wire" link set lo up
	ip -n "$wire" link add br0 type bridge
	ip -n "$wire" link set br0 up
	for node in "${CL_NODES[@]}"; do
		node_create "$node"
		ip link add eth0 netns "$E2E_PREFIX-$node" type veth peer name "$node" netns "$wire" ||
			fail "cannot wire $node"
		ip -n "$wire" link set "$node" master br0
		ip -n "$wire" link set "$node" up
		on_node "$node" ip addr add "${CL_NODE_IP[$node]}/24" dev eth0
		on_node "$node" ip link set eth0 up
	done
}

# Writes a manifest from stdin into one node's directory: beside it, then renamed in.
# cl_manifest NODE FILE_STEM
cl_manifest() {
	local dir
	dir=$(manifest_dir "$1")
	mkdir -p "$dir"
	cat >"$dir/.$2.json.tmp"
	mv "$dir/.$2.json.tmp" "$dir/$2.json"
}

# The same manifest from stdin into every node's directory.
cl_manifest_all() {
	local node obj
	obj=$(cat)
	for node in "${CL_NODES[@]}"; do cl_manifest "$node" "$1" <<<"$obj"; done
}

# The three Node objects (v1 shape) and the default Namespace, in every directory.
cl_node_objects() {
	local node
	for node in "${CL_NODES[@]}"; do
		jq -n --arg n "$node" --arg cidr "${CL_POD_CIDR[$node]}" --arg ip "${CL_NODE_IP[$node]}" '{
			apiVersion: "v1", kind: "Node",
			metadata: {name: $n, labels: {"kubernetes.io/hostname": $n}},
			spec: {podCIDR: $cidr, podCIDRs: [$cidr]},
			status: {addresses: [{type: "InternalIP", address: $ip},
					     {type: "Hostname", address: $n}]}}' |
			cl_manifest_all "node-$node"
	done
	jq -n '{apiVersion: "v1", kind: "Namespace", metadata: {name: "default",
		labels: {"kubernetes.io/metadata.name": "default"}}}' | cl_manifest_all ns-default
}

# A pod's Pod object, as the API server holds it once the pod runs.
cl_pod_object() {
	local pod=$1 node=${CL_NODE_OF[$1]}
	jq -n --arg n "$pod" --arg node "$node" --arg hip "${CL_NODE_IP[$node]}" \
		--arg ip "$(pod_ip "$pod")" --argjson l "${CL_POD_LABELS[$pod]:-"{\"app\": \"$pod\"}"}" \
		--argjson tp "$CL_TCP_PORT" --argjson up "$CL_UDP_PORT" '{
		apiVersion: "v1", kind: "Pod",
		metadata: {namespace: "default", name: $n, labels: $l},
		spec: {nodeName: $node, containers: [{name: "c", image: "socat", ports: [
			{name: "tcp", containerPort: $tp, protocol: "TCP"},
			{name: "udp", containerPort: $up, protocol: "UDP"}]}]},
		status: {phase: "Running", hostIP: $hip, hostIPs: [{ip: $hip}],
			 podIP: $ip, podIPs: [{ip: $ip}]}}' | cl_manifest_all "pod-$pod"
}

# cl_pod_labels POD LABELS_JSON: gives a pod's Pod object new labels, on every node.
cl_pod_labels() {
	CL_POD_LABELS[$1]=$2
	cl_pod_object "$1"
}

# cl_agents_start MODE [AGENT_ARGS...]: an agent on every node.
cl_agents_start() {
	local mode=$1 node
	shift
	for node in "${CL_NODES[@]}"; do
		agent_start "$node" --devices eth0 --routing "$mode" "$@"
	done
}

cl_agents_stop() {
	local node
	for node in "${CL_NODES[@]}"; do agent_stop "$node"; done
}

# Answers every datagram on a UDP port with a name: argv PORT NAME. (socat's
# UDP-RECVFROM with fork loses datagrams when several clients ask at once: a
# finishing child still reads from the shared socket.)
CL_UDP_SERVER='
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
while True:
    _, peer = s.recvfrom(512)
    s.sendto(sys.argv[2].encode() + b"\n", peer)
'

# Two pods per node, each answering TCP and UDP with its name, and every
# pod's Pod object on every node.
cl_pods() {
	local pod
	for pod in "${CL_PODS[@]}"; do
		pod_add "${CL_NODE_OF[$pod]}" "$pod" \
			"$(cni_conf "${CL_NODE_OF[$pod]}" "${CL_POD_CIDR[${CL_NODE_OF[$pod]}]}")"
		tcp_serve "$pod" "$CL_TCP_PORT"
		bg_in_pod "$pod" python3 -c "$CL_UDP_SERVER" "$CL_UDP_PORT" "$pod"
	done
	for pod in "${CL_PODS[@]}"; do
		cl_pod_object "$pod"
		tcp_wait_listen "$pod" "$CL_TCP_PORT"
		cl_wait_udp "$pod"
	done
}

# Waits until a pod's UDP port is bound.
cl_wait_udp() {
	local i
	for ((i = 0; i < 50; i++)); do
		in_pod "$1" ss -Huln "sport = :$CL_UDP_PORT" | grep -q . && return 0
		sleep 0.1
	done
	fail "nothing listens on $1 UDP $CL_UDP_PORT"
}

# cluster_up MODE [AGENT_ARGS...]: the wire, the nodes, the agents in MODE
# (native or vxlan), the pods and their servers.
cluster_up() {
	cl_wire
	cl_ip_forward "$1"
	cl_node_objects
	cl_agents_start "$@"
	cl_pods
}

# IP forwarding as a routing mode needs it: on for native, off for vxlan.
cl_ip_forward() {
	local node value
	case $1 in
	native) value=1 ;;
	vxlan) value=0 ;;
	*) fail "no routing mode $1" ;;
	esac
	for node in "${CL_NODES[@]}"; do on_node "$node" sysctl -qw "net.ipv4.ip_forward=$value"; done
}

# The datagrams a node's kernel has forwarded (IpForwDatagrams) since the node was made.
cl_kernel_forwarded() {
	on_node "$1" awk '$1 == "Ip:" && !n {for (i = 2; i <= NF; i++) if ($i == "ForwDatagrams") n = i;
		next} $1 == "Ip:" && n {print $n}' /proc/net/snmp
}

# The premise of every cross-node test: no node's kernel forwarded anything,
# so all pod traffic between nodes went through BPF; in vxlan mode the
# kernel could not even have (forwarding is off). cl_check_bpf_only MODE
cl_check_bpf_only() {
	local node n
	for node in "${CL_NODES[@]}"; do
		n=$(cl_kernel_forwarded "$node")
		[[ $n == 0 ]] ||
			fail "$node's kernel forwarded ${n:-?} datagrams: not all pod traffic went through BPF; stats: $(sluice_cli "$node" -j stats show | jq -c '[.[] | select(.packets > 0)]')"
		[[ $1 != vxlan || $(on_node "$node" sysctl -n net.ipv4.ip_forward) == 0 ]] ||
			fail "net.ipv4.ip_forward is on on $node in vxlan mode"
	done
}

# One probe: prints the answer of DST (an address) to SRC_POD over PROTO, or nothing.
# cl_ask SRC_POD tcp|udp ADDR [PORT]
cl_ask() {
	local src=$1 proto=$2 addr=$3 port=${4:-} i out
	if [[ $proto == tcp ]]; then
		in_pod "$src" socat -T "$CL_TCP_TIMEOUT" - \
			"TCP:$addr:${port:-$CL_TCP_PORT},connect-timeout=$CL_TCP_TIMEOUT" </dev/null 2>/dev/null ||
			true
		return 0
	fi
	# A datagram may be lost, so a second one is sent before giving up.
	for ((i = 0; i < CL_UDP_TRIES; i++)); do
		out=$(echo q | in_pod "$src" socat -T "$CL_UDP_TIMEOUT" - "UDP:$addr:${port:-$CL_UDP_PORT}" \
			2>/dev/null) || true
		[[ -n $out ]] && break
	done
	printf '%s\n' "$out"
}

# Probes from every pod to every other pod over each protocol named (tcp,
# udp), all sources at once; prints "SRC DST PROTO ANSWER" lines (ANSWER "-"
# for none) into $E2E_DIR/pairs.
cl_probe_pairs() {
	local protos=("$@") pids=() src dst proto answer
	for src in "${CL_PODS[@]}"; do
		(
			for dst in "${CL_PODS[@]}"; do
				[[ $dst == "$src" ]] && continue
				for proto in "${protos[@]}"; do
					answer=$(cl_ask "$src" "$proto" "$(pod_ip "$dst")" | head -n 1 | tr -s ' ' _)
					printf '%s %s %s %s\n' "$src" "$dst" "$proto" "${answer:--}"
				done
			done
		) >"$E2E_DIR/pairs-$src" &
		pids+=($!)
	done
	wait "${pids[@]}"
	cat "${CL_PODS[@]/#/$E2E_DIR/pairs-}" >"$E2E_DIR/pairs"
}

# Every ordered pair of pods reaches the other over each protocol named, and
# gets the right pod's answer; fails naming every pair that does not.
cl_expect_all_pairs() {
	local bad n want
	cl_probe_pairs "$@"
	n=$(wc -l <"$E2E_DIR/pairs")
	want=$((${#CL_PODS[@]} * (${#CL_PODS[@]} - 1) * $#))
	((n == want)) || fail "probed $n pairs, not $want: $(cat "$E2E_DIR/pairs")"
	bad=$(awk '$2 != $4 {print "  " $1 " -> " $2 " " $3 ": answer " $4}' "$E2E_DIR/pairs")
	[[ -z $bad ]] || fail "pairs that did not get their answer ($(wc -l <<<"$bad") of $n):
$bad"
}

# The packets a node counted under a verdict (0 when it never counted any).
cl_verdict() {
	local n
	n=$(verdict_packets "$1" "$2")
	echo "${n:-0}"
}

# Remembers every node's count of each verdict named: cl_verdicts_mark VERDICT...
cl_verdicts_mark() {
	local node v
	declare -gA CL_MARK=()
	for node in "${CL_NODES[@]}"; do
		for v in "$@"; do CL_MARK[$node/$v]=$(cl_verdict "$node" "$v"); done
	done
}

# Fails unless a node's count of a verdict grew by at least MIN since cl_verdicts_mark.
# cl_verdict_grew NODE VERDICT MIN
cl_verdict_grew() {
	local node=$1 v=$2 min=$3 now
	now=$(cl_verdict "$node" "$v")
	((now - ${CL_MARK[$node/$v]:-0} >= min)) ||
		fail "$node counted $((now - ${CL_MARK[$node/$v]:-0})) packets under $v, want >= $min; stats: $(sluice_cli "$node" -j stats show | jq -c '[.[] | select(.packets > 0)]')"
}

# Prints the route a node has to a prefix, as `ip route` shows it.
cl_route() {
	on_node "$1" ip -4 route show exact "$2"
}

# Fails unless every node routes each other node's pod CIDR as MODE does
# (native "CIDR via NODE_IP dev eth0", vxlan "CIDR dev sluice_vxlan"), and
# its node map (`sluice node list`) is in MODE, with its own address, and
# holds exactly each other node's pod CIDR and address, both to that node.
cl_expect_routes() {
	local mode=$1 node other route want got
	for node in "${CL_NODES[@]}"; do
		want=$(for other in "${CL_NODES[@]}"; do
			[[ $other == "$node" ]] && continue
			printf '%s %s\n' "${CL_POD_CIDR[$other]}" "${CL_NODE_IP[$other]}" \
				"${CL_NODE_IP[$other]}/32" "${CL_NODE_IP[$other]}"
		done | sort)
		got=$(sluice_cli "$node" -j node list)
		[[ $(jq -r '.routing + " " + .address' <<<"$got") == "$mode ${CL_NODE_IP[$node]}" ]] ||
			fail "$node's node list is not in $mode mode at ${CL_NODE_IP[$node]}: $got"
		[[ $(jq -r '.nodes[] | .destination + " " + .node' <<<"$got" | sort) == "$want" ]] ||
			fail "$node's node map: $got; want:
$want"
		for other in "${CL_NODES[@]}"; do
			[[ $other == "$node" ]] && continue
			route=$(cl_route "$node" "${CL_POD_CIDR[$other]}")
			case $mode in
			native) [[ $route == "${CL_POD_CIDR[$other]} via ${CL_NODE_IP[$other]} dev eth0"* ]] ;;
			vxlan) [[ $route == "${CL_POD_CIDR[$other]} dev sluice_vxlan"* ]] ;;
			*) fail "no routing mode $mode" ;;
			esac || fail "$node's route to $other's pods in $mode mode: '$route'; all routes:
$(on_node "$node" ip -4 route show)"
			[[ $(wc -l <<<"$route") == 1 ]] || fail "$node has several routes to $other's pods: $route"
		done
	done
}

# cl_svc_write NAME CLUSTER_IP PORT TARGET_PORT PROTO [POD...]: a Service and
# its EndpointSlice, each endpoint naming the node its pod runs on, into
# every node's manifest directory (as every agent reads every Service).
cl_svc_write() {
	local name=$1 ip=$2 port=$3 target=$4 proto=$5 pod eps='[]'
	shift 5
	for pod in "$@"; do
		eps=$(jq --arg ip "$(pod_ip "$pod")" --arg node "${CL_NODE_OF[$pod]}" --arg pod "$pod" \
			'. + [{addresses: [$ip], conditions: {ready: true, serving: true, terminating: false},
			       nodeName: $node,
			       targetRef: {kind: "Pod", namespace: "default", name: $pod}}]' <<<"$eps")
	done
	jq -n --arg name "$name" --arg ip "$ip" --argjson port "$port" \
		--argjson target "$target" --arg proto "$proto" --argjson eps "$eps" '{
		apiVersion: "v1", kind: "List", items: [
		{apiVersion: "v1", kind: "Service",
		 metadata: {name: $name, namespace: "default"},
		 spec: {type: "ClusterIP", clusterIP: $ip, clusterIPs: [$ip],
			ports: [{name: "p", port: $port, targetPort: $target, protocol: $proto}]}},
		{apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice",
		 metadata: {name: ($name + "-1"), namespace: "default",
			    labels: {"kubernetes.io/service-name": $name}},
		 addressType: "IPv4", ports: [{name: "p", port: $target, protocol: $proto}],
		 endpoints: $eps}]}' | cl_manifest_all "svc-$name"
}

# Waits until every node programs a frontend with this many backends.
cl_svc_wait() {
	local node
	for node in "${CL_NODES[@]}"; do svc_wait "$node" "$1" "$2"; done
}
