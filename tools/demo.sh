#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make demo`: a simulated Kubernetes node (a network namespace) running the
# sluice agent, pods wired by sluice-cni, a Service balanced by BPF, a
# NodePort reached from outside the node, a NetworkPolicy and the drops it
# makes, and what the datapath did with all of it. Everything is removed
# at the end.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
E2E_PREFIX="sluice-demo-$$"
source "$ROOT/selftests/e2e/lib.sh"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
ok() { printf '   \033[32mok\033[0m   %s\n' "$*"; }
bad() { printf '   \033[31mFAIL\033[0m %s\n' "$*"; failures=$((failures + 1)); }
check() {
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi
}
failures=0
PODS=(web-1 web-2 web-3 client)

[[ $(id -u) -eq 0 ]] || { echo "the demo needs root (network namespaces, BPF)" >&2; exit 1; }
e2e_setup
trap e2e_cleanup EXIT

say "A node: namespace $E2E_PREFIX-node1 with device eth0 ($NODE_IP) wired to an 'outside' namespace"
node_create node1
on_node node1 sysctl -qw net.ipv4.ip_forward=1
ip netns add "$E2E_PREFIX-outside"
ip link add eth0 netns "$E2E_PREFIX-node1" type veth peer name ext0 netns "$E2E_PREFIX-outside"
on_node node1 ip addr add "$NODE_IP/24" dev eth0
on_node node1 ip link set eth0 up
in_pod outside ip addr add "$OUTSIDE_IP/24" dev ext0
in_pod outside ip link set ext0 up
agent_start node1 --devices eth0
sluice_cli node1 status

say "Four pods, each added by sluice-cni with host-local IPAM"
for p in "${PODS[@]}"; do
	pod_add node1 "$p"
	printf '   %-7s %s  host veth %s\n' "$p" "$(pod_ip "$p")" \
		"$(jq -r '.interfaces[0].name' "$E2E_DIR/result-$p.json")"
done
for p in web-1 web-2 web-3; do
	bg_in_pod "$p" socat TCP-LISTEN:8080,fork,reuseaddr "SYSTEM:echo $p" >/dev/null 2>&1
done
for p in web-1 web-2 web-3; do tcp_wait_listen "$p" 8080; done
echo
sluice_cli node1 endpoint list

say "Pod to pod, straight through BPF (the node's own IP forwarding plays no part)"
for p in web-1 web-2 web-3; do
	check "ping client -> $p" in_pod client ping -c 1 -W 2 "$(pod_ip "$p")"
	[[ $(tcp_ask client "$(pod_ip "$p")" 8080) == "$p" ]] && ok "TCP  client -> $p:8080" ||
		bad "TCP client -> $p:8080"
done

say "A Service (ClusterIP 10.96.0.10:80 -> the web pods' 8080), from the manifest directory"
SVC_SPEC='{"type": "NodePort"}' svc_write node1 web 10.96.0.10 80 8080 TCP web-1 web-2 web-3
jq '.items[0].spec.ports[0].nodePort = 30080' "$(manifest_dir node1)/web.json" >"$E2E_DIR/web.json"
mv "$E2E_DIR/web.json" "$(manifest_dir node1)/web.json"
svc_write node1 nobody 10.96.0.20 80 8080 TCP
svc_wait node1 10.96.0.10 3
svc_wait node1 10.96.0.20 0
sluice_cli node1 service list
echo
echo "   30 connections from the client pod to 10.96.0.10:80, Maglev-balanced:"
for _ in $(seq 30); do tcp_ask client 10.96.0.10 80; done | sort | uniq -c | sed 's/^/     /'
echo "   30 connections from outside the node to the NodePort $NODE_IP:30080:"
for _ in $(seq 30); do tcp_ask outside "$NODE_IP" 30080; done | sort | uniq -c | sed 's/^/     /'
if out=$(in_pod client socat -T 2 - TCP:10.96.0.20:80,connect-timeout=2 </dev/null 2>&1); then
	bad "a service without endpoints answered"
