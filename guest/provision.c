// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Provisioning inside the guest with the real ndctl and daxctl, as the spec
 * asks per NVDIMM (raw, fsdax, devdax, kmem).  The host passes the list on
 * the kernel command line: tiervm.nvdimm=ID:MODE:new|old,...  in device
 * order, which is the order of the guest's NVDIMM regions.
 *
 * Data safety: an existing namespace is never destroyed.  A fresh backing
 * file ("new") may be given a namespace; an old one is used as found, and
 * a mode different from the spec's is reported, not "fixed".
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "boot.h"
#include "provision.h"
#include "provision_internal.h"
#include "util.h"

char *prov_cmdline_arg(const char *cmdline, const char *key)
{
	size_t len = strlen(key);
	char *v;

	for (const char *p = strstr(cmdline, key); p; p = strstr(p + 1, key)) {
		/* a whole argument, not the tail of another */
		if ((p == cmdline || p[-1] == ' ') && p[len] == '=') {
			v = xstrdup(p + len + 1);
			v[strcspn(v, " \n")] = '\0';
			return v;
		}
	}
	return NULL;
}

char *prov_finish(FILE *f, const char *cmd, int *status)
{
	struct sbuf b = { 0 };
	char buf[4096];
	size_t n;
	int st;

	if (!f) {
		if (status)
			*status = -1;
		return xasprintf("cannot run %s: %s", cmd, strerror(errno));
	}
	while ((n = fread(buf, 1, sizeof(buf) - 1, f)) > 0) {
		buf[n] = '\0';
		sbuf_addf(&b, "%s", buf);
	}
	st = pclose(f);
	if (status)
		*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return b.s ? b.s : xstrdup("");
}

/*
 * Each command's wall time goes to the kernel log, beside the kernel's
 * own stamps: what provisioning costs a boot (bench/run.sh's stages).
 */
char *prov_run_logged(const char *cmd, struct sbuf *log, int *status)
{
	char *out = prov_run(cmd, status);

	sbuf_addf(log, "$ %s\n%s", cmd, out);
	return out;
}

char *prov_run(const char *cmd, int *status)
{
	struct timespec a, b;
	char *out;
	FILE *k;

	clock_gettime(CLOCK_MONOTONIC, &a);
	out = prov_finish(popen(cmd, "r"), cmd, status);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if ((k = fopen("/dev/kmsg", "we"))) {
		fprintf(k, "tiervm: %.*s: %lld ms\n", (int)strcspn(cmd, "2>"),
			cmd,
			(long long)(b.tv_sec - a.tv_sec) * 1000 +
				(b.tv_nsec - a.tv_nsec) / 1000000);
		fclose(k);
	}
	return out;
}

/* nd regions present before any hot-plug (and those attached since) */
static char **known;
static size_t n_known;

static void known_add(const char *name)
{
	known = xrealloc(known, (n_known + 1) * sizeof(*known));
	known[n_known++] = xstrdup(name);
}

static bool is_known(const char *name)
{
	for (size_t i = 0; i < n_known; i++)
		if (!strcmp(known[i], name))
			return true;
	return false;
}

#define ND_DEVICES "/sys/bus/nd/devices"

void provision_remember_regions(void)
{
	DIR *d = opendir(ND_DEVICES);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, "region", 6) && !is_known(e->d_name))
			known_add(e->d_name);
	if (d)
		closedir(d);
}

static void new_region(char *out, size_t len)
{
	DIR *d = opendir(ND_DEVICES);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, "region", 6) && !is_known(e->d_name)) {
			snprintf(out, len, "%s", e->d_name);
			break;
		}
	if (d)
		closedir(d);
}

/* bound to nd_region, with its namespaces (at least the seed) added */
static bool region_ready(const char *region)
{
	char *drv = xasprintf(ND_DEVICES "/%s/driver", region);
	char *seed = xasprintf(ND_DEVICES "/%s/namespace_seed", region);
	char buf[64] = "";
	bool ready = false;
	FILE *f;

	if (access(drv, F_OK) == 0 && (f = fopen(seed, "re"))) {
		ready = fgets(buf, sizeof(buf), f) && buf[0] != '\n';
		fclose(f);
	}
	free(drv);
	free(seed);
	return ready;
}

char *prov_read_small(const char *path)
{
	char buf[4096] = "";
	FILE *f = fopen(path, "re");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	return xstrdup(buf);
}

/*
 * kmem: a device-dax device becomes system RAM on its target node, unless
 * the kernel made it so already (6.12 binds CXL RAM regions' dax devices
 * to kmem itself).  Where the kernel's policy onlines hot-added memory by
 * itself, in the zone that policy names, daxctl refuses to insist on its
 * own default (movable) and is told not to (6.12's Debian config).
 */
