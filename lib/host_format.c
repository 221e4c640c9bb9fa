// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The host inventory as a table, with what to run where memory is present
 * but not yet usable (a dax device not onlined, a CXL memdev with no
 * region, soft-reserved memory with no dax device).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "util.h"

static void add_figure(struct sbuf *b, uint64_t v)
{
	if (v == UINT64_MAX)
		sbuf_addf(b, " %8s", "-");
	else
		sbuf_addf(b, " %8llu", (unsigned long long)v);
}

static bool cxl_has_region(const struct tiervm_host *h)
{
	for (unsigned i = 0; i < h->n_cxl; i++)
		if (!strcmp(h->cxl[i].type, "region"))
			return true;
	return false;
}

char *tiervm_host_format_text(const struct tiervm_host *h)
{
	struct sbuf b = { 0 };

	sbuf_addf(&b, "%-5s %-13s %-12s %-10s %-5s %-9s %8s %8s  %s\n", "node",
		  "kind", "cpus", "memory", "tier", "initiator", "lat(ns)",
		  "bw(MB/s)", "evidence");
	for (unsigned i = 0; i < h->n_nodes; i++) {
		const struct tiervm_host_node *n = &h->nodes[i];
		const struct tiervm_host_access *a =
			n->access[1].present ? &n->access[1] : &n->access[0];
		char *cpus = tiervm_format_cpulist(&n->cpus);
		char *mem = n->memory_known ? tiervm_format_size(n->memory)
					    : xstrdup("?");
		char tier[16] = "-", init[16] = "-";

		if (n->tier >= 0)
			snprintf(tier, sizeof(tier), "%d", n->tier);
		if (a->present && cpuset_count(&a->initiators))
			snprintf(init, sizeof(init), "%d",
				 cpuset_first(&a->initiators));
		sbuf_addf(&b, "%-5u %-13s %-12s %-10s %-5s %-9s", n->id,
			  tiervm_host_kind_name(n->kind), *cpus ? cpus : "-",
			  mem, tier, init);
		add_figure(&b, a->present ? a->read_latency : UINT64_MAX);
		add_figure(&b, a->present ? a->read_bandwidth : UINT64_MAX);
		sbuf_addf(&b, "  %s\n", n->evidence ? n->evidence : "");
		free(cpus);
		free(mem);
	}
	for (unsigned i = 0; i < h->n_dax; i++) {
		const struct tiervm_host_dax *x = &h->dax[i];

		bool kmem = x->driver && !strcmp(x->driver, "kmem");
		char *align = x->align == UINT64_MAX
				      ? xstrdup("unknown")
				      : tiervm_format_size(x->align);

		sbuf_addf(
			&b,
			"dax %s: %llu bytes, align %s, from %s, driver %s (%s), target node %d",
			x->name, (unsigned long long)x->size, align, x->source,
			x->driver ? x->driver : "none",
			kmem	    ? "system-ram"
			: x->driver ? "devdax"
				    : "unbound",
			x->target_node);
		if (x->driver && !kmem)
			sbuf_addf(&b, " (a node's backend: path: /dev/%s)",
				  x->name);
		if (!kmem)
			sbuf_addf(
				&b,
				" (online as a node: daxctl reconfigure-device --mode=system-ram %s)",
				x->name);
		/* dax_hmem's regions are dynamic: divided by the owner */
		if (!strcmp(x->source, "hmem") && x->size && !kmem)
			sbuf_addf(
				&b,
				" (divide: daxctl disable-device %s; daxctl destroy-device %s; daxctl create-device -r %d -s SIZE -a 4K|2M|1G)",
				x->name, x->name, atoi(x->name + 3));
		sbuf_addf(&b, "\n");
		free(align);
	}
	for (unsigned i = 0; i < h->n_nd; i++)
		sbuf_addf(&b, "nvdimm %s %s: %llu bytes%s%s\n", h->nd[i].type,
			  h->nd[i].name, (unsigned long long)h->nd[i].size,
			  h->nd[i].mode ? ", mode " : "",
			  h->nd[i].mode ? h->nd[i].mode : "");
	for (unsigned i = 0; i < h->n_cxl; i++) {
		sbuf_addf(&b, "cxl %s %s%s%s", h->cxl[i].type, h->cxl[i].name,
			  h->cxl[i].detail ? ": " : "",
			  h->cxl[i].detail ? h->cxl[i].detail : "");
		if (!strcmp(h->cxl[i].type, "memdev") && !cxl_has_region(h))
			sbuf_addf(
				&b,
				" (no region yet: cxl create-region -m -d decoder0.0 -w 1 -t pmem|ram %s)",
				h->cxl[i].name);
		sbuf_addf(&b, "\n");
	}
	for (unsigned i = 0; i < h->n_iomem; i++) {
		const struct tiervm_host_iomem *r = &h->iomem[i];

		if (strstr(r->name, "Soft Reserved") && !h->n_dax)
			sbuf_addf(
				&b,
				"iomem %llx-%llx %s (no dax device: load dax_hmem, then daxctl reconfigure-device --mode=system-ram)\n",
				(unsigned long long)r->start,
				(unsigned long long)r->end, r->name);
		else if (strstr(r->name, "Soft Reserved") ||
			 strstr(r->name, "Persistent Memory") ||
			 strstr(r->name, "CXL Window") ||
			 strstr(r->name, "kmem"))
			sbuf_addf(&b, "iomem %llx-%llx %s\n",
				  (unsigned long long)r->start,
				  (unsigned long long)r->end, r->name);
	}
	if (*h->notes) {
		sbuf_addf(&b, "\nnot known:\n");
		sbuf_addf(&b, "%s", h->notes);
	}
	return b.s;
}
