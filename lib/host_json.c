// SPDX-License-Identifier: LGPL-2.1-or-later
/* The host inventory as JSON: the schema is documented in docs/json.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "util.h"

static json_object *u64_or_null(uint64_t v)
{
	return v == UINT64_MAX ? NULL : json_object_new_int64((int64_t)v);
}

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *access_json(const struct tiervm_host_node *n,
				const struct tiervm_host_access *a,
				unsigned cls)
{
	json_object *o = json_object_new_object();
	char *list = tiervm_format_cpulist(&a->initiators);

	(void)n;
	json_object_object_add(o, "class", json_object_new_int((int)cls));
	json_object_object_add(o, "initiators", json_object_new_string(list));
	json_object_object_add(
		o, "initiator",
		cpuset_count(&a->initiators)
			? json_object_new_int(cpuset_first(&a->initiators))
			: NULL);
	json_object_object_add(o, "read_latency", u64_or_null(a->read_latency));
	json_object_object_add(o, "write_latency",
			       u64_or_null(a->write_latency));
	json_object_object_add(o, "read_bandwidth",
			       u64_or_null(a->read_bandwidth));
	json_object_object_add(o, "write_bandwidth",
			       u64_or_null(a->write_bandwidth));
	free(list);
	return o;
}

static json_object *node_json(const struct tiervm_host *h,
			      const struct tiervm_host_node *n)
{
	json_object *o = json_object_new_object();
	json_object *dist = json_object_new_object();
	json_object *acc = json_object_new_array();
	json_object *caches = json_object_new_array();
	char *cpus = tiervm_format_cpulist(&n->cpus);

	json_object_object_add(o, "id", json_object_new_int((int)n->id));
	json_object_object_add(o, "cpus", json_object_new_string(cpus));
	json_object_object_add(
		o, "memory",
		n->memory_known ? json_object_new_int64((int64_t)n->memory)
				: NULL);
	json_object_object_add(o, "memory_free", u64_or_null(n->memory_free));
	json_object_object_add(o, "pgdemote", u64_or_null(n->demoted));
	json_object_object_add(o, "pgpromote", u64_or_null(n->promoted));
	json_object_object_add(
		o, "kind",
		json_object_new_string(tiervm_host_kind_name(n->kind)));
	json_object_object_add(o, "evidence", str_or_null(n->evidence));
	json_object_object_add(
		o, "tier", n->tier >= 0 ? json_object_new_int(n->tier) : NULL);
	for (unsigned j = 0; n->distance && j < h->n_nodes; j++) {
		char key[16];

		snprintf(key, sizeof(key), "%u", h->nodes[j].id);
		json_object_object_add(
			dist, key, json_object_new_int((int)n->distance[j]));
	}
	json_object_object_add(o, "distances", dist);
	for (unsigned c = 0; c < 2; c++)
		if (n->access[c].present)
			json_object_array_add(acc,
					      access_json(n, &n->access[c], c));
	json_object_object_add(o, "access", acc);
	for (unsigned l = 1; l <= 3; l++) {
		const struct tiervm_host_cache *c = &n->caches[l];
		json_object *e;

		if (!c->present)
			continue;
		e = json_object_new_object();
		json_object_object_add(e, "level", json_object_new_int((int)l));
		json_object_object_add(e, "size", u64_or_null(c->size));
		json_object_object_add(e, "line_size",
				       u64_or_null(c->line_size));
		json_object_object_add(e, "indexing", u64_or_null(c->indexing));
		json_object_object_add(e, "write_policy",
				       u64_or_null(c->write_policy));
		json_object_array_add(caches, e);
	}
	json_object_object_add(o, "caches", caches);
	free(cpus);
	return o;
}

/* What every device entry starts with; @type may be NULL. */
static json_object *device_json(const char *name, const char *type,
				uint64_t size)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "name", json_object_new_string(name));
	if (type)
		json_object_object_add(e, "type", json_object_new_string(type));
	json_object_object_add(e, "size", u64_or_null(size));
	return e;
}

