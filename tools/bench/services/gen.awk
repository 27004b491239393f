# SPDX-License-Identifier: Apache-2.0
# Generates the same N services (ClusterIP, TCP port 80 -> 8080, 3 endpoints
# each) in the three shapes the services benchmark programs:
#   mode=sluice          one Kubernetes List (Service + EndpointSlice) per
#                        service, as dir/svc-NNNNN.json
#   mode=sluice-update   the file of service `upd` with one endpoint replaced, on stdout
#   mode=iptables        kube-proxy iptables mode's nat table, iptables-restore input
#   mode=iptables-update that service's chains, for iptables-restore --noflush
#   mode=nft             kube-proxy nftables mode's table, nft -f input
#   mode=nft-update      that service's chains, for nft -f
#   mode=info            "LAST_VIP UPDATED_NAME OLD_IP NEW_IP": what clients
#                        reach, and what an update changes
# Usage: awk -f gen.awk -v mode=M -v n=N -v real=IP,IP,IP [-v dir=D] [-v rev=1]
# The update modes replace the updated service's last endpoint with a new
# address; rev=1 writes the change back (so updates can be repeated).
# The last service (index n-1) is the one clients reach: its endpoints are
# `real` (the benchmark's backend pods). Every other endpoint is a made-up
# address that is never contacted. The updated service is the middle one.
# Everything is computed from the index, so every mode names the same things.

BEGIN {
	# Sizes and addresses, shared with services.sh through its arguments only.
	PORT = 80
	TARGET_PORT = 8080
	ENDPOINTS = 3
	CLUSTER_CIDR = "10.244.0.0/16"	# pods: traffic from outside it is masqueraded
	VIP_BASE = ip2int("10.96.0.10")	# service i's ClusterIP is VIP_BASE + i
	EP_BASE = ip2int("10.128.0.1")	# made-up endpoint j of service i: EP_BASE + 3i + j
	NEW_EP_BASE = ip2int("10.160.0.1")	# the endpoint an update brings in
	MASQ_MARK = "0x4000"
	B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

	if (n < 2 || n > 50000) fail("n must be 2..50000 (ClusterIPs are 10.96.0.0/16)")
	if (split(real, REAL, ",") != ENDPOINTS) fail("real must list " ENDPOINTS " addresses")
	upd = int(n / 2)
	# An update goes from endpoint set `from` to set `to` (0: original, 1: updated).
	from = rev ? 1 : 0
	to = 1 - from

	if (mode == "sluice") {
		if (dir == "") fail("mode=sluice needs dir")
		for (i = 0; i < n; i++) {
			f = dir "/" svc_name(i) ".json"
			printf "%s", sluice_file(i, 0) > f
			close(f)
		}
	} else if (mode == "sluice-update") {
		printf "%s", sluice_file(upd, to)
	} else if (mode == "iptables") {
		iptables_full()
	} else if (mode == "iptables-update") {
		iptables_update()
	} else if (mode == "nft") {
		nft_full()
	} else if (mode == "nft-update") {
		nft_update()
	} else if (mode == "info") {
		print vip(n - 1), svc_name(upd), ep(upd, ENDPOINTS - 1, 0), ep(upd, ENDPOINTS - 1, 1)
	} else {
		fail("unknown mode '" mode "'")
	}
	exit 0
}

function fail(msg) {
	print "gen.awk: " msg > "/dev/stderr"
	exit 1
}

function ip2int(s,    p) {
	split(s, p, ".")
	return ((p[1] * 256 + p[2]) * 256 + p[3]) * 256 + p[4]
}

function int2ip(v) {
	return sprintf("%d.%d.%d.%d", int(v / 16777216) % 256, int(v / 65536) % 256,
		       int(v / 256) % 256, v % 256)
}

function svc_name(i) { return sprintf("svc-%05d", i) }
function vip(i) { return int2ip(VIP_BASE + i) }

# Endpoint j of service i; an updated service has its last endpoint replaced.
function ep(i, j, updated) {
	if (updated && j == ENDPOINTS - 1) return int2ip(NEW_EP_BASE + i)
	if (i == n - 1) return REAL[j + 1]
	return int2ip(EP_BASE + ENDPOINTS * i + j)
}

# kube-proxy names chains by a hash of what they serve: `len` base32 digits
# of two independent 31-bit mixes of the string's characters (stable, spread,
# fixed length; 62 bits so that 40,000 names do not collide).
function hash(s, len,    h1, h2, out, k, c) {
	if ((s, len) in HASHED) return HASHED[s, len]
	h1 = 5381
	h2 = 52711
	for (k = 1; k <= length(s); k++) {
		c = index(" ./-:0123456789_abcdefghijklmnopqrstuvwxyz", substr(s, k, 1))
		h1 = (h1 * 33 + c) % 2147483647
		h2 = (h2 * 37 + c) % 2147483629
	}
	out = ""
	for (k = 0; k < len; k++) {
		if (k % 2) {
			h1 = (h1 * 48271) % 2147483647
			out = out substr(B32, h1 % 32 + 1, 1)
		} else {
			h2 = (h2 * 40692) % 2147483399
			out = out substr(B32, h2 % 32 + 1, 1)
		}
	}
	return HASHED[s, len] = out
}

