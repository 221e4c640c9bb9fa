// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Device memory on the host (dax, nvdimm, cxl, /proc/iomem) and the kind of
 * each node, with the evidence for it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_internal.h"

static int read_int(struct disc *d, const char *fmt, const char *name)
{
	char *p = xasprintf(fmt, name);
	uint64_t v = host_readu(d, p);

	free(p);
	/* sysfs says -1 for "no node"; host_readu gives UINT64_MAX for it */
	return v > INT32_MAX ? -1 : (int)v;
}

/* Where a dax device comes from: its parent in the device hierarchy. */
static char *dax_source(struct disc *d, const char *name)
{
	char *p = xasprintf("/sys/bus/dax/devices/%s", name);
	char *buf = tiervm_fs_readlink(&d->root, p);
	const char *src = "unknown";

	free(p);
	if (buf) {
		/* CXL pmem reaches libnvdimm through a CXL nvdimm-bridge */
		if (strstr(buf, "nvdimm-bridge") || strstr(buf, "ACPI0017"))
			src = "cxl";
		else if (strstr(buf, "/ndbus") || strstr(buf, "/region"))
			src = strstr(buf, "/cxl") ? "cxl" : "nvdimm";
		else if (strstr(buf, "hmem"))
			src = "hmem";
		else if (strstr(buf, "/cxl"))
			src = "cxl";
		free(buf);
	}
	return xstrdup(src);
}

static void read_dax(struct disc *d)
{
	const char *dir = "/sys/bus/dax/devices";
	unsigned count;
	char **ents = tiervm_fs_list(&d->root, dir, &count, NULL);

	if (!ents)
		return;
	d->h->dax = xcalloc(count + 1, sizeof(*d->h->dax));
	for (unsigned i = 0; i < count; i++) {
		struct tiervm_host_dax *x = &d->h->dax[d->h->n_dax++];
		char *p;

		x->name = xstrdup(ents[i]);
		p = xasprintf("%s/%s/size", dir, ents[i]);
		x->size = host_readu(d, p);
		free(p);
		x->target_node = read_int(
			d, "/sys/bus/dax/devices/%s/target_node", ents[i]);
		x->numa_node = read_int(d, "/sys/bus/dax/devices/%s/numa_node",
					ents[i]);
		p = xasprintf("%s/%s/driver", dir, ents[i]);
		x->driver = tiervm_fs_link_name(&d->root, p);
		free(p);
		x->resource = host_readf(d, "%s/%s/resource", dir, ents[i]);
		p = xasprintf("%s/%s/align", dir, ents[i]);
		x->align = host_readu(d, p);
		free(p);
		x->source = dax_source(d, ents[i]);
	}
	tiervm_strv_free_null(ents);
}

static void read_nd(struct disc *d)
{
	const char *dir = "/sys/bus/nd/devices";
	unsigned count;
	char **ents = tiervm_fs_list(&d->root, dir, &count, NULL);

	if (!ents)
		return;
	d->h->nd = xcalloc(count + 1, sizeof(*d->h->nd));
	for (unsigned i = 0; i < count; i++) {
		bool region = !strncmp(ents[i], "region", 6);
		bool ns = !strncmp(ents[i], "namespace", 9);
		struct tiervm_host_nd *x;
		char *p, *buf;

		if (!region && !ns)
			continue;
		x = &d->h->nd[d->h->n_nd++];
		x->name = xstrdup(ents[i]);
		x->type = xstrdup(region ? "region" : "namespace");
		p = xasprintf("%s/%s/size", dir, ents[i]);
		x->size = host_readu(d, p);
		free(p);
		x->mode = ns ? host_readf(d, "%s/%s/mode", dir, ents[i]) : NULL;
		x->numa_node = read_int(d, "/sys/bus/nd/devices/%s/numa_node",
					ents[i]);
		if (region) {
			p = xasprintf("%s/%s", dir, ents[i]);
			buf = tiervm_fs_readlink(&d->root, p);
			free(p);
			x->nfit = buf && strstr(buf, "ACPI0012");
			free(buf);
			x->persistence = host_readf(
				d, "%s/%s/persistence_domain", dir, ents[i]);
		}
	}
	tiervm_strv_free_null(ents);
}

