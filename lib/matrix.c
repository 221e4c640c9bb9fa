// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A test matrix's file: read, checked with every spec it names, and laid
 * out as cells.  Everything wrong is said at once, before anything boots,
 * one "FILE:LINE: KEY: ..." line each (docs/test.md has the rules).
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "matrix.h"
#include "qemu_caps.h"
#include "spec.h"
#include "spec_yaml.h"
#include "util.h"
#include "util_proc.h"

/* A matrix is a page of YAML; this is far more than any needs. */
#define MATRIX_MAX_BYTES (256 << 10)
#define MATRIX_MAX_DEPTH 8
#define MATRIX_MAX_CELLS 1024
#define MATRIX_DEFAULT_TIMEOUT_S 600

static const char *const matrix_keys[] = { "specs",   "kernels", "qemu",
					   "engines", "command", "env",
					   "exclude", "timeout", NULL };
/* "spec": each spec's own guest.kernel, the default */
static const char *const kernel_names[] = { "spec", "auto", "debian-stable",
					    "debian-backports", NULL };
static const char *const engine_names[] = { "qemu", "libvirt", NULL };

/* A file's (or a tree's) name, for labels. */
static const char *leaf(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

/* @rel against the matrix's directory @dir (NULL: the working one). */
static char *beside(const char *dir, const char *rel)
{
	return rel[0] == '/' || !dir ? xstrdup(rel)
				     : xasprintf("%s/%s", dir, rel);
}

/* The strings of the list @key; NULL (none) when absent or wrong. */
static char **string_list(struct ywalk *w, yaml_node_t *root, const char *key,
			  unsigned *n)
{
	yaml_node_t *v = ywalk_get(w, root, key), **it;
	char **out;

	*n = 0;
	if (!v)
		return NULL;
	diag_mark(w->d, key, yline(v));
	if (v->type == YAML_SCALAR_NODE) {
		diag_add(w->d, yline(v), key,
			 "a list is wanted: [%s] for this one alone",
			 (const char *)v->data.scalar.value);
		return NULL;
	}
	if (!(it = ywalk_items(w, v, key, n)))
		return NULL;
	if (!*n)
		diag_add(w->d, yline(v), key,
			 "an empty list makes no cells; name one at least");
	out = xcalloc(*n + 1, sizeof(*out));
	for (unsigned i = 0; i < *n; i++) {
		char *p = xasprintf("%s[%u]", key, i);

		diag_mark(w->d, p, yline(it[i]));
		out[i] = ywalk_dup_str(w, it[i], p);
		if (!out[i])
			out[i] = xstrdup("");
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(out[i], out[j]))
				diag_add(w->d, yline(it[i]), p,
					 "'%s' is listed twice (also %s[%u])",
					 out[i], key, j);
		free(p);
	}
	free(it);
	return out;
}

/* Each spec exists and is valid; its name and memory noted. */
static void check_specs(struct ywalk *w, struct tiervm_matrix *m)
{
	m->spec_labels = m->specs;
	m->specs = xcalloc(m->n_specs + 1, sizeof(*m->specs));
	m->spec_names = xcalloc(m->n_specs + 1, sizeof(*m->spec_names));
	for (unsigned i = 0; i < m->n_specs; i++) {
		char *key = xasprintf("specs[%u]", i);
		struct tiervm_spec *s;
		tiervm_error *err = NULL;
		uint64_t mem = 0;

		m->specs[i] = beside(w->dir, m->spec_labels[i]);
		m->spec_names[i] = xstrdup("");
		if (access(m->specs[i], F_OK) < 0) {
			diag_add(
				w->d, 0, key,
				"no such spec: %s (a spec's path is relative to the matrix's directory)",
				m->specs[i]);
		} else if (!(s = tiervm_spec_parse(m->specs[i], &err))) {
			/* the spec's own lines say what is wrong, and where */
			sbuf_addf(&w->d->text, "%s%s", w->d->count ? "\n" : "",
				  err->msg);
			w->d->count++;
			tiervm_error_free(err);
		} else {
			free(m->spec_names[i]);
			m->spec_names[i] = xstrdup(s->name);
			for (unsigned k = 0; k < s->n_nodes; k++)
				mem += s->nodes[k].memory;
			for (unsigned k = 0; k < s->n_nvdimms; k++)
				mem += s->nvdimms[k].size;
			for (unsigned k = 0; k < s->n_vmems; k++)
				mem += s->vmems[k].size;
			mem += s->machine.hotplug_memory;
			if (mem > m->max_memory)
				m->max_memory = mem;
			tiervm_spec_free(s);
		}
		free(key);
	}
}

