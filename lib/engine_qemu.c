// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The QEMU engine: QEMU started daemonized by tiervm, its pid file and QMP
 * socket in the runtime dir.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "engine_qemu_internal.h"
#include "nvdimm.h"
#include "qemu_qmp.h"
#include "counts.h"
#include "timeouts.h"
#include "util.h"
#include "util_json.h"
#include "util_proc.h"

static struct tiervm_monitor *qemu_monitor_open(struct tiervm_vm *vm,
						tiervm_error **errp);
static void qemu_monitor_close(struct tiervm_monitor *m);

struct qemu_monitor {
	struct tiervm_monitor base;
	struct tiervm_qmp *q;
};

static struct tiervm_qmp *qmp_of(struct tiervm_monitor *m)
{
	return ((struct qemu_monitor *)m)->q;
}

struct tiervm_qmp *tiervm_qemu_qmp(struct tiervm_monitor *m)
{
	return qmp_of(m);
}

/* @s for a QEMU option value: its commas doubled. */
static char *opt_value(const char *s)
{
	struct sbuf b = { 0 };

	sbuf_add(&b, "", 0);
	for (; *s; s++)
		sbuf_add(&b, *s == ',' ? ",," : s, *s == ',' ? 2 : 1);
	return b.s;
}

/*
 * The root PCI bus by name: left to choose, QEMU plugs a device into the
 * last bus made, which may be a CXL host bridge that takes bridges only.
 */
static const char *root_bus(const struct tiervm_launch *l)
{
	return l->plan->spec->machine.pc ? "pci.0" : "pcie.0";
}

/*
 * An NVDIMM backend reads its file as QEMU's /proc/self/fd/N, N the fd it
 * inherits from us: the file tiervm checked and locked, not whatever its
 * path names when QEMU opens it.  Other arguments are copied.
 */
static char *nvdimm_by_fd(const struct tiervm_launch *l, const char *arg)
{
	const struct tiervm_spec *s = l->plan->spec;

	for (unsigned i = 0; i < s->n_nvdimms; i++) {
		char *prefix = xasprintf("memory-backend-file,id=tiervm-nv-%s,",
					 s->nvdimms[i].id),
		     *from = xasprintf(",mem-path=%s,", s->nvdimms[i].path);
		const char *at = strstr(arg, from);
		char *out = NULL;

		/* keep in step with plan_nvdimms() (plan_devices.c) */
		if (!strncmp(arg, prefix, strlen(prefix)) && at)
			out = xasprintf("%.*s,mem-path=/proc/self/fd/%d,%s",
					(int)(at - arg), arg, l->nv_locks[i],
					at + strlen(from));
		free(prefix);
		free(from);
		if (out)
			return out;
	}
	return xstrdup(arg);
}

/* The exec agent's ports: one virtio-serial controller, a port each. */
static void exec_ports(struct tiervm_vm *vm, const struct tiervm_launch *l,
		       struct strv *argv)
{
	strv_pushf(argv, "-device");
	strv_pushf(argv, "virtio-serial-pci,id=tiervm-vser,bus=%s",
		   root_bus(l));
	for (unsigned i = 0; i < TIERVM_EXEC_PORTS; i++) {
		char *sock = tiervm_vm_exec_path(vm, i, "sock"),
		     *path = opt_value(sock);

		strv_pushf(argv, "-chardev");
		strv_pushf(argv,
			   "socket,id=tiervm-exec%u,path=%s,server=on,wait=off",
			   i, path);
		strv_pushf(argv, "-device");
		strv_pushf(
			argv,
			"virtserialport,bus=tiervm-vser.0,chardev=tiervm-exec%u,name=org.tiervm.exec.%u",
			i, i);
		free(sock);
		free(path);
	}
}

/*
 * A host directory over virtio-9p: tag tiervm-root (@index -1) or
 * tiervm-sN.  security_model=none: the guest's files are made with QEMU's
 * own uid, as the user running tiervm expects; multidevs=remap keeps inode
 * numbers unique across the host file systems under one share.
 */
