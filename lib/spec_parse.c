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

/* path + "." + key, for messages */
static char *sub(const char *path, const char *key)
{
	return *path ? xasprintf("%s.%s", path, key) : xstrdup(key);
}

#define GET(map, key) ywalk_get(w, (map), (key))

/* Runs @stmt with `v` the value of @key and `p` its path, when present. */
#define WITH(map, path, key, stmt)                    \
	do {                                          \
		yaml_node_t *v = GET((map), (key));   \
		if (v) {                              \
			char *p = sub((path), (key)); \
			diag_mark(w->d, p, yline(v)); \
			stmt;                         \
			free(p);                      \
		}                                     \
	} while (0)

static void require(struct ywalk *w, yaml_node_t *map, const char *path,
		    const char *key)
{
	char *p;

	if (GET(map, key))
		return;
	p = *path ? sub(path, key) : xstrdup(key);
	diag_add(w->d, yline(map), p, "required key is missing");
	free(p);
}

/*
 * @n is a map of @keys with every key of @required (NULL-terminated, may
 * be NULL): each problem reported, false only when it is no map at all.
 */
static bool open_map(struct ywalk *w, yaml_node_t *n, const char *path,
		     const char *const *keys, const char *const *required)
{
	if (!ywalk_is_map(w, n, *path ? path : "(top level)"))
		return false;
	ywalk_check_keys(w, n, path, keys);
	for (; required && *required; required++)
		require(w, n, path, *required);
	return true;
}

static void parse_host(struct ywalk *w, yaml_node_t *n, const char *path,
		       struct tiervm_host_bind *h)
{
	static const char *const keys[] = { "nodes", "kind", "policy", NULL };
	int e;

	if (!open_map(w, n, path, keys, NULL))
		return;
	h->present = true;
	h->line = yline(n);
	WITH(n, path, "nodes", h->has_nodes = ywalk_cpus(w, v, p, &h->nodes));
	WITH(
		n, path, "kind", if (ywalk_enum(w, v, p, kind_names, &e)) {
			h->has_kind = true;
			h->kind = (enum tiervm_kind)e;
		});
	WITH(n, path, "policy",
	     if (ywalk_enum(w, v, p, policy_names, &e)) h->policy =
		     (enum tiervm_policy)e);
}

/* The keys a memory backend adds to a node or a virtio-mem device. */
/* Paths in a spec are relative to the spec, as in a compose file. */
static char *spec_path(struct ywalk *w, const char *path)
{
	if (path[0] == '/' || !w->dir)
		return xstrdup(path);
	return xasprintf("%s/%s", w->dir, path);
}

static void parse_mem(struct ywalk *w, yaml_node_t *n, const char *path,
		      struct tiervm_mem *m)
{
	const char *s;
	int e;

	WITH(n, path, "backend",
	     if (ywalk_enum(w, v, p, backend_names, &e)) m->backend =
		     (enum tiervm_backend)e);
	WITH(
		n, path, "path", if ((s = ywalk_str(w, v, p))) {
			m->path = spec_path(w, s);
			m->path_line = yline(v);
		});
	WITH(n, path, "hugepages", ywalk_bool(w, v, p, &m->hugepages));
	WITH(n, path, "prealloc", ywalk_bool(w, v, p, &m->prealloc));
	WITH(n, path, "host", parse_host(w, v, p, &m->host));
}

static void parse_node(struct ywalk *w, yaml_node_t *n, const char *path,
		       struct tiervm_node *node)
{
	static const char *const keys[] = { "id",   "cpus",	 "memory",
					    "kind", "initiator", "backend",
					    "path", "hugepages", "prealloc",
					    "host", NULL };
	int e;

