// SPDX-License-Identifier: LGPL-2.1-or-later
/* tiervm_up: from a spec to a verified guest. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "counts.h"
#include "engine.h"
#include "exec.h"
#include "exec_frame.h"
#include "image.h"
#include "host_source.h"
#include "ops.h"
#include "plan.h"
#include "timeouts.h"
#include "util.h"
#include "util_libvirt.h"
#include "engine_libvirt_volume.h"
#include "util_json.h"
#include "ops_internal.h"

/*
 * The spec as started, with where it came from (relative paths in it start
 * there): `tiervm attach` checks a new device against it, not against a
 * file the user may have edited since.
 */
bool tiervm_ops_save_spec(struct tiervm_vm *vm, const struct tiervm_spec *spec,
			  tiervm_error **errp)
{
	json_object *o = json_object_new_object();
	char *origin = realpath(spec->file, NULL);
	bool ok;

	json_object_object_add(
		o, "origin",
		json_object_new_string(origin ? origin : spec->file));
	json_object_object_add(o, "text", json_object_new_string(spec->text));
	ok = tiervm_vm_save_json(vm, "spec.json", o, errp);
	json_object_put(o);
	free(origin);
	return ok;
}

static bool save_plan(struct tiervm_vm *vm, const struct tiervm_plan *plan,
		      tiervm_error **errp)
{
	json_object *pj = tiervm_plan_to_json(plan);
	bool ok = tiervm_vm_save_json(vm, "plan.json", pj, errp);

	json_object_put(pj);
	return ok;
}

/* The guest's /sys and /proc as a tarball, for `tiervm host --root`. */
static bool save_capture(const struct tiervm_up_opts *o, struct tiervm_vm *vm,
			 tiervm_error **errp)
{
	json_object *r = tiervm_probe_call(
		vm, "capture", TIERVM_TIMEOUT_CAPTURE_MS, NULL, NULL, errp);
	unsigned char *bytes = NULL;
	size_t len = 0;
	bool ok = false;
	FILE *f;

	if (!r)
		return false;
	if (!(bytes = base64_decode(jstr(r, "tarball", ""), &len)) ||
	    len < 20) {
		tiervm_error_setg(errp, "the guest sent no capture tarball");
		goto out;
	}
	f = fopen(o->capture, "wxe");
	if (!f || fwrite(bytes, 1, len, f) != len || fclose(f) != 0) {
		tiervm_error_set_errno(errp, errno, "cannot write %s",
				       o->capture);
		goto out;
	}
	tiervm_progressf(
		o->progress, o->opaque,
		"captured the guest's /sys and /proc in %s (%zu bytes)",
		o->capture, len);
	ok = true;
out:
	free(bytes);
	json_object_put(r);
	return ok;
}

/*
 * 1 when every virtio-mem device's size equals its requested size, per
 * the engine; 0 while not; -1 on a monitor failure (*errp set).
 */
static int vmem_settled(struct tiervm_monitor *m, tiervm_error **errp)
{
	json_object *devs = m->engine->memory_devices(m, errp);
	int settled = devs ? 1 : -1;

	for (size_t i = 0; devs && i < jlen(devs); i++) {
		json_object *d = jidx(devs, i), *data = jget(d, "data");

		if (!strcmp(jstr(d, "type", ""), "virtio-mem") &&
		    jint(data, "size", -1) != jint(data, "requested-size", -1))
			settled = 0;
	}
	json_object_put(devs);
	return settled;
}

/*
 * The guest plugs virtio-mem's boot request in the background; its nodes
 * are compared with the spec once the request is met.
 */
static bool wait_vmem(struct tiervm_vm *vm, int timeout_ms,
		      const struct tiervm_up_opts *o, tiervm_error **errp)
{
	long long end = tiervm_now_ms() + timeout_ms;
	struct tiervm_monitor *m = tiervm_engine_monitor(vm, errp);
	int settled = m ? 0 : -1;

	while (settled == 0) {
		settled = vmem_settled(m, errp);
		if (settled)
			break;
		if (tiervm_interrupted) {
			tiervm_error_setg(errp, "interrupted");
			break;
		}
		if (tiervm_now_ms() >= end) {
			tiervm_error_setg(
				errp,
				"virtio-mem did not reach its requested size within %d s (no virtio_mem driver in the guest?)",
				timeout_ms / 1000);
			break;
		}
		/* the boot's stages as they come, not all once it settles */
		if (!tiervm_probe_watch(vm, o->progress, o->opaque, errp)) {
			settled = -1;
			break;
		}
		usleep(50 * 1000);
	}
	tiervm_monitor_close(m);
	return settled == 1;
}