const char *prov_online_dax(const char *dax, struct sbuf *log)
{
	char *cmd, *out, link[PATH_MAX], *drv, *auto_online;
	ssize_t n;
	int st;

	drv = xasprintf("/sys/bus/dax/devices/%s/driver", dax);
	n = readlink(drv, link, sizeof(link) - 1);
	free(drv);
	if (n > 0) {
		link[n] = '\0';
		if (!strcmp(strrchr(link, '/') ? strrchr(link, '/') + 1 : link,
			    "kmem")) {
			sbuf_addf(log, "%s: already system RAM (kmem)\n", dax);
			return "ok";
		}
	}
	auto_online = prov_read_small(
		"/sys/devices/system/memory/auto_online_blocks");
	cmd = xasprintf("daxctl reconfigure-device --mode=system-ram%s %s 2>&1",
			*auto_online && strcmp(auto_online, "offline")
				? " --no-movable"
				: "",
			dax);
	free(auto_online);
	out = prov_run_logged(cmd, log, &st);
	free(cmd);
	free(out);
	return st ? "daxctl failed" : "ok";
}

/* The first namespace with a size in @region, from `ndctl list`. */
json_object *prov_find_namespace(const char *region)
{
	char *cmd = xasprintf("ndctl list -r %s -N -X 2>/dev/null", region);
	int st;
	char *out = prov_run(cmd, &st);
	json_object *all = json_tokener_parse(out), *found = NULL;

	free(cmd);
	free(out);
	if (!all)
		return NULL;
	if (json_object_is_type(all, json_type_object)) {
		found = json_object_get(all);
	} else if (json_object_is_type(all, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(all); i++) {
			json_object *ns = json_object_array_get_idx(all, i),
				    *sz;

			if (json_object_object_get_ex(ns, "size", &sz) &&
			    json_object_get_int64(sz) > 0) {
				found = json_object_get(ns);
				break;
			}
		}
	}
	json_object_put(all);
	return found;
}

/*
 * What `ndctl create-namespace` printed is the namespace as `ndctl list
 * -N -X` shows it: read, not asked for again (each ndctl is some 90 ms
 * of a TCG boot).  Anything else, and the region is listed.
 */
json_object *prov_created_namespace(const char *out, const char *region)
{
	json_object *ns = json_tokener_parse(out), *v;

	if (ns && json_object_is_type(ns, json_type_object) &&
	    json_object_object_get_ex(ns, "dev", &v) &&
	    json_object_object_get_ex(ns, "mode", &v))
		return ns;
	json_object_put(ns);
	return prov_find_namespace(region);
}

const char *prov_str(json_object *o, const char *k)
{
	json_object *v;

	return o && json_object_object_get_ex(o, k, &v)
		       ? json_object_get_string(v)
		       : NULL;
}

/* A devdax namespace's first dax device ("ndctl list -X" nests it). */
json_object *prov_dax_device(json_object *ns)
{
	json_object *dr, *devs;

	if (json_object_object_get_ex(ns, "daxregion", &dr) &&
	    json_object_object_get_ex(dr, "devices", &devs) &&
	    json_object_array_length(devs))
		return json_object_array_get_idx(devs, 0);
	return NULL;
}

const char *prov_chardev(json_object *ns)
{
	return prov_str(ns, "chardev")
		       ? prov_str(ns, "chardev")
		       : prov_str(prov_dax_device(ns), "chardev");
}

/*
 * @region's first namespace with a size, as {"dev", "mode": "raw"}: what
 * the kernel shows of a fresh (label-less, or labels zeroed) NVDIMM.
 */
