// SPDX-License-Identifier: LGPL-2.1-or-later
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util_error.h"
#include "util.h"

static void set_va(tiervm_error **errp, int code, const char *suffix,
		   const char *fmt, va_list ap)
{
	tiervm_error *err;
	char *msg;

	if (!errp)
		return;
	/* Setting twice loses the first message: a bug in the caller. */
	assert(*errp == NULL);

	msg = xvasprintf(fmt, ap);
	if (suffix) {
		char *full = xasprintf("%s: %s", msg, suffix);

		free(msg);
		msg = full;
	}
	err = xcalloc(1, sizeof(*err));
	err->code = code;
	err->msg = msg;
	*errp = err;
}

void tiervm_error_set(tiervm_error **errp, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_va(errp, code, NULL, fmt, ap);
	va_end(ap);
}

void tiervm_error_set_errno(tiervm_error **errp, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_va(errp, TIERVM_E_FAIL, strerror(err), fmt, ap);
	va_end(ap);
}

void tiervm_error_prefix(tiervm_error **errp, const char *fmt, ...)
{
	va_list ap;
	char *pre, *full;

	if (!errp || !*errp)
		return;
	va_start(ap, fmt);
	pre = xvasprintf(fmt, ap);
	va_end(ap);
	full = xasprintf("%s%s", pre, (*errp)->msg);
	free(pre);
	free((*errp)->msg);
	(*errp)->msg = full;
}

void tiervm_error_free(tiervm_error *err)
{
	if (!err)
		return;
	free(err->msg);
	free(err);
}

void tiervm_error_propagate(tiervm_error **dst, tiervm_error *local)
{
	if (!local)
		return;
	if (!dst) {
		tiervm_error_free(local);
		return;
	}
	assert(*dst == NULL);
	*dst = local;
}
