// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "spec_diag.h"

void diag_mark(struct tiervm_diags *d, const char *key, int line)
{
	if (!d->lines)
		d->lines = json_object_new_object();
	if (line > 0)
		json_object_object_add(d->lines, key,
				       json_object_new_int(line));
}

static void add_va(struct tiervm_diags *d, int line, const char *key,
		   const char *fmt, va_list ap)
{
	json_object *known;
	char *msg = xvasprintf(fmt, ap);

	if (d->lines && json_object_object_get_ex(d->lines, key, &known)) {
		line = json_object_get_int(known);
	} else if (d->lines && line <= 0) {
		/* a key not written (a default) is told at its parent's line */
		char *parent = xstrdup(key), *cut;

		while (line <= 0 && (cut = strrchr(parent, '.'))) {
			*cut = '\0';
			if (json_object_object_get_ex(d->lines, parent, &known))
				line = json_object_get_int(known);
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
	json_object_put(d->lines);
	d->lines = NULL;
	return ok;
}
