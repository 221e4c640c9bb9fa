// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util_json.h"
#include "verify_internal.h"

void verify_row(struct tiervm_verdict *v, const char *verdict, const char *what,
		const char *expected, const char *guest)
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
	verify_row(v, ok ? "ok" : "FAIL", what, e, g);
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
	json_object *vm = jget(expected, "virtio_mem");
	long long sum = 0;

	for (size_t i = 0; vm && i < jlen(vm); i++) {
		json_object *d = jidx(vm, i);

		if (jint(d, "node", -1) == node)
			sum += jint(d, "requested", 0);
	}
	return sum;
}

/* Memory NVDIMMs in kmem mode online on @node. */
static long long kmem_on(json_object *expected, long long node)
{
	json_object *nv = jget(expected, "nvdimms");
	long long sum = 0;

	for (size_t i = 0; nv && i < jlen(nv); i++) {
		json_object *d = jidx(nv, i);

		json_object *ns = jget(d, "namespaces");

		if (jint(d, "node", -1) != node)
			continue;
		if (!ns && !strcmp(jstr(d, "mode", ""), "kmem"))
			sum += jint(d, "size", 0);
		for (size_t k = 0; k < jlen(ns); k++)
			if (!strcmp(jstr(jidx(ns, k), "mode", ""), "kmem"))
				sum += jint(jidx(ns, k), "size", 0);
	}
	return sum;
}

/*
 * Linux onlines a node at boot only when it has cpus or memory: a node
 * with neither waits for a hot-plug (virtio-mem, an attached NVDIMM).
 */
static bool has_boot_memory(json_object *expected, json_object *e)
{
	long long id = jint(e, "id", -1);

	return *jstr(e, "cpus", "") || jint(e, "memory", 0) > 0 ||
	       vmem_on(expected, id) > 0 || kmem_on(expected, id) > 0;
}

/*
 * The nodes the guest must show online once provisioned: those with boot
 * memory, and one more per CXL region onlined as system RAM (the kernel
 * makes a node for it).  More is as wrong as fewer.
 */
static size_t boot_online(json_object *expected)
{
	json_object *nodes = jget(expected, "nodes"),
		    *cxl = jget(expected, "cxl");
	size_t n = 0;

	for (size_t i = 0; nodes && i < jlen(nodes); i++)
		n += has_boot_memory(expected, jidx(nodes, i));
	for (size_t i = 0; cxl && i < jlen(cxl); i++)
		n += !strcmp(jstr(jidx(cxl, i), "mode", ""), "kmem");
	return n;
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
		jint(dram, "read_latency", 0) + jint(dram, "write_latency", 0);
	long long db = jint(dram, "read_bandwidth", 0) +
		       jint(dram, "write_bandwidth", 0);
	long long l = jint(a, "read_latency", 0) + jint(a, "write_latency", 0);
	long long b =
		jint(a, "read_bandwidth", 0) + jint(a, "write_bandwidth", 0);
	long long adist;
	char es[64];

	if (!dl || !b)
		return;
	adist = 576 * l / dl * db / b;
	snprintf(es, sizeof(es), "%lld (HMAT, 6.7+)", adist / 128);
	verify_row(v, atoll(gs) == adist / 128 ? "ok" : "FAIL", what, es, gs);
}

/* What of a soft-reserved node the kernel gets: all, or its kmem devices. */
static long long sr_kmem(json_object *e)
{
	json_object *pieces = jget(e, "dax");
	long long sum = 0;

	if (!pieces)
		return jint(e, "memory", 0);
	for (size_t i = 0; i < jlen(pieces); i++)
		if (!strcmp(jstr(jidx(pieces, i), "mode", ""), "kmem"))
			sum += jint(jidx(pieces, i), "size", 0);
	return sum;
}

/*
 * Soft-reserved memory is the kernel's only when dax_hmem made a device
 * of it (source hmem, target node the spec's) and kmem onlined it.
 */