/* Kernels are tiervm's names or files and trees that exist. */
static void check_kernels(struct ywalk *w, struct tiervm_matrix *m)
{
	for (unsigned i = 0; i < m->n_kernels; i++) {
		char *key = xasprintf("kernels[%u]", i), *path;
		bool named = false;

		for (unsigned k = 0; kernel_names[k]; k++)
			named |= !strcmp(m->kernels[i], kernel_names[k]);
		if (named) {
			free(key);
			continue;
		}
		path = beside(w->dir, m->kernels[i]);
		if (access(path, R_OK) < 0)
			diag_add(
				w->d, 0, key,
				"'%s' is no kernel: give spec (its guest.kernel), auto, debian-stable, debian-backports, or a bzImage or kernel tree that exists (%s does not)",
				m->kernels[i], path);
		free(m->kernels[i]);
		m->kernels[i] = path;
		free(key);
	}
}

/* Each QEMU runs here; labelled by its file's name where that is unique. */
static void check_qemus(struct ywalk *w, struct tiervm_matrix *m)
{
	m->qemu_labels = m->qemus;
	m->qemus = xcalloc(m->n_qemus + 1, sizeof(*m->qemus));
	for (unsigned i = 0; i < m->n_qemus; i++) {
		const char *given = m->qemu_labels[i];
		char *key = xasprintf("qemu[%u]", i);

		/* a name is looked up in PATH, as a shell would */
		m->qemus[i] = strchr(given, '/') ? beside(w->dir, given)
						 : tiervm_which(given);
		if (!m->qemus[i] || access(m->qemus[i], X_OK) < 0)
			diag_add(
				w->d, 0, key,
				"'%s' is no QEMU this machine can run: give a binary in PATH or the path of one (scripts/qemu-backports.sh prints QEMU 10's)",
				given);
		if (!m->qemus[i])
			m->qemus[i] = xstrdup(given);
		free(key);
	}
	for (unsigned i = 0; i < m->n_qemus; i++) {
		const char *base = strrchr(m->qemu_labels[i], '/');
		bool unique = true;

		if (!base)
			continue;
		for (unsigned j = 0; j < m->n_qemus; j++) {
			const char *other = strrchr(m->qemu_labels[j], '/');

			other = other ? other + 1 : m->qemu_labels[j];
			unique &= i == j || strcmp(other, base + 1);
		}
		if (unique)
			memmove(m->qemu_labels[i], base + 1, strlen(base));
	}
}

static void parse_env(struct ywalk *w, yaml_node_t *root,
		      struct tiervm_matrix *m)
{
	yaml_node_t *v = ywalk_get(w, root, "env");
	struct strv env = { 0 };

	if (!v)
		return;
	diag_mark(w->d, "env", yline(v));
	if (!ywalk_is_map(w, v, "env"))
		return;
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start;
	     p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(w->doc, p->key),
			    *val = yaml_document_get_node(w->doc, p->value);
		const char *name = k->type == YAML_SCALAR_NODE
					   ? (const char *)k->data.scalar.value
					   : NULL;
		char *path = xasprintf("env.%s", name ? name : "?");
		const char *s;

