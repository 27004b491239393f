# SPDX-License-Identifier: Apache-2.0
# Helpers for end-to-end tests: simulated nodes and pods as network
# namespaces, the real agent and the real CNI plugin. Sourced by run.sh;
# every name a test makes carries $E2E_PREFIX so cleanup finds all of it.

SLUICE_ROOT=${SLUICE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SLUICE_BIN=$SLUICE_ROOT/build/bin
CNI_PLUGIN_DIR=${CNI_PLUGIN_DIR:-/usr/lib/cni}
# How long to wait for an agent to report ready (tenths of a second).
AGENT_READY_TENTHS=100

# Per-test state lives in $E2E_DIR: pids, CNI results, IPAM leases, logs.
e2e_setup() {
	E2E_DIR=$(mktemp -d "/tmp/${E2E_PREFIX}.XXXX")
	CNI_PATH_DIRS="$SLUICE_BIN:$CNI_PLUGIN_DIR"
}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# Runs a command on a node: its network namespace, the machine's bpffs and cgroups
# (ip netns exec would hide bpffs behind a fresh sysfs).
on_node() {
	local node=$1
	shift
	nsenter --net="/var/run/netns/$E2E_PREFIX-$node" "$@"
}

# Runs a command in a pod's namespace; pods need no bpffs.
in_pod() {
	local pod=$1
	shift
	ip netns exec "$E2E_PREFIX-$pod" "$@"
}

pin_root() { echo "/sys/fs/bpf/$E2E_PREFIX-$1"; }
manifest_dir() { echo "$E2E_DIR/manifests-$1"; }

# A node: a namespace with loopback up. IP forwarding stays off unless a
# test turns it on, so pod-to-pod traffic can only pass through BPF.
node_create() {
	ip netns add "$E2E_PREFIX-$1" || fail "cannot create node $1"
	ip -n "$E2E_PREFIX-$1" link set lo up
	# Set, not inherited: a new namespace may copy the machine's value.
	on_node "$1" sysctl -qw net.ipv4.ip_forward=0
}

# Background processes are started as simple commands, never through a
# function, so that $! is the process itself and not a subshell around it.
# agent_start NODE [AGENT_ARGS...]: each node reads its own manifest directory.
# The socket load balancer stays off unless a test names a cgroup it made:
# its default, the machine's root cgroup, is never for tests.
agent_start() {
	local node=$1
	shift
	mkdir -p "$(manifest_dir "$node")"
	nsenter --net="/var/run/netns/$E2E_PREFIX-$node" "$SLUICE_BIN/sluice" agent \
		--node-name "$node" --bpffs "$(pin_root "$node")" \
		--manifests "$(manifest_dir "$node")" --socket-lb off "$@" \
		>>"$E2E_DIR/agent-$node.log" 2>&1 &
	echo $! >"$E2E_DIR/agent-$node.pid"
	agent_wait_ready "$node"
}

# Starts a command in a pod in the background; cleanup kills it.
bg_in_pod() {
	local pod=$1
	shift
	ip netns exec "$E2E_PREFIX-$pod" "$@" &
	echo $! >>"$E2E_DIR/pids"
}

agent_wait_ready() {
	local i
	for ((i = 0; i < AGENT_READY_TENTHS; i++)); do
		on_node "$1" "$SLUICE_BIN/sluice" status --bpffs "$(pin_root "$1")" >/dev/null 2>&1 &&
			return 0
		sleep 0.1
	done
	cat "$E2E_DIR/agent-$1.log" >&2
	fail "agent on $1 not ready after $((AGENT_READY_TENTHS / 10))s"
}

# Stops the agent with a signal (TERM by default) and waits for it to exit.
agent_stop() {
	local node=$1 sig=${2:-TERM} pid
	pid=$(cat "$E2E_DIR/agent-$node.pid" 2>/dev/null) || return 0
	kill "-$sig" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
	rm -f "$E2E_DIR/agent-$node.pid"
}

sluice_cli() {
	local node=$1
	shift
	on_node "$node" "$SLUICE_BIN/sluice" --bpffs "$(pin_root "$node")" "$@"
}

# The network configuration a node's pods use; $1 node, $2 subnet, $3 cniVersion.
cni_conf() {
	local node=$1 subnet=${2:-10.244.1.0/24} version=${3:-1.0.0}
	jq -n --arg v "$version" --arg root "$(pin_root "$node")" --arg subnet "$subnet" \
		--arg data "$E2E_DIR/ipam-$node" '{
		cniVersion: $v, name: "podnet", type: "sluice-cni", bpffs: $root,
		ipam: {type: "host-local", dataDir: $data, ranges: [[{subnet: $subnet}]]}
	}'
}