# ---- sluice: the objects kube-apiserver would hand out ----

function sluice_file(i, updated,    eps, j) {
	eps = ""
	for (j = 0; j < ENDPOINTS; j++)
		eps = eps (j ? "," : "") sprintf("{\"addresses\":[\"%s\"],\"conditions\":{\"ready\":true}}",
						 ep(i, j, updated))
	return sprintf("{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[" \
		"{\"apiVersion\":\"v1\",\"kind\":\"Service\"," \
		"\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\"}," \
		"\"spec\":{\"clusterIP\":\"%s\",\"ports\":[{\"name\":\"p\",\"port\":%d," \
		"\"targetPort\":%d,\"protocol\":\"TCP\"}]}}," \
		"{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\"," \
		"\"metadata\":{\"name\":\"%s-1\",\"namespace\":\"default\"," \
		"\"labels\":{\"kubernetes.io/service-name\":\"%s\"}}," \
		"\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"p\",\"port\":%d,\"protocol\":\"TCP\"}]," \
		"\"endpoints\":[%s]}]}\n",
		svc_name(i), vip(i), PORT, TARGET_PORT, svc_name(i), svc_name(i), TARGET_PORT, eps)
}

# ---- kube-proxy iptables mode (nat table, as its full sync writes it) ----

function ipt_svc_chain(i) { return "KUBE-SVC-" hash("default/" svc_name(i) ":p", 16) }
function ipt_sep_chain(i, e) { return "KUBE-SEP-" hash("default/" svc_name(i) ":p" e, 16) }
function comment(i) { return "\"default/" svc_name(i) ":p\"" }

function iptables_full(    i, j) {
	print "*nat"
	print ":PREROUTING ACCEPT [0:0]"
	print ":INPUT ACCEPT [0:0]"
	print ":OUTPUT ACCEPT [0:0]"
	print ":POSTROUTING ACCEPT [0:0]"
	print ":KUBE-SERVICES - [0:0]"
	print ":KUBE-NODEPORTS - [0:0]"
	print ":KUBE-POSTROUTING - [0:0]"
	print ":KUBE-MARK-MASQ - [0:0]"
	for (i = 0; i < n; i++) {
		print ":" ipt_svc_chain(i) " - [0:0]"
		for (j = 0; j < ENDPOINTS; j++)
			print ":" ipt_sep_chain(i, ep(i, j, 0)) " - [0:0]"
	}
	print "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES"
	print "-A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES"
	print "-A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING"
	print "-A KUBE-MARK-MASQ -j MARK --or-mark " MASQ_MARK
	print "-A KUBE-POSTROUTING -m mark ! --mark " MASQ_MARK "/" MASQ_MARK " -j RETURN"
	print "-A KUBE-POSTROUTING -j MARK --xor-mark " MASQ_MARK
	print "-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully"
	# In chain order: a new connection walks KUBE-SERVICES rule by rule.
	for (i = 0; i < n; i++)
		printf "-A KUBE-SERVICES -d %s/32 -p tcp -m comment --comment \"default/%s:p cluster IP\" -m tcp --dport %d -j %s\n",
			vip(i), svc_name(i), PORT, ipt_svc_chain(i)
	print "-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS"
	for (i = 0; i < n; i++) {
		ipt_svc_rules(i, 0)
		for (j = 0; j < ENDPOINTS; j++)
			ipt_sep_rules(i, ep(i, j, 0))
	}
	print "COMMIT"
}

function ipt_svc_rules(i, updated,    j, left) {
	printf "-A %s ! -s %s -d %s/32 -p tcp -m comment --comment \"default/%s:p cluster IP\" -m tcp --dport %d -j KUBE-MARK-MASQ\n",
		ipt_svc_chain(i), CLUSTER_CIDR, vip(i), svc_name(i), PORT
	for (j = 0; j < ENDPOINTS; j++) {
		left = ENDPOINTS - j
		if (left > 1)
			printf "-A %s -m comment --comment \"default/%s:p -> %s:%d\" -m statistic --mode random --probability %.11f -j %s\n",
				ipt_svc_chain(i), svc_name(i), ep(i, j, updated), TARGET_PORT, 1 / left,
				ipt_sep_chain(i, ep(i, j, updated))
		else
			printf "-A %s -m comment --comment \"default/%s:p -> %s:%d\" -j %s\n",
				ipt_svc_chain(i), svc_name(i), ep(i, j, updated), TARGET_PORT,
				ipt_sep_chain(i, ep(i, j, updated))
	}
}

