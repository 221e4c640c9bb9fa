// SPDX-License-Identifier: LGPL-2.1-or-later
/* The spec model: names of its enumerations, lookups, and freeing. */
#include <stdlib.h>
#include <string.h>

#include "spec.h"

const char *const tiervm_nv_mode_names[] = { "raw", "fsdax", "devdax", "kmem",
					     NULL };

const char *const tiervm_persistence_names[] = { "", "mem-ctrl", "cpu", NULL };
const char *const tiervm_persistence_kernel_names[] = { "", "memory_controller",
							"cpu_cache", NULL };

const char *const tiervm_dax_mode_names[] = { "devdax", "kmem", NULL };

const char *const tiervm_cxl_type_names[] = { "persistent", "volatile", NULL };
const char *const tiervm_cxl_mode_names[] = { "region", "devdax", "kmem",
					      "fsdax", NULL };

static const char *const names[] = { "dram", "hbm",	      "cxl",
				     "pmem", "soft-reserved", NULL };
const char *tiervm_kind_name(enum tiervm_kind kind)
{
	return kind < TIERVM_KIND__COUNT ? names[kind] : "unknown";
}

bool tiervm_kind_from_name(const char *name, enum tiervm_kind *kind)
{
	for (int i = 0; names[i]; i++) {
		if (!strcmp(name, names[i])) {
			*kind = (enum tiervm_kind)i;
			return true;
		}
	}
	return false;
}

static void free_mem(struct tiervm_mem *m)
{
	free(m->path);
}

static void free_ids(struct tiervm_idlist *l)
{
	for (unsigned i = 0; i < l->n; i++)
		free(l->id[i]);
	free(l->id);
}

static void cxl_free(struct tiervm_cxl_topology *t)
{
	for (unsigned i = 0; i < t->n_hbs; i++) {
		free(t->hbs[i].id);
		free_ids(&t->hbs[i].root_ports);
	}
	for (unsigned i = 0; i < t->n_switches; i++) {
		free(t->switches[i].id);
		free(t->switches[i].port);
		free_ids(&t->switches[i].downstream);
	}
	for (unsigned i = 0; i < t->n_devs; i++) {
		free(t->devs[i].id);
		free(t->devs[i].port);
	}
	for (unsigned i = 0; i < t->n_windows; i++) {
		free(t->windows[i].id);
		free_ids(&t->windows[i].host_bridges);
	}
	for (unsigned i = 0; i < t->n_regions; i++) {
		free(t->regions[i].id);
		free(t->regions[i].window);
		free_ids(&t->regions[i].devices);
	}
	free(t->hbs);
	free(t->switches);
	free(t->devs);
	free(t->windows);
	free(t->regions);
}

void tiervm_spec_free(struct tiervm_spec *s)
{
	if (!s)
		return;
	free(s->text);
	tiervm_lines_free(s->lines);
	for (unsigned i = 0; i < s->n_nodes; i++) {
		free_mem(&s->nodes[i].mem);
		free(s->nodes[i].dax);
	}
	for (unsigned i = 0; i < s->n_nvdimms; i++) {
		free(s->nvdimms[i].namespaces);
		free(s->nvdimms[i].id);
		free(s->nvdimms[i].path);
	}
	for (unsigned i = 0; i < s->n_vmems; i++) {
		free(s->vmems[i].id);
		free_mem(&s->vmems[i].mem);
	}
	for (unsigned i = 0; i < s->n_cxls; i++)
		free(s->cxls[i].id);
	free(s->nodes);
	free(s->distances);
	free(s->hmat);
	free(s->caches);
	free(s->nvdimms);
	free(s->vmems);
	free(s->cxls);
	cxl_free(&s->cxl);
	free(s->guest.kernel);
	free(s->guest.modules);
	free(s->guest.initrd);
	free(s->guest.cmdline);
	free(s->name);
	free(s->file);
	free(s);
}

const struct tiervm_node *tiervm_spec_node(const struct tiervm_spec *spec,
					   unsigned id)
{
	for (unsigned i = 0; i < spec->n_nodes; i++)
		if (spec->nodes[i].id == id)
			return &spec->nodes[i];
	return NULL;
}

bool tiervm_lines_find(const struct tiervm_lines *l, const char *key, int *line)
{
	/* the latest first: an attached item is read after the spec */
	for (size_t i = l ? l->n : 0; i-- > 0;)
		if (!strcmp(l->key[i], key)) {
			*line = l->line[i];
			return true;
		}
	return false;
}

void tiervm_lines_free(struct tiervm_lines *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->key[i]);
	free(l->key);
	free(l->line);
	free(l);
}
