# SPDX-License-Identifier: Apache-2.0
# Traffic from outside the node: NodePort, external IPs, traffic policies.

test_nodeport_from_outside() {
	local answers
	outside_node
	SVC_SPEC='{"type": "NodePort"}' svc_write n1 web 10.96.1.10 80 8080 TCP b1 b2
	jq '.items[0].spec.ports[0].nodePort = 30080' "$(manifest_dir n1)/web.json" \
		>"$(manifest_dir n1)/web.json.tmp"
	mv "$(manifest_dir n1)/web.json.tmp" "$(manifest_dir n1)/web.json"
	svc_wait n1 "$NODE_IP" 2
	answers=$(for _ in $(seq 40); do tcp_ask outside "$NODE_IP" 30080; done | awk '{print $1}' |
		sort | uniq -c)
	[[ $(wc -l <<<"$answers") == 2 ]] || fail "outside reached: $answers"
	(($(verdict_packets n1 net-to-pod) >= 40)) || fail "net-to-pod not counted"
	(($(verdict_packets n1 forward-net) >= 40)) || fail "replies not routed by BPF"
	# Pods reach the NodePort on the node address too.
	[[ $(tcp_ask client "$NODE_IP" 30080 | awk '{print $1}') == b[12] ]] ||
		fail "pod to NodePort"
	# The node device carries the program until uninstall takes it off.
	on_node n1 tc filter show dev eth0 ingress | grep -q tc_from_net || fail "not attached"
	agent_stop n1
	sluice_cli n1 uninstall >/dev/null
	! on_node n1 tc filter show dev eth0 ingress | grep -q tc_from_net ||
		fail "uninstall left the node device program"
}

# externalTrafficPolicy: Local keeps the client's address; Cluster balances over all.
test_external_traffic_policy_local_keeps_client_address() {
	local answer
	outside_node
	SVC_SPEC='{"type": "NodePort", "externalTrafficPolicy": "Local"}' \
		svc_write n1 local 10.96.1.20 80 8080 TCP b1
	jq '.items[0].spec.ports[0].nodePort = 30081' "$(manifest_dir n1)/local.json" \
		>"$(manifest_dir n1)/local.json.tmp"
	mv "$(manifest_dir n1)/local.json.tmp" "$(manifest_dir n1)/local.json"
	svc_wait n1 "$NODE_IP" 1
	answer=$(tcp_ask outside "$NODE_IP" 30081)
	[[ $answer == "b1 $OUTSIDE_IP" ]] || fail "backend saw: '$answer'"
}

# An external IP routed to the node reaches the backends from outside and from pods.
test_external_ip() {
	outside_node
	in_pod outside ip route add 10.0.0.50/32 via "$NODE_IP"
	SVC_SPEC='{"externalIPs": ["10.0.0.50"]}' svc_write n1 ext 10.96.1.30 80 8080 TCP b1
	svc_wait n1 10.0.0.50 1
	[[ $(tcp_ask outside 10.0.0.50 80 | awk '{print $1}') == b1 ]] || fail "outside to external IP"
	[[ $(tcp_ask client 10.0.0.50 80 | awk '{print $1}') == b1 ]] || fail "pod to external IP"
}

# A client outside the node meets the backend's ingress policy by its own
# address (ipBlock), after the NodePort is translated: b1 admits the outside
# network's /24 but not the client's /32 once an except names it.
test_nodeport_meets_backend_ingress_policy() {
	local dir
	outside_node
	dir=$(manifest_dir n1)
	SVC_SPEC='{"type": "NodePort", "externalTrafficPolicy": "Local"}' \
		svc_write n1 web 10.96.1.10 80 8080 TCP b1
	jq '.items[0].spec.ports[0].nodePort = 30080' "$dir/web.json" >"$dir/web.json.tmp"
	mv "$dir/web.json.tmp" "$dir/web.json"
	svc_wait n1 "$NODE_IP" 1
	jq -n '{apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy",
		metadata: {namespace: "default", name: "b1-from-outside"},
		spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: "10.0.0.0/24"}}],
			ports: [{port: 8080}]}]}}' >"$dir/np.json.tmp"
	mv "$dir/np.json.tmp" "$dir/np.json"
	sleep 0.5
	[[ $(tcp_ask outside "$NODE_IP" 30080 | awk '{print $1}') == b1 ]] ||
		fail "the outside network, which the policy admits, cannot reach b1"
	tcp_ask client "$(pod_ip b1)" 8080 >/dev/null 2>&1 &&
		fail "a pod outside the ipBlock reached b1"
	jq '.spec.ingress[0].from[0].ipBlock.except = ["'"$OUTSIDE_IP"'/32"]' "$dir/np.json" \
		>"$dir/np.json.tmp"
	mv "$dir/np.json.tmp" "$dir/np.json"
	sleep 0.5
	tcp_ask outside "$NODE_IP" 30080 >/dev/null 2>&1 &&
		fail "the excepted outside client reached b1 through the NodePort"
	(($(verdict_packets n1 drop-policy-ingress) >= 2)) ||
		fail "ingress drops not counted: $(verdict_packets n1 drop-policy-ingress)"
}