/*
 * The plugin learns where QEMU put the memory devices: it counts them
 * from here on (before the guest's user space runs, so delays apply).
 */
static bool place_counted(struct tiervm_vm *vm, tiervm_error **errp)
{
	struct tiervm_monitor *m;
	json_object *devs;
	bool ok;

	if (!vm->engine->counts)
		return true;
	if (!(m = tiervm_engine_monitor(vm, errp)))
		return false;
	devs = m->engine->memory_devices(m, errp);
	ok = devs && tiervm_counts_place(vm, devs, errp);
	json_object_put(devs);
	tiervm_monitor_close(m);
	return ok;
}

/* From QEMU's start to the verdict; the guest runs on return. */
static bool boot_and_verify(const struct tiervm_up_opts *o,
			    struct tiervm_vm *vm,
			    const struct tiervm_plan *plan, bool last,
			    json_object *restored, struct tiervm_up_result *res,
			    tiervm_error **errp)
{
	long long wait_ms = o->timeout_ms ? o->timeout_ms
					  : TIERVM_TIMEOUT_BOOT_MS,
		  from = tiervm_now_ms();
	tiervm_error *err = NULL;

	if (!save_plan(vm, plan, errp) ||
	    !tiervm_ops_save_spec(vm, plan->spec, errp) ||
	    !place_counted(vm, errp))
		return false;
	/* a restored guest is the one its snapshot's report describes */
	if (restored) {
		res->report = json_object_get(restored);
		goto verify;
	}
	if (jget(plan->expected, "virtio_mem") &&
	    !wait_vmem(vm,
		       wait_ms < TIERVM_TIMEOUT_VMEM_SETTLE_MS
			       ? (int)wait_ms
			       : TIERVM_TIMEOUT_VMEM_SETTLE_MS,
		       o, &err)) {
		/*
		 * The comparison shows what the guest got; a QEMU that died
		 * is reported by the wait for the report, with its stage.
		 * A guest without the driver is not worth comparing.
		 */
		if (vm->missing_drivers) {
			tiervm_error_propagate(errp, err);
			return false;
		}
		if (tiervm_engine_running(vm) && !tiervm_interrupted)
			tiervm_progressf(o->progress, o->opaque, "note: %s",
					 err->msg);
		tiervm_error_free(err);
	}
	wait_ms -= tiervm_now_ms() - from;
	res->report = tiervm_probe_call(vm, last ? "report+poweroff" : "report",
					wait_ms > 1000 ? (int)wait_ms : 1000,
					o->progress, o->opaque, errp);
	if (!res->report)
		return false;
verify:
	tiervm_vm_save_json(vm, "report.json", res->report, NULL);
	tiervm_verify(plan, res->report, &res->verdict);
	{
		struct strv notes = { 0 };

		tiervm_counts_check_guest(vm, res->report, &notes);
		for (size_t i = 0; i < notes.n; i++)
			tiervm_progressf(o->progress, o->opaque, "note: %s",
					 notes.v[i]);
		strv_free(&notes);
	}
	return true;
}

/*
 * The host's root (read-only) and working directory (read-write) when the
 * spec shares the host, then --share's directories; each checked here, so
 * a wrong one is refused before QEMU starts.
 */
