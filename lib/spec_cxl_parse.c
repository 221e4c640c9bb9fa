// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The `cxl` section: its mapping form (host bridges, switches, devices,
 * windows, regions) read into the topology model, and its one-device list
 * form made into the same model, so that nothing after parsing tells them
 * apart.  Rules live in spec_cxl_validate.c.
 */
#include <stdlib.h>
#include <string.h>

#include "spec_cxl.h"
#include "spec_internal.h"
#include "spec_yaml.h"

/* QEMU's docs use 256M; the guest reads all of it at every boot (choices.md) */
#define LABEL_SIZE_DEFAULT (1 * MiB)

static void parse_ids(struct ywalk *w, yaml_node_t *n, const char *path,
		      struct tiervm_idlist *l)
{
	yaml_node_t **it = ywalk_items(w, n, path, &l->n);

	l->line = yline(n);
	if (!it)
		return;
	l->id = xcalloc(l->n + 1, sizeof(*l->id));
	for (unsigned i = 0; i < l->n; i++) {
		char *p = xasprintf("%s[%u]", path, i);

		diag_mark(w->d, p, yline(it[i]));
		l->id[i] = ywalk_dup_str(w, it[i], p);
		free(p);
	}
	free(it);
}

static void parse_hb(struct ywalk *w, yaml_node_t *n, const char *path,
		     struct tiervm_cxl_hb *h)
{
	static const char *const keys[] = { "id", "root-ports", NULL };

	h->line = yline(n);
	if (!ywalk_open_map(w, n, path, keys, keys))
		return;
	YWITH(n, path, "id", h->id = ywalk_dup_str(w, v, p));
	YWITH(n, path, "root-ports", parse_ids(w, v, p, &h->root_ports));
}

static void parse_switch(struct ywalk *w, yaml_node_t *n, const char *path,
			 struct tiervm_cxl_switch *sw)
{
	static const char *const keys[] = { "id", "port", "downstream-ports",
					    NULL };

	sw->line = yline(n);
	if (!ywalk_open_map(w, n, path, keys, keys))
		return;
	YWITH(n, path, "id", sw->id = ywalk_dup_str(w, v, p));
	YWITH(n, path, "port", sw->port = ywalk_dup_str(w, v, p));
	YWITH(n, path, "downstream-ports", parse_ids(w, v, p, &sw->downstream));
}

static void parse_dev(struct ywalk *w, yaml_node_t *n, const char *path,
		      struct tiervm_cxl_dev *dv)
{
	static const char *const keys[] = { "id",   "port",	  "size",
					    "type", "label-size", NULL };
	int e;

	dv->line = yline(n);
	dv->label_size = LABEL_SIZE_DEFAULT;
	if (!ywalk_open_map(
		    w, n, path, keys,
		    (const char *const[]){ "id", "port", "size", NULL }))
		return;
	YWITH(n, path, "id", dv->id = ywalk_dup_str(w, v, p));
	YWITH(n, path, "port", dv->port = ywalk_dup_str(w, v, p));
	YWITH(n, path, "size", ywalk_size(w, v, p, &dv->size));
	YWITH(n, path, "type",
	      if (ywalk_enum(w, v, p, tiervm_cxl_type_names, &e)) dv->type =
		      (enum tiervm_cxl_type)e);
	YWITH(n, path, "label-size", ywalk_size(w, v, p, &dv->label_size));
}

static void parse_window(struct ywalk *w, yaml_node_t *n, const char *path,
			 struct tiervm_cxl_window *win)
{
	static const char *const keys[] = { "id", "size", "host-bridges",
					    "granularity", NULL };

	win->line = yline(n);
	if (!ywalk_open_map(w, n, path, keys,
			    (const char *const[]){ "id", "size", "host-bridges",
						   NULL }))
		return;
	YWITH(n, path, "id", win->id = ywalk_dup_str(w, v, p));
	YWITH(n, path, "size", ywalk_size(w, v, p, &win->size));
	YWITH(n, path, "host-bridges", parse_ids(w, v, p, &win->host_bridges));
	YWITH(n, path, "granularity", ywalk_size(w, v, p, &win->granularity));
}

static void parse_region(struct ywalk *w, yaml_node_t *n, const char *path,
			 struct tiervm_cxl_region *r)
{
	static const char *const keys[] = {
		"id",	"window", "devices", "ways",	  "granularity", "size",
		"mode", "node",	  "latency", "bandwidth", NULL
	};
	int e;