		diag_mark(w->d, path, yline(val));
		if (!name || !*name || strchr(name, '='))
			diag_add(
				w->d, yline(k), "env",
				"a variable's name is a plain word without '='");
		else if ((s = ywalk_str(w, val, path)))
			strv_pushf(&env, "%s=%s", name, s);
		free(path);
	}
	m->env = env.v;
}

/* One exclusion: a map of the cell's dimensions, each a listed value. */
static void parse_exclude(struct ywalk *w, yaml_node_t *n, const char *path,
			  void *out)
{
	static const char *const keys[] = { "spec", "kernel", "qemu", "engine",
					    NULL };
	struct tiervm_matrix_exclude *x = out;

	if (!ywalk_open_map(w, n, path, keys, NULL))
		return;
	if (!n->data.mapping.pairs.top ||
	    n->data.mapping.pairs.top == n->data.mapping.pairs.start)
		diag_add(w->d, yline(n), path,
			 "an empty exclusion would leave out every cell");
	YWITH(n, path, "spec", x->spec = ywalk_dup_str(w, v, p));
	YWITH(n, path, "kernel", x->kernel = ywalk_dup_str(w, v, p));
	YWITH(n, path, "qemu", x->qemu = ywalk_dup_str(w, v, p));
	YWITH(n, path, "engine", x->engine = ywalk_dup_str(w, v, p));
}

/* An exclusion's value names a value of its list, as written there. */
static void check_listed(struct ywalk *w, const char *path, const char *key,
			 const char *value, char *const *list, unsigned n)
{
	char *p;

	if (!value)
		return;
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(value, list[i]))
			return;
	p = ywalk_sub(path, key);
	diag_add(w->d, 0, p, "'%s' is not one of the matrix's %ss (%s%s)",
		 value, key, list[0], n > 1 ? ", ..." : "");
	free(p);
}

static bool excluded(const struct tiervm_matrix_exclude *x, unsigned n,
		     const char *spec, const char *kernel, const char *qemu,
		     const char *engine)
{
	for (unsigned i = 0; i < n; i++)
		if ((!x[i].spec || !strcmp(x[i].spec, spec)) &&
		    (!x[i].kernel || !strcmp(x[i].kernel, kernel)) &&
		    (!x[i].qemu || !strcmp(x[i].qemu, qemu)) &&
		    (!x[i].engine || !strcmp(x[i].engine, engine)))
			return true;
	return false;
}

/* @kernels and @qemus as the matrix wrote them, which exclusions name */
static void lay_out(struct tiervm_matrix *m, char **kernels, char **qemus,
		    const struct tiervm_matrix_exclude *x, unsigned n_x)
{
	m->cells = xcalloc((size_t)m->n_specs * m->n_kernels * m->n_qemus *
					   m->n_engines +
				   1,
			   sizeof(*m->cells));
	for (unsigned s = 0; s < m->n_specs; s++)
		for (unsigned k = 0; k < m->n_kernels; k++)
			for (unsigned q = 0; q < m->n_qemus; q++)
				for (unsigned e = 0; e < m->n_engines; e++) {
					struct tiervm_matrix_cell *c;

					if (excluded(x, n_x, m->spec_labels[s],
						     kernels[k], qemus[q],
						     m->engines[e]))
						continue;
					c = &m->cells[m->n_cells++];
					c->spec = m->specs[s];
					c->spec_label = m->spec_labels[s];
					c->spec_name = m->spec_names[s];
					c->kernel = m->kernels[k];
					c->kernel_label = leaf(c->kernel);
					c->qemu = m->qemus[q];
					c->qemu_label = m->qemu_labels[q];
					c->engine = m->engines[e];
					c->command_status = -1;
				}
}

static void parse_root(struct ywalk *w, yaml_node_t *root,
		       struct tiervm_matrix *m)
{
	static const char *const required[] = { "specs", NULL };
	struct tiervm_matrix_exclude *x = NULL;
	char **kernels = NULL, **qemus = NULL;
	unsigned n_x = 0;
	uint64_t cells;

