// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A memory inventory from an hwloc 2.x XML file (`lstopo --of xml`), for
 * machines tiervm cannot read /sys of: what people attach to bug reports.
 * hwloc has already digested sysfs (or ACPI), so this reads its digest:
 * NUMANode objects (memory, subtype, cpuset), the MemCache objects above
 * them, Package objects above PUs, the NUMALatency distances and the
 * latency/bandwidth memory attributes.  Units are hwloc's, which are the
 * kernel's: nanoseconds and MiB/s.
 */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#include "host_internal.h"
#include "util_xml.h"

struct xnode {
	struct tiervm_host_node n;
	struct tiervm_cpuset local; /* hwloc's cpuset: the cpus near it */
	long long gp;
	char subtype[32], daxtype[16];
};

struct xread {
	struct xnode *nodes;
	unsigned n_nodes;
	struct {
		unsigned os;
		int pkg;
	} * pus;
	unsigned n_pus;
	struct sbuf notes;
};

static char *prop(xmlNode *n, const char *name)
{
	return (char *)xmlGetProp(n, (const xmlChar *)name);
}

static bool prop_u64(xmlNode *n, const char *name, uint64_t *out)
{
	char *v = prop(n, name);
	bool ok = v && tiervm_parse_u64(v, out, NULL);

	xmlFree(v);
	return ok;
}

/* hwloc's bitmap: 32-bit hex words, most significant first, by commas. */
static bool parse_bitmap(const char *s, struct tiervm_cpuset *set)
{
	unsigned words = 1, w = 0;

	memset(set, 0, sizeof(*set));
	for (const char *p = s; *p; p++)
		words += *p == ',';
	for (const char *p = s; *p; w++) {
		char *end;
		unsigned long v = strtoul(p, &end, 16);
		unsigned base = (words - 1 - w) * 32;

		if (end == p || (*end && *end != ','))
			return false;
		for (unsigned b = 0; b < 32; b++)
			if (v >> b & 1 && base + b < TIERVM_MAX_CPUS)
				cpuset_set(set, base + b);
		p = *end ? end + 1 : end;
	}
	return true;
}

static void read_numanode(struct xread *x, xmlNode *o, int pkg,
			  const struct tiervm_host_cache *caches)
{
	struct xnode *xn;
	uint64_t os, gp;
	char *v;

	if (!prop_u64(o, "os_index", &os) || os >= TIERVM_HOST_MAX_NODES) {
		sbuf_addf(&x->notes,
			  "a NUMANode without a usable os_index, ignored\n");
		return;
	}
	x->nodes = xrealloc(x->nodes, (x->n_nodes + 1) * sizeof(*x->nodes));
	xn = &x->nodes[x->n_nodes++];
	memset(xn, 0, sizeof(*xn));
	xn->n.id = (unsigned)os;
	xn->n.tier = -1;
	xn->n.kind = TIERVM_HOST_UNKNOWN;
	xn->n.memory_free = xn->n.demoted = xn->n.promoted = UINT64_MAX;
	xn->gp = prop_u64(o, "gp_index", &gp) ? (long long)gp : -1;
	xn->n.memory_known = prop_u64(o, "local_memory", &xn->n.memory);
	if (!xn->n.memory_known) /* hwloc omits it when 0 */
		xn->n.memory_known = true;
	if ((v = prop(o, "cpuset")) && !parse_bitmap(v, &xn->local))
		sbuf_addf(&x->notes, "node%u: cpuset '%.40s' is malformed\n",
			  xn->n.id, v);
	xmlFree(v);
	memcpy(xn->n.caches, caches, sizeof(xn->n.caches));
	if ((v = prop(o, "subtype")))
		snprintf(xn->subtype, sizeof(xn->subtype), "%s", v);
	xmlFree(v);
	for (xmlNode *c = o->children; c; c = c->next) {
		char *name;

		if (!xml_is(c, "info"))
			continue;
		name = prop(c, "name");
		if (name && !strcmp(name, "DAXType") &&
		    (v = prop(c, "value"))) {
			snprintf(xn->daxtype, sizeof(xn->daxtype), "%s", v);
			xmlFree(v);
		}
		xmlFree(name);
	}
}

