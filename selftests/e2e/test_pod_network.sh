# SPDX-License-Identifier: Apache-2.0
# Same-node pod networking: the agent, sluice-cni and the TC datapath together.

# Three pods reach each other by ping and TCP in both directions, through BPF
# alone: the node forwards nothing itself (ip_forward stays 0).
test_three_pods_all_pairs() {
	local a b before after pairs=0
	node_create n1
	[[ $(on_node n1 sysctl -n net.ipv4.ip_forward) == 0 ]] || fail "node forwards by itself"
	agent_start n1
	for p in pa pb pc; do
		pod_add n1 $p
		tcp_serve $p
	done
	for p in pa pb pc; do tcp_wait_listen $p; done
	before=$(verdict_packets n1 redirect-local)
	for a in pa pb pc; do
		for b in pa pb pc; do
			[[ $a == "$b" ]] && continue
			in_pod $a ping -c 2 -i 0.2 -W 2 "$(pod_ip $b)" >/dev/null ||
				fail "ping $a -> $b ($(pod_ip $b))"
			[[ $(tcp_ask $a "$(pod_ip $b)") == "$b" ]] || fail "TCP $a -> $b"
			pairs=$((pairs + 1))
		done
	done
	after=$(verdict_packets n1 redirect-local)
	# Each pair: 2 echo requests and 2 replies, and a TCP exchange of several segments.
	((after - before >= pairs * 8)) ||
		fail "redirect-local counted $((after - before)) packets for $pairs pairs"
	sluice_cli n1 endpoint list | grep -q "default/pa" || fail "endpoint list lacks pod pa"
	[[ $(sluice_cli n1 -j endpoint list | jq length) == 3 ]] || fail "endpoint list length"
}

