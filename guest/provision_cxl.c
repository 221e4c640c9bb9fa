// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * CXL type-3 devices, one per fixed memory window (decoder0.N, memN), as
 * the host passes them: tiervm.cxl=ID:MODE:pmem|ram,...  Each becomes a
 * committed region; devdax and kmem go on from there, kmem on a node the
 * kernel picks for the window.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot.h"
#include "provision.h"
#include "provision_internal.h"

#define CXL_DEVICES "/sys/bus/cxl/devices"

/*
 * The nd region a CXL pmem region became: the newest, the one numbered
 * highest in /sys/bus/nd/devices (what `ndctl list -R` lists last, read
 * without its 90 ms under TCG).
 */
static char *newest_nd_region(void)
{
	DIR *d = opendir("/sys/bus/nd/devices");
	struct dirent *e;
	long best = -1;

	while (d && (e = readdir(d))) {
		char *end;
		long n;

		if (strncmp(e->d_name, "region", 6))
			continue;
		n = strtol(e->d_name + 6, &end, 10);
		if (end != e->d_name + 6 && !*end && n > best)
			best = n;
	}
	if (d)
		closedir(d);
	return best < 0 ? NULL : xasprintf("region%ld", best);
}

/*
 * Persistent: a region is created and committed with the real cxl tool;
 * devdax and kmem go on with ndctl and daxctl as for an NVDIMM.
 */
static const char *provision_pmem(json_object *r, const char *mode,
				  unsigned index, struct sbuf *log)
{
	const char *status = "ok";
	char *cmd, *out, *region = NULL;
	json_object *ns = NULL, *j, *t;
	int st;

	if (!strcmp(mode, "devdax"))
		boot_load_group("dax");
	cmd = xasprintf(
		"cxl create-region -m -d decoder0.%u -w 1 -g 256 -t pmem mem%u 2>&1",
		index, index);
	out = prov_run(cmd, &st);
	sbuf_addf(log, "$ %s\n%s", cmd, out);
	free(cmd);
	j = json_tokener_parse(out);
	if (j && prov_str(j, "region"))
		json_object_object_add(
			r, "cxl_region",
			json_object_new_string(prov_str(j, "region")));
	json_object_put(j);
	free(out);
	if (st)
		return "cxl create-region failed";
	if (!strcmp(mode, "region"))
		return status;
	region = newest_nd_region();
	if (!region)
		return "no nd region for the CXL region";
	json_object_object_add(r, "region", json_object_new_string(region));
	cmd = xasprintf("ndctl create-namespace -r %s -m devdax 2>&1", region);
	out = prov_run(cmd, &st);
	sbuf_addf(log, "$ %s\n%s", cmd, out);
	free(cmd);
	ns = prov_created_namespace(out, region);
	free(out);
	free(region);
	if (!ns || !prov_chardev(ns)) {
		json_object_put(ns);
		return "no devdax namespace";
	}
	json_object_object_add(r, "chardev",
			       json_object_new_string(prov_chardev(ns)));
	if (!strcmp(mode, "kmem"))
		status = prov_online_dax(prov_chardev(ns), log);
	/* the node the kernel gave the window: the dax device's target */
	if (json_object_object_get_ex(prov_dax_device(ns), "target_node", &t))
		json_object_object_add(
			r, "node", json_object_new_int(json_object_get_int(t)));
	json_object_put(ns);
	return status;
}

/* echo @value > @path, logged as a shell would show it. */
static bool sys_write(const char *path, const char *value, struct sbuf *log)
{
	FILE *f = fopen(path, "we");
	bool ok = f && fputs(value, f) >= 0;

	if (f && fclose(f) != 0)
		ok = false;
	sbuf_addf(log, "$ echo %s > %s%s%s\n", value, path, ok ? "" : ": ",
		  ok ? "" : strerror(errno));
	return ok;
}

static bool cxl_write(const char *dev, const char *attr, const char *value,
		      struct sbuf *log)
{
	char *path = xasprintf(CXL_DEVICES "/%s/%s", dev, attr);
	bool ok = sys_write(path, value, log);

	free(path);
	return ok;
}

/* The endpoint decoder of memN: the endpoint port whose uport is memN. */
static bool endpoint_decoder(unsigned index, char *out, size_t len)
{
	DIR *d = opendir(CXL_DEVICES);
	struct dirent *e;
	char mem[32];
	bool found = false;

	snprintf(mem, sizeof(mem), "mem%u", index);
	while (d && !found && (e = readdir(d))) {
		char *uport, link[PATH_MAX];
		ssize_t n;

		if (strncmp(e->d_name, "endpoint", 8))
			continue;
		uport = xasprintf(CXL_DEVICES "/%s/uport", e->d_name);
		n = readlink(uport, link, sizeof(link) - 1);
		free(uport);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strcmp(strrchr(link, '/') ? strrchr(link, '/') + 1 : link,
			   mem))
			continue;
		snprintf(out, len, "decoder%s.0", e->d_name + 8);
		found = true;
	}
	if (d)
		closedir(d);
	return found;
}