/*
 * hwloc's associativity for a memory-side cache is 1 for the kernel's
 * direct-mapped indexing and 0 for anything else; HMAT's "complex"
 * indexing is not told apart from "none" there, and the write policy is
 * not kept at all.
 */
static void read_memcache(xmlNode *o, struct tiervm_host_cache *caches)
{
	uint64_t level, size, line = 64, assoc = 0;

	if (!prop_u64(o, "depth", &level) || level < 1 || level > 3 ||
	    !prop_u64(o, "cache_size", &size))
		return;
	prop_u64(o, "cache_linesize", &line);
	prop_u64(o, "cache_associativity", &assoc);
	caches[level] = (struct tiervm_host_cache){
		.present = true,
		.size = size,
		.line_size = line,
		.indexing = assoc == 1 ? 0 : 2,
		.write_policy = UINT64_MAX,
	};
}

static void walk(struct xread *x, xmlNode *first, int pkg,
		 const struct tiervm_host_cache *above)
{
	for (xmlNode *o = first; o; o = o->next) {
		struct tiervm_host_cache caches[4];
		char *type;
		uint64_t v;
		int p = pkg;

		if (!xml_is(o, "object"))
			continue;
		memcpy(caches, above, sizeof(caches));
		type = prop(o, "type");
		if (!type) {
			continue;
		} else if (!strcmp(type, "Package")) {
			p = prop_u64(o, "os_index", &v) && v < TIERVM_MAX_CPUS
				    ? (int)v
				    : -1;
		} else if (!strcmp(type, "MemCache")) {
			read_memcache(o, caches);
		} else if (!strcmp(type, "NUMANode")) {
			read_numanode(x, o, pkg, caches);
		} else if (!strcmp(type, "PU") && prop_u64(o, "os_index", &v) &&
			   v < TIERVM_MAX_CPUS) {
			x->pus = xrealloc(x->pus,
					  (x->n_pus + 1) * sizeof(*x->pus));
			x->pus[x->n_pus].os = (unsigned)v;
			x->pus[x->n_pus++].pkg = pkg;
		}
		xmlFree(type);
		walk(x, o->children, p, caches);
	}
}

static int node_index(const struct tiervm_host *h, const struct xnode *xn,
		      bool by_gp, uint64_t v)
{
	for (unsigned i = 0; i < h->n_nodes; i++)
		if (by_gp ? xn[i].gp == (long long)v : h->nodes[i].id == v)
			return (int)i;
	return -1;
}

/* All the numbers in the text of @parent's children named @name. */
static uint64_t *numbers(xmlNode *parent, const char *name, unsigned *count)
{
	uint64_t *out = NULL;

	*count = 0;
	for (xmlNode *c = parent->children; c; c = c->next) {
		char *text, *p, *end;

		if (!xml_is(c, name))
			continue;
		text = (char *)xmlNodeGetContent(c);
		for (p = text; p && *p; p = end) {
			unsigned long long v = strtoull(p, &end, 10);

			if (end == p)
				break;
			out = xrealloc(out, (*count + 1) * sizeof(*out));
			out[(*count)++] = v;
		}
		xmlFree(text);
	}
	return out;
}