	r->line = yline(n);
	if (!ywalk_open_map(
		    w, n, path, keys,
		    (const char *const[]){ "id", "window", "devices", NULL }))
		return;
	YWITH(n, path, "id", r->id = ywalk_dup_str(w, v, p));
	YWITH(n, path, "window", r->window = ywalk_dup_str(w, v, p));
	YWITH(n, path, "devices", parse_ids(w, v, p, &r->devices));
	YWITH(n, path, "ways", ywalk_uint(w, v, p, 16, &r->ways));
	YWITH(n, path, "granularity", ywalk_size(w, v, p, &r->granularity));
	YWITH(n, path, "size", ywalk_size(w, v, p, &r->size));
	YWITH(n, path, "mode",
	      if (ywalk_enum(w, v, p, tiervm_cxl_mode_names, &e)) r->mode =
		      (enum tiervm_cxl_mode)e);
	YWITH(n, path, "node",
	      r->has_node =
		      ywalk_uint(w, v, p, TIERVM_MAX_NODES - 1, &r->node));
	YWITH(n, path, "latency", ywalk_latency(w, v, p, &r->latency));
	YWITH(n, path, "bandwidth", ywalk_size(w, v, p, &r->bandwidth));
}

void spec_cxl_parse(struct ywalk *w, yaml_node_t *n, struct tiervm_spec *s)
{
	static const char *const keys[] = { "host-bridges", "switches",
					    "devices",	    "windows",
					    "regions",	    NULL };
	struct tiervm_cxl_topology *t = &s->cxl;

	t->line = yline(n);
	if (!ywalk_open_map(w, n, "cxl", keys,
			    (const char *const[]){ "host-bridges", "devices",
						   "windows", NULL }))
		return;
	t->hbs =
		ywalk_list(w, n, "host-bridges", "cxl.host-bridges",
			   sizeof(*t->hbs), (ywalk_item_fn)parse_hb, &t->n_hbs);
	t->switches = ywalk_list(w, n, "switches", "cxl.switches",
				 sizeof(*t->switches),
				 (ywalk_item_fn)parse_switch, &t->n_switches);
	t->devs = ywalk_list(w, n, "devices", "cxl.devices", sizeof(*t->devs),
			     (ywalk_item_fn)parse_dev, &t->n_devs);
	t->windows =
		ywalk_list(w, n, "windows", "cxl.windows", sizeof(*t->windows),
			   (ywalk_item_fn)parse_window, &t->n_windows);
	t->regions =
		ywalk_list(w, n, "regions", "cxl.regions", sizeof(*t->regions),
			   (ywalk_item_fn)parse_region, &t->n_regions);
}

static void one_id(struct tiervm_idlist *l, char *owned)
{
	l->id = xcalloc(2, sizeof(*l->id));
	l->id[0] = owned;
	l->n = 1;
}

/*
 * Each device of the list form has a host bridge, root port and window
 * of its own and becomes one region of its own, named as the device, at
 * 256-byte granularity: what `cxl` meant before topologies.
 */
void spec_cxl_from_list(struct tiervm_spec *s)
{
	struct tiervm_cxl_topology *t = &s->cxl;
	unsigned n = s->n_cxls;

	if (!n || t->line)
		return;
	t->line = s->cxls[0].line;
	t->listed = true;
	t->hbs = xcalloc(n, sizeof(*t->hbs));
	t->devs = xcalloc(n, sizeof(*t->devs));
	t->windows = xcalloc(n, sizeof(*t->windows));
	t->regions = xcalloc(n, sizeof(*t->regions));
	t->n_hbs = t->n_devs = t->n_windows = t->n_regions = n;
	for (unsigned i = 0; i < n; i++) {
		const struct tiervm_cxl *c = &s->cxls[i];
		const char *id = c->id ? c->id : "";

		t->hbs[i] =
			(struct tiervm_cxl_hb){ .line = c->line,
						.id = xasprintf("hb%u", i) };
		one_id(&t->hbs[i].root_ports, xasprintf("rp%u", i));
		t->devs[i] = (struct tiervm_cxl_dev){
			.line = c->line,
			.id = xstrdup(id),
			.port = xasprintf("rp%u", i),
			.size = c->size,
			.label_size = LABEL_SIZE_DEFAULT,
			.type = c->type,
		};
		t->windows[i] = (struct tiervm_cxl_window){
			.line = c->line,
			.id = xasprintf("w%u", i),
			.size = ALIGN_UP(c->size, TIERVM_CXL_UNIT),
		};
		one_id(&t->windows[i].host_bridges, xasprintf("hb%u", i));
		t->regions[i] = (struct tiervm_cxl_region){
			.line = c->line,
			.id = xstrdup(id),
			.window = xasprintf("w%u", i),
			.ways = 1,
			.granularity = 256,
			.size = c->size,
			.mode = c->mode,
		};
		one_id(&t->regions[i].devices, xstrdup(id));
	}
}
