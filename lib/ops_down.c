// SPDX-License-Identifier: LGPL-2.1-or-later
/* tiervm_down: power a guest off, asking ever less politely. */
#include <stdio.h>
#include <stdlib.h>

#include "engine.h"
#include "ops.h"
#include "timeouts.h"
#include "util.h"

/* One monitor call for its effect, on a fresh connection. */
static void monitor_call(struct tiervm_vm *vm,
			 bool (*call)(struct tiervm_monitor *, tiervm_error **))
{
	struct tiervm_monitor *m = tiervm_engine_monitor(vm, NULL);

	if (m)
		call(m, NULL);
	tiervm_monitor_close(m);
}

bool tiervm_down(const char *name, bool *was_running, tiervm_progress_fn *fn,
		 void *opaque, tiervm_error **errp)
{
	struct tiervm_vm *vm = tiervm_engine_open(name, false, errp);
	tiervm_error *err = NULL;

	*was_running = false;
	if (!vm)
		return false;
	if (!tiervm_engine_running(vm)) {
		bool stale = tiervm_vm_exists(vm);

		if (stale)
			tiervm_vm_remove_dir(vm);
		else
			tiervm_error_set(errp, TIERVM_E_INPUT,
					 "no guest named '%s'", name);
		tiervm_vm_free(vm);
		return stale;
	}
	*was_running = true;
	/* tiervm's probe syncs and powers off; any other guest gets ACPI */
	if (!tiervm_probe_send(vm, "poweroff", &err)) {
		tiervm_progressf(
			fn, opaque,
			"the probe did not answer (%s); sending ACPI power-down",
			err->msg);
		tiervm_error_free(err);
		monitor_call(vm, vm->engine->powerdown);
	}
	if (!tiervm_engine_wait_exit(vm, TIERVM_TIMEOUT_POWEROFF_MS)) {
		tiervm_progressf(
			fn, opaque,
			"'%s' did not power off within %d s; quitting QEMU",
			vm->name, TIERVM_TIMEOUT_POWEROFF_MS / 1000);
		monitor_call(vm, vm->engine->quit);
		if (!tiervm_engine_wait_exit(vm, TIERVM_TIMEOUT_QUIT_MS))
			tiervm_engine_kill(vm, TIERVM_TIMEOUT_KILL_GRACE_MS);
	}
	tiervm_vm_remove_dir(vm);
	tiervm_vm_free(vm);
	return true;
}