static void read_distances(struct tiervm_host *h, const struct xnode *xn,
			   xmlNode *d, struct sbuf *notes)
{
	char *type = prop(d, "type"), *name = prop(d, "name"),
	     *indexing = prop(d, "indexing");
	bool by_gp = indexing && !strcmp(indexing, "gp");
	unsigned n_idx = 0, n_val = 0;
	uint64_t *idx = NULL, *val = NULL;
	int *pos = NULL;

	if (!type || strcmp(type, "NUMANode") ||
	    (name && strcmp(name, "NUMALatency")))
		goto out;
	idx = numbers(d, "indexes", &n_idx);
	val = numbers(d, "u64values", &n_val);
	if (n_idx != h->n_nodes || n_val != n_idx * n_idx) {
		sbuf_addf(
			notes,
			"NUMA distances cover %u of %u nodes (%u values); not used\n",
			n_idx, h->n_nodes, n_val);
		goto out;
	}
	pos = xcalloc(n_idx, sizeof(*pos));
	for (unsigned i = 0; i < n_idx; i++) {
		pos[i] = node_index(h, xn, by_gp, idx[i]);
		if (pos[i] < 0) {
			sbuf_addf(
				notes,
				"NUMA distances name node %llu, which the XML has not; not used\n",
				(unsigned long long)idx[i]);
			goto out;
		}
	}
	for (unsigned i = 0; i < n_idx; i++) {
		struct tiervm_host_node *n = &h->nodes[pos[i]];

		free(n->distance);
		n->distance = xcalloc(h->n_nodes, sizeof(*n->distance));
		for (unsigned j = 0; j < n_idx; j++)
			n->distance[pos[j]] =
				val[i * n_idx + j] > 255
					? 255
					: (unsigned)val[i * n_idx + j];
	}
out:
	free(pos);
	free(idx);
	free(val);
	xmlFree(type);
	xmlFree(name);
	xmlFree(indexing);
}

/* Which figure of struct tiervm_host_access a memory attribute gives. */
static uint64_t *attr_field(struct tiervm_host_access *a, const char *name,
			    bool *general)
{
	*general = false;
	if (!strcmp(name, "ReadLatency"))
		return &a->read_latency;
	if (!strcmp(name, "WriteLatency"))
		return &a->write_latency;
	if (!strcmp(name, "ReadBandwidth"))
		return &a->read_bandwidth;
	if (!strcmp(name, "WriteBandwidth"))
		return &a->write_bandwidth;
	*general = true;
	if (!strcmp(name, "Latency"))
		return &a->read_latency;
	if (!strcmp(name, "Bandwidth"))
		return &a->read_bandwidth;
	return NULL;
}

/* The nodes with cpus whose cpus all lie in @cpus: hwloc's initiator. */
static struct tiervm_cpuset initiator_nodes(const struct tiervm_host *h,
					    const struct tiervm_cpuset *cpus)
{
	struct tiervm_cpuset nodes = { 0 };

	for (unsigned i = 0; i < h->n_nodes; i++) {
		const struct tiervm_host_node *n = &h->nodes[i];
		bool inside = n->has_cpus;

		for (unsigned c = 0; inside && c < TIERVM_MAX_CPUS; c++)
			inside = !cpuset_test(&n->cpus, c) ||
				 cpuset_test(cpus, c);
		if (inside)
			cpuset_set(&nodes, n->id);
	}
	return nodes;
}

/*
 * Memory attributes become the access class the kernel calls access1 (the
 * best cpu initiators).  hwloc's Latency and Bandwidth fill read and write
 * alike unless the Read/Write attributes say otherwise.  A target with
 * figures for several initiator sets keeps the best (lowest latency), as
 * the kernel's access classes do.
 */
