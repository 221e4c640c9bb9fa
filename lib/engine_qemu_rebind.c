// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Re-binding a running guest of the QEMU engine to other nodes of this
 * host: a second QEMU, started as the running one was but with its memory
 * backends bound as the new plan says, waits on -incoming; the running
 * QEMU migrates into it over a unix socket in the runtime dir and quits.
 *
 * The second QEMU's QMP, probe and exec sockets and its pid file carry a
 * generation's prefix ("g1-", "g2-", ...) until the first has gone, then
 * take their plain names: a QEMU unlinks the paths it bound its sockets
 * to as it exits, and locks its pid file while it runs, so no two
 * generations may have bound the same path.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine_qemu_internal.h"
#include "timeouts.h"
#include "units.h"
#include "util.h"
#include "util_json.h"
#include "util_proc.h"

/* The runtime dir's files a QEMU binds or locks, and their prefixes. */
struct names {
	struct strv files;
	char *was, *next; /* "" or "gN-": the running QEMU's, the new one's */
};

/* The running QEMU's generation from its pid file's name in @argv. */
static void names_init(struct names *n, const struct strv *argv)
{
	unsigned gen = 0;

	memset(n, 0, sizeof(*n));
	strv_pushf(&n->files, "qmp.sock");
	strv_pushf(&n->files, "probe.sock");
	strv_pushf(&n->files, "qemu.pid");
	for (unsigned i = 0; i < TIERVM_EXEC_PORTS; i++)
		strv_pushf(&n->files, "exec%u.sock", i);
	for (size_t i = 1; i < argv->n; i++) {
		const char *base = strrchr(argv->v[i], '/');

		if (!strcmp(argv->v[i - 1], "-pidfile") && base &&
		    sscanf(base, "/g%u-", &gen) != 1)
			gen = 0;
	}
	n->was = gen ? xasprintf("g%u-", gen) : xstrdup("");
	n->next = xasprintf("g%u-", gen + 1);
}

static void names_free(struct names *n)
{
	strv_free(&n->files);
	free(n->was);
	free(n->next);
}

static bool read_cmdline(pid_t pid, struct strv *argv, tiervm_error **errp)
{
	char path[64], *arg = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	if (!(f = fopen(path, "re"))) {
		tiervm_error_set_errno(errp, errno, "%s", path);
		return false;
	}
	while (getdelim(&arg, &cap, '\0', f) > 0)
		strv_push(argv, xstrdup(arg));
	free(arg);
	fclose(f);
	return argv->n > 0;
}

static bool has_arg(const struct strv *argv, const char *needle)
{
	for (size_t i = 0; i < argv->n; i++)
		if (strstr(argv->v[i], needle))
			return true;
	return false;
}

/* What cannot go through a migration, said before anything starts. */
static bool refusals(const struct tiervm_vm *vm, const struct strv *argv,
		     json_object *devices, tiervm_error **errp)
{
	const char *why = NULL;

	if (has_arg(argv, "-plugin"))
		why = "it counts its accesses with tiervm's TCG plugin, whose counts would start again in the new QEMU: `tiervm down` it and `tiervm up` it with the new binding";
	else if (has_arg(argv, "-fsdev"))
		why = "guest.share-host: it has a 9p share (tiervm-root) mounted, and QEMU blocks migration while one is: start it with `guest: {share-host: false}` and no --share to re-bind it";
	else if (!has_arg(argv, "-daemonize"))
		why = "it is a one-shot guest (`up -- CMD`); re-bind a guest started with `tiervm up SPEC --name NAME`";
	for (size_t i = 0; !why && i < json_object_array_length(devices); i++) {
		const char *type =
			jstr(json_object_array_get_idx(devices, i), "type", "");

		if (strcmp(type, "virtio-mem"))
			why = "nvdimms: its NVDIMMs' backing files are locked by the running QEMU, which a second one cannot open: `tiervm down` it and `tiervm up` it with the new binding";
	}
	if (!why)
		return true;
	tiervm_error_set(errp, TIERVM_E_INPUT, "'%s' cannot be re-bound: %s",
			 vm->name, why);
	return false;
}

/* "...,id=X,..." of a QEMU option string: X, or NULL. */
static char *opt_id(const char *arg)
{
	const char *at = strstr(arg, ",id=");

	if (!at)
		return NULL;
	at += 4;
	return xmemdup0(at, strcspn(at, ","));
}

