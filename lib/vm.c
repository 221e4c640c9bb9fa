// SPDX-License-Identifier: LGPL-2.1-or-later
/* Runtime directories and the QEMU process of a guest. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nvdimm.h"
#include "proc.h"
#include "json_util.h"
#include "qmp.h"
#include "vm.h"

volatile int tiervm_interrupted;

long long tiervm_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long tiervm_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

char *tiervm_runtime_base(void)
{
	const char *x = getenv("XDG_RUNTIME_DIR");

	if (x && *x)
		return xasprintf("%s/tiervm", x);
	return xasprintf("/tmp/tiervm-%u", (unsigned)getuid());
}

static bool mkdir_private(const char *path, tiervm_error **errp)
{
	struct stat st;

	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		tiervm_error_set_errno(errp, errno, "cannot create %s", path);
		return false;
	}
	/* a directory someone else made could be read or swapped by them */
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != getuid() || (st.st_mode & 077)) {
		tiervm_error_setg(
			errp,
			"%s is not a private directory of this user (mode 0700)",
			path);
		return false;
	}
	return true;
}

struct tiervm_vm *tiervm_vm_open(const char *name, tiervm_error **errp)
{
	struct tiervm_vm *vm;
	char *base = tiervm_runtime_base();

	if (!mkdir_private(base, errp)) {
		free(base);
		return NULL;
	}
	vm = xcalloc(1, sizeof(*vm));
	vm->name = xstrdup(name);
	vm->dir = xasprintf("%s/%s", base, name);
	free(base);
	return vm;
}

void tiervm_vm_free(struct tiervm_vm *vm)
{
	if (!vm)
		return;
	free(vm->name);
	free(vm->dir);
	free(vm);
}

char *tiervm_vm_path(const struct tiervm_vm *vm, const char *file)
{
	return xasprintf("%s/%s", vm->dir, file);
}

static pid_t read_pid(const struct tiervm_vm *vm)
{
	char *path = tiervm_vm_path(vm, "qemu.pid");
	FILE *f = fopen(path, "re");
	long pid = 0;

	free(path);
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid > 0 ? (pid_t)pid : 0;
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

bool tiervm_vm_running(struct tiervm_vm *vm)
{
	pid_t pid = read_pid(vm);

	vm->pid = pid && kill(pid, 0) == 0 && is_qemu(pid) ? pid : 0;
	return vm->pid != 0;
}

struct tiervm_vm *tiervm_vm_open_running(const char *name, tiervm_error **errp)
{
	struct tiervm_vm *vm = tiervm_vm_open(name, errp);

	if (vm && !tiervm_vm_running(vm)) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"no running guest named '%s' (see `tiervm list`)",
			name);
		tiervm_vm_free(vm);
		return NULL;
	}
	return vm;
}

struct tiervm_qmp *tiervm_vm_qmp(struct tiervm_vm *vm, tiervm_error **errp)
{
	char *path = tiervm_vm_path(vm, "qmp.sock");
	struct tiervm_qmp *q = tiervm_qmp_connect(path, 5000, errp);

	free(path);
	return q;
}

/*
 * 1 when every virtio-mem device's size equals its requested size, per
 * QEMU; 0 while not; -1 on a QMP failure (*errp set).
 */
static int vmem_settled(struct tiervm_qmp *q, tiervm_error **errp)
{
	json_object *devs =
		tiervm_qmp_execute(q, "query-memory-devices", NULL, 5000, errp);
	int settled = devs ? 1 : -1;

	for (size_t i = 0; devs && i < json_object_array_length(devs); i++) {
		json_object *d = json_object_array_get_idx(devs, i),
			    *data = jget(d, "data");

		if (!strcmp(jstr(d, "type", ""), "virtio-mem") &&
		    jint(data, "size", -1) != jint(data, "requested-size", -1))
			settled = 0;
	}
	json_object_put(devs);
	return settled;
}

bool tiervm_vm_wait_vmem(struct tiervm_vm *vm, int timeout_ms,
			 tiervm_error **errp)
{
	long long end = tiervm_now_ms() + timeout_ms;
	struct tiervm_qmp *q = tiervm_vm_qmp(vm, errp);
	int settled = q ? 0 : -1;

	while (settled == 0) {
		settled = vmem_settled(q, errp);
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
		usleep(50 * 1000);
	}
	tiervm_qmp_close(q);
	return settled == 1;
}

static const char *const runtime_files[] = {
	"qemu.pid",    "qmp.sock", "probe.sock", "console.log", "plan.json",
	"report.json", "qemu.log", "lock",	 "spec.json",
};

void tiervm_vm_remove_dir(struct tiervm_vm *vm)
{
	for (size_t i = 0; i < ARRAY_SIZE(runtime_files); i++) {
		char *p = tiervm_vm_path(vm, runtime_files[i]);

		unlink(p);
		free(p);
	}
	rmdir(vm->dir);
}

