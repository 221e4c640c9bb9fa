/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_ENGINE_H
#define TIERVM_ENGINE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "util_error.h"
#include "image.h"
#include "plan.h"
#include "snapshot.h"
#include "vm.h"

/*
 * The seam between tiervm and what runs a guest.  Above it, operations
 * (ops_*.c) plan, verify and talk to the probe; below it, an engine starts
 * the guest, answers for its monitor and stops it.  Nothing above the seam
 * knows which engine runs a guest: the runtime dir records it.
 *
 * What every engine promises: RUNDIR/probe.sock is a unix socket carrying
 * the guest's second serial line (the probe's channel), RUNDIR/console.log
 * the first (the kernel console), RUNDIR/execN.sock the virtio-serial port
 * org.tiervm.exec.N (the exec agent's, N < TIERVM_EXEC_PORTS), the shares
 * as virtio-9p devices tagged tiervm-root and tiervm-sN, and the guest
 * gets @launch's kernel, initrd and command line.
 */

/* A host directory the guest sees at @guest (over virtio-9p). */
struct tiervm_share {
	const char *host, *guest;
	bool ro;
};

/* What tiervm hands an engine to start: the plan and what goes with it. */
struct tiervm_launch {
	const struct tiervm_plan *plan;
	const struct tiervm_image *img;
	bool host_root; /* the host's / read-only, as the agent's root */
	/* a one-shot guest: it must not outlive the calling process */
	bool die_with_caller;
	const struct tiervm_share *shares;
	unsigned n_shares;
	const char *connect; /* libvirt's connection URI; NULL: its default */
	/* @connect names another host: none of this machine's files there,
	 * the NVDIMMs' backing files the engine's own */
	bool remote;
	/* tiervm's TCG plugin loaded on RUNDIR/counts (counts.h) */
	bool counting;
	/*
	 * Warm starts (snapshot.h): the shares are mounted when the guest is
	 * told to resume, not at boot; tiervm_engine_start() keys @warm and
	 * restores its snapshot when there is a whole one.  NULL: cold.
	 */
	struct tiervm_snapshot *warm;
	/* filled by tiervm_engine_start() */
	bool restored; /* the guest runs on from @warm's snapshot */
	/* the engine keyed no snapshot for this guest: none is taken */
	bool unkeyed;
	char *warm_note; /* why a snapshot there was not used (caller frees) */
	long long start_ms, load_ms; /* a restore: QEMU's start, its load */
	/* for the engine: the state to load */
	const char *incoming;
	const char *append;  /* the whole kernel command line */
	const int *nv_locks; /* [plan->spec->n_nvdimms]: locked backing files */
	/* set by an engine that copies the image to the host: where, and the
	 * bytes it had to send (0: the host had it) */
	const char *uploaded_to;
	uint64_t uploaded;
};

/* A live move of a running guest to another host (tiervm_migrate()). */
struct tiervm_migration {
	const char *uri;	 /* the destination's libvirt URI */
	const char *migrate_uri; /* QEMU's stream address; NULL: libvirt's */
	/* the guest's spec planned for the destination's memory */
	const struct tiervm_plan *plan;
	/* filled by the engine */
	uint64_t uploaded; /* bytes of image and NVDIMM volumes sent ahead */
	long long moved_ms;
	struct strv bindings; /* "guest node N: host nodes S (mode)" */
};

/* An open monitor connection; each engine extends it. */
struct tiervm_monitor {
	const struct tiervm_engine *engine;
	/* the guest is on another host: the engine keeps its NVDIMMs'
	 * backing files there (nvdimm_plug_own) */
	bool own_backing;
};

struct tiervm_engine {
	const char *name;
	/* it loads tiervm's TCG plugin (tiervm_launch.counting) */
	bool counts;
	/*
	 * Start the guest, detached: it outlives the caller unless stopped.
	 * With launch->incoming, from that state (already checked), running
	 * once it is loaded; a state that does not load is TIERVM_E_STATE,
	 * and nothing is left running.
	 */
	bool (*start)(struct tiervm_vm *vm, struct tiervm_launch *launch,
		      tiervm_error **errp);
	/*
	 * A restore gives the guest back the name and identity it was saved
	 * with (libvirt's keep the domain's name and UUID): one-shot guests
	 * take names that recur (up's slots), or no snapshot would serve two.
	 */
	bool restore_keeps_name;
	/* The command line start() would run, for warm starts' key; NULL:
	 * no snapshot of this guest (the engine takes none, or not here). */
	char **(*argv)(struct tiervm_vm *vm, struct tiervm_launch *launch);
	/* Save the guest's state to the file @path: paused while it is
	 * written, then running on. */
	bool (*snapshot)(struct tiervm_vm *vm, const char *path,
			 tiervm_error **errp);
	/* Whether the engine can snapshot @plan's guest: NULL, or why not. */
	const char *(*snapshot_refusal)(const struct tiervm_plan *plan);
	/* Whether it runs now; sets vm->pid. */
	bool (*running)(struct tiervm_vm *vm);
	bool (*wait_exit)(struct tiervm_vm *vm, int timeout_ms);
	/* Stop it at once: polite first, then forced after @grace_ms. */
	void (*kill)(struct tiervm_vm *vm, int grace_ms);

