// SPDX-License-Identifier: LGPL-2.1-or-later
/* Runtime directories of guests. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "vm.h"

/*
 * What a runtime dir may hold.  Every engine: engine (its name),
 * probe.sock (the probe's serial line), console.log, plan.json,
 * spec.json (the spec text as started and the file it came from),
 * report.json, execN.sock and execN.lock (TIERVM_EXEC_PORTS).  The QEMU
 * engine adds qemu.pid, qmp.sock, qemu.log and qemu.err (its stderr when
 * it is tiervm's child); the libvirt engine libvirt.uri, and its relay's
 * relay.pid and relay.log.
 */
static const char *const runtime_files[] = {
	"engine",      "probe.sock", "console.log", "plan.json", "spec.json",
	"report.json", "qemu.pid",   "qmp.sock",    "qemu.log",	 "qemu.err",
	"libvirt.uri", "counts",     "counts.json", "relay.pid", "relay.log",
};

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

struct tiervm_vm *tiervm_vm_new(const char *name, tiervm_error **errp)
{
	struct tiervm_vm *vm;
	char *base = tiervm_runtime_base();

	if (!mkdir_private(base, errp)) {
		free(base);
		return NULL;
	}
	vm = xcalloc(1, sizeof(*vm));
	vm->name_fd = -1;
	vm->name = xstrdup(name);
	vm->dir = xasprintf("%s/%s", base, name);
	free(base);
	return vm;
}

void tiervm_vm_free(struct tiervm_vm *vm)
{
	if (!vm)
		return;
	if (vm->name_fd >= 0)
		close(vm->name_fd);
	free(vm->name);
	free(vm->dir);
	free(vm->missing_drivers);
	free(vm->unreachable);
	free(vm);
}

/*
 * The locks live in BASE/.locks/NAME, apart from the runtime dirs, and
 * stay: a lock file removed while another process waits to open it would
 * let two hold "the" lock.
 */
bool tiervm_vm_lock_name(struct tiervm_vm *vm, tiervm_error **errp)
{
	char *base = tiervm_runtime_base(), *dir = xasprintf("%s/.locks", base),
	     *path = xasprintf("%s/%s", dir, vm->name);
	bool ok = false;

	if (!mkdir_private(dir, errp))
		goto out;
	vm->name_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (vm->name_fd < 0) {
		tiervm_error_set_errno(errp, errno, "cannot open %s", path);
		goto out;
	}
	if (flock(vm->name_fd, LOCK_EX | LOCK_NB) < 0) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"another tiervm is starting or stopping a guest named '%s'",
			vm->name);
		close(vm->name_fd);
		vm->name_fd = -1;
		goto out;
	}
	ok = true;
out:
	free(path);
	free(dir);
	free(base);
	return ok;
}

int tiervm_lock_slot(const char *what, unsigned max, unsigned *slot,
		     tiervm_error **errp)
{
	char *base = tiervm_runtime_base(), *dir = xasprintf("%s/.locks", base);
	int fd = -1;

	if (!mkdir_private(base, errp) || !mkdir_private(dir, errp))
		goto out;
	for (unsigned n = 1; n <= max && fd < 0; n++) {
		char *path = xasprintf("%s/%s-%u", dir, what, n);

		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		free(path);
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
			close(fd);
			fd = -1;
		}
		*slot = n;
	}
	if (fd < 0)
		tiervm_error_setg(errp, "all %u %s slots are held (%s/%s-N)",
				  max, what, dir, what);
out:
	free(dir);
	free(base);
	return fd;
}

char *tiervm_vm_path(const struct tiervm_vm *vm, const char *file)
{
	return xasprintf("%s/%s", vm->dir, file);
}

char *tiervm_vm_console_tail(const struct tiervm_vm *vm, size_t n)
{
	char *console = tiervm_vm_path(vm, "console.log");
	FILE *f = fopen(console, "re");
	char **lines = xcalloc(n, sizeof(*lines)), *line = NULL;
	size_t cap = 0, got = 0;
	struct sbuf tail = { 0 };

	while (f && getline(&line, &cap, f) > 0) {
		free(lines[got % n]);
		lines[got++ % n] = xstrdup(line);
	}
	sbuf_addf(&tail, "%s", "");
	if (got)
		sbuf_addf(&tail, "; its console's last lines:");
	for (size_t i = got > n ? got - n : 0; i < got; i++)
		sbuf_addf(&tail, "\nconsole: %.*s",
			  (int)strcspn(lines[i % n], "\r\n"), lines[i % n]);
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	if (f)
		fclose(f);
	free(line);
	free(console);
	return tail.s;
}

char *tiervm_vm_exec_path(const struct tiervm_vm *vm, unsigned port,
			  const char *ext)
{
	return xasprintf("%s/exec%u.%s", vm->dir, port, ext);
}

bool tiervm_vm_exists(const struct tiervm_vm *vm)
{
	struct stat st;

	return stat(vm->dir, &st) == 0;
}

bool tiervm_vm_make_dir(struct tiervm_vm *vm, tiervm_error **errp)
{
	/* whatever a dead guest left behind is stale */
	tiervm_vm_remove_dir(vm);
	return mkdir_private(vm->dir, errp);
}

/* @from's bytes into a new @to; a console log's, so best effort. */
static void copy_out(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC),
	    out = in < 0 ? -1
			 : open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
				0644);
	char buf[65536];
	ssize_t n;

	while (out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	if (out >= 0)
		close(out);
	if (in >= 0)
		close(in);
}

void tiervm_vm_remove_dir(struct tiervm_vm *vm)
{
	if (vm->keep_console) {
		char *console = tiervm_vm_path(vm, "console.log");

		copy_out(console, vm->keep_console);
		free(console);
	}
	for (size_t i = 0; i < ARRAY_SIZE(runtime_files); i++) {
		char *p = tiervm_vm_path(vm, runtime_files[i]);

		unlink(p);
		free(p);
	}
	for (unsigned i = 0; i < TIERVM_EXEC_PORTS; i++) {
		char *sock = tiervm_vm_exec_path(vm, i, "sock"),
		     *lock = tiervm_vm_exec_path(vm, i, "lock");

		unlink(sock);
		unlink(lock);
		free(sock);
		free(lock);
	}
	rmdir(vm->dir);
}

pid_t tiervm_vm_read_pid(const struct tiervm_vm *vm, const char *file)
{
	char *path = tiervm_vm_path(vm, file);
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

bool tiervm_vm_save_json(const struct tiervm_vm *vm, const char *file,
			 json_object *o, tiervm_error **errp)
{
	char *path = tiervm_vm_path(vm, file);
	bool ok = json_object_to_file_ext(path, o, JSON_C_TO_STRING_PLAIN) == 0;

	if (!ok)
		tiervm_error_setg(errp, "cannot write %s", path);
	free(path);
	return ok;
}

json_object *tiervm_vm_load_json(const struct tiervm_vm *vm, const char *file,
				 tiervm_error **errp)
{
	char *path = tiervm_vm_path(vm, file);
	json_object *o = json_object_from_file(path);

	if (!o)
		tiervm_error_setg(
			errp,
			"%s is missing or unreadable: '%s' was not started by this tiervm",
			path, vm->name);
	free(path);
	return o;
}