static bool collect_shares(const struct tiervm_up_opts *o,
			   const struct tiervm_spec *spec,
			   struct tiervm_launch *l, struct tiervm_share *out,
			   char **cwd, tiervm_error **errp)
{
	size_t cmdline = 0;

	l->shares = out;
	/*
	 * A guest only checked and powered off runs nothing that could read
	 * a share: no 9p devices, and no 9p drivers to load (0.3 s of a TCG
	 * boot).  --share still asks for them.
	 */
	l->host_root = spec->guest.share_host &&
		       !(o->check && !o->command && !o->n_shares);
	/* another host has its own root, and not our working directory */
	*cwd = l->host_root && !l->remote ? getcwd(NULL, 0) : NULL;
	/* the root itself is never shared writable */
	if (*cwd && strcmp(*cwd, "/"))
		out[l->n_shares++] =
			(struct tiervm_share){ .host = *cwd, .guest = *cwd };
	for (unsigned i = 0; i < o->n_shares; i++) {
		const struct tiervm_share *s = &o->shares[i];
		struct stat st;

		if (!l->remote &&
		    (stat(s->host, &st) < 0 || !S_ISDIR(st.st_mode))) {
			tiervm_error_set(errp, TIERVM_E_INPUT,
					 "--share: %s is not a directory",
					 s->host);
			return false;
		}
		if (s->guest[0] != '/') {
			tiervm_error_set(
				errp, TIERVM_E_INPUT,
				"--share: the guest path '%s' is not absolute",
				s->guest);
			return false;
		}
		out[l->n_shares++] = *s;
	}
	for (unsigned i = 0; i < l->n_shares; i++)
		cmdline += 2 * strlen(out[i].guest) + 4;
	/* x86 Linux takes 2048 bytes of command line, tiervm's own included */
	if (cmdline > 1024) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"--share: the shared paths are too long together for the guest's command line (%zu of 1024 bytes)",
			cmdline);
		return false;
	}
	return true;
}

/* The guest's name: --name, else the spec's; one-shot runs add our pid. */
static char *guest_name(const struct tiervm_up_opts *o,
			const struct tiervm_spec *spec)
{
	if (o->name)
		return xstrdup(o->name);
	if (o->check || o->command)
		return xasprintf("%s-%ld", spec->name, (long)getpid());
	return xstrdup(spec->name);
}

/* One-shot guests' slots on an engine whose restores keep the name. */
#define NAME_SLOTS 64

/*
 * The guest, its name locked and free.  A one-shot guest on an engine
 * whose restores keep the saved guest's name (@slots) is SPEC-1, SPEC-2,
 * ..., the first free: sequential runs take the same name, so its
 * snapshot serves them all, and runs in parallel take names, and
 * snapshots, of their own.
 */
static struct tiervm_vm *open_guest(const struct tiervm_up_opts *o,
				    const struct tiervm_spec *spec, bool slots,
				    tiervm_error **errp)
{
	struct tiervm_vm *vm;
	char *name;

	if (!slots || o->name || !(o->check || o->command)) {
		name = guest_name(o, spec);
		vm = tiervm_engine_open(name, false, errp);
		free(name);
		if (vm && tiervm_vm_lock_name(vm, errp) &&
		    tiervm_engine_not_running(vm, errp))
			return vm;
		tiervm_vm_free(vm);
		return NULL;
	}
	for (unsigned n = 1; n <= NAME_SLOTS; n++) {
		name = xasprintf("%s-%u", spec->name, n);
		vm = tiervm_engine_open(name, false, errp);
		free(name);
		if (!vm)
			return NULL;
		if (tiervm_vm_lock_name(vm, NULL) && !tiervm_engine_running(vm))
			return vm;
		tiervm_vm_free(vm);
	}
	tiervm_error_set(
		errp, TIERVM_E_INPUT,
		"%u guests named %s-1 to %s-%u run already; `tiervm list`",
		NAME_SLOTS, spec->name, spec->name, NAME_SLOTS);
	return NULL;
}

/* @path is @dir or below it. */
static bool path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strcmp(dir, "/") ||
	       (!strncmp(path, dir, n) && (path[n] == '/' || !path[n]));
}

/*
 * A command the guest did not find (127) that is a file here, where the
 * guest cannot see it: under its own /tmp, or with no host root at all.
 * Only a path is looked at; a name was searched in the guest's PATH.
 */
static char *unshared_hint(const struct tiervm_launch *l, const char *cmd)
{
	static const char *const own[] = TIERVM_GUEST_OWN_DIRS;
	char *path, *dir, *hint = NULL;
	const char *why = NULL;

	if (l->remote || !strchr(cmd, '/') || !(path = realpath(cmd, NULL)))
		return NULL;
	for (unsigned i = 0; i < l->n_shares; i++)
		if (path_under(path, l->shares[i].host))
			goto out;
	for (size_t i = 0; l->host_root && i < ARRAY_SIZE(own); i++)
		if (path_under(path, own[i]))
			why = own[i];
	if (l->host_root && !why)
		goto out;
	dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	hint = why ? xasprintf(
			     "%s is a file on this host, but the guest's %s is its own: share the directory with --share %s",
			     path, why, *dir ? dir : "/")
		   : xasprintf(
			     "%s is a file on this host, but the guest does not share this host's files (guest.share-host: false): share the directory with --share %s",
			     path, *dir ? dir : "/");
	free(dir);
out:
	free(path);
	return hint;
}

