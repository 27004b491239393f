#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make demo`: a simulated Kubernetes node (a network namespace) running the
# sluice agent, three pods wired by sluice-cni, real traffic between them,
# and what the datapath did with it. Everything is removed at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
E2E_PREFIX="sluice-demo-$$"
source "$ROOT/selftests/e2e/lib.sh"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
ok() { printf '   \033[32mok\033[0m   %s\n' "$*"; }
bad() { printf '   \033[31mFAIL\033[0m %s\n' "$*"; failures=$((failures + 1)); }
failures=0

[[ $(id -u) -eq 0 ]] || { echo "the demo needs root (network namespaces, BPF)" >&2; exit 1; }
e2e_setup
trap e2e_cleanup EXIT

say "A node: namespace $E2E_PREFIX-node1, IP forwarding off (only BPF forwards)"
node_create node1
agent_start node1
sluice_cli node1 status

say "Three pods, each added by sluice-cni with host-local IPAM"
for p in web api db; do
	pod_add node1 "$p"
	tcp_serve "$p"
	printf '   %-4s %s  host veth %s\n' "$p" "$(pod_ip "$p")" \
		"$(jq -r '.interfaces[0].name' "$E2E_DIR/result-$p.json")"
done
for p in web api db; do tcp_wait_listen "$p"; done
echo
sluice_cli node1 endpoint list

say "Traffic between every pair of pods"
for a in web api db; do
	for b in web api db; do
		[[ $a == "$b" ]] && continue
		if in_pod "$a" ping -c 1 -W 2 "$(pod_ip "$b")" >/dev/null; then
			ok "ping $a -> $b"
		else
			bad "ping $a -> $b"
		fi
		answer=$(tcp_ask "$a" "$(pod_ip "$b")" || true)
		if [[ $answer == "$b" ]]; then
			ok "TCP  $a -> $b:8080 answered \"$answer\""
		else
			bad "TCP  $a -> $b:8080 answered \"$answer\""
		fi
	done
done

say "What the datapath did (sluice stats show)"
sluice_cli node1 stats show

say "The agent is killed; pods keep talking, and it comes back to the same maps"
agent_stop node1 KILL
if tcp_ask web "$(pod_ip db)" >/dev/null; then ok "TCP web -> db with no agent running"; else bad "TCP with the agent down"; fi
agent_start node1
if tcp_ask db "$(pod_ip web)" >/dev/null; then ok "TCP db -> web after the restart"; else bad "TCP after restart"; fi
sluice_cli node1 status | tail -n 2

say "Pod api is deleted (CNI DEL): its veth, lease and endpoint are gone"
pod_del node1 api
sluice_cli node1 endpoint list

echo
if ((failures)); then
	echo "demo: $failures check(s) failed"
	exit 1
fi
echo "demo: everything worked; cleaning up"