static void verify_hmem(struct tiervm_verdict *v, json_object *guest_root,
			long long id)
{
	json_object *dax = jget(guest_root, "dax");
	char what[64], gs[96] = "none";
	bool ok = false;

	for (size_t i = 0; dax && i < jlen(dax); i++) {
		json_object *d = jidx(dax, i);

		if (jint(d, "target_node", -1) != id)
			continue;
		snprintf(gs, sizeof(gs), "%s from %s, driver %s",
			 jstr(d, "name", "?"), jstr(d, "source", "?"),
			 jstr(d, "driver", "none"));
		ok = !strcmp(jstr(d, "source", ""), "hmem") &&
		     !strcmp(jstr(d, "driver", ""), "kmem");
	}
	snprintf(what, sizeof(what), "node %lld dax device", id);
	verify_row(v, ok ? "ok" : "FAIL", what, "hmem, driver kmem", gs);
}

/*
 * A divided soft-reserved node: its hmem devices with capacity, in the
 * order daxctl made them (names grow), one row each: size, align, mode.
 */
static void verify_dax_pieces(struct tiervm_verdict *v, json_object *guest_root,
			      json_object *pieces, long long id)
{
	json_object *dax = jget(guest_root, "dax");
	size_t k = 0;

	for (size_t i = 0; i < jlen(pieces); i++) {
		json_object *e = jidx(pieces, i), *g = NULL;
		const char *mode = jstr(e, "mode", "");
		char what[64], es[96], gs[128] = "none";

		for (; dax && k < jlen(dax) && !g; k++) {
			json_object *d = jidx(dax, k);

			if (jint(d, "target_node", -1) == id &&
			    !strcmp(jstr(d, "source", ""), "hmem") &&
			    jint(d, "size", 0) > 0)
				g = d;
		}
		snprintf(what, sizeof(what), "node %lld dax[%zu]", id, i);
		snprintf(es, sizeof(es), "%lldM align %lldK %s",
			 jint(e, "size", 0) >> 20, jint(e, "align", 0) >> 10,
			 mode);
		if (g)
			snprintf(gs, sizeof(gs), "%s: %lldM align %lldK %s",
				 jstr(g, "name", "?"), jint(g, "size", 0) >> 20,
				 jint(g, "align", 0) >> 10,
				 !strcmp(jstr(g, "driver", ""), "kmem") ? "kmem"
				 : !strcmp(jstr(g, "driver", ""), "device_dax")
					 ? "devdax"
					 : "unbound");
		verify_row(v,
			   g && !strcmp(strchr(gs, ' ') + 1, es) ? "ok"
								 : "FAIL",
			   what, es, gs);
	}
}

/*
 * A node's kind, where the guest shows a device for it: the dax device
 * behind a kmem node says NVDIMM (pmem), CXL or hmem (soft-reserved).
 * Boot memory looks the same whatever the spec calls it; Linux 6.7+ ranks
 * it by its HMAT figures, which the tier rows check.
 */
static void verify_kind(struct tiervm_verdict *v, json_object *e,
			json_object *g)
{
	const char *want = jstr(e, "kind", ""), *got = jstr(g, "kind", ""),
		   *as = jstr(jget(e, "reserved_range"), "as", "");
	char what[48];

	if (!json_object_get_boolean(jget(e, "kind_given")) ||
	    strncmp(jstr(g, "evidence", ""), "/sys/bus/dax/devices/", 21))
		return;
	snprintf(what, sizeof(what), "node %lld kind", jint(e, "id", -1));
	/* the legacy-pmem fallback makes soft-reserved memory an NVDIMM */
	if (!strcmp(want, "soft-reserved") && !strcmp(got, "pmem") &&
	    strstr(as, "legacy"))
		verify_row(v, "note", what, want, "pmem (legacy fallback)");
	else
		verify_row(v, strcmp(want, got) ? "FAIL" : "ok", what, want,
			   got);
}

