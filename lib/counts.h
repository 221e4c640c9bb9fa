/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_COUNTS_H
#define TIERVM_COUNTS_H

#include <json-c/json.h>
#include <stdbool.h>

#include "exec.h"
#include "plan.h"
#include "util_error.h"
#include "vm.h"

/*
 * Access counting: which node served the guest's data loads and stores,
 * counted by tiervm's TCG plugin (plugin/tiervm-count.c) into the file
 * RUNDIR/counts (plugin/count_shm.h) in windows around a command, and the
 * plugin's per-node delays (machine.emulate-latency).
 */

/** tiervm_counts_file_name - the counts file's name in a runtime dir. */
#define TIERVM_COUNTS_FILE "counts"

/**
 * tiervm_counts_check - whether @plan's QEMU and accelerator can count;
 * @what names what asked ("--counting") in the input error when not.
 */
bool tiervm_counts_check(const struct tiervm_plan *plan, const char *what,
			 tiervm_error **errp);

/** tiervm_counts_wanted - whether @plan loads the plugin without asking. */
bool tiervm_counts_wanted(const struct tiervm_plan *plan);

/**
 * tiervm_counts_create - RUNDIR/counts for @plan (disarmed, boot memory
 * placed, delays set) and its description RUNDIR/counts.json; the
 * -plugin argument that loads the plugin on it in *@plugin_arg.
 */
bool tiervm_counts_create(struct tiervm_vm *vm, const struct tiervm_plan *plan,
			  char **plugin_arg, tiervm_error **errp);

/**
 * tiervm_counts_place - give the plugin the guest-physical ranges of the
 * memory devices QEMU placed (@devices: query-memory-devices) after boot
 * memory; called again after a hot-plug.  A guest without counting is
 * left alone.
 */
bool tiervm_counts_place(struct tiervm_vm *vm, json_object *devices,
			 tiervm_error **errp);

/**
 * tiervm_counts_check_guest - compare the ranges given to the plugin with
 * the guest's own view in @report (its nodes' memory): a note per node
 * that differs, appended to @notes.
 */
void tiervm_counts_check_guest(struct tiervm_vm *vm, json_object *report,
			       struct strv *notes);

struct tiervm_window;

/**
 * tiervm_window_open - a counting window on the running guest @vm; an
 * input error when @vm was not started with counting or another window
 * is open on it.
 */
struct tiervm_window *tiervm_window_open(struct tiervm_vm *vm,
					 tiervm_error **errp);

/** tiervm_window_arm - zero the counts and start counting (and sampling). */
bool tiervm_window_arm(struct tiervm_window *w, tiervm_error **errp);

/**
 * tiervm_window_close - stop counting: the window's counts as JSON
 * (docs/json.md, "access counts"), or NULL when it was never armed.
 * Frees @w.
 */
json_object *tiervm_window_close(struct tiervm_window *w);

/**
 * tiervm_window_rates - per-node accesses per second since the last call
 * (the first call starts the clock): {"armed": bool, "nodes": [{"node",
 * "rate"}]}, or NULL with *errp set when @vm does not count.
 */
json_object *tiervm_counts_rates(struct tiervm_vm *vm, json_object *last,
				 tiervm_error **errp);

/**
 * tiervm_window_exec - tiervm_exec_run() of @req in @vm inside a counting
 * window: the counts in *@counts and the new files @file (JSON) and @plot
 * (SVG, may be NULL).  The command's status, or -1 with *errp set (the
 * window could not open, or its files not be written).
 */
int tiervm_window_exec(struct tiervm_vm *vm, const struct tiervm_exec_req *req,
		       const char *file, const char *plot, json_object **counts,
		       tiervm_error **errp);

/**
 * tiervm_counts_outputs_free - an input error unless @file and @plot (each
 * may be NULL) can be made new: tiervm never overwrites them.
 */
bool tiervm_counts_outputs_free(const char *file, const char *plot,
				tiervm_error **errp);

/** tiervm_counts_format_table - the counts as the per-node table. */
char *tiervm_counts_format_table(json_object *counts);

/** tiervm_counts_write - @counts as JSON to the new file @path. */
bool tiervm_counts_write(json_object *counts, const char *path,
			 tiervm_error **errp);

/**
 * tiervm_counts_plot - the window's time series as an SVG line chart (one
 * line per node, accesses per second) in the new file @path.
 */
bool tiervm_counts_plot(json_object *counts, const char *path,
			tiervm_error **errp);

#endif
