/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_SPEC_YAML_H
#define TIERVM_SPEC_YAML_H

#include <stdbool.h>
#include <stdint.h>
#include <yaml.h>

#include "spec_diag.h"
#include "units.h"

/*
 * Typed reads from a libyaml document tree.  Each reader reports its own
 * problem through the diags, naming the key path, and returns false; the
 * caller just moves on so that every mistake is found in one run.
 */
struct ywalk {
	yaml_document_t *doc;
	struct tiervm_diags *d;
	const char *dir; /* the spec's directory: relative paths start there */
};

/* The mark of nodes made by the program, not read from a file. */
#define YWALK_NO_LINE ((size_t)-1)

/* 1-based line of @n; 0 when it has none. */
static inline int yline(const yaml_node_t *n)
{
	return n && n->start_mark.line != YWALK_NO_LINE
		       ? (int)n->start_mark.line + 1
		       : 0;
}

/* Reports keys of @map not in @keys (NULL-terminated), with a suggestion. */
void ywalk_check_keys(struct ywalk *w, yaml_node_t *map, const char *path,
		      const char *const *keys);
/* The value of @key in @map, or NULL. */
yaml_node_t *ywalk_get(struct ywalk *w, yaml_node_t *map, const char *key);
bool ywalk_is_map(struct ywalk *w, yaml_node_t *n, const char *path);
bool ywalk_is_seq(struct ywalk *w, yaml_node_t *n, const char *path);
/* Sequence items: *n_out items, NULL when @n is not a sequence. */
yaml_node_t **ywalk_items(struct ywalk *w, yaml_node_t *n, const char *path,
			  unsigned *n_out);
const char *ywalk_str(struct ywalk *w, yaml_node_t *n, const char *path);
bool ywalk_uint(struct ywalk *w, yaml_node_t *n, const char *path, uint64_t max,
		unsigned *out);
bool ywalk_size(struct ywalk *w, yaml_node_t *n, const char *path,
		uint64_t *out);
bool ywalk_latency(struct ywalk *w, yaml_node_t *n, const char *path,
		   uint64_t *out);
bool ywalk_bool(struct ywalk *w, yaml_node_t *n, const char *path, bool *out);
bool ywalk_cpus(struct ywalk *w, yaml_node_t *n, const char *path,
		struct tiervm_cpuset *out);
/* One of @names (NULL-terminated); *out is its index. */
bool ywalk_enum(struct ywalk *w, yaml_node_t *n, const char *path,
		const char *const *names, int *out);

/* @path + "." + @key ("nodes[1]" and "cpus"), for messages; "" + key is key. */
char *ywalk_sub(const char *path, const char *key);
/*
 * @n is a map of @keys with every key of @required (NULL-terminated, may
 * be NULL): each problem reported, false only when it is no map at all.
 */
bool ywalk_open_map(struct ywalk *w, yaml_node_t *n, const char *path,
		    const char *const *keys, const char *const *required);
/* A copy of the string @n, or NULL (reported) when it is none. */
char *ywalk_dup_str(struct ywalk *w, yaml_node_t *n, const char *path);

typedef void (*ywalk_item_fn)(struct ywalk *, yaml_node_t *, const char *,
			      void *);
/*
 * Parses each item of the list at @key of @map into a freshly allocated
 * array of @size-byte elements, calling @fn(w, item, "PATH[i]", element);
 * @path names the list in messages.  NULL with *@count 0 when absent.
 */
void *ywalk_list(struct ywalk *w, yaml_node_t *map, const char *key,
		 const char *path, size_t size, ywalk_item_fn fn,
		 unsigned *count);

/* Runs @stmt with `v` the value of @key and `p` its path, when present. */
#define YWITH(map, path, key, stmt)                          \
	do {                                                 \
		yaml_node_t *v = ywalk_get(w, (map), (key)); \
		if (v) {                                     \
			char *p = ywalk_sub((path), (key));  \
			diag_mark(w->d, p, yline(v));        \
			stmt;                                \
			free(p);                             \
		}                                            \
	} while (0)

/* The text of YAML file @path, at most @max bytes (docs in spec_yaml.c). */
char *ywalk_read_file(const char *path, size_t max, const char *what,
		      const char *why, size_t *len, tiervm_error **errp);
/* @text nests at most @max deep; else reported (@usual: how deep it goes). */
bool ywalk_shallow_enough(const char *text, size_t len, struct tiervm_diags *d,
			  int max, const char *usual);

/* Levenshtein-nearest of @names to @word, or NULL when nothing is close. */
const char *tiervm_nearest(const char *word, const char *const *names);

#endif