static void share(const struct tiervm_launch *l, struct strv *argv, int index,
		  const char *host, bool ro)
{
	char *tag = index < 0 ? xstrdup("tiervm-root")
			      : xasprintf("tiervm-s%d", index),
	     *path = opt_value(host);

	strv_pushf(argv, "-fsdev");
	strv_pushf(argv,
		   "local,id=%s,path=%s,security_model=none,multidevs=remap%s",
		   tag, path, ro ? ",readonly=on" : "");
	strv_pushf(argv, "-device");
	strv_pushf(argv, "virtio-9p-pci,fsdev=%s,mount_tag=%s,bus=%s", tag, tag,
		   root_bus(l));
	free(tag);
	free(path);
}

static void refused(tiervm_error **errp, char *out)
{
	/* QEMU's own complaint: its first line that says anything */
	char *line = out + strspn(out, "\n");

	line[strcspn(line, "\n")] = '\0';
	tiervm_error_setg(errp, "QEMU refused to start: %s", line);
}

/* Whether QEMU answers on its QMP socket: it has set the machine up. */
static bool qmp_ready(struct tiervm_vm *vm)
{
	struct tiervm_monitor *m = qemu_monitor_open(vm, NULL);

	if (m)
		qemu_monitor_close(m);
	return m != NULL;
}

/*
 * QEMU as our child, in a process group of its own (a ^C on the terminal
 * is ours to pass on, not QEMU's to act on), killed by the kernel when we
 * die, however we die: a one-shot guest never outlives tiervm.  Its
 * stderr goes to RUNDIR/qemu.err.
 */
static void qemu_kill(struct tiervm_vm *vm, int grace_ms);

static bool spawn_bound(struct tiervm_vm *vm, char *const argv[],
			tiervm_error **errp)
{
	char *err_path = tiervm_vm_path(vm, "qemu.err");
	pid_t parent = getpid(), pid;
	int status;
	bool ok = false;

	pid = fork();
	if (pid == 0) {
		int fd = open(err_path,
			      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		setpgid(0, 0);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			dup2(fd, 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0) {
		tiervm_error_set_errno(errp, errno, "fork");
		goto out;
	}
	for (long long end = tiervm_now_ms() + TIERVM_TIMEOUT_BOOT_MS;;) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			char *text = NULL;
			size_t cap = 0;
			FILE *f = fopen(err_path, "re");

			if (!f || getdelim(&text, &cap, '\0', f) < 0) {
				free(text);
				text = xstrdup("it exited");
			}
			if (f)
				fclose(f);
			refused(errp, text);
			free(text);
			goto out;
		}
		if (qmp_ready(vm))
			break;
		if (tiervm_interrupted || tiervm_now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			tiervm_error_setg(errp,
					  "QEMU did not set the machine up");
			goto out;
		}
		usleep(20 * 1000);
	}
	ok = true;
out:
	free(err_path);
	return ok;
}

/*
 * The sockets mode 0600, as QMP and the probe's and exec channels deserve;
 * the runtime dir, mode 0700, already keeps others from reaching them.
 */
static void private_sockets(struct tiervm_vm *vm)
{
	char *qmp = tiervm_vm_path(vm, "qmp.sock"),
	     *probe = tiervm_vm_path(vm, "probe.sock");

	chmod(qmp, 0600);
	chmod(probe, 0600);
	for (unsigned i = 0; i < TIERVM_EXEC_PORTS; i++) {
		char *p = tiervm_vm_exec_path(vm, i, "sock");

		chmod(p, 0600);
		free(p);
	}
	free(qmp);
	free(probe);
}

/* The command line of @l as @vm, daemonizing aside. */
static bool build_argv(struct tiervm_vm *vm, struct tiervm_launch *l,
		       struct strv *out, tiervm_error **errp)
{
	const struct tiervm_plan *plan = l->plan;
	struct strv argv = { 0 };