/* The new plan's -object of backend @id. */
static const char *planned_backend(const struct tiervm_plan *plan,
				   const char *id)
{
	for (size_t i = 1; i < plan->argv.n; i++) {
		char *x;
		bool same;

		if (strcmp(plan->argv.v[i - 1], "-object"))
			continue;
		x = opt_id(plan->argv.v[i]);
		same = x && !strcmp(x, id);
		free(x);
		if (same)
			return plan->argv.v[i];
	}
	return NULL;
}

/* @arg with each "DIR/WAS-FILE" (followed by ',' or its end) as
 * "DIR/NEXT-FILE". */
static char *renamed(const struct tiervm_vm *vm, const struct names *n,
		     const char *arg)
{
	struct sbuf b = { 0 };

	sbuf_add(&b, "", 0);
	for (const char *p = arg; *p;) {
		bool hit = false;

		for (size_t k = 0; k < n->files.n && !hit; k++) {
			char *full = xasprintf("%s/%s%s", vm->dir, n->was,
					       n->files.v[k]);
			size_t len = strlen(full);

			if (!strncmp(p, full, len) &&
			    (p[len] == ',' || p[len] == '\0')) {
				sbuf_addf(&b, "%s/%s%s", vm->dir, n->next,
					  n->files.v[k]);
				p += len;
				hit = true;
			}
			free(full);
		}
		if (!hit)
			sbuf_add(&b, p++, 1);
	}
	return b.s;
}

/* A virtio-mem device's requested size as it is now, not as started. */
static char *vmem_now(const char *arg, json_object *devices)
{
	char *id = opt_id(arg), *out = NULL;
	const char *at = strstr(arg, ",requested-size=");

	for (size_t i = 0; id && at && i < json_object_array_length(devices);
	     i++) {
		json_object *d =
			jget(json_object_array_get_idx(devices, i), "data");

		if (!strcmp(jstr(d, "id", ""), id))
			out = xasprintf("%.*s,requested-size=%lld%s",
					(int)(at - arg), arg,
					jint(d, "requested-size", 0),
					at + 16 + strcspn(at + 16, ","));
	}
	free(id);
	return out ? out : xstrdup(arg);
}

/* The second QEMU's arguments: the first's, re-bound, re-named, incoming. */
static bool next_argv(const struct tiervm_vm *vm, const struct names *names,
		      const struct strv *old, const struct tiervm_plan *plan,
		      json_object *devices, struct strv *argv,
		      tiervm_error **errp)
{
	bool ok = true;

	for (size_t i = 0; ok && i < old->n; i++) {
		const char *a = old->v[i];

		/* a re-bound QEMU's own -incoming: the new one gets its own */
		if (!strcmp(a, "-incoming")) {
			i++;
			continue;
		}
		if (i && !strcmp(old->v[i - 1], "-object") &&
		    !strncmp(a, "memory-backend-", 15)) {
			char *id = opt_id(a);
			const char *want =
				id ? planned_backend(plan, id) : NULL;

			if (want)
				strv_pushf(argv, "%s", want);
			else
				tiervm_error_setg(
					errp,
					"the new plan has no memory backend %s",
					id ? id : a);
			ok = want != NULL;
			free(id);
		} else if (!strncmp(a, "virtio-mem-pci,", 15)) {
			strv_push(argv, vmem_now(a, devices));
		} else {
			strv_push(argv, renamed(vm, names, a));
		}
	}
	strv_pushf(argv, "-incoming");
	strv_pushf(argv, "unix:%s/migrate.sock", vm->dir);
	return ok;
}

/* The second QEMU gone, and the files it made. */
static void kill_next(struct tiervm_vm *vm, const struct names *n)
{
	char *pidfile = xasprintf("%sqemu.pid", n->next);
	pid_t pid = tiervm_vm_read_pid(vm, pidfile);

	if (pid > 0)
		kill(pid, SIGKILL);
	for (size_t k = 0; k < n->files.n; k++) {
		char *p = xasprintf("%s/%s%s", vm->dir, n->next, n->files.v[k]);

		unlink(p);
		free(p);
	}
	free(pidfile);
}

/* The second QEMU's files under their plain names, the first one gone. */
static void take_names(struct tiervm_vm *vm, const struct names *n)
{
	for (size_t k = 0; k < n->files.n; k++) {
		char *from = xasprintf("%s/%s%s", vm->dir, n->next,
				       n->files.v[k]),
		     *to = xasprintf("%s/%s", vm->dir, n->files.v[k]);

		rename(from, to);
		free(from);
		free(to);
	}
}

/* "guest node N: host nodes S (policy)" for each bound backend; QEMU
 * takes a node set as host-nodes=A,host-nodes=B-C. */
