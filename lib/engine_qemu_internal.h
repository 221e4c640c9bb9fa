/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_ENGINE_QEMU_INTERNAL_H
#define TIERVM_ENGINE_QEMU_INTERNAL_H

#include "engine.h"
#include "qemu_qmp.h"

/* The QEMU engine's files, shared with its re-binding (engine_qemu_rebind.c). */

/** tiervm_qemu_qmp - the QMP connection under a QEMU engine's monitor. */
struct tiervm_qmp *tiervm_qemu_qmp(struct tiervm_monitor *m);

/** tiervm_qemu_rebind - the engine's migrate-in-place (engine.h). */
bool tiervm_qemu_rebind(struct tiervm_vm *vm, struct tiervm_migration *mig,
			tiervm_error **errp);

/** tiervm_qemu_run - run QMP's @cmd (@args owned) for its effect. */
bool tiervm_qemu_run(struct tiervm_qmp *q, const char *cmd, json_object *args,
		     tiervm_error **errp);

/** tiervm_qemu_arg - the arguments {"@key": "@value"}. */
json_object *tiervm_qemu_arg(const char *key, const char *value);

/**
 * tiervm_qemu_migrated - wait up to @timeout_ms for QEMU's migration (out
 * or in) to complete; one that failed is an error of @failed_code, one
 * that did not end (or an interrupt) is cancelled.
 */
bool tiervm_qemu_migrated(struct tiervm_qmp *q, int timeout_ms, int failed_code,
			  tiervm_error **errp);

/** tiervm_qemu_snapshot - the engine's snapshot (engine.h). */
bool tiervm_qemu_snapshot(struct tiervm_vm *vm, const char *path,
			  tiervm_error **errp);

/**
 * tiervm_qemu_restore - load @l->incoming (checked by the caller) into a
 * QEMU started with -S -incoming defer, then run it.
 */
bool tiervm_qemu_restore(struct tiervm_vm *vm, struct tiervm_launch *l,
			 tiervm_error **errp);

#endif