	node->line = yline(n);
	node->initiator = -1;
	node->id = (unsigned)-1;
	if (!open_map(w, n, path, keys, (const char *const[]){ "id", NULL }))
		return;
	WITH(n, path, "id",
	     ywalk_uint(w, v, p, TIERVM_MAX_NODES - 1, &node->id));
	WITH(n, path, "cpus", {
		node->has_cpus = ywalk_cpus(w, v, p, &node->cpus);
		node->cpus_line = yline(v);
	});
	WITH(n, path, "memory", {
		ywalk_size(w, v, p, &node->memory);
		node->memory_line = yline(v);
	});
	WITH(
		n, path, "kind", if (ywalk_enum(w, v, p, kind_names, &e)) {
			node->kind = (enum tiervm_kind)e;
			node->kind_given = true;
		});
	WITH(n, path, "initiator", {
		unsigned i;

		if (ywalk_uint(w, v, p, TIERVM_MAX_NODES - 1, &i))
			node->initiator = (int)i;
		node->initiator_line = yline(v);
	});
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
	if (!open_map(w, n, path, keys,
		      (const char *const[]){ "initiator", "target", NULL }))
		return;
	WITH(n, path, "initiator",
	     ywalk_uint(w, v, p, TIERVM_MAX_NODES - 1, &h->initiator));
	WITH(n, path, "target",
	     ywalk_uint(w, v, p, TIERVM_MAX_NODES - 1, &h->target));
	WITH(n, path, "latency",
	     h->has_latency = ywalk_latency(w, v, p, &h->latency));
	WITH(n, path, "bandwidth",
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
	if (!open_map(w, n, path, keys,
		      (const char *const[]){ "node", "level", "size", NULL }))
		return;
	WITH(n, path, "node",
	     ywalk_uint(w, v, p, TIERVM_MAX_NODES - 1, &c->node));
	WITH(n, path, "level", ywalk_uint(w, v, p, 255, &c->level));
	WITH(n, path, "size", ywalk_size(w, v, p, &c->size));
	WITH(n, path, "associativity",
	     if (ywalk_enum(w, v, p, assoc, &e)) c->assoc =
		     (enum tiervm_cache_assoc)e);
	WITH(n, path, "policy",
	     if (ywalk_enum(w, v, p, pol, &e)) c->policy =
		     (enum tiervm_cache_policy)e);
	WITH(n, path, "line", ywalk_uint(w, v, p, 65535, &c->line_size));
}

static char *dup_str(struct ywalk *w, yaml_node_t *n, const char *path)
{
	const char *s = ywalk_str(w, n, path);

	return s ? xstrdup(s) : NULL;
}

static void parse_nvdimm(struct ywalk *w, yaml_node_t *n, const char *path,
			 struct tiervm_nvdimm *nv)
{
	static const char *const keys[] = { "id",	"node",	      "size",
					    "path",	"label-size", "pmem",
					    "readonly", "mode",	      NULL };
	static const char *const onoff[] = { "auto", "on", "off", NULL };
	int e;