function ipt_sep_rules(i, addr) {
	printf "-A %s -s %s/32 -m comment --comment %s -j KUBE-MARK-MASQ\n",
		ipt_sep_chain(i, addr), addr, comment(i)
	printf "-A %s -p tcp -m comment --comment %s -m tcp -j DNAT --to-destination %s:%d\n",
		ipt_sep_chain(i, addr), comment(i), addr, TARGET_PORT
}

# What kube-proxy's partial sync writes for one service whose last endpoint
# changed: the service chain redeclared (so flushed) and refilled, the new
# endpoint's chain, and the old endpoint's chain flushed, then deleted
# (iptables-nft refuses to delete a chain that still holds rules).
function iptables_update(    old, new) {
	old = ep(upd, ENDPOINTS - 1, from)
	new = ep(upd, ENDPOINTS - 1, to)
	print "*nat"
	print ":" ipt_svc_chain(upd) " - [0:0]"
	print ":" ipt_sep_chain(upd, new) " - [0:0]"
	print ":" ipt_sep_chain(upd, old) " - [0:0]"
	ipt_svc_rules(upd, to)
	ipt_sep_rules(upd, new)
	print "-X " ipt_sep_chain(upd, old)
	print "COMMIT"
}

# ---- kube-proxy nftables mode (table ip kube-proxy, as its full sync writes it) ----

function nft_svc_chain(i) {
	return "service-" hash("default/" svc_name(i) "/tcp/p", 8) "-default/" svc_name(i) "/tcp/p"
}
function nft_ep_chain(i, addr) {
	return "endpoint-" hash("default/" svc_name(i) "/tcp/p" addr, 8) "-default/" svc_name(i) \
		"/tcp/p__" addr "/" TARGET_PORT
}

function nft_full(    i, j, T) {
	T = "ip kube-proxy"
	print "add table " T " { comment \"rules for kube-proxy\" ; }"
	print "flush table " T
	print "add chain " T " mark-for-masquerade"
	print "add rule " T " mark-for-masquerade mark set mark or " MASQ_MARK
	print "add chain " T " masquerading"
	print "add rule " T " masquerading mark and " MASQ_MARK " == 0 return"
	print "add rule " T " masquerading mark set mark xor " MASQ_MARK
	print "add rule " T " masquerading masquerade fully-random"
	print "add map " T " service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment \"ClusterIP, ExternalIP and LoadBalancer IP traffic\" ; }"
	print "add chain " T " services"
	print "add rule " T " services ip daddr . meta l4proto . th dport vmap @service-ips"
	print "add chain " T " nat-prerouting { type nat hook prerouting priority -100 ; }"
	print "add rule " T " nat-prerouting jump services"
	print "add chain " T " nat-output { type nat hook output priority -100 ; }"
	print "add rule " T " nat-output jump services"
	print "add chain " T " nat-postrouting { type nat hook postrouting priority 100 ; }"
	print "add rule " T " nat-postrouting jump masquerading"
	for (i = 0; i < n; i++) {
		print "add chain " T " " nft_svc_chain(i)
		for (j = 0; j < ENDPOINTS; j++)
			print "add chain " T " " nft_ep_chain(i, ep(i, j, 0))
	}
	for (i = 0; i < n; i++) {
		nft_svc_rules(T, i, 0)
		for (j = 0; j < ENDPOINTS; j++)
			nft_ep_rules(T, i, ep(i, j, 0))
	}
	for (i = 0; i < n; i++)
		printf "add element %s service-ips { %s . tcp . %d : goto %s }\n", T, vip(i), PORT,
			nft_svc_chain(i)
}

function nft_svc_rules(T, i, updated,    j, vm) {
	printf "add rule %s %s ip daddr %s tcp dport %d ip saddr != %s jump mark-for-masquerade\n",
		T, nft_svc_chain(i), vip(i), PORT, CLUSTER_CIDR
	vm = ""
	for (j = 0; j < ENDPOINTS; j++)
		vm = vm (j ? " , " : "") j " : goto " nft_ep_chain(i, ep(i, j, updated))
	printf "add rule %s %s numgen random mod %d vmap { %s }\n", T, nft_svc_chain(i), ENDPOINTS, vm
}

function nft_ep_rules(T, i, addr) {
	printf "add rule %s %s ip saddr %s jump mark-for-masquerade\n", T, nft_ep_chain(i, addr), addr
	printf "add rule %s %s meta l4proto tcp dnat to %s:%d\n", T, nft_ep_chain(i, addr), addr,
		TARGET_PORT
}

# kube-proxy's partial sync for the same change: the new endpoint chain, the
# service chain flushed and refilled, the old endpoint chain deleted.
function nft_update(    T, old, new) {
	T = "ip kube-proxy"
	old = ep(upd, ENDPOINTS - 1, from)
	new = ep(upd, ENDPOINTS - 1, to)
	print "add chain " T " " nft_ep_chain(upd, new)
	nft_ep_rules(T, upd, new)
	print "flush chain " T " " nft_svc_chain(upd)
	nft_svc_rules(T, upd, to)
	print "delete chain " T " " nft_ep_chain(upd, old)
}
