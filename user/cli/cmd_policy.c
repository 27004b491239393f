// SPDX-License-Identifier: Apache-2.0
/* `sluice policy get NAMESPACE/POD`: what a pod's NetworkPolicy tables allow, and its drops. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli/cli.h"
#include "cli/policy_names.h"
#include "lib/verdict_names.h"

static const char usage[] =
	"Usage: sluice policy { get NAMESPACE/POD } [--bpffs DIR] [-j]\n"
	"  get   a local pod's rules per direction as the datapath holds them (peer\n"
	"        identity, protocol, ports, the policy that allows it) and its drops\n";

/* Bits of a port, and of the key before it (identity, protocol, pad). */
#define PORT_BITS 16
#define KEY_BITS_BEFORE_PORT (SLUICE_POLICY_KEY_BITS - PORT_BITS)
/* Bits of identity and protocol: an entry for every port of one protocol. */
#define KEY_BITS_PROTO (SLUICE_POLICY_IDENTITY_BITS + 8)
#define PORT_LAST 65535

/* One allow entry, as a port range. */
struct rule {
	__u32 identity;
	__u8 proto;		/* 0: every protocol */
	__u32 lo, hi;
	__u32 policy_id;
};

static int rule_cmp(const void *a, const void *b)
{
	const struct rule *x = a, *y = b;

	if (x->identity != y->identity)
		return x->identity < y->identity ? -1 : 1;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static struct rule rule_of(const struct sluice_policy_key *k, const struct sluice_policy_value *v)
{
	struct rule r = { .identity = k->identity, .lo = 0, .hi = PORT_LAST,
			  .policy_id = v->policy_id };

	if (k->prefixlen >= KEY_BITS_PROTO)
		r.proto = k->proto;
	if (k->prefixlen >= KEY_BITS_BEFORE_PORT) {
		__u32 bits = k->prefixlen - KEY_BITS_BEFORE_PORT;

		r.lo = ntohs(k->port);
		r.hi = r.lo + (1u << (PORT_BITS - bits)) - 1;
	}
	return r;
}

/*
 * The rules of one endpoint direction, sorted, with the prefixes a range
 * was cut into joined again. -ENOENT: not isolated (no table, or only the
 * open catch-all).
 */
static int table_read(int outer_fd, const struct sluice_endpoint_key *ep, struct rule **out,
		      size_t *n)
{
	struct sluice_policy_key k, next;
	struct sluice_policy_value v;
	struct rule *rules = NULL, *more;
	size_t cap = 0, i, j;
	__u32 inner_id;
	void *prev = NULL;
	int fd;

	*n = 0;
	if (bpf_map_lookup_elem(outer_fd, ep, &inner_id))
		return -ENOENT;
	fd = bpf_map_get_fd_by_id(inner_id);
	if (fd < 0)
		return -errno;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(fd, &k, &v))
			continue;
		if (*n == cap) {
			more = realloc(rules, (cap = cap ? cap * 2 : 32) * sizeof(*rules));
			if (!more)
				break;
			rules = more;
		}
		rules[(*n)++] = rule_of(&k, &v);
	}
	close(fd);
	if (*n == 1 && rules[0].policy_id == SLUICE_POLICY_ID_OPEN) {
		free(rules);
		*n = 0;
		return -ENOENT;
	}
	if (*n)
		qsort(rules, *n, sizeof(*rules), rule_cmp);
	for (i = 0, j = 0; i < *n; i++) {
		struct rule *last = j ? &rules[j - 1] : NULL;

		if (last && last->identity == rules[i].identity && last->proto == rules[i].proto &&
		    last->policy_id == rules[i].policy_id && last->hi + 1 == rules[i].lo)
			last->hi = rules[i].hi;
		else
			rules[j++] = rules[i];
	}
	*n = j;
	*out = rules;
	return 0;
}

static void ports_text(const struct rule *r, char *buf, size_t len)
{
	if (!r->proto || (r->lo == 0 && r->hi == PORT_LAST))
		snprintf(buf, len, "any");
	else if (r->lo == r->hi)
		snprintf(buf, len, "%u", r->lo);
	else
		snprintf(buf, len, "%u-%u", r->lo, r->hi);
}

static cJSON *direction_out(struct cli *cli, const struct policy_names *pn, const char *name,
			    int outer_fd, const struct sluice_endpoint_key *ep)
{
	char peer[SLUICE_IDENTITY_DESC_LEN], proto[16], ports[16], pol[SLUICE_K8S_NAMESPACE_LEN +
									SLUICE_K8S_NAME_LEN];
	cJSON *o = NULL, *arr = NULL;
	struct rule *rules = NULL;
	size_t n, i;
	int err = table_read(outer_fd, ep, &rules, &n);

	if (cli->json) {
		o = cJSON_CreateObject();
		cJSON_AddBoolToObject(o, "isolated", !err);
		arr = cJSON_AddArrayToObject(o, "allow");
	} else if (err == -ENOENT) {
		printf("%s: open (no NetworkPolicy selects the pod for %s)\n", name, name);
	} else if (err) {
		printf("%s: cannot read its table: %s\n", name, strerror(-err));
	} else {
		printf("%s: isolated; allowed:%s\n", name, n ? "" : " nothing");
		if (n)
			printf("  %-8s %-40s %-6s %-12s %s\n", "ID", "PEER", "PROTO", "PORTS",
			       "POLICY");
	}
	for (i = 0; i < n; i++) {
		const struct rule *r = &rules[i];

		identity_name(pn, r->identity, peer, sizeof(peer));
		if (r->proto)
			proto_name(r->proto, proto, sizeof(proto));
		else
			snprintf(proto, sizeof(proto), "any");
		ports_text(r, ports, sizeof(ports));
		policy_name(pn, r->policy_id, pol, sizeof(pol));
		if (arr) {
			cJSON *e = cJSON_CreateObject();

			cJSON_AddNumberToObject(e, "identity", r->identity);
			cJSON_AddStringToObject(e, "peer", peer);
			cJSON_AddStringToObject(e, "protocol", proto);
			cJSON_AddNumberToObject(e, "port_from", r->lo);
			cJSON_AddNumberToObject(e, "port_to", r->hi);
			cJSON_AddStringToObject(e, "policy", pol);
			cJSON_AddItemToArray(arr, e);
		} else {
			printf("  %-8u %-40s %-6s %-12s %s\n", r->identity, peer, proto, ports, pol);
		}
	}
	free(rules);
	return o;
}