	for (size_t i = 0; i < plan->argv.n; i++)
		strv_push(&argv, nvdimm_by_fd(l, plan->argv.v[i]));
	if (l->counting) {
		char *plugin;

		if (!tiervm_counts_create(vm, plan, &plugin, errp)) {
			strv_free(&argv);
			return false;
		}
		strv_pushf(&argv, "-plugin");
		strv_push(&argv, plugin);
	}
	strv_pushf(&argv, "-nodefaults");
	strv_pushf(&argv, "-no-user-config");
	strv_pushf(&argv, "-display");
	strv_pushf(&argv, "none");
	strv_pushf(&argv, "-no-reboot");
	strv_pushf(&argv, "-name");
	strv_pushf(&argv, "%s", vm->name);
	strv_pushf(&argv, "-kernel");
	strv_pushf(&argv, "%s", l->img->kernel);
	strv_pushf(&argv, "-initrd");
	strv_pushf(&argv, "%s", l->img->initrd);
	strv_pushf(&argv, "-append");
	strv_pushf(&argv, "%s", l->append);
	/* ttyS0: the console, to a file, appended to (a re-binding QEMU
	 * opens it again); ttyS1: the probe's own channel */
	strv_pushf(&argv, "-chardev");
	strv_pushf(&argv,
		   "file,id=tiervm-console,path=%s/console.log,append=on",
		   vm->dir);
	strv_pushf(&argv, "-serial");
	strv_pushf(&argv, "chardev:tiervm-console");
	strv_pushf(&argv, "-chardev");
	strv_pushf(
		&argv,
		"socket,id=tiervm-probe,path=%s/probe.sock,server=on,wait=off",
		vm->dir);
	strv_pushf(&argv, "-serial");
	strv_pushf(&argv, "chardev:tiervm-probe");
	exec_ports(vm, l, &argv);
	/*
	 * Entropy from the host: the kernel's random pool is seeded as
	 * virtio_rng loads, not a second later from interrupt timings, and
	 * the tools that read it (ndctl, daxctl, cxl) do not wait (measured:
	 * 1.1 s of an NVDIMM boot under TCG).
	 */
	strv_pushf(&argv, "-device");
	strv_pushf(&argv, "virtio-rng-pci,bus=%s", root_bus(l));
	for (int i = l->host_root ? -1 : 0; i < (int)l->n_shares; i++)
		share(l, &argv, i, i < 0 ? "/" : l->shares[i].host,
		      i < 0 || l->shares[i].ro);
	strv_pushf(&argv, "-qmp");
	strv_pushf(&argv, "unix:%s/qmp.sock,server=on,wait=off", vm->dir);
	strv_pushf(&argv, "-pidfile");
	strv_pushf(&argv, "%s/qemu.pid", vm->dir);
	strv_pushf(&argv, "-D");
	strv_pushf(&argv, "%s/qemu.log", vm->dir);
	*out = argv;
	return true;
}

static char **qemu_argv(struct tiervm_vm *vm, struct tiervm_launch *l)
{
	struct strv argv = { 0 };

	return build_argv(vm, l, &argv, NULL) ? argv.v : NULL;
}

/* engine_qemu_snapshot.c says why mapped-ram, QEMU 9.0+, is the floor. */
static const char *qemu_snapshot_refusal(const struct tiervm_plan *plan)
{
	if (plan->caps->major >= 9)
		return NULL;
	return "QEMU before 9.0 has no mapped-ram, and loading its state reads all of the guest's memory: slower here than the boot it would save; booting cold (QEMU 10: TIERVM_QEMU=$(scripts/qemu-backports.sh))";
}

static bool qemu_start(struct tiervm_vm *vm, struct tiervm_launch *l,
		       tiervm_error **errp)
{
	struct strv argv = { 0 };
	char *out = NULL;
	mode_t old_umask;
	int status;
	bool ok = false;

	if (!build_argv(vm, l, &argv, errp))
		return false;
	/* a warm start: the machine set up, paused, for the state to load */
	if (l->incoming) {
		strv_pushf(&argv, "-S");
		strv_pushf(&argv, "-incoming");
		strv_pushf(&argv, "defer");
	}
	/*
	 * QEMU inherits the NVDIMM lock fds (l->nv_locks, not close-on-exec)
	 * and so holds the locks while it runs.  Its files are this user's
	 * alone (its -daemonize sets 027 itself: private_sockets() follows).
	 */
	old_umask = umask(0177);
	if (l->die_with_caller) {
		if (!spawn_bound(vm, argv.v, errp))
			goto out;
	} else {
		/* with -daemonize QEMU exits 0 once the machine is set up */
		strv_pushf(&argv, "-daemonize");
		if (!tiervm_run_capture(argv.v, &out, &status, errp))
			goto out;
		if (status != 0) {
			refused(errp, out);
			goto out;
		}
	}
	if (!tiervm_engine_qemu.running(vm)) {
		tiervm_error_setg(
			errp,
			"QEMU started but its pid file names no live QEMU");
		goto out;
	}
	private_sockets(vm);
	l->start_ms = tiervm_now_ms();
	ok = !l->incoming || tiervm_qemu_restore(vm, l, errp);
	if (!ok)
		qemu_kill(vm, TIERVM_TIMEOUT_KILL_GRACE_MS);
out:
	umask(old_umask);
	free(out);
	strv_free(&argv);
	return ok;
}

