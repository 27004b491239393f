#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Service load balancing at scale, side by side in one run:
#   sluice            - the agent programming its BPF maps from the manifest
#                       directory; clients are pods, translated by tc_from_pod
#   iptables (nft)    - kube-proxy's iptables-mode nat rules loaded with
#                       iptables-restore (Debian 12's default, nf_tables backend)
#   iptables (legacy) - the same rules through iptables-legacy-restore
#   nftables          - kube-proxy's nftables-mode table loaded with nft -f
# It measures (1) the time to program N services x 3 endpoints from empty
# and to change one service's endpoints (for sluice both from the manifest
# files and from the objects the agent holds, its reconciler's own time, as
# the rule loaders start from finished rules), (2) new TCP connections per second
# and connect() latency to the last-added ClusterIP at each size, and (3)
# the memory of sluice's maps per service and endpoint, with the kernel
# memory of each ruleset beside it. Prints tables with ratios and whether the
# issue's aims are met. Rules only ever exist inside namespaces it creates.
#
# Topologies (all on one machine, client on CPU 0, servers on CPU 1):
#   sluice: one simulated node per size (a namespace running the agent)
#           with a client pod, a baseline client pod and three backend
#           pods, wired by sluice-cni;
#           client pod -> ClusterIP is translated in tc_from_pod on the
#           client's host veth and handed to the backend pod.
#   rules:  per rule kind and size a "node" namespace that forwards between a client
#           namespace and three backend namespaces, each on its own veth
#           and /24; the rules sit in the node's nat table, so the client's
#           SYN to the ClusterIP is DNATed in PREROUTING (as kube-proxy
#           does for pods) and conntrack undoes it on replies.
#   socket LB: a host-network client on each sluice node, in a cgroup of
#           the benchmark's own that the agent's socket hooks are attached
#           to (--socket-lb on --cgroup-root), translated once at connect().
#   baselines: the same paths to a backend's own address, no translation.
# Each connection: connect, 1 byte each way, the server closes and the client
# resets (so no TIME_WAIT is left to stall reused ports); one client,
# sequential (tools/bench/services/connrate.c against acceptd.c).
#
# Usage: tools/bench/services.sh  (after `make`; root; about 15 minutes, a third
# of them nft loading kube-proxy's nftables shape of 10,000 services 3 times)
# Environment: BENCH_SIZES, BENCH_CONN_SECONDS, BENCH_CONN_MAX, BENCH_ROUNDS,
# BENCH_PROGRAM_ROUNDS, BENCH_UPDATE_ROUNDS, BENCH_PROGRAM_TIMEOUT_S,
# BENCH_AGENT_ARGS (below).
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HELPERS=$ROOT/tools/bench/services
E2E_PREFIX="sluice-bsvc-$$"
source "$ROOT/selftests/e2e/lib.sh"

# Services per measurement point, ascending; the issue's sizes by default.
read -r -a SIZES <<<"${BENCH_SIZES:-10 1000 10000}"
# Seconds of connections per round and point, and a hard cap on their count.
BENCH_CONN_SECONDS=${BENCH_CONN_SECONDS:-3}
BENCH_CONN_MAX=${BENCH_CONN_MAX:-60000}
# Rounds per point; the best is kept, as scheduling noise only ever slows one.
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
# Programmings from empty per setup and size, interleaved; the median is
# kept. This machine's speed drifts by a quarter over minutes, which one
# round per setup turns into ratios off by as much.
BENCH_PROGRAM_ROUNDS=${BENCH_PROGRAM_ROUNDS:-3}
# Single-service updates per setup (alternately there and back); the median is kept.
BENCH_UPDATE_ROUNDS=${BENCH_UPDATE_ROUNDS:-3}
# Longest the agent may take to program the largest size before the run fails.
BENCH_PROGRAM_TIMEOUT_S=${BENCH_PROGRAM_TIMEOUT_S:-900}
# Extra agent arguments, e.g. "--maglev-table-size 251".
read -r -a AGENT_ARGS <<<"${BENCH_AGENT_ARGS:-}"

SVC_PORT=80
BACKEND_PORT=8080
BACKENDS=3
CLIENT_CPU=0
SERVER_CPU=$(($(nproc) > 1 ? 1 : 0))
# Servers stop by themselves after this long, even if cleanup never ran.
SERVER_LIFETIME_S=3600
# A client makes tens of thousands of connections per point: the whole port range.
CLIENT_PORT_RANGE="1024 65535"
# Kernel memory is sampled this many times, this far apart, before and after
# a load: the spread of the samples is the machine's noise, which a ruleset's
# growth must clearly exceed (by MEM_NOISE_FACTOR) to be reported.
MEM_SAMPLES=3
MEM_SAMPLE_GAP_S=1
MEM_NOISE_FACTOR=3
# The routed setups' addresses: client link, then one /24 per backend link.
ROUTED_CLIENT_NET=10.244.21
ROUTED_BACKEND_NET_FIRST=22
# The sluice node's own address, the source of its host-network client.
NODE_HOST_IP=10.0.0.1
# Where each node's agent serves /metrics: its default, inside the node's namespace.
METRICS_ADDR=127.0.0.1:9964
# After every frontend is in the maps, how long the agent gets to record the
# reconcile that wrote them (it observes the duration once the write returns).
METRICS_SETTLE_S=0.5
# Rule-based setups, in table order.
RULE_SETUPS=(iptn iptl nft)
# sluice's service maps, whose memory is reported.
LB_MAPS=(sluice_svc4 sluice_svc_meta sluice_backend4 sluice_maglev)
declare -A SETUP_NAME=(
	[sluice]="sluice TC (pod)" [socklb]="sluice socket-LB (host)"
	[iptn]="iptables (nft)" [iptl]="iptables (legacy)" [nft]="nftables"
	[base_routed]="baseline: routed" [base_pod]="baseline: pod to pod IP"
	[base_host]="baseline: host to pod IP"
)

