/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_OPS_H
#define TIERVM_OPS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "exec.h"
#include "plan.h"
#include "util_error.h"
#include "probe.h"
#include "spec.h"
#include "verify.h"

/*
 * What tiervm does to guests, each one call a program can make: the order
 * of steps, their timeouts (timeouts.h) and the rollback on failure live
 * here, not in the CLI.  Progress goes through a callback, never to a
 * stream; a long wait gives up when tiervm_interrupted is set.
 */

struct tiervm_plan_opts {
	const char *spec;      /* the spec file */
	const char *host_root; /* NULL: "/", this host */
	/* plan against the host libvirt's URI runs guests on (its
	 * capabilities) instead of /sys: a host tiervm cannot read */
	const char *host_connect;
	const char *kernel;	 /* NULL: the spec's guest.kernel */
	const char *modules;	 /* NULL: the spec's guest.modules */
	enum tiervm_accel accel; /* AUTO: the spec's machine.accel */
	/* plan what validation would refuse, to show QEMU refuses it too */
	bool unchecked;
	bool strict; /* the plan's warnings are errors */
};

/**
 * tiervm_plan_file - parse @o->spec and plan it for the installed QEMU and
 * the host under @o->host_root.  The plan owns its spec and QEMU caps.
 */
struct tiervm_plan *tiervm_plan_file(const struct tiervm_plan_opts *o,
				     tiervm_error **errp);

/**
 * tiervm_plan_domain - @plan as a libvirt domain (plan_libvirt.h) that
 * boots the image `up` would boot (made now if not cached), its runtime
 * files where `up --engine libvirt` puts them; NVDIMM files are given as
 * they are, never namespaced.
 */
char *tiervm_plan_domain(struct tiervm_plan *plan, tiervm_error **errp);

struct tiervm_spec_from_opts {
	const char *from;    /* a tree, tarball or hwloc XML; NULL: this host */
	uint64_t memory;     /* the guest's total; 0: what fits this host */
	unsigned cpus;	     /* 0: tiervm's default */
	const char *kernel;  /* guest.kernel to write; NULL: none */
	const char *name;    /* NULL: from the source */
	const char *picture; /* NULL, or a new SVG of the source */
};

/**
 * tiervm_spec_from - the text of a spec reproducing @o->from's memory
 * topology (spec_generate.h says what is kept and what scaled), checked
 * by tiervm's parser; with @o->picture, hwloc's drawing of the source.
 */
char *tiervm_spec_from(const struct tiervm_spec_from_opts *o,
		       tiervm_error **errp);

/* A counting window around a command (counts.h): what to write. */
/**
 * tiervm_kconfig_file - the guest kernel config fragment the spec at @path
 * needs (tiervm_kconfig_fragment()).  Caller frees.
 */
char *tiervm_kconfig_file(const char *path, tiervm_error **errp);

struct tiervm_window_opts {
	const char *file; /* NULL: no window; else the counts as JSON */
	const char *plot; /* NULL, or an SVG of the time series */
};

struct tiervm_up_opts {
	const char *spec; /* the spec file */
	/* NULL: the spec's name, with the pid added for --check or a command */
	const char *name;
	const char *kernel;	 /* NULL: the spec's guest.kernel */
	const char *modules;	 /* NULL: the spec's guest.modules */
	enum tiervm_accel accel; /* AUTO: the spec's machine.accel */
	int timeout_ms;		 /* 0: TIERVM_TIMEOUT_BOOT_MS */
	bool check;		 /* power off once verified */
	const char *capture;	 /* NULL, or a new file for the capture */
	const char *picture;	 /* NULL, or a new SVG of the guest */
	const struct tiervm_share *shares; /* more directories to share */
	unsigned n_shares;
	/* run once verified, then power off; its status in the result */
	const struct tiervm_exec_req *command;
	bool no_verify; /* run it even when the guest does not match */
	bool cold; /* boot, never restore or take a snapshot (snapshot.h) */
	const char *engine; /* "qemu" (NULL) or "libvirt" */
	const char
		*connect; /* libvirt's connection URI; NULL: qemu:///system */
	bool strict;	  /* the plan's warnings are errors */
	/* boot what validation would refuse (with check only), to see the
	 * guest kernel refuse it too */
	bool unchecked;
	/* load the counting plugin (disarmed); access_counts implies it */
	bool counting;
	struct tiervm_window_opts window; /* around the command */
	/* a new file the console log is copied to when the guest is gone */
	const char *keep_console;
	tiervm_progress_fn *progress; /* boot stages and notes; may be NULL */
	void *opaque;
};