static void verify_node(struct tiervm_verdict *v, json_object *exp,
			json_object *guest_root, json_object *e, json_object *g,
			int kver, long long dram_tier, bool boot_node,
			json_object *dram_perf)
{
	long long id = jint(e, "id", -1);
	/* a soft-reserved node's memory comes back through dax kmem */
	bool sr = jget(e, "reserved_range") != NULL;
	long long kmem = kmem_on(exp, id) + (sr ? sr_kmem(e) : 0);
	long long mem = (sr ? sr_kmem(e) : jint(e, "memory", 0)) +
			vmem_on(exp, id) + (sr ? 0 : kmem_on(exp, id));
	long long gmem = jint(g, "memory", -1);
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
	json_object *ed = jget(e, "distances"), *gd = jget(g, "distances");
	json_object *ea = jget(e, "access0"), *ec = jget(e, "caches");
	char what[96], es[256], gs[256];

	snprintf(what, sizeof(what), "node %lld cpus", id);
	verify_row(v,
		   strcmp(jstr(e, "cpus", ""), jstr(g, "cpus", "")) ? "FAIL"
								    : "ok",
		   what, *jstr(e, "cpus", "") ? jstr(e, "cpus", "") : "-",
		   *jstr(g, "cpus", "") ? jstr(g, "cpus", "") : "-");
	snprintf(what, sizeof(what), "node %lld memory (MiB)", id);
	snprintf(es, sizeof(es), "%lld", mem >> 20);
	snprintf(gs, sizeof(gs), "%lld", gmem >> 20);
	verify_row(v,
		   mem == 0			? (gmem <= 0 ? "ok" : "FAIL")
		   : gmem <= mem && gmem >= low ? "ok"
						: "FAIL",
		   what, es, gs);
	es[0] = gs[0] = '\0';
	for (size_t j = 0; ed && j < jlen(ed); j++) {
		char key[24];
		size_t le = strlen(es), lg = strlen(gs);

		snprintf(key, sizeof(key), "%zu", j);
		/* the kernel lists distances to online nodes only */
		if (!jget(gd, key) &&
		    !has_boot_memory(exp, jidx(jget(exp, "nodes"), j)))
			continue;
		snprintf(es + le, sizeof(es) - le, "%s%d", j ? " " : "",
			 json_object_get_int(jidx(ed, j)));
		snprintf(gs + lg, sizeof(gs) - lg, "%s%lld", j ? " " : "",
			 jint(gd, key, -1));
	}
	snprintf(what, sizeof(what), "node %lld distances", id);
	verify_row(v, strcmp(es, gs) ? "FAIL" : "ok", what, es, gs);

	if (sr) {
		json_object *rr = jget(e, "reserved_range"),
			    *io = jget(guest_root, "iomem");
		const char *found = "absent";

		snprintf(what, sizeof(what), "node %lld reserved range", id);
		snprintf(es, sizeof(es), "%s-%s %s", jstr(rr, "start", ""),
			 jstr(rr, "end", ""), jstr(rr, "as", ""));
		for (size_t i = 0; io && i < jlen(io); i++) {
			json_object *r = jidx(io, i);
			char a[40], b[40];

			snprintf(a, sizeof(a), "0x%s", jstr(rr, "start", ""));
			snprintf(b, sizeof(b), "0x%s", jstr(rr, "end", ""));
			if (!strcmp(jstr(r, "name", ""), jstr(rr, "as", "")) &&
			    !strcmp(jstr(r, "start", ""), a) &&
			    !strcmp(jstr(r, "end", ""), b))
				found = "present";
		}
		verify_row(v, strcmp(found, "present") ? "FAIL" : "ok", what,
			   es, found);
		if (jget(e, "dax"))
			verify_dax_pieces(v, guest_root, jget(e, "dax"), id);
		else if (!strcmp(jstr(rr, "as", ""), "Soft Reserved"))
			verify_hmem(v, guest_root, id);
	}
	verify_kind(v, e, g);
	if (ea) {
		json_object *acc = jget(g, "access"), *ga = NULL;

		for (size_t i = 0; acc && i < jlen(acc); i++)
			if (jint(jidx(acc, i), "class", -1) == 0)
				ga = jidx(acc, i);
		snprintf(what, sizeof(what), "node %lld access0 initiator", id);
		rowf(v, jint(ea, "initiator", -1) == jint(ga, "initiator", -2),
		     what, "%lld", jint(ea, "initiator", -1), "%lld",
		     jint(ga, "initiator", -1));
		snprintf(what, sizeof(what), "node %lld read latency (ns)", id);
		rowf(v,
		     jint(ea, "read_latency", -1) ==
			     jint(ga, "read_latency", -2),
		     what, "%lld", jint(ea, "read_latency", -1), "%lld",
		     jint(ga, "read_latency", -1));
		snprintf(what, sizeof(what), "node %lld read bandwidth (MB/s)",
			 id);
		rowf(v,
		     jint(ea, "read_bandwidth", -1) ==
			     jint(ga, "read_bandwidth", -2),
		     what, "%lld", jint(ea, "read_bandwidth", -1), "%lld",
		     jint(ga, "read_bandwidth", -1));
		snprintf(what, sizeof(what),
			 "node %lld write latency/bandwidth", id);
		snprintf(es, sizeof(es), "%lld / %lld",
			 jint(ea, "write_latency", -1),
			 jint(ea, "write_bandwidth", -1));
		snprintf(gs, sizeof(gs), "%lld / %lld",
			 jint(ga, "write_latency", -1),
			 jint(ga, "write_bandwidth", -1));
		verify_row(v, strcmp(es, gs) ? "FAIL" : "ok", what, es, gs);
	}
	for (size_t i = 0; ec && i < jlen(ec); i++) {
		json_object *c = jidx(ec, i), *gc = NULL;
		json_object *gcs = jget(g, "caches");
		long long level = jint(c, "level", 0);

		for (size_t k = 0; gcs && k < jlen(gcs); k++)
			if (jint(jidx(gcs, k), "level", -1) == level)
				gc = jidx(gcs, k);
		snprintf(what, sizeof(what),
			 "node %lld cache L%lld size/line/index/policy", id,
			 level);
		snprintf(es, sizeof(es), "%lld/%lld/%lld/%lld",
			 jint(c, "size", -1), jint(c, "line_size", -1),
			 jint(c, "indexing", -1), jint(c, "write_policy", -1));
		snprintf(gs, sizeof(gs), "%lld/%lld/%lld/%lld",
			 jint(gc, "size", -1), jint(gc, "line_size", -1),
			 jint(gc, "indexing", -1),
			 jint(gc, "write_policy", -1));
		verify_row(v, strcmp(es, gs) ? "FAIL" : "ok", what, es, gs);
	}
	snprintf(what, sizeof(what), "node %lld memory tier", id);
	snprintf(gs, sizeof(gs), "%lld", jint(g, "tier", -1));
	if (kmem && (sr || !jint(e, "memory", 0)))
		/* dax kmem registers its nodes below DRAM (6.1+) */
		verify_row(v, jint(g, "tier", -1) > dram_tier ? "ok" : "FAIL",
			   what, "below DRAM's (dax kmem)", gs);
	else if (kver >= 607 && dram_perf && jget(e, "access0"))
		verify_hmat_tier(v, what, dram_perf, jget(e, "access0"), gs);
	else if (kver < 607)
		/* 6.1-6.6 put every boot node in the default tier (memory_tier4) */
		verify_row(v,
			   jint(g, "tier", -1) == 4 || mem == 0 ? "ok" : "note",
			   what, "4 (before 6.7 all boot nodes share one tier)",
			   gs);
	else
		verify_row(v, "note", what,
			   "by HMAT (6.7+ ranks nodes by abstract distance)",
			   gs);
}

