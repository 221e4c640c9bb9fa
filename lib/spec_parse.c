// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * From YAML text to the spec model: syntax, keys, types and units.  Rules
 * that relate one value to another live in spec_validate.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "spec.h"
#include "spec_internal.h"
#include "spec_yaml.h"

static const char *const kind_names[] = { "dram", "hbm",	   "cxl",
					  "pmem", "soft-reserved", NULL };
static const char *const backend_names[] = { "ram", "file", "memfd", NULL };
static const char *const policy_names[] = { "bind", "preferred", "interleave",
					    NULL };

#define GET(map, key) ywalk_get(w, (map), (key))

static void parse_host(struct ywalk *w, yaml_node_t *n, const char *path,
		       struct tiervm_host_bind *h)
{
	static const char *const keys[] = { "nodes", "kind", "policy", NULL };
	int e;

	if (!ywalk_open_map(w, n, path, keys, NULL))
		return;
	h->present = true;
	h->line = yline(n);
	YWITH(n, path, "nodes", h->has_nodes = ywalk_cpus(w, v, p, &h->nodes));
	YWITH(
		n, path, "kind", if (ywalk_enum(w, v, p, kind_names, &e)) {
			h->has_kind = true;
			h->kind = (enum tiervm_kind)e;
		});
	YWITH(n, path, "policy",
	      if (ywalk_enum(w, v, p, policy_names, &e)) h->policy =
		      (enum tiervm_policy)e);
}

/* Paths in a spec are relative to the spec, as in a compose file. */
static char *spec_path(struct ywalk *w, const char *path)
{
	if (path[0] == '/' || !w->dir)
		return xstrdup(path);
	return xasprintf("%s/%s", w->dir, path);
}

/* The keys a memory backend adds to a node or a virtio-mem device. */
static void parse_mem(struct ywalk *w, yaml_node_t *n, const char *path,
		      struct tiervm_mem *m)
{
	const char *s;
	int e;

	YWITH(n, path, "backend",
	      if (ywalk_enum(w, v, p, backend_names, &e)) m->backend =
		      (enum tiervm_backend)e);
	YWITH(
		n, path, "path", if ((s = ywalk_str(w, v, p))) {
			m->path = spec_path(w, s);
			m->path_line = yline(v);
		});
	YWITH(n, path, "hugepages", ywalk_bool(w, v, p, &m->hugepages));
	YWITH(n, path, "prealloc", ywalk_bool(w, v, p, &m->prealloc));
	YWITH(n, path, "host", parse_host(w, v, p, &m->host));
}

/*
 * A piece carved from a region, as dax devices and NVDIMM namespaces are:
 * {size, mode, align}, align 2M unless said.  *@mode is an index of
 * @modes.
 */
static void parse_piece(struct ywalk *w, yaml_node_t *n, const char *path,
			const char *const *modes, int *line, uint64_t *size,
			int *mode, uint64_t *align)
{
	static const char *const keys[] = { "size", "mode", "align", NULL };

	*line = yline(n);
	*align = 2 << 20;
	if (!ywalk_open_map(w, n, path, keys,
			    (const char *const[]){ "size", "mode", NULL }))
		return;
	YWITH(n, path, "size", ywalk_size(w, v, p, size));
	YWITH(n, path, "mode", ywalk_enum(w, v, p, modes, mode));
	YWITH(n, path, "align", ywalk_size(w, v, p, align));
}

static void parse_dax_piece(struct ywalk *w, yaml_node_t *n, const char *path,
			    void *out)
{
	struct tiervm_dax_piece *x = out;
	int mode = 0;

	parse_piece(w, n, path, tiervm_dax_mode_names, &x->line, &x->size,
		    &mode, &x->align);
	x->mode = (enum tiervm_dax_mode)mode;
}

static void parse_node(struct ywalk *w, yaml_node_t *n, const char *path,
		       struct tiervm_node *node)
{
	static const char *const keys[] = { "id",
					    "cpus",
					    "memory",
					    "kind",
					    "initiator",
					    "backend",
					    "path",
					    "hugepages",
					    "prealloc",
					    "host",
					    "emulate-latency",
					    "dax",
					    NULL };
	char *dax;
	int e;