	if (!root) {
		diag_add(w->d, 1, "specs",
			 "the matrix is empty; it lists specs at least");
		return;
	}
	if (!ywalk_open_map(w, root, "", matrix_keys, required))
		return;
	m->specs = string_list(w, root, "specs", &m->n_specs);
	m->kernels = string_list(w, root, "kernels", &m->n_kernels);
	m->qemus = string_list(w, root, "qemu", &m->n_qemus);
	m->engines = string_list(w, root, "engines", &m->n_engines);
	for (unsigned i = 0; i < m->n_engines; i++) {
		char *key = xasprintf("engines[%u]", i);
		bool known = false;

		for (unsigned k = 0; engine_names[k]; k++)
			known |= !strcmp(m->engines[i], engine_names[k]);
		if (!known)
			diag_add(w->d, 0, key,
				 "'%s' is no engine: qemu or libvirt",
				 m->engines[i]);
		free(key);
	}
	YWITH(root, "", "command", {
		unsigned n = 0;

		m->command = string_list(w, root, "command", &n);
	});
	parse_env(w, root, m);
	m->timeout_s = MATRIX_DEFAULT_TIMEOUT_S;
	YWITH(root, "", "timeout", {
		if (ywalk_uint(w, v, p, 24 * 3600, &m->timeout_s) &&
		    !m->timeout_s)
			diag_add(
				w->d, yline(v), p,
				"0 s leaves no time to boot; give seconds, at least 1");
	});
	x = ywalk_list(w, root, "exclude", "exclude", sizeof(*x), parse_exclude,
		       &n_x);
	/* the defaults: the spec's kernel, the QEMU tiervm runs, its engine */
	if (!m->kernels) {
		m->kernels = xcalloc(2, sizeof(*m->kernels));
		m->kernels[m->n_kernels++] = xstrdup("spec");
	}
	if (!m->qemus) {
		m->qemus = xcalloc(2, sizeof(*m->qemus));
		m->qemus[m->n_qemus++] = xstrdup(tiervm_qemu_binary());
	}
	if (!m->engines) {
		m->engines = xcalloc(2, sizeof(*m->engines));
		m->engines[m->n_engines++] = xstrdup("qemu");
	}
	if (!m->specs)
		goto out;
	kernels = xcalloc(m->n_kernels + 1, sizeof(*kernels));
	for (unsigned i = 0; i < m->n_kernels; i++)
		kernels[i] = xstrdup(m->kernels[i]);
	qemus = xcalloc(m->n_qemus + 1, sizeof(*qemus));
	for (unsigned i = 0; i < m->n_qemus; i++)
		qemus[i] = xstrdup(m->qemus[i]);
	for (unsigned i = 0; i < n_x; i++) {
		char *p = xasprintf("exclude[%u]", i);

		check_listed(w, p, "spec", x[i].spec, m->specs, m->n_specs);
		check_listed(w, p, "kernel", x[i].kernel, m->kernels,
			     m->n_kernels);
		check_listed(w, p, "qemu", x[i].qemu, m->qemus, m->n_qemus);
		check_listed(w, p, "engine", x[i].engine, m->engines,
			     m->n_engines);
		free(p);
	}
	cells = (uint64_t)m->n_specs * m->n_kernels * m->n_qemus * m->n_engines;
	if (cells > MATRIX_MAX_CELLS) {
		diag_add(w->d, 0, "specs",
			 "%llu cells; a matrix has at most %d: split it",
			 (unsigned long long)cells, MATRIX_MAX_CELLS);
		goto out;
	}
	check_specs(w, m);
	check_kernels(w, m);
	check_qemus(w, m);
	lay_out(m, kernels, qemus, x, n_x);
	if (!m->n_cells && !w->d->count)
		diag_add(w->d, 0, "exclude", "it leaves out every cell");
out:
	for (unsigned i = 0; i < n_x; i++) {
		free(x[i].spec);
		free(x[i].kernel);
		free(x[i].qemu);
		free(x[i].engine);
	}
	free(x);
	tiervm_strv_free_null(kernels);
	tiervm_strv_free_null(qemus);
}