/*
 * machine.nvdimm-persistence: the domain every region the NFIT describes
 * shows (CXL regions say their own).
 */
static void verify_persistence(struct tiervm_verdict *v, json_object *exp,
			       json_object *nd)
{
	const char *want = jstr(exp, "nvdimm_persistence", NULL), *seen = NULL;

	if (!want)
		return;
	for (size_t i = 0; nd && i < jlen(nd); i++) {
		json_object *r = jidx(nd, i);
		const char *pd = jstr(r, "persistence_domain", "");

		if (strcmp(jstr(r, "type", ""), "region") ||
		    !json_object_get_boolean(jget(r, "nfit")))
			continue;
		if (seen && strcmp(seen, pd)) {
			seen = "differs between regions";
			break;
		}
		seen = pd;
	}
	verify_row(v, seen && !strcmp(seen, want) ? "ok" : "FAIL",
		   "NVDIMM persistence domain", want,
		   !seen   ? "no NFIT region"
		   : *seen ? seen
			   : "none said");
}

/* An NVDIMM of several namespaces: one row each, in order, and the status. */
static void verify_namespaces(struct tiervm_verdict *v, json_object *e,
			      json_object *g)
{
	json_object *want = jget(e, "namespaces"), *got = jget(g, "namespaces");
	char what[96], es[64], gs[128];

	for (size_t i = 0; i < jlen(want) || i < jlen(got); i++) {
		json_object *w = jidx(want, i), *x = jidx(got, i);

		snprintf(what, sizeof(what), "nvdimm %s namespace[%zu]",
			 jstr(e, "id", ""), i);
		snprintf(es, sizeof(es), w ? "%lldM %s" : "-",
			 jint(w, "size", 0) >> 20, jstr(w, "mode", ""));
		snprintf(gs, sizeof(gs), x ? "%lldM %s" : "-",
			 jint(x, "size", 0) >> 20, jstr(x, "mode", ""));
		if (x)
			snprintf(gs + strlen(gs), sizeof(gs) - strlen(gs),
				 " (%s)", jstr(x, "dev", ""));
		verify_row(v,
			   w && x && !strncmp(gs, es, strlen(es)) &&
					   gs[strlen(es)] == ' '
				   ? "ok"
				   : "FAIL",
			   what, es, gs);
	}
	snprintf(what, sizeof(what), "nvdimm %s provisioning",
		 jstr(e, "id", ""));
	verify_row(v, !strcmp(jstr(g, "status", ""), "ok") ? "ok" : "FAIL",
		   what, "ok", jstr(g, "status", "no report"));
}