# The pod's wiring is what ADD's result says it is.
test_pod_wiring_matches_result() {
	local r host mtu
	node_create n1
	agent_start n1
	pod_add n1 pa "$(cni_conf n1 | jq '.mtu = 1400')"
	r=$E2E_DIR/result-pa.json
	host=$(jq -r '.interfaces[0].name' "$r")
	[[ ${#host} -le 15 && $host == slc* ]] || fail "host veth name '$host'"
	[[ $(jq -r '.interfaces[1].sandbox' "$r") == "/var/run/netns/$E2E_PREFIX-pa" ]] ||
		fail "sandbox"
	[[ $(jq -r '.ips[0].interface' "$r") == 1 ]] || fail "ips[0].interface"
	[[ $(jq -r '.ips[0].gateway' "$r") == 169.254.1.1 ]] || fail "gateway"
	in_pod pa ip -4 -o addr show dev eth0 | grep -q "$(pod_ip pa)/32" || fail "pod address /32"
	in_pod pa ip route show default | grep -q "via 169.254.1.1 dev eth0" || fail "default route"
	in_pod pa ip neigh show 169.254.1.1 | grep -q PERMANENT || fail "static gateway neighbour"
	[[ $(in_pod pa cat /sys/class/net/eth0/address) == $(jq -r '.interfaces[1].mac' "$r") ]] ||
		fail "pod MAC"
	mtu=$(in_pod pa cat /sys/class/net/eth0/mtu)
	[[ $mtu == 1400 ]] || fail "pod MTU $mtu, want 1400"
	on_node n1 ip route show "$(pod_ip pa)" | grep -q "dev $host" || fail "host route to pod"
	on_node n1 tc filter show dev "$host" ingress | grep -q tc_from_pod || fail "ingress program"
	on_node n1 tc filter show dev "$host" egress | grep -q tc_to_pod || fail "egress program"
}

# DEL twice succeeds; afterwards no veth, IPAM lease or map entry remains.
test_del_is_idempotent_and_complete() {
	local ip host conf
	node_create n1
	agent_start n1
	pod_add n1 pa
	pod_add n1 pb
	ip=$(pod_ip pa)
	host=$(jq -r '.interfaces[0].name' "$E2E_DIR/result-pa.json")
	[[ -e $E2E_DIR/ipam-n1/podnet/$ip ]] || fail "no IPAM lease for $ip after ADD"
	pod_del n1 pa || fail "first DEL"
	pod_del n1 pa || fail "second DEL"
	! on_node n1 ip link show "$host" >/dev/null 2>&1 || fail "veth $host left behind"
	[[ ! -e $E2E_DIR/ipam-n1/podnet/$ip ]] || fail "IPAM lease $ip left behind"
	! sluice_cli n1 -j endpoint list | jq -e --arg ip "$ip" '.[] | select(.address == $ip)' \
		>/dev/null || fail "endpoint $ip left in the map"
	# DEL without prevResult and with the pod namespace gone is still a success.
	conf=$(cni_conf n1)
	ip netns del "$E2E_PREFIX-pb"
	cni_exec n1 DEL ctr-pb "/var/run/netns/$E2E_PREFIX-pb" eth0 "$conf" || fail "DEL, netns gone"
	[[ $(sluice_cli n1 -j endpoint list | jq length) == 0 ]] || fail "endpoints left"
	[[ -z $(ls "$E2E_DIR/ipam-n1/podnet" | grep -v -e lock -e last_reserved) ]] ||
		fail "leases left: $(ls "$E2E_DIR/ipam-n1/podnet")"
}

# GC removes attachments missing from cni.dev/valid-attachments, and orphaned veths.
test_gc_removes_stale_attachments() {
	local conf out
	node_create n1
	agent_start n1
	for p in pa pb pc; do pod_add n1 $p; done
	on_node n1 ip link add slc0000deadbeef type veth peer name orphan-peer
	conf=$(cni_conf n1 10.244.1.0/24 1.1.0 |
		jq '. + {"cni.dev/valid-attachments": [{containerID: "ctr-pb", ifname: "eth0"}]}')
	out=$(printf '%s' "$conf" | on_node n1 env -i PATH="$PATH" CNI_COMMAND=GC \
		CNI_PATH="$CNI_PATH_DIRS" "$SLUICE_BIN/sluice-cni") || fail "GC: $out"
	[[ $(sluice_cli n1 -j endpoint list | jq -r '.[].container_id') == ctr-pb ]] ||
		fail "endpoints after GC: $(sluice_cli n1 -j endpoint list)"
	[[ ! -e $E2E_DIR/ipam-n1/podnet/$(pod_ip pa) ]] || fail "lease of pa kept"
	[[ -e $E2E_DIR/ipam-n1/podnet/$(pod_ip pb) ]] || fail "lease of pb released"
	! on_node n1 ip link show slc0000deadbeef >/dev/null 2>&1 || fail "orphaned veth kept"
	in_pod pb ip link show eth0 >/dev/null || fail "valid pod pb lost its interface"
}

# Tenths of a second the agent gets to notice a vanished veth: its endpoint sync runs every 5 s.
EP_GONE_TENTHS=80

# A pod whose veth vanished without a CNI DEL (its netns torn down under the
# runtime) loses its endpoint at the agent's next endpoint sync; the others keep theirs.
test_agent_removes_endpoint_whose_veth_is_gone() {
	local host_if i
	node_create n1
	agent_start n1
	pod_add n1 pa
	pod_add n1 pb
	host_if=$(sluice_cli n1 -j endpoint list | jq -r '.[] | select(.pod_name == "pb") | .host_ifname')
	[[ -n $host_if ]] || fail "pb has no endpoint: $(sluice_cli n1 -j endpoint list)"
	on_node n1 ip link del "$host_if"
	for ((i = 0; i < EP_GONE_TENTHS; i++)); do
		[[ $(sluice_cli n1 -j endpoint list | jq -r '[.[].pod_name] | join(",")') == pa ]] &&
			break
		sleep 0.1
	done
	[[ $(sluice_cli n1 -j endpoint list | jq -r '[.[].pod_name] | join(",")') == pa ]] ||
		fail "endpoints after pb's veth went: $(sluice_cli n1 -j endpoint list)"
	grep -q "pod default/pb): host veth $host_if is gone, entry removed" \
		"$E2E_DIR/agent-n1.log" || fail "the agent did not log the removal"
}

# The kernel ids of the maps pinned under a node's root: a map made anew gets a new id.
pinned_map_ids() {
	local pin
	for pin in "$(pin_root "$1")"/maps/*; do
		bpftool -j map show pinned "$pin" | jq -r .id
	done | sort -n | tr '\n' ' '
}

# An open TCP connection between pods survives the agent being killed and restarted.
test_agent_restart_keeps_tcp_connection() {
	local fifo=$E2E_DIR/send.fifo recv=$E2E_DIR/recv.txt ids_before ids_after
	node_create n1
	agent_start n1
	pod_add n1 pa
	pod_add n1 pb
	bg_in_pod pb socat -u TCP-LISTEN:9000,reuseaddr "OPEN:$recv,creat,append"
	tcp_wait_listen pb 9000
	mkfifo "$fifo"
	bg_in_pod pa socat -u "PIPE:$fifo" "TCP:$(pod_ip pb):9000"
	exec 7>"$fifo"
	echo "before" >&7
	ids_before=$(pinned_map_ids n1)
	agent_stop n1 KILL
	echo "agent-down" >&7
	sleep 0.5
	agent_start n1
	echo "after-restart" >&7
	agent_stop n1 TERM
	echo "after-term" >&7
	agent_start n1
	echo "end" >&7
	exec 7>&-
	for _ in $(seq 50); do grep -q end "$recv" 2>/dev/null && break; sleep 0.1; done
	[[ $(tr '\n' ' ' <"$recv") == "before agent-down after-restart after-term end " ]] ||
		fail "received: $(cat "$recv")"
	ids_after=$(pinned_map_ids n1)
	[[ $ids_before == "$ids_after" ]] || fail "maps were recreated: $ids_before -> $ids_after"
}

# status, pins and uninstall: the agent's lifecycle as an operator sees it.
test_agent_lifecycle_and_uninstall() {
	local root out
	node_create n1
	root=$(pin_root n1)
	! sluice_cli n1 status >/dev/null 2>&1 || fail "status ready before any agent"
	agent_start n1
	out=$(sluice_cli n1 -j status)
	[[ $(jq -r .ready <<<"$out") == true ]] || fail "status: $out"
	for pin in maps/sluice_endpoint maps/sluice_ep_meta maps/sluice_verdicts maps/sluice_agent \
		progs/tc_from_pod progs/tc_to_pod; do
		[[ -e $root/$pin ]] || fail "pin $pin missing"
	done
	bpftool map dump pinned "$root/maps/sluice_agent" | grep -q '"node_name": "n1"' ||
		fail "agent map not readable by bpftool with BTF field names"
	pod_add n1 pa
	out=$(sluice_cli n1 uninstall 2>&1) && fail "uninstall ran with the agent up: $out"
	agent_stop n1
	out=$(sluice_cli n1 -j status) && fail "status ready with the agent stopped"
	[[ $(jq -r .reason <<<"$out") == *"no agent is running"* ]] || fail "reason: $out"
	[[ -e $root/progs/tc_from_pod ]] || fail "SIGTERM removed pins"
	on_node n1 ip link show sluice_vxlan >/dev/null || fail "SIGTERM removed the VXLAN device"
	out=$(sluice_cli n1 -j uninstall) || fail "uninstall: $out"
	[[ $(jq .tunnel_deleted <<<"$out") == true ]] || fail "uninstall kept the VXLAN device: $out"
	! on_node n1 ip link show sluice_vxlan >/dev/null 2>&1 || fail "sluice_vxlan left after uninstall"
	[[ ! -e $root ]] || fail "pin root left after uninstall"
	host=$(jq -r '.interfaces[0].name' "$E2E_DIR/result-pa.json")
	! on_node n1 tc filter show dev "$host" ingress | grep -q tc_from_pod ||
		fail "program still attached after uninstall"
}
