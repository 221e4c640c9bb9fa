/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_CLI_H
#define TIERVM_CLI_H

#include <json-c/json.h>

#include "util_error.h"

/*
 * The command line: each cmd_*() parses its arguments, calls one library
 * operation and prints what it returns.  Nothing here decides anything.
 */

/*
 * Exit codes: 0 ok, 1 failure, 2 bad input or usage.  A command that runs
 * CMD in the guest passes CMD's status on and exits 125 for its own
 * failures, as env(1), timeout(1) and docker run do.
 */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_WRAPPER = 125 };

int cmd_plan(int argc, char **argv);
int cmd_kconfig(int argc, char **argv);
int cmd_host(int argc, char **argv);
int cmd_spec(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_cache(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_resize(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_shell(int argc, char **argv);
int cmd_console(int argc, char **argv);

/* Prints "tiervm: MSG" (each line of a multi-line message), frees, and
 * returns the exit code the error asks for. */
int report(tiervm_error *err);
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "tiervm: usage: ..." for @command, pointing at its --help; EXIT_USAGE. */
int usage(const char *command);
/* --timeout's value: a whole positive number of seconds, in ms. */
int opt_timeout(const char *arg, int *ms);
/* @o pretty-printed on stdout, then put. */
void print_json(json_object *o);
/*
 * ^C and SIGTERM count up tiervm_interrupted: a boot stops and stops its
 * guest, a command in the guest gets SIGINT, then SIGKILL.
 */
void catch_interrupts(void);
/* "[  1.2s] MSG" on stderr, timed from *@start_ms (a long long). */
void print_stage(const char *msg, void *start_ms);

/* A counting window's per-node table, on stderr after CMD's output. */
void print_counts(json_object *counts, const char *file);

#endif
