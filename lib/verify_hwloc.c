// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * hwloc as the second witness: the lstopo XML taken inside the guest must
 * agree with the probe on nodes, memory, memory-side caches and HMAT
 * figures.  A disagreement means one of the two reads sysfs wrongly.
 */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util_json.h"
#include "util_xml.h"
#include "verify_internal.h"

struct hw_node {
	char subtype[16];
	long long os_index, gp_index, memory;
	long long read_latency, read_bandwidth;
	long long cache_size[4]; /* by hwloc depth 1..3 */
	unsigned n_caches;
};

static long long prop_ll(xmlNode *n, const char *name, long long dflt)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	long long r = dflt;

	if (v) {
		r = strtoll((const char *)v, NULL, 0);
		xmlFree(v);
	}
	return r;
}

/*
 * Memory-side caches are MemCache objects whose memory children are the
 * NUMA nodes they cache: collect them on the way down.
 */
static void walk(xmlNode *n, struct hw_node *nodes, unsigned *count,
		 long long *caches, unsigned depth)
{
	for (xmlNode *c = n; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!xmlStrcmp(c->name, (const xmlChar *)"object")) {
			if (xml_prop_is(c, "type", "MemCache") && depth < 3) {
				caches[depth] = prop_ll(c, "cache_size", 0);
				walk(c->children, nodes, count, caches,
				     depth + 1);
				continue;
			}
			if (xml_prop_is(c, "type", "NUMANode") &&
			    *count < 1024) {
				struct hw_node *h = &nodes[(*count)++];

				memset(h, 0, sizeof(*h));
				h->os_index = prop_ll(c, "os_index", -1);
				h->gp_index = prop_ll(c, "gp_index", -1);
				h->memory = prop_ll(c, "local_memory", -1);
				h->read_latency = h->read_bandwidth = -1;
				h->n_caches = depth;
				{
					xmlChar *st = xmlGetProp(
						c, (const xmlChar *)"subtype");

					if (st)
						snprintf(h->subtype,
							 sizeof(h->subtype),
							 "%s",
							 (const char *)st);
					xmlFree(st);
				}
				for (unsigned k = 0; k < depth; k++)
					h->cache_size[k + 1] = caches[k];
			}
			walk(c->children, nodes, count, caches, 0);
		} else if (!xmlStrcmp(c->name, (const xmlChar *)"memattr")) {
			bool lat = xml_prop_is(c, "name", "ReadLatency");
			bool bw = xml_prop_is(c, "name", "ReadBandwidth");

			for (xmlNode *v = c->children; v && (lat || bw);
			     v = v->next) {
				long long gp =
					prop_ll(v, "target_obj_gp_index", -2);

				for (unsigned k = 0; k < *count; k++) {
					if (nodes[k].gp_index != gp)
						continue;
					if (lat)
						nodes[k].read_latency =
							prop_ll(v, "value", -1);
					else
						nodes[k].read_bandwidth =
							prop_ll(v, "value", -1);
				}
			}
		} else {
			walk(c->children, nodes, count, caches, depth);
		}
	}
}

/* hwloc takes access1 (cpu initiators) before access0, as we must here */
static json_object *probe_access(json_object *node)
{
	json_object *acc = jget(node, "access"), *best = NULL;

	for (size_t i = 0; acc && i < jlen(acc); i++) {
		json_object *a = jidx(acc, i);

		if (!best || jint(a, "class", -1) == 1)
			best = a;
	}
	return best;
}

/* -1 is "not reported": both absent is no agreement, only a note. */
static void compare(struct tiervm_verdict *v, const char *what, long long probe,
		    long long hw)
{
	char p[32] = "absent", h[32] = "absent";

	if (probe >= 0)
		snprintf(p, sizeof(p), "%lld (probe)", probe);
	if (hw >= 0)
		snprintf(h, sizeof(h), "%lld", hw);
	verify_row(v,
		   probe < 0 && hw < 0 ? "note"
		   : probe == hw       ? "ok"
				       : "FAIL",
		   what, p, h);
}

