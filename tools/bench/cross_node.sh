#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Cross-node pod-to-pod TCP throughput, side by side in one run, on three
# simulated nodes joined by a bridge (selftests/e2e/lib_cluster.sh):
#   same node     - a1 -> a2 on n1, sluice's bpf_redirect_peer
#   sluice vxlan  - a1 (n1) -> b1 (n2) through the VXLAN tunnel
#   sluice native - the same pods, agents restarted with --routing native
#   kernel routed - the same pods and veths after `sluice uninstall`: plain
#                   kernel forwarding with a route per node's pod CIDR
# iperf3, one stream, client on CPU 0 and server on CPU 1; best of rounds.
# Usage: tools/bench/cross_node.sh  (after `make`; root; about a minute)
# Environment: BENCH_SECONDS, BENCH_ROUNDS.
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
E2E_PREFIX="sluice-xbench-$$"
source "$ROOT/selftests/e2e/lib.sh"
source "$ROOT/selftests/e2e/lib_cluster.sh"

# Seconds per measurement and rounds per setup; scheduling noise only ever slows a round.
BENCH_SECONDS=${BENCH_SECONDS:-5}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
IPERF_PORT=5201
CLIENT_CPU=0
SERVER_CPU=$(($(nproc) > 1 ? 1 : 0))

[[ $(id -u) -eq 0 ]] || { echo "the benchmark needs root" >&2; exit 1; }
e2e_setup
trap e2e_cleanup EXIT

# Best of BENCH_ROUNDS of iperf3 from pod $1 to pod $2, in Gbit/s.
throughput() {
	local best=0 r tp
	for ((r = 0; r < BENCH_ROUNDS; r++)); do
		tp=$(in_pod "$1" taskset -c "$CLIENT_CPU" iperf3 -c "$(pod_ip "$2")" -p "$IPERF_PORT" \
			-t "$BENCH_SECONDS" -J | jq '.end.sum_received.bits_per_second / 1e9')
		best=$(awk -v a="$best" -v b="$tp" 'BEGIN {print (b > a) ? b : a}')
	done
	echo "$best"
}

# The pod MTU in force, for the table: the tunnel's in VXLAN routing.
pod_mtu() { in_pod "$1" cat /sys/class/net/eth0/mtu; }

echo "Setting up three simulated nodes, VXLAN routing..." >&2
cluster_up vxlan
for pod in a2 b1; do
	bg_in_pod "$pod" taskset -c "$SERVER_CPU" iperf3 -s -p "$IPERF_PORT" >/dev/null 2>&1
	tcp_wait_listen "$pod" "$IPERF_PORT"
done
declare -A tp mtu
echo "Measuring same node and VXLAN..." >&2
tp[same]=$(throughput a1 a2)
mtu[same]=$(pod_mtu a1)
tp[vxlan]=$(throughput a1 b1)
mtu[vxlan]=$(pod_mtu a1)

echo "Restarting the agents with native routing..." >&2
cl_agents_stop
cl_ip_forward native
cl_agents_start native
tp[native]=$(throughput a1 b1)
mtu[native]=$(pod_mtu a1)

echo "Removing sluice: kernel routing of the same pods..." >&2
cl_agents_stop
for node in "${CL_NODES[@]}"; do
	on_node "$node" "$SLUICE_BIN/sluice" uninstall --bpffs "$(pin_root "$node")" >/dev/null
	for other in "${CL_NODES[@]}"; do
		[[ $other == "$node" ]] ||
			on_node "$node" ip route add "${CL_POD_CIDR[$other]}" via "${CL_NODE_IP[$other]}"
	done
done
tp[kernel]=$(throughput a1 b1)
mtu[kernel]=$(pod_mtu a1)

echo
echo "Cross-node pod-to-pod TCP, $(uname -r), $(nproc) CPUs, iperf3 1 stream, best of $BENCH_ROUNDS x ${BENCH_SECONDS}s"
echo "Ratios against plain kernel routing of the same pods across the same wire."
echo
printf '%-16s %8s %11s %12s\n' SETUP "POD MTU" "TCP Gbit/s" "x kernel"
for s in same vxlan native kernel; do
	case $s in
	same) name="same node" ;;
	vxlan) name="sluice vxlan" ;;
	native) name="sluice native" ;;
	kernel) name="kernel routed" ;;
	esac
	awk -v n="$name" -v m="${mtu[$s]}" -v t="${tp[$s]}" -v k="${tp[kernel]}" \
		'BEGIN {printf "%-16s %8s %11.2f %12.2f\n", n, m, t, t / k}'
done