bool tiervm_vm_start(struct tiervm_vm *vm, const struct tiervm_plan *plan,
		     const struct tiervm_image *img, tiervm_error **errp)
{
	const struct tiervm_spec *spec = plan->spec;
	int *locks = xcalloc(spec->n_nvdimms + 1, sizeof(*locks));
	struct strv argv = { 0 };
	struct sbuf append = { 0 };
	char *out = NULL;
	int status;
	bool ok = false;

	for (unsigned i = 0; i < spec->n_nvdimms; i++)
		locks[i] = -1;

	if (tiervm_vm_running(vm)) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"a guest named '%s' is already running (QEMU pid %ld); `tiervm down %s` first",
			vm->name, (long)vm->pid, vm->name);
		return false;
	}
	/* whatever a dead guest left behind is stale */
	tiervm_vm_remove_dir(vm);
	if (!mkdir_private(vm->dir, errp))
		return false;

	/*
	 * nokaslr: a randomly placed kernel image (some 44M with its data)
	 * lands on a random node below 4G and takes that much of its MemTotal;
	 * at 16M it is always on the node at address 0, as the check expects.
	 */
	sbuf_addf(&append, "console=ttyS0 panic=-1 nokaslr");
	/*
	 * Each NVDIMM's backing file is created or checked, then locked by an
	 * fd QEMU inherits.  The probe learns which files are new: only those
	 * may be given a namespace.
	 */
	for (unsigned i = 0; i < spec->n_nvdimms; i++) {
		const struct tiervm_nvdimm *nv = &spec->nvdimms[i];
		bool fresh = false;

		locks[i] = tiervm_nvdimm_prepare(spec, nv, &fresh, errp);
		if (locks[i] < 0) {
			tiervm_vm_remove_dir(vm);
			goto out;
		}
		sbuf_addf(&append, "%s%s:%s:%s",
			  i ? "," : " tiervm.nvdimm=", nv->id,
			  tiervm_nv_mode_names[nv->mode],
			  fresh ? "new" : "old");
	}
	for (size_t i = 0; i < plan->kernel_args.n; i++)
		sbuf_addf(&append, " %s", plan->kernel_args.v[i]);
	for (size_t i = 0; i < plan->argv.n; i++)
		strv_push(&argv, xstrdup(plan->argv.v[i]));
	strv_pushf(&argv, "-nodefaults");
	strv_pushf(&argv, "-no-user-config");
	strv_pushf(&argv, "-display");
	strv_pushf(&argv, "none");
	strv_pushf(&argv, "-no-reboot");
	strv_pushf(&argv, "-name");
	strv_pushf(&argv, "%s", vm->name);
	strv_pushf(&argv, "-kernel");
	strv_pushf(&argv, "%s", img->kernel);
	strv_pushf(&argv, "-initrd");
	strv_pushf(&argv, "%s", img->initrd);
	strv_pushf(&argv, "-append");
	strv_pushf(&argv, "%s", append.s);
	/* ttyS0: the console, to a file; ttyS1: the probe's own channel */
	strv_pushf(&argv, "-serial");
	strv_pushf(&argv, "file:%s/console.log", vm->dir);
	strv_pushf(&argv, "-chardev");
	strv_pushf(
		&argv,
		"socket,id=tiervm-probe,path=%s/probe.sock,server=on,wait=off",
		vm->dir);
	strv_pushf(&argv, "-serial");
	strv_pushf(&argv, "chardev:tiervm-probe");
	strv_pushf(&argv, "-qmp");
	strv_pushf(&argv, "unix:%s/qmp.sock,server=on,wait=off", vm->dir);
	strv_pushf(&argv, "-pidfile");
	strv_pushf(&argv, "%s/qemu.pid", vm->dir);
	strv_pushf(&argv, "-D");
	strv_pushf(&argv, "%s/qemu.log", vm->dir);
	strv_pushf(&argv, "-daemonize");

	/* With -daemonize, QEMU exits 0 only once the machine is set up. */
	if (!tiervm_run_capture(argv.v, &out, &status, errp))
		goto out;
	if (status != 0) {
		out[strcspn(out, "\n")] = '\0';
		tiervm_error_setg(errp, "QEMU refused to start: %s", out);
		tiervm_vm_remove_dir(vm);
		goto out;
	}
	if (!tiervm_vm_running(vm)) {
		tiervm_error_setg(
			errp,
			"QEMU started but its pid file names no live QEMU");
		goto out;
	}
	ok = true;
out:
	for (unsigned i = 0; i < spec->n_nvdimms; i++)
		if (locks[i] >= 0)
			close(locks[i]);
	free(locks);
	free(out);
	sbuf_free(&append);
	strv_free(&argv);
	return ok;
}

bool tiervm_vm_wait_exit(struct tiervm_vm *vm, int timeout_ms)
{
	long long end = tiervm_now_ms() + timeout_ms;

	while (vm->pid && kill(vm->pid, 0) == 0 && is_qemu(vm->pid)) {
		if (tiervm_now_ms() >= end)
			return false;
		usleep(50 * 1000);
	}
	vm->pid = 0;
	return true;
}

void tiervm_vm_kill(struct tiervm_vm *vm, int grace_ms)
{
	if (!vm->pid)
		return;
	kill(vm->pid, SIGTERM);
	if (!tiervm_vm_wait_exit(vm, grace_ms)) {
		kill(vm->pid, SIGKILL);
		tiervm_vm_wait_exit(vm, 5000);
	}
}
