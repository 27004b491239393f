# SPDX-License-Identifier: Apache-2.0
# The agent's /healthz and /metrics (--metrics-address), checked with curl in
# the node's namespace against what bpftool and the CLI see, and `sluice
# status`'s map fill, drops and policy counts.

source "$SLUICE_ROOT/selftests/e2e/lib_api.sh"

# Not the default, so that the option is what puts the server there.
MT_PORT=19964
MT_ADDR=127.0.0.1:$MT_PORT
# Tenths of a second to wait for a value that follows a change at once.
MT_WAIT_TENTHS=50
# Tenths of a second to wait for a map count (taken every 10 s).
MT_COUNT_TENTHS=150

# mt_curl NODE PATH [CURL_ARGS...]: the body; never through a proxy.
mt_curl() {
	local node=$1 path=$2
	shift 2
	on_node "$node" curl -sS --noproxy '*' --max-time 3 "$@" "http://$MT_ADDR$path"
}

# The HTTP status of a request: mt_code NODE PATH [CURL_ARGS...]
mt_code() {
	local node=$1 path=$2
	shift 2
	mt_curl "$node" "$path" -o /dev/null -w '%{http_code}' "$@"
}

# One sample's value, or nothing: mt_value NODE 'name{labels}'
mt_value() {
	mt_curl "$1" /metrics | awk -v s="$2" '$1 == s { print $2 }'
}

# Waits until a sample's whole value passes a test: mt_wait NODE SAMPLE OP VALUE [TENTHS]
# (OP -eq or -ge).
mt_wait() {
	local node=$1 sample=$2 op=$3 want=$4 tenths=${5:-$MT_WAIT_TENTHS} i v
	for ((i = 0; i < tenths; i++)); do
		v=$(mt_value "$node" "$sample")
		if [[ $v =~ ^[0-9]+ ]]; then
			case $op in
			-eq) ((BASH_REMATCH[0] == want)) && return 0 ;;
			-ge) ((BASH_REMATCH[0] >= want)) && return 0 ;;
			*) fail "mt_wait: no operator $op" ;;
			esac
		fi
		sleep 0.1
	done
	fail "$sample is '$v', wanted $op $want"
}

# Node n1 and its agent with metrics on MT_ADDR: mt_node [AGENT_ARGS...]
mt_node() {
	node_create n1
	mt_agent "$@"
}

# The agent on n1 with metrics on MT_ADDR; /healthz says ok soon after `sluice status` does.
mt_agent() {
	local i
	agent_start n1 --metrics-address "$MT_ADDR" "$@"
	for ((i = 0; i < MT_WAIT_TENTHS; i++)); do
		[[ $(mt_code n1 /healthz) == 200 ]] && return 0
		sleep 0.1
	done
	fail "/healthz is not 200 after the agent is ready: $(mt_curl n1 /healthz)"
}

# The policy helpers of test_policy.sh, for one namespace's pods on n1.
mt_manifest() {
	local dir
	dir=$(manifest_dir n1)
	cat >"$dir/$1.json.tmp"
	mv "$dir/$1.json.tmp" "$dir/$1.json"
}

mt_namespace() {
	jq -n --arg n "$1" '{apiVersion: "v1", kind: "Namespace",
		metadata: {name: $n, labels: {ns: $n}}}' | mt_manifest "ns-$1"
}

# mt_pod NS NAME: a Pod labelled pod=NAME.
mt_pod() {
	jq -n --arg ns "$1" --arg n "$2" '{apiVersion: "v1", kind: "Pod",
		metadata: {namespace: $ns, name: $n, labels: {pod: $n}},
		spec: {containers: [{name: "c"}]}}' | mt_manifest "pod-$1-$2"
}

# mt_policy NS NAME SPEC_JSON
mt_policy() {
	jq -n --arg ns "$1" --arg n "$2" --argjson spec "$3" '{
		apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy",
		metadata: {namespace: $ns, name: $n}, spec: $spec}' | mt_manifest "np-$1-$2"
}