elif [[ $out == *"Connection refused"* ]]; then
	ok "a service without endpoints refuses at once (ICMP port unreachable from the VIP)"
else
	bad "a service without endpoints: $out"
fi

say "NetworkPolicy: namespace 'shop' takes no traffic but frontend -> db on 5432"
manifest() { cat >"$(manifest_dir node1)/$1.json.tmp"; mv "$(manifest_dir node1)/$1.json.tmp" "$(manifest_dir node1)/$1.json"; }
jq -n '{apiVersion: "v1", kind: "List", items: [
	{apiVersion: "v1", kind: "Namespace", metadata: {name: "shop"}},
	{apiVersion: "v1", kind: "Pod", metadata: {namespace: "shop", name: "db",
	 labels: {role: "db"}}},
	{apiVersion: "v1", kind: "Pod", metadata: {namespace: "shop", name: "frontend",
	 labels: {role: "frontend"}}},
	{apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy",
	 metadata: {namespace: "shop", name: "default-deny"},
	 spec: {podSelector: {}, policyTypes: ["Ingress"]}},
	{apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy",
	 metadata: {namespace: "shop", name: "db-from-frontend"},
	 spec: {podSelector: {matchLabels: {role: "db"}}, ingress: [{
		from: [{podSelector: {matchLabels: {role: "frontend"}}}],
		ports: [{protocol: "TCP", port: 5432}]}]}}]}' | manifest shop
for p in db frontend; do
	POD_NS=shop POD_NAME=$p pod_add node1 "$p"
	printf '   shop/%-8s %s\n' "$p" "$(pod_ip "$p")"
done
bg_in_pod db socat TCP-LISTEN:5432,fork,reuseaddr "SYSTEM:echo db" >/dev/null 2>&1
tcp_wait_listen db 5432
sluice_cli node1 monitor --count 2 --timeout 15 >"$E2E_DIR/monitor.txt" &
monitor=$!
sleep 0.5
[[ $(tcp_ask frontend "$(pod_ip db)" 5432) == db ]] && ok "TCP  shop/frontend -> shop/db:5432 (allowed)" ||
	bad "shop/frontend -> shop/db:5432"
for from in client web-1; do
	if in_pod "$from" socat -T 1 - "TCP:$(pod_ip db):5432,connect-timeout=1" </dev/null >/dev/null 2>&1; then
		bad "default/$from reached shop/db"
	else
		ok "TCP  default/$from -> shop/db:5432 dropped by shop's policy"
	fi
done
wait "$monitor" || true
echo
echo "   sluice monitor saw:"
sed 's/^/     /' "$E2E_DIR/monitor.txt"
echo
sluice_cli node1 policy get shop/db

say "What the datapath did (sluice stats show)"
sluice_cli node1 stats show

say "The agent is killed; traffic flows on, and it comes back to the same maps"
agent_stop node1 KILL
[[ $(tcp_ask client 10.96.0.10 80) == web-* ]] && ok "ClusterIP with no agent running" ||
	bad "ClusterIP with the agent down"
[[ $(tcp_ask client "$(pod_ip web-1)" 8080) == web-1 ]] && ok "pod to pod with no agent running" ||
	bad "pod to pod with the agent down"
agent_start node1 --devices eth0
[[ $(tcp_ask outside "$NODE_IP" 30080) == web-* ]] && ok "NodePort after the restart" ||
	bad "NodePort after the restart"
sluice_cli node1 status | tail -n 2

say "Pod web-3 is deleted (CNI DEL) and dropped from the EndpointSlice"
pod_del node1 web-3
svc_write node1 web 10.96.0.10 80 8080 TCP web-1 web-2
svc_wait node1 10.96.0.10 2
sluice_cli node1 endpoint list
echo
sluice_cli node1 service list | grep -E 'ID|10.96.0.10'

echo
if ((failures)); then
	echo "demo: $failures check(s) failed"
	exit 1
fi
echo "demo: everything worked; cleaning up"
