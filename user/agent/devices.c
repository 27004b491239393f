// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netlink/route/addr.h>

#include "agent/devices.h"
#include "lib/field.h"
#include "lib/log.h"
#include "lib/tc_attach.h"

/* Bytes of an IPv4 address. */
#define IPV4_LEN 4

bool devices_parse(struct devices *d, const char *list, char *why, size_t why_len)
{
	char *copy = strdup(list), *save = NULL, *name;
	size_t i;
	bool ok = copy != NULL;

	memset(d, 0, sizeof(*d));
	for (name = copy ? strtok_r(copy, ",", &save) : NULL; name && ok;
	     name = strtok_r(NULL, ",", &save)) {
		if (d->n == DEVICES_MAX) {
			snprintf(why, why_len, "more than %d devices", DEVICES_MAX);
			ok = false;
		} else if (!copy_field(d->names[d->n], IF_NAMESIZE, name) || strchr(name, '/')) {
			snprintf(why, why_len, "'%s' is not an interface name", name);
			ok = false;
		} else {
			for (i = 0; i < d->n && ok; i++)
				if (!strcmp(d->names[i], name)) {
					snprintf(why, why_len, "'%s' is named twice", name);
					ok = false;
				}
			d->n++;
		}
	}
	if (ok && !d->n) {
		snprintf(why, why_len, "no device named");
		ok = false;
	}
	free(copy);
	return ok;
}

int devices_attach(const struct devices *d, const struct sluice_pins *pins)
{
	size_t i;
	int err, ifindex;

	for (i = 0; i < d->n; i++) {
		ifindex = (int)if_nametoindex(d->names[i]);
		if (!ifindex) {
			pr_err("device %s: %s", d->names[i], strerror(errno));
			return -ENODEV;
		}
		err = tc_attach_net(pins, ifindex);
		if (err) {
			pr_err("device %s: cannot attach %s: %s", d->names[i],
			       SLUICE_STR(SLUICE_PROG_FROM_NET), strerror(-err));
			return err;
		}
	}
	return 0;
}

static int addr_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct in_addr));
}

/* IPv4 addresses of the devices named in only (NULL: of every device), sorted. */
static int read_ipv4(const struct devices *only, struct in_addr *addrs, size_t max, size_t *n)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_cache *cache = NULL;
	struct nl_object *obj;
	size_t i;
	int err, ifindex;

	*n = 0;
	if (!sk || nl_connect(sk, NETLINK_ROUTE) || rtnl_addr_alloc_cache(sk, &cache)) {
		err = -EIO;
		goto out;
	}
	for (obj = nl_cache_get_first(cache); obj; obj = nl_cache_get_next(obj)) {
		struct rtnl_addr *a = (struct rtnl_addr *)obj;
		struct nl_addr *local = rtnl_addr_get_local(a);
		bool wanted = !only;

		if (rtnl_addr_get_family(a) != AF_INET || !local ||
		    nl_addr_get_len(local) != IPV4_LEN || *n == max)
			continue;
		ifindex = rtnl_addr_get_ifindex(a);
		for (i = 0; only && i < only->n && !wanted; i++)
			wanted = (int)if_nametoindex(only->names[i]) == ifindex;
		if (wanted)
			memcpy(&addrs[(*n)++], nl_addr_get_binary_addr(local), IPV4_LEN);
	}
	qsort(addrs, *n, sizeof(addrs[0]), addr_cmp);
	err = 0;
out:
	if (cache)
		nl_cache_free(cache);
	if (sk)
		nl_socket_free(sk);
	return err;
}

int devices_read_addrs(struct devices *d, bool *changed)
{
	struct in_addr addrs[DEVICE_ADDRS_MAX];
	size_t n;
	int err = read_ipv4(d, addrs, DEVICE_ADDRS_MAX, &n);

	if (err)
		return err;
	*changed = n != d->n_addrs || memcmp(addrs, d->addrs, n * sizeof(addrs[0]));
	memcpy(d->addrs, addrs, n * sizeof(addrs[0]));
	d->n_addrs = n;
	return 0;
}

int host_addrs_read(struct host_addrs *h, bool *changed)
{
	struct in_addr addrs[HOST_ADDRS_MAX];
	size_t n;
	int err = read_ipv4(NULL, addrs, HOST_ADDRS_MAX, &n);

	if (err)
		return err;
	*changed = n != h->n || memcmp(addrs, h->addrs, n * sizeof(addrs[0]));
	memcpy(h->addrs, addrs, n * sizeof(addrs[0]));
	h->n = n;
	return 0;
}

int devices_min_mtu(const struct devices *d, unsigned int *mtu)
{
	struct ifreq ifr;
	size_t i;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	*mtu = 0;
	for (i = 0; i < d->n && !err; i++) {
		memset(&ifr, 0, sizeof(ifr));
		copy_field(ifr.ifr_name, sizeof(ifr.ifr_name), d->names[i]);
		if (ioctl(fd, SIOCGIFMTU, &ifr))
			err = -errno;
		else if (!*mtu || (unsigned int)ifr.ifr_mtu < *mtu)
			*mtu = (unsigned int)ifr.ifr_mtu;
	}
	close(fd);
	return err ? err : (*mtu ? 0 : -ENODEV);
}