	node->line = yline(n);
	node->initiator = -1;
	node->id = (unsigned)-1;
	if (!ywalk_open_map(w, n, path, keys,
			    (const char *const[]){ "id", NULL }))
		return;
	YWITH(n, path, "id",
	      ywalk_uint(w, v, p, TIERVM_MAX_NODES - 1, &node->id));
	YWITH(n, path, "cpus", {
		node->has_cpus = ywalk_cpus(w, v, p, &node->cpus);
		node->cpus_line = yline(v);
	});
	YWITH(n, path, "memory", {
		ywalk_size(w, v, p, &node->memory);
		node->memory_line = yline(v);
	});
	YWITH(
		n, path, "kind", if (ywalk_enum(w, v, p, kind_names, &e)) {
			node->kind = (enum tiervm_kind)e;
			node->kind_given = true;
		});
	YWITH(n, path, "initiator", {
		unsigned i;

		if (ywalk_uint(w, v, p, TIERVM_MAX_NODES - 1, &i))
			node->initiator = (int)i;
		node->initiator_line = yline(v);
	});
	YWITH(n, path, "emulate-latency", {
		bool on;

		if (ywalk_bool(w, v, p, &on))
			node->emulate_latency = on ? TIERVM_ON : TIERVM_OFF;
		node->emulate_latency_line = yline(v);
	});
	dax = ywalk_sub(path, "dax");
	node->dax = ywalk_list(w, n, "dax", dax, sizeof(*node->dax),
			       parse_dax_piece, &node->n_dax);
	free(dax);
	YWITH(n, path, "dax", node->dax_line = yline(v));
	parse_mem(w, n, path, &node->mem);
}

static void parse_distance(struct ywalk *w, yaml_node_t *n, const char *path,
			   struct tiervm_distance *d)
{
	yaml_node_t **it;
	unsigned count;

	d->line = yline(n);
	it = ywalk_items(w, n, path, &count);
	if (!it)
		return;
	if (count != 3)
		diag_add(w->d, yline(n), path,
			 "must be [from, to, value], got %u items", count);
	else if (ywalk_uint(w, it[0], path, TIERVM_MAX_NODES - 1, &d->from) &&
		 ywalk_uint(w, it[1], path, TIERVM_MAX_NODES - 1, &d->to))
		ywalk_uint(w, it[2], path, 1000, &d->value);
	free(it);
}

static void parse_hmat(struct ywalk *w, yaml_node_t *n, const char *path,
		       struct tiervm_hmat *h)
{
	static const char *const keys[] = { "initiator", "target", "latency",
					    "bandwidth", NULL };

	h->line = yline(n);
	if (!ywalk_open_map(
		    w, n, path, keys,
		    (const char *const[]){ "initiator", "target", NULL }))
		return;
	YWITH(n, path, "initiator",
	      ywalk_uint(w, v, p, TIERVM_MAX_NODES - 1, &h->initiator));
	YWITH(n, path, "target",
	      ywalk_uint(w, v, p, TIERVM_MAX_NODES - 1, &h->target));
	YWITH(n, path, "latency",
	      h->has_latency = ywalk_latency(w, v, p, &h->latency));
	YWITH(n, path, "bandwidth",
	      h->has_bandwidth = ywalk_size(w, v, p, &h->bandwidth));
	if (!GET(n, "latency") && !GET(n, "bandwidth"))
		diag_add(w->d, yline(n), path,
			 "give latency, bandwidth or both");
}

static void parse_cache(struct ywalk *w, yaml_node_t *n, const char *path,
			struct tiervm_cache *c)
{
	static const char *const keys[] = {
		"node", "level", "size", "associativity", "policy", "line", NULL
	};
	static const char *const assoc[] = { "none", "direct", "complex",
					     NULL };
	static const char *const pol[] = { "none", "write-back",
					   "write-through", NULL };
	int e;

	c->line = yline(n);
	c->assoc = TIERVM_ASSOC_DIRECT;
	c->policy = TIERVM_CACHE_WRITE_BACK;
	c->line_size = 64;
	if (!ywalk_open_map(
		    w, n, path, keys,
		    (const char *const[]){ "node", "level", "size", NULL }))
		return;
	YWITH(n, path, "node",
	      ywalk_uint(w, v, p, TIERVM_MAX_NODES - 1, &c->node));
	YWITH(n, path, "level", ywalk_uint(w, v, p, 255, &c->level));
	YWITH(n, path, "size", ywalk_size(w, v, p, &c->size));
	YWITH(n, path, "associativity",
	      if (ywalk_enum(w, v, p, assoc, &e)) c->assoc =
		      (enum tiervm_cache_assoc)e);
	YWITH(n, path, "policy",
	      if (ywalk_enum(w, v, p, pol, &e)) c->policy =
		      (enum tiervm_cache_policy)e);
	YWITH(n, path, "line", ywalk_uint(w, v, p, 65535, &c->line_size));
}

