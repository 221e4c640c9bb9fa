/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_UTIL_PROC_H
#define TIERVM_UTIL_PROC_H

#include <stdbool.h>

#include "util_error.h"

/**
 * tiervm_run_capture - run @argv (PATH searched), wait, return its stdout
 * and stderr together in *@out and the exit status in *@status (-1 when it
 * died of a signal).  Fails only when it could not be started.
 */
bool tiervm_run_capture(char *const argv[], char **out, int *status,
			tiervm_error **errp);

/** tiervm_shell_quote - @s quoted for POSIX sh, inert whatever it holds. */
char *tiervm_shell_quote(const char *s);

/**
 * tiervm_which - where a shell finds the program @name: @name itself when
 * it has a '/', else the first executable of that name in an absolute
 * directory of $PATH; NULL when none.  Caller frees.
 */
char *tiervm_which(const char *name);

#endif
