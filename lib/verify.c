// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verify.h"

void verdict_row(struct tiervm_verdict *v, const char *verdict,
		 const char *what, const char *expected, const char *guest)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "what", json_object_new_string(what));
	json_object_object_add(r, "expected", json_object_new_string(expected));
	json_object_object_add(r, "guest", json_object_new_string(guest));
	json_object_object_add(r, "verdict", json_object_new_string(verdict));
	json_object_array_add(v->rows, r);
	if (!strcmp(verdict, "FAIL"))
		v->failed++;
	else if (!strcmp(verdict, "note"))
		v->notes++;
}

static void rowf(struct tiervm_verdict *v, bool ok, const char *what,
		 const char *fmt_exp, long long exp, const char *fmt_got,
		 long long got)
{
	char e[64], g[64];

	snprintf(e, sizeof(e), fmt_exp, exp);
	snprintf(g, sizeof(g), fmt_got, got);
	verdict_row(v, ok ? "ok" : "FAIL", what, e, g);
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static long long geti(json_object *o, const char *key, long long dflt)
{
	json_object *v = get(o, key);

	return v && !json_object_is_type(v, json_type_null)
		       ? (long long)json_object_get_int64(v)
		       : dflt;
}

static const char *gets(json_object *o, const char *key)
{
	json_object *v = get(o, key);

	return v ? json_object_get_string(v) : "";
}

static json_object *find_node(json_object *nodes, long long id)
{
	for (size_t i = 0; nodes && i < json_object_array_length(nodes); i++) {
		json_object *n = json_object_array_get_idx(nodes, i);

		if (geti(n, "id", -1) == id)
			return n;
	}
	return NULL;
}

/* "6.1.0-56-amd64" -> 601 */
static int kernel_version(const char *release)
{
	unsigned a = 0, b = 0;

	sscanf(release, "%u.%u", &a, &b);
	return (int)(a * 100 + b);
}

/* Memory virtio-mem plugs on @node at boot. */
static long long vmem_on(json_object *expected, long long node)
{
	json_object *vm = get(expected, "virtio_mem");
	long long sum = 0;

	for (size_t i = 0; vm && i < json_object_array_length(vm); i++) {
		json_object *d = json_object_array_get_idx(vm, i);

		if (geti(d, "node", -1) == node)
			sum += geti(d, "requested", 0);
	}
	return sum;
}

/* Memory NVDIMMs in kmem mode online on @node. */
static long long kmem_on(json_object *expected, long long node)
{
	json_object *nv = get(expected, "nvdimms");
	long long sum = 0;

	for (size_t i = 0; nv && i < json_object_array_length(nv); i++) {
		json_object *d = json_object_array_get_idx(nv, i);

		if (geti(d, "node", -1) == node &&
		    !strcmp(gets(d, "mode"), "kmem"))
			sum += geti(d, "size", 0);
	}
	return sum;
}

/*
 * Linux 6.7+ (mm/memory-tiers.c, mt_perf_to_adistance) ranks a node by
 * abstract distance from its HMAT figures against DRAM's, the figures of
 * the nodes with cpus: 576 * latency ratio * bandwidth ratio, integer
 * arithmetic in that order, and a tier spans 128 of it (DRAM: tier 4).
 */
static void verify_hmat_tier(struct tiervm_verdict *v, const char *what,
			     json_object *dram, json_object *a, const char *gs)
{
	long long dl =
		geti(dram, "read_latency", 0) + geti(dram, "write_latency", 0);
	long long db = geti(dram, "read_bandwidth", 0) +
		       geti(dram, "write_bandwidth", 0);
	long long l = geti(a, "read_latency", 0) + geti(a, "write_latency", 0);
	long long b =
		geti(a, "read_bandwidth", 0) + geti(a, "write_bandwidth", 0);
	long long adist;
	char es[64];

	if (!dl || !b)
		return;
	adist = 576 * l / dl * db / b;
	snprintf(es, sizeof(es), "%lld (HMAT, 6.7+)", adist / 128);
	verdict_row(v, atoll(gs) == adist / 128 ? "ok" : "FAIL", what, es, gs);
}

static void verify_node(struct tiervm_verdict *v, json_object *exp,
			json_object *guest_root, json_object *e, json_object *g,
			int kver, long long dram_tier, bool boot_node,
			json_object *dram_perf)
{
	long long id = geti(e, "id", -1);
	/* a soft-reserved node's memory comes back through dax kmem */
	bool sr = get(e, "reserved_range") != NULL;
	long long kmem = kmem_on(exp, id) + (sr ? geti(e, "memory", 0) : 0);
	long long mem = geti(e, "memory", 0) + vmem_on(exp, id) +
			(sr ? 0 : kmem_on(exp, id));
	long long gmem = geti(g, "memory", -1);
	/*
	 * MemTotal leaves out what the kernel reserved at boot: its struct
	 * pages (1.6% of the node), firmware ranges, the kernel and initrd on
	 * the first node.  Allow 10% and 64M below, nothing above.  A devdax
	 * namespace keeps its own struct pages and kmem onlines whole 128M
	 * blocks: allow 10% and 128M more for those.  The node holding
	 * address 0 also carries the kernel image, the initrd while it
	 * unpacks and the 64M swiotlb bounce buffer: 128M more there.
	 */
	long long low = mem - mem / 10 - 64 * 1024 * 1024 -
			(kmem ? kmem / 10 + 128 * 1024 * 1024 : 0) -
			(boot_node ? 128 * 1024 * 1024 : 0);
	json_object *ed = get(e, "distances"), *gd = get(g, "distances");
	json_object *ea = get(e, "access0"), *ec = get(e, "caches");
	char what[96], es[256], gs[256];

	snprintf(what, sizeof(what), "node %lld cpus", id);
	verdict_row(v, strcmp(gets(e, "cpus"), gets(g, "cpus")) ? "FAIL" : "ok",
		    what, *gets(e, "cpus") ? gets(e, "cpus") : "-",
		    *gets(g, "cpus") ? gets(g, "cpus") : "-");
	snprintf(what, sizeof(what), "node %lld memory (MiB)", id);
	snprintf(es, sizeof(es), "%lld", mem >> 20);
	snprintf(gs, sizeof(gs), "%lld", gmem >> 20);
	verdict_row(v,
		    mem == 0			 ? (gmem <= 0 ? "ok" : "FAIL")
		    : gmem <= mem && gmem >= low ? "ok"
						 : "FAIL",
		    what, es, gs);
	es[0] = gs[0] = '\0';
	for (size_t j = 0; ed && j < json_object_array_length(ed); j++) {
		char key[24];
		size_t le = strlen(es), lg = strlen(gs);

		snprintf(key, sizeof(key), "%zu", j);
		snprintf(es + le, sizeof(es) - le, "%s%d", j ? " " : "",
			 json_object_get_int(json_object_array_get_idx(ed, j)));
		snprintf(gs + lg, sizeof(gs) - lg, "%s%lld", j ? " " : "",
			 geti(gd, key, -1));
	}
	snprintf(what, sizeof(what), "node %lld distances", id);
	verdict_row(v, strcmp(es, gs) ? "FAIL" : "ok", what, es, gs);

	if (sr) {
		json_object *rr = get(e, "reserved_range"),
			    *io = get(guest_root, "iomem");
		const char *found = "absent";

		snprintf(what, sizeof(what), "node %lld reserved range", id);
		snprintf(es, sizeof(es), "%s-%s %s", gets(rr, "start"),
			 gets(rr, "end"), gets(rr, "as"));
		for (size_t i = 0; io && i < json_object_array_length(io);
		     i++) {
			json_object *r = json_object_array_get_idx(io, i);
			char a[40], b[40];

			snprintf(a, sizeof(a), "0x%s", gets(rr, "start"));
			snprintf(b, sizeof(b), "0x%s", gets(rr, "end"));
			if (!strcmp(gets(r, "name"), gets(rr, "as")) &&
			    !strcmp(gets(r, "start"), a) &&
			    !strcmp(gets(r, "end"), b))
				found = "present";
		}
		verdict_row(v, strcmp(found, "present") ? "FAIL" : "ok", what,
			    es, found);
	}
	if (ea) {
		json_object *acc = get(g, "access"), *ga = NULL;

		for (size_t i = 0; acc && i < json_object_array_length(acc);
		     i++)
			if (geti(json_object_array_get_idx(acc, i), "class",
				 -1) == 0)
				ga = json_object_array_get_idx(acc, i);
		snprintf(what, sizeof(what), "node %lld access0 initiator", id);
		rowf(v, geti(ea, "initiator", -1) == geti(ga, "initiator", -2),
		     what, "%lld", geti(ea, "initiator", -1), "%lld",
		     geti(ga, "initiator", -1));
		snprintf(what, sizeof(what), "node %lld read latency (ns)", id);
		rowf(v,
		     geti(ea, "read_latency", -1) ==
			     geti(ga, "read_latency", -2),
		     what, "%lld", geti(ea, "read_latency", -1), "%lld",
		     geti(ga, "read_latency", -1));
		snprintf(what, sizeof(what), "node %lld read bandwidth (MB/s)",
			 id);
		rowf(v,
		     geti(ea, "read_bandwidth", -1) ==
			     geti(ga, "read_bandwidth", -2),
		     what, "%lld", geti(ea, "read_bandwidth", -1), "%lld",
		     geti(ga, "read_bandwidth", -1));
		snprintf(what, sizeof(what),
			 "node %lld write latency/bandwidth", id);
		snprintf(es, sizeof(es), "%lld / %lld",
			 geti(ea, "write_latency", -1),
			 geti(ea, "write_bandwidth", -1));
		snprintf(gs, sizeof(gs), "%lld / %lld",
			 geti(ga, "write_latency", -1),
			 geti(ga, "write_bandwidth", -1));
		verdict_row(v, strcmp(es, gs) ? "FAIL" : "ok", what, es, gs);
	}
	for (size_t i = 0; ec && i < json_object_array_length(ec); i++) {
		json_object *c = json_object_array_get_idx(ec, i), *gc = NULL;
		json_object *gcs = get(g, "caches");
		long long level = geti(c, "level", 0);

		for (size_t k = 0; gcs && k < json_object_array_length(gcs);
		     k++)
			if (geti(json_object_array_get_idx(gcs, k), "level",
				 -1) == level)
				gc = json_object_array_get_idx(gcs, k);
		snprintf(what, sizeof(what),
			 "node %lld cache L%lld size/line/index/policy", id,
			 level);
		snprintf(es, sizeof(es), "%lld/%lld/%lld/%lld",
			 geti(c, "size", -1), geti(c, "line_size", -1),
			 geti(c, "indexing", -1), geti(c, "write_policy", -1));
		snprintf(gs, sizeof(gs), "%lld/%lld/%lld/%lld",
			 geti(gc, "size", -1), geti(gc, "line_size", -1),
			 geti(gc, "indexing", -1),
			 geti(gc, "write_policy", -1));
		verdict_row(v, strcmp(es, gs) ? "FAIL" : "ok", what, es, gs);
	}
	snprintf(what, sizeof(what), "node %lld memory tier", id);
	snprintf(gs, sizeof(gs), "%lld", geti(g, "tier", -1));
	if (kmem && (sr || !geti(e, "memory", 0)))
		/* dax kmem registers its nodes below DRAM (6.1+) */
		verdict_row(v, geti(g, "tier", -1) > dram_tier ? "ok" : "FAIL",
			    what, "below DRAM's (dax kmem)", gs);
	else if (kver >= 607 && dram_perf && get(e, "access0"))
		verify_hmat_tier(v, what, dram_perf, get(e, "access0"), gs);
	else if (kver < 607)
		/* 6.1-6.6 put every boot node in the default tier (memory_tier4) */
		verdict_row(
			v, geti(g, "tier", -1) == 4 || mem == 0 ? "ok" : "note",
			what, "4 (before 6.7 all boot nodes share one tier)",
			gs);
	else
		verdict_row(v, "note", what,
			    "by HMAT (6.7+ ranks nodes by abstract distance)",
			    gs);
}

static void verify_devices(struct tiervm_verdict *v, json_object *exp,
			   json_object *report, json_object *guest,
			   long long dram_tier)
{
	json_object *nv = get(exp, "nvdimms"), *cxl = get(exp, "cxl");
	long long regions = 0, memdevs = 0;
	json_object *nd = get(guest, "nvdimm"), *gc = get(guest, "cxl");

	for (size_t i = 0; nd && i < json_object_array_length(nd); i++)
		regions +=
			!strcmp(gets(json_object_array_get_idx(nd, i), "type"),
				"region");
	for (size_t i = 0; gc && i < json_object_array_length(gc); i++)
		memdevs +=
			!strcmp(gets(json_object_array_get_idx(gc, i), "type"),
				"memdev");
	if (nv)
		rowf(v, regions >= (long long)json_object_array_length(nv),
		     "NVDIMM regions", "%lld",
		     (long long)json_object_array_length(nv), "%lld", regions);
	for (size_t i = 0; nv && i < json_object_array_length(nv); i++) {
		json_object *e = json_object_array_get_idx(nv, i), *g = NULL;
		json_object *got = get(report, "nvdimms");
		const char *mode = gets(e, "mode");
		char what[96], gs[160];

		for (size_t k = 0; got && k < json_object_array_length(got);
		     k++)
			if (!strcmp(gets(json_object_array_get_idx(got, k),
					 "id"),
				    gets(e, "id")))
				g = json_object_array_get_idx(got, k);
		snprintf(what, sizeof(what), "nvdimm %s namespace",
			 gets(e, "id"));
		snprintf(gs, sizeof(gs), "%s %s (%s)",
			 g ? gets(g, "namespace") : "-",
			 g ? gets(g, "mode") : "-",
			 g ? gets(g, "status") : "no report");
		verdict_row(
			v,
			g && !strcmp(gets(g, "status"), "ok") &&
					!strcmp(gets(g, "mode"),
						!strcmp(mode, "kmem") ? "devdax"
								      : mode)
				? "ok"
				: "FAIL",
			what,
			!strcmp(mode, "kmem") ? "devdax, onlined (kmem)" : mode,
			gs);
	}
	if (cxl)
		rowf(v, memdevs == (long long)json_object_array_length(cxl),
		     "CXL memory devices", "%lld",
		     (long long)json_object_array_length(cxl), "%lld", memdevs);
	for (size_t i = 0; cxl && i < json_object_array_length(cxl); i++) {
		json_object *e = json_object_array_get_idx(cxl, i), *g = NULL;
		json_object *got = get(report, "cxl"), *gn;
		const char *mode = gets(e, "mode");
		char what[96], gs[128];

		for (size_t k = 0; got && k < json_object_array_length(got);
		     k++)
			if (!strcmp(gets(json_object_array_get_idx(got, k),
					 "id"),
				    gets(e, "id")))
				g = json_object_array_get_idx(got, k);
		snprintf(what, sizeof(what), "cxl %s %s", gets(e, "id"), mode);
		snprintf(gs, sizeof(gs), "%s %s", g ? gets(g, "region") : "-",
			 g ? gets(g, "status") : "no report");
		verdict_row(v,
			    g && !strcmp(gets(g, "status"), "ok") ? "ok"
								  : "FAIL",
			    what, "region committed", gs);
		if (strcmp(mode, "kmem") || !g)
			continue;
		/* the kernel picks the node: the window's own, after the SRAT's */
		gn = find_node(get(guest, "nodes"), geti(g, "node", -1));
		snprintf(what, sizeof(what), "cxl %s node %lld memory (MiB)",
			 gets(e, "id"), geti(g, "node", -1));
		snprintf(gs, sizeof(gs), "%lld", geti(gn, "memory", 0) >> 20);
		verdict_row(v,
			    geti(gn, "memory", 0) > 0 &&
					    geti(gn, "memory", 0) <=
						    geti(e, "size", 0)
				    ? "ok"
				    : "FAIL",
			    what, "online, at most the device size", gs);
		snprintf(what, sizeof(what), "cxl %s node %lld memory tier",
			 gets(e, "id"), geti(g, "node", -1));
		snprintf(gs, sizeof(gs), "%lld", geti(gn, "tier", -1));
		verdict_row(v, geti(gn, "tier", -1) > dram_tier ? "ok" : "FAIL",
			    what, "below DRAM's (dax kmem)", gs);
	}
}

void tiervm_verify(const struct tiervm_plan *plan, json_object *report,
		   struct tiervm_verdict *v)
{
	json_object *exp_nodes = get(plan->expected, "nodes");
	json_object *guest = get(report, "guest");
	json_object *gnodes = get(guest, "nodes");
	int kver = kernel_version(gets(report, "kernel"));
	size_t n = json_object_array_length(exp_nodes), online = 0;
	long long dram_tier = -1;
	bool boot_seen = false;
	json_object *dram_perf = NULL;
	char es[32], gs[32];

	memset(v, 0, sizeof(*v));
	v->rows = json_object_new_array();
	verdict_row(v, "note", "guest kernel", "-", gets(report, "kernel"));
	for (size_t i = 0; gnodes && i < json_object_array_length(gnodes);
	     i++) {
		json_object *g = json_object_array_get_idx(gnodes, i);

		/* nodes the kernel knows but never onlined have no memory or cpus */
		online += geti(g, "memory", 0) > 0 || *gets(g, "cpus");
	}
	snprintf(es, sizeof(es), "%zu", n);
	snprintf(gs, sizeof(gs), "%zu", online);
	verdict_row(v, online >= n ? "ok" : "FAIL", "NUMA nodes online", es,
		    gs);
	for (size_t i = 0; gnodes && i < json_object_array_length(gnodes);
	     i++) {
		json_object *g = json_object_array_get_idx(gnodes, i);

		if (*gets(g, "cpus") && dram_tier < 0)
			dram_tier = geti(g, "tier", -1);
	}
	/* DRAM's figures: those of the first node with cpus and memory */
	for (size_t i = 0; i < n && !dram_perf; i++) {
		json_object *e = json_object_array_get_idx(exp_nodes, i);

		if (*gets(e, "cpus") && geti(e, "memory", 0))
			dram_perf = get(e, "access0");
	}
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(exp_nodes, i);
		json_object *g = find_node(gnodes, geti(e, "id", -1));
		/* QEMU lays node memory out in id order from address 0 */
		bool boot_node = geti(e, "memory", 0) > 0 && !boot_seen;
		char what[64];

		if (!g) {
			snprintf(what, sizeof(what), "node %lld",
				 geti(e, "id", -1));
			verdict_row(v, geti(e, "memory", 0) ? "FAIL" : "note",
				    what, "present", "absent");
			continue;
		}
		boot_seen |= boot_node;
		verify_node(v, plan->expected, guest, e, g, kver, dram_tier,
			    boot_node, dram_perf);
	}
	verify_devices(v, plan->expected, report, guest, dram_tier);
	verify_hwloc(report, v);
}

void tiervm_verdict_clear(struct tiervm_verdict *v)
{
	json_object_put(v->rows);
	memset(v, 0, sizeof(*v));
}

char *tiervm_verdict_format(const struct tiervm_verdict *v)
{
	struct sbuf b = { 0 };

	sbuf_addf(&b, "%-40s %-34s %-20s %s\n", "", "spec", "guest", "verdict");
	for (size_t i = 0; i < json_object_array_length(v->rows); i++) {
		json_object *r = json_object_array_get_idx(v->rows, i);

		sbuf_addf(&b, "%-40s %-34s %-20s %s\n", gets(r, "what"),
			  gets(r, "expected"), gets(r, "guest"),
			  gets(r, "verdict"));
	}
	sbuf_addf(&b, "\n%s: %u mismatch%s, %u note%s\n",
		  v->failed ? "FAIL" : "MATCH", v->failed,
		  v->failed == 1 ? "" : "es", v->notes,
		  v->notes == 1 ? "" : "s");
	return b.s;
}
