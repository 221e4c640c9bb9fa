/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_VM_H
#define TIERVM_VM_H

#include <json-c/json.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "plan.h"

/*
 * A running guest's private runtime directory, mode 0700, named after the
 * spec: qemu.pid, qmp.sock, probe.sock, console.log, plan.json, report.json,
 * spec.json (the spec text as started and the file it came from).
 */
struct tiervm_vm {
	char *name;
	char *dir;
	pid_t pid; /* 0 when not running */
};

/** tiervm_runtime_base - $XDG_RUNTIME_DIR/tiervm, else /tmp/tiervm-UID. */
char *tiervm_runtime_base(void);

/** tiervm_vm_open - the runtime dir of @name, whether or not it runs. */
struct tiervm_vm *tiervm_vm_open(const char *name, tiervm_error **errp);
void tiervm_vm_free(struct tiervm_vm *vm);
/* "RUNDIR/@file", caller frees */
char *tiervm_vm_path(const struct tiervm_vm *vm, const char *file);
/** tiervm_vm_running - the pid file names a live QEMU process. */
bool tiervm_vm_running(struct tiervm_vm *vm);
/** tiervm_vm_open_running - tiervm_vm_open(), an error unless it runs. */
struct tiervm_vm *tiervm_vm_open_running(const char *name, tiervm_error **errp);

struct tiervm_qmp;
/** tiervm_vm_qmp - a QMP connection to the running guest. */
struct tiervm_qmp *tiervm_vm_qmp(struct tiervm_vm *vm, tiervm_error **errp);

/* A guest image: kernel, initrd and the kernel release they carry. */
struct tiervm_image {
	char *kernel, *initrd, *release;
	bool built; /* false when reused from the cache */
};

/**
 * tiervm_image_get - the cached image for @kernel_choice ("auto",
 * "debian-stable", "debian-backports" or a bzImage path), built on first use.
 */
bool tiervm_image_get(const char *kernel_choice, struct tiervm_image *img,
		      tiervm_error **errp);
void tiervm_image_clear(struct tiervm_image *img);

/**
 * tiervm_vm_start - create the runtime dir and start QEMU daemonized with
 * @plan's arguments plus the kernel, the probe channel, QMP and the console.
 * Refuses when a guest of the same name runs.
 */
bool tiervm_vm_start(struct tiervm_vm *vm, const struct tiervm_plan *plan,
		     const struct tiervm_image *img, tiervm_error **errp);

/**
 * tiervm_vm_wait_vmem - wait until QEMU reports every virtio-mem device at
 * its requested size: the guest driver has plugged the boot-time request,
 * so the guest's node memory can be compared with the spec.
 */
bool tiervm_vm_wait_vmem(struct tiervm_vm *vm, int timeout_ms,
			 tiervm_error **errp);

/** tiervm_vm_kill - SIGTERM, then SIGKILL after @grace_ms; reaps nothing. */
void tiervm_vm_kill(struct tiervm_vm *vm, int grace_ms);
/** tiervm_vm_wait_exit - wait up to @timeout_ms for QEMU to exit. */
bool tiervm_vm_wait_exit(struct tiervm_vm *vm, int timeout_ms);
/** tiervm_vm_remove_dir - remove the runtime dir and what tiervm put in it. */
void tiervm_vm_remove_dir(struct tiervm_vm *vm);

/**
 * tiervm_probe_request - connect to the probe channel, send @request, and
 * for "report" return the parsed reply.  Resends while the guest is still
 * booting (its serial driver clears the FIFO when it opens the port).
 * @progress is called with each console stage reached, may be NULL.
 */
json_object *tiervm_probe_report(struct tiervm_vm *vm, int timeout_ms,
				 void (*progress)(const char *stage, void *),
				 void *opaque, tiervm_error **errp);
/** tiervm_probe_call - any request with a JSON reply (see guest/probe.c). */
json_object *tiervm_probe_call(struct tiervm_vm *vm, const char *request,
			       int timeout_ms,
			       void (*progress)(const char *stage, void *),
			       void *opaque, tiervm_error **errp);
bool tiervm_probe_send(struct tiervm_vm *vm, const char *request,
		       tiervm_error **errp);

/*
 * Set by the CLI's SIGINT/SIGTERM handler: waits on a guest give up with
 * an error, so the caller can stop the QEMU it started.
 */
extern volatile int tiervm_interrupted;

long long tiervm_now_ms(void);
long long tiervm_now_us(void);

#endif