/* A stale pid file may name a pid reused by another program. */
static bool is_qemu(pid_t pid)
{
	char path[64], buf[256] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, "qemu") != NULL;
}

static bool qemu_running(struct tiervm_vm *vm)
{
	pid_t pid = tiervm_vm_read_pid(vm, "qemu.pid");

	vm->pid = pid && kill(pid, 0) == 0 && is_qemu(pid) ? pid : 0;
	return vm->pid != 0;
}

static bool qemu_wait_exit(struct tiervm_vm *vm, int timeout_ms)
{
	long long end = tiervm_now_ms() + timeout_ms;

	/* our own child (a one-shot guest) is reaped here; others: ECHILD */
	while (vm->pid && waitpid(vm->pid, NULL, WNOHANG) != vm->pid &&
	       kill(vm->pid, 0) == 0 && is_qemu(vm->pid)) {
		if (tiervm_now_ms() >= end)
			return false;
		usleep(50 * 1000);
	}
	vm->pid = 0;
	return true;
}

static void qemu_kill(struct tiervm_vm *vm, int grace_ms)
{
	if (!vm->pid)
		return;
	kill(vm->pid, SIGTERM);
	if (!qemu_wait_exit(vm, grace_ms)) {
		kill(vm->pid, SIGKILL);
		qemu_wait_exit(vm, TIERVM_TIMEOUT_QUIT_MS);
	}
}

static struct tiervm_monitor *qemu_monitor_open(struct tiervm_vm *vm,
						tiervm_error **errp)
{
	char *path = tiervm_vm_path(vm, "qmp.sock");
	struct tiervm_qmp *q =
		tiervm_qmp_connect(path, TIERVM_TIMEOUT_QMP_CONNECT_MS, errp);
	struct qemu_monitor *m;

	free(path);
	if (!q)
		return NULL;
	m = xcalloc(1, sizeof(*m));
	m->base.engine = &tiervm_engine_qemu;
	m->q = q;
	return &m->base;
}

static void qemu_monitor_close(struct tiervm_monitor *m)
{
	tiervm_qmp_close(qmp_of(m));
	free(m);
}

static json_object *qemu_memory_devices(struct tiervm_monitor *m,
					tiervm_error **errp)
{
	return tiervm_qmp_execute(qmp_of(m), "query-memory-devices", NULL,
				  TIERVM_TIMEOUT_QMP_MS, errp);
}

bool tiervm_qemu_run(struct tiervm_qmp *q, const char *cmd, json_object *args,
		     tiervm_error **errp)
{
	json_object *r =
		tiervm_qmp_execute(q, cmd, args, TIERVM_TIMEOUT_QMP_MS, errp);

	json_object_put(r);
	return r != NULL;
}

static bool run(struct tiervm_monitor *m, const char *cmd, json_object *args,
		tiervm_error **errp)
{
	return tiervm_qemu_run(qmp_of(m), cmd, args, errp);
}

json_object *tiervm_qemu_arg(const char *key, const char *value)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, key, json_object_new_string(value));
	return o;
}

