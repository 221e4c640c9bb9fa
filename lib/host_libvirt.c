// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A host's memory inventory through libvirt (`tiervm host --connect URI`),
 * for hosts tiervm cannot read /sys of: the capabilities XML's NUMA cells
 * (memory, cpus and their sockets, distances), memory-side caches and
 * interconnects (libvirt 6.6+ reads them from the host's HMAT sysfs).
 * Kinds come from the same rules as for /sys, with less to go on: no dax,
 * NVDIMM or CXL devices and no memory tiers reach the capabilities.
 */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#include "host_internal.h"
#include "util_libvirt.h"
#include "util_xml.h"

static long long attr(xmlNode *n, const char *name, long long dflt)
{
	xmlChar *v = n ? xmlGetProp(n, (const xmlChar *)name) : NULL;
	long long r = v ? strtoll((const char *)v, NULL, 10) : dflt;

	xmlFree(v);
	return r;
}

/* A libvirt scaled integer: value (or text) and unit, in bytes. */
static uint64_t scaled(xmlNode *n, bool text)
{
	xmlChar *t = text ? xmlNodeGetContent(n)
			  : xmlGetProp(n, (const xmlChar *)"value");
	xmlChar *unit = xmlGetProp(n, (const xmlChar *)"unit");
	uint64_t v = t ? strtoull((const char *)t, NULL, 10) : 0;
	const char *u = unit ? (const char *)unit : "KiB";

	if (!strcmp(u, "KiB") || !strcmp(u, "k") || !strcmp(u, "K"))
		v <<= 10;
	else if (!strcmp(u, "MiB") || !strcmp(u, "M"))
		v <<= 20;
	else if (!strcmp(u, "GiB") || !strcmp(u, "G"))
		v <<= 30;
	xmlFree(t);
	xmlFree(unit);
	return v;
}

static void read_cell(struct disc *d, xmlNode *cell, struct tiervm_host_node *n)
{
	xmlNode *x;

	n->id = (unsigned)attr(cell, "id", 0);
	n->tier = -1;
	n->kind = TIERVM_HOST_UNKNOWN;
	n->memory_free = n->demoted = n->promoted = UINT64_MAX;
	if ((x = xml_child(cell, "memory"))) {
		n->memory = scaled(x, true);
		n->memory_known = true;
	}
	for (x = xml_child(xml_child(cell, "cpus"), "cpu"); x; x = x->next) {
		long long id = attr(x, "id", -1),
			  sock = attr(x, "socket_id", -1);

		if (!xml_is(x, "cpu") || id < 0 || id >= TIERVM_MAX_CPUS)
			continue;
		cpuset_set(&n->cpus, (unsigned)id);
		if (sock >= 0 && sock < TIERVM_MAX_CPUS)
			cpuset_set(&n->packages, (unsigned)sock);
	}
	n->has_cpus = cpuset_count(&n->cpus) > 0;
	for (x = cell->children; x; x = x->next) {
		long long level = attr(x, "level", 0);
		struct tiervm_host_cache *c;

		if (!xml_is(x, "cache") || level < 1 || level > 3)
			continue;
		c = &n->caches[level];
		c->present = true;
		c->size = xml_child(x, "size")
				  ? scaled(xml_child(x, "size"), false)
				  : 0;
		c->line_size = xml_child(x, "line")
				       ? scaled(xml_child(x, "line"), false)
				       : 64;
		/* libvirt's line is in bytes: undo the KiB default */
		if (xml_child(x, "line") &&
		    !xmlHasProp(xml_child(x, "line"), (const xmlChar *)"unit"))
			c->line_size >>= 10;
		c->indexing = xml_prop_is(x, "associativity", "direct") ? 0
			      : xml_prop_is(x, "associativity", "full") ? 1
									: 2;
		c->write_policy = xml_prop_is(x, "policy", "writeback") ? 0
				  : xml_prop_is(x, "policy", "writethrough")
					  ? 1
					  : 2;
	}
	(void)d;
}

static int index_of(const struct tiervm_host *h, long long id)
{
	for (unsigned i = 0; i < h->n_nodes; i++)
		if ((long long)h->nodes[i].id == id)
			return (int)i;
	return -1;
}

static void read_distances(struct disc *d, xmlNode *cell,
			   struct tiervm_host_node *n)
{
	struct tiervm_host *h = d->h;
	unsigned found = 0;

	n->distance = xcalloc(h->n_nodes, sizeof(*n->distance));
	for (xmlNode *s = xml_child(xml_child(cell, "distances"), "sibling"); s;
	     s = s->next) {
		int i = xml_is(s, "sibling") ? index_of(h, attr(s, "id", -1))
					     : -1;

		if (i >= 0) {
			n->distance[i] = (unsigned)attr(s, "value", 0);
			found++;
		}
	}
	if (found != h->n_nodes) {
		host_note(d, "node%u: libvirt gives %u of %u distances", n->id,
			  found, h->n_nodes);
		free(n->distance);
		n->distance = NULL;
	}
}

/*
 * <interconnects> holds what the kernel's access1 shows: the best cpu
 * initiators of each target.  Latency in ns, bandwidth scaled; kept as
 * sysfs has them (MB/s).
 */
static void read_interconnects(struct disc *d, xmlNode *ic)
{
	for (xmlNode *x = ic ? ic->children : NULL; x; x = x->next) {
		bool lat = xml_is(x, "latency"), bw = xml_is(x, "bandwidth");
		int t = index_of(d->h, attr(x, "target", -1));
		struct tiervm_host_access *a;
		long long init = attr(x, "initiator", -1);

		if ((!lat && !bw) || t < 0 || init < 0 ||
		    init >= TIERVM_HOST_MAX_NODES)
			continue;
		a = &d->h->nodes[t].access[1];
		if (!a->present) {
			a->present = true;
			a->read_latency = a->write_latency = UINT64_MAX;
			a->read_bandwidth = a->write_bandwidth = UINT64_MAX;
		}
		cpuset_set(&a->initiators, (unsigned)init);
		if (lat)
			a->read_latency = a->write_latency =
				(uint64_t)attr(x, "value", 0);
		else
			a->read_bandwidth = a->write_bandwidth =
				scaled(x, false) >> 20;
	}
}

struct tiervm_host *tiervm_host_from_libvirt(const char *uri,
					     tiervm_error **errp)
{
	struct disc d = { 0 };
	virConnectPtr c;
	char *caps;
	xmlDoc *doc;
	xmlNode *topo, *cells;

	if (!(c = tiervm_libvirt_connect(uri, errp)))
		return NULL;
	caps = virConnectGetCapabilities(c);
	virConnectClose(c);
	doc = caps ? xmlReadMemory(caps, (int)strlen(caps), "capabilities.xml",
				   NULL, XML_PARSE_NONET)
		   : NULL;
	free(caps);
	topo = doc ? xml_child(xml_child(xmlDocGetRootElement(doc), "host"),
			       "topology")
		   : NULL;
	cells = xml_child(topo, "cells");
	if (!cells) {
		tiervm_error_set(
			errp, TIERVM_E_FAIL,
			"libvirt at %s: its capabilities have no NUMA cells",
			uri);
		xmlFreeDoc(doc);
		return NULL;
	}
	d.h = xcalloc(1, sizeof(*d.h));
	d.h->root = xstrdup(uri);
	d.h->demoted = d.h->promoted = UINT64_MAX;
	for (xmlNode *x = cells->children; x; x = x->next)
		d.h->n_nodes += xml_is(x, "cell");
	d.h->nodes = xcalloc(d.h->n_nodes + 1, sizeof(*d.h->nodes));
	{
		unsigned i = 0;

		for (xmlNode *x = cells->children; x; x = x->next)
			if (xml_is(x, "cell"))
				read_cell(&d, x, &d.h->nodes[i++]);
		i = 0;
		for (xmlNode *x = cells->children; x; x = x->next)
			if (xml_is(x, "cell"))
				read_distances(&d, x, &d.h->nodes[i++]);
	}
	read_interconnects(&d, xml_child(topo, "interconnects"));
	host_classify(&d);
	host_note(
		&d,
		"from libvirt's capabilities: no memory tiers, free memory, or dax, NVDIMM and CXL devices; kinds only from cpus and HMAT bandwidth");
	d.h->notes = d.notes.s;
	xmlFreeDoc(doc);
	return d.h;
}
