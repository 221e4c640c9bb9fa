// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec_yaml.h"

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row = xcalloc(lb + 1, sizeof(*row));
	size_t result;

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			if (up + 1 < best)
				best = up + 1;
			row[j] = best;
			diag = up;
		}
	}
	result = row[lb];
	free(row);
	return result;
}

const char *tiervm_nearest(const char *word, const char *const *names)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1, limit = strlen(word) / 2 + 1;

	if (limit < 2)
		limit = 2;
	for (; *names; names++) {
		size_t d = edit_distance(word, *names);

		if (d < best_d) {
			best_d = d;
			best = *names;
		}
	}
	return best_d <= limit ? best : NULL;
}

static const char *scalar_of(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE
		       ? (const char *)n->data.scalar.value
		       : NULL;
}

void ywalk_check_keys(struct ywalk *w, yaml_node_t *map, const char *path,
		      const char *const *keys)
{
	yaml_node_pair_t *p, *q;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		const char *name = scalar_of(k);
		const char *const *known;
		const char *near;
		char *where;

		if (!name) {
			diag_add(w->d, yline(k), path,
				 "a key must be a plain name");
			continue;
		}
		for (q = map->data.mapping.pairs.start; q < p; q++) {
			const char *prev = scalar_of(
				yaml_document_get_node(w->doc, q->key));

			if (prev && !strcmp(prev, name))
				break;
		}
		where = *path ? xasprintf("%s.%s", path, name) : xstrdup(name);
		if (q < p) {
			diag_add(w->d, yline(k), where,
				 "given twice; keep one");
			free(where);
			continue;
		}
		for (known = keys; *known && strcmp(*known, name); known++)
			;
		if (!*known) {
			near = tiervm_nearest(name, keys);
			if (near)
				diag_add(w->d, yline(k), where,
					 "unknown key; did you mean '%s'?",
					 near);
			else if (strspn(name, "0123456789-") == strlen(name))
				diag_add(
					w->d, yline(k), where,
					"unknown key; a list with commas inside {...} needs quotes: \"0-1,%s\"",
					name);
			else
				diag_add(w->d, yline(k), where, "unknown key");
		}
		free(where);
	}
}

yaml_node_t *ywalk_get(struct ywalk *w, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const char *name =
			scalar_of(yaml_document_get_node(w->doc, p->key));

		if (name && !strcmp(name, key))
			return yaml_document_get_node(w->doc, p->value);
	}
	return NULL;
}

bool ywalk_is_map(struct ywalk *w, yaml_node_t *n, const char *path)
{
	if (n && n->type == YAML_MAPPING_NODE)
		return true;
	diag_add(w->d, yline(n), path, "must be a mapping of keys to values");
	return false;
}

bool ywalk_is_seq(struct ywalk *w, yaml_node_t *n, const char *path)
{
	if (n && n->type == YAML_SEQUENCE_NODE)
		return true;
	diag_add(w->d, yline(n), path, "must be a list");
	return false;
}

yaml_node_t **ywalk_items(struct ywalk *w, yaml_node_t *n, const char *path,
			  unsigned *n_out)
{
	yaml_node_item_t *it;
	yaml_node_t **items;
	unsigned i = 0;

	*n_out = 0;
	if (!ywalk_is_seq(w, n, path))
		return NULL;
	items = xcalloc((size_t)(n->data.sequence.items.top -
				 n->data.sequence.items.start) +
				1,
			sizeof(*items));
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++)
		items[i++] = yaml_document_get_node(w->doc, *it);
	*n_out = i;
	return items;
}

const char *ywalk_str(struct ywalk *w, yaml_node_t *n, const char *path)
{
	const char *s = scalar_of(n);

	if (!s)
		diag_add(w->d, yline(n), path, "must be a single value");
	return s;
}

bool ywalk_uint(struct ywalk *w, yaml_node_t *n, const char *path, uint64_t max,
		unsigned *out)
{
	const char *s = ywalk_str(w, n, path);
	tiervm_error *err = NULL;
	uint64_t v;

	if (!s)
		return false;
	if (!tiervm_parse_u64(s, &v, &err)) {
		diag_add_error(w->d, yline(n), path, err);
		return false;
	}
	if (v > max) {
		diag_add(w->d, yline(n), path, "%llu is out of range 0..%llu",
			 (unsigned long long)v, (unsigned long long)max);
		return false;
	}
	*out = (unsigned)v;
	return true;
}

bool ywalk_size(struct ywalk *w, yaml_node_t *n, const char *path,
		uint64_t *out)
{
	const char *s = ywalk_str(w, n, path);
	tiervm_error *err = NULL;

	if (!s)
		return false;
	if (!tiervm_parse_size(s, out, &err)) {
		diag_add_error(w->d, yline(n), path, err);
		return false;
	}
	return true;
}

bool ywalk_latency(struct ywalk *w, yaml_node_t *n, const char *path,
		   uint64_t *out)
{
	const char *s = ywalk_str(w, n, path);
	tiervm_error *err = NULL;

	if (!s)
		return false;
	if (!tiervm_parse_latency(s, out, &err)) {
		diag_add_error(w->d, yline(n), path, err);
		return false;
	}
	return true;
}

bool ywalk_bool(struct ywalk *w, yaml_node_t *n, const char *path, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", NULL };
	static const char *const no[] = { "false", "no", "off", NULL };
	const char *s = ywalk_str(w, n, path);

	if (!s)
		return false;
	for (int i = 0; yes[i]; i++) {
		if (!strcmp(s, yes[i])) {
			*out = true;
			return true;
		}
		if (!strcmp(s, no[i])) {
			*out = false;
			return true;
		}
	}
	diag_add(w->d, yline(n), path, "'%s' is not true or false", s);
	return false;
}

