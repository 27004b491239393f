#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Same-node pod-to-pod performance, side by side in one run:
#   sluice        - sluice-cni pods, forwarded by bpf_redirect_peer
#   bridge        - the standard `bridge` CNI plugin (pods on a Linux bridge)
#   veth-routing  - the standard `ptp` CNI plugin (veths, host routing)
# Each setup is a simulated node with two pods; the same tools measure all
# three: iperf3 for TCP throughput, sockperf ping-pong for TCP
# request/response latency. Prints a table with ratios against the bridge.
# Usage: tools/bench/pod2pod.sh   (BENCH_SECONDS=N sets each measurement's length)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
E2E_PREFIX="sluice-bench-$$"
source "$ROOT/selftests/e2e/lib.sh"

# Seconds per measurement: long enough for a steady figure, short enough for CI.
BENCH_SECONDS=${BENCH_SECONDS:-5}
# Rounds per setup; the best is kept, as scheduling noise only ever slows a run.
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
# sockperf's default message is 64 bytes: a small request and its reply.
SOCKPERF_PORT=11111
IPERF_PORT=5201
# Client and server each keep one CPU, the same in every setup, so that the
# scheduler's placement is not what the figures compare.
CLIENT_CPU=0
SERVER_CPU=$(($(nproc) > 1 ? 1 : 0))

[[ $(id -u) -eq 0 ]] || { echo "the benchmark needs root" >&2; exit 1; }
e2e_setup
trap e2e_cleanup EXIT

# Two pods on an existing node, wired by the CNI config $2, with servers in the second.
setup_pods() {
	local node=$1 conf=$2
	pod_add "$node" "$node-a" "$conf"
	pod_add "$node" "$node-b" "$conf"
	bg_in_pod "$node-b" taskset -c "$SERVER_CPU" iperf3 -s -p "$IPERF_PORT" >/dev/null 2>&1
	bg_in_pod "$node-b" taskset -c "$SERVER_CPU" sockperf sr --tcp -i "$(pod_ip "$node-b")" \
		-p "$SOCKPERF_PORT" >/dev/null 2>&1
	tcp_wait_listen "$node-b" "$IPERF_PORT"
	tcp_wait_listen "$node-b" "$SOCKPERF_PORT"
}

throughput_gbps() {
	in_pod "$1" taskset -c "$CLIENT_CPU" iperf3 -c "$2" -p "$IPERF_PORT" -t "$BENCH_SECONDS" -J |
		jq '.end.sum_received.bits_per_second / 1e9'
}

# Prints "p50 p99" of sockperf's latency (half a round trip), in microseconds.
latency_us() {
	in_pod "$1" taskset -c "$CLIENT_CPU" sockperf pp --tcp -i "$2" -p "$SOCKPERF_PORT" -t "$BENCH_SECONDS" 2>&1 |
		awk '/percentile 50.000 =/ {p50 = $NF} /percentile 99.000 =/ {p99 = $NF}
		     END {if (p50 == "" || p99 == "") exit 1; print p50, p99}'
}

# Best of BENCH_ROUNDS: "Gbit/s p50 p99".
measure() {
	local node=$1 best_tp=0 best_p50="" best_p99="" r tp p50 p99
	for ((r = 0; r < BENCH_ROUNDS; r++)); do
		tp=$(throughput_gbps "$node-a" "$(pod_ip "$node-b")")
		read -r p50 p99 <<<"$(latency_us "$node-a" "$(pod_ip "$node-b")")"
		best_tp=$(awk -v a="$best_tp" -v b="$tp" 'BEGIN {print (b > a) ? b : a}')
		if [[ -z $best_p50 ]] || awk -v a="$p50" -v b="$best_p50" 'BEGIN {exit !(a < b)}'; then
			best_p50=$p50 best_p99=$p99
		fi
	done
	echo "$best_tp $best_p50 $best_p99"
}

echo "Setting up three simulated nodes with two pods each..." >&2
node_create sl
agent_start sl
setup_pods sl "$(cni_conf sl 10.244.1.0/24)"
node_create br
setup_pods br "$(cni_conf br 10.245.1.0/24 |
	jq '.type = "bridge" | .bridge = "slbench0" | .isGateway = true | del(.bpffs)')"
node_create rt
# The ptp plugin relies on the host routing between pods.
on_node rt sysctl -qw net.ipv4.ip_forward=1
setup_pods rt "$(cni_conf rt 10.246.1.0/24 | jq '.type = "ptp" | del(.bpffs)')"

declare -A tp p50 p99
for node in sl br rt; do
	echo "Measuring $node: ${BENCH_ROUNDS} rounds of ${BENCH_SECONDS}s iperf3 and sockperf..." >&2
	read -r tp[$node] p50[$node] p99[$node] <<<"$(measure $node)"
done

echo
echo "Same-node pod-to-pod, $(uname -r), $(nproc) CPUs, best of $BENCH_ROUNDS x ${BENCH_SECONDS}s"
echo "TCP throughput: iperf3, 1 stream. Latency: sockperf TCP ping-pong, 64-byte messages,"
echo "half round trip. Ratios are against the bridge: higher throughput and lower latency win."
echo
printf '%-14s %11s %10s %9s %9s %13s\n' SETUP "TCP Gbit/s" "x bridge" "p50 us" "p99 us" "p50 x bridge"
for node in sl br rt; do
	case $node in
	sl) name=sluice ;;
	br) name=bridge ;;
	rt) name=veth-routing ;;
	esac
	awk -v n="$name" -v t="${tp[$node]}" -v bt="${tp[br]}" -v a="${p50[$node]}" \
		-v b="${p99[$node]}" -v ba="${p50[br]}" \
		'BEGIN {printf "%-14s %11.2f %10.2f %9.2f %9.2f %13.2f\n", n, t, t / bt, a, b, a / ba}'
done