struct tiervm_up_result {
	char *name;
	char *dir;   /* the runtime dir */
	char *accel; /* "kvm" or "tcg" */
	long pid;    /* QEMU's, while it runs */
	bool running;
	json_object *report; /* the probe's */
	struct tiervm_verdict verdict;
	int command_status; /* as a shell gives it; -1 when not run */
	/* why the command was not found, when tiervm can tell: a host file
	 * the guest does not see, and the --share that would show it */
	char *hint;
	json_object *counts; /* the command's window, with window.file */
};

/**
 * tiervm_up - plan @o->spec for this host and QEMU, build or reuse the
 * image, start the guest, wait for its probe's report and compare it with
 * the plan; with @o->check, power it off.  True once the guest was
 * compared (@res->verdict says whether it matched).  A failure before
 * that stops any QEMU this call started; a failed capture keeps the
 * verdict and sets *errp.
 */
bool tiervm_up(const struct tiervm_up_opts *o, struct tiervm_up_result *res,
	       tiervm_error **errp);
void tiervm_up_result_clear(struct tiervm_up_result *res);

/**
 * tiervm_exec - run @req in the running guest @name (see tiervm_exec_run):
 * its exit status, or -1 with *errp set.  A second interrupt kills the
 * command and powers the guest off.
 */
int tiervm_exec(const char *name, const struct tiervm_exec_req *req,
		tiervm_error **errp);

/**
 * tiervm_exec_counted - tiervm_exec() in a counting window (@w->file set)
 * on a guest started with counting: the window's counts in *@counts (also
 * written to @w->file) once the command ended, whatever its status.
 */
int tiervm_exec_counted(const char *name, const struct tiervm_exec_req *req,
			const struct tiervm_window_opts *w,
			json_object **counts, tiervm_error **errp);

/**
 * tiervm_console - the guest's console so far, then as it comes, to
 * @out_fd, until the guest stops or tiervm_interrupted is set.
 */
bool tiervm_console(const char *name, int out_fd, tiervm_error **errp);

/**
 * tiervm_down - power the guest @name off: its probe first, then ACPI,
 * then QEMU's quit, then a signal; its runtime dir removed.  *@was_running
 * is false when only a stale runtime dir was there.  @note is told each
 * escalation.
 */
bool tiervm_down(const char *name, bool *was_running, tiervm_progress_fn *note,
		 void *opaque, tiervm_error **errp);

struct tiervm_status {
	char *name;
	long pid;
	json_object *memory_devices; /* as QMP's query-memory-devices */
	json_object *nodes;	     /* the probe's guest nodes, now */
	json_object *tiering; /* knobs set at boot: {"demotion": ok, ...} */
	long long demoted, promoted; /* pages, all nodes; -1 unknown */
	/* access counting, for a guest started with it: {"armed", "t_us",
	 * "nodes": [{"node", "accesses", "rate"}]}; NULL otherwise */
	json_object *counting;
};

/**
 * tiervm_status - a running guest's memory devices and node memory; with
 * @last (the previous call's st->counting, or NULL), per-node access
 * rates since then.
 */
bool tiervm_status(const char *name, json_object *last,
		   struct tiervm_status *st, tiervm_error **errp);
void tiervm_status_clear(struct tiervm_status *st);

/**
 * tiervm_list - the running guests, after tiervm_sweep_stale(): an array of {"name", "pid",
 * "uptime_s", "nodes"} (nodes from the last report, may be absent).
 */
json_object *tiervm_list(void);

/**
 * tiervm_sweep_stale - remove the runtime dirs whose guest is gone (its
 * QEMU died or was killed) and that no tiervm is starting.
 */
void tiervm_sweep_stale(void);

/** tiervm_probe_ask - one request to a running guest's probe. */
json_object *tiervm_probe_ask(const char *name, const char *request,
			      tiervm_error **errp);

