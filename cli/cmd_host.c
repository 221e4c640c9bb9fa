// SPDX-License-Identifier: LGPL-2.1-or-later
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "tiervm.h"
#include "util.h"

static void print_figure(uint64_t v)
{
	if (v == UINT64_MAX)
		printf(" %8s", "-");
	else
		printf(" %8llu", (unsigned long long)v);
}

static bool cxl_has_region(const struct tiervm_host *h)
{
	for (unsigned i = 0; i < h->n_cxl; i++)
		if (!strcmp(h->cxl[i].type, "region"))
			return true;
	return false;
}

static void print_text(const struct tiervm_host *h)
{
	printf("%-5s %-13s %-12s %-10s %-5s %-9s %8s %8s  %s\n", "node", "kind",
	       "cpus", "memory", "tier", "initiator", "lat(ns)", "bw(MB/s)",
	       "evidence");
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
		printf("%-5u %-13s %-12s %-10s %-5s %-9s", n->id,
		       tiervm_host_kind_name(n->kind), *cpus ? cpus : "-", mem,
		       tier, init);
		print_figure(a->present ? a->read_latency : UINT64_MAX);
		print_figure(a->present ? a->read_bandwidth : UINT64_MAX);
		printf("  %s\n", n->evidence ? n->evidence : "");
		free(cpus);
		free(mem);
	}
	for (unsigned i = 0; i < h->n_dax; i++) {
		const struct tiervm_host_dax *x = &h->dax[i];

		printf("dax %s: %llu bytes from %s, driver %s, target node %d",
		       x->name, (unsigned long long)x->size, x->source,
		       x->driver ? x->driver : "none", x->target_node);
		if (!x->driver || strcmp(x->driver, "kmem"))
			printf(" (online as a node: daxctl reconfigure-device --mode=system-ram %s)",
			       x->name);
		printf("\n");
	}
	for (unsigned i = 0; i < h->n_nd; i++)
		printf("nvdimm %s %s: %llu bytes%s%s\n", h->nd[i].type,
		       h->nd[i].name, (unsigned long long)h->nd[i].size,
		       h->nd[i].mode ? ", mode " : "",
		       h->nd[i].mode ? h->nd[i].mode : "");
	for (unsigned i = 0; i < h->n_cxl; i++) {
		printf("cxl %s %s%s%s", h->cxl[i].type, h->cxl[i].name,
		       h->cxl[i].detail ? ": " : "",
		       h->cxl[i].detail ? h->cxl[i].detail : "");
		if (!strcmp(h->cxl[i].type, "memdev") && !cxl_has_region(h))
			printf(" (no region yet: cxl create-region -m -d decoder0.0 -w 1 -t pmem|ram %s)",
			       h->cxl[i].name);
		printf("\n");
	}
	for (unsigned i = 0; i < h->n_iomem; i++) {
		const struct tiervm_host_iomem *r = &h->iomem[i];

		if (strstr(r->name, "Soft Reserved") && !h->n_dax)
			printf("iomem %llx-%llx %s (no dax device: load dax_hmem, then daxctl reconfigure-device --mode=system-ram)\n",
			       (unsigned long long)r->start,
			       (unsigned long long)r->end, r->name);
		else if (strstr(r->name, "Soft Reserved") ||
			 strstr(r->name, "Persistent Memory") ||
			 strstr(r->name, "CXL Window") ||
			 strstr(r->name, "kmem"))
			printf("iomem %llx-%llx %s\n",
			       (unsigned long long)r->start,
			       (unsigned long long)r->end, r->name);
	}
	if (*h->notes) {
		printf("\nnot known:\n");
		fputs(h->notes, stdout);
	}
}

int cmd_host(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *root = "/";
	bool json = false;
	struct tiervm_host *h;
	tiervm_error *err = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "r:j", opts, NULL)) != -1) {
		if (c == 'r')
			root = optarg;
		else if (c == 'j')
			json = true;
		else
			return usage("host");
	}
	if (optind != argc)
		return usage("host");
	h = tiervm_host_discover(root, &err);
	if (!h)
		return report(err);
	if (json)
		print_json(tiervm_host_to_json(h));
	else
		print_text(h);
	tiervm_host_free(h);
	return EXIT_OK;
}
