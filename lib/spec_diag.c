// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdarg.h>
#include <stdlib.h>

#include "spec_diag.h"

void diag_add(struct tiervm_diags *d, int line, const char *key,
	      const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (line > 0)
		sbuf_addf(&d->text, "%s%s:%d: %s: %s", d->count ? "\n" : "",
			  d->file, line, key, msg);
	else
		sbuf_addf(&d->text, "%s%s: %s: %s", d->count ? "\n" : "",
			  d->file, key, msg);
	d->count++;
	free(msg);
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