static void bindings(const struct tiervm_plan *plan, struct strv *out)
{
	for (size_t i = 1; i < plan->argv.n; i++) {
		const char *a = plan->argv.v[i], *po = strstr(a, ",policy=");
		struct sbuf set = { 0 };
		char *id;

		if (strcmp(plan->argv.v[i - 1], "-object") ||
		    !strstr(a, ",host-nodes="))
			continue;
		for (const char *h = a; (h = strstr(h, ",host-nodes="));) {
			h += 12;
			sbuf_addf(&set, "%s%.*s", set.s ? "," : "",
				  (int)strcspn(h, ","), h);
		}
		id = opt_id(a);
		po = po ? po + 8 : "bind";
		if (id && !strncmp(id, "tiervm-node", 11))
			strv_pushf(out, "guest node %s: host nodes %s (%.*s)",
				   id + 11, set.s, (int)strcspn(po, ","), po);
		else if (id && !strncmp(id, "tiervm-vm-", 10))
			strv_pushf(out, "virtio-mem %s: host nodes %s (%.*s)",
				   id + 10, set.s, (int)strcspn(po, ","), po);
		free(id);
		sbuf_free(&set);
	}
}

static bool start_next(struct tiervm_vm *vm, const struct names *n,
		       struct strv *argv, tiervm_error **errp)
{
	mode_t old_umask = umask(0177);
	char *out = NULL;
	int status;
	bool ok = tiervm_run_capture(argv->v, &out, &status, errp);

	umask(old_umask);
	if (ok && status != 0) {
		char *line = out ? out + strspn(out, "\n") : "";

		line[strcspn(line, "\n")] = '\0';
		tiervm_error_setg(errp, "the second QEMU refused to start: %s",
				  *line ? line : "it exited");
		ok = false;
	}
	free(out);
	if (!ok)
		kill_next(vm, n);
	return ok;
}

bool tiervm_qemu_rebind(struct tiervm_vm *vm, struct tiervm_migration *mig,
			tiervm_error **errp)
{
	struct tiervm_monitor *m = tiervm_engine_qemu.monitor_open(vm, errp);
	struct strv old = { 0 }, argv = { 0 };
	struct names names = { 0 };
	json_object *devices = NULL, *params;
	char *sock = NULL;
	long long t0;
	bool ok = false;

	if (!m)
		return false;
	if (!read_cmdline(vm->pid, &old, errp) ||
	    !(devices = tiervm_engine_qemu.memory_devices(m, errp)) ||
	    !refusals(vm, &old, devices, errp))
		goto out;
	names_init(&names, &old);
	if (!next_argv(vm, &names, &old, mig->plan, devices, &argv, errp))
		goto out;
	sock = xasprintf("unix:%s/migrate.sock", vm->dir);
	if (!start_next(vm, &names, &argv, errp))
		goto out;
	/* on one host the copy is memory to memory: no throttle */
	params = json_object_new_object();
	json_object_object_add(params, "max-bandwidth",
			       json_object_new_int64(INT64_C(1) << 40));
	t0 = tiervm_now_ms();
	if (!tiervm_qemu_run(tiervm_qemu_qmp(m), "migrate-set-parameters",
			     params, errp) ||
	    !tiervm_qemu_run(tiervm_qemu_qmp(m), "migrate",
			     tiervm_qemu_arg("uri", sock), errp) ||
	    !tiervm_qemu_migrated(tiervm_qemu_qmp(m), TIERVM_TIMEOUT_REBIND_MS,
				  TIERVM_E_FAIL, errp)) {
		kill_next(vm, &names);
		goto out;
	}
	mig->moved_ms = tiervm_now_ms() - t0;
	tiervm_qemu_run(tiervm_qemu_qmp(m), "quit", NULL, NULL);
	tiervm_engine_qemu.monitor_close(m);
	m = NULL;
	if (!tiervm_engine_qemu.wait_exit(vm, TIERVM_TIMEOUT_QUIT_MS))
		tiervm_engine_qemu.kill(vm, TIERVM_TIMEOUT_KILL_GRACE_MS);
	take_names(vm, &names);
	unlink(sock + 5);
	bindings(mig->plan, &mig->bindings);
	ok = tiervm_engine_qemu.running(vm);
	if (!ok)
		tiervm_error_setg(
			errp, "the re-bound QEMU does not run after the move");
out:
	if (m)
		tiervm_engine_qemu.monitor_close(m);
	json_object_put(devices);
	names_free(&names);
	strv_free(&old);
	strv_free(&argv);
	free(sock);
	return ok;
}
