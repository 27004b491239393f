// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The socket-level load balancer: cgroup hooks that translate a service
 * address to a backend when a socket connects (or sends an unconnected UDP
 * datagram), so no packet of the flow ever needs translating, and that show
 * the socket the service address again in getpeername() and recvmsg().
 * Attached to the --cgroup-root cgroup when --socket-lb is on.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "lib/config.h"
#include "lib/lb4.h"

/* cgroup sock_addr verdicts. */
#define SOCK_ALLOW 1
#define SOCK_REJECT 0

/*
 * Translates ctx's destination if it is a frontend. A frontend without
 * backends rejects the call (EPERM): there is nothing to connect to.
 */
static __always_inline int sock4_xlate(struct bpf_sock_addr *ctx)
{
	struct sluice_svc4_key sk = {};
	struct sluice_sock_rev4_key rk = {};
	struct sluice_sock_rev4_value rv = {};
	struct sluice_svc_value *svc;
	struct sluice_backend4 *be;
	__u64 cookie;
	__u32 backend_id;

	if (ctx->protocol != IPPROTO_TCP && ctx->protocol != IPPROTO_UDP)
		return SOCK_ALLOW;
	sk.addr = ctx->user_ip4;
	sk.port = (__be16)ctx->user_port;
	sk.proto = ctx->protocol;
	sk.scope = SLUICE_SCOPE_INTERNAL;
	svc = bpf_map_lookup_elem(&SLUICE_MAP_SVC4, &sk);
	if (!svc)
		return SOCK_ALLOW;
	if (!svc->count)
		return SOCK_REJECT;
	cookie = bpf_get_socket_cookie(ctx);
	/* A client is its network namespace: a pod, or the node's host network. */
	be = lb_pick(svc, (__u32)bpf_get_netns_cookie(ctx), jhash_3words((__u32)cookie,
							      (__u32)(cookie >> 32), 0, 0),
		     &backend_id);
	if (!be)
		return SOCK_REJECT;
	rk.cookie = cookie;
	rk.addr = be->addr;
	rk.port = be->port;
	rv.addr = sk.addr;
	rv.port = sk.port;
	bpf_map_update_elem(&SLUICE_MAP_SOCK_REV4, &rk, &rv, BPF_ANY);
	ctx->user_ip4 = be->addr;
	ctx->user_port = (__u32)be->port;
	return SOCK_ALLOW;
}

/* Shows the socket the service address it asked for instead of the backend's. */
static __always_inline int sock4_untranslate(struct bpf_sock_addr *ctx)
{
	struct sluice_sock_rev4_key rk = {};
	struct sluice_sock_rev4_value *rv;

	rk.cookie = bpf_get_socket_cookie(ctx);
	rk.addr = ctx->user_ip4;
	rk.port = (__be16)ctx->user_port;
	rv = bpf_map_lookup_elem(&SLUICE_MAP_SOCK_REV4, &rk);
	if (rv) {
		ctx->user_ip4 = rv->addr;
		ctx->user_port = (__u32)rv->port;
	}
	return SOCK_ALLOW;
}

SEC("cgroup/connect4")
int SLUICE_PROG_SOCK_CONNECT4(struct bpf_sock_addr *ctx)
{
	return sock4_xlate(ctx);
}

SEC("cgroup/sendmsg4")
int SLUICE_PROG_SOCK_SENDMSG4(struct bpf_sock_addr *ctx)
{
	return sock4_xlate(ctx);
}

SEC("cgroup/recvmsg4")
int SLUICE_PROG_SOCK_RECVMSG4(struct bpf_sock_addr *ctx)
{
	return sock4_untranslate(ctx);
}

SEC("cgroup/getpeername4")
int SLUICE_PROG_SOCK_GETPEERNAME4(struct bpf_sock_addr *ctx)
{
	return sock4_untranslate(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