/* "ID=target,..." of a port's dportID links, by ID. */
static char *cxl_dports(struct disc *d, const char *dev)
{
	char *dir = xasprintf("/sys/bus/cxl/devices/%s", dev);
	unsigned n;
	char **ents = tiervm_fs_list(&d->root, dir, &n, NULL);
	struct sbuf b = { 0 };

	for (unsigned i = 0; ents && i < n; i++) {
		unsigned id;
		char *p, *to;

		if (!host_name_num(ents[i], "dport", &id))
			continue;
		p = xasprintf("%s/%s", dir, ents[i]);
		to = tiervm_fs_link_name(&d->root, p);
		sbuf_addf(&b, "%s%u=%s", b.len ? "," : "", id, to ? to : "?");
		free(to);
		free(p);
	}
	tiervm_strv_free_null(ents);
	free(dir);
	return b.s;
}

/* A region's targets: target0, target1, ... in position order. */
static char *cxl_region_targets(struct disc *d, const char *dev, int ways)
{
	struct sbuf b = { 0 };

	for (int k = 0; k < ways && k < 16; k++) {
		char *t = host_readf(d, "/sys/bus/cxl/devices/%s/target%d", dev,
				     k);

		sbuf_addf(&b, "%s%s", k ? "," : "", t ? t : "");
		free(t);
	}
	return b.s;
}

static int read_int_or(struct disc *d, const char *dev, const char *attr,
		       int dflt)
{
	char *v = host_readf(d, "/sys/bus/cxl/devices/%s/%s", dev, attr);
	int n = v ? atoi(v) : dflt;

	free(v);
	return n;
}

/* The parts of one /sys/bus/cxl device that describe the tree. */
static void read_cxl_tree(struct disc *d, struct tiervm_host_cxl *x)
{
	const char *dir = "/sys/bus/cxl/devices";
	char *p = xasprintf("%s/%s", dir, x->name), *link, *at;

	link = tiervm_fs_readlink(&d->root, p);
	at = link ? strstr(link, "devices/") : NULL;
	x->path = at ? xstrdup(at + strlen("devices/")) : NULL;
	free(link);
	free(p);
	x->ways = -1;
	x->commit = -1;
	x->pmem_size = x->ram_size = x->granularity = UINT64_MAX;
	x->read_latency = x->read_bandwidth = UINT64_MAX;
	if (!strcmp(x->type, "root") || !strcmp(x->type, "port") ||
	    !strcmp(x->type, "endpoint")) {
		p = xasprintf("%s/%s/uport", dir, x->name);
		x->uport = tiervm_fs_link_name(&d->root, p);
		free(p);
		x->dports = cxl_dports(d, x->name);
	} else if (!strcmp(x->type, "memdev")) {
		char *pm = host_readf(d, "%s/%s/pmem/size", dir, x->name),
		     *rm = host_readf(d, "%s/%s/ram/size", dir, x->name);

		x->serial = host_readf(d, "%s/%s/serial", dir, x->name);
		if (pm && !tiervm_fs_parse_u64(pm, &x->pmem_size))
			x->pmem_size = UINT64_MAX;
		if (rm && !tiervm_fs_parse_u64(rm, &x->ram_size))
			x->ram_size = UINT64_MAX;
		x->detail = xasprintf("ram %s, pmem %s", rm ? rm : "?",
				      pm ? pm : "?");
		free(pm);
		free(rm);
	} else if (!strcmp(x->type, "decoder") || !strcmp(x->type, "region")) {
		x->ways = read_int_or(d, x->name, "interleave_ways", -1);
		p = xasprintf("%s/%s/interleave_granularity", dir, x->name);
		x->granularity = host_readu(d, p);
		free(p);
		if (!strcmp(x->type, "region")) {
			x->commit = read_int_or(d, x->name, "commit", -1);
			x->targets = cxl_region_targets(d, x->name, x->ways);
			p = xasprintf("%s/%s/access0/read_latency", dir,
				      x->name);
			x->read_latency = host_readu(d, p);
			free(p);
			p = xasprintf("%s/%s/access0/read_bandwidth", dir,
				      x->name);
			x->read_bandwidth = host_readu(d, p);
			free(p);
		} else {
			x->targets = host_readf(d, "%s/%s/target_list", dir,
						x->name);
			x->mode = host_readf(d, "%s/%s/mode", dir, x->name);
		}
	}
}

