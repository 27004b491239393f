# SPDX-License-Identifier: Apache-2.0
# The socket-level load balancer: host-network processes reach ClusterIPs,
# translated once at connect() time, and see the service address.

SOCK_CLIENT=$SLUICE_ROOT/build/selftests/sock_client

test_socket_lb_host_network_clients() {
	local out
	test_cgroup
	outside_node --socket-lb on --cgroup-root "$TEST_CGROUP"
	bg_in_pod b1 socat UDP-RECVFROM:5353,fork "SYSTEM:echo udp-b1"
	svc_write n1 web 10.96.2.10 80 8080 TCP b1 b2
	svc_write n1 dns 10.96.2.53 53 5353 UDP b1
	svc_write n1 empty 10.96.2.20 80 8080 TCP
	svc_wait n1 10.96.2.10 2
	svc_wait n1 10.96.2.53 1
	svc_wait n1 10.96.2.20 0
	for link in sock_connect4 sock_sendmsg4 sock_recvmsg4 sock_getpeername4; do
		[[ -e $(pin_root n1)/links/$link ]] || fail "link $link not pinned"
	done
	out=$(in_cgroup_on_node "$SOCK_CLIENT" tcp 10.96.2.10 80) || fail "TCP: $out"
	[[ $out == "peer=10.96.2.10:80 reply=b"[12]* ]] || fail "TCP: getpeername and reply: $out"
	out=$(in_cgroup_on_node "$SOCK_CLIENT" udp 10.96.2.53 53) || fail "UDP: $out"
	[[ $out == "peer=10.96.2.53:53 reply=udp-b1" ]] || fail "UDP: recvfrom source and reply: $out"
	# Translated at connect time: the TC path translated nothing (it tracks
	# the flows to the pods for policy, as plain forwarded flows).
	[[ $(sluice_cli n1 -j ct list | jq '[.[] | select(.direction != "forward" and
		.direction != "reply")] | length') == 0 ]] ||
		fail "flows went through per-packet translation: $(sluice_cli n1 ct list)"
	[[ $(sluice_cli n1 -j ct list | jq '[.[] | select(.direction == "forward")] | length') \
		-ge 2 ]] || fail "the flows to the pods are not tracked: $(sluice_cli n1 ct list)"
	out=$(in_cgroup_on_node "$SOCK_CLIENT" tcp 10.96.2.20 80 2>&1) && fail "empty service: $out"
	[[ $out == *"Operation not permitted"* ]] || fail "empty service: $out"
	# Switched off, the hooks go and the pinned links with them.
	agent_stop n1
	agent_start n1 --devices eth0 --socket-lb off
	[[ -z $(ls "$(pin_root n1)/links" 2>/dev/null) ]] || fail "links left with --socket-lb off"
}
