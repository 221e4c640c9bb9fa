// SPDX-License-Identifier: LGPL-2.1-or-later
/* What every command prints the same way: errors, JSON, progress. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counts.h"
#include "tiervm.h"
#include "util.h"

int report(tiervm_error *err)
{
	int code = err->code == TIERVM_E_INPUT ? EXIT_USAGE : EXIT_FAIL;
	const char *line = err->msg;

	/* spec diagnostics already start with FILE:LINE */
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		int len = nl ? (int)(nl - line) : (int)strlen(line);

		fprintf(stderr, "tiervm: %.*s\n", len, line);
		line = nl ? nl + 1 : NULL;
	}
	tiervm_error_free(err);
	return code;
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("tiervm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	return EXIT_USAGE;
}

int opt_timeout(const char *arg, int *ms)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (end == arg || *end || v <= 0 || v > 86400)
		return usage_error(
			"--timeout: '%s' is not a number of seconds (1 to 86400)",
			arg);
	*ms = (int)v * 1000;
	return EXIT_OK;
}

void print_json(json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(
			       o, JSON_C_TO_STRING_PRETTY |
					  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

void print_counts(json_object *counts, const char *file)
{
	char *table = tiervm_counts_format_table(counts);

	fflush(stdout);
	fputs(table, stderr);
	fprintf(stderr, "tiervm: access counts in %s\n", file);
	free(table);
}

void print_stage(const char *msg, void *start_ms)
{
	long long start = *(const long long *)start_ms;

	/* what stdout has so far comes first: the two may share a terminal */
	fflush(stdout);
	fprintf(stderr, "tiervm: [%5.1fs] %s\n",
		(double)(tiervm_now_ms() - start) / 1000.0, msg);
}

static void on_interrupt(int sig)
{
	tiervm_interrupt_signal = sig;
	tiervm_interrupted++;
}

void catch_interrupts(void)
{
	struct sigaction sa = { .sa_handler = on_interrupt };

	/* no SA_RESTART: a wait in poll() sees the interrupt at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}
