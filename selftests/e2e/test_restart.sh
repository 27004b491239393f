# SPDX-License-Identifier: Apache-2.0
# The agent killed under live traffic: connections to pods and Services go
# on while it is down, and its restart converges without dropping any.

# How long the client opens connections, and when the agent dies and returns.
CHURN_S=8
KILL_AFTER_S=2
DOWN_S=2
NETPOL_PY=(python3 "$SLUICE_ROOT/selftests/e2e/tools/netpol.py")

# The sum of every drop verdict on a node.
drops_total() {
	sluice_cli "$1" -j stats show | jq '[.[] | select(.verdict | startswith("drop")) |
		.packets] | add'
}

test_agent_sigkill_under_traffic_fails_no_connection() {
	local dir out ok failed drops_before
	node_create n1
	agent_start n1
	dir=$(manifest_dir n1)
	for p in b1 b2 client; do pod_add n1 "$p"; done
	for p in b1 b2; do
		# Accepts and closes at once, with a deep backlog: a fork per
		# connection (socat) would refuse a fast client by itself.
		bg_in_pod "$p" "${NETPOL_PY[@]}" serve --lifetime 60 8080
		tcp_wait_listen "$p" 8080
	done
	svc_write n1 web 10.96.0.10 80 8080 TCP b1 b2
	svc_wait n1 10.96.0.10 2
	# Policy is live too: the backends take connections from the client only.
	jq -n '{apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy",
		metadata: {namespace: "default", name: "web-from-client"},
		spec: {podSelector: {matchExpressions: [{key: "app", operator: "DoesNotExist"}]},
			ingress: [{from: [{ipBlock: {cidr: "'"$(pod_ip client)"'/32"}}]}]}}' \
		>"$dir/np.json.tmp"
	mv "$dir/np.json.tmp" "$dir/np.json"
	sleep 0.5
	[[ $(sluice_cli n1 -j policy get default/b1 | jq .ingress.isolated) == true ]] ||
		fail "b1 is not isolated: $(sluice_cli n1 policy get default/b1)"
	drops_before=$(drops_total n1)
	in_pod client "${NETPOL_PY[@]}" churn --seconds "$CHURN_S" --timeout 1 --interval 0.01 \
		10.96.0.10:80 "$(pod_ip b1):8080" "$(pod_ip b2):8080" \
		>"$E2E_DIR/churn.out" 2>"$E2E_DIR/churn.err" &
	local churn=$!
	sleep "$KILL_AFTER_S"
	agent_stop n1 KILL
	echo "killed at $(cut -d' ' -f1 /proc/uptime)" >>"$E2E_DIR/times"
	sleep "$DOWN_S"
	echo "starting at $(cut -d' ' -f1 /proc/uptime)" >>"$E2E_DIR/times"
	agent_start n1
	echo "ready at $(cut -d' ' -f1 /proc/uptime)" >>"$E2E_DIR/times"
	wait "$churn"
	out=$(cat "$E2E_DIR/churn.out")
	read -r _ ok _ failed <<<"$out"
	echo "connections: $ok ok, $failed failed, the agent killed and restarted meanwhile"
	((failed == 0)) || fail "$failed connections failed: $(head "$E2E_DIR/churn.err")
$(cat "$E2E_DIR/times")
$(sluice_cli n1 stats show)
$(for p in b1 b2 client; do echo "$p:"; in_pod "$p" nstat -az | awk '$2 != 0' |
	grep -E 'Listen|Retrans|Reset|Drop|Abort|Timeout'; done)"
	# Enough connections that the kill and the restart fell among them.
	((ok >= 50 * CHURN_S)) || fail "only $ok connections in ${CHURN_S}s"
	[[ $(drops_total n1) == "$drops_before" ]] ||
		fail "drops while restarting: $drops_before -> $(drops_total n1)"
	grep -q "first sync done" "$E2E_DIR/agent-n1.log" || fail "the agent did not come back"
}
