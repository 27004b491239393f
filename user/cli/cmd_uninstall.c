// SPDX-License-Identifier: Apache-2.0
/*
 * `sluice uninstall`: detaches sluice's programs from every pod veth and
 * node device, deletes the VXLAN device and the routes to other nodes' pods,
 * and removes every pin. Pods keep their veths and host routes, so traffic
 * between local pods falls back to the host stack's plain routing.
 */
#include <errno.h>
#include <dirent.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "lib/agent_state.h"
#include "lib/endpoint_map.h"
#include "lib/node_routes.h"
#include "lib/tc_attach.h"
#include "lib/tunnel_dev.h"

static const char usage[] =
	"Usage: sluice uninstall [--bpffs DIR] [-j]\n"
	"  Detaches the programs from every pod veth and node device, deletes the\n"
	"  VXLAN device and the routes to other nodes' pods, and removes every pin\n"
	"  under the pin root. Stop the agent first.\n";

/* Detaches from the veths the endpoint map names, counting them; on failure names the veth. */
static int detach_endpoints(struct cli *cli, int *detached, char *failed, size_t failed_len)
{
	struct endpoint_maps m;
	struct endpoint *eps;
	char name[IF_NAMESIZE];
	size_t n, i;
	int err;

	*detached = 0;
	if (endpoint_maps_open(&cli->pins, &m))
		return 0;
	err = endpoint_list(&m, &eps, &n);
	endpoint_maps_close(&m);
	if (err)
		return err;
	for (i = 0; i < n && !err; i++) {
		if (!eps[i].info.ifindex || !if_indextoname(eps[i].info.ifindex, name) ||
		    strcmp(name, eps[i].meta.host_ifname))
			continue;
		err = tc_detach_pod(eps[i].info.ifindex);
		if (err)
			snprintf(failed, failed_len, "detaching from %s", name);
		else
			(*detached)++;
	}
	free(eps);
	return err;
}

/*
 * Node devices are not recorded anywhere: every device of this namespace is
 * checked for tc_from_net at sluice's place, and only that is removed.
 */
static int detach_devices(int *detached, char *failed, size_t failed_len)
{
	struct if_nameindex *ifs = if_nameindex(), *it;
	int err = 0;

	if (!ifs)
		return -errno;
	for (it = ifs; it->if_index && err >= 0; it++) {
		err = tc_detach_net((int)it->if_index);
		if (err < 0)
			snprintf(failed, failed_len, "detaching from %s", it->if_name);
		else
			*detached += err;
	}
	if_freenameindex(ifs);
	return err < 0 ? err : 0;
}

/* Unlinks every pin in one subdirectory of the root, then the directory. */
static int remove_pin_dir(const struct sluice_pins *pins, const char *sub, int *removed)
{
	char dir[PATH_MAX], path[PATH_MAX + 256];
	struct dirent *de;
	DIR *d;
	int err = 0;

	if (pins_subdir(pins, sub, dir, sizeof(dir)))
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path)) {
			err = -errno;
			break;
		}
		(*removed)++;
	}
	closedir(d);
	if (!err && rmdir(dir))
		err = -errno;
	return err;
}

int cmd_uninstall(struct cli *cli, int argc, char **argv)
{
	struct sluice_agent_state st;
	char step[64] = "removing pins";
	int ret, first, err, detached = 0, devices = 0, removed = 0, routes = 0, tunnel = 0;

	ret = cli_parse(cli, argc, argv, NULL, NULL, NULL, usage, &first);
	if (ret)
		return CLI_EXIT(ret);
	if (first < argc) {
		p_err(cli, "uninstall takes no operands, got '%s'", argv[first]);
		return EXIT_USAGE;
	}
	if (!agent_state_read(&cli->pins, &st) && agent_state_alive(&st)) {
		p_err(cli, "agent pid %u still runs on %s; stop it first", st.pid, cli->pins.root);
		return EXIT_FAIL;
	}
	err = detach_endpoints(cli, &detached, step, sizeof(step));
	if (!err)
		err = detach_devices(&devices, step, sizeof(step));
	if (!err) {
		snprintf(step, sizeof(step), "deleting %s", SLUICE_VXLAN_DEVICE);
		err = tunnel = tunnel_dev_remove();
	}
	if (err >= 0) {
		snprintf(step, sizeof(step), "deleting the routes to other nodes' pods");
		err = routes = node_routes_remove_all();
	}
	if (err >= 0) {
		snprintf(step, sizeof(step), "removing pins");
		err = 0;
	}
	/* Links first: unpinning them detaches the socket hooks. */
	if (!err)
		err = remove_pin_dir(&cli->pins, SLUICE_PIN_DIR_LINKS, &removed);
	if (!err)
		err = remove_pin_dir(&cli->pins, SLUICE_PIN_DIR_PROGS, &removed);
	if (!err)
		err = remove_pin_dir(&cli->pins, SLUICE_PIN_DIR_MAPS, &removed);
	if (!err && rmdir(cli->pins.root) && errno != ENOENT)
		err = -errno;
	if (err) {
		p_err(cli, "uninstall of %s stopped %s: %s", cli->pins.root, step, strerror(-err));
		return EXIT_FAIL;
	}
	if (cli->json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "pin_root", cli->pins.root);
		cJSON_AddNumberToObject(o, "veths_detached", detached);
		cJSON_AddNumberToObject(o, "devices_detached", devices);
		cJSON_AddBoolToObject(o, "tunnel_deleted", tunnel > 0);
		cJSON_AddNumberToObject(o, "routes_deleted", routes);
		cJSON_AddNumberToObject(o, "pins_removed", removed);
		p_json(cli, o);
	} else {
		printf("Detached from %d pod veth(s) and %d node device(s), deleted %d route(s)%s, "
		       "removed %d pin(s) and %s\n", detached, devices, routes,
		       tunnel > 0 ? " and " SLUICE_VXLAN_DEVICE : "", removed, cli->pins.root);
	}
	return EXIT_OK;
}