bool ywalk_cpus(struct ywalk *w, yaml_node_t *n, const char *path,
		struct tiervm_cpuset *out)
{
	const char *s = ywalk_str(w, n, path);
	tiervm_error *err = NULL;

	if (!s)
		return false;
	if (!tiervm_parse_cpulist(s, out, &err)) {
		diag_add_error(w->d, yline(n), path, err);
		return false;
	}
	return true;
}

bool ywalk_enum(struct ywalk *w, yaml_node_t *n, const char *path,
		const char *const *names, int *out)
{
	const char *s = ywalk_str(w, n, path);
	struct sbuf all = { 0 };
	const char *near;

	if (!s)
		return false;
	for (int i = 0; names[i]; i++) {
		if (!strcmp(s, names[i])) {
			*out = i;
			sbuf_free(&all);
			return true;
		}
		sbuf_addf(&all, "%s%s", i ? ", " : "", names[i]);
	}
	near = tiervm_nearest(s, names);
	if (near)
		diag_add(w->d, yline(n), path,
			 "'%s' is not one of %s; did you mean '%s'?", s, all.s,
			 near);
	else
		diag_add(w->d, yline(n), path, "'%s' is not one of %s", s,
			 all.s);
	sbuf_free(&all);
	return false;
}

char *ywalk_sub(const char *path, const char *key)
{
	return *path ? xasprintf("%s.%s", path, key) : xstrdup(key);
}

bool ywalk_open_map(struct ywalk *w, yaml_node_t *n, const char *path,
		    const char *const *keys, const char *const *required)
{
	if (!ywalk_is_map(w, n, *path ? path : "(top level)"))
		return false;
	ywalk_check_keys(w, n, path, keys);
	for (; required && *required; required++) {
		char *p;

		if (ywalk_get(w, n, *required))
			continue;
		p = ywalk_sub(path, *required);
		diag_add(w->d, yline(n), p, "required key is missing");
		free(p);
	}
	return true;
}

char *ywalk_dup_str(struct ywalk *w, yaml_node_t *n, const char *path)
{
	const char *s = ywalk_str(w, n, path);

	return s ? xstrdup(s) : NULL;
}

void *ywalk_list(struct ywalk *w, yaml_node_t *map, const char *key,
		 const char *path, size_t size, ywalk_item_fn fn,
		 unsigned *count)
{
	yaml_node_t *list = ywalk_get(w, map, key);
	yaml_node_t **it;
	char *elems;

	*count = 0;
	if (!list)
		return NULL;
	it = ywalk_items(w, list, path, count);
	if (!it)
		return NULL;
	elems = xcalloc(*count ? *count : 1, size);
	diag_mark(w->d, path, yline(list));
	for (unsigned i = 0; i < *count; i++) {
		char *p = xasprintf("%s[%u]", path, i);

		diag_mark(w->d, p, yline(it[i]));
		fn(w, it[i], p, elems + i * size);
		free(p);
	}
	free(it);
	return elems;
}

/*
 * libyaml's scanner takes time growing with the square of the nesting
 * depth: a spec nested 100,000 deep keeps it busy for minutes.  Its
 * events come one at a time, so counting depth on them stops such a
 * file at its first line past the limit, before the loader sees it.
 * @usual says how deep such a file goes.
 */
bool ywalk_shallow_enough(const char *text, size_t len, struct tiervm_diags *d,
			  int max, const char *usual)
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
			if (++depth > max) {
				diag_add(d, (int)e.start_mark.line + 1,
					 "(nesting)",
					 "more than %d levels of nesting; %s",
					 max, usual);
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

/*
 * The text of the YAML file @path, at most @max bytes; @what ("a spec")
 * and @why (after the limit) are for messages.  O_NONBLOCK: a FIFO given
 * as the file must not hang the open.
 */
char *ywalk_read_file(const char *path, size_t max, const char *what,
		      const char *why, size_t *len, tiervm_error **errp)
{
	char *text = NULL;
	size_t n = 0;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		tiervm_error_set(errp, TIERVM_E_INPUT, "%s: cannot open: %s",
				 path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		tiervm_error_set(errp, TIERVM_E_INPUT,
				 "%s: not a regular file; %s is a YAML file",
				 path, what);
		goto fail;
	}
	if ((uint64_t)st.st_size > max) {
		tiervm_error_set(errp, TIERVM_E_INPUT,
				 "%s: %lld bytes; %s is at most %zu%s", path,
				 (long long)st.st_size, what, max, why);
		goto fail;
	}
	/* one byte more than the limit shows a file that grew meanwhile */
	text = xcalloc(max + 2, 1);
	for (;;) {
		ssize_t r = read(fd, text + n, max + 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			tiervm_error_set(errp, TIERVM_E_INPUT,
					 "%s: cannot read: %s", path,
					 strerror(errno));
			goto fail;
		}
		if (r == 0 || (n += (size_t)r) > max)
			break;
	}
	if (n > max) {
		tiervm_error_set(errp, TIERVM_E_INPUT,
				 "%s: grew past %zu bytes while read", path,
				 max);
		goto fail;
	}
	close(fd);
	*len = n;
	return text;
fail:
	free(text);
	close(fd);
	return NULL;
}
