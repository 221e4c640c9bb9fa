// SPDX-License-Identifier: LGPL-2.1-or-later
#include <fcntl.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util_proc.h"
#include "qemu_caps.h"
#include "host_sysfs.h"
#include "image.h"
#include "util.h"
#include "util_json.h"

const char *tiervm_qemu_binary(void)
{
	const char *q = getenv("TIERVM_QEMU");

	return q && *q ? q : "qemu-system-x86_64";
}

static bool ask(const char *binary, const char *a1, const char *a2, char **out,
		tiervm_error **errp)
{
	char *argv[] = { (char *)binary, (char *)a1, (char *)a2, NULL };
	int status;

	if (!tiervm_run_capture(argv, out, &status, errp))
		return false;
	if (status != 0) {
		tiervm_error_setg(errp, "%s %s %s failed: %s", binary, a1, a2,
				  *out);
		free(*out);
		*out = NULL;
		return false;
	}
	return true;
}

/* "  volatile-memdev=<link<memory-backend>>" -> true for "volatile-memdev" */
static bool has_property(const char *help, const char *prop)
{
	size_t n = strlen(prop);

	for (const char *p = strstr(help, prop); p; p = strstr(p + 1, prop))
		if ((p == help || p[-1] == ' ') && p[n] == '=')
			return true;
	return false;
}

static bool has_machine(const char *help, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = help; (p = strstr(p, name)); p++)
		if ((p == help || p[-1] == '\n') && p[n] == ' ')
			return true;
	return false;
}

/*
 * Only a usable /dev/kvm counts.  Some nested hosts expose a /dev/kvm that
 * opens and creates VMs while the CPU lacks vmx/svm: guests then never run
 * a single instruction, so the flags are required as well.
 */
static bool kvm_usable(void)
{
	struct tiervm_fsroot root;
	char *cpuinfo = NULL;
	bool flags;
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	if (!tiervm_fsroot_open(&root, "/", NULL))
		return false;
	cpuinfo = tiervm_fs_read(&root, "/proc/cpuinfo", NULL);
	tiervm_fsroot_close(&root);
	flags = cpuinfo && (strstr(cpuinfo, " vmx") || strstr(cpuinfo, " svm"));
	free(cpuinfo);
	return flags;
}

/* A single-file OVMF image, as `-bios` takes it (Debian, Ubuntu, Arch). */
static char *find_ovmf(void)
{
	static const char *const paths[] = {
		"/usr/share/ovmf/OVMF.fd",
		"/usr/share/qemu/OVMF.fd",
		"/usr/share/edk2/x64/OVMF.fd",
	};

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		if (access(paths[i], R_OK) == 0)
			return xstrdup(paths[i]);
	return NULL;
}

/*
 * What asking QEMU finds is kept per binary (its path, size and mtime,
 * and the module directory it loads from): five QEMU runs were 0.4 s of
 * every `up`, more than a warm start's whole load.
 */
static char *memo_path(const char *bin)
{
	char *found = tiervm_which(bin), *real, *base, *path = NULL;
	const char *mods = getenv("QEMU_MODULE_DIR");
	struct stat st;
	uint64_t h = 0xcbf29ce484222325ULL;

	real = found ? realpath(found, NULL) : NULL;
	free(found);
	if (!real || stat(real, &st) < 0) {
		free(real);
		return NULL;
	}
	h = tiervm_fnv1a(h, real, strlen(real) + 1);
	h = tiervm_fnv1a(h, &st.st_size, sizeof(st.st_size));
	h = tiervm_fnv1a(h, &st.st_mtim, sizeof(st.st_mtim));
	if (mods)
		h = tiervm_fnv1a(h, mods, strlen(mods));
	base = tiervm_cache_base();
	path = xasprintf("%s/qemu-caps/%016llx.json", base,
			 (unsigned long long)h);
	free(base);
	free(real);
	return path;
}

static const char *const memo_flags[] = {
	"machine_q35",
	"machine_pc",
	"cxl_volatile",
	"cxl_persistent_memdev",
	"generic_port",
	"vmem_dynamic_memslots",
	"vmem_unplugged_inaccessible",
};

static bool *memo_flag(struct tiervm_qemu_caps *caps, size_t i)
{
	bool *const flags[] = {
		&caps->machine_q35,
		&caps->machine_pc,
		&caps->cxl_volatile,
		&caps->cxl_persistent_memdev,
		&caps->generic_port,
		&caps->vmem_dynamic_memslots,
		&caps->vmem_unplugged_inaccessible,
	};

	return flags[i];
}

