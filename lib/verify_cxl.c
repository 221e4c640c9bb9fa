// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The guest's CXL tree against the declared one, read from the guest's
 * /sys/bus/cxl (the report's "guest.cxl", lib/host_devices.c):
 *   - host bridges by their _UID (QEMU makes it the bus_nr), each with its
 *     root ports (the bridge port's dports);
 *   - each device found by its serial number, placed by its PCI path
 *     (pciDDDD:BB/root port/[switch upstream/downstream/]device/memN);
 *   - each window as root decoder decoder0.N: size, ways, granularity,
 *     targets;
 *   - each region: its root decoder, ways, granularity, size, commit, and
 *     its targets' memdevs, by serial, in position order;
 *   - and what the guest made of it (the report's "cxl").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "util_json.h"
#include "verify_internal.h"

/* Element @i of list @a as a string; "" when it is none. */
static const char *sidx(json_object *a, size_t i)
{
	const char *v = json_object_get_string(jidx(a, i));

	return v ? v : "";
}

/* The guest entry of @type whose @key is @value. */
static json_object *find(json_object *list, const char *type, const char *key,
			 const char *value)
{
	for (size_t i = 0; value && list && i < jlen(list); i++) {
		json_object *e = jidx(list, i);

		if (!strcmp(jstr(e, "type", ""), type) &&
		    !strcmp(jstr(e, key, ""), value))
			return e;
	}
	return NULL;
}

/* In "ID=target,...", the ID of @target (-1: none). */
static long dport_id(const char *dports, const char *target)
{
	size_t tl = strlen(target);

	for (const char *p = dports; p && *p;) {
		const char *eq = strchr(p, '='), *end = strchr(p, ',');

		if (!end)
			end = p + strlen(p);
		if (eq && eq < end && (size_t)(end - eq - 1) == tl &&
		    !strncmp(eq + 1, target, tl))
			return strtol(p, NULL, 10);
		p = *end ? end + 1 : end;
	}
	return -1;
}

static unsigned dport_count(const char *dports)
{
	unsigned n = dports && *dports ? 1 : 0;

	for (const char *p = dports; p && *p; p++)
		n += *p == ',';
	return n;
}

/* The bridge port of the host bridge with _UID @uid. */
static json_object *bridge_port(json_object *g, long long uid)
{
	char id[24];
	json_object *root = NULL;

	for (size_t i = 0; g && i < jlen(g); i++) {
		json_object *e = jidx(g, i);

		if (!strcmp(jstr(e, "type", ""), "root"))
			root = e;
	}
	snprintf(id, sizeof(id), "%lld=", uid);
	for (const char *p = jstr(root, "dports", ""); *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (!strncmp(p, id, strlen(id))) {
			char acpi[64];

			snprintf(acpi, sizeof(acpi), "%.*s",
				 (int)(n - strlen(id)), p + strlen(id));
			return find(g, "port", "uport", acpi);
		}
		p += n + (end ? 1 : 0);
	}
	return NULL;
}

/*
 * The components of sysfs path @path, at most 16, in *@copy (to free):
 * "pci0000:0c/0000:0c:00.0/0000:0d:00.0/mem0" has four.
 */
static unsigned path_parts(const char *path, char **copy, char *parts[16])
{
	char *save = NULL;
	unsigned n = 0;

	*copy = xstrdup(path);
	for (char *p = strtok_r(*copy, "/", &save); p && n < 16;
	     p = strtok_r(NULL, "/", &save))
		parts[n++] = p;
	return n;
}

/*
 * Where memdev @m sits, as "hbID port N[, switch port M]", from its PCI
 * path: pciDDDD:BB/RP/[USP/DSP/]DEV/memN, BB the bridge's _UID in hex.
 */
static char *guest_place(json_object *g, json_object *m, json_object *hbs)
{
	char *path, *parts[16];
	unsigned n = path_parts(jstr(m, "path", ""), &path, parts), bus = 0;
	const char *hb = "?";
	json_object *port;
	struct sbuf b = { 0 };

	if (n < 4 || sscanf(parts[0], "pci%*x:%x", &bus) != 1) {
		free(path);
		return xstrdup("not below a host bridge");
	}
	for (size_t i = 0; hbs && i < jlen(hbs); i++) {
		json_object *h = jidx(hbs, i);

		if (jint(h, "uid", -1) == (long long)bus)
			hb = jstr(h, "id", "?");
	}
	port = bridge_port(g, bus);
	sbuf_addf(&b, "%s port %ld", hb,
		  dport_id(jstr(port, "dports", ""), parts[1]));
	if (n >= 6) {
		json_object *sw = find(g, "port", "uport", parts[2]);

		sbuf_addf(&b, ", switch port %ld",
			  dport_id(jstr(sw, "dports", ""), parts[3]));
	}
	free(path);
	return b.s;
}

static char *expected_place(json_object *topo, json_object *dev)
{
	json_object *hbs = jget(topo, "host_bridges"),
		    *sws = jget(topo, "switches");
	struct sbuf b = { 0 };
	for (size_t i = 0; hbs && i < jlen(hbs); i++) {
		json_object *h = jidx(hbs, i), *rps = jget(h, "root_ports");

		for (size_t r = 0; rps && r < jlen(rps); r++) {
			const char *rp = sidx(rps, r);

			if (!strcmp(rp, jstr(dev, "root_port", "")))
				sbuf_addf(&b, "%s port %zu", jstr(h, "id", ""),
					  r);
		}
	}
	for (size_t i = 0; sws && i < jlen(sws); i++) {
		json_object *s = jidx(sws, i),
			    *dps = jget(s, "downstream_ports");

		for (size_t k = 0; dps && k < jlen(dps); k++)
			if (!strcmp(sidx(dps, k),
				    jstr(dev, "downstream_port", "")))
				sbuf_addf(&b, ", switch port %zu", k);
	}
	return b.s ? b.s : xstrdup("?");
}

/*
 * A switch's port, found through a device declared below it: the upstream
 * port is the PCI function above the device's downstream port.
 */
static json_object *switch_port(json_object *g, json_object *topo,
				const char *sw)
{
	json_object *devs = jget(topo, "devices");

	for (size_t i = 0; devs && i < jlen(devs); i++) {
		json_object *d = jidx(devs, i), *m, *port;
		char *path, *parts[16];
		unsigned n;

		if (strcmp(jstr(d, "switch", ""), sw))
			continue;
		m = find(g, "memdev", "serial", jstr(d, "serial", ""));
		n = path_parts(jstr(m, "path", ""), &path, parts);
		port = n >= 6 ? find(g, "port", "uport", parts[2]) : NULL;
		free(path);
		if (port)
			return port;
	}
	return NULL;
}

/* Whether sysfs path ".../root0/port1" is a child of a CXL root. */
static bool parent_is_root(const char *path)
{
	const char *last = strrchr(path, '/'), *prev = last;

	while (prev && prev > path && prev[-1] != '/')
		prev--;
	return last && prev && !strncmp(prev, "root", 4) && prev < last;
}

/* One row: guest @port (may be NULL: @missing) has @want dports. */
static void ports_row(struct tiervm_verdict *v, const char *what,
		      json_object *port, size_t want, const char *missing)
{
	char e[32];

	snprintf(e, sizeof(e), "%zu", want);
	verify_row(v,
		   port && dport_count(jstr(port, "dports", "")) == want
			   ? "ok"
			   : "FAIL",
		   what, e, port ? jstr(port, "dports", "none") : missing);
}

static void verify_bridges(struct tiervm_verdict *v, json_object *topo,
			   json_object *g)
{
	json_object *hbs = jget(topo, "host_bridges"),
		    *sws = jget(topo, "switches");
	unsigned ports = 0;
	char what[128], e[64], s[64];

	for (size_t i = 0; g && i < jlen(g); i++) {
		json_object *x = jidx(g, i);

		ports += !strcmp(jstr(x, "type", ""), "port") &&
			 parent_is_root(jstr(x, "path", ""));
	}
	snprintf(e, sizeof(e), "%zu", jlen(hbs));
	snprintf(s, sizeof(s), "%u", ports);
	verify_row(v, ports == jlen(hbs) ? "ok" : "FAIL", "CXL host bridges", e,
		   s);
	for (size_t i = 0; hbs && i < jlen(hbs); i++) {
		json_object *h = jidx(hbs, i);
		json_object *port = bridge_port(g, jint(h, "uid", -1));
		size_t want = jlen(jget(h, "root_ports"));

		snprintf(what, sizeof(what),
			 "cxl host bridge %s (uid %lld) root ports",
			 jstr(h, "id", ""), jint(h, "uid", -1));
		ports_row(v, what, port, want, "no such bridge");
	}
	for (size_t i = 0; sws && i < jlen(sws); i++) {
		json_object *sw = jidx(sws, i);
		size_t want = jlen(jget(sw, "downstream_ports"));
		json_object *port = switch_port(g, topo, jstr(sw, "id", ""));

		snprintf(what, sizeof(what), "cxl switch %s downstream ports",
			 jstr(sw, "id", ""));
		ports_row(v, what, port, want,
			  "no switch port found (no device below it?)");
	}
}

static void verify_devs(struct tiervm_verdict *v, json_object *topo,
			json_object *g)
{
	json_object *devs = jget(topo, "devices");
	unsigned memdevs = 0;
	char what[128], e[128];

	for (size_t i = 0; g && i < jlen(g); i++)
		memdevs += !strcmp(jstr(jidx(g, i), "type", ""), "memdev");
	snprintf(e, sizeof(e), "%zu", jlen(devs));
	{
		char s[32];

		snprintf(s, sizeof(s), "%u", memdevs);
		verify_row(v, memdevs == jlen(devs) ? "ok" : "FAIL",
			   "CXL memory devices", e, s);
	}
	for (size_t i = 0; devs && i < jlen(devs); i++) {
		json_object *d = jidx(devs, i);
		json_object *m =
			find(g, "memdev", "serial", jstr(d, "serial", ""));
		bool vol = !strcmp(jstr(d, "type", ""), "volatile");
		char *want = expected_place(topo, d),
		     *got = m ? guest_place(g, m, jget(topo, "host_bridges"))
			      : xstrdup("no memdev with its serial");
		char s[96];

		snprintf(what, sizeof(what), "cxl device %s (%s) place",
			 jstr(d, "id", ""), jstr(d, "serial", ""));
		verify_row(v, !strcmp(want, got) ? "ok" : "FAIL", what, want,
			   got);
		snprintf(what, sizeof(what), "cxl device %s %s (MiB)",
			 jstr(d, "id", ""), vol ? "volatile" : "persistent");
		snprintf(e, sizeof(e), "%lld", jint(d, "size", 0) >> 20);
		snprintf(s, sizeof(s), "%lld",
			 jint(m, vol ? "ram_size" : "pmem_size", -1) >> 20);
		verify_row(v,
			   m && jint(m, vol ? "ram_size" : "pmem_size", -1) ==
						   jint(d, "size", 0)
				   ? "ok"
				   : "FAIL",
			   what, e, s);
		free(want);
		free(got);
	}
}

static void verify_windows(struct tiervm_verdict *v, json_object *topo,
			   json_object *g)
{
	json_object *wins = jget(topo, "windows"),
		    *hbs = jget(topo, "host_bridges");

	for (size_t i = 0; wins && i < jlen(wins); i++) {
		json_object *w = jidx(wins, i), *bl;
		char name[32], what[128], *want, *got;
		struct sbuf uids = { 0 };
		json_object *dec;

		snprintf(name, sizeof(name), "decoder0.%zu", i);
		dec = jfind_str(g, "name", name);
		bl = jget(w, "host_bridges");
		for (size_t k = 0; bl && k < jlen(bl); k++) {
			const char *id = sidx(bl, k);

			for (size_t h = 0; h < jlen(hbs); h++)
				if (!strcmp(jstr(jidx(hbs, h), "id", ""), id))
					sbuf_addf(
						&uids, "%s%lld", k ? "," : "",
						jint(jidx(hbs, h), "uid", -1));
		}
		/* one bridge interleaves nothing: no granularity to show */
		want = jlen(bl) == 1
			       ? xasprintf("%lldM, 1 way, to %s",
					   jint(w, "size", 0) >> 20,
					   uids.s ? uids.s : "")
			       : xasprintf("%lldM, %zu ways at %lld, to %s",
					   jint(w, "size", 0) >> 20, jlen(bl),
					   jint(w, "granularity", 0),
					   uids.s ? uids.s : "");
		got = !dec ? xstrdup("no such root decoder")
		      : jint(dec, "ways", -1) == 1
			      ? xasprintf("%lldM, 1 way, to %s",
					  jint(dec, "size", 0) >> 20,
					  jstr(dec, "targets", ""))
			      : xasprintf("%lldM, %lld ways at %lld, to %s",
					  jint(dec, "size", 0) >> 20,
					  jint(dec, "ways", -1),
					  jint(dec, "granularity", -1),
					  jstr(dec, "targets", ""));
		snprintf(what, sizeof(what), "cxl window %s (%s)",
			 jstr(w, "id", ""), name);
		verify_row(v, !strcmp(want, got) ? "ok" : "FAIL", what, want,
			   got);
		sbuf_free(&uids);
		free(want);
		free(got);
	}
}

/* The serial of the memdev behind endpoint decoder @epd ("decoder5.0"). */
static const char *epd_serial(json_object *g, const char *epd)
{
	char ep[32];
	unsigned n;
	json_object *port;

	if (sscanf(epd, "decoder%u.", &n) != 1)
		return "?";
	snprintf(ep, sizeof(ep), "endpoint%u", n);
	port = jfind_str(g, "name", ep);
	return jstr(jfind_str(g, "name", jstr(port, "uport", "")), "serial",
		    "?");
}

static void verify_region(struct tiervm_verdict *v, json_object *e,
			  json_object *report, json_object *g,
			  json_object *guest, long long dram_tier)
{
	json_object *rep, *reg, *sns = jget(e, "serials"), *gn;
	const char *mode = jstr(e, "mode", "");
	char what[128], gs[160], *want, *got, dec[32];
	struct sbuf order = { 0 };

	rep = jfind_str(jget(report, "cxl"), "id", jstr(e, "id", ""));
	reg = jfind_str(g, "name", jstr(rep, "cxl_region", ""));
	snprintf(dec, sizeof(dec), "decoder0.%lld", jint(e, "decoder", -1));
	want = xasprintf("%lldM in %s, %lld ways at %lld, committed",
			 jint(e, "size", 0) >> 20, dec, jint(e, "ways", 0),
			 jint(e, "granularity", 0));
	{
		char *path = xstrdup(jstr(reg, "path", "")),
		     *slash = strrchr(path, '/');

		if (slash)
			*slash = '\0';
		slash = strrchr(path, '/');
		got = reg ? xasprintf("%lldM in %s, %lld ways at %lld, %s",
				      jint(reg, "size", 0) >> 20,
				      slash ? slash + 1 : path,
				      jint(reg, "ways", -1),
				      jint(reg, "granularity", -1),
				      jint(reg, "commit", 0) == 1
					      ? "committed"
					      : "not committed")
			  : xasprintf("no region (%s)",
				      jstr(rep, "status", "no report"));
		free(path);
	}
	snprintf(what, sizeof(what), "cxl region %s", jstr(e, "id", ""));
	verify_row(v, !strcmp(want, got) ? "ok" : "FAIL", what, want, got);
	free(want);
	free(got);

	/* positions: each target's memdev, by serial */
	{
		char *targets = xstrdup(jstr(reg, "targets", "")), *save = NULL;

		for (char *t = strtok_r(targets, ",", &save); t;
		     t = strtok_r(NULL, ",", &save))
			sbuf_addf(&order, "%s%s", order.len ? " " : "",
				  epd_serial(g, t));
		free(targets);
	}
	{
		struct sbuf w = { 0 };

		for (size_t k = 0; sns && k < jlen(sns); k++)
			sbuf_addf(&w, "%s%s", k ? " " : "",
				  json_object_get_string(jidx(sns, k)));
		snprintf(what, sizeof(what), "cxl region %s devices in order",
			 jstr(e, "id", ""));
		verify_row(v,
			   w.s && order.s && !strcmp(w.s, order.s) ? "ok"
								   : "FAIL",
			   what, w.s ? w.s : "", order.s ? order.s : "none");
		sbuf_free(&w);
	}
	sbuf_free(&order);

	snprintf(what, sizeof(what), "cxl %s %s", jstr(e, "id", ""), mode);
	snprintf(gs, sizeof(gs), "%s %s", jstr(rep, "cxl_region", "-"),
		 jstr(rep, "status", "no report"));
	verify_row(v, !strcmp(jstr(rep, "status", ""), "ok") ? "ok" : "FAIL",
		   what,
		   !strcmp(mode, "region")   ? "region committed"
		   : !strcmp(mode, "fsdax")  ? "region committed, fsdax"
		   : !strcmp(mode, "devdax") ? "region committed, devdax"
					     : "region committed, onlined",
		   gs);
	if (jget(e, "node")) {
		char es[16];

		snprintf(what, sizeof(what), "cxl %s node", jstr(e, "id", ""));
		snprintf(es, sizeof(es), "%lld", jint(e, "node", -1));
		snprintf(gs, sizeof(gs), "%lld", jint(rep, "node", -1));
		verify_row(v,
			   jint(rep, "node", -2) == jint(e, "node", -1)
				   ? "ok"
				   : "FAIL",
			   what, es, gs);
	}
	/*
	 * Figures: the region's generic ports give the platform's part of
	 * the path; the kernel adds the devices' (CDAT) and the links' to
	 * it.  So the guest's latency is at least the spec's and its
	 * bandwidth at most the spec's per bridge it interleaves, summed,
	 * and present: the kernel used them.
	 */
	if (jget(e, "latency")) {
		char es[48];

		snprintf(what, sizeof(what), "cxl %s read latency (ns)",
			 jstr(e, "id", ""));
		snprintf(es, sizeof(es), ">= %lld (+ devices and links)",
			 jint(e, "latency", 0));
		snprintf(gs, sizeof(gs), "%lld", jint(reg, "read_latency", -1));
		verify_row(v,
			   jint(reg, "read_latency", -1) >=
					   jint(e, "latency", 0)
				   ? "ok"
				   : "FAIL",
			   what, es, gs);
	}
	if (jget(e, "bandwidth")) {
		char es[48];
		long long wbw = (jint(e, "bandwidth", 0) >> 20) *
				jint(e, "bridges", 1),
			  gbw = jint(reg, "read_bandwidth", -1);

		snprintf(what, sizeof(what), "cxl %s read bandwidth (MB/s)",
			 jstr(e, "id", ""));
		snprintf(es, sizeof(es), "<= %lld (%lld bridge%s' paths)", wbw,
			 jint(e, "bridges", 1),
			 jint(e, "bridges", 1) == 1 ? "" : "s");
		snprintf(gs, sizeof(gs), "%lld", gbw);
		verify_row(v, gbw > 0 && gbw <= wbw ? "ok" : "FAIL", what, es,
			   gs);
	}
	if (strcmp(mode, "kmem") || !rep)
		return;
	/* the kernel picks the node: the window's own, after the SRAT's */
	gn = jfind_id(jget(guest, "nodes"), jint(rep, "node", -1));
	snprintf(what, sizeof(what), "cxl %s node %lld memory (MiB)",
		 jstr(e, "id", ""), jint(rep, "node", -1));
	snprintf(gs, sizeof(gs), "%lld", jint(gn, "memory", 0) >> 20);
	verify_row(v,
		   jint(gn, "memory", 0) > 0 &&
				   jint(gn, "memory", 0) <= jint(e, "size", 0)
			   ? "ok"
			   : "FAIL",
		   what, "online, at most the region size", gs);
	snprintf(what, sizeof(what), "cxl %s node %lld memory tier",
		 jstr(e, "id", ""), jint(rep, "node", -1));
	snprintf(gs, sizeof(gs), "%lld", jint(gn, "tier", -1));
	verify_row(v, jint(gn, "tier", -1) > dram_tier ? "ok" : "FAIL", what,
		   "below DRAM's (dax kmem)", gs);
}

void verify_cxl(struct tiervm_verdict *v, json_object *exp, json_object *report,
		json_object *guest, long long dram_tier)
{
	json_object *topo = jget(exp, "cxl_topology"),
		    *regions = jget(exp, "cxl");
	json_object *g = jget(guest, "cxl");

	if (!topo)
		return;
	verify_bridges(v, topo, g);
	verify_devs(v, topo, g);
	verify_windows(v, topo, g);
	for (size_t i = 0; regions && i < jlen(regions); i++)
		verify_region(v, jidx(regions, i), report, g, guest, dram_tier);
	verify_cxl_tool(v, topo, regions, report);
}
