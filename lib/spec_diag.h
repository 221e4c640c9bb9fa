/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_SPEC_DIAG_H
#define TIERVM_SPEC_DIAG_H

#include "util_error.h"
#include "spec.h"
#include "util.h"

/*
 * Spec problems are collected, not returned one at a time: a user fixing a
 * spec wants every mistake in one run.  Each is one line,
 * "FILE:LINE: KEY: what is wrong and what would be right".
 */
struct tiervm_diags {
	const char *file;
	struct sbuf text;
	unsigned count;
	/* the line of each key read ("nodes[1].cpus"), as the parser saw it;
	 * borrowed: the spec owns it */
	struct tiervm_lines *lines;
};

/* Remember @key's line; a diagnostic about @key is given that line. */
void diag_mark(struct tiervm_diags *d, const char *key, int line);

/*
 * One problem of @key, at the line the parser saw @key on, else at @line
 * (0: none).  @key is the full path: "nodes[1].cpus".
 */
void diag_add(struct tiervm_diags *d, int line, const char *key,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same for @parent's member @member: "nodes[1]" and "cpus". */
void diag_add_in(struct tiervm_diags *d, int line, const char *parent,
		 const char *member, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Adds err's message under @key and frees it. */
void diag_add_error(struct tiervm_diags *d, int line, const char *key,
		    tiervm_error *err);

/* Moves everything collected into *errp (TIERVM_E_INPUT); false if any. */
bool diag_finish(struct tiervm_diags *d, tiervm_error **errp);

#endif