static void parse_namespace(struct ywalk *w, yaml_node_t *n, const char *path,
			    void *out)
{
	struct tiervm_nv_namespace *x = out;
	int mode = 0;

	parse_piece(w, n, path, tiervm_nv_mode_names, &x->line, &x->size, &mode,
		    &x->align);
	x->mode = (enum tiervm_nv_mode)mode;
}

static void parse_nvdimm(struct ywalk *w, yaml_node_t *n, const char *path,
			 struct tiervm_nvdimm *nv)
{
	static const char *const keys[] = {
		"id",	"node",	    "size", "path",	  "label-size",
		"pmem", "readonly", "mode", "namespaces", NULL
	};
	static const char *const onoff[] = { "auto", "on", "off", NULL };
	char *list;
	int e;

	nv->line = yline(n);
	nv->label_size = 128 * KiB;
	if (!ywalk_open_map(
		    w, n, path, keys,
		    (const char *const[]){ "id", "size", "path", NULL }))
		return;
	YWITH(n, path, "id", nv->id = ywalk_dup_str(w, v, p));
	YWITH(n, path, "node",
	      nv->has_node =
		      ywalk_uint(w, v, p, TIERVM_MAX_NODES - 1, &nv->node));
	YWITH(n, path, "size", ywalk_size(w, v, p, &nv->size));
	YWITH(n, path, "path", {
		const char *s = ywalk_str(w, v, p);

		nv->path = s ? spec_path(w, s) : NULL;
		nv->path_line = yline(v);
	});
	YWITH(n, path, "label-size", ywalk_size(w, v, p, &nv->label_size));
	YWITH(n, path, "pmem",
	      if (ywalk_enum(w, v, p, onoff, &e)) nv->pmem =
		      (enum tiervm_onoff)e);
	YWITH(n, path, "readonly", ywalk_bool(w, v, p, &nv->readonly));
	YWITH(n, path, "mode", {
		if (ywalk_enum(w, v, p, tiervm_nv_mode_names, &e))
			nv->mode = (enum tiervm_nv_mode)e;
		nv->mode_given = true;
	});
	list = ywalk_sub(path, "namespaces");
	nv->namespaces =
		ywalk_list(w, n, "namespaces", list, sizeof(*nv->namespaces),
			   parse_namespace, &nv->n_namespaces);
	free(list);
	YWITH(n, path, "namespaces", nv->namespaces_line = yline(v));
}

static void parse_vmem(struct ywalk *w, yaml_node_t *n, const char *path,
		       struct tiervm_vmem *vm)
{
	static const char *const keys[] = {
		"id",	      "node",	  "size",    "requested",
		"block-size", "prealloc", "backend", "path",
		"hugepages",  "host",	  NULL
	};

	vm->line = yline(n);
	if (!ywalk_open_map(
		    w, n, path, keys,
		    (const char *const[]){ "id", "node", "size", NULL }))
		return;
	YWITH(n, path, "id", vm->id = ywalk_dup_str(w, v, p));
	YWITH(n, path, "node",
	      ywalk_uint(w, v, p, TIERVM_MAX_NODES - 1, &vm->node));
	YWITH(n, path, "size", ywalk_size(w, v, p, &vm->size));
	YWITH(n, path, "requested", ywalk_size(w, v, p, &vm->requested));
	YWITH(n, path, "block-size", {
		ywalk_size(w, v, p, &vm->block_size);
		vm->block_size_line = yline(v);
	});
	parse_mem(w, n, path, &vm->mem);
}

static void parse_cxl(struct ywalk *w, yaml_node_t *n, const char *path,
		      struct tiervm_cxl *c)
{
	static const char *const keys[] = { "id", "size", "type", "mode",
					    NULL };
	static const char *const types[] = { "persistent", "volatile", NULL };
	static const char *const modes[] = { "region", "devdax", "kmem", NULL };
	int e;

	c->line = yline(n);
	if (!ywalk_open_map(w, n, path, keys,
			    (const char *const[]){ "id", "size", NULL }))
		return;
	YWITH(n, path, "id", c->id = ywalk_dup_str(w, v, p));
	YWITH(n, path, "size", ywalk_size(w, v, p, &c->size));
	YWITH(n, path, "type",
	      if (ywalk_enum(w, v, p, types, &e)) c->type =
		      (enum tiervm_cxl_type)e);
	YWITH(n, path, "mode",
	      if (ywalk_enum(w, v, p, modes, &e)) c->mode =
		      (enum tiervm_cxl_mode)e);
}