static void read_cxl(struct disc *d)
{
	static const char *const kinds[] = { "mem",	   "region", "decoder",
					     "port",	   "root",   "endpoint",
					     "dax_region", NULL };
	const char *dir = "/sys/bus/cxl/devices";
	unsigned count;
	char **ents = tiervm_fs_list(&d->root, dir, &count, NULL);

	if (!ents)
		return;
	d->h->cxl = xcalloc(count + 1, sizeof(*d->h->cxl));
	for (unsigned i = 0; i < count; i++) {
		struct tiervm_host_cxl *x = &d->h->cxl[d->h->n_cxl++];
		const char *type = "other";
		char *p;

		for (int k = 0; kinds[k]; k++)
			if (!strncmp(ents[i], kinds[k], strlen(kinds[k])))
				type = kinds[k];
		if (!strcmp(type, "mem"))
			type = "memdev";
		x->name = xstrdup(ents[i]);
		x->type = xstrdup(type);
		p = xasprintf("%s/%s/size", dir, ents[i]);
		x->size = host_readu(d, p);
		free(p);
		if (!strcmp(type, "region")) {
			x->detail = host_readf(d, "%s/%s/mode", dir, ents[i]);
		}
		read_cxl_tree(d, x);
	}
	tiervm_strv_free_null(ents);
}