static json_object *first_namespace(const char *region)
{
	char *dir = xasprintf(ND_DEVICES "/%s", region);
	DIR *d = opendir(dir);
	struct dirent *e;
	json_object *ns = NULL;

	while (d && !ns && (e = readdir(d))) {
		char *path, *size;

		if (strncmp(e->d_name, "namespace", 9))
			continue;
		path = xasprintf("%s/%s/size", dir, e->d_name);
		size = prov_read_small(path);
		if (atoll(size) > 0) {
			ns = json_object_new_object();
			json_object_object_add(
				ns, "dev", json_object_new_string(e->d_name));
			json_object_object_add(ns, "mode",
					       json_object_new_string("raw"));
		}
		free(size);
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
	return ns;
}

static json_object *provision_one(const char *id, const char *mode, bool fresh,
				  const char *region)
{
	json_object *r = json_object_new_object(), *ns;
	const char *want = !strcmp(mode, "kmem") ? "devdax" : mode;
	char *cmd, *out;
	struct sbuf log = { 0 };
	const char *status = "ok";
	int st;

	json_object_object_add(r, "id", json_object_new_string(id));
	json_object_object_add(r, "region", json_object_new_string(region));
	json_object_object_add(r, "wanted", json_object_new_string(mode));
	if (!strcmp(mode, "devdax"))
		boot_load_group("dax");
	/* a fresh file holds no data: its region's first namespace (from
	 * sysfs, without an ndctl run) is what create-namespace reshapes */
	ns = fresh && strcmp(want, "raw") ? first_namespace(region)
					  : prov_find_namespace(region);
	if (!ns || (fresh && strcmp(prov_str(ns, "mode"), want))) {
		/* a label-less region shows its raw namespace: convert it (fresh only) */
		if (ns)
			cmd = xasprintf(
				"ndctl create-namespace -f -e %s -m %s 2>&1",
				prov_str(ns, "dev"), want);
		else
			cmd = xasprintf(
				"ndctl create-namespace -r %s -m %s 2>&1",
				region, want);
		out = prov_run_logged(cmd, &log, &st);
		free(cmd);
		json_object_put(ns);
		ns = prov_created_namespace(out, region);
		free(out);
	}
	if (!ns) {
		status = "no namespace";
	} else if (strcmp(prov_str(ns, "mode"), want)) {
		status =
			"left as found: reconfiguring an existing namespace would destroy its data";
	} else if (!strcmp(mode, "kmem") && prov_chardev(ns)) {
		status = prov_online_dax(prov_chardev(ns), &log);
	}
	if (ns) {
		json_object_object_add(
			r, "namespace",
			json_object_new_string(prov_str(ns, "dev")
						       ? prov_str(ns, "dev")
						       : ""));
		json_object_object_add(
			r, "mode",
			json_object_new_string(prov_str(ns, "mode")
						       ? prov_str(ns, "mode")
						       : ""));
		json_object_object_add(
			r, "chardev",
			prov_chardev(ns)
				? json_object_new_string(prov_chardev(ns))
				: NULL);
		json_object_object_add(
			r, "blockdev",
			prov_str(ns, "blockdev")
				? json_object_new_string(
					  prov_str(ns, "blockdev"))
				: NULL);
	}
	json_object_object_add(r, "status", json_object_new_string(status));
	json_object_object_add(r, "log",
			       json_object_new_string(log.s ? log.s : ""));
	sbuf_free(&log);
	json_object_put(ns);
	return r;
}

json_object *provision_nvdimms(const char *cmdline)
{
	json_object *all = json_object_new_array();
	char *list = prov_cmdline_arg(cmdline, "tiervm.nvdimm"), *save = NULL,
	     region[32];
	unsigned index = 0;

	if (!list)
		return all;
	for (char *item = strtok_r(list, ",", &save); item;
	     item = strtok_r(NULL, ",", &save), index++) {
		char *id = item, *mode = strchr(item, ':'), *age;

		if (!mode)
			continue;
		*mode++ = '\0';
		age = strchr(mode, ':');
		if (age)
			*age++ = '\0';
		snprintf(region, sizeof(region), "region%u", index);
		json_object_array_add(
			all,
			!strcmp(mode, "namespaces")
				? provision_namespaces(
					  id, cmdline,
					  age && !strcmp(age, "new"), region)
				: provision_one(id, mode,
						age && !strcmp(age, "new"),
						region));
	}
	free(list);
	return all;
}

/*
 * A hot-plugged NVDIMM: QEMU notifies the NFIT, the kernel adds a region;
 * the new one is the region not seen before.  It is provisioned once its
 * driver has bound and its namespaces are known, never earlier: a region
 * still being probed looks empty, and an empty region would get a new
 * namespace over the labels it already has.
 */
json_object *provision_attached_nvdimm(const char *arg, int timeout_ms)
{
	char *item = xstrdup(arg), *mode = strchr(item, ':'), *age = NULL;
	char region[NAME_MAX + 1] = "";
	json_object *r;

	if (mode) {
		*mode++ = '\0';
		age = strchr(mode, ':');
		if (age)
			*age++ = '\0';
	}
	if (!mode || !age) {
		free(item);
		r = json_object_new_object();
		json_object_object_add(r, "status",
				       json_object_new_string("bad request"));
		return r;
	}
	for (int waited = 0; waited < timeout_ms; waited += 100) {
		if (!region[0])
			new_region(region, sizeof(region));
		if (region[0] && region_ready(region))
			break;
		usleep(100 * 1000);
	}
	if (!region[0] || !region_ready(region)) {
		r = json_object_new_object();
		json_object_object_add(r, "id", json_object_new_string(item));
		json_object_object_add(
			r, "status",
			json_object_new_string(
				region[0] ? "region never became ready"
					  : "no new region appeared"));
		free(item);
		return r;
	}
	known_add(region);
	r = provision_one(item, mode, !strcmp(age, "new"), region);
	free(item);
	return r;
}

/*
 * Soft-reserved nodes, marked memmap=SIZE!ADDR: the kernel's nd_e820 makes
 * each range a legacy pmem region on the node it belongs to.  Its contents
 * are RAM, new at every boot, so it is always given a devdax namespace and
 * onlined with daxctl.
 */
/* The device-dax device dax_hmem made for @node's soft-reserved range. */
static bool hmem_dax(int node, char *out, size_t len)
{
	DIR *d = opendir("/sys/bus/dax/devices");
	struct dirent *e;
	bool found = false;

	while (d && !found && (e = readdir(d))) {
		char *path, *t;

		if (strncmp(e->d_name, "dax", 3))
			continue;
		path = xasprintf("/sys/bus/dax/devices/%s/target_node",
				 e->d_name);
		t = prov_read_small(path);
		if (*t && atoi(t) == node) {
			snprintf(out, len, "%s", e->d_name);
			found = true;
		}
		free(t);
		free(path);
	}
	if (d)
		closedir(d);
	return found;
}

/* Whether tiervm.dax's @pieces divide @node. */
static bool divided(const char *pieces, int node)
{
	char *prefix = xasprintf("%d:", node);
	bool found = false;

	for (const char *p = pieces; p && *p && !found; p = strchr(p, ',')) {
		p += *p == ',';
		found = !strncmp(p, prefix, strlen(prefix));
	}
	free(prefix);
	return found;
}

json_object *provision_soft_reserved(const char *cmdline)
{
	json_object *all = json_object_new_array(), *regions;
	char *list = prov_cmdline_arg(cmdline, "tiervm.softreserved"),
	     *pieces = prov_cmdline_arg(cmdline, "tiervm.dax"), *save = NULL,
	     *out;
	int st;

	if (!list)
		return all;
	out = prov_run("ndctl list -R 2>/dev/null", &st);
	regions = json_tokener_parse(out);
	free(out);
	if (regions && json_object_is_type(regions, json_type_object)) {
		json_object *a = json_object_new_array();

		json_object_array_add(a, regions);
		regions = a;
	}
	for (char *item = strtok_r(list, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		json_object *r = json_object_new_object(), *ns = NULL;
		const char *region = NULL, *status = "ok";
		struct sbuf log = { 0 };
		int node = atoi(item);
		char *cmd, dax[NAME_MAX + 1];

		/*
		 * The range left System RAM, so its node is offline: the region's
		 * numa_node falls back to an online node, its target_node is it.
		 */
		for (size_t i = 0;
		     regions && i < json_object_array_length(regions); i++) {
			json_object *g = json_object_array_get_idx(regions, i);
			char *path = xasprintf(
				"/sys/bus/nd/devices/%s/target_node",
				prov_str(g, "dev") ? prov_str(g, "dev")
						   : "none");
			char *t = prov_read_small(path);

			if (*t && atoi(t) == node)
				region = prov_str(g, "dev");
			free(t);
			free(path);
		}
		json_object_object_add(r, "node", json_object_new_int(node));
		if (hmem_dax(node, dax, sizeof(dax))) {
			/* dax_hmem made the device already */
			json_object_object_add(r, "dax",
					       json_object_new_string(dax));
			status = divided(pieces, node)
					 ? provision_divide_dax(dax, node,
								pieces, r, &log)
					 : prov_online_dax(dax, &log);
			goto next;
		}
		if (!region) {
			status =
				"no legacy pmem region on this node (memmap= not honoured?)";
			goto next;
		}
		json_object_object_add(r, "region",
				       json_object_new_string(region));
		ns = prov_find_namespace(region);
		cmd = ns ? xasprintf(
				   "ndctl create-namespace -f -e %s -m devdax 2>&1",
				   prov_str(ns, "dev"))
			 : xasprintf(
				   "ndctl create-namespace -r %s -m devdax 2>&1",
				   region);
		out = prov_run_logged(cmd, &log, &st);
		free(cmd);
		json_object_put(ns);
		ns = prov_created_namespace(out, region);
		free(out);
		if (!ns || !prov_chardev(ns)) {
			status = "no devdax namespace";
			goto next;
		}
		status = prov_online_dax(prov_chardev(ns), &log);
	next:
		json_object_object_add(r, "status",
				       json_object_new_string(status));
		json_object_object_add(
			r, "log", json_object_new_string(log.s ? log.s : ""));
		sbuf_free(&log);
		json_object_put(ns);
		json_object_array_add(all, r);
	}
	json_object_put(regions);
	free(pieces);
	free(list);
	return all;
}
