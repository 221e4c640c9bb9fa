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
	bool exited;

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
	/*
	 * tiervm's probe syncs and powers off.  One that does not answer at
	 * once (still booting, or busy) gets the ACPI power button, which
	 * the guest's agent acts on, then QEMU is told to quit.
	 */
	if (tiervm_probe_send(vm, "poweroff", TIERVM_TIMEOUT_DOWN_ACK_MS,
			      &err)) {
		exited =
			tiervm_engine_wait_exit(vm, TIERVM_TIMEOUT_POWEROFF_MS);
	} else {
		tiervm_progressf(
			fn, opaque,
			"the probe did not answer (%s); sending ACPI power-down",
			err->msg);
		tiervm_error_free(err);
		monitor_call(vm, vm->engine->powerdown);
		exited = tiervm_engine_wait_exit(vm, TIERVM_TIMEOUT_ACPI_MS);
	}
	if (!exited) {
		tiervm_progressf(fn, opaque,
				 "'%s' did not power off; quitting QEMU",
				 vm->name);
		monitor_call(vm, vm->engine->quit);
		if (!tiervm_engine_wait_exit(vm, TIERVM_TIMEOUT_QUIT_MS))
			tiervm_engine_kill(vm, TIERVM_TIMEOUT_KILL_GRACE_MS);
	}
	tiervm_vm_remove_dir(vm);
	tiervm_vm_free(vm);
	return true;
}