static void read_memattr(struct tiervm_host *h, const struct xnode *xn,
			 xmlNode *m, struct sbuf *notes)
{
	char *name = prop(m, "name");
	struct tiervm_host_access probe = { 0 };
	bool general;

	if (!name || !attr_field(&probe, name, &general))
		goto out;
	for (xmlNode *v = m->children; v; v = v->next) {
		struct tiervm_cpuset cpus, init;
		struct tiervm_host_access *a;
		uint64_t gp, value, *f;
		char *ic;
		int i;

		if (!xml_is(v, "memattr_value") ||
		    !prop_u64(v, "target_obj_gp_index", &gp) ||
		    !prop_u64(v, "value", &value) ||
		    (i = node_index(h, xn, true, gp)) < 0)
			continue;
		ic = prop(v, "initiator_cpuset");
		if (!ic || !parse_bitmap(ic, &cpus)) {
			sbuf_addf(
				notes,
				"%s of node%u: an initiator that is not a set of cpus, not used\n",
				name, h->nodes[i].id);
			xmlFree(ic);
			continue;
		}
		xmlFree(ic);
		init = initiator_nodes(h, &cpus);
		a = &h->nodes[i].access[1];
		if (!a->present) {
			*a = (struct tiervm_host_access){
				.present = true,
				.initiators = init,
				.read_latency = UINT64_MAX,
				.write_latency = UINT64_MAX,
				.read_bandwidth = UINT64_MAX,
				.write_bandwidth = UINT64_MAX,
			};
		} else if (memcmp(&a->initiators, &init, sizeof(init))) {
			bool latency = strstr(name, "Latency") != NULL;
			uint64_t have = *attr_field(a, name, &general);

			if (have != UINT64_MAX &&
			    (latency ? value >= have : value <= have))
				continue;
			a->initiators = init;
		}
		f = attr_field(a, name, &general);
		*f = value;
		if (general && !strcmp(name, "Latency") &&
		    a->write_latency == UINT64_MAX)
			a->write_latency = value;
		if (general && !strcmp(name, "Bandwidth") &&
		    a->write_bandwidth == UINT64_MAX)
			a->write_bandwidth = value;
	}
out:
	xmlFree(name);
}

static const struct {
	const char *subtype;
	enum tiervm_host_kind kind;
} subtypes[] = {
	{ "DRAM", TIERVM_HOST_DRAM },	      { "HBM", TIERVM_HOST_HBM },
	{ "MCDRAM", TIERVM_HOST_HBM },	      { "NVM", TIERVM_HOST_PMEM },
	{ "SPM", TIERVM_HOST_SOFT_RESERVED }, { "CXL-DRAM", TIERVM_HOST_CXL },
	{ "CXL-NVM", TIERVM_HOST_CXL },	      { "GPUMemory", TIERVM_HOST_GPU },
};

/* hwloc's subtype is its own reading of the same evidence tiervm uses. */
static void classify(struct xnode *xn)
{
	const char *what = xn->subtype[0] ? xn->subtype : xn->daxtype;

	for (size_t i = 0; *what && i < sizeof(subtypes) / sizeof(*subtypes);
	     i++) {
		if (!strcmp(what, subtypes[i].subtype)) {
			xn->n.kind = subtypes[i].kind;
			xn->n.evidence = xasprintf(
				"hwloc: %s %s",
				xn->subtype[0] ? "subtype" : "DAXType", what);
			return;
		}
	}
	if (xn->n.has_cpus) {
		xn->n.kind = TIERVM_HOST_DRAM;
		xn->n.evidence = xasprintf(
			"node%u has cpus and no hwloc subtype: DRAM", xn->n.id);
	} else {
		xn->n.evidence =
			xasprintf("cpu-less node, hwloc gives no subtype%s%s",
				  *what ? " it knows: " : "", what);
	}
}

static bool plain(const struct xnode *xn)
{
	return !xn->subtype[0] || !strcmp(xn->subtype, "DRAM");
}

/*
 * hwloc gives a node the cpus near it, so a cpu-less MCDRAM or NVM node
 * shares its DRAM neighbour's cpuset.  The kernel's cpu-to-node map puts
 * each cpu in one node: the nearest (smallest cpuset), plain DRAM before
 * a special kind, the lowest id first, which is how hwloc orders them.
 */
static void own_cpus(struct xread *x)
{
	for (unsigned p = 0; p < x->n_pus; p++) {
		struct xnode *best = NULL;
		unsigned best_n = 0;

		for (unsigned i = 0; i < x->n_nodes; i++) {
			struct xnode *xn = &x->nodes[i];
			unsigned n = cpuset_count(&xn->local);

			if (!cpuset_test(&xn->local, x->pus[p].os))
				continue;
			if (!best || n < best_n ||
			    (n == best_n && plain(xn) && !plain(best))) {
				best = xn;
				best_n = n;
			}
		}
		if (!best)
			continue;
		cpuset_set(&best->n.cpus, x->pus[p].os);
		best->n.has_cpus = true;
		if (x->pus[p].pkg >= 0)
			cpuset_set(&best->n.packages, (unsigned)x->pus[p].pkg);
	}
}

