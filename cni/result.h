/* SPDX-License-Identifier: Apache-2.0 */
/* CNI results: read from IPAM and prevResult, written for the runtime. */
#ifndef SLUICE_CNI_RESULT_H
#define SLUICE_CNI_RESULT_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <cjson/cJSON.h>

#include "errors.h"

/* Bounds on what a result may list; far beyond one pod attachment's needs. */
#define CNI_RESULT_MAX_IFACES 8
#define CNI_RESULT_MAX_IPS 16
#define CNI_RESULT_MAX_ROUTES 32
/* "aa:bb:cc:dd:ee:ff" and a NUL. */
#define CNI_MAC_STR_LEN 18
/* Bytes of the largest address kept (IPv6). */
#define CNI_ADDR_LEN 16

/* An address with its family: 4 or 6 bytes used of addr. */
struct cni_addr {
	int family;	/* AF_INET or AF_INET6 */
	unsigned char addr[CNI_ADDR_LEN];
};

struct cni_iface {
	char name[IF_NAMESIZE];
	char mac[CNI_MAC_STR_LEN];
	char sandbox[PATH_MAX];		/* empty for host interfaces */
	unsigned int mtu;		/* 0: not reported */
};

struct cni_ip {
	struct cni_addr addr;
	unsigned int prefix;
	bool has_gateway;
	struct cni_addr gateway;
	int iface;			/* index into ifaces, -1 when not given */
};

struct cni_route {
	struct cni_addr dst;
	unsigned int prefix;
	bool has_gw;
	struct cni_addr gw;
};

struct cni_result {
	struct cni_iface ifaces[CNI_RESULT_MAX_IFACES];
	unsigned int n_ifaces;
	struct cni_ip ips[CNI_RESULT_MAX_IPS];
	unsigned int n_ips;
	struct cni_route routes[CNI_RESULT_MAX_ROUTES];
	unsigned int n_routes;
	cJSON *dns;			/* passed through as given; owned */
};

/*
 * Reads a result in any shape from 0.3.0 to 1.1.0 (IPAM results lack
 * interfaces and ips[].interface). what names the source in errors.
 */
int cni_result_parse(const cJSON *obj, const char *what, struct cni_result *r,
		     struct cni_error *err);
/* The result as JSON for cniVersion version (0.x adds ips[].version). Caller frees. */
char *cni_result_json(const struct cni_result *r, const char *version);
void cni_result_free(struct cni_result *r);

/* "10.0.0.1/24" to address and prefix; false on anything else. */
bool cni_cidr_parse(const char *s, struct cni_addr *a, unsigned int *prefix);
/* "10.0.0.1" to address; false on anything else. */
bool cni_addr_parse(const char *s, struct cni_addr *a);
void cni_addr_str(const struct cni_addr *a, char *buf, size_t len);
bool cni_addr_equal(const struct cni_addr *a, const struct cni_addr *b);

#endif