/* The drops counted against a pod, per reason, summed over CPUs. */
static cJSON *drops_out(struct cli *cli, __be32 addr)
{
	int fd = pins_open_map(&cli->pins, SLUICE_STR(SLUICE_MAP_DROPS));
	int ncpu = libbpf_num_possible_cpus();
	struct sluice_counter *vals;
	cJSON *arr = cli->json ? cJSON_CreateArray() : NULL;
	bool any = false;
	__u32 reason;
	int i;

	vals = ncpu > 0 ? calloc((size_t)ncpu, sizeof(*vals)) : NULL;
	for (reason = 0; fd >= 0 && vals && reason < SLUICE_VERDICT_MAX; reason++) {
		struct sluice_drop_key k = { .endpoint = addr, .reason = reason };
		struct sluice_counter sum = { 0 };

		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (i = 0; i < ncpu; i++) {
			sum.packets += vals[i].packets;
			sum.bytes += vals[i].bytes;
		}
		if (arr) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "reason", verdict_name(reason));
			cJSON_AddNumberToObject(o, "packets", (double)sum.packets);
			cJSON_AddNumberToObject(o, "bytes", (double)sum.bytes);
			cJSON_AddItemToArray(arr, o);
		} else {
			printf("%s%s %llu packets, %llu bytes", any ? "; " : "Drops: ",
			       verdict_name(reason), (unsigned long long)sum.packets,
			       (unsigned long long)sum.bytes);
		}
		any = true;
	}
	if (!arr)
		printf("%s\n", any ? "" : "Drops: none");
	free(vals);
	if (fd >= 0)
		close(fd);
	return arr;
}

static int policy_get(struct cli *cli, int argc, char **argv)
{
	const struct endpoint *ep = NULL;
	struct policy_names pn;
	const char *slash;
	char addr[INET6_ADDRSTRLEN];
	int in_fd, out_fd, ret;
	size_t i;

	if (argc != 1 || !(slash = strchr(argv[0], '/')) || slash == argv[0] || !slash[1]) {
		p_err(cli, "policy get takes one NAMESPACE/POD");
		return EXIT_USAGE;
	}
	ret = policy_names_open(cli, &pn);
	if (ret)
		return ret;
	for (i = 0; i < pn.n_eps && !ep; i++)
		if (!strncmp(pn.eps[i].meta.pod_namespace, argv[0], (size_t)(slash - argv[0])) &&
		    !pn.eps[i].meta.pod_namespace[slash - argv[0]] &&
		    !strcmp(pn.eps[i].meta.pod_name, slash + 1))
			ep = &pn.eps[i];
	if (!ep) {
		p_err(cli, "pod %s has no endpoint on this node", argv[0]);
		policy_names_close(&pn);
		return EXIT_FAIL;
	}
	in_fd = pins_open_map(&cli->pins, SLUICE_STR(SLUICE_MAP_POLICY_IN));
	out_fd = pins_open_map(&cli->pins, SLUICE_STR(SLUICE_MAP_POLICY_OUT));
	if (in_fd < 0 || out_fd < 0) {
		p_err(cli, "cannot open the policy tables under %s: %s", cli->pins.root,
		      strerror(-(in_fd < 0 ? in_fd : out_fd)));
		ret = EXIT_FAIL;
		goto out;
	}
	endpoint_key_str(&ep->key, addr, sizeof(addr));
	if (cli->json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "pod", argv[0]);
		cJSON_AddStringToObject(o, "address", addr);
		cJSON_AddItemToObject(o, "ingress", direction_out(cli, &pn, "ingress", in_fd,
								   &ep->key));
		cJSON_AddItemToObject(o, "egress", direction_out(cli, &pn, "egress", out_fd,
								  &ep->key));
		cJSON_AddItemToObject(o, "drops", drops_out(cli, ep->key.addr[0]));
		p_json(cli, o);
	} else {
		printf("Pod %s (%s, host veth %s)\n", argv[0], addr, ep->meta.host_ifname);
		direction_out(cli, &pn, "Ingress", in_fd, &ep->key);
		direction_out(cli, &pn, "Egress", out_fd, &ep->key);
		drops_out(cli, ep->key.addr[0]);
	}
	ret = EXIT_OK;
out:
	if (in_fd >= 0)
		close(in_fd);
	if (out_fd >= 0)
		close(out_fd);
	policy_names_close(&pn);
	return ret;
}

static const struct cli_cmd verbs[] = {
	{ "get", policy_get, "a pod's rules and drops" },
};

int cmd_policy(struct cli *cli, int argc, char **argv)
{
	return cli_run_verb(cli, argc, argv, verbs, sizeof(verbs) / sizeof(verbs[0]), usage);
}