	nv->line = yline(n);
	nv->label_size = 128 * KiB;
	if (!open_map(w, n, path, keys,
		      (const char *const[]){ "id", "size", "path", NULL }))
		return;
	WITH(n, path, "id", nv->id = dup_str(w, v, p));
	WITH(n, path, "node",
	     nv->has_node =
		     ywalk_uint(w, v, p, TIERVM_MAX_NODES - 1, &nv->node));
	WITH(n, path, "size", ywalk_size(w, v, p, &nv->size));
	WITH(n, path, "path", {
		const char *s = ywalk_str(w, v, p);

		nv->path = s ? spec_path(w, s) : NULL;
		nv->path_line = yline(v);
	});
	WITH(n, path, "label-size", ywalk_size(w, v, p, &nv->label_size));
	WITH(n, path, "pmem",
	     if (ywalk_enum(w, v, p, onoff, &e)) nv->pmem =
		     (enum tiervm_onoff)e);
	WITH(n, path, "readonly", ywalk_bool(w, v, p, &nv->readonly));
	WITH(n, path, "mode",
	     if (ywalk_enum(w, v, p, tiervm_nv_mode_names, &e)) nv->mode =
		     (enum tiervm_nv_mode)e);
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
	if (!open_map(w, n, path, keys,
		      (const char *const[]){ "id", "node", "size", NULL }))
		return;
	WITH(n, path, "id", vm->id = dup_str(w, v, p));
	WITH(n, path, "node",
	     ywalk_uint(w, v, p, TIERVM_MAX_NODES - 1, &vm->node));
	WITH(n, path, "size", ywalk_size(w, v, p, &vm->size));
	WITH(n, path, "requested", ywalk_size(w, v, p, &vm->requested));
	WITH(n, path, "block-size", {
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
	if (!open_map(w, n, path, keys,
		      (const char *const[]){ "id", "size", NULL }))
		return;
	WITH(n, path, "id", c->id = dup_str(w, v, p));
	WITH(n, path, "size", ywalk_size(w, v, p, &c->size));
	WITH(n, path, "type",
	     if (ywalk_enum(w, v, p, types, &e)) c->type =
		     (enum tiervm_cxl_type)e);
	WITH(n, path, "mode",
	     if (ywalk_enum(w, v, p, modes, &e)) c->mode =
		     (enum tiervm_cxl_mode)e);
}

/*
 * Parses each item of the list at @key into a freshly allocated array of
 * @size-byte elements, calling @fn(w, item, "key[i]", element).
 */
typedef void (*item_fn)(struct ywalk *, yaml_node_t *, const char *, void *);

static void *parse_list(struct ywalk *w, yaml_node_t *root, const char *key,
			size_t size, item_fn fn, unsigned *count)
{
	yaml_node_t *list = GET(root, key);
	yaml_node_t **it;
	char *elems;

	*count = 0;
	if (!list)
		return NULL;
	it = ywalk_items(w, list, key, count);
	if (!it)
		return NULL;
	elems = xcalloc(*count ? *count : 1, size);
	diag_mark(w->d, key, yline(list));
	for (unsigned i = 0; i < *count; i++) {
		char *p = xasprintf("%s[%u]", key, i);

		diag_mark(w->d, p, yline(it[i]));
		fn(w, it[i], p, elems + i * size);
		free(p);
	}
	free(it);
	return elems;
}

static void parse_hotplug(struct ywalk *w, yaml_node_t *n, const char *path,
			  struct tiervm_spec *s)
{
	static const char *const keys[] = { "slots", "memory", NULL };

	s->machine.hotplug_line = yline(n);
	if (!open_map(w, n, path, keys, NULL))
		return;
	WITH(n, path, "slots",
	     ywalk_uint(w, v, p, 1024, &s->machine.hotplug_slots));
	WITH(n, path, "memory",
	     ywalk_size(w, v, p, &s->machine.hotplug_memory));
}

static void parse_machine(struct ywalk *w, yaml_node_t *n,
			  struct tiervm_spec *s)
{
	static const char *const keys[] = { "type",  "cpus",	"sockets",
					    "accel", "hotplug", NULL };
	static const char *const types[] = { "q35", "pc", NULL };
	static const char *const accels[] = { "auto", "kvm", "tcg", NULL };
	int e;

	if (!open_map(w, n, "machine", keys,
		      (const char *const[]){ "cpus", NULL }))
		return;
	WITH(n, "machine", "type",
	     if (ywalk_enum(w, v, p, types, &e)) s->machine.pc = e == 1);
	WITH(n, "machine", "cpus",
	     ywalk_uint(w, v, p, TIERVM_MAX_CPUS, &s->machine.cpus));
	WITH(n, "machine", "sockets", {
		ywalk_uint(w, v, p, TIERVM_MAX_CPUS, &s->machine.sockets);
		s->machine.sockets_line = yline(v);
	});
	WITH(n, "machine", "accel",
	     if (ywalk_enum(w, v, p, accels, &e)) s->machine.accel =
		     (enum tiervm_accel)e);
	WITH(n, "machine", "hotplug", parse_hotplug(w, v, p, s));
}

static void parse_guest(struct ywalk *w, yaml_node_t *n, struct tiervm_spec *s)
{
	static const char *const keys[] = { "kernel",	  "initrd",  "cmdline",
					    "share-host", "tiering", NULL };
	static const char *const tiering[] = { "demotion", "promotion", NULL };
	yaml_node_t *t;

	if (!open_map(w, n, "guest", keys, NULL))
		return;
	WITH(n, "guest", "share-host",
	     ywalk_bool(w, v, p, &s->guest.share_host));
	if ((t = GET(n, "tiering")) &&
	    open_map(w, t, "guest.tiering", tiering, NULL)) {
		WITH(t, "guest.tiering", "demotion",
		     ywalk_bool(w, v, p, &s->guest.demotion));
		WITH(t, "guest.tiering", "promotion",
		     ywalk_bool(w, v, p, &s->guest.promotion));
	}
	WITH(n, "guest", "kernel", {
		free(s->guest.kernel);
		s->guest.kernel = dup_str(w, v, p);
	});
	WITH(n, "guest", "initrd", {
		free(s->guest.initrd);
		s->guest.initrd = dup_str(w, v, p);
	});
	WITH(n, "guest", "cmdline", {
		free(s->guest.cmdline);
		s->guest.cmdline = dup_str(w, v, p);
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
	if (!open_map(
		    w, root, "", keys,
		    (const char *const[]){ "name", "machine", "nodes", NULL }))
		return;
	for (size_t k = 0; keys[k]; k++)
		if ((n = GET(root, keys[k])))
			diag_mark(w->d, keys[k], yline(n));
	if ((n = GET(root, "name")))
		s->name = dup_str(w, n, "name");
	if ((n = GET(root, "machine")))
		parse_machine(w, n, s);
	if ((n = GET(root, "guest")))
		parse_guest(w, n, s);
	s->nodes = parse_list(w, root, "nodes", sizeof(*s->nodes),
			      (item_fn)parse_node, &s->n_nodes);
	s->distances = parse_list(w, root, "distances", sizeof(*s->distances),
				  (item_fn)parse_distance, &s->n_distances);
	s->hmat = parse_list(w, root, "hmat", sizeof(*s->hmat),
			     (item_fn)parse_hmat, &s->n_hmat);
	s->caches = parse_list(w, root, "caches", sizeof(*s->caches),
			       (item_fn)parse_cache, &s->n_caches);
	s->nvdimms = parse_list(w, root, "nvdimms", sizeof(*s->nvdimms),
				(item_fn)parse_nvdimm, &s->n_nvdimms);
	s->vmems = parse_list(w, root, "virtio-mem", sizeof(*s->vmems),
			      (item_fn)parse_vmem, &s->n_vmems);
	s->cxls = parse_list(w, root, "cxl", sizeof(*s->cxls),
			     (item_fn)parse_cxl, &s->n_cxls);
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

/*
 * libyaml's scanner takes time growing with the square of the nesting
 * depth: a spec nested 100,000 deep keeps it busy for minutes.  Its
 * events come one at a time, so counting depth on them stops such a
 * file at its first line past the limit, before the loader sees it.
 */
static bool shallow_enough(const char *text, size_t len, struct tiervm_diags *d)
{
	yaml_parser_t parser;
	yaml_event_t e;
	int depth = 0;
	bool ok = true;

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	/* a syntax error is left to the loader, which says it better */
	while (yaml_parser_parse(&parser, &e)) {
		bool end = e.type == YAML_STREAM_END_EVENT;

		if (e.type == YAML_SEQUENCE_START_EVENT ||
		    e.type == YAML_MAPPING_START_EVENT) {
			if (++depth > TIERVM_SPEC_MAX_DEPTH) {
				diag_add(
					d, (int)e.start_mark.line + 1,
					"(nesting)",
					"more than %d levels of nesting; a spec has at most 4",
					TIERVM_SPEC_MAX_DEPTH);
				ok = false;
				end = true;
			}
		} else if (e.type == YAML_SEQUENCE_END_EVENT ||
			   e.type == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		yaml_event_delete(&e);
		if (end)
			break;
	}
	yaml_parser_delete(&parser);
	return ok;
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

	if (!shallow_enough(text, len, &d))
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
	if (validate && !d.count)
		spec_validate(s, &d);
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
	char *text = NULL;
	ssize_t n = 0;
	struct stat st;
	/* O_NONBLOCK: a FIFO given as the spec must not hang the open */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		tiervm_error_set(errp, TIERVM_E_INPUT, "%s: cannot open: %s",
				 path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"%s: not a regular file; a spec is a YAML file", path);
		goto out;
	}
	if (st.st_size > TIERVM_SPEC_MAX_BYTES) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"%s: %lld bytes; a spec is at most %d (a 128-node machine with every distance and HMAT pair takes under 1M)",
			path, (long long)st.st_size, TIERVM_SPEC_MAX_BYTES);
		goto out;
	}
	/* one byte more than the limit shows a file that grew meanwhile */
	text = xcalloc(TIERVM_SPEC_MAX_BYTES + 2, 1);
	for (;;) {
		ssize_t r = read(fd, text + n, TIERVM_SPEC_MAX_BYTES + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			tiervm_error_set(errp, TIERVM_E_INPUT,
					 "%s: cannot read: %s", path,
					 strerror(errno));
			goto out;
		}
		if (r == 0 || (n += r) > TIERVM_SPEC_MAX_BYTES)
			break;
	}
	if (n > TIERVM_SPEC_MAX_BYTES) {
		tiervm_error_set(errp, TIERVM_E_INPUT,
				 "%s: grew past %d bytes while read", path,
				 TIERVM_SPEC_MAX_BYTES);
		goto out;
	}
	s = tiervm_spec_parse_string(path, text, (size_t)n, validate, errp);
out:
	free(text);
	close(fd);
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