test_metrics_healthz_endpoints_and_map_capacity() {
	local out ct_max name want got version
	mt_node --map-entries sluice_ct4=4096
	[[ $(mt_curl n1 /healthz) == ok ]] || fail "/healthz body: $(mt_curl n1 /healthz)"
	[[ $(mt_code n1 /healthz --head) == 200 ]] || fail "HEAD /healthz"
	[[ $(mt_code n1 /nothing) == 404 ]] || fail "an unknown path is not 404"
	[[ $(mt_code n1 /metrics -X POST) == 405 ]] || fail "POST /metrics is not 405"
	out=$(mt_curl n1 /metrics -D - -o /dev/null)
	grep -qi '^content-type: text/plain; version=0.0.4' <<<"$out" ||
		fail "/metrics content type: $out"
	grep -q "serving /healthz and /metrics on http://$MT_ADDR" "$E2E_DIR/agent-n1.log" ||
		fail "the agent does not log where it serves"
	[[ $(mt_value n1 sluice_agent_ready) == 1 ]] || fail "sluice_agent_ready is not 1"
	# Capacity as the kernel has it, for the resized map and every other one.
	ct_max=$(bpftool -j map show pinned "$(pin_root n1)/maps/sluice_ct4" | jq .max_entries)
	[[ $ct_max == 4096 ]] || fail "--map-entries sluice_ct4=4096 gave $ct_max"
	mt_wait n1 'sluice_map_capacity{map="sluice_ct4"}' -eq "$ct_max"
	out=$(mt_curl n1 /metrics)
	for name in "$(pin_root n1)"/maps/*; do
		name=${name##*/}
		want=$(bpftool -j map show pinned "$(pin_root n1)/maps/$name" | jq .max_entries)
		got=$(awk -v s="sluice_map_capacity{map=\"$name\"}" '$1 == s { print $2 }' <<<"$out")
		[[ $got == "$want" ]] || fail "capacity of $name: $got, bpftool says $want"
		grep -q "^sluice_map_entries{map=\"$name\"} [0-9]" <<<"$out" ||
			fail "no entries for $name"
	done
	grep -q '^sluice_datapath_packets_total{verdict="redirect-local"} ' <<<"$out" ||
		fail "no verdict counters"
	# The release an operator finds on every node's agent is the CLI's.
	version=$("$SLUICE_BIN/sluice" -j version | jq -r .version)
	grep -q "^sluice_build_info{version=\"$version\",abi=\"[0-9]*\"} 1$" <<<"$out" ||
		fail "build info is not release $version: $(grep build_info <<<"$out")"
	grep -q "sluice $version (ABI [0-9]*): programs loaded" "$E2E_DIR/agent-n1.log" ||
		fail "the agent's log does not name release $version"
	# Nothing of the agent's but the server answers, and nothing else listens.
	[[ $(on_node n1 ss -Htln | wc -l) == 1 ]] || fail "listeners: $(on_node n1 ss -Htln)"
}

test_metrics_cache_counts_follow_the_manifests() {
	mt_node
	pod_add n1 b1
	[[ $(mt_value n1 'sluice_cache_objects{resource="services"}') == 0 ]] ||
		fail "services cached before any was written"
	svc_write n1 web 10.96.0.10 80 8080 TCP b1
	mt_wait n1 'sluice_cache_objects{resource="services"}' -eq 1
	mt_wait n1 'sluice_cache_objects{resource="endpointslices"}' -eq 1
	mt_wait n1 'sluice_reconcile_duration_seconds_count{kind="service"}' -ge 1
	# An invalid Service is refused and counted; the valid one stays cached.
	jq -n '{apiVersion: "v1", kind: "Service", metadata: {name: "bad", namespace: "default"},
		spec: {clusterIP: "10.96.0.11", ports: [{port: 99999, protocol: "TCP"}]}}' \
		>"$(manifest_dir n1)/bad.json"
	mt_wait n1 'sluice_objects_refused_total{kind="service"}' -ge 1
	[[ $(mt_value n1 'sluice_cache_objects{resource="services"}') == 1 ]] ||
		fail "the refused Service was cached"
	rm "$(manifest_dir n1)/web.json" "$(manifest_dir n1)/bad.json"
	mt_wait n1 'sluice_cache_objects{resource="services"}' -eq 0
	mt_wait n1 'sluice_cache_objects{resource="endpointslices"}' -eq 0
}

