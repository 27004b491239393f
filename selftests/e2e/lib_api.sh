# SPDX-License-Identifier: Apache-2.0
# A stand-in Kubernetes API server (tools/fake_apiserver.py) for e2e tests:
# TLS with a CA made for the test, a bearer token, and the operations a test
# hands it. Sourced by the tests that need it, after lib.sh.

API_PORT=6443
# How long to wait for the fake server to start or take an operation (tenths of a second).
API_WAIT_TENTHS=100
# Seconds between the fake server's bookmarks.
API_BOOKMARK_S=1

api_certs() {
	local d=$E2E_DIR/tls
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
		-subj /CN=sluice-e2e-ca -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null ||
		fail "cannot make the test CA"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
		-keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null ||
		fail "cannot make the server key"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
		-CAcreateserial -days 1 -out "$d/server.crt" \
		-extfile <(printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n') \
		2>/dev/null || fail "cannot sign the server certificate"
}

# A kubeconfig naming the CA by its data and the token by a file next to it.
api_kubeconfig() {
	cat >"$E2E_DIR/kubeconfig" <<-EOF
	apiVersion: v1
	kind: Config
	current-context: e2e
	contexts:
	- name: e2e
	  context: {cluster: fake, user: agent}
	clusters:
	- name: fake
	  cluster:
	    server: https://127.0.0.1:$API_PORT
	    certificate-authority-data: $(base64 -w0 "$E2E_DIR/tls/ca.crt")
	users:
	- name: agent
	  user:
	    tokenFile: token
	EOF
}

# The CA, server certificate, token and kubeconfig of a fake API server.
api_files() {
	api_certs
	API_TOKEN="sluice-e2e-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
	printf '%s\n' "$API_TOKEN" >"$E2E_DIR/token"
	api_kubeconfig
	mkdir -p "$E2E_DIR/api-control"
	API_SEQ=0
}

# Starts the fake API server on node n1's 127.0.0.1 (api_files first);
# extra arguments go to the server.
api_server_start() {
	local i
	nsenter --net="/var/run/netns/$E2E_PREFIX-n1" python3 \
		"$SLUICE_ROOT/selftests/e2e/tools/fake_apiserver.py" --port "$API_PORT" \
		--cert "$E2E_DIR/tls/server.crt" --key "$E2E_DIR/tls/server.key" \
		--token "$API_TOKEN" --control "$E2E_DIR/api-control" \
		--requests "$E2E_DIR/api-requests.jsonl" --ready "$E2E_DIR/api-ready" \
		--bookmark-interval "$API_BOOKMARK_S" "$@" >>"$E2E_DIR/apiserver.log" 2>&1 &
	echo $! >>"$E2E_DIR/pids"
	for ((i = 0; i < API_WAIT_TENTHS; i++)); do
		[[ -e $E2E_DIR/api-ready ]] && return 0
		sleep 0.1
	done
	cat "$E2E_DIR/apiserver.log" >&2
	fail "the fake API server did not start"
}

# Node n1 with the fake API server running on it.
api_node() {
	node_create n1
	api_files
	api_server_start "$@"
}

# Hands the fake server operations (a JSON value, see its help) and waits
# until it has applied them; prints the resourceVersion they left.
api_do() {
	local f i
	API_SEQ=$((API_SEQ + 1))
	f=$(printf '%s/api-control/%04d' "$E2E_DIR" "$API_SEQ")
	printf '%s' "$1" >"$f.tmp"
	mv "$f.tmp" "$f.json"
	for ((i = 0; i < API_WAIT_TENTHS; i++)); do
		if [[ -e $f.done ]]; then
			jq -e 'has("resourceVersion")' "$f.done" >/dev/null ||
				fail "the fake API server refused $1: $(cat "$f.done")"
			jq -r .resourceVersion "$f.done"
			return 0
		fi
		sleep 0.1
	done
	fail "the fake API server did not take $1: $(tail -n 5 "$E2E_DIR/apiserver.log")"
}

# How many requests the fake server logged that match a jq condition.
api_requests() {
	jq -s "[.[] | select($1)] | length" "$E2E_DIR/api-requests.jsonl"
}