/* The entry of the guest's @list with the id of the expected @e. */
static void verify_devices(struct tiervm_verdict *v, json_object *exp,
			   json_object *report, json_object *guest,
			   long long dram_tier)
{
	json_object *nv = jget(exp, "nvdimms"), *cxl = jget(exp, "cxl");
	long long regions = 0;
	json_object *nd = jget(guest, "nvdimm");
	/* a persistent CXL region is an nd region too (cxl_pmem) */
	long long cxl_pmem = 0;

	for (size_t i = 0; cxl && i < jlen(cxl); i++)
		cxl_pmem +=
			!strcmp(jstr(jidx(cxl, i), "type", ""), "persistent");

	for (size_t i = 0; nd && i < jlen(nd); i++)
		regions += !strcmp(jstr(jidx(nd, i), "type", ""), "region");
	if (nv)
		rowf(v, regions == (long long)jlen(nv) + cxl_pmem,
		     "NVDIMM regions", "%lld", (long long)jlen(nv) + cxl_pmem,
		     "%lld", regions);
	for (size_t i = 0; nv && i < jlen(nv); i++) {
		json_object *e = jidx(nv, i);
		json_object *g = jfind_str(jget(report, "nvdimms"), "id",
					   jstr(e, "id", ""));
		const char *mode = jstr(e, "mode", "");
		char what[96], gs[160];

		if (jget(e, "namespaces")) {
			verify_namespaces(v, e, g);
			continue;
		}
		snprintf(what, sizeof(what), "nvdimm %s namespace",
			 jstr(e, "id", ""));
		snprintf(gs, sizeof(gs), "%s %s (%s)",
			 g ? jstr(g, "namespace", "") : "-",
			 g ? jstr(g, "mode", "") : "-",
			 g ? jstr(g, "status", "") : "no report");
		verify_row(
			v,
			g && !strcmp(jstr(g, "status", ""), "ok") &&
					!strcmp(jstr(g, "mode", ""),
						!strcmp(mode, "kmem") ? "devdax"
								      : mode)
				? "ok"
				: "FAIL",
			what,
			!strcmp(mode, "kmem") ? "devdax, onlined (kmem)" : mode,
			gs);
	}
	verify_persistence(v, exp, nd);
	verify_cxl(v, exp, report, guest, dram_tier);
}