static int by_id(const void *a, const void *b)
{
	const struct xnode *x = a, *y = b;

	return (x->n.id > y->n.id) - (x->n.id < y->n.id);
}

static struct tiervm_host *build(struct xread *x, xmlNode *top,
				 const char *path, tiervm_error **errp)
{
	struct tiervm_host *h = xcalloc(1, sizeof(*h));

	qsort(x->nodes, x->n_nodes, sizeof(*x->nodes), by_id);
	own_cpus(x);
	h->root = xstrdup(path);
	h->n_nodes = x->n_nodes;
	h->nodes = xcalloc(x->n_nodes + 1, sizeof(*h->nodes));
	h->demoted = h->promoted = UINT64_MAX;
	for (unsigned i = 0; i < x->n_nodes; i++) {
		if (i && x->nodes[i].n.id == x->nodes[i - 1].n.id) {
			tiervm_error_set(errp, TIERVM_E_INPUT,
					 "%s: NUMA node %u appears twice", path,
					 x->nodes[i].n.id);
			/* the evidence strings are still x's to free */
			free(h->nodes);
			free(h->root);
			free(h);
			return NULL;
		}
		classify(&x->nodes[i]);
		h->nodes[i] = x->nodes[i].n;
	}
	for (xmlNode *c = top->children; c; c = c->next) {
		if (xml_is(c, "distances2"))
			read_distances(h, x->nodes, c, &x->notes);
		else if (xml_is(c, "memattr"))
			read_memattr(h, x->nodes, c, &x->notes);
	}
	if (h->n_nodes && !h->nodes[0].distance)
		sbuf_addf(&x->notes, "no NUMA distances in the XML\n");
	sbuf_addf(
		&x->notes,
		"from hwloc XML: no memory tiers, dax, NVDIMM or CXL devices, and memory-side cache write policies are not in it\n");
	h->notes = x->notes.s;
	x->notes.s = NULL;
	return h;
}

struct tiervm_host *tiervm_host_from_xml(const char *path, tiervm_error **errp)
{
	static const struct tiervm_host_cache none[4];
	struct xread x = { 0 };
	struct tiervm_host *h = NULL;
	xmlDoc *doc;
	xmlNode *top;
	char *version;

	/* no network, no DTD, no entity expansion: the file is untrusted */
	doc = xmlReadFile(path, NULL,
			  XML_PARSE_NONET | XML_PARSE_NOERROR |
				  XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *e = xmlGetLastError();
		const char *msg = e && e->message ? e->message : "unreadable";

		/* libxml2's messages end in a newline; one line is the rule */
		tiervm_error_set(errp, TIERVM_E_INPUT, "%s:%d: not XML: %.*s",
				 path, e ? e->line : 0, (int)strcspn(msg, "\n"),
				 msg);
		return NULL;
	}
	top = xmlDocGetRootElement(doc);
	version = top ? prop(top, "version") : NULL;
	if (!top || !xml_is(top, "topology")) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"%s: not an hwloc topology (no <topology> root)", path);
	} else if (!version || strncmp(version, "2.", 2)) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"%s: an hwloc 1.x XML, which has no memory attributes or NUMA subtypes; export it with hwloc 2 (lstopo --of xml)",
			path);
	} else {
		walk(&x, top->children, -1, none);
		if (!x.n_nodes)
			tiervm_error_set(errp, TIERVM_E_INPUT,
					 "%s: the topology has no NUMA node",
					 path);
		else
			h = build(&x, top, path, errp);
	}
	if (!h) {
		for (unsigned i = 0; i < x.n_nodes; i++)
			free(x.nodes[i].n.evidence);
		sbuf_free(&x.notes);
	}
	xmlFree(version);
	free(x.nodes);
	free(x.pus);
	xmlFreeDoc(doc);
	return h;
}