/* /proc/iomem: "  100000000-17fffffff : System RAM", nesting by indent */
static void read_iomem(struct disc *d)
{
	char *s = host_readf(d, "/proc/iomem");
	char *line, *save = NULL;
	unsigned cap = 0;

	if (!s) {
		host_note(d,
			  "/proc/iomem: missing (not captured, or not root)");
		return;
	}
	d->h->iomem_known = true;
	for (line = strtok_r(s, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct tiervm_host_iomem *r;
		unsigned depth = 0;
		uint64_t a, b;
		int off = 0;

		while (line[depth] == ' ')
			depth++;
		if (sscanf(line + depth, "%" SCNx64 "-%" SCNx64 " : %n", &a, &b,
			   &off) < 2 ||
		    !off)
			continue;
		if (d->h->n_iomem == cap) {
			cap = cap ? cap * 2 : 64;
			d->h->iomem = xrealloc(d->h->iomem, cap * sizeof(*r));
		}
		r = &d->h->iomem[d->h->n_iomem++];
		r->start = a;
		r->end = b;
		r->depth = depth / 2;
		r->name = xstrdup(line + depth + off);
	}
	free(s);
}

/*
 * NVIDIA GPUs with coherent memory (POWER9 NVLink, Grace Hopper) expose it
 * as cpu-less nodes; the driver names them in numa_status ("Node: 255").
 */
static void read_gpu_nodes(struct disc *d)
{
	const char *dir = "/proc/driver/nvidia/gpus";
	unsigned count, id;
	char **ents = tiervm_fs_list(&d->root, dir, &count, NULL);

	for (unsigned i = 0; ents && i < count; i++) {
		char *s = host_readf(d, "%s/%s/numa_status", dir, ents[i]);
		const char *p = s ? strstr(s, "Node:") : NULL;

		if (p && sscanf(p, "Node: %u", &id) == 1) {
			for (unsigned k = 0; k < d->h->n_nodes; k++) {
				struct tiervm_host_node *n = &d->h->nodes[k];

				if (n->id != id)
					continue;
				n->kind = TIERVM_HOST_GPU;
				free(n->evidence);
				n->evidence = xasprintf(
					"%s/%s/numa_status: memory of GPU %s",
					dir, ents[i], ents[i]);
			}
		}
		free(s);
	}
	tiervm_strv_free_null(ents);
}

void host_read_devices(struct disc *d)
{
	read_gpu_nodes(d);
	read_dax(d);
	read_nd(d);
	read_cxl(d);
	read_iomem(d);
}

/* ---- kinds ------------------------------------------------------------ */

static void set_kind(struct tiervm_host_node *n, enum tiervm_host_kind k,
		     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_kind(struct tiervm_host_node *n, enum tiervm_host_kind k,
		     const char *fmt, ...)
{
	va_list ap;

	free(n->evidence);
	n->kind = k;
	va_start(ap, fmt);
	n->evidence = xvasprintf(fmt, ap);
	va_end(ap);
}

/* The best access figures of a node: access1 (cpus) before access0. */
static const struct tiervm_host_access *
best_access(const struct tiervm_host_node *n)
{
	if (n->access[1].present && n->access[1].read_bandwidth != UINT64_MAX)
		return &n->access[1];
	if (n->access[0].present && n->access[0].read_bandwidth != UINT64_MAX)
		return &n->access[0];
	return NULL;
}

/*
 * The bandwidth plain DRAM has on this host: the lowest among nodes with
 * cpus whose memory no dax device provides.  0 when HMAT gives none.
 */
static uint64_t dram_bandwidth(const struct tiervm_host *h)
{
	uint64_t best = 0;

	for (unsigned i = 0; i < h->n_nodes; i++) {
		const struct tiervm_host_node *n = &h->nodes[i];
		const struct tiervm_host_access *a = best_access(n);
		bool dax = false;

		for (unsigned k = 0; k < h->n_dax; k++)
			dax |= h->dax[k].target_node == (int)n->id;
		if (!n->has_cpus || dax || !a)
			continue;
		if (!best || a->read_bandwidth < best)
			best = a->read_bandwidth;
	}
	return best;
}

/*
 * Kinds, most certain evidence first: the GPU driver naming the node; a dax
 * device onlined as the node (kmem) saying where the memory came from;
 * HMAT bandwidth at least twice plain DRAM's (HBM, as hwloc also reads it);
 * cpus with ordinary bandwidth (DRAM).  A cpu-less node with nothing else
 * to go on stays unknown: guessing CXL or far memory from distances alone
 * would be wrong as often as right.
 */
void host_classify(struct disc *d)
{
	struct tiervm_host *h = d->h;
	uint64_t dram_bw = dram_bandwidth(h);

	for (unsigned i = 0; i < h->n_nodes; i++) {
		struct tiervm_host_node *n = &h->nodes[i];
		const struct tiervm_host_access *a = best_access(n);
		bool fast = a && dram_bw && a->read_bandwidth >= 2 * dram_bw;

		if (n->kind == TIERVM_HOST_GPU)
			continue;
		for (unsigned k = 0; k < h->n_dax; k++) {
			const struct tiervm_host_dax *x = &h->dax[k];

			if (x->target_node != (int)n->id || !x->driver ||
			    strcmp(x->driver, "kmem"))
				continue;
			if (!strcmp(x->source, "nvdimm"))
				set_kind(
					n, TIERVM_HOST_PMEM,
					"/sys/bus/dax/devices/%s: kmem over an NVDIMM region",
					x->name);
			else if (!strcmp(x->source, "cxl"))
				set_kind(
					n, TIERVM_HOST_CXL,
					"/sys/bus/dax/devices/%s: kmem over a CXL region",
					x->name);
			else if (!strcmp(x->source, "hmem") && fast)
				set_kind(
					n, TIERVM_HOST_HBM,
					"/sys/bus/dax/devices/%s: soft-reserved memory with HMAT bandwidth %" PRIu64
					" MB/s, over twice DRAM's %" PRIu64,
					x->name, a->read_bandwidth, dram_bw);
			else if (!strcmp(x->source, "hmem"))
				set_kind(
					n, TIERVM_HOST_SOFT_RESERVED,
					"/sys/bus/dax/devices/%s: kmem over soft-reserved (hmem) memory",
					x->name);
		}
		if (n->kind != TIERVM_HOST_UNKNOWN)
			continue;
		if (fast) {
			set_kind(n, TIERVM_HOST_HBM,
				 "HMAT: read bandwidth %" PRIu64
				 " MB/s, over twice DRAM's %" PRIu64,
				 a->read_bandwidth, dram_bw);
		} else if (n->has_cpus) {
			set_kind(
				n, TIERVM_HOST_DRAM,
				"node%u has cpus and no faster HMAT figures: DRAM",
				n->id);
		} else if (a && dram_bw && a->read_bandwidth < dram_bw) {
			set_kind(
				n, TIERVM_HOST_UNKNOWN,
				"HMAT: slower than DRAM (%" PRIu64 " < %" PRIu64
				" MB/s); CXL, NVM or far memory, no device says which",
				a->read_bandwidth, dram_bw);
		} else if (n->memory_known && n->memory == 0) {
			set_kind(
				n, TIERVM_HOST_UNKNOWN,
				"cpu-less node without memory (a device's node, or offline)");
		} else if (a && dram_bw) {
			set_kind(
				n, TIERVM_HOST_DRAM,
				"cpu-less, HMAT bandwidth like DRAM's: memory-only DRAM");
		} else {
			set_kind(
				n, TIERVM_HOST_UNKNOWN,
				"cpu-less node with no HMAT figures and no dax device");
		}
	}
}

/* ---- queries for the planner ----------------------------------------- */

static const char *const host_kind_names[] = {
	"dram", "hbm", "cxl", "pmem", "soft-reserved", "gpu", "unknown",
};

const char *tiervm_host_kind_name(enum tiervm_host_kind kind)
{
	return host_kind_names[kind];
}

bool tiervm_host_nodes_of_kind(const struct tiervm_host *h,
			       enum tiervm_kind kind,
			       struct tiervm_cpuset *nodes, tiervm_error **errp)
{
	struct sbuf have = { 0 };

	memset(nodes, 0, sizeof(*nodes));
	for (unsigned i = 0; h && i < h->n_nodes; i++)
		if ((int)h->nodes[i].kind == (int)kind)
			cpuset_set(nodes, h->nodes[i].id);
	if (cpuset_count(nodes))
		return true;
	for (unsigned i = 0; h && i < h->n_nodes; i++)
		sbuf_addf(&have, "%snode%u %s", i ? ", " : "", h->nodes[i].id,
			  tiervm_host_kind_name(h->nodes[i].kind));
	tiervm_error_set(
		errp, TIERVM_E_INPUT, "the host has no %s node; it has %s",
		tiervm_kind_name(kind), have.s ? have.s : "no NUMA nodes");
	sbuf_free(&have);
	return false;
}

bool tiervm_host_has_nodes(const struct tiervm_host *h,
			   const struct tiervm_cpuset *nodes,
			   tiervm_error **errp)
{
	for (int id = 0; id < TIERVM_MAX_CPUS; id++) {
		if (!cpuset_test(nodes, (unsigned)id) ||
		    tiervm_host_node(h, (unsigned)id))
			continue;
		tiervm_error_set(errp, TIERVM_E_INPUT,
				 "the host has no node %d", id);
		return false;
	}
	return true;
}