	struct tiervm_monitor *(*monitor_open)(struct tiervm_vm *vm,
					       tiervm_error **errp);
	void (*monitor_close)(struct tiervm_monitor *m);
	/* Memory devices in the shape of QMP's query-memory-devices. */
	json_object *(*memory_devices)(struct tiervm_monitor *m,
				       tiervm_error **errp);
	/* A virtio-mem device's requested size. */
	bool (*vmem_request)(struct tiervm_monitor *m, const char *id,
			     uint64_t size, tiervm_error **errp);
	/*
	 * The next memory device size change, as QMP's
	 * MEMORY_DEVICE_SIZE_CHANGE event ({"data": {"id", "size"},
	 * "timestamp"}); NULL with *errp unset when none came in @timeout_ms.
	 */
	json_object *(*size_event)(struct tiervm_monitor *m, int timeout_ms,
				   tiervm_error **errp);
	/* Hot-plug an NVDIMM whose backing file @lock_fd holds locked. */
	bool (*nvdimm_plug)(struct tiervm_monitor *m,
			    const struct tiervm_nvdimm *nv, bool on_dax,
			    int lock_fd, tiervm_error **errp);
	/* Hot-plug an NVDIMM whose backing file the engine makes or checks
	 * on the guest's host: *@where (caller frees), *@created: this call
	 * made it. */
	bool (*nvdimm_plug_own)(struct tiervm_monitor *m,
				const struct tiervm_vm *vm,
				const struct tiervm_nvdimm *nv, char **where,
				bool *created, tiervm_error **errp);
	/*
	 * Move the guest live to @mig->uri, its memory bound as @mig->plan
	 * says; what cannot move is refused before anything does, as an
	 * input error naming the key.  NULL where the engine cannot.
	 */
	bool (*migrate)(struct tiervm_vm *vm, struct tiervm_migration *mig,
			tiervm_error **errp);
	/*
	 * Move the guest's memory to other nodes of this host, as
	 * @mig->plan binds it (@mig->uri unused): the guest goes on running
	 * as it was.  NULL where the engine cannot.
	 */
	bool (*rebind)(struct tiervm_vm *vm, struct tiervm_migration *mig,
		       tiervm_error **errp);
	/* ACPI power button; then the engine's way to end the guest. */
	bool (*powerdown)(struct tiervm_monitor *m, tiervm_error **errp);
	bool (*quit)(struct tiervm_monitor *m, tiervm_error **errp);
};

extern const struct tiervm_engine tiervm_engine_qemu;
extern const struct tiervm_engine tiervm_engine_libvirt;

/** tiervm_engine_find - the engine called @name ("qemu", "libvirt"). */
const struct tiervm_engine *tiervm_engine_find(const char *name,
					       tiervm_error **errp);

/**
 * tiervm_engine_open - the guest @name with the engine that started it;
 * with @must_run, an input error unless it runs now.
 */
struct tiervm_vm *tiervm_engine_open(const char *name, bool must_run,
				     tiervm_error **errp);

/**
 * tiervm_engine_start - start @launch (plan, image, shares) on @engine as
 * guest @vm: the NVDIMM backing files prepared and locked, the kernel
 * command line made, the engine recorded.  Refuses when a guest of that
 * name runs.
 */
bool tiervm_engine_start(const struct tiervm_engine *engine,
			 struct tiervm_vm *vm, struct tiervm_launch *launch,
			 tiervm_error **errp);

/**
 * tiervm_engine_cmdline - the guest kernel's whole command line for
 * @l: the console, the NVDIMMs (@fresh[i]: file i was just made; NULL:
 * none was), the shares, then the plan's kernel arguments.
 */
char *tiervm_engine_cmdline(const struct tiervm_launch *l, const bool *fresh);

/**
 * tiervm_engine_share_args - " tiervm.root=1 tiervm.shares=..." for @l's
 * shares: on the kernel command line, or told a warm start's guest.
 */
char *tiervm_engine_share_args(const struct tiervm_launch *l);

/** tiervm_engine_not_running - an input error naming @vm if it runs. */
bool tiervm_engine_not_running(struct tiervm_vm *vm, tiervm_error **errp);

/*
 * An opened guest's engine, called through these; a monitor's calls go
 * through m->engine.
 */
bool tiervm_engine_running(struct tiervm_vm *vm);
bool tiervm_engine_wait_exit(struct tiervm_vm *vm, int timeout_ms);
void tiervm_engine_kill(struct tiervm_vm *vm, int grace_ms);
struct tiervm_monitor *tiervm_engine_monitor(struct tiervm_vm *vm,
					     tiervm_error **errp);
/** tiervm_monitor_close - close @m; NULL is fine. */
void tiervm_monitor_close(struct tiervm_monitor *m);

#endif