# Invokes sluice-cni on a node as a runtime would.
# cni_exec NODE COMMAND CONTAINERID NETNS IFNAME CONFIG_JSON [CNI_ARGS]
cni_exec() {
	cni_plugin_exec sluice-cni "$@"
}

# The same for any plugin on the CNI path: cni_plugin_exec TYPE NODE COMMAND ...
cni_plugin_exec() {
	local type=$1 node=$2 cmd=$3 id=$4 netns=$5 ifname=$6 conf=$7 args=${8:-} bin
	bin=$(PATH=$CNI_PATH_DIRS command -v "$type") || fail "no CNI plugin $type"
	printf '%s' "$conf" | on_node "$node" env -i PATH="$PATH" CNI_COMMAND="$cmd" \
		CNI_CONTAINERID="$id" CNI_NETNS="$netns" CNI_IFNAME="$ifname" \
		CNI_PATH="$CNI_PATH_DIRS" CNI_ARGS="$args" "$bin"
}

# Runs a conflist the way libcni does: each plugin gets the list's name and
# cniVersion, ADD and CHECK chain prevResult forwards, DEL runs in reverse
# with the cached ADD result. Prints the final result of an ADD.
# cni_chain NODE COMMAND CONTAINERID NETNS IFNAME CONFLIST [CACHED_RESULT]
cni_chain() {
	local node=$1 cmd=$2 id=$3 netns=$4 ifname=$5 list=$6 prev=${7:-} n i conf out
	n=$(jq '.plugins | length' <<<"$list")
	for ((i = 0; i < n; i++)); do
		local idx=$i
		[[ $cmd == DEL ]] && idx=$((n - 1 - i))
		conf=$(jq --argjson i "$idx" '.plugins[$i] + {name: .name, cniVersion: .cniVersion}' \
			<<<"$list")
		[[ -n $prev ]] && conf=$(jq --argjson p "$prev" '. + {prevResult: $p}' <<<"$conf")
		out=$(cni_plugin_exec "$(jq -r .type <<<"$conf")" "$node" "$cmd" "$id" "$netns" \
			"$ifname" "$conf") || { echo "$out"; return 1; }
		[[ $cmd == ADD ]] && prev=$out
	done
	[[ $cmd == ADD ]] && echo "$prev"
	return 0
}

# Creates a pod namespace and adds it to the node's network with the plugin
# the config names (sluice-cni unless a benchmark compares another); the
# result is kept. The pod is default/POD, or $POD_NS/$POD_NAME when set.
pod_add() {
	local node=$1 pod=$2 conf=${3:-$(cni_conf "$1")}
	ip netns add "$E2E_PREFIX-$pod" || fail "cannot create pod $pod"
	ip -n "$E2E_PREFIX-$pod" link set lo up
	cni_plugin_exec "$(jq -r .type <<<"$conf")" "$node" ADD "ctr-$pod" \
		"/var/run/netns/$E2E_PREFIX-$pod" eth0 "$conf" \
		"IgnoreUnknown=1;K8S_POD_NAMESPACE=${POD_NS:-default};K8S_POD_NAME=${POD_NAME:-$pod}" \
		>"$E2E_DIR/result-$pod.json" || {
		cat "$E2E_DIR/result-$pod.json" >&2
		fail "CNI ADD of $pod failed"
	}
}