# ---- set-up ----

check_prereqs() {
	local tool
	[[ $(id -u) -eq 0 ]] || fail "the benchmark needs root"
	[[ -x $SLUICE_BIN/sluice && -x $SLUICE_BIN/sluice-cni ]] || fail "run make first"
	for tool in iptables-nft-restore iptables-legacy-restore nft bpftool jq cc taskset nsenter curl; do
		command -v "$tool" >/dev/null || fail "$tool missing: run tools/install-deps.sh"
	done
	local prev=1 s
	for s in "${SIZES[@]}"; do
		if ! [[ $s =~ ^[0-9]+$ ]] || ((s < 2 || s > 50000 || s <= prev)); then
			fail "BENCH_SIZES must be ascending numbers from 2 to 50000"
		fi
		prev=$s
	done
}

# The socket load balancer can be measured when the agent has one and the
# machine has a cgroup2 mount to make the benchmark's cgroups under; prints
# that mount, or nothing with the reason on stderr.
socket_lb_root() {
	if ! "$SLUICE_BIN/sluice" agent --help 2>&1 | grep -q -- '--socket-lb'; then
		echo "n/a (not implemented yet)" >&2
	elif ! findmnt -n -t cgroup2 -o TARGET | head -n 1 | grep .; then
		echo "n/a (no cgroup2 mount)" >&2
	fi
	return 0
}

# A cgroup of the benchmark's own for node $1's socket hooks: only processes
# put there are translated, never the machine's others.
node_cgroup() { echo "$SOCKLB_ROOT/$E2E_PREFIX-$1"; }

# Runs a command as a host-network process on node $1, inside its cgroup.
in_node_cgroup() {
	local node=$1
	shift
	# shellcheck disable=SC2016 # expanded by the inner shell, which joins the cgroup first
	on_node "$node" sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' _ \
		"$(node_cgroup "$node")" "$@"
}

# The client, server and map poller, built for this run only.
build_helpers() {
	local t
	mkdir -p "$E2E_DIR/bin"
	for t in acceptd connrate; do
		cc -O2 -Wall -Wextra -Werror -o "$E2E_DIR/bin/$t" "$HELPERS/$t.c"
	done
	cc -O2 -Wall -Wextra -Werror -o "$E2E_DIR/bin/mapwait" "$HELPERS/mapwait.c" -lbpf
}

# Runs a command in one of this run's namespaces (never the machine's own:
# nsenter fails if the namespace does not exist).
in_ns() {
	local ns=$1
	shift
	nsenter --net="/var/run/netns/$E2E_PREFIX-$ns" "$@"
}

# What the machine's own namespace holds, to prove at the end that no rule leaked there.
# Only read-only views: listing iptables-legacy would instantiate its tables.
root_rules_fingerprint() {
	{ nft list ruleset; cat /proc/net/ip_tables_names 2>/dev/null; } | sha256sum
}

# Starts a backend server in a namespace and waits until it listens.
serve_backend() {
	bg_in_pod "$1" taskset -c "$SERVER_CPU" "$E2E_DIR/bin/acceptd" "$BACKEND_PORT" \
		"$SERVER_LIFETIME_S"
	tcp_wait_listen "$1" "$BACKEND_PORT"
}

# A sluice node with a client pod (-c), a client pod for the baseline (-d),
# BACKENDS backend pods on subnet $2 (a /24 prefix), and an address of its
# own for host-network clients. The baseline has a client of its own so that
# its direct flows never share a client address and port with service flows.
sluice_node_create() {
	local node=$1 net=$2 conf k socklb=()
	conf=$(cni_conf "$node" "$net.0/24")
	node_create "$node"
	# On loopback: any address of the node serves as a source (no dummy devices needed).
	on_node "$node" ip addr add "$NODE_HOST_IP/32" dev lo
	on_node "$node" sysctl -qw net.ipv4.ip_local_port_range="$CLIENT_PORT_RANGE"
	if [[ -n $SOCKLB_ROOT ]]; then
		mkdir "$(node_cgroup "$node")"
		on_cleanup rmdir "$(node_cgroup "$node")"
		socklb=(--socket-lb on --cgroup-root "$(node_cgroup "$node")")
	fi
	agent_start "$node" "${socklb[@]}" "${AGENT_ARGS[@]}"
	for k in c d; do
		pod_add "$node" "$node-$k" "$conf"
		in_pod "$node-$k" sysctl -qw net.ipv4.ip_local_port_range="$CLIENT_PORT_RANGE"
	done
	for ((k = 1; k <= BACKENDS; k++)); do
		pod_add "$node" "$node-b$k" "$conf"
		serve_backend "$node-b$k"
	done
}

# The backend pods' addresses, comma-separated, as gen.awk takes them.
sluice_backend_ips() {
	local k ips=()
	for ((k = 1; k <= BACKENDS; k++)); do ips+=("$(pod_ip "$1-b$k")"); done
	(IFS=,; echo "${ips[*]}")
}

