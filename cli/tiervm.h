/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_CLI_H
#define TIERVM_CLI_H

#include "error.h"

/* Exit codes: 0 ok, 1 failure, 2 bad input or usage. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

int cmd_plan(int argc, char **argv);
int cmd_host(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_resize(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_probe(int argc, char **argv);

/* Prints "tiervm: MSG" (each line of a multi-line message), frees, and
 * returns the exit code the error asks for. */
int report(tiervm_error *err);
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* --timeout's value: a whole positive number of seconds, else a usage error. */
int opt_seconds(const char *arg, long *out);

#endif