pod_ip() { jq -r '.ips[0].address | split("/")[0]' "$E2E_DIR/result-$1.json"; }

pod_del() {
	local node=$1 pod=$2 conf=${3:-$(cni_conf "$1")}
	conf=$(jq --slurpfile prev "$E2E_DIR/result-$pod.json" '. + {prevResult: $prev[0]}' <<<"$conf")
	cni_exec "$node" DEL "ctr-$pod" "/var/run/netns/$E2E_PREFIX-$pod" eth0 "$conf"
}

# The packets counted under one verdict on a node.
verdict_packets() {
	sluice_cli "$1" -j stats show | jq -r --arg v "$2" '.[] | select(.verdict == $v) | .packets'
}

# A TCP server in a pod that answers each connection with the pod's name.
tcp_serve() {
	local pod=$1 port=${2:-8080}
	bg_in_pod "$pod" socat "TCP-LISTEN:$port,fork,reuseaddr" "SYSTEM:echo $pod" >/dev/null 2>&1
}

# Waits until a pod's TCP port accepts (servers start asynchronously).
tcp_wait_listen() {
	local pod=$1 port=${2:-8080} i
	for ((i = 0; i < 50; i++)); do
		in_pod "$pod" ss -Htln "sport = :$port" | grep -q . && return 0
		sleep 0.1
	done
	fail "nothing listens on $pod:$port"
}

# Connects from one pod to an address and prints the answer.
tcp_ask() {
	local pod=$1 addr=$2 port=${3:-8080}
	in_pod "$pod" socat -T 3 - "TCP:$addr:$port,connect-timeout=3" </dev/null
}

# A cgroup of this test's own under the machine's cgroup2 mount, for the
# socket load balancer (--cgroup-root): never the machine's root cgroup.
test_cgroup() {
	local root
	root=$(findmnt -n -t cgroup2 -o TARGET | head -n 1)
	[[ -n $root ]] || fail "no cgroup2 mount"
	TEST_CGROUP=$root/$E2E_PREFIX
	mkdir "$TEST_CGROUP"
	on_cleanup rmdir "$TEST_CGROUP"
}

# Runs a command on node n1 as a host-network process inside the test cgroup.
in_cgroup_on_node() {
	on_node n1 sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' _ "$TEST_CGROUP" "$@"
}

# Registers a command that cleanup runs first (for things only a tool can undo).
on_cleanup() {
	printf '%s\n' "$*" >>"$E2E_DIR/cleanup.sh"
}

# Writes a Service and its EndpointSlice into a node's manifest directory.
# svc_write NODE NAME CLUSTER_IP PORT TARGET_PORT PROTO [POD...]; extra spec
# fields come from $SVC_SPEC (a jq object merged into spec).
svc_write() {
	local node=$1 name=$2 ip=$3 port=$4 target=$5 proto=$6 pod eps='[]'
	shift 6
	for pod in "$@"; do
		eps=$(jq --arg ip "$(pod_ip "$pod")" --arg node "$node" \
			'. + [{addresses: [$ip], conditions: {ready: true}, nodeName: $node}]' <<<"$eps")
	done
	jq -n --arg name "$name" --arg ip "$ip" --argjson port "$port" \
		--argjson target "$target" --arg proto "$proto" --argjson eps "$eps" \
		--argjson extra "${SVC_SPEC:-{\}}" '{apiVersion: "v1", kind: "List", items: [
		{apiVersion: "v1", kind: "Service",
		 metadata: {name: $name, namespace: "default"},
		 spec: ({clusterIP: $ip, ports: [{name: "p", port: $port, targetPort: $target,
			 protocol: $proto}]} + $extra)},
		{apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice",
		 metadata: {name: ($name + "-1"), namespace: "default",
			    labels: {"kubernetes.io/service-name": $name}},
		 addressType: "IPv4", ports: [{name: "p", port: $target, protocol: $proto}],
		 endpoints: $eps}]}' >"$(manifest_dir "$node")/$name.json.tmp"
	# A rename, as editors and kubectl-style tools save: the agent never reads half a file.
	mv "$(manifest_dir "$node")/$name.json.tmp" "$(manifest_dir "$node")/$name.json"
}