/* A one-shot guest's end: asked to power off, then made to. */
static void power_off(const struct tiervm_up_opts *o, struct tiervm_vm *vm,
		      bool asked)
{
	if (!asked)
		tiervm_probe_send(vm, "poweroff", TIERVM_TIMEOUT_PROBE_ACK_MS,
				  NULL);
	if (!tiervm_engine_wait_exit(vm, TIERVM_TIMEOUT_POWEROFF_MS))
		tiervm_engine_kill(vm, TIERVM_TIMEOUT_KILL_GRACE_MS);
	tiervm_vm_remove_dir(vm);
	tiervm_progressf(o->progress, o->opaque, "powered off");
}

/* After the verdict: the capture, then the command the user gave. */
static bool after_verify(const struct tiervm_up_opts *o, struct tiervm_vm *vm,
			 struct tiervm_up_result *res, tiervm_error **errp)
{
	if (o->capture && !save_capture(o, vm, errp))
		return false;
	if (o->picture) {
		if (!tiervm_picture_xml(jstr(res->report, "lstopo_xml", ""),
					o->picture, errp))
			return false;
		tiervm_progressf(o->progress, o->opaque,
				 "drew the guest as hwloc sees it in %s",
				 o->picture);
	}
	if (!o->command)
		return true;
	if (res->verdict.failed && !o->no_verify) {
		tiervm_progressf(
			o->progress, o->opaque,
			"the guest does not match the spec: %s not run (--no-verify runs it anyway)",
			o->command->argv[0]);
		return true;
	}
	tiervm_progressf(o->progress, o->opaque, "running %s%s",
			 o->command->argv[0],
			 o->window.file ? ", counting its accesses" : "");
	if (o->window.file)
		res->command_status =
			tiervm_window_exec(vm, o->command, o->window.file,
					   o->window.plot, &res->counts, errp);
	else
		res->command_status = tiervm_exec_run(vm, o->command, errp);
	return res->command_status >= 0;
}

/*
 * Counting (and latency emulation, which the same plugin does) needs the
 * QEMU engine, TCG and a QEMU whose plugins see true addresses; refused
 * before anything starts.
 */
static bool want_counting(const struct tiervm_up_opts *o,
			  const struct tiervm_plan *plan,
			  const struct tiervm_engine *engine,
			  struct tiervm_launch *l, tiervm_error **errp)
{
	const char *what = o->window.file ? "--access-counts"
			   : o->counting  ? "--counting"
					  : "machine.emulate-latency";

	if (o->window.file && !o->command) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"--access-counts counts a command's accesses: give one after --, or use --counting and tiervm exec NAME --access-counts FILE -- CMD");
		return false;
	}
	if (o->window.plot && !o->window.file) {
		tiervm_error_set(errp, TIERVM_E_INPUT,
				 "--access-plot goes with --access-counts");
		return false;
	}
	l->counting =
		o->counting || o->window.file || tiervm_counts_wanted(plan);
	if (!l->counting)
		return true;
	if (!engine->counts) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"%s: the %s engine cannot load tiervm's TCG plugin; use --engine qemu",
			what, engine->name);
		return false;
	}
	if (!tiervm_counts_check(plan, what, errp) ||
	    !tiervm_counts_outputs_free(o->window.file, o->window.plot, errp))
		return false;
	/* which kind of slowness the guest gets is part of what it runs on */
	if (tiervm_counts_wanted(plan))
		tiervm_progressf(
			o->progress, o->opaque,
			"slow tiers: user-space accesses busy-wait %u x their HMAT latency in tiervm's TCG plugin (not QEMU's virtual time: docs/counting.md)",
			tiervm_latency_scale(plan->spec));
	return true;
}

/*
 * A warm start's guest, verified: after a cold boot that matched, its
 * snapshot taken (a failure to take one is a note, not the run's); then,
 * restored or not, told to resume.  A restored guest that is not the
 * snapshot's takes its snapshot with it.
 */
