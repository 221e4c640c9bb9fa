/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_VM_H
#define TIERVM_VM_H

#include <json-c/json.h>
#include <stdbool.h>
#include <sys/types.h>

#include "util_error.h"

struct tiervm_engine;

/*
 * Exec channels per guest: RUNDIR/execN.sock (the guest agent's port N)
 * and execN.lock (held by the host process using it); N < this.
 */
#define TIERVM_EXEC_PORTS 8

/*
 * A guest's private runtime directory, mode 0700, named after the guest:
 * what every engine keeps there is listed in vm.c (the probe's socket and
 * the console log are the engine's contract with the layers above it).
 */
struct tiervm_vm {
	char *name;
	char *dir;
	/* the engine running it; set by tiervm_engine_open() */
	const struct tiervm_engine *engine;
	pid_t pid;   /* the QEMU process, 0 when not running */
	int name_fd; /* holds the name's lock (tiervm_vm_lock_name), or -1 */
	unsigned boot_stages; /* boot stages its console has shown (probe.c) */
	/* drivers the guest's probe found neither built in nor loadable */
	char *missing_drivers;
	/* why its engine cannot reach it, when it cannot (a daemon gone) */
	char *unreachable;
	/* where its console log goes when the runtime dir is removed (a
	 * matrix cell's record); NULL: nowhere.  Borrowed. */
	const char *keep_console;
};

/** tiervm_runtime_base - $XDG_RUNTIME_DIR/tiervm, else /tmp/tiervm-UID. */
char *tiervm_runtime_base(void);

/**
 * tiervm_vm_new - the runtime dir of guest @name, whether or not it exists;
 * fails only when the base directory cannot be made private.
 */
struct tiervm_vm *tiervm_vm_new(const char *name, tiervm_error **errp);
void tiervm_vm_free(struct tiervm_vm *vm);

/**
 * tiervm_vm_lock_name - hold the lock on @vm's name until tiervm_vm_free():
 * one tiervm at a time starts, or sweeps away, a guest of a name.  False
 * with an input error when another holds it.
 */
bool tiervm_vm_lock_name(struct tiervm_vm *vm, tiervm_error **errp);

/**
 * tiervm_lock_slot - the first of @what-1 .. @what-@max that no other
 * process holds, locked: its number in *@slot, and the descriptor that
 * holds it (closing it lets go), or -1 with *@errp when all are held.
 */
int tiervm_lock_slot(const char *what, unsigned max, unsigned *slot,
		     tiervm_error **errp);

/**
 * tiervm_vm_console_tail - "; its console's last lines:\nconsole: ..." with
 * the last @n lines of the guest's console.log, for an error that says why
 * the guest stopped answering; "" when the log is empty.  Caller frees.
 */
char *tiervm_vm_console_tail(const struct tiervm_vm *vm, size_t n);

/** tiervm_vm_path - "RUNDIR/@file"; caller frees. */
char *tiervm_vm_path(const struct tiervm_vm *vm, const char *file);

/** tiervm_vm_exec_path - "RUNDIR/execN.@ext" ("sock", "lock"); freed by
 * the caller. */
char *tiervm_vm_exec_path(const struct tiervm_vm *vm, unsigned port,
			  const char *ext);

/** tiervm_vm_exists - the runtime dir is there (running or stale). */
bool tiervm_vm_exists(const struct tiervm_vm *vm);

/** tiervm_vm_make_dir - create the runtime dir afresh, mode 0700. */
bool tiervm_vm_make_dir(struct tiervm_vm *vm, tiervm_error **errp);

/** tiervm_vm_remove_dir - remove the runtime dir and what tiervm put in it. */
void tiervm_vm_remove_dir(struct tiervm_vm *vm);

/** tiervm_vm_read_pid - the pid in RUNDIR/@file, 0 when none. */
pid_t tiervm_vm_read_pid(const struct tiervm_vm *vm, const char *file);

/** tiervm_vm_save_json - write @o to RUNDIR/@file. */
bool tiervm_vm_save_json(const struct tiervm_vm *vm, const char *file,
			 json_object *o, tiervm_error **errp);

/** tiervm_vm_load_json - RUNDIR/@file parsed; an error names it if not. */
json_object *tiervm_vm_load_json(const struct tiervm_vm *vm, const char *file,
				 tiervm_error **errp);

#endif