# Links namespace $2 to the router $1 by a veth pair on /24 $3: router .1, peer .2.
routed_link() {
	local router=$1 peer=$2 net=$3 dev=$4
	ip -n "$E2E_PREFIX-$router" link add "$dev" type veth peer name eth0 netns "$E2E_PREFIX-$peer"
	ip -n "$E2E_PREFIX-$router" addr add "$net.1/24" dev "$dev"
	ip -n "$E2E_PREFIX-$router" link set "$dev" up
	ip -n "$E2E_PREFIX-$peer" addr add "$net.2/24" dev eth0
	ip -n "$E2E_PREFIX-$peer" link set eth0 up
	ip -n "$E2E_PREFIX-$peer" route add default via "$net.1"
}

# A node namespace routing between a client namespace and BACKENDS backend namespaces.
routed_create() {
	local s=$1 k
	node_create "$s-r"
	in_ns "$s-r" sysctl -qw net.ipv4.ip_forward=1
	node_create "$s-c"
	routed_link "$s-r" "$s-c" "$ROUTED_CLIENT_NET" c0
	in_ns "$s-c" sysctl -qw net.ipv4.ip_local_port_range="$CLIENT_PORT_RANGE"
	for ((k = 1; k <= BACKENDS; k++)); do
		node_create "$s-b$k"
		routed_link "$s-r" "$s-b$k" "10.244.$((ROUTED_BACKEND_NET_FIRST + k - 1))" "b$k"
		serve_backend "$s-b$k"
	done
}

# The routed setups' backend addresses, comma-separated.
routed_backend_ips() {
	local k ips=()
	for ((k = 1; k <= BACKENDS; k++)); do ips+=("10.244.$((ROUTED_BACKEND_NET_FIRST + k - 1)).2"); done
	(IFS=,; echo "${ips[*]}")
}

# gen MODE N REAL_IPS [awk -v assignments...]: the service generator.
gen() {
	local mode=$1 n=$2 real=$3
	shift 3
	awk -f "$HELPERS/gen.awk" -v mode="$mode" -v n="$n" -v real="$real" "$@"
}

# ---- timing ----

# Wall-clock microseconds; callers that time short things read
# ${EPOCHREALTIME/./} in place, without the fork of a command substitution.
now_us() { echo "${EPOCHREALTIME/./}"; }

# Milliseconds between two now_us values, one decimal.
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f\n", (b - a) / 1000}'; }

# Kernel memory that rulesets live in, machine-wide, in KiB.
kernel_mem_kb() {
	awk '/^(SUnreclaim|VmallocUsed|Percpu):/ {s += $2} END {print s}' /proc/meminfo
}

# "median spread" of MEM_SAMPLES kernel_mem_kb readings; the first after a gap,
# so that deferred frees (RCU, work queues) of what came before have run.
kernel_mem_sample() {
	local i
	for ((i = 0; i < MEM_SAMPLES; i++)); do
		sleep "$MEM_SAMPLE_GAP_S"
		kernel_mem_kb
	done | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)], v[NR] - v[1]}'
}

# "growth_kib noise_kib" between two kernel_mem_sample results.
kernel_mem_growth() {
	local before=$1 after=$2
	awk -v b="$before" -v a="$after" 'BEGIN {split(b, x, " "); split(a, y, " ");
		n = x[2] > y[2] ? x[2] : y[2]; print y[1] - x[1], n}'
}

# The agent's CPU time (user + system) in seconds.
agent_cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"
}

# Programs N services on a sluice node without any; prints milliseconds from
# the first file moved into the manifest directory until every frontend is
# in sluice_svc4 (the agent adds a frontend only once its backends and
# Maglev table are in place). The files are written beforehand on the same
# file system (or were left there by sluice_clear), so the move is a rename
# per file.
sluice_program() {
	local node=$1 n=$2 stage=$E2E_DIR/stage-$1 start
	if [[ ! -d $stage ]]; then
		mkdir "$stage"
		gen sluice "$n" "$(sluice_backend_ips "$node")" -v dir="$stage"
	fi
	start=$(now_us)
	find "$stage" -name '*.json' -exec mv -t "$(manifest_dir "$node")" {} +
	sluice_wait_frontends "$node" "$n" "$start" "program $n services"
	rmdir "$stage"
}

# Waits until node $1's sluice_svc4 holds exactly $2 frontends; prints the
# milliseconds since $3 (microseconds); $4 says what for, should it fail.
sluice_wait_frontends() {
	"$E2E_DIR/bin/mapwait" count "$(pin_root "$1")/maps/sluice_svc4" "$2" "$3" \
		$((BENCH_PROGRAM_TIMEOUT_S * 1000)) || {
		tail -20 "$E2E_DIR/agent-$1.log" >&2
		fail "sluice on $1 did not $4 in ${BENCH_PROGRAM_TIMEOUT_S}s"
	}
}

# Between programming rounds (not timed): takes every service file out of
# node $1's manifest directory, back where sluice_program takes them from,
# and waits until the agent has removed all their frontends.
sluice_clear() {
	local node=$1 stage=$E2E_DIR/stage-$1
	mkdir "$stage"
	find "$(manifest_dir "$node")" -name '*.json' -exec mv -t "$stage" {} +
	sluice_wait_frontends "$node" 0 "$(now_us)" "remove every service" >/dev/null
}

# "seconds count" the agent on node $1 has spent reconciling services, from
# its /metrics: the work from the objects it holds to its maps, without
# reading and parsing the files (what the rule loaders' input is ready-made for).
svc_reconcile_s() {
	on_node "$1" curl -sf "http://$METRICS_ADDR/metrics" | awk '
		/^sluice_reconcile_duration_seconds_sum\{kind="service"\}/ {s = $2}
		/^sluice_reconcile_duration_seconds_count\{kind="service"\}/ {c = $2}
		END {print s + 0, c + 0}'
}