void verify_hwloc(json_object *report, struct tiervm_verdict *v)
{
	const char *xml = json_object_get_string(jget(report, "lstopo_xml"));
	json_object *pnodes = jget(jget(report, "guest"), "nodes");
	struct hw_node *nodes;
	long long caches[3] = { 0 };
	unsigned count = 0;
	size_t online = 0;
	xmlDoc *doc;
	char what[96];

	if (!xml || !*xml) {
		verify_row(v, "FAIL", "hwloc: lstopo XML", "present",
			   "missing");
		return;
	}
	doc = xmlReadMemory(xml, (int)strlen(xml), "lstopo.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR |
				    XML_PARSE_NOWARNING);
	if (!doc) {
		verify_row(v, "FAIL", "hwloc: lstopo XML", "parsable",
			   "malformed");
		return;
	}
	nodes = xcalloc(1024, sizeof(*nodes));
	walk(xmlDocGetRootElement(doc), nodes, &count, caches, 0);
	/* hwloc hides GPU memory nodes unless HWLOC_KEEP_NVIDIA_GPU_NUMA_NODES */
	for (size_t i = 0; pnodes && i < jlen(pnodes); i++) {
		json_object *p = jidx(pnodes, i);

		online += jint(p, "memory", -1) > 0 &&
			  strcmp(jstr(p, "kind", ""), "gpu");
	}
	snprintf(what, sizeof(what), "hwloc: NUMA nodes with memory");
	compare(v, what, (long long)online, count);
	for (unsigned k = 0; k < count; k++) {
		json_object *p = NULL, *a;

		for (size_t i = 0; pnodes && i < jlen(pnodes); i++)
			if (jint(jidx(pnodes, i), "id", -1) ==
			    nodes[k].os_index)
				p = jidx(pnodes, i);
		snprintf(what, sizeof(what), "hwloc: node %lld memory",
			 nodes[k].os_index);
		compare(v, what, jint(p, "memory", -1), nodes[k].memory);
		a = probe_access(p);
		/*
		 * hwloc gives figures per initiator: a node whose figures
		 * name none (Linux 6.9+ derives a CXL region's from its
		 * path) has none in hwloc to compare.
		 */
		if (a && !*jstr(a, "initiators", "") &&
		    nodes[k].read_latency < 0)
			a = NULL;
		if (a || nodes[k].read_latency >= 0) {
			snprintf(what, sizeof(what),
				 "hwloc: node %lld read latency",
				 nodes[k].os_index);
			compare(v, what, jint(a, "read_latency", -1),
				nodes[k].read_latency);
			snprintf(what, sizeof(what),
				 "hwloc: node %lld read bandwidth",
				 nodes[k].os_index);
			compare(v, what, jint(a, "read_bandwidth", -1),
				nodes[k].read_bandwidth);
		}
		if (*nodes[k].subtype) {
			/* hwloc's subtypes and tiervm's kinds, where both name one */
			static const char *const map[][2] = {
				{ "DRAM", "dram" },
				{ "HBM", "hbm" },
				{ "NVM", "pmem" },
				{ "SPM", "soft-reserved" },
				{ "CXL-DRAM", "cxl" },
			};
			const char *want = NULL, *kind = jstr(p, "kind", "");

			for (size_t m = 0; m < sizeof(map) / sizeof(map[0]);
			     m++)
				if (!strcmp(map[m][0], nodes[k].subtype))
					want = map[m][1];
			snprintf(what, sizeof(what), "hwloc: node %lld kind",
				 nodes[k].os_index);
			/*
			 * hwloc calls CXL persistent memory NVM, as libnvdimm
			 * shows it, and before 2.10 CXL RAM onlined from a dax
			 * device SPM, as it would EFI soft-reserved memory.
			 */
			if (want &&
			    (!strcmp(want, "pmem") ||
			     !strcmp(want, "soft-reserved")) &&
			    !strcmp(kind, "cxl"))
				want = "cxl";
			if (want)
				verify_row(v,
					   strcmp(want, kind) ? "FAIL" : "ok",
					   what, kind, nodes[k].subtype);
		}
		snprintf(what, sizeof(what),
			 "hwloc: node %lld memory-side caches",
			 nodes[k].os_index);
		compare(v, what, (long long)(p ? jlen(jget(p, "caches")) : 0),
			nodes[k].n_caches);
	}
	free(nodes);
	xmlFreeDoc(doc);
}