test_metrics_policy_drop_counted() {
	local ip i out
	mt_node
	mt_namespace x
	mt_pod x a
	mt_pod x b
	POD_NS=x POD_NAME=a pod_add n1 x-a
	POD_NS=x POD_NAME=b pod_add n1 x-b
	ip=$(pod_ip x-b)
	mt_wait n1 'sluice_cache_objects{resource="pods"}' -eq 2
	mt_policy x deny-b \
		'{"podSelector": {"matchLabels": {"pod": "b"}}, "policyTypes": ["Ingress"]}'
	mt_wait n1 sluice_policy_isolated_directions -eq 1
	mt_wait n1 sluice_policy_networkpolicies -eq 1
	[[ $(mt_value n1 sluice_policy_identities) -ge 1 ]] || fail "no identities"
	# A datagram from a to b meets b's ingress policy and is dropped.
	for ((i = 0; i < MT_WAIT_TENTHS; i++)); do
		in_pod x-a socat -u - "UDP:$ip:8080" <<<"ping" || true
		[[ $(mt_value n1 'sluice_drops_total{reason="drop-policy-ingress"}') -ge 1 ]] && break
		sleep 0.1
	done
	mt_wait n1 'sluice_drops_total{reason="drop-policy-ingress"}' -ge 1
	mt_wait n1 'sluice_drop_bytes_total{reason="drop-policy-ingress"}' -ge 1
	mt_wait n1 'sluice_datapath_packets_total{verdict="drop-policy-ingress"}' -ge 1
	# sluice status reads the same from the pins.
	out=$(sluice_cli n1 -j status)
	[[ $(jq '.drops[] | select(.reason == "drop-policy-ingress") | .packets' \
		<<<"$out") -ge 1 ]] || fail "status drops: $out"
	[[ $(jq -c '[.policy.isolating, .policy.policies]' <<<"$out") == "[1,1]" ]] ||
		fail "status policy: $out"
	[[ $(jq '.policy.tables' <<<"$out") -ge 4 ]] || fail "status tables: $out"
	sluice_cli n1 status | grep -q '^Drops: .*drop-policy-ingress [1-9][0-9]* packets' ||
		fail "status text drops: $(sluice_cli n1 status)"
}

test_metrics_bad_address_exits_2_before_pinning() {
	local v rc out
	node_create n1
	for v in 9964 localhost:9964 127.0.0.1:0 127.0.0.1:65536 ::1:9964 "[::1]9964" "" ON; do
		set +e
		out=$(on_node n1 "$SLUICE_BIN/sluice" agent --node-name n1 --bpffs "$(pin_root n1)" \
			--manifests "$E2E_DIR" --metrics-address "$v" 2>&1)
		rc=$?
		set -e
		[[ $rc == 2 ]] || fail "--metrics-address '$v' exited $rc: $out"
		[[ $out == *"--metrics-address"* ]] || fail "--metrics-address '$v' message: $out"
		[[ ! -e $(pin_root n1) ]] || fail "--metrics-address '$v' left $(pin_root n1)"
	done
	# A port already taken stops the agent before it pins anything.
	bg_in_pod n1 socat "TCP-LISTEN:$MT_PORT,reuseaddr" /dev/null
	tcp_wait_listen n1 "$MT_PORT"
	set +e
	out=$(on_node n1 "$SLUICE_BIN/sluice" agent --node-name n1 --bpffs "$(pin_root n1)" \
		--manifests "$E2E_DIR" --metrics-address "$MT_ADDR" 2>&1)
	rc=$?
	set -e
	[[ $rc == 1 ]] || fail "a taken port exited $rc: $out"
	[[ $out == *"cannot serve /healthz and /metrics on $MT_ADDR: Address already in use"* ]] ||
		fail "taken port message: $out"
	# The lock made the pin directories; nothing is pinned in them.
	[[ -z $(find "$(pin_root n1)" -mindepth 2) ]] ||
		fail "a taken port left pins: $(find "$(pin_root n1)")"
	# off: no server at all.
	kill "$(tail -n 1 "$E2E_DIR/pids")"
	wait "$(tail -n 1 "$E2E_DIR/pids")" 2>/dev/null || true
	agent_start n1 --metrics-address off
	[[ -z $(on_node n1 ss -Htln) ]] || fail "something listens with off: $(on_node n1 ss -Htln)"
}

