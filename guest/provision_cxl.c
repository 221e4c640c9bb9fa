// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * CXL regions, as the host orders them (lib/plan_cxl.c):
 *   tiervm.cxl=ID:DECODER:WAYS:GRANULARITY:pmem|ram:MODE:SIZE:SN+SN...,...
 * The region is made in root decoder decoder0.DECODER from the memdevs
 * with those serial numbers, in that (interleave position) order, and
 * committed; devdax, fsdax and kmem go on from there, kmem on the node
 * the kernel gives the window.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "boot.h"
#include "provision.h"
#include "provision_internal.h"

#define CXL_DEVICES "/sys/bus/cxl/devices"
#define MAX_WAYS 16

struct order {
	char *id, *type, *mode;
	unsigned decoder, ways;
	unsigned long long granularity, size;
	char *serial[MAX_WAYS];
	char mem[MAX_WAYS][NAME_MAX + 1]; /* memN of each serial, once found */
};

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

/* The last path element of symlink @path, into @out. */
static bool link_name(const char *path, char *out, size_t len)
{
	char link[PATH_MAX];
	ssize_t n = readlink(path, link, sizeof(link) - 1);

	if (n <= 0)
		return false;
	link[n] = '\0';
	return snprintf(out, len, "%s",
			strrchr(link, '/') ? strrchr(link, '/') + 1 : link) <
	       (int)len;
}

/* The endpoint port whose uport is @mem ("endpoint3"), into @out. */
static bool endpoint_of(const char *mem, char *out, size_t len)
{
	DIR *d = opendir(CXL_DEVICES);
	struct dirent *e;
	bool found = false;

	while (d && !found && (e = readdir(d))) {
		char *uport, name[NAME_MAX + 1];

		if (strncmp(e->d_name, "endpoint", 8))
			continue;
		uport = xasprintf(CXL_DEVICES "/%s/uport", e->d_name);
		found = link_name(uport, name, sizeof(name)) &&
			!strcmp(name, mem);
		if (found)
			snprintf(out, len, "%s", e->d_name);
		free(uport);
	}
	if (d)
		closedir(d);
	return found;
}

/*
 * The memdevs with the order's serial numbers, each with its endpoint
 * port: the ports are enumerated after the memdevs, so wait a little.
 */
static bool find_memdevs(struct order *o, struct sbuf *log)
{
	for (int tries = 0; tries < 100; tries++) {
		unsigned found = 0;
		DIR *d = opendir(CXL_DEVICES);
		struct dirent *e;

		while (d && (e = readdir(d))) {
			char *path, *sn, ep[NAME_MAX + 1];

			if (strncmp(e->d_name, "mem", 3))
				continue;
			path = xasprintf(CXL_DEVICES "/%s/serial", e->d_name);
			sn = prov_read_small(path);
			free(path);
			for (unsigned k = 0; k < o->ways; k++)
				if (!strcasecmp(
					    sn + (strncmp(sn, "0x", 2) ? 0 : 2),
					    o->serial[k]) &&
				    endpoint_of(e->d_name, ep, sizeof(ep))) {
					snprintf(o->mem[k], sizeof(o->mem[k]),
						 "%s", e->d_name);
					found++;
				}
			free(sn);
		}
		if (d)
			closedir(d);
		if (found == o->ways)
			return true;
		usleep(50 * 1000);
	}
	for (unsigned k = 0; k < o->ways; k++)
		if (!o->mem[k][0])
			sbuf_addf(
				log,
				"no memdev with serial 0x%s and an endpoint\n",
				o->serial[k]);
	return false;
}