struct tiervm_matrix *tiervm_matrix_load(const char *path, tiervm_error **errp)
{
	struct tiervm_lines *lines = xcalloc(1, sizeof(*lines));
	struct tiervm_diags d = { .file = path, .lines = lines };
	struct tiervm_matrix *m = xcalloc(1, sizeof(*m));
	char *dir = xstrdup(path), *slash = strrchr(dir, '/'), *text;
	struct ywalk w = { .d = &d, .dir = dir };
	yaml_parser_t parser;
	yaml_document_t doc;
	size_t len;

	if (slash)
		*slash = '\0';
	else
		w.dir = NULL;
	m->file = xstrdup(path);
	m->name = leaf(m->file);
	text = ywalk_read_file(path, MATRIX_MAX_BYTES, "a matrix", "", &len,
			       errp);
	if (!text)
		goto fail;
	if (ywalk_shallow_enough(text, len, &d, MATRIX_MAX_DEPTH,
				 "a matrix has at most 3")) {
		yaml_parser_initialize(&parser);
		yaml_parser_set_input_string(&parser,
					     (const unsigned char *)text, len);
		if (yaml_parser_load(&parser, &doc)) {
			w.doc = &doc;
			parse_root(&w, yaml_document_get_root_node(&doc), m);
			yaml_document_delete(&doc);
		} else {
			diag_add(&d, (int)parser.problem_mark.line + 1,
				 "(syntax)", "%s",
				 parser.problem ? parser.problem : "bad YAML");
		}
		yaml_parser_delete(&parser);
	}
	free(text);
	if (!diag_finish(&d, errp))
		goto fail;
	tiervm_lines_free(lines);
	free(dir);
	return m;
fail:
	tiervm_lines_free(lines);
	free(dir);
	tiervm_matrix_free(m);
	return NULL;
}

void tiervm_matrix_free(struct tiervm_matrix *m)
{
	if (!m)
		return;
	for (unsigned i = 0; i < m->n_cells; i++) {
		free(m->cells[i].name);
		free(m->cells[i].dir);
		free(m->cells[i].verdict);
		free(m->cells[i].message);
	}
	free(m->cells);
	tiervm_strv_free_null(m->specs);
	tiervm_strv_free_null(m->spec_labels);
	tiervm_strv_free_null(m->spec_names);
	tiervm_strv_free_null(m->kernels);
	tiervm_strv_free_null(m->qemus);
	tiervm_strv_free_null(m->qemu_labels);
	tiervm_strv_free_null(m->engines);
	tiervm_strv_free_null(m->command);
	tiervm_strv_free_null(m->env);
	free(m->keep);
	free(m->file);
	free(m);
}

unsigned tiervm_matrix_default_jobs(const struct tiervm_matrix *m, char **why)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t avail = 0, per = m->max_memory + (512ull << 20), by_mem;
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	unsigned jobs;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %" SCNu64 " kB", &avail) == 1)
			avail <<= 10;
	if (f)
		fclose(f);
	by_mem = avail / per;
	jobs = cpus < 1 ? 1 : (unsigned)cpus;
	if (avail && by_mem < jobs)
		jobs = by_mem ? (unsigned)by_mem : 1;
	if (why)
		*why = xasprintf(
			"%u: %ld online cpus, %llu MiB available / (%llu MiB of the largest guest + 512 MiB of QEMU's)",
			jobs, cpus, (unsigned long long)(avail >> 20),
			(unsigned long long)(m->max_memory >> 20));
	return jobs;
}

unsigned tiervm_matrix_count(const struct tiervm_matrix *m,
			     enum tiervm_cell_result r)
{
	unsigned n = 0;

	for (unsigned i = 0; i < m->n_cells; i++)
		n += m->cells[i].result == r;
	return n;
}
