// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The guest's early boot, done by the probe itself as pid 1: a shell
 * init forked a process per mount, test and insmod, and under TCG each
 * fork and exec costs tens of milliseconds (bench/run.sh, docs/choices.md).
 *
 * Drivers come in groups, one list per group in /etc/modules.GROUP in the
 * order modprobe would load them (build-image.sh writes them).  A group is
 * loaded only where the machine has its hardware, one module after the
 * other: on two threads at once they gained nothing measurable, and QEMU
 * 7.2's multi-threaded TCG once lost a vCPU thread to a segfault then.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "boot.h"
#include "util.h"

#define MAX_GROUPS 8

struct chain {
	const char *group[MAX_GROUPS];
	size_t n;
	int failed;
};

static void kmsg(const char *msg)
{
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, msg, strlen(msg)) < 0) {
		/* the console stage is then missed, nothing else */
	}
	close(fd);
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Whether /proc/iomem names a resource @name (root sees it all). */
static bool iomem_has(const char *name)
{
	FILE *f = fopen("/proc/iomem", "re");
	char line[256];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, name) != NULL;
	fclose(f);
	return found;
}

/* Whether some PCI device's @attr ("vendor") is one of @values. */
static bool pci_has(const char *attr, const char *const *values)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		char path[512], v[32] = "";
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s",
			 e->d_name, attr);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(v, sizeof(v), f))
			v[strcspn(v, "\n")] = '\0';
		fclose(f);
		for (size_t i = 0; values[i] && !found; i++)
			found = !strcmp(v, values[i]);
	}
	closedir(d);
	return found;
}

/* Whether any entry of @dir starts with @prefix. */
static bool dir_has(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d)))
		found = !strncmp(e->d_name, prefix, strlen(prefix));
	closedir(d);
	return found;
}

static int load_module(const char *name)
{
	char path[300];
	int fd, rc;

	snprintf(path, sizeof(path), "/lib/modules/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* EEXIST: built in, or loaded by an earlier group */
	rc = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return rc == -EEXIST ? 0 : rc;
}

/* Modules that would not load, with why: told with missing drivers. */
static struct sbuf failed_loads;

static int load_list(const char *group)
{
	char path[256], line[256];
	int failed = 0, rc;
	FILE *f;

	snprintf(path, sizeof(path), "/etc/modules.%s", group);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] && (rc = load_module(line)) < 0) {
			sbuf_addf(&failed_loads, "%s%s (%s)",
				  failed_loads.len ? ", " : "", line,
				  strerror(-rc));
			failed++;
		}
	}
	fclose(f);
	return failed;
}

static void put_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, text, strlen(text)) < 0) {
		/* a device that went meanwhile: nothing to bind */
	}
	close(fd);
}

/*
 * device_dax, built in, binds every new dax device the moment it appears
 * and maps all its memory, before kmem can have it (under 6.1 a CXL
 * region's dax device then fails both: "memory add failed", EEXIST).  Its
 * module is loaded late for that reason (build-image.sh); built in, the
 * dax bus's automatic binding is held the same way until the "dax" group
 * is asked for, while daxctl binds kmem explicitly.
 */
static bool dax_held;

static void hold_device_dax(void)
{
	if (!exists("/sys/bus/dax/drivers/device_dax"))
		return;
	put_file("/sys/bus/dax/drivers_autoprobe", "0");
	dax_held = true;
}

static void release_device_dax(void)
{
	DIR *d;
	struct dirent *e;

	if (!dax_held)
		return;
	dax_held = false;
	put_file("/sys/bus/dax/drivers_autoprobe", "1");
	/* what appeared meanwhile and no driver took */
	d = opendir("/sys/bus/dax/devices");
	while (d && (e = readdir(d))) {
		char drv[300];

		if (e->d_name[0] == '.')
			continue;
		snprintf(drv, sizeof(drv), "/sys/bus/dax/devices/%s/driver",
			 e->d_name);
		if (!exists(drv))
			put_file("/sys/bus/dax/drivers_probe", e->d_name);
	}
	if (d)
		closedir(d);
}

/* For the probe's later needs (device_dax); remembers what it loaded. */
int boot_load_group(const char *group)
{
	static const char *loaded[MAX_GROUPS];
	size_t i;

	if (!strcmp(group, "dax"))
		release_device_dax();
	for (i = 0; i < MAX_GROUPS && loaded[i]; i++)
		if (!strcmp(loaded[i], group))
			return 0;
	if (i < MAX_GROUPS)
		loaded[i] = group;
	return load_list(group);
}

static void load_chain(struct chain *c)
{
	for (size_t i = 0; i < c->n; i++)
		c->failed += load_list(c->group[i]);
}

static void add(struct chain *c, const char *group, struct sbuf *names)
{
	if (c->n < MAX_GROUPS)
		c->group[c->n++] = group;
	sbuf_addf(names, " %s", group);
}

/* Whether @path has a line equal to @line ("nodev\t9p"). */
static bool file_has_line(const char *path, const char *line)
{
	FILE *f = fopen(path, "re");
	char buf[256];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = '\0';
		found = !strcmp(buf, line);
	}
	fclose(f);
	return found;
}