/* The device-dax device a CXL ram region became, found under the region. */
static bool region_dax(const char *region, char *out, size_t len)
{
	DIR *d = opendir("/sys/bus/dax/devices");
	struct dirent *e;
	char *needle = xasprintf("/%s/dax_region", region);
	bool found = false;

	while (d && !found && (e = readdir(d))) {
		char *path, real[PATH_MAX];

		if (strncmp(e->d_name, "dax", 3))
			continue;
		path = xasprintf("/sys/bus/dax/devices/%s", e->d_name);
		if (realpath(path, real) && strstr(real, needle)) {
			snprintf(out, len, "%s", e->d_name);
			found = true;
		}
		free(path);
	}
	if (d)
		closedir(d);
	free(needle);
	return found;
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

/* devdax, fsdax or kmem on the nd region a pmem region became. */
static const char *pmem_namespace(json_object *r, const char *mode,
				  struct sbuf *log)
{
	const char *status = "ok";
	char *region = newest_nd_region(), *cmd, *out;
	json_object *ns, *t;
	bool fsdax = !strcmp(mode, "fsdax");
	int st;

	if (!region)
		return "no nd region for the CXL region";
	json_object_object_add(r, "region", json_object_new_string(region));
	cmd = xasprintf("ndctl create-namespace -r %s -m %s 2>&1", region,
			fsdax ? "fsdax" : "devdax");
	out = prov_run_logged(cmd, log, &st);
	free(cmd);
	ns = prov_created_namespace(out, region);
	free(out);
	free(region);
	if (fsdax) {
		if (!ns || !prov_str(ns, "blockdev"))
			status = "no fsdax namespace";
		else
			json_object_object_add(r, "blockdev",
					       json_object_new_string(prov_str(
						       ns, "blockdev")));
		json_object_put(ns);
		return status;
	}
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

/* Persistent: the region is made and committed with the real cxl tool. */
static const char *provision_pmem(json_object *r, const struct order *o,
				  struct sbuf *log)
{
	struct sbuf cmd = { 0 };
	char *out;
	json_object *j;
	int st;

	sbuf_addf(
		&cmd,
		"cxl create-region -m -d decoder0.%u -w %u -g %llu -t pmem -s %llu",
		o->decoder, o->ways, o->granularity, o->size);
	for (unsigned k = 0; k < o->ways; k++)
		sbuf_addf(&cmd, " %s", o->mem[k]);
	sbuf_addf(&cmd, " 2>&1");
	out = prov_run(cmd.s, &st);
	sbuf_addf(log, "$ %s\n%s", cmd.s, out);
	sbuf_free(&cmd);
	/* the tool's JSON follows its message ("created 1 region") */
	j = json_tokener_parse(strchr(out, '{') ? strchr(out, '{') : out);
	if (j && prov_str(j, "region"))
		json_object_object_add(
			r, "cxl_region",
			json_object_new_string(prov_str(j, "region")));
	free(out);
	/* it exits 0 having "created 0 regions" when the kernel refused */
	if (st || !j || !prov_str(j, "region")) {
		json_object_put(j);
		return "cxl create-region failed";
	}
	json_object_put(j);
	if (!strcmp(o->mode, "region"))
		return "ok";
	return pmem_namespace(r, o->mode, log);
}

/* A free endpoint decoder of @mem's endpoint (decoders are used in order). */
static bool free_decoder(const char *mem, char *out, size_t len)
{
	char ep[NAME_MAX + 1];

	if (!endpoint_of(mem, ep, sizeof(ep)))
		return false;
	for (unsigned k = 0; k < 8; k++) {
		char *path = xasprintf(CXL_DEVICES "/decoder%s.%u/dpa_size",
				       ep + 8, k);
		char *v = prov_read_small(path);
		bool ok = *v && strtoull(v, NULL, 0) == 0;

		free(path);
		free(v);
		if (ok) {
			return snprintf(out, len, "decoder%s.%u", ep + 8, k) <
			       (int)len;
		}
	}
	return false;
}

/*
 * Volatile: ndctl 76's cxl tool cannot create ram regions, so the region
 * is built through sysfs the way the tool builds pmem ones (the ABI in
 * Documentation/ABI/testing/sysfs-bus-cxl): name it, set its geometry,
 * give each memdev's endpoint decoder its share in ram mode, set the size
 * and the targets in position order, commit, and bind it; dax_cxl then
 * makes it a device-dax device.
 */
static const char *provision_ram(json_object *r, const struct order *o,
				 struct sbuf *log)
{
	char root[32], *path, *name, val[32], dax[NAME_MAX + 1], *node;
	/* each memdev's endpoint decoder, in position order */
	char epd[MAX_WAYS][NAME_MAX + 1];
	const char *status = "ok";

	snprintf(root, sizeof(root), "decoder0.%u", o->decoder);
	path = xasprintf(CXL_DEVICES "/%s/create_ram_region", root);
	name = prov_read_small(path);
	free(path);
	if (!*name) {
		status = "no ram region to create in the window";
		goto out;
	}
	json_object_object_add(r, "cxl_region", json_object_new_string(name));
	snprintf(val, sizeof(val), "%llu", o->granularity);
	if (!cxl_write(root, "create_ram_region", name, log) ||
	    !cxl_write(name, "interleave_granularity", val, log)) {
		status = "creating the ram region failed";
		goto out;
	}
	snprintf(val, sizeof(val), "%u", o->ways);
	if (!cxl_write(name, "interleave_ways", val, log)) {
		status = "creating the ram region failed";
		goto out;
	}
	for (unsigned k = 0; k < o->ways; k++) {
		snprintf(val, sizeof(val), "%llu", o->size / o->ways);
		if (!free_decoder(o->mem[k], epd[k], sizeof(epd[k])) ||
		    !cxl_write(epd[k], "mode", "ram", log) ||
		    !cxl_write(epd[k], "dpa_size", val, log)) {
			status = "no endpoint decoder for a memdev";
			goto out;
		}
	}
	snprintf(val, sizeof(val), "%llu", o->size);
	if (!cxl_write(name, "size", val, log)) {
		status = "sizing the ram region failed";
		goto out;
	}
	for (unsigned k = 0; k < o->ways; k++) {
		char attr[32];

		snprintf(attr, sizeof(attr), "target%u", k);
		if (!cxl_write(name, attr, epd[k], log)) {
			status = "setting the region's targets failed";
			goto out;
		}
	}
	if (!cxl_write(name, "commit", "1", log)) {
		status = "committing the ram region failed";
		goto out;
	}
	/* committed after its first probe: bind it to get its dax region */
	sys_write("/sys/bus/cxl/drivers/cxl_region/bind", name, log);
	if (!strcmp(o->mode, "region"))
		goto out;
	for (int i = 0; i < 50 && !region_dax(name, dax, sizeof(dax)); i++)
		usleep(100 * 1000);
	if (!region_dax(name, dax, sizeof(dax))) {
		status = "no dax device for the CXL region";
		goto out;
	}
	json_object_object_add(r, "chardev", json_object_new_string(dax));
	if (!strcmp(o->mode, "kmem"))
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
	return status;
}

/* One ID:DECODER:WAYS:GRANULARITY:TYPE:MODE:SIZE:SN+SN item, in place. */
static bool parse_order(char *item, struct order *o)
{
	char *f[8], *save = NULL, *sn;
	unsigned n = 0;

	memset(o, 0, sizeof(*o));
	for (char *p = strtok_r(item, ":", &save); p && n < 8;
	     p = strtok_r(NULL, ":", &save))
		f[n++] = p;
	if (n != 8)
		return false;
	o->id = f[0];
	o->decoder = (unsigned)strtoul(f[1], NULL, 10);
	o->granularity = strtoull(f[3], NULL, 10);
	o->type = f[4];
	o->mode = f[5];
	o->size = strtoull(f[6], NULL, 10);
	save = NULL;
	for (sn = strtok_r(f[7], "+", &save); sn && o->ways < MAX_WAYS;
	     sn = strtok_r(NULL, "+", &save))
		o->serial[o->ways++] = sn;
	return o->ways == strtoul(f[2], NULL, 10);
}

static json_object *provision_region(struct order *o)
{
	json_object *r = json_object_new_object(), *mems;
	struct sbuf log = { 0 };
	const char *status;

	json_object_object_add(r, "id", json_object_new_string(o->id));
	json_object_object_add(r, "wanted", json_object_new_string(o->mode));
	if (!strcmp(o->mode, "devdax"))
		boot_load_group("dax");
	if (!find_memdevs(o, &log)) {
		status = "memdevs missing";
	} else {
		mems = json_object_new_array();
		for (unsigned k = 0; k < o->ways; k++)
			json_object_array_add(
				mems, json_object_new_string(o->mem[k]));
		json_object_object_add(r, "memdevs", mems);
		status = !strcmp(o->type, "ram") ? provision_ram(r, o, &log)
						 : provision_pmem(r, o, &log);
	}
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

	if (!list)
		return all;
	for (char *item = strtok_r(list, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		struct order o;

		if (parse_order(item, &o))
			json_object_array_add(all, provision_region(&o));
	}
	free(list);
	return all;
}