static void parse_hotplug(struct ywalk *w, yaml_node_t *n, const char *path,
			  struct tiervm_spec *s)
{
	static const char *const keys[] = { "slots", "memory", NULL };

	s->machine.hotplug_line = yline(n);
	if (!ywalk_open_map(w, n, path, keys, NULL))
		return;
	YWITH(n, path, "slots",
	      ywalk_uint(w, v, p, 1024, &s->machine.hotplug_slots));
	YWITH(n, path, "memory",
	      ywalk_size(w, v, p, &s->machine.hotplug_memory));
}

static void parse_machine(struct ywalk *w, yaml_node_t *n,
			  struct tiervm_spec *s)
{
	static const char *const keys[] = { "type",
					    "cpus",
					    "sockets",
					    "accel",
					    "hotplug",
					    "emulate-latency",
					    "latency-scale",
					    "nvdimm-persistence",
					    NULL };
	/* the NFIT's two flags, named as QEMU names them */
	static const char *const persistence[] = { "mem-ctrl", "cpu", NULL };
	static const char *const types[] = { "q35", "pc", NULL };
	static const char *const accels[] = { "auto", "kvm", "tcg", NULL };
	int e;

	if (!ywalk_open_map(w, n, "machine", keys,
			    (const char *const[]){ "cpus", NULL }))
		return;
	YWITH(n, "machine", "type",
	      if (ywalk_enum(w, v, p, types, &e)) s->machine.pc = e == 1);
	YWITH(n, "machine", "cpus",
	      ywalk_uint(w, v, p, TIERVM_MAX_CPUS, &s->machine.cpus));
	YWITH(n, "machine", "sockets", {
		ywalk_uint(w, v, p, TIERVM_MAX_CPUS, &s->machine.sockets);
		s->machine.sockets_line = yline(v);
	});
	YWITH(n, "machine", "accel",
	      if (ywalk_enum(w, v, p, accels, &e)) s->machine.accel =
		      (enum tiervm_accel)e);
	YWITH(n, "machine", "hotplug", parse_hotplug(w, v, p, s));
	YWITH(n, "machine", "emulate-latency", {
		ywalk_bool(w, v, p, &s->machine.emulate_latency);
		s->machine.emulate_latency_line = yline(v);
	});
	YWITH(n, "machine", "nvdimm-persistence", {
		if (ywalk_enum(w, v, p, persistence, &e))
			s->machine.nvdimm_persistence =
				(enum tiervm_nv_persistence)(e + 1);
		s->machine.nvdimm_persistence_line = yline(v);
	});
	YWITH(n, "machine", "latency-scale", {
		if (ywalk_uint(w, v, p, TIERVM_LATENCY_SCALE_MAX,
			       &s->machine.latency_scale) &&
		    !s->machine.latency_scale)
			diag_add(w->d, yline(v), p,
				 "0 is not a scale; give 1 to %u (default %u)",
				 TIERVM_LATENCY_SCALE_MAX,
				 TIERVM_LATENCY_SCALE);
	});
}

static void parse_guest(struct ywalk *w, yaml_node_t *n, struct tiervm_spec *s)
{
	static const char *const keys[] = { "kernel",  "modules",    "initrd",
					    "cmdline", "share-host", "tiering",
					    NULL };
	static const char *const tiering[] = { "demotion", "promotion", NULL };
	const char *str;
	yaml_node_t *t;

	if (!ywalk_open_map(w, n, "guest", keys, NULL))
		return;
	YWITH(n, "guest", "share-host",
	      ywalk_bool(w, v, p, &s->guest.share_host));
	if ((t = GET(n, "tiering")) &&
	    ywalk_open_map(w, t, "guest.tiering", tiering, NULL)) {
		YWITH(t, "guest.tiering", "demotion",
		      ywalk_bool(w, v, p, &s->guest.demotion));
		YWITH(t, "guest.tiering", "promotion",
		      ywalk_bool(w, v, p, &s->guest.promotion));
	}
	/* a name (debian-stable), else a path: a bzImage or a build tree */
	YWITH(
		n, "guest", "kernel", if ((str = ywalk_str(w, v, p))) {
			free(s->guest.kernel);
			s->guest.kernel = strchr(str, '/') ? spec_path(w, str)
							   : xstrdup(str);
		});
	YWITH(
		n, "guest", "modules", if ((str = ywalk_str(w, v, p))) {
			free(s->guest.modules);
			s->guest.modules = spec_path(w, str);
		});
	YWITH(n, "guest", "initrd", {
		free(s->guest.initrd);
		s->guest.initrd = ywalk_dup_str(w, v, p);
	});
	YWITH(n, "guest", "cmdline", {
		free(s->guest.cmdline);
		s->guest.cmdline = ywalk_dup_str(w, v, p);
	});
}

