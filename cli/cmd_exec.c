// SPDX-License-Identifier: LGPL-2.1-or-later
/* Commands that run things in a running guest: exec, shell, console. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ops.h"
#include "tiervm.h"
#include "exec.h"
#include "util.h"

static void on_winch(int sig)
{
	(void)sig;
	tiervm_exec_winsize_changed();
}

/* What a shell exits with, or the error's own code. */
static int finish(int status, tiervm_error *err)
{
	return status >= 0 ? status : report(err);
}

/* exec's own failure (@rc, already printed): 125, never a status of CMD's */
static int wrapper_failed(int rc)
{
	(void)rc;
	return EXIT_WRAPPER;
}

int cmd_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "membind", required_argument, NULL, 'm' },
		{ "preferred", required_argument, NULL, 'p' },
		{ "interleave", required_argument, NULL, 'i' },
		{ "cpunodebind", required_argument, NULL, 'N' },
		{ "cwd", required_argument, NULL, 'C' },
		{ "env", required_argument, NULL, 'e' },
		{ "timeout", required_argument, NULL, 't' },
		{ "access-counts", required_argument, NULL, 'A' },
		{ "access-plot", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	struct tiervm_exec_req req = { .in_fd = 0, .out_fd = 1, .err_fd = 2 };
	struct tiervm_window_opts w = { 0 };
	json_object *counts = NULL;
	struct strv extra = { 0 };
	tiervm_error *err = NULL;
	char **env;
	int c, status;

	if (argc < 3)
		return wrapper_failed(usage("exec"));
	/* NAME first, then options up to the command ("--" optional) */
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'm' || c == 'p' || c == 'i') {
			req.policy = c == 'm'	? "bind"
				     : c == 'p' ? "preferred"
						: "interleave";
			req.nodes = optarg;
		} else if (c == 'N') {
			req.cpunodes = optarg;
		} else if (c == 'C') {
			req.cwd = optarg;
		} else if (c == 'A') {
			w.file = optarg;
		} else if (c == 'L') {
			w.plot = optarg;
		} else if (c == 'e' && strchr(optarg, '=')) {
			strv_push(&extra, xstrdup(optarg));
		} else if (c != 't' || opt_timeout(optarg, &req.timeout_ms)) {
			strv_free(&extra);
			return wrapper_failed(usage("exec"));
		}
	}
	if (optind >= argc) {
		strv_free(&extra);
		return wrapper_failed(usage("exec"));
	}
	if (w.plot && !w.file) {
		strv_free(&extra);
		return wrapper_failed(
			usage_error("--access-plot goes with --access-counts"));
	}
	req.argv = argv + optind;
	req.env = env = tiervm_exec_env(extra.v);
	catch_interrupts();
	status = tiervm_exec_counted(argv[0], &req, &w, &counts, &err);
	if (counts)
		print_counts(counts, w.file);
	json_object_put(counts);
	tiervm_strv_free_null(env);
	strv_free(&extra);
	return status >= 0 ? status : wrapper_failed(report(err));
}

/*
 * The terminal in raw mode for the session: every key goes to the guest's
 * terminal (^C included), as with ssh; restored however the session ends.
 */
int cmd_shell(int argc, char **argv)
{
	struct tiervm_exec_req req = {
		.in_fd = 0, .out_fd = 1, .err_fd = 2, .tty = true
	};
	struct termios saved, raw;
	tiervm_error *err = NULL;
	char **env;
	int status;

	if (argc != 2)
		return usage("shell");
	if (tcgetattr(0, &saved) < 0)
		return usage_error("shell: standard input is not a terminal");
	raw = saved;
	cfmakeraw(&raw);
	req.argv = tiervm_exec_shell;
	req.env = env = tiervm_exec_env(NULL);
	signal(SIGWINCH, on_winch);
	fprintf(stderr, "tiervm: shell in '%s'; ^] leaves it\r\n", argv[1]);
	tcsetattr(0, TCSADRAIN, &raw);
	status = tiervm_exec(argv[1], &req, &err);
	tcsetattr(0, TCSADRAIN, &saved);
	tiervm_strv_free_null(env);
	return finish(status, err);
}

int cmd_console(int argc, char **argv)
{
	tiervm_error *err = NULL;

	if (argc != 2)
		return usage("console");
	catch_interrupts();
	if (!tiervm_console(argv[1], 1, &err))
		return report(err);
	return EXIT_OK;
}
