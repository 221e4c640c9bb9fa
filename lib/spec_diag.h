/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_SPEC_DIAG_H
#define TIERVM_SPEC_DIAG_H

#include "util_error.h"
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
};

void diag_add(struct tiervm_diags *d, int line, const char *key,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Adds err's message under @key and frees it. */
void diag_add_error(struct tiervm_diags *d, int line, const char *key,
		    tiervm_error *err);

/* Moves everything collected into *errp (TIERVM_E_INPUT); false if any. */
bool diag_finish(struct tiervm_diags *d, tiervm_error **errp);

#endif