bool tiervm_qemu_migrated(struct tiervm_qmp *q, int timeout_ms, int failed_code,
			  tiervm_error **errp)
{
	long long end = tiervm_now_ms() + timeout_ms;

	for (;;) {
		json_object *r = tiervm_qmp_execute(
			q, "query-migrate", NULL, TIERVM_TIMEOUT_QMP_MS, errp);
		const char *st = jstr(r, "status", "");
		bool done = !strcmp(st, "completed");

		if (!r)
			return false;
		if (done || !strcmp(st, "failed") || !strcmp(st, "cancelled")) {
			if (!done)
				tiervm_error_set(errp, failed_code,
						 "QEMU's migration %s: %s", st,
						 jstr(r, "error-desc",
						      "no reason given"));
			json_object_put(r);
			return done;
		}
		json_object_put(r);
		if (tiervm_interrupted || tiervm_now_ms() > end) {
			tiervm_qemu_run(q, "migrate_cancel", NULL, NULL);
			tiervm_error_setg(errp, "QEMU's migration %s",
					  tiervm_interrupted
						  ? "was interrupted"
						  : "did not end in time");
			return false;
		}
		/* a warm start's load is a tenth of a second: poll finely */
		usleep(10 * 1000);
	}
}

static bool qemu_vmem_request(struct tiervm_monitor *m, const char *id,
			      uint64_t size, tiervm_error **errp)
{
	json_object *args = json_object_new_object();
	char *path = xasprintf("/machine/peripheral/%s", id);

	json_object_object_add(args, "path", json_object_new_string(path));
	json_object_object_add(args, "property",
			       json_object_new_string("requested-size"));
	json_object_object_add(args, "value",
			       json_object_new_int64((int64_t)size));
	free(path);
	return run(m, "qom-set", args, errp);
}

static json_object *qemu_size_event(struct tiervm_monitor *m, int timeout_ms,
				    tiervm_error **errp)
{
	long long end = tiervm_now_ms() + timeout_ms;

	for (;;) {
		long long left = end - tiervm_now_ms();
		json_object *ev = tiervm_qmp_event(
			qmp_of(m), left > 0 ? (int)left : 0, errp);

		if (!ev ||
		    !strcmp(jstr(ev, "event", ""), "MEMORY_DEVICE_SIZE_CHANGE"))
			return ev;
		json_object_put(ev);
	}
}

static bool qemu_nvdimm_plug(struct tiervm_monitor *m,
			     const struct tiervm_nvdimm *nv, bool on_dax,
			     int lock_fd, tiervm_error **errp)
{
	char *lock = xasprintf("tiervm-lock-%s", nv->id),
	     *bid = xasprintf("tiervm-nv-%s", nv->id);
	json_object *backend, *device, *r;
	bool ok = false;

	tiervm_nvdimm_qmp_args(nv, on_dax, &backend, &device);
	r = tiervm_qmp_execute_fd(qmp_of(m), "getfd",
				  tiervm_qemu_arg("fdname", lock), lock_fd,
				  TIERVM_TIMEOUT_QMP_MS, errp);
	json_object_put(r);
	if (!r)
		goto out;
	if (!run(m, "object-add", backend, errp)) {
		backend = NULL;
		goto out_fd;
	}
	backend = NULL;
	ok = run(m, "device_add", device, errp);
	device = NULL;
	if (ok)
		goto out;
	/* undo what QEMU got; the caller undoes what it made */
	run(m, "object-del", tiervm_qemu_arg("id", bid), NULL);
out_fd:
	run(m, "closefd", tiervm_qemu_arg("fdname", lock), NULL);
out:
	json_object_put(backend);
	json_object_put(device);
	free(lock);
	free(bid);
	return ok;
}

static bool qemu_powerdown(struct tiervm_monitor *m, tiervm_error **errp)
{
	return run(m, "system_powerdown", NULL, errp);
}

static bool qemu_quit(struct tiervm_monitor *m, tiervm_error **errp)
{
	return run(m, "quit", NULL, errp);
}

const struct tiervm_engine tiervm_engine_qemu = {
	.name = "qemu",
	.counts = true,
	.start = qemu_start,
	.running = qemu_running,
	.wait_exit = qemu_wait_exit,
	.kill = qemu_kill,
	.monitor_open = qemu_monitor_open,
	.monitor_close = qemu_monitor_close,
	.memory_devices = qemu_memory_devices,
	.vmem_request = qemu_vmem_request,
	.size_event = qemu_size_event,
	.nvdimm_plug = qemu_nvdimm_plug,
	.powerdown = qemu_powerdown,
	.quit = qemu_quit,
	.rebind = tiervm_qemu_rebind,
	.argv = qemu_argv,
	.snapshot = tiervm_qemu_snapshot,
	.snapshot_refusal = qemu_snapshot_refusal,
};