static void parse_root(struct ywalk *w, yaml_node_t *root,
		       struct tiervm_spec *s)
{
	static const char *const keys[] = { "name",   "machine",   "guest",
					    "nodes",  "distances", "hmat",
					    "caches", "nvdimms",   "virtio-mem",
					    "cxl",    NULL };
	yaml_node_t *n;

	if (!root) {
		diag_add(w->d, 1, "name", "the spec is empty");
		return;
	}
	if (!ywalk_open_map(
		    w, root, "", keys,
		    (const char *const[]){ "name", "machine", "nodes", NULL }))
		return;
	for (size_t k = 0; keys[k]; k++)
		if ((n = GET(root, keys[k])))
			diag_mark(w->d, keys[k], yline(n));
	if ((n = GET(root, "name")))
		s->name = ywalk_dup_str(w, n, "name");
	if ((n = GET(root, "machine")))
		parse_machine(w, n, s);
	if ((n = GET(root, "guest")))
		parse_guest(w, n, s);
	s->nodes = ywalk_list(w, root, "nodes", "nodes", sizeof(*s->nodes),
			      (ywalk_item_fn)parse_node, &s->n_nodes);
	s->distances = ywalk_list(
		w, root, "distances", "distances", sizeof(*s->distances),
		(ywalk_item_fn)parse_distance, &s->n_distances);
	s->hmat = ywalk_list(w, root, "hmat", "hmat", sizeof(*s->hmat),
			     (ywalk_item_fn)parse_hmat, &s->n_hmat);
	s->caches = ywalk_list(w, root, "caches", "caches", sizeof(*s->caches),
			       (ywalk_item_fn)parse_cache, &s->n_caches);
	s->nvdimms =
		ywalk_list(w, root, "nvdimms", "nvdimms", sizeof(*s->nvdimms),
			   (ywalk_item_fn)parse_nvdimm, &s->n_nvdimms);
	s->vmems = ywalk_list(w, root, "virtio-mem", "virtio-mem",
			      sizeof(*s->vmems), (ywalk_item_fn)parse_vmem,
			      &s->n_vmems);
	/* a mapping declares a topology; a list, one device per entry */
	if ((n = GET(root, "cxl")) && n->type == YAML_MAPPING_NODE)
		spec_cxl_parse(w, n, s);
	else
		s->cxls = ywalk_list(w, root, "cxl", "cxl", sizeof(*s->cxls),
				     (ywalk_item_fn)parse_cxl, &s->n_cxls);
}

/*
 * Appends a mapping built from @kv ("key=value" each) to the sequence @list
 * of the document's root, creating the sequence if the spec had none.  The
 * new nodes carry no line: they come from a command line, not the file.
 */
static bool append_item(yaml_document_t *doc, const char *list, char *const *kv,
			unsigned n_kv, struct tiervm_diags *d)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);
	const yaml_mark_t none = { .line = YWALK_NO_LINE };
	int seq = 0, map;

	if (!root || root->type != YAML_MAPPING_NODE)
		return false;
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
	     pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(doc, pr->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, list))
			seq = pr->value;
	}
	if (!seq) {
		int key =
			yaml_document_add_scalar(doc, NULL, (yaml_char_t *)list,
						 -1, YAML_PLAIN_SCALAR_STYLE);

		seq = yaml_document_add_sequence(doc, NULL,
						 YAML_FLOW_SEQUENCE_STYLE);
		/* by id: adding nodes may have moved them; the root is 1 */
		yaml_document_append_mapping_pair(doc, 1, key, seq);
	}
	if (yaml_document_get_node(doc, seq)->type != YAML_SEQUENCE_NODE)
		return false;
	map = yaml_document_add_mapping(doc, NULL, YAML_FLOW_MAPPING_STYLE);
	for (unsigned i = 0; i < n_kv; i++) {
		const char *eq = strchr(kv[i], '=');
		int k, v;

		if (!eq || eq == kv[i]) {
			diag_add(d, 0, kv[i], "expected KEY=VALUE");
			continue;
		}
		k = yaml_document_add_scalar(doc, NULL, (yaml_char_t *)kv[i],
					     (int)(eq - kv[i]),
					     YAML_PLAIN_SCALAR_STYLE);
		v = yaml_document_add_scalar(doc, NULL, (yaml_char_t *)eq + 1,
					     -1, YAML_PLAIN_SCALAR_STYLE);
		yaml_document_get_node(doc, k)->start_mark = none;
		yaml_document_get_node(doc, v)->start_mark = none;
		yaml_document_append_mapping_pair(doc, map, k, v);
	}
	yaml_document_get_node(doc, map)->start_mark = none;
	yaml_document_append_sequence_item(doc, seq, map);
	return true;
}