# Milliseconds of service reconciling on node $1 since svc_reconcile_s gave $2 ("s c").
reconcile_ms_since() {
	sleep "$METRICS_SETTLE_S"
	awk -v a="$2" -v b="$(svc_reconcile_s "$1")" 'BEGIN {split(a, x, " "); split(b, y, " ");
		printf "%.2f\n", (y[1] - x[1]) * 1000}'
}

# Runs a rule kind's loader in the node namespace of setup $2 (e.g. iptn1000)
# on the rules on stdin; ARGS go to iptables-restore (--noflush).
rules_loader() {
	local kind=$1 setup=$2
	shift 2
	case $kind in
	iptn) in_ns "$setup-r" iptables-nft-restore "$@" ;;
	iptl) in_ns "$setup-r" iptables-legacy-restore "$@" ;;
	nft) in_ns "$setup-r" nft -f - ;;
	esac
}

# Loads a rules file for kind $1 in its setup for N=$2 services; prints the
# milliseconds it took. ARGS are extra loader arguments (--noflush).
rules_load_ms() {
	local kind=$1 n=$2 file=$3 start end
	shift 3
	start=${EPOCHREALTIME/./}
	rules_loader "$kind" "$kind$n" "$@" <"$file" >/dev/null
	end=${EPOCHREALTIME/./}
	ms_between "$start" "$end"
}

# The rules file a setup takes for N services (iptables' for both backends).
rules_file() {
	local setup=$1 n=$2 mode
	mode=$([[ $setup == nft ]] && echo nft || echo iptables)
	local f=$E2E_DIR/rules-$mode-$n
	[[ -e $f ]] || gen "$mode" "$n" "$(routed_backend_ips)" >"$f"
	echo "$f"
}

# Between programming rounds (not timed): empties the nat table of rule kind
# $1's setup for N=$2 services (a restore without --noflush replaces the
# whole table, its chains included).
rules_clear() {
	local kind=$1 setup=$1$2
	case $kind in
	nft) in_ns "$setup-r" nft delete table ip kube-proxy ;;
	*) printf '*nat\nCOMMIT\n' | rules_loader "$kind" "$setup" ;;
	esac
}

# ---- connections ----

# One client run against $1:$2, started by the command RUNNER... (in_pod NS,
# in_node_cgroup NODE): "conn/s p50_us p99_us connections failed". A failed
# connection (no answer within connrate's 1 s) costs its run that second.
conn_run() {
	local addr=$1 port=$2 out n rate p50 p99 errs
	shift 2
	out=$("$@" taskset -c "$CLIENT_CPU" "$E2E_DIR/bin/connrate" "$addr" "$port" \
		"$BENCH_CONN_SECONDS" "$BENCH_CONN_MAX") || fail "no connections to $addr:$port ($*)"
	read -r n _ rate p50 p99 errs <<<"$out"
	echo "$rate $p50 $p99 $n $errs"
}

# Keeps a run's result under KEY if it is the best so far (scheduling noise
# only ever slows a run); failed connections are summed over all runs.
keep_best() {
	local key=$1 rate p50 p99 n errs
	read -r rate p50 p99 n errs <<<"$2"
	FAILED[$key]=$((${FAILED[$key]:-0} + errs))
	if [[ -z ${RATE[$key]:-} ]] || ((rate > ${RATE[$key]})); then
		RATE[$key]=$rate P50[$key]=$p50 P99[$key]=$p99 CONNS[$key]=$n
	fi
}

# BENCH_ROUNDS rounds over several points, each "KEY ADDR PORT RUNNER...",
# interleaved: a burst of other work on the machine then slows one round of
# every setup rather than every round of one.
measure_points() {
	local r point f
	for ((r = 0; r < BENCH_ROUNDS; r++)); do
		for point in "$@"; do
			read -r -a f <<<"$point"
			keep_best "${f[0]}" "$(conn_run "${f[@]:1}")"
		done
	done
}

# ---- single-service updates at the largest size ----

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# Rewrites the middle service's file with its last endpoint replaced (and
# back on odd rounds); prints the milliseconds until the old backend is gone
# from sluice_backend4, i.e. the new table is in place.
sluice_update_ms() {
	local node=$1 n=$2 rev=$3 name old new dir start
	read -r _ name old new <<<"$(gen info "$n" "$(sluice_backend_ips "$node")")"
	((rev)) && { local t=$old; old=$new; new=$t; }
	dir=$(manifest_dir "$node")
	gen sluice-update "$n" "$(sluice_backend_ips "$node")" -v rev="$rev" >"$dir/.$name.tmp"
	start=${EPOCHREALTIME/./}
	mv "$dir/.$name.tmp" "$dir/$name.json"
	"$E2E_DIR/bin/mapwait" swap "$(pin_root "$node")/maps/sluice_backend4" "$new" "$old" \
		"$start" 10000 || fail "sluice on $node did not apply the update of $name"
}

rules_update_ms() {
	local setup=$1 n=$2 rev=$3 mode f args=()
	mode=$([[ $setup == nft ]] && echo nft-update || echo iptables-update)
	[[ $setup != nft ]] && args=(--noflush)
	f=$E2E_DIR/update-$setup-$rev
	gen "$mode" "$n" "$(routed_backend_ips)" -v rev="$rev" >"$f"
	rules_load_ms "$setup" "$n" "$f" "${args[@]}"
}