# Waits until a node programs a frontend with this many backends.
svc_wait() {
	local node=$1 ip=$2 want=$3 i
	for ((i = 0; i < 50; i++)); do
		[[ $(sluice_cli "$node" -j service list 2>/dev/null |
			jq --arg ip "$ip" '[.[] | select(.address == $ip and .scope == "internal")
				| .backends | length] | first // -1') == "$want" ]] && return 0
		sleep 0.1
	done
	fail "service $ip on $node: never got $want backends: $(sluice_cli "$node" service list 2>&1)"
}

# Node n1 with device eth0 (10.0.0.1/24) wired to namespace "outside"
# (ext0, 10.0.0.100/24), the agent on eth0, backends b1 b2 and a client pod.
NODE_IP=10.0.0.1
OUTSIDE_IP=10.0.0.100

# outside_node [AGENT_ARGS...]
outside_node() {
	local i
	node_create n1
	# Every Kubernetes node forwards; sluice routes NodePort replies through the FIB.
	on_node n1 sysctl -qw net.ipv4.ip_forward=1
	ip netns add "$E2E_PREFIX-outside"
	ip link add eth0 netns "$E2E_PREFIX-n1" type veth peer name ext0 netns "$E2E_PREFIX-outside"
	on_node n1 ip addr add "$NODE_IP/24" dev eth0
	on_node n1 ip link set eth0 up
	in_pod outside ip addr add "$OUTSIDE_IP/24" dev ext0
	in_pod outside ip link set ext0 up
	in_pod outside ip link set lo up
	agent_start n1 --devices eth0 "$@"
	for i in 1 2; do
		pod_add n1 "b$i"
		# Each backend answers with its name and the client address it sees.
		bg_in_pod "b$i" socat TCP-LISTEN:8080,fork,reuseaddr \
			"SYSTEM:echo b$i \$SOCAT_PEERADDR"
	done
	pod_add n1 client
	for i in 1 2; do tcp_wait_listen "b$i"; done
}

# Removes everything this test made, whatever state it died in.
e2e_cleanup() {
	local ns pid root
	set +e
	[[ -e $E2E_DIR/cleanup.sh ]] && source "$E2E_DIR/cleanup.sh"
	# Kill and reap in this shell, quietly: the agent must be gone before
	# uninstall will run, and bash would report each killed job otherwise.
	for pid in $(cat "$E2E_DIR"/agent-*.pid "$E2E_DIR/pids" 2>/dev/null); do
		{ kill -9 "$pid" && wait "$pid"; } 2>/dev/null
	done
	# Uninstall acts on the network namespace it runs in (devices, routes):
	# the node's own, never the machine's. Pins without a node are just removed.
	for root in /sys/fs/bpf/"$E2E_PREFIX"-*; do
		[[ -d $root ]] || continue
		if [[ -e /var/run/netns/${root##*/} ]]; then
			nsenter --net="/var/run/netns/${root##*/}" "$SLUICE_BIN/sluice" uninstall \
				--bpffs "$root" >/dev/null 2>&1
		fi
		rm -rf "$root"
	done
	for ns in $(ip netns list | awk -v p="$E2E_PREFIX-" 'index($1, p) == 1 {print $1}'); do
		# Servers' forked children are no one's recorded pid: they go with their namespace.
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			{ kill -9 "$pid" && wait "$pid"; } 2>/dev/null
		done
		ip netns del "$ns"
	done
	rm -rf "$E2E_DIR"
}
