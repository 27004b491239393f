# SPDX-License-Identifier: Apache-2.0
# The Kubernetes API as the agent's state source, against a stand-in API
# server (tools/fake_apiserver.py) in the node's namespace: TLS with a CA
# made for the test, a bearer token, paged lists, watch events cut into
# chunks, bookmarks, dropped watches and 410 Gone, as HTTP status and as a
# watch ERROR event.

source "$SLUICE_ROOT/selftests/e2e/lib_api.sh"

# Operations applying a Service and its EndpointSlice, as the API serves them:
# api_svc NAME CLUSTER_IP PORT TARGET_PORT [BACKEND_IP...]
api_svc() {
	local name=$1 ip=$2 port=$3 target=$4
	shift 4
	jq -nc --arg name "$name" --arg ip "$ip" --argjson port "$port" \
		--argjson target "$target" '$ARGS.positional as $backends | [
		{apply: {apiVersion: "v1", kind: "Service",
		 metadata: {name: $name, namespace: "default", labels: {app: $name}},
		 spec: {type: "ClusterIP", clusterIP: $ip, clusterIPs: [$ip],
			ports: [{name: "p", port: $port, targetPort: $target, protocol: "TCP"}],
			selector: {app: $name}, sessionAffinity: "None"}}},
		{apply: {apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice",
		 metadata: {name: ($name + "-abcde"), namespace: "default",
			    labels: {"kubernetes.io/service-name": $name}},
		 addressType: "IPv4",
		 ports: [{name: "p", port: $target, protocol: "TCP"}],
		 endpoints: [$backends[] | {addresses: [.], conditions: {ready: true,
			serving: true, terminating: false}, nodeName: "n1"}]}}]' --args "$@"
}

api_agent_start() {
	agent_start n1 --kubeconfig "$E2E_DIR/kubeconfig" -v
}

# The token went with every request, and the agent never logged it (debug included).
api_check_token() {
	(($(api_requests 'true') > 0)) || fail "no request reached the fake API server"
	[[ $(api_requests '.auth != "ok"') == 0 ]] ||
		fail "requests without the token: $(jq -c 'select(.auth != "ok")' \
			"$E2E_DIR/api-requests.jsonl" | head -n 3)"
	! grep -qF "$API_TOKEN" "$E2E_DIR/agent-n1.log" || fail "the agent logged the token"
}

# Services converge through paged lists and the watch, which survives being
# cut and resumes from the latest bookmark.
test_api_source_lists_and_watches() {
	local rv i
	# One object per page: every list takes several.
	api_node --page-size 1
	api_do "$(api_svc web 10.96.1.10 80 8080 10.244.1.10 10.244.1.11)" >/dev/null
	api_do "$(api_svc db 10.96.1.20 5432 5432 10.244.1.20)" >/dev/null
	api_agent_start
	svc_wait n1 10.96.1.10 2
	svc_wait n1 10.96.1.20 1
	(($(api_requests '.path == "/api/v1/services" and (.query.continue // "") != ""') >= 1)) ||
		fail "the services list was not paged"
	api_do "$(api_svc web 10.96.1.10 80 8080 10.244.1.10 10.244.1.11 10.244.1.12)" >/dev/null
	svc_wait n1 10.96.1.10 3

	# Another kind's change moves the resourceVersion; the services watch hears of it
	# only through a bookmark, and resumes there once it is cut.
	rv=$(api_do '{"apply": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}}}')
	for ((i = 0; i < API_WAIT_TENTHS; i++)); do
		grep -q "Service watch: bookmark at resourceVersion $rv\$" "$E2E_DIR/agent-n1.log" &&
			break
		sleep 0.1
	done
	((i < API_WAIT_TENTHS)) || fail "no bookmark at resourceVersion $rv reached the agent"
	api_do '{"drop_watches": true}' >/dev/null
	api_do "$(api_svc web 10.96.1.10 80 8080 10.244.1.10)" >/dev/null
	svc_wait n1 10.96.1.10 1
	(($(api_requests ".path == \"/api/v1/services\" and .query.watch == \"1\" and
		.query.resourceVersion == \"$rv\"") >= 1)) ||
		fail "the services watch did not resume at the bookmark's resourceVersion $rv"
	[[ $(api_requests '.query.watch == "1" and .query.allowWatchBookmarks != "true"') == 0 ]] ||
		fail "a watch without allowWatchBookmarks"
	grep -q "Service watch: .*retrying in" "$E2E_DIR/agent-n1.log" ||
		fail "the cut watch was not logged"
	api_check_token
}

# 410 Gone, as a watch ERROR event and as an HTTP status, makes the agent
# list again; the new list brings only differences, deletions it never
# heard of included.
test_api_source_relists_after_410() {
	local lists
	api_node
	api_do "$(api_svc keep 10.96.2.10 80 8080 10.244.1.10)" >/dev/null
	api_do "$(api_svc gone 10.96.2.20 80 8080 10.244.1.20)" >/dev/null
	api_agent_start
	svc_wait n1 10.96.2.10 1
	svc_wait n1 10.96.2.20 1
	lists=$(api_requests '.path == "/api/v1/services" and .query.watch == null')

	# A change the open watches never deliver: they get ERROR 410 instead.
	api_do "[$(api_svc keep 10.96.2.10 80 8080 10.244.1.10 10.244.1.11 | jq -c '.[]' |
		paste -sd,), {\"compact\": true}]" >/dev/null
	svc_wait n1 10.96.2.10 2
	(($(api_requests '.path == "/api/v1/services" and .query.watch == null') > lists)) ||
		fail "no relist after the ERROR 410"
	lists=$(api_requests '.path == "/api/v1/services" and .query.watch == null')

	# Cut off, then deleted and compacted away: the watch comes back to an HTTP 410.
	api_do "[{\"drop_watches\": true}, {\"delete\": {\"kind\": \"Service\", \"namespace\": \"default\",
		\"name\": \"gone\"}}, {\"compact\": true}, {\"gone_http\": 6}]" >/dev/null
	svc_wait n1 10.96.2.20 -1
	(($(api_requests '.path == "/api/v1/services" and .query.watch == null') > lists)) ||
		fail "no relist after the HTTP 410"
	svc_wait n1 10.96.2.10 2
	# Only the difference: keep was announced changed once, by the first relist.
	[[ $(grep -c "Service default/keep: MODIFIED" "$E2E_DIR/agent-n1.log") == 1 ]] ||
		fail "keep was re-announced: $(grep "Service default/keep" "$E2E_DIR/agent-n1.log")"
	grep -q "Service default/gone: DELETED" "$E2E_DIR/agent-n1.log" ||
		fail "the deletion was not delivered"
	grep -q "Service watch: .*HTTP 410.*listing again" "$E2E_DIR/agent-n1.log" ||
		fail "the HTTP 410 was not logged"
	grep -q "Service watch: resourceVersion .* expired.*listing again" "$E2E_DIR/agent-n1.log" ||
		fail "the ERROR 410 was not logged"
	api_check_token
}