test_metrics_status_map_fill_with_and_without_agent() {
	local out ct_max rc n
	# Room for two pods only: two fill it, and status warns.
	mt_node --map-entries sluice_endpoint=2
	pod_add n1 p1
	pod_add n1 p2
	out=$(sluice_cli n1 -j status)
	[[ $(jq -c '.maps[] | select(.name == "sluice_endpoint") | [.entries, .capacity, .fill_pct,
		.warning]' <<<"$out") == '[2,2,100,true]' ]] || fail "endpoint fill: $out"
	ct_max=$(bpftool -j map show pinned "$(pin_root n1)/maps/sluice_ct4" | jq .max_entries)
	[[ $(jq '.maps[] | select(.name == "sluice_ct4") | .capacity' <<<"$out") == "$ct_max" ]] ||
		fail "status ct4 capacity: $out"
	n=$(find "$(pin_root n1)/maps" -mindepth 1 | wc -l)
	[[ $(jq '.maps | length' <<<"$out") == "$n" ]] || fail "status misses maps: $out"
	[[ $(jq '[.maps[] | select(.name == "sluice_ct4" or .name == "sluice_verdicts") | .warning]
		| any' <<<"$out") == false ]] || fail "warnings on maps with room: $out"
	out=$(sluice_cli n1 status)
	grep -qE '^  sluice_endpoint +hash +2 +2 +100\.0% !$' <<<"$out" || fail "status text: $out"
	grep -q -- '--map-entries MAP=N' <<<"$out" || fail "status text gives no remedy: $out"
	[[ $(tail -n 1 <<<"$out") == "Status:     ready" ]] || fail "status last line: $out"
	# The agent counts maps every 10 s: its count catches up with the pods.
	mt_wait n1 'sluice_map_entries{map="sluice_endpoint"}' -eq 2 "$MT_COUNT_TENTHS"
	# From the pins alone: the same numbers with no agent, and exit 1.
	agent_stop n1
	set +e
	out=$(sluice_cli n1 -j status)
	rc=$?
	set -e
	[[ $rc == 1 ]] || fail "status exited $rc with no agent"
	[[ $(jq -c '[.ready, (.maps[] | select(.name == "sluice_endpoint") | .entries)]' \
		<<<"$out") == '[false,2]' ]] || fail "status without agent: $out"
}

test_metrics_api_source_counters() {
	local r i
	node_create n1
	api_files
	# Started as agent_start does, without waiting for ready: no API server answers yet.
	mkdir -p "$(manifest_dir n1)"
	nsenter --net="/var/run/netns/$E2E_PREFIX-n1" "$SLUICE_BIN/sluice" agent --node-name n1 \
		--bpffs "$(pin_root n1)" --manifests "$(manifest_dir n1)" --socket-lb off \
		--kubeconfig "$E2E_DIR/kubeconfig" --metrics-address "$MT_ADDR" \
		>>"$E2E_DIR/agent-n1.log" 2>&1 &
	echo $! >"$E2E_DIR/agent-n1.pid"
	for ((i = 0; i < MT_WAIT_TENTHS; i++)); do
		[[ $(mt_curl n1 /healthz 2>/dev/null) == *"waiting for the Kubernetes API"* ]] && break
		sleep 0.1
	done
	[[ $(mt_code n1 /healthz) == 503 ]] || fail "/healthz is not 503 before the API answered"
	[[ $(mt_curl n1 /healthz) == "not ready: waiting for the Kubernetes API's first lists" ]] ||
		fail "/healthz before the API answered: $(mt_curl n1 /healthz)"
	[[ $(mt_value n1 sluice_agent_ready) == 0 ]] || fail "ready before the first sync"
	[[ $(mt_value n1 'sluice_api_synced{resource="services"}') == 0 ]] ||
		fail "services synced before the API answered"
	api_server_start
	api_do '{"apply": {"apiVersion": "v1", "kind": "Service",
		"metadata": {"name": "web", "namespace": "default"},
		"spec": {"clusterIP": "10.96.3.10", "ports": [{"port": 80, "protocol": "TCP"}]}}}' \
		>/dev/null
	agent_wait_ready n1
	for ((i = 0; i < MT_WAIT_TENTHS; i++)); do
		[[ $(mt_code n1 /healthz) == 200 ]] && break
		sleep 0.1
	done
	[[ $(mt_curl n1 /healthz) == ok ]] || fail "/healthz after the first sync: $(mt_curl n1 /healthz)"
	[[ $(mt_value n1 'sluice_api_errors_total{resource="services"}') -ge 1 ]] ||
		fail "the failed requests before the server started were not counted"
	for r in nodes namespaces pods services endpointslices networkpolicies; do
		[[ $(mt_value n1 "sluice_api_synced{resource=\"$r\"}") == 1 ]] || fail "$r not synced"
		[[ $(mt_value n1 "sluice_api_lists_total{resource=\"$r\"}") -ge 1 ]] ||
			fail "$r never listed"
	done
	mt_wait n1 'sluice_cache_objects{resource="services"}' -eq 1
	[[ $(mt_value n1 'sluice_api_relists_total{resource="services"}') == 0 ]] ||
		fail "a relist before any 410"
	# A cut watch starts again; a compaction (ERROR 410) makes every watch list again.
	api_do '{"drop_watches": true}' >/dev/null
	mt_wait n1 'sluice_api_watch_restarts_total{resource="services"}' -ge 1
	api_do '{"compact": true}' >/dev/null
	mt_wait n1 'sluice_api_relists_total{resource="services"}' -ge 1
}