void tiervm_verify(const struct tiervm_plan *plan, json_object *report,
		   struct tiervm_verdict *v)
{
	json_object *exp_nodes = jget(plan->expected, "nodes");
	json_object *guest = jget(report, "guest");
	json_object *gnodes = jget(guest, "nodes");
	int kver = kernel_version(jstr(report, "kernel", ""));
	size_t n = jlen(exp_nodes), online = 0;
	long long dram_tier = -1;
	bool boot_seen = false;
	json_object *dram_perf = NULL;
	char es[32], gs[32];

	memset(v, 0, sizeof(*v));
	v->rows = json_object_new_array();
	verify_row(v, "note", "guest kernel", "-", jstr(report, "kernel", ""));
	for (size_t i = 0; gnodes && i < jlen(gnodes); i++) {
		json_object *g = jidx(gnodes, i);

		/* nodes the kernel knows but never onlined have no memory or cpus */
		online += jint(g, "memory", 0) > 0 || *jstr(g, "cpus", "");
	}
	snprintf(es, sizeof(es), "%zu", boot_online(plan->expected));
	snprintf(gs, sizeof(gs), "%zu", online);
	verify_row(v, online == boot_online(plan->expected) ? "ok" : "FAIL",
		   "NUMA nodes online", es, gs);
	for (size_t i = 0; gnodes && i < jlen(gnodes); i++) {
		json_object *g = jidx(gnodes, i);

		if (*jstr(g, "cpus", "") && dram_tier < 0)
			dram_tier = jint(g, "tier", -1);
	}
	/* DRAM's figures: those of the first node with cpus and memory */
	for (size_t i = 0; i < n && !dram_perf; i++) {
		json_object *e = jidx(exp_nodes, i);

		if (*jstr(e, "cpus", "") && jint(e, "memory", 0))
			dram_perf = jget(e, "access0");
	}
	for (size_t i = 0; i < n; i++) {
		json_object *e = jidx(exp_nodes, i);
		json_object *g = jfind_id(gnodes, jint(e, "id", -1));
		/* QEMU lays node memory out in id order from address 0 */
		bool boot_node = jint(e, "memory", 0) > 0 && !boot_seen;
		char what[64];

		if (!g) {
			bool empty = !has_boot_memory(plan->expected, e);

			snprintf(what, sizeof(what), "node %lld",
				 jint(e, "id", -1));
			verify_row(v, empty ? "note" : "FAIL", what,
				   empty ? "empty until memory is plugged"
					 : "present",
				   "absent");
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

/* Columns as wide as their widest cell, so no row pushes the next over. */
char *tiervm_verdict_format(const struct tiervm_verdict *v)
{
	static const char *const keys[] = { "what", "expected", "guest" };
	int w[ARRAY_SIZE(keys)] = { 0, 4 /* "spec" */, 5 /* "guest" */ };
	size_t n = jlen(v->rows);
	struct sbuf b = { 0 };

	for (size_t i = 0; i < n; i++) {
		json_object *r = jidx(v->rows, i);

		for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
			int len = (int)strlen(jstr(r, keys[k], ""));

			if (len > w[k])
				w[k] = len;
		}
	}
	sbuf_addf(&b, "%-*s  %-*s  %-*s  %s\n", w[0], "", w[1], "spec", w[2],
		  "guest", "verdict");
	for (size_t i = 0; i < n; i++) {
		json_object *r = jidx(v->rows, i);

		sbuf_addf(&b, "%-*s  %-*s  %-*s  %s\n", w[0],
			  jstr(r, "what", ""), w[1], jstr(r, "expected", ""),
			  w[2], jstr(r, "guest", ""), jstr(r, "verdict", ""));
	}
	sbuf_addf(&b, "\n%s: %u mismatch%s, %u note%s\n",
		  v->failed ? "FAIL" : "MATCH", v->failed,
		  v->failed == 1 ? "" : "es", v->notes,
		  v->notes == 1 ? "" : "s");
	return b.s;
}