# Median over BENCH_UPDATE_ROUNDS of a setup's update time.
update_median_ms() {
	local setup=$1 n=$2 r rec
	for ((r = 0; r < BENCH_UPDATE_ROUNDS; r++)); do
		if [[ $setup == sluice ]]; then
			sluice_update_ms "s$n" "$n" $((r % 2))
		elif [[ $setup == sluicemaps ]]; then
			rec=$(svc_reconcile_s "s$n")
			sluice_update_ms "s$n" "$n" $((r % 2)) >/dev/null
			reconcile_ms_since "s$n" "$rec"
		else
			rules_update_ms "$setup" "$n" $((r % 2))
		fi
	done | median
}

# ---- sluice map memory ----

# "name type max_entries bytes_memlock flags" of every map pinned on a node.
sluice_maps_show() {
	local f
	for f in "$(pin_root "$1")"/maps/*; do
		bpftool -j map show pinned "$f" |
			jq -r '"\(.name) \(.type) \(.max_entries) \(.bytes_memlock) \(.flags)"'
	done
}

# ---- the run ----

check_prereqs
e2e_setup
trap e2e_cleanup EXIT
ROOT_RULES_BEFORE=$(root_rules_fingerprint)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
SOCKLB_ROOT=$(socket_lb_root 2>"$E2E_DIR/socklb-why")
build_helpers

declare -A PROG ROUNDS RATE P50 P99 CONNS FAILED UPD MEMKB AGENT_CPU VIP FLUSHES
LARGEST=${SIZES[-1]}
SMALLEST=${SIZES[0]}

# Every size gets setups of its own, so that every point can be measured in
# the same rounds at the end.
echo "Setting up ${#SIZES[@]} sluice nodes and $((${#SIZES[@]} * ${#RULE_SETUPS[@]} + 1)) routed setups..." >&2
for ((i = 0; i < ${#SIZES[@]}; i++)); do
	sluice_node_create "s${SIZES[i]}" "10.244.$((i + 1))"
done
routed_create base
for n in "${SIZES[@]}"; do
	read -r "VIP[$n]" _ <<<"$(gen info "$n" "$(routed_backend_ips)")"
	for s in "${RULE_SETUPS[@]}"; do
		routed_create "$s$n"
		rules_file "$s" "$n" >/dev/null
	done
done

# Round 0 programs every setup from new; later rounds empty it first. The
# memory and the agent's CPU time are read in round 0.
for ((r = 0; r < BENCH_PROGRAM_ROUNDS; r++)); do
	for n in "${SIZES[@]}"; do
		node=s$n
		agent=$(cat "$E2E_DIR/agent-$node.pid")
		echo "$n services: programming sluice (round $((r + 1)) of $BENCH_PROGRAM_ROUNDS)..." >&2
		((r)) && sluice_clear "$node"
		# sluice's memory is read exactly from its maps, before and after.
		((r == 0)) && [[ $n == "$LARGEST" ]] && sluice_maps_show "$node" >"$E2E_DIR/maps-empty"
		cpu0=$(agent_cpu_s "$agent")
		rec=$(svc_reconcile_s "$node")
		ROUNDS[sluice,$n]+=" $(sluice_program "$node" "$n")"
		ROUNDS[sluicemaps,$n]+=" $(reconcile_ms_since "$node" "$rec")"
		if ((r == 0)); then
			FLUSHES[$n]=$(awk -v a="$rec" -v b="$(svc_reconcile_s "$node")" 'BEGIN {
				split(a, x, " "); split(b, y, " "); print y[2] - x[2]}')
			AGENT_CPU[$n]=$(awk -v a="$cpu0" -v b="$(agent_cpu_s "$agent")" \
				'BEGIN {printf "%.2f", b - a}')
			[[ $n == "$LARGEST" ]] && sluice_maps_show "$node" >"$E2E_DIR/maps-full"
		fi
		for s in "${RULE_SETUPS[@]}"; do
			echo "$n services: programming ${SETUP_NAME[$s]}..." >&2
			((r)) && rules_clear "$s" "$n"
			# Kernel memory is compared at the largest size only.
			mem=0
			((r == 0)) && [[ $n == "$LARGEST" ]] && mem=1
			((mem)) && mem0=$(kernel_mem_sample)
			ROUNDS[$s,$n]+=" $(rules_load_ms "$s" "$n" "$(rules_file "$s" "$n")")"
			((mem)) && MEMKB[$s]=$(kernel_mem_growth "$mem0" "$(kernel_mem_sample)")
		done
	done
done
for k in "${!ROUNDS[@]}"; do
	PROG[$k]=$(tr ' ' '\n' <<<"${ROUNDS[$k]}" | grep . | median)
done

echo "$LARGEST services: ${BENCH_UPDATE_ROUNDS} single-service updates per setup..." >&2
for s in sluice sluicemaps "${RULE_SETUPS[@]}"; do
	UPD[$s]=$(update_median_ms "$s" "$LARGEST")
done

echo "Reading sluice's maps and the agent's state..." >&2
node=s$LARGEST
agent=$(cat "$E2E_DIR/agent-$node.pid")
declare -A ENTRIES
for m in "${LB_MAPS[@]}"; do
	ENTRIES[$m]=$("$E2E_DIR/bin/mapwait" entries "$(pin_root "$node")/maps/$m")
done
AGENT_ALIVE=$(kill -0 "$agent" 2>/dev/null && echo yes || echo "NO (it exited)")
AGENT_RSS_KB=$(awk '/^VmRSS:/ {print $2}' "/proc/$agent/status" 2>/dev/null || echo "?")
AGENT_HWM_KB=$(awk '/^VmHWM:/ {print $2}' "/proc/$agent/status" 2>/dev/null || echo "?")
t0=$(now_us)
LISTED=$(sluice_cli "$node" -j service list | jq length)
LIST_MS=$(ms_between "$t0" "$(now_us)")
AGENT_COMPLAINTS=$(cat "$E2E_DIR"/agent-s*.log | grep -cE ' (warn|error|err) ' || true)

# The datapath runs from the pinned maps; no kube-proxy runs beside the rules
# either, and the agents' periodic conntrack GC would only add load.
for n in "${SIZES[@]}"; do agent_stop "s$n"; done

# Every point in the same rounds: a burst of other work on the machine then
# slows one round of every setup and size rather than all rounds of one.
points=("base_routed $(routed_backend_ips | cut -d, -f1) $BACKEND_PORT in_pod base-c"
	"base_pod $(pod_ip "s$SMALLEST-b1") $BACKEND_PORT in_pod s$SMALLEST-d")
[[ -n $SOCKLB_ROOT ]] && points+=("base_host $(pod_ip "s$SMALLEST-b1") $BACKEND_PORT in_node_cgroup s$SMALLEST")
for n in "${SIZES[@]}"; do
	points+=("sluice,$n ${VIP[$n]} $SVC_PORT in_pod s$n-c")
	[[ -n $SOCKLB_ROOT ]] && points+=("socklb,$n ${VIP[$n]} $SVC_PORT in_node_cgroup s$n")
	for s in "${RULE_SETUPS[@]}"; do points+=("$s,$n ${VIP[$n]} $SVC_PORT in_pod $s$n-c"); done
done
echo "Connections: ${BENCH_ROUNDS} rounds of ${BENCH_CONN_SECONDS}s at each of ${#points[@]} points..." >&2
measure_points "${points[@]}"
ROOT_RULES_AFTER=$(root_rules_fingerprint)

# ---- the report ----

# ratio A B: A / B with two decimals, or "-" when B is zero or missing.
ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN {if (b + 0 == 0) print "-"; else printf "%.2f", a / b}'; }

# met CONDITION_AS_AWK_EXPR: "met" or "NOT met".
met() { awk "BEGIN {exit !($1)}" && echo "met" || echo "NOT met"; }

print_header() {
	echo
	echo "Services benchmark, $(date -u +%F), kernel $(uname -r), $(nproc) CPUs," \
		"load average $LOAD_BEFORE before, $(cut -d' ' -f1-3 /proc/loadavg) after"
	echo "$("$SLUICE_BIN/sluice" version 2>/dev/null | head -1), tree $(git -C "$ROOT" describe --always --dirty 2>/dev/null)," \
		"agent built $(date -u -r "$SLUICE_BIN/sluice" +%FT%TZ); $(iptables-nft-restore --version 2>&1 | head -1);"
	echo "$(iptables-legacy-restore --version 2>&1 | head -1); $(nft --version)."
	if awk -v l="${LOAD_BEFORE%% *}" -v n="$(nproc)" 'BEGIN {exit !(l > n / 2)}'; then
		echo "WARNING: the machine was busy with other work when the run started: rates are skewed."
	fi
	echo "\"iptables (nft)\" is iptables-restore as Debian 12 installs it (the nf_tables backend);"
	echo "\"iptables (legacy)\" is iptables-legacy-restore. Rules: kube-proxy's nat-table shapes."
}

# A programming row: LABEL, then the times of KEY at every size, then its
# ratio over each of sluice's two measures at the largest size.
print_prog_row() {
	local key=$1 label=$2 n line
	line=$(printf '%-24s' "$label")
	for n in "${SIZES[@]}"; do line+=$(printf ' %10s' "${PROG[$key,$n]}"); done
	echo "$line$(printf ' %12s %12s' "$(ratio "${PROG[$key,$LARGEST]}" "${PROG[sluice,$LARGEST]}")" \
		"$(ratio "${PROG[$key,$LARGEST]}" "${PROG[sluicemaps,$LARGEST]}")")"
}

# Every round at the largest size, and each rule loader's ratio over sluice's
# reconcile round by round: how far the machine's drift moves one figure.
print_prog_rounds() {
	local s r a b line
	echo "    Round by round at $LARGEST, in ms:"
	printf '    %-24s%s\n' "sluice, files to maps" "${ROUNDS[sluice,$LARGEST]}" \
		"sluice, objects to maps" "${ROUNDS[sluicemaps,$LARGEST]}"
	for s in "${RULE_SETUPS[@]}"; do
		read -r -a a <<<"${ROUNDS[$s,$LARGEST]}"
		read -r -a b <<<"${ROUNDS[sluicemaps,$LARGEST]}"
		line=""
		for ((r = 0; r < ${#a[@]}; r++)); do line+=" $(ratio "${a[r]}" "${b[r]:-}")"; done
		printf '    %-24s%s   (x objs:%s)\n' "${SETUP_NAME[$s]}" "${ROUNDS[$s,$LARGEST]}" "$line"
	done
}

print_programming() {
	local s n line
	echo
	echo "(1) Time to program N services x $BACKENDS endpoints from empty, in ms: the median of"
	echo "    $BENCH_PROGRAM_ROUNDS rounds (the first on new setups, the others after all was taken out again)"
	echo "    sluice, files to maps: first file moved into the manifest directory -> every frontend"
	echo "      in sluice_svc4 (reading and parsing 2N objects, the directory's 100 ms settle delay);"
	echo "    sluice, objects to maps: the agent's own time reconciling services in that span"
	echo "      (sluice_reconcile_duration_seconds: Maglev tables, map writes), in ${FLUSHES[$LARGEST]} flush(es) at $LARGEST;"
	echo "    rules: the loader process, start to exit, from a finished rules file."
	line=$(printf '%-24s' SETUP)
	for n in "${SIZES[@]}"; do line+=$(printf ' %10s' "$n"); done
	echo "$line$(printf ' %12s %12s' "x files@$LARGEST" "x objs@$LARGEST")"
	print_prog_row sluice "sluice, files to maps"
	print_prog_row sluicemaps "sluice, objects to maps"
	for s in "${RULE_SETUPS[@]}"; do print_prog_row "$s" "${SETUP_NAME[$s]}"; done
	echo "    (\"x files\", \"x objs\": that setup's time over sluice's by each measure; above 1, sluice is faster.)"
	print_prog_rounds
	echo
	echo "Single-service update at $LARGEST services (one endpoint replaced), median of $BENCH_UPDATE_ROUNDS, in ms"
	printf '%-24s %10s  %s\n' SETUP ms HOW
	printf '%-24s %10s  %s\n' "sluice, files to maps" "${UPD[sluice]}" "one service's file rewritten, until the old backend is gone (100 ms settle delay)"
	printf '%-24s %10s  %s\n' "sluice, objects to maps" "${UPD[sluicemaps]}" "the agent's reconcile of that change"
	printf '%-24s %10s  %s\n' "${SETUP_NAME[iptn]}" "${UPD[iptn]}" "iptables-restore --noflush of its chains"
	printf '%-24s %10s  %s\n' "${SETUP_NAME[iptl]}" "${UPD[iptl]}" "iptables-legacy-restore --noflush of its chains"
	printf '%-24s %10s  %s\n' "${SETUP_NAME[nft]}" "${UPD[nft]}" "nft -f: endpoint chain added, service chain refilled, old one deleted"
}

# The baseline a setup's rows are read against: the same path without translation.
baseline_of() {
	case $1 in
	sluice) echo base_pod ;;
	socklb) echo base_host ;;
	*) echo base_routed ;;
	esac
}

# print_rate_row KEY LABEL SERVICES IPTABLES_RATE BASELINE_RATE
print_rate_row() {
	local key=$1 label=$2 size=$3 ref=$4 base=$5
	printf '%-24s %8s %9s %10s %10s %8s %8s %8s %7s\n' "$label" "$size" "${RATE[$key]}" \
		"$(ratio "${RATE[$key]}" "$ref")" "$(ratio "${RATE[$key]}" "$base")" "${P50[$key]}" \
		"${P99[$key]}" "${CONNS[$key]}" "${FAILED[$key]}"
}

print_rates() {
	local s n
	echo
	echo "(2) New TCP connections to the last-added ClusterIP: 1 client, sequential, connect +"
	echo "    1 byte each way + close; best of $BENCH_ROUNDS x ${BENCH_CONN_SECONDS}s (at most $BENCH_CONN_MAX connections)."
	echo "    Latency is of connect() (SYN to SYN-ACK), in us. \"x iptables\": over iptables (nft) at the"
	echo "    same size. \"x baseline\": over the same path without translation (sluice TC: pod to pod;"
	echo "    socket LB: host to pod; rules: routed). CONNS: connections in the best run; FAILED:"
	echo "    connections without an answer within 1 s, over all runs (each costs its run that second)."
	printf '%-24s %8s %9s %10s %10s %8s %8s %8s %7s\n' SETUP SERVICES conn/s "x iptables" "x baseline" \
		"p50 us" "p99 us" CONNS FAILED
	print_rate_row base_routed "${SETUP_NAME[base_routed]}" - "" ""
	print_rate_row base_pod "${SETUP_NAME[base_pod]}" - "" ""
	[[ -n $SOCKLB_ROOT ]] && print_rate_row base_host "${SETUP_NAME[base_host]}" - "" ""
	for s in sluice socklb "${RULE_SETUPS[@]}"; do
		if [[ $s == socklb && -z $SOCKLB_ROOT ]]; then
			printf '%-24s %8s %s\n' "${SETUP_NAME[socklb]}" - "$(cat "$E2E_DIR/socklb-why")"
			continue
		fi
		for n in "${SIZES[@]}"; do
			print_rate_row "$s,$n" "${SETUP_NAME[$s]}" "$n" "${RATE[iptn,$n]}" \
				"${RATE[$(baseline_of "$s")]}"
		done
	done
}

# Field $3 (2 type, 3 max_entries, 4 bytes_memlock) of map $2 in snapshot file $1.
map_field() { awk -v m="$2" -v f="$3" '$1 == m {print $f}' "$1"; }

# Bytes of the service maps in snapshot file $1.
lb_maps_bytes() {
	local m total=0
	for m in "${LB_MAPS[@]}"; do total=$((total + $(map_field "$1" "$m" 4))); done
	echo "$total"
}

# Bytes one entry's worth of a preallocated map's memory in snapshot $1.
slot_bytes() { echo $(($(map_field "$1" "$2" 4) / $(map_field "$1" "$2" 3))); }

print_memory() {
	local full=$E2E_DIR/maps-full empty=$E2E_DIR/maps-empty m grown total noise
	echo
	echo "(3) Memory at $LARGEST services x $BACKENDS endpoints"
	echo "    sluice's maps (bpftool bytes_memlock; hash maps are preallocated unless flags say 1, no-prealloc):"
	printf '    %-17s %-14s %5s %8s %9s %12s %12s\n' MAP TYPE FLAGS MAX ENTRIES "KiB empty" "KiB full"
	for m in "${LB_MAPS[@]}"; do
		printf '    %-17s %-14s %5s %8s %9s %12d %12d\n' "$m" "$(map_field "$full" "$m" 2)" \
			"$(map_field "$full" "$m" 5)" "$(map_field "$full" "$m" 3)" "${ENTRIES[$m]}" \
			$(($(map_field "$empty" "$m" 4) / 1024)) $(($(map_field "$full" "$m" 4) / 1024))
	done
	# What grows with services: entries of maps that are not preallocated.
	grown=$(($(lb_maps_bytes "$full") - $(lb_maps_bytes "$empty")))
	total=$(lb_maps_bytes "$full")
	echo "    per service, allocated as it is added: $((grown / LARGEST)) B (its Maglev table in sluice_maglev," \
		"$((($(map_field "$full" sluice_maglev 4) - $(map_field "$empty" sluice_maglev 4)) / LARGEST)) B,"
	echo "      and its sluice_svc_meta entry), plus a preallocated sluice_svc4 slot of" \
		"$(slot_bytes "$full" sluice_svc4) B"
	echo "    per endpoint: nothing allocated; one preallocated sluice_backend4 slot of" \
		"$(slot_bytes "$full" sluice_backend4) B"
	echo "    preallocated at agent start, whatever the services: $(($(lb_maps_bytes "$empty") / 1024)) KiB;" \
		"all of it at $LARGEST services: $((total / 1024)) KiB = $((total / LARGEST)) B per service"
	echo "    Rulesets: kernel memory grown while loading $LARGEST services (meminfo SUnreclaim + VmallocUsed"
	echo "    + Percpu, machine-wide: median of $MEM_SAMPLES readings ${MEM_SAMPLE_GAP_S}s apart before and after;" \
		"noise = their spread):"
	for m in "${RULE_SETUPS[@]}"; do
		read -r grown noise <<<"${MEMKB[$m]}"
		if ((grown > MEM_NOISE_FACTOR * noise)); then
			printf '    %-22s %8d KiB %8d B per service   (noise %d KiB)\n' "${SETUP_NAME[$m]}" \
				"$grown" $((grown * 1024 / LARGEST)) "$noise"
		else
			printf '    %-22s not measured: %d KiB grown, within the machine'"'"'s noise of %d KiB\n' \
				"${SETUP_NAME[$m]}" "$grown" "$noise"
		fi
	done
}

# How many times better sluice's figure OURS is than THEIRS: OURS / THEIRS for
# rates, THEIRS / OURS for times (TIMES=1).
aim_ratio() {
	local ours=$1 theirs=$2 times=$3
	if ((times)); then ratio "$theirs" "$ours"; else ratio "$ours" "$theirs"; fi
}

print_aims() {
	local l=$LARGEST s r m
	echo
	echo "Aims (from the issue)"
	for s in iptn iptl; do
		r=$(aim_ratio "${RATE[sluice,$l]}" "${RATE[$s,$l]}" 0)
		echo "  connections/s at $l services >= 2x ${SETUP_NAME[$s]}: ${RATE[sluice,$l]} vs" \
			"${RATE[$s,$l]} = ${r}x: $(met "$r >= 2")"
	done
	echo "  connections/s at $l services within 10% of sluice's own at $SMALLEST: ${RATE[sluice,$l]} vs" \
		"${RATE[sluice,$SMALLEST]} = $(awk -v a="${RATE[sluice,$l]}" -v b="${RATE[sluice,$SMALLEST]}" \
			'BEGIN {printf "%+.1f%%", (a / b - 1) * 100}'): $(met "${RATE[sluice,$l]} >= 0.9 * ${RATE[sluice,$SMALLEST]}")"
	for s in iptn iptl; do
		for m in sluice sluicemaps; do
			r=$(aim_ratio "${PROG[$m,$l]}" "${PROG[$s,$l]}" 1)
			echo "  programming $l services >= 20x faster than ${SETUP_NAME[$s]}, sluice" \
				"$([[ $m == sluice ]] && echo "files" || echo "objects") to maps: ${PROG[$m,$l]} ms vs" \
				"${PROG[$s,$l]} ms = ${r}x as fast: $(met "$r >= 20")"
		done
	done
}

print_notes() {
	local l=$LARGEST
	echo
	echo "The agent at $l services"
	echo "  programming: $(awk -v t="${PROG[sluice,$l]}" -v n="$l" 'BEGIN {printf "%.2f", t / n}') ms per service;" \
		"agent CPU time during it: ${AGENT_CPU[$l]} s of $(awk -v t="${PROG[sluice,$l]}" 'BEGIN {printf "%.1f", t / 1000}') s"
	echo "  alive after programming and the updates: $AGENT_ALIVE; RSS ${AGENT_RSS_KB} KiB (peak ${AGENT_HWM_KB} KiB)"
	echo "  sluice service list: $LISTED frontends in $LIST_MS ms; warnings/errors in agent logs: $AGENT_COMPLAINTS"
	echo "  the machine's own namespace: rules $([[ $ROOT_RULES_BEFORE == "$ROOT_RULES_AFTER" ]] &&
		echo unchanged || echo CHANGED)"
}

print_header
print_programming
print_rates
print_memory
print_aims
print_notes
