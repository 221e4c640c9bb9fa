/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_OPS_INTERNAL_H
#define TIERVM_OPS_INTERNAL_H

#include "spec.h"
#include "vm.h"

/*
 * tiervm_ops_save_spec - RUNDIR/spec.json: @spec's text and where it came
 * from, what later operations on the running guest check against.
 */
bool tiervm_ops_save_spec(struct tiervm_vm *vm, const struct tiervm_spec *spec,
			  tiervm_error **errp);

#endif