struct tiervm_resize_opts {
	const char *name, *device;
	uint64_t size;
	bool no_wait;	/* return once QEMU has the request */
	int timeout_ms; /* 0: TIERVM_TIMEOUT_HOTPLUG_MS */
	/* wait for QEMU's event stamp of the final size (for timing) */
	bool event_stamp;
	/* told each poll while waiting (qemu_size and node_memory change) */
	void (*progress)(const struct tiervm_resize_opts *o,
			 long long qemu_size, long long node,
			 long long node_memory, void *opaque);
	void *opaque;
};

struct tiervm_resize_result {
	long long from, to;	     /* bytes */
	long long node, node_mem;    /* the device's guest node, its memory */
	long long qemu_ms, guest_ms; /* from the request; -1 when not seen */
	/* wall clock (µs) of the request, of QEMU's own event stamp, and of
	 * when tiervm saw it: their difference is tiervm's added delay */
	long long set_us, qemu_event_us, seen_us;
};

/**
 * tiervm_resize - set a virtio-mem device's requested size, checked
 * against the device as planned before QEMU is asked, and (unless
 * @o->no_wait) follow it until QEMU's size and the guest node show it.
 */
bool tiervm_resize(const struct tiervm_resize_opts *o,
		   struct tiervm_resize_result *res, tiervm_error **errp);

struct tiervm_migrate_opts {
	const char *name;
	const char *uri;	 /* the destination's libvirt URI */
	const char *migrate_uri; /* QEMU's stream address; NULL: libvirt's */
	/* instead of @uri: this host's nodes, as @spec_file (NULL: the
	 * guest's own spec) binds them now, on tiervm's own engine */
	bool rebind;
	const char *spec_file;
	int timeout_ms; /* 0: TIERVM_TIMEOUT_HOTPLUG_MS, for each report */
	tiervm_progress_fn *progress;
	void *opaque;
};

struct tiervm_migrate_result {
	bool moved;	      /* the guest runs at the destination */
	long long moved_ms;   /* virDomainMigrate3's time */
	uint64_t uploaded;    /* bytes of volumes sent ahead */
	struct strv bindings; /* "guest node N: host nodes S (mode)" there */
	/* what the guest saw change: empty when verified */
	struct strv changes;
};

/**
 * tiervm_migrate - move running libvirt guest @o->name live to @o->uri:
 * its spec planned for that host's memory (bindings by kind and node
 * resolved there), what cannot move refused before anything does (CXL
 * devices, a mounted 9p share, an NVDIMM volume there that is not this
 * guest's, a binding that host cannot meet), then the guest's view
 * compared before and after.  False with *errp if it did not move or
 * cannot be asked; @res->changes lists what changed.  With @o->rebind,
 * the guest's memory moves to other nodes of this host instead, through
 * a second QEMU on the same host; a new spec may change host bindings
 * only, nothing the guest sees.
 */
bool tiervm_migrate(const struct tiervm_migrate_opts *o,
		    struct tiervm_migrate_result *res, tiervm_error **errp);
void tiervm_migrate_result_clear(struct tiervm_migrate_result *res);

struct tiervm_attach_opts {
	const char *name;
	char *const *kv; /* "key=value": the spec's nvdimms keys */
	unsigned n_kv;
	int timeout_ms; /* 0: TIERVM_TIMEOUT_HOTPLUG_MS */
};

struct tiervm_attach_result {
	char *id, *path;
	uint64_t size;
	unsigned node;
	bool created; /* the backing file is new */
	bool plugged; /* QEMU has it, whatever the guest made of it */
	bool kmem;
	json_object *guest; /* the probe's account of provisioning */
	bool guest_ok;
	long long node_mem, tier, dram_tier; /* kmem: the node now */
};

/**
 * tiervm_attach - hot-plug an NVDIMM described in the spec's own keys,
 * checked against the spec the guest started with and the room left,
 * before its backing file is created; rolled back on failure.  True when
 * it is plugged (@res->guest_ok says whether the guest provisioned it).
 */
bool tiervm_attach(const struct tiervm_attach_opts *o,
		   struct tiervm_attach_result *res, tiervm_error **errp);
void tiervm_attach_result_clear(struct tiervm_attach_result *res);

#endif
