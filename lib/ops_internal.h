/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_OPS_INTERNAL_H
#define TIERVM_OPS_INTERNAL_H

#include <json-c/json.h>

#include "plan.h"
#include "spec.h"
#include "vm.h"

/*
 * tiervm_ops_save_spec - RUNDIR/spec.json: @spec's text and where it came
 * from, what later operations on the running guest check against.
 */
bool tiervm_ops_save_spec(struct tiervm_vm *vm, const struct tiervm_spec *spec,
			  tiervm_error **errp);

struct tiervm_up_opts;
struct tiervm_launch;
struct tiervm_engine;

/*
 * tiervm_warm_refusal - NULL when a guest of @plan may start warm; else
 * why not, one line, and *@quiet when that needs no saying (--cold, an
 * engine without snapshots).
 */
const char *tiervm_warm_refusal(const struct tiervm_up_opts *o,
				const struct tiervm_plan *plan,
				const struct tiervm_engine *engine,
				const struct tiervm_launch *l, bool *quiet);

/*
 * tiervm_warm_take - @l->warm's snapshot of the verified guest @vm (its
 * @report kept with it); a note of its size and time.
 */
bool tiervm_warm_take(const struct tiervm_up_opts *o, struct tiervm_vm *vm,
		      struct tiervm_launch *l, json_object *report,
		      tiervm_error **errp);

/*
 * tiervm_warm_resume - tell a warm start's guest to go on (probe.c's
 * "resume": the host's clock, a reseed, @l's shares) and check that its
 * nodes are @report's: TIERVM_E_STATE when they are not.
 */
bool tiervm_warm_resume(const struct tiervm_up_opts *o, struct tiervm_vm *vm,
			const struct tiervm_launch *l, json_object *report,
			tiervm_error **errp);

#endif
