/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_UTIL_ERROR_H
#define TIERVM_UTIL_ERROR_H

#include <stdbool.h>

/*
 * The error contract follows QEMU's Error **errp: the parameter comes last,
 * is left untouched on success and set exactly once on failure.  A NULL errp
 * means the caller does not care.
 */
typedef struct tiervm_error {
	int code; /* TIERVM_E_*: decides the CLI's exit status */
	char *msg;
} tiervm_error;

enum {
	TIERVM_E_FAIL = 1,  /* something at run time failed */
	TIERVM_E_INPUT = 2, /* the user's input is wrong */
	/* a snapshot's state did not load (exits as TIERVM_E_FAIL) */
	TIERVM_E_STATE = 3,
};

/** tiervm_error_set - set *@errp to a formatted message with exit @code. */
void tiervm_error_set(tiervm_error **errp, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** tiervm_error_setg - like tiervm_error_set() with TIERVM_E_FAIL. */
#define tiervm_error_setg(errp, ...) \
	tiervm_error_set((errp), TIERVM_E_FAIL, __VA_ARGS__)

/** tiervm_error_set_errno - append ": strerror(@err)" to the message. */
void tiervm_error_set_errno(tiervm_error **errp, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** tiervm_error_prefix - prepend a formatted context to an existing error. */
void tiervm_error_prefix(tiervm_error **errp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * tiervm_error_propagate - move @local (may be NULL) into *@dst, as QEMU's
 * error_propagate(): for a caller that needs to look at an error it got
 * before passing it on, whatever its own errp is.
 */
void tiervm_error_propagate(tiervm_error **dst, tiervm_error *local);

/** tiervm_error_free - free @err; NULL is fine. */
void tiervm_error_free(tiervm_error *err);

#endif