/* @name (for @what) to @missing unless its driver dir @dir is there. */
static void need(struct sbuf *missing, const char *dir, const char *name,
		 const char *what)
{
	if (!exists(dir))
		sbuf_addf(missing, "%s%s (%s)", missing->len ? ", " : "", name,
			  what);
}

/*
 * The drivers the machine's hardware needs, registered by now (built in,
 * or loaded above): one that is not gets named on the console at once, so
 * `up` says so instead of waiting for what can never come.
 */
static void check_drivers(bool nvdimm, bool cxl, bool hmem)
{
	static const char *const vmem[] = { "0x1058", NULL },
				 *const serial[] = { "0x1003", "0x1043", NULL },
				 *const ninep[] = { "0x1009", "0x1049", NULL };
	struct sbuf missing = { 0 };

	if (pci_has("device", vmem))
		need(&missing, "/sys/bus/virtio/drivers/virtio_mem",
		     "virtio_mem", "virtio-mem");
	if (pci_has("device", serial))
		need(&missing, "/sys/bus/virtio/drivers/virtio_console",
		     "virtio_console", "exec's channels");
	if (pci_has("device", ninep)) {
		need(&missing, "/sys/bus/virtio/drivers/9pnet_virtio",
		     "9pnet_virtio", "the host's directories");
		if (!file_has_line("/proc/filesystems", "nodev\t9p"))
			sbuf_addf(&missing, "%s9p (the host's directories)",
				  missing.len ? ", " : "");
	}
	/* QEMU's NVDIMM root device is there for hot-plug alone; the
	 * NFIT only with NVDIMMs */
	if (nvdimm && exists("/sys/firmware/acpi/tables/NFIT")) {
		need(&missing, "/sys/bus/acpi/drivers/nfit", "nfit", "NVDIMMs");
		need(&missing, "/sys/bus/nd/drivers/nd_pmem", "nd_pmem",
		     "NVDIMMs");
	}
	if (cxl) {
		need(&missing, "/sys/bus/platform/drivers/cxl_acpi", "cxl_acpi",
		     "CXL");
		need(&missing, "/sys/bus/pci/drivers/cxl_pci", "cxl_pci",
		     "CXL");
		need(&missing, "/sys/bus/cxl/drivers/cxl_mem", "cxl_mem",
		     "CXL");
	}
	if (hmem)
		need(&missing, "/sys/bus/platform/drivers/hmem", "dax_hmem",
		     "soft-reserved memory");
	if (exists("/sys/firmware/acpi/tables/NFIT") || hmem)
		need(&missing, "/sys/bus/dax/drivers/kmem", "kmem",
		     "memory onlined as a node");
	if (missing.len) {
		char *msg = xasprintf(
			"tiervm: missing drivers: %s%s%s\n", missing.s,
			failed_loads.len ? "; modules that failed to load: "
					 : "",
			failed_loads.len ? failed_loads.s : "");

		kmsg(msg);
		free(msg);
	}
	sbuf_free(&missing);
}

static int mount_one(const char *type, const char *dir)
{
	mkdir(dir, 0755);
	if (mount(type, dir, type, MS_NOSUID | MS_NOEXEC, NULL) &&
	    errno != EBUSY)
		return -errno;
	return 0;
}

int boot_init(void)
{
	/* virtio (any virtio-pci device), 9p: transitional 0x1009, modern 0x1049 */
	static const char *const virtio[] = { "0x1af4", NULL },
				 *const ninep[] = { "0x1009", "0x1049", NULL };
	struct chain devices = { 0 }, memory = { 0 };
	struct sbuf names = { 0 };
	bool nvdimm, cxl, hmem;
	int rc;

	if (getpid() != 1)
		return 0;
	if ((rc = mount_one("proc", "/proc")) ||
	    (rc = mount_one("sysfs", "/sys")))
		return rc;
	mkdir("/dev", 0755);
	if (mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, NULL) &&
	    errno != EBUSY)
		return -errno;
	/* what a shell init had: the tools are run by name */
	setenv("PATH", "/sbin:/usr/sbin:/bin:/usr/bin", 0);
	kmsg("tiervm: init\n");

	add(&devices, "power", &names);
	if (pci_has("vendor", virtio))
		add(&devices, "virtio", &names);
	if (pci_has("device", ninep))
		add(&devices, "9p", &names);
	/* QEMU's NVDIMM root device (ACPI0012) is there even before a hot-plug */
	nvdimm = exists("/sys/firmware/acpi/tables/NFIT") ||
		 dir_has("/sys/bus/acpi/devices", "ACPI0012:");
	cxl = exists("/sys/firmware/acpi/tables/CEDT");
	hmem = iomem_has("Soft Reserved");
	if (nvdimm)
		add(&memory, "nvdimm", &names);
	if (iomem_has("Persistent Memory (legacy)"))
		add(&memory, "legacy", &names);
	if (cxl)
		add(&memory, "cxl", &names);
	if (hmem)
		add(&memory, "hmem", &names);

	load_chain(&devices);
	load_chain(&memory);
	hold_device_dax();
	check_drivers(nvdimm, cxl, hmem);

	{
		int failed = devices.failed + memory.failed;
		char *msg = xasprintf("tiervm: modules loaded:%s%s\n", names.s,
				      failed ? " (some failed to load)" : "");

		kmsg(msg);
		free(msg);
	}
	sbuf_free(&names);
	return 0;
}
