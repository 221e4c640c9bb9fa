// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "spec_diag.h"

void diag_mark(struct tiervm_diags *d, const char *key, int line)
{
	struct tiervm_lines *l = d->lines;

	/* 0 too: a key from a command line has no line, nor its parent's */
	if (!l)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->key = xrealloc(l->key, l->cap * sizeof(*l->key));
		l->line = xrealloc(l->line, l->cap * sizeof(*l->line));
	}
	l->key[l->n] = xstrdup(key);
	l->line[l->n++] = line > 0 ? line : 0;
}

static void add_va(struct tiervm_diags *d, int line, const char *key,
		   const char *fmt, va_list ap)
{
	char *msg = xvasprintf(fmt, ap);
	int known;

	if (tiervm_lines_find(d->lines, key, &known)) {
		line = known;
	} else if (line <= 0) {
		/* a key not written (a default) is told at its parent's line */
		char *parent = xstrdup(key), *cut;

		while (line <= 0 && (cut = strrchr(parent, '.'))) {
			*cut = '\0';
			if (tiervm_lines_find(d->lines, parent, &known))
				line = known;
		}
		free(parent);
	}
	if (line > 0)
		sbuf_addf(&d->text, "%s%s:%d: %s: %s", d->count ? "\n" : "",
			  d->file, line, key, msg);
	else
		sbuf_addf(&d->text, "%s%s: %s: %s", d->count ? "\n" : "",
			  d->file, key, msg);
	d->count++;
	free(msg);
}

void diag_add(struct tiervm_diags *d, int line, const char *key,
	      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_va(d, line, key, fmt, ap);
	va_end(ap);
}

void diag_add_in(struct tiervm_diags *d, int line, const char *parent,
		 const char *member, const char *fmt, ...)
{
	char *key = xasprintf("%s.%s", parent, member);
	va_list ap;

	va_start(ap, fmt);
	add_va(d, line, key, fmt, ap);
	va_end(ap);
	free(key);
}

void diag_add_error(struct tiervm_diags *d, int line, const char *key,
		    tiervm_error *err)
{
	diag_add(d, line, key, "%s", err->msg);
	tiervm_error_free(err);
}

bool diag_finish(struct tiervm_diags *d, tiervm_error **errp)
{
	bool ok = d->count == 0;

	if (!ok)
		tiervm_error_set(errp, TIERVM_E_INPUT, "%s", d->text.s);
	sbuf_free(&d->text);
	d->count = 0;
	return ok;
}
