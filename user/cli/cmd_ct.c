// SPDX-License-Identifier: Apache-2.0
/* `sluice ct list|flush`: the connection tracking table of translated flows. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "cli/cli.h"
#include "lib/clock.h"

static const char usage[] =
	"Usage: sluice ct { list | flush } [--bpffs DIR] [-j]\n"
	"  list    every tracked flow direction (service: translated; forward: passed\n"
	"          policy untranslated; reply: the way back), frontend, backend, time left\n"
	"  flush   remove every entry (established flows re-pick a backend)\n";

/* Nanoseconds per second: entries expire in CLOCK_MONOTONIC nanoseconds. */
#define NSEC_PER_SEC 1000000000ULL

static int open_ct(struct cli *cli)
{
	int fd = pins_open_map(&cli->pins, SLUICE_STR(SLUICE_MAP_CT4));

	if (fd < 0)
		p_err(cli, "cannot open the conntrack map under %s: %s", cli->pins.root,
		      strerror(-fd));
	return fd;
}

static void tuple(const struct sluice_ct4_key *k, char *src, char *dst, size_t len)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &k->saddr, a, sizeof(a));
	snprintf(src, len, "%s:%u", a, ntohs(k->sport));
	inet_ntop(AF_INET, &k->daddr, a, sizeof(a));
	snprintf(dst, len, "%s:%u", a, ntohs(k->dport));
}

static void entry_out(struct cli *cli, cJSON *arr, const struct sluice_ct4_key *k,
		      const struct sluice_ct4_value *v, __u64 now)
{
	char src[32], dst[32], nat_text[32], a[INET_ADDRSTRLEN];
	long left = v->expires_ns > now ? (long)((v->expires_ns - now) / NSEC_PER_SEC) : 0;
	const char *dir = k->dir == SLUICE_CT_REPLY ? "reply" :
			  k->dir == SLUICE_CT_FORWARD ? "forward" :
			  k->dir == SLUICE_CT_SNAT_OUT ? "snat-out" :
			  k->dir == SLUICE_CT_SNAT_IN ? "snat-in" : "service";
	bool snat = k->dir == SLUICE_CT_SNAT_OUT || k->dir == SLUICE_CT_SNAT_IN;
	bool nat = snat || (k->dir == SLUICE_CT_REPLY && (v->flags & SLUICE_CT_F_NAT));
	const char *proto = k->proto == IPPROTO_UDP ? "udp" : k->proto == IPPROTO_TCP ? "tcp" :
			    k->proto == IPPROTO_ICMP ? "icmp" : k->proto == IPPROTO_SCTP ? "sctp" :
										"other";
	const char *state = v->flags & SLUICE_CT_F_CLOSING ? "closing" :
			    v->flags & SLUICE_CT_F_ESTABLISHED ? "established" : "new";

	tuple(k, src, dst, sizeof(src));
	inet_ntop(AF_INET, &v->nat_addr, a, sizeof(a));
	snprintf(nat_text, sizeof(nat_text), "%s:%u", a, ntohs(v->nat_port));
	if (cli->json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "direction", dir);
		cJSON_AddStringToObject(o, "protocol", proto);
		cJSON_AddStringToObject(o, "source", src);
		cJSON_AddStringToObject(o, "destination", dst);
		cJSON_AddNumberToObject(o, "frontend_id", v->svc_id);
		cJSON_AddNumberToObject(o, "backend_id", v->backend_id);
		/* SNAT_OUT: the source the flow is sent from; SNAT_IN: where its replies go. */
		if (nat)
			cJSON_AddStringToObject(o, k->dir == SLUICE_CT_SNAT_OUT ? "sent_from" :
						   k->dir == SLUICE_CT_SNAT_IN ? "back_to" :
										"reply_from", nat_text);
		cJSON_AddStringToObject(o, "state", state);
		cJSON_AddBoolToObject(o, "hairpin", v->flags & SLUICE_CT_F_HAIRPIN);
		cJSON_AddNumberToObject(o, "expires_in", (double)left);
		cJSON_AddItemToArray(arr, o);
		return;
	}
	printf("%-8s %-5s %-22s %-22s %-8u %-8u %-22s %-12s %ld%s\n", dir, proto, src, dst,
	       v->svc_id, v->backend_id, nat ? nat_text : "-", state, left,
	       v->flags & SLUICE_CT_F_HAIRPIN ? " hairpin" : "");
}

static int ct_list(struct cli *cli, int argc, char **argv)
{
	struct sluice_ct4_key key, next;
	struct sluice_ct4_value v;
	cJSON *arr = cli->json ? cJSON_CreateArray() : NULL;
	__u64 now = monotonic_ns();
	void *prev = NULL;
	int fd;

	if (argc) {
		p_err(cli, "ct list takes no operands, got '%s'", argv[0]);
		cJSON_Delete(arr);
		return EXIT_USAGE;
	}
	fd = open_ct(cli);
	if (fd < 0) {
		cJSON_Delete(arr);
		return EXIT_FAIL;
	}
	if (!cli->json)
		printf("%-8s %-5s %-22s %-22s %-8s %-8s %-22s %-12s %s\n", "DIR", "PROTO", "SOURCE",
		       "DESTINATION", "FRONTEND", "BACKEND", "REPLY-FROM", "STATE", "EXPIRES(s)");
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		/* Expired entries wait for the agent's GC; the datapath already ignores them. */
		if (!bpf_map_lookup_elem(fd, &key, &v) && v.expires_ns > now)
			entry_out(cli, arr, &key, &v, now);
	}
	close(fd);
	if (arr)
		p_json(cli, arr);
	return EXIT_OK;
}

static int ct_flush(struct cli *cli, int argc, char **argv)
{
	struct sluice_ct4_key key;
	long removed = 0;
	int fd;

	if (argc) {
		p_err(cli, "ct flush takes no operands, got '%s'", argv[0]);
		return EXIT_USAGE;
	}
	fd = open_ct(cli);
	if (fd < 0)
		return EXIT_FAIL;
	/* Always from the first key: deleting invalidates the walk position. */
	while (!bpf_map_get_next_key(fd, NULL, &key))
		removed += !bpf_map_delete_elem(fd, &key);
	close(fd);
	if (cli->json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "removed", (double)removed);
		p_json(cli, o);
	} else {
		printf("Removed %ld conntrack entries\n", removed);
	}
	return EXIT_OK;
}

static const struct cli_cmd verbs[] = {
	{ "list", ct_list, "tracked flows" },
	{ "flush", ct_flush, "remove every entry" },
};

int cmd_ct(struct cli *cli, int argc, char **argv)
{
	return cli_run_verb(cli, argc, argv, verbs, sizeof(verbs) / sizeof(verbs[0]), usage);
}