static struct tiervm_spec *parse_text(const char *file, const char *text,
				      size_t len, bool validate,
				      const char *list, char *const *kv,
				      unsigned n_kv, const char *who,
				      tiervm_error **errp)
{
	struct tiervm_diags d = { .file = file,
				  .lines = xcalloc(1, sizeof(*d.lines)) };
	struct tiervm_spec *s = xcalloc(1, sizeof(*s));
	yaml_parser_t parser;
	yaml_document_t doc;
	char *dir = xstrdup(file), *slash = strrchr(dir, '/');
	struct ywalk w = { .doc = &doc, .d = &d, .dir = dir };

	if (slash)
		*slash = '\0';
	else
		w.dir = NULL; /* relative to the working directory */
	s->file = xstrdup(file);
	s->text = xmemdup0(text, len);
	s->guest.kernel = xstrdup("auto");
	s->guest.initrd = xstrdup("auto");
	s->guest.cmdline = xstrdup("");
	s->guest.share_host = true;

	if (!ywalk_shallow_enough(text, len, &d, TIERVM_SPEC_MAX_DEPTH,
				  "a spec has at most 4"))
		goto out;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		if (parser.context)
			diag_add(&d, (int)parser.problem_mark.line + 1,
				 "(syntax)", "%s %s (started at line %d)",
				 parser.problem ? parser.problem : "bad YAML",
				 parser.context,
				 (int)parser.context_mark.line + 1);
		else
			diag_add(&d, (int)parser.problem_mark.line + 1,
				 "(syntax)", "%s",
				 parser.problem ? parser.problem : "bad YAML");
		yaml_parser_delete(&parser);
		goto out;
	}
	if (list) {
		/* from here on, every problem is the new item's */
		d.file = who;
		if (!append_item(&doc, list, kv, n_kv, &d))
			diag_add(&d, 0, list,
				 "the saved spec has no such list");
	}
	parse_root(&w, yaml_document_get_root_node(&doc), s);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	s->unchecked = !validate;
	if (!d.count)
		spec_cxl_resolve(s, &d, validate);
	else
		spec_cxl_from_list(s);
	if (validate && !d.count)
		spec_validate(s, &d);
	else if (!d.count)
		spec_check_structure(s, &d);
out:
	free(dir);
	/* kept for what planning finds wrong later, at the same lines */
	s->lines = d.lines;
	if (!diag_finish(&d, errp)) {
		tiervm_spec_free(s);
		return NULL;
	}
	return s;
}

struct tiervm_spec *tiervm_spec_parse_string(const char *file, const char *text,
					     size_t len, bool validate,
					     tiervm_error **errp)
{
	return parse_text(file, text, len, validate, NULL, NULL, 0, NULL, errp);
}

struct tiervm_spec *
tiervm_spec_parse_with_item(const char *file, const char *text, size_t len,
			    const char *list, char *const *kv, unsigned n_kv,
			    const char *who, tiervm_error **errp)
{
	return parse_text(file, text, len, true, list, kv, n_kv, who, errp);
}

static struct tiervm_spec *parse_file(const char *path, bool validate,
				      tiervm_error **errp)
{
	struct tiervm_spec *s = NULL;
	size_t n;
	char *text = ywalk_read_file(
		path, TIERVM_SPEC_MAX_BYTES, "a spec",
		" (a 128-node machine with every distance and HMAT pair takes under 1M)",
		&n, errp);

	if (text)
		s = tiervm_spec_parse_string(path, text, n, validate, errp);
	free(text);
	return s;
}

struct tiervm_spec *tiervm_spec_parse(const char *path, tiervm_error **errp)
{
	return parse_file(path, true, errp);
}

struct tiervm_spec *tiervm_spec_parse_unchecked(const char *path,
						tiervm_error **errp)
{
	return parse_file(path, false, errp);
}