/* The device-dax device a CXL ram region became, found under the region. */
static bool region_dax(const char *region, char *out, size_t len)
{
	DIR *d = opendir("/sys/bus/dax/devices");
	struct dirent *e;
	bool found = false;

	while (d && !found && (e = readdir(d))) {
		char *path, real[PATH_MAX];

		if (strncmp(e->d_name, "dax", 3))
			continue;
		path = xasprintf("/sys/bus/dax/devices/%s", e->d_name);
		if (realpath(path, real) && strstr(real, region) &&
		    strstr(real, "/dax_region")) {
			snprintf(out, len, "%s", e->d_name);
			found = true;
		}
		free(path);
	}
	if (d)
		closedir(d);
	return found;
}

/*
 * Volatile: ndctl 76's cxl tool cannot create ram regions, so the region
 * is built through sysfs the way the tool builds pmem ones (the ABI in
 * Documentation/ABI/testing/sysfs-bus-cxl): name it, set its geometry and
 * size, give it the endpoint decoder in ram mode, commit, and bind it;
 * dax_cxl then makes it a device-dax device.
 */
static const char *provision_ram(json_object *r, const char *mode,
				 unsigned index, struct sbuf *log)
{
	char root[32], *path, *name, *gran, *size, epd[NAME_MAX + 1],
		dax[NAME_MAX + 1], *node;
	const char *status = "ok";

	if (!strcmp(mode, "devdax"))
		boot_load_group("dax");
	snprintf(root, sizeof(root), "decoder0.%u", index);
	path = xasprintf(CXL_DEVICES "/%s/create_ram_region", root);
	name = prov_read_small(path);
	free(path);
	path = xasprintf(CXL_DEVICES "/%s/interleave_granularity", root);
	gran = prov_read_small(path);
	free(path);
	path = xasprintf(CXL_DEVICES "/mem%u/ram/size", index);
	size = prov_read_small(path);
	free(path);
	if (!*name || !*size) {
		status = "no ram region to create (no volatile capacity?)";
		goto out;
	}
	json_object_object_add(r, "cxl_region", json_object_new_string(name));
	if (!endpoint_decoder(index, epd, sizeof(epd))) {
		status = "no endpoint decoder for the memdev";
		goto out;
	}
	if (!cxl_write(root, "create_ram_region", name, log) ||
	    !cxl_write(name, "interleave_granularity", *gran ? gran : "256",
		       log) ||
	    !cxl_write(name, "interleave_ways", "1", log) ||
	    !cxl_write(epd, "mode", "ram", log) ||
	    !cxl_write(epd, "dpa_size", size, log) ||
	    !cxl_write(name, "size", size, log) ||
	    !cxl_write(name, "target0", epd, log) ||
	    !cxl_write(name, "commit", "1", log)) {
		status = "creating the ram region failed";
		goto out;
	}
	/* committed after its first probe: bind it to get its dax region */
	sys_write("/sys/bus/cxl/drivers/cxl_region/bind", name, log);
	if (!strcmp(mode, "region"))
		goto out;
	for (int i = 0; i < 50 && !region_dax(name, dax, sizeof(dax)); i++)
		usleep(100 * 1000);
	if (!region_dax(name, dax, sizeof(dax))) {
		status = "no dax device for the CXL region";
		goto out;
	}
	json_object_object_add(r, "chardev", json_object_new_string(dax));
	if (!strcmp(mode, "kmem"))
		status = prov_online_dax(dax, log);
	path = xasprintf("/sys/bus/dax/devices/%s/target_node", dax);
	node = prov_read_small(path);
	free(path);
	if (*node)
		json_object_object_add(r, "node",
				       json_object_new_int(atoi(node)));
	free(node);
out:
	free(name);
	free(gran);
	free(size);
	return status;
}

static json_object *provision_cxl(const char *id, const char *mode, bool ram,
				  unsigned index)
{
	json_object *r = json_object_new_object();
	struct sbuf log = { 0 };
	const char *status;

	json_object_object_add(r, "id", json_object_new_string(id));
	json_object_object_add(r, "wanted", json_object_new_string(mode));
	status = ram ? provision_ram(r, mode, index, &log)
		     : provision_pmem(r, mode, index, &log);
	json_object_object_add(r, "status", json_object_new_string(status));
	json_object_object_add(r, "log",
			       json_object_new_string(log.s ? log.s : ""));
	sbuf_free(&log);
	return r;
}

json_object *provision_cxls(const char *cmdline)
{
	json_object *all = json_object_new_array();
	char *list = prov_cmdline_arg(cmdline, "tiervm.cxl"), *save = NULL;
	unsigned index = 0;

	if (!list)
		return all;
	for (char *item = strtok_r(list, ",", &save); item;
	     item = strtok_r(NULL, ",", &save), index++) {
		char *mode = strchr(item, ':'), *type;

		if (!mode)
			continue;
		*mode++ = '\0';
		type = strchr(mode, ':');
		if (type)
			*type++ = '\0';
		json_object_array_add(
			all,
			provision_cxl(item, mode, type && !strcmp(type, "ram"),
				      index));
	}
	free(list);
	return all;
}
