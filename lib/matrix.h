/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_MATRIX_H
#define TIERVM_MATRIX_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util_error.h"

/*
 * A test matrix (`tiervm test MATRIX.yaml`, docs/test.md): specs x kernels
 * x QEMUs x engines, less the exclusions, each cell one `up` that verifies
 * the guest and then runs the matrix's command in it.
 */

enum tiervm_cell_result {
	TIERVM_CELL_PENDING,
	TIERVM_CELL_RUNNING,
	TIERVM_CELL_PASSED,
	TIERVM_CELL_FAILED,
	TIERVM_CELL_SKIPPED,
};

struct tiervm_matrix_cell {
	/* what it runs: a spec file, a --kernel, a QEMU binary, an engine;
	 * each with its label, as the MATRIX wrote it (or shorter) */
	const char *spec, *spec_label, *kernel, *kernel_label, *qemu,
		*qemu_label, *engine;
	const char *spec_name; /* the spec's own name: */
	const char *connect;   /* the libvirt host; NULL: this one's */
	char *name;	       /* the guest's */
	char *dir;	       /* its record under the keep directory */
	enum tiervm_cell_result result;
	char *verdict;	    /* "MATCH", "MISMATCH"; NULL: never compared */
	char *message;	    /* why it failed or was skipped */
	int command_status; /* -1: not run */
	long long start_ms, end_ms;
	/* while it runs */
	pid_t pid;
	int stops; /* interrupts sent to it */
	long long stop_ms;
};

struct tiervm_matrix_exclude {
	char *spec, *kernel, *qemu, *engine; /* NULL: any */
};

struct tiervm_matrix {
	char *file;
	const char *name; /* the file's, for reports */
	char **specs, **spec_labels, **spec_names;
	unsigned n_specs;
	char **kernels;
	unsigned n_kernels;
	char **qemus, **qemu_labels;
	unsigned n_qemus;
	char **engines;
	unsigned n_engines;
	char **command; /* NULL-terminated; NULL: verify only */
	char **env;	/* K=V, NULL-terminated */
	unsigned timeout_s;
	uint64_t max_memory; /* the largest spec's guest memory */
	struct tiervm_matrix_cell *cells;
	unsigned n_cells;
	/* filled by tiervm_matrix_run() */
	char *keep;    /* the directory of the cells' records */
	unsigned jobs; /* cells at once, on each host */
	long long start_ms, end_ms;
	bool interrupted;
};

/**
 * tiervm_matrix_load - read and check @path, and every spec it names, and
 * lay out its cells; each problem one "FILE:LINE: KEY: ..." line in
 * *@errp (TIERVM_E_INPUT) before anything boots.
 */
struct tiervm_matrix *tiervm_matrix_load(const char *path, tiervm_error **errp);
void tiervm_matrix_free(struct tiervm_matrix *m);

/**
 * tiervm_matrix_default_jobs - cells to run at once on this machine: its
 * online cpus, but no more than its available memory holds of the largest
 * cell (with QEMU's own 512M); at least 1.  *@why says it in words.
 */
unsigned tiervm_matrix_default_jobs(const struct tiervm_matrix *m, char **why);

/* Told what changed: a cell started or ended (@cell), or time went by. */
typedef void tiervm_matrix_progress_fn(const struct tiervm_matrix *m,
				       const struct tiervm_matrix_cell *cell,
				       void *opaque);

struct tiervm_matrix_opts {
	unsigned jobs; /* 0: tiervm_matrix_default_jobs() */
	/* libvirt hosts the libvirt engine's cells are spread over too */
	char *const *connect;
	unsigned n_connect;
	bool fail_fast;	  /* the first failure stops the rest */
	const char *keep; /* NULL: ./tiervm-test-DATE-TIME */
	tiervm_matrix_progress_fn *progress;
	void *opaque;
};

/**
 * tiervm_matrix_run - run every cell, @o->jobs at once per host, each in a
 * process of its own; a cell over the matrix's timeout, or all of them on
 * an interrupt (tiervm_interrupted), is stopped with its guest.  False
 * only when the records cannot be kept; the cells' results say the rest.
 */
bool tiervm_matrix_run(struct tiervm_matrix *m,
		       const struct tiervm_matrix_opts *o, tiervm_error **errp);

/* Cells with @r as their result. */
unsigned tiervm_matrix_count(const struct tiervm_matrix *m,
			     enum tiervm_cell_result r);

/** tiervm_matrix_table - one row per cell, then "N passed, N failed, N skipped". */
char *tiervm_matrix_table(const struct tiervm_matrix *m);

/** tiervm_matrix_json - the results, for scripts (docs/test.md). */
json_object *tiervm_matrix_json(const struct tiervm_matrix *m);

/** tiervm_matrix_write_junit - the results as a new JUnit XML file. */
bool tiervm_matrix_write_junit(const struct tiervm_matrix *m, const char *path,
			       tiervm_error **errp);

#endif
