// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * An NVDIMM divided into several namespaces (the spec's `namespaces`,
 * tiervm.ns.ID=SIZE:MODE:ALIGN,...), as ndctl divides a region by its
 * labels.  A new backing file's label area is empty, which the kernel
 * takes for a label-less region (one raw namespace spanning it): its
 * labels are initialised first (disable-region, init-labels,
 * enable-region), then each namespace is made in order.  An existing file
 * is never changed: its namespaces are only reported.
 */
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "provision_internal.h"

/* The DIMM of @region: "nmem0" from its mapping0 ("nmem0,0,SIZE,0"). */
static char *region_dimm(const char *region)
{
	char *p = xasprintf("/sys/bus/nd/devices/%s/mapping0", region);
	char *m = prov_read_small(p);

	free(p);
	m[strcspn(m, ",")] = '\0';
	return m;
}

/* Labels, then each namespace: "ok" or what failed first. */
static const char *make(const char *region, const char *list, struct sbuf *log)
{
	char *dimm = region_dimm(region), *copy = xstrdup(list), *save = NULL;
	const char *status = "ok";
	char *cmd;
	int st;

	cmd = xasprintf(
		"ndctl disable-region %s 2>&1 && ndctl init-labels %s 2>&1 && ndctl enable-region %s 2>&1",
		region, dimm, region);
	free(prov_run_logged(cmd, log, &st));
	free(cmd);
	if (st)
		status = "ndctl could not initialise the labels";
	for (char *item = strtok_r(copy, ",", &save); item && !st;
	     item = strtok_r(NULL, ",", &save)) {
		unsigned long long size, align;
		char mode[16], *a;

		if (sscanf(item, "%llu:%15[a-z]:%llu", &size, mode, &align) !=
		    3)
			continue;
		a = strcmp(mode, "devdax") && strcmp(mode, "kmem")
			    ? xstrdup("")
			    : xasprintf(" -a %llu", align);
		cmd = xasprintf(
			"ndctl create-namespace -r %s -s %llu -m %s%s 2>&1",
			region, size, !strcmp(mode, "kmem") ? "devdax" : mode,
			a);
		free(prov_run_logged(cmd, log, &st));
		free(cmd);
		free(a);
		if (st)
			status = "ndctl create-namespace failed";
	}
	free(copy);
	free(dimm);
	return status;
}

/* The spec's mode of namespace @i in @list, "" past its end. */
static char *wanted(const char *list, size_t i)
{
	const char *p = list;
	char mode[16] = "";

	for (; p && i; i--)
		if ((p = strchr(p, ',')))
			p++;
	if (p)
		sscanf(p, "%*u:%15[a-z]", mode);
	return xstrdup(mode);
}

/* namespaceR.N by N */
static int by_dev(const void *a, const void *b)
{
	const char *x = prov_str(*(json_object *const *)a, "dev");
	const char *y = prov_str(*(json_object *const *)b, "dev");
	long nx = x && strchr(x, '.') ? atol(strchr(x, '.') + 1) : 0;
	long ny = y && strchr(y, '.') ? atol(strchr(y, '.') + 1) : 0;

	return (nx > ny) - (nx < ny);
}

/*
 * The region's namespaces as they are (dev, size, mode with kmem told
 * apart), those the spec wants as kmem onlined: at every boot, for the
 * memory is the kernel's only while it runs.
 */
static json_object *found(const char *region, const char *list,
			  struct sbuf *log, const char **status)
{
	char *cmd = xasprintf("ndctl list -N -X -r %s 2>/dev/null", region);
	char *out = prov_run(cmd, NULL);
	json_object *got = json_tokener_parse(out), *all;

	free(out);
	free(cmd);
	if (got && json_object_is_type(got, json_type_object)) {
		json_object *a = json_object_new_array();

		json_object_array_add(a, got);
		got = a;
	}
	/* ndctl lists the newest first; the spec's order is creation order */
	if (got)
		json_object_array_sort(got, by_dev);
	all = json_object_new_array();
	for (size_t i = 0; got && i < json_object_array_length(got); i++) {
		json_object *ns = json_object_array_get_idx(got, i);
		json_object *o = json_object_new_object();
		json_object *dax = prov_dax_device(ns);
		const char *mode = prov_str(ns, "mode"),
			   *dev = prov_str(ns, "dev");
		char *p = xasprintf("/sys/bus/nd/devices/%s/size",
				    dev ? dev : "none");
		char *size = prov_read_small(p), *want = wanted(list, i);

		if (dax && !strcmp(want, "kmem") && prov_str(dax, "chardev")) {
			const char *st =
				prov_online_dax(prov_str(dax, "chardev"), log);

			if (strcmp(st, "ok") && !strcmp(*status, "ok"))
				*status = st;
			mode = strcmp(st, "ok") ? mode : "kmem";
		}
		json_object_object_add(o, "dev",
				       json_object_new_string(dev ? dev : ""));
		json_object_object_add(
			o, "mode", json_object_new_string(mode ? mode : ""));
		json_object_object_add(o, "size",
				       json_object_new_int64(atoll(size)));
		json_object_array_add(all, o);
		free(want);
		free(size);
		free(p);
	}
	json_object_put(got);
	return all;
}

json_object *provision_namespaces(const char *id, const char *cmdline,
				  bool fresh, const char *region)
{
	json_object *r = json_object_new_object();
	char *key = xasprintf("tiervm.ns.%s", id);
	char *list = prov_cmdline_arg(cmdline, key);
	struct sbuf log = { 0 };
	const char *status = "ok";

	json_object_object_add(r, "id", json_object_new_string(id));
	json_object_object_add(r, "region", json_object_new_string(region));
	json_object_object_add(r, "wanted",
			       json_object_new_string("namespaces"));
	boot_load_group("dax");
	if (!list)
		status = "no tiervm.ns argument";
	else if (fresh)
		status = make(region, list, &log);
	json_object_object_add(r, "namespaces",
			       found(region, list ? list : "", &log, &status));
	json_object_object_add(r, "status", json_object_new_string(status));
	json_object_object_add(r, "log",
			       json_object_new_string(log.s ? log.s : ""));
	sbuf_free(&log);
	free(list);
	free(key);
	return r;
}