json_object *tiervm_host_to_json(const struct tiervm_host *h)
{
	json_object *o = json_object_new_object();
	json_object *nodes = json_object_new_array();
	json_object *dax = json_object_new_array();
	json_object *nd = json_object_new_array();
	json_object *cxl = json_object_new_array();
	json_object *iomem = json_object_new_array();

	json_object_object_add(o, "root", json_object_new_string(h->root));
	for (unsigned i = 0; i < h->n_nodes; i++)
		json_object_array_add(nodes, node_json(h, &h->nodes[i]));
	json_object_object_add(o, "pgdemote", u64_or_null(h->demoted));
	json_object_object_add(o, "pgpromote", u64_or_null(h->promoted));
	json_object_object_add(o, "nodes", nodes);
	for (unsigned i = 0; i < h->n_dax; i++) {
		const struct tiervm_host_dax *x = &h->dax[i];
		json_object *e = device_json(x->name, NULL, x->size);

		json_object_object_add(e, "target_node",
				       json_object_new_int(x->target_node));
		json_object_object_add(e, "numa_node",
				       json_object_new_int(x->numa_node));
		json_object_object_add(e, "driver", str_or_null(x->driver));
		json_object_object_add(e, "resource", str_or_null(x->resource));
		json_object_object_add(e, "source", str_or_null(x->source));
		json_object_object_add(e, "align", u64_or_null(x->align));
		json_object_array_add(dax, e);
	}
	json_object_object_add(o, "dax", dax);
	for (unsigned i = 0; i < h->n_nd; i++) {
		const struct tiervm_host_nd *x = &h->nd[i];
		json_object *e = device_json(x->name, x->type, x->size);

		json_object_object_add(e, "mode", str_or_null(x->mode));
		json_object_object_add(e, "numa_node",
				       json_object_new_int(x->numa_node));
		if (!strcmp(x->type, "region")) {
			json_object_object_add(
				e, "nfit", json_object_new_boolean(x->nfit));
			json_object_object_add(e, "persistence_domain",
					       str_or_null(x->persistence));
		}
		json_object_array_add(nd, e);
	}
	json_object_object_add(o, "nvdimm", nd);
	for (unsigned i = 0; i < h->n_cxl; i++) {
		const struct tiervm_host_cxl *x = &h->cxl[i];
		json_object *e = device_json(x->name, x->type, x->size);

		json_object_object_add(e, "detail", str_or_null(x->detail));
		if (x->path)
			json_object_object_add(e, "path",
					       json_object_new_string(x->path));
		if (x->uport)
			json_object_object_add(
				e, "uport", json_object_new_string(x->uport));
		if (x->dports)
			json_object_object_add(
				e, "dports", json_object_new_string(x->dports));
		if (x->serial)
			json_object_object_add(
				e, "serial", json_object_new_string(x->serial));
		if (x->pmem_size != UINT64_MAX)
			json_object_object_add(
				e, "pmem_size",
				json_object_new_int64((int64_t)x->pmem_size));
		if (x->ram_size != UINT64_MAX)
			json_object_object_add(
				e, "ram_size",
				json_object_new_int64((int64_t)x->ram_size));
		if (x->ways >= 0)
			json_object_object_add(e, "ways",
					       json_object_new_int(x->ways));
		if (x->granularity != UINT64_MAX)
			json_object_object_add(
				e, "granularity",
				json_object_new_int64((int64_t)x->granularity));
		if (x->targets)
			json_object_object_add(
				e, "targets",
				json_object_new_string(x->targets));
		if (x->mode)
			json_object_object_add(e, "mode",
					       json_object_new_string(x->mode));
		if (x->commit >= 0)
			json_object_object_add(e, "commit",
					       json_object_new_int(x->commit));
		if (x->read_latency != UINT64_MAX)
			json_object_object_add(
				e, "read_latency",
				json_object_new_int64(
					(int64_t)x->read_latency));
		if (x->read_bandwidth != UINT64_MAX)
			json_object_object_add(
				e, "read_bandwidth",
				json_object_new_int64(
					(int64_t)x->read_bandwidth));
		json_object_array_add(cxl, e);
	}
	json_object_object_add(o, "cxl", cxl);
	for (unsigned i = 0; i < h->n_iomem; i++) {
		const struct tiervm_host_iomem *r = &h->iomem[i];
		json_object *e = json_object_new_object();
		char buf[40];

		snprintf(buf, sizeof(buf), "0x%llx",
			 (unsigned long long)r->start);
		json_object_object_add(e, "start", json_object_new_string(buf));
		snprintf(buf, sizeof(buf), "0x%llx",
			 (unsigned long long)r->end);
		json_object_object_add(e, "end", json_object_new_string(buf));
		json_object_object_add(e, "depth",
				       json_object_new_int((int)r->depth));
		json_object_object_add(e, "name",
				       json_object_new_string(r->name));
		json_object_array_add(iomem, e);
	}
	json_object_object_add(o, "iomem", h->iomem_known ? iomem : NULL);
	if (!h->iomem_known)
		json_object_put(iomem);
	json_object_object_add(o, "notes", json_object_new_string(h->notes));
	return o;
}