static bool memo_read(const char *path, struct tiervm_qemu_caps *caps)
{
	json_object *o = path ? json_object_from_file(path) : NULL;

	if (!o || !jget(o, "major")) {
		json_object_put(o);
		return false;
	}
	caps->major = (unsigned)jint(o, "major", 0);
	caps->minor = (unsigned)jint(o, "minor", 0);
	caps->micro = (unsigned)jint(o, "micro", 0);
	for (size_t i = 0; i < ARRAY_SIZE(memo_flags); i++)
		*memo_flag(caps, i) = jint(o, memo_flags[i], 0) != 0;
	json_object_put(o);
	return true;
}

static void memo_write(const char *path, struct tiervm_qemu_caps *caps)
{
	json_object *o = json_object_new_object();
	char *dir, *tmp;

	if (!path)
		return;
	json_object_object_add(o, "major",
			       json_object_new_int((int)caps->major));
	json_object_object_add(o, "minor",
			       json_object_new_int((int)caps->minor));
	json_object_object_add(o, "micro",
			       json_object_new_int((int)caps->micro));
	for (size_t i = 0; i < ARRAY_SIZE(memo_flags); i++)
		json_object_object_add(
			o, memo_flags[i],
			json_object_new_int(*memo_flag(caps, i)));
	dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	tmp = xasprintf("%s.%ld", path, (long)getpid());
	/* best effort: without it the next up asks QEMU again */
	if (tiervm_mkdir_p(dir) && json_object_to_file(tmp, o) == 0)
		rename(tmp, path);
	unlink(tmp);
	free(tmp);
	free(dir);
	json_object_put(o);
}

bool tiervm_qemu_probe(struct tiervm_qemu_caps *caps, tiervm_error **errp)
{
	const char *bin = tiervm_qemu_binary();
	char *out = NULL, *memo = memo_path(bin);
	const char *v;

	memset(caps, 0, sizeof(*caps));
	caps->binary = xstrdup(bin);
	if (memo_read(memo, caps))
		goto host;
	if (!ask(bin, "-version", "-nodefaults", &out, errp))
		goto fail;
	v = strstr(out, "version ");
	if (!v || sscanf(v, "version %u.%u.%u", &caps->major, &caps->minor,
			 &caps->micro) < 2) {
		tiervm_error_setg(errp,
				  "%s -version: cannot read a version in '%s'",
				  bin, out);
		goto fail;
	}
	free(out);
	if (!ask(bin, "-machine", "help", &out, errp))
		goto fail;
	caps->machine_q35 = has_machine(out, "q35");
	caps->machine_pc = has_machine(out, "pc");
	free(out);
	if (!ask(bin, "-device", "cxl-type3,help", &out, NULL))
		out = xstrdup("");
	caps->cxl_volatile = has_property(out, "volatile-memdev");
	caps->cxl_persistent_memdev = has_property(out, "persistent-memdev");
	free(out);
	/* an object QEMU lacks is an error, not an empty list */
	caps->generic_port =
		ask(bin, "-object", "acpi-generic-port,help", &out, NULL);
	free(out);
	if (!ask(bin, "-device", "virtio-mem-pci,help", &out, NULL))
		out = xstrdup("");
	caps->vmem_dynamic_memslots = has_property(out, "dynamic-memslots");
	caps->vmem_unplugged_inaccessible =
		has_property(out, "unplugged-inaccessible");
	free(out);
	memo_write(memo, caps);
host:
	/* the host's, not the binary's: asked every time */
	caps->kvm_usable = kvm_usable();
	caps->ovmf = find_ovmf();
	free(memo);
	return true;
fail:
	free(out);
	free(memo);
	tiervm_qemu_caps_clear(caps);
	return false;
}

bool tiervm_qemu_has_libpmem(const struct tiervm_qemu_caps *caps)
{
	/*
	 * A QEMU built without libpmem refuses pmem=on while setting it, before
	 * it opens the (missing) backing file; one with it fails on the file.
	 */
	char *argv[] = {
		caps->binary,
		"-machine",
		"none",
		"-nodefaults",
		"-display",
		"none",
		"-object",
		"memory-backend-file,id=t,size=2M,mem-path=/nonexistent/tiervm,pmem=on",
		NULL
	};
	char *out = NULL;
	int status;
	bool has;

	if (!tiervm_run_capture(argv, &out, &status, NULL))
		return false;
	has = !strstr(out, "libpmem");
	free(out);
	return has;
}

void tiervm_qemu_caps_clear(struct tiervm_qemu_caps *caps)
{
	free(caps->binary);
	free(caps->ovmf);
	memset(caps, 0, sizeof(*caps));
}
