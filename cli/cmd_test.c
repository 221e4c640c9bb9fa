// SPDX-License-Identifier: LGPL-2.1-or-later
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "matrix.h"
#include "tiervm.h"
#include "util.h"

struct progress {
	bool tty;
};

/*
 * "[  12s] 1 done, 2 running, 3 left": redrawn in place on a terminal,
 * else a line whenever a cell starts or ends (a CI log).
 */
static void show_progress(const struct tiervm_matrix *m,
			  const struct tiervm_matrix_cell *cell, void *opaque)
{
	struct progress *p = opaque;
	unsigned running = tiervm_matrix_count(m, TIERVM_CELL_RUNNING),
		 left = tiervm_matrix_count(m, TIERVM_CELL_PENDING),
		 done = m->n_cells - running - left;
	long long now = tiervm_now_ms();

	if (!cell && !p->tty)
		return;
	fprintf(stderr, "%s[%5llds] %u done, %u running, %u left",
		p->tty ? "\r\033[K" : "", (now - m->start_ms) / 1000, done,
		running, left);
	if (cell && !p->tty)
		fprintf(stderr, ": %s %s/%s/%s%s%s %s", cell->spec_label,
			cell->kernel, cell->qemu_label, cell->engine,
			cell->connect ? "@" : "",
			cell->connect ? cell->connect : "",
			cell->result == TIERVM_CELL_RUNNING  ? "started"
			: cell->result == TIERVM_CELL_PASSED ? "passed"
			: cell->result == TIERVM_CELL_FAILED ? "FAILED"
							     : "skipped");
	fputs(p->tty ? "" : "\n", stderr);
	fflush(stderr);
}

int cmd_test(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "jobs", required_argument, NULL, 'j' },
		{ "junit", required_argument, NULL, 'J' },
		{ "json", required_argument, NULL, 'o' },
		{ "connect", required_argument, NULL, 'U' },
		{ "fail-fast", no_argument, NULL, 'f' },
		{ "keep", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct progress p = { .tty = isatty(2) };
	struct tiervm_matrix_opts o = { .progress = show_progress,
					.opaque = &p };
	const char *junit = NULL, *json = NULL;
	struct strv connect = { 0 };
	struct tiervm_matrix *m = NULL;
	tiervm_error *err = NULL;
	char *why = NULL, *table, *end;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o.jobs = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !o.jobs || o.jobs > 256) {
				rc = usage_error(
					"--jobs: '%s' is not a number of cells from 1 to 256",
					optarg);
				goto out;
			}
			break;
		case 'J':
			junit = optarg;
			break;
		case 'o':
			json = optarg;
			break;
		case 'U':
			strv_push(&connect, xstrdup(optarg));
			break;
		case 'f':
			o.fail_fast = true;
			break;
		case 'k':
			o.keep = optarg;
			break;
		default:
			rc = usage("test");
			goto out;
		}
	}
	if (optind != argc - 1) {
		rc = usage("test");
		goto out;
	}
	o.connect = connect.v;
	o.n_connect = (unsigned)connect.n;
	if (!(m = tiervm_matrix_load(argv[optind], &err))) {
		rc = report(err);
		goto out;
	}
	if (!o.jobs) {
		o.jobs = tiervm_matrix_default_jobs(m, &why);
		fprintf(stderr, "tiervm: --jobs %s\n", why);
	}
	fprintf(stderr, "tiervm: %u cells, %u at once\n", m->n_cells, o.jobs);
	/* ^C stops every cell with its guest, then reports what ran */
	catch_interrupts();
	if (!tiervm_matrix_run(m, &o, &err)) {
		rc = report(err);
		goto out;
	}
	if (p.tty)
		fputc('\n', stderr);
	table = tiervm_matrix_table(m);
	fprintf(stdout, "%s", table);
	free(table);
	fprintf(stderr, "tiervm: each cell's log, console and output: %s\n",
		m->keep);
	rc = tiervm_matrix_count(m, TIERVM_CELL_FAILED) ? EXIT_FAIL : EXIT_OK;
	if (junit && !tiervm_matrix_write_junit(m, junit, &err))
		rc = report(err);
	if (json) {
		json_object *j = tiervm_matrix_json(m);

		if (json_object_to_file_ext(
			    json, j,
			    JSON_C_TO_STRING_PRETTY |
				    JSON_C_TO_STRING_NOSLASHESCAPE) < 0)
			rc = usage_error("--json: cannot write %s", json);
		json_object_put(j);
	}
	if (m->interrupted)
		rc = 130;
out:
	tiervm_matrix_free(m);
	strv_free(&connect);
	free(why);
	return rc;
}