static bool warm_resume(const struct tiervm_up_opts *o, struct tiervm_vm *vm,
			struct tiervm_launch *l, struct tiervm_up_result *res,
			tiervm_error **errp)
{
	long long t0 = tiervm_now_ms();
	tiervm_error *err = NULL;

	if (!l->restored && !l->unkeyed && !res->verdict.failed &&
	    !tiervm_warm_take(o, vm, l, res->report, &err)) {
		tiervm_progressf(o->progress, o->opaque,
				 "note: no snapshot taken: %s", err->msg);
		tiervm_error_free(err);
		err = NULL;
	}
	if (!tiervm_warm_resume(o, vm, l, res->report, &err)) {
		if (l->restored && err->code == TIERVM_E_STATE)
			tiervm_snapshot_discard(l->warm);
		tiervm_error_propagate(errp, err);
		return false;
	}
	if (l->restored)
		tiervm_progressf(
			o->progress, o->opaque,
			"re-verified in %lld ms: the restored guest's nodes and memory are its snapshot's, whose boot matched; clock, random pool and shares fresh",
			tiervm_now_ms() - t0);
	return true;
}

/* "qemu+ssh://host/system" names a host; "qemu:///system" this one. */
bool tiervm_up(const struct tiervm_up_opts *o, struct tiervm_up_result *res,
	       tiervm_error **errp)
{
	struct tiervm_plan_opts po = { .spec = o->spec,
				       .kernel = o->kernel,
				       .modules = o->modules,
				       .accel = o->accel,
				       .strict = o->strict,
				       .unchecked = o->unchecked };
	struct tiervm_share *shares = xcalloc(o->n_shares + 1, sizeof(*shares));
	struct tiervm_launch launch = { 0 };
	const struct tiervm_qemu_caps *caps;
	const struct tiervm_engine *engine;
	struct tiervm_image img = { 0 };
	struct tiervm_plan *plan = NULL;
	struct tiervm_vm *vm = NULL;
	char *cwd = NULL, where[1200];
	struct tiervm_snapshot snap = { 0 };
	long long started;
	/* --check wants nothing after the report, unless more follows */
	bool last = o->check && !o->capture && !o->picture && !o->command,
	     ok = false;

	memset(res, 0, sizeof(*res));
	res->command_status = -1;
	/* a guest validation did not vouch for is never left running */
	if (o->unchecked && !o->check) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"--unchecked boots only with --check (the guest powers off once verified)");
		goto out;
	}
	if (o->picture && !tiervm_picture_new(o->picture, errp))
		goto out;
	if (o->capture && access(o->capture, F_OK) == 0) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"--capture: %s exists; tiervm does not overwrite it",
			o->capture);
		goto out;
	}
	/* a guest on another host is planned for that host's memory */
	if (o->connect && tiervm_libvirt_remote(o->connect))
		po.host_connect = o->connect;
	plan = tiervm_plan_file(&po, errp);
	launch.remote = po.host_connect != NULL;
	if (!plan ||
	    !collect_shares(o, plan->spec, &launch, shares, &cwd, errp))
		goto out;
	if (launch.remote && (launch.host_root || launch.n_shares))
		tiervm_progressf(
			o->progress, o->opaque,
			"shares: on %s the guest's / is that host's / (read-only), with no working-directory share; --share names that host's directories",
			o->connect);
	caps = plan->caps;
	for (size_t i = 0; i < plan->warnings.n; i++)
		tiervm_progressf(o->progress, o->opaque, "warning: %s",
				 plan->warnings.v[i]);
	if (!(engine =
		      tiervm_engine_find(o->engine ? o->engine : "qemu", errp)))
		goto out;
	if (o->connect && engine != &tiervm_engine_libvirt) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"--connect names a libvirt URI: it needs --engine libvirt");
		goto out;
	}
	/* libvirt probes and starts QEMU in an environment of its own */
	if (engine == &tiervm_engine_libvirt && !launch.remote &&
	    getenv("TIERVM_QEMU") && getenv("QEMU_MODULE_DIR")) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"TIERVM_QEMU=%s finds its modules through QEMU_MODULE_DIR, which libvirt does not pass on to the QEMU it starts: run it with --engine qemu, or unset TIERVM_QEMU for libvirt's own QEMU",
			getenv("TIERVM_QEMU"));
		goto out;
	}
	if (!want_counting(o, plan, engine, &launch, errp))
		goto out;
	{
		bool quiet;
		const char *why =
			tiervm_warm_refusal(o, plan, engine, &launch, &quiet);

		if (!why)
			launch.warm = &snap;
		else if (!quiet)
			tiervm_progressf(o->progress, o->opaque,
					 "no snapshot: %s", why);
	}
	tiervm_sweep_stale();
	/* refused now, not after the image is built */
	vm = open_guest(o, plan->spec,
			launch.warm && engine->restore_keeps_name, errp);
	if (!vm)
		goto out;
	vm->keep_console = o->keep_console;
	tiervm_progressf(o->progress, o->opaque, "image (kernel %s)",
			 plan->spec->guest.kernel);
	if (!tiervm_image_get(plan->kernel, plan->uefi, &img, errp))
		goto out;
	tiervm_progressf(o->progress, o->opaque, "image %s: Linux %s%s",
			 img.built ? "built" : "cached", img.release,
			 img.pvh ? ", uncompressed for the PVH entry" : "");
	launch.plan = plan;
	launch.img = &img;
	launch.die_with_caller = o->check || o->command;
	launch.connect = o->connect;
	started = tiervm_now_ms();
	ok = tiervm_engine_start(engine, vm, &launch, errp);
	if (launch.warm_note)
		tiervm_progressf(o->progress, o->opaque, "%s",
				 launch.warm_note);
	free(launch.warm_note);
	if (!ok)
		goto out;
	ok = false;
	if (launch.restored)
		tiervm_progressf(
			o->progress, o->opaque,
			"restored snapshot %s: QEMU set up in %lld ms, its state loaded in %lld ms",
			snap.key, launch.start_ms - started,
			launch.load_ms - launch.start_ms);
	if (launch.uploaded)
		tiervm_progressf(
			o->progress, o->opaque,
			"image: %llu bytes uploaded to storage pool '%s' at %s",
			(unsigned long long)launch.uploaded, TIERVM_POOL,
			launch.uploaded_to);
	else if (launch.uploaded_to)
		tiervm_progressf(
			o->progress, o->opaque,
			"image: in storage pool '%s' at %s already, nothing uploaded",
			TIERVM_POOL, launch.uploaded_to);
	if (launch.remote)
		snprintf(where, sizeof(where), "through libvirt at %s",
			 o->connect);
	else
		snprintf(where, sizeof(where), "%spid %ld",
			 engine == &tiervm_engine_libvirt ? "through libvirt, "
							  : "",
			 (long)vm->pid);
	tiervm_progressf(
		o->progress, o->opaque,
		"firmware: QEMU %u.%u.%u %s, %s%s; guest '%s'", caps->major,
		caps->minor, caps->micro, where,
		!strcmp(plan->accel, "kvm") ? "KVM"
					    : "TCG (software emulation)",
		!strcmp(plan->accel, "tcg") && caps->kvm_usable ? " by request"
		: !strcmp(plan->accel, "tcg") ? ": /dev/kvm is not usable here"
					      : "",
		vm->name);
	res->name = xstrdup(vm->name);
	res->dir = xstrdup(vm->dir);
	res->accel = xstrdup(plan->accel);
	/* a warm start's guest waits for the word to resume: no shortcut */
	if (!boot_and_verify(o, vm, plan, last && !launch.warm,
			     launch.restored ? jget(snap.meta, "report") : NULL,
			     res, errp) ||
	    (launch.warm && !warm_resume(o, vm, &launch, res, errp))) {
		tiervm_engine_kill(vm, TIERVM_TIMEOUT_KILL_GRACE_MS);
		tiervm_vm_remove_dir(vm);
		goto out;
	}
	ok = after_verify(o, vm, res, errp);
	if (res->command_status == 127)
		res->hint = unshared_hint(&launch, o->command->argv[0]);
	if (o->check || o->command) {
		power_off(o, vm, last && !launch.warm);
	} else {
		res->running = true;
		res->pid = (long)vm->pid;
	}
out:
	tiervm_snapshot_clear(&snap);
	tiervm_vm_free(vm);
	tiervm_image_clear(&img);
	tiervm_plan_free(plan);
	free(shares);
	free(cwd);
	return ok;
}

void tiervm_up_result_clear(struct tiervm_up_result *res)
{
	free(res->name);
	free(res->dir);
	free(res->accel);
	free(res->hint);
	json_object_put(res->report);
	json_object_put(res->counts);
	tiervm_verdict_clear(&res->verdict);
	memset(res, 0, sizeof(*res));
}
