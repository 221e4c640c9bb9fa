// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The guest kernel before anything boots: which image, which config, which
 * modules, and whether they belong together.  A kernel developer's build
 * tree is read where make left it (arch/x86/boot/bzImage, vmlinux, .config,
 * modules.order, modules.builtin, the .ko files), with nothing installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "kernel.h"

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The first line of @path, or NULL. */
static char *first_line(const char *path)
{
	FILE *f = fopen(path, "re");
	char buf[256];
	char *line = NULL;

	if (!f)
		return NULL;
	if (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = '\0';
		line = xstrdup(buf);
	}
	fclose(f);
	return line;
}

/* A module's name as the kernel knows it: basename, no suffix, '_'. */
static char *module_name(const char *path)
{
	const char *base = strrchr(path, '/');
	char *name = xstrdup(base ? base + 1 : path), *dot = strchr(name, '.');

	if (dot)
		*dot = '\0';
	for (char *p = name; *p; p++)
		if (*p == '-')
			*p = '_';
	return name;
}

/*
 * The x86 boot protocol's setup header gives the image's own length
 * (setup sectors and the protected-mode part's 16-byte paragraphs), and
 * the kernel's build appends a CRC-32 of everything before it
 * (arch/x86/boot/tools/build.c): a truncated or damaged copy is caught
 * here and not as a guest that never prints a line.  A signed image is
 * longer than its header says, and only its length can be checked.
 */
static bool check_bzimage(const char *image, tiervm_error **errp)
{
	unsigned char hdr[0x200 + 0x30], *buf = NULL;
	uint64_t setup, need;
	uint32_t stored, crc;
	struct stat st;
	bool ok = false;
	int fd = open(image, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		tiervm_error_set_errno(errp, errno, "cannot read %s", image);
		goto out;
	}
	if (pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) ||
	    memcmp(hdr + 0x202, "HdrS", 4)) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"%s is not a bzImage (no x86 boot header); give arch/x86/boot/bzImage or the build tree",
			image);
		goto out;
	}
	setup = (hdr[0x1f1] ? hdr[0x1f1] : 4) + 1u;
	need = setup * 512 + 16ull * (hdr[0x1f4] | hdr[0x1f5] << 8 |
				      hdr[0x1f6] << 16 |
				      (uint32_t)hdr[0x1f7] << 24);
	if ((uint64_t)st.st_size < need) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"%s is truncated: %lld bytes, its header says %llu; copy or build it again",
			image, (long long)st.st_size, (unsigned long long)need);
		goto out;
	}
	/* signed for Secure Boot (Debian's are): the signing tool rewrote
	 * the PE header and appended its certificate, so the build's CRC no
	 * longer holds; only the length is checked */
	if ((uint64_t)st.st_size > need) {
		ok = true;
		goto out;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf || pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		tiervm_error_set_errno(errp, errno, "cannot read %s", image);
		goto out;
	}
	/* the build's CRC starts at ~0 and is stored without the final
	 * inversion zlib applies */
	crc = ~(uint32_t)crc32(0, buf, (uInt)(need - 4));
	stored = buf[need - 4] | buf[need - 3] << 8 | buf[need - 2] << 16 |
		 (uint32_t)buf[need - 1] << 24;
	if (crc != stored) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"%s is damaged: its CRC-32 is %08x, the build stored %08x; copy or build it again",
			image, crc, stored);
		goto out;
	}
	ok = true;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return ok;
}

/* An ELF file whose section table lies within it: a whole vmlinux. */
static bool check_vmlinux(const char *path, tiervm_error **errp)
{
	unsigned char e[64];
	uint64_t shoff, end;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0 && fstat(fd, &st) == 0 &&
		  pread(fd, e, sizeof(e), 0) == (ssize_t)sizeof(e) &&
		  !memcmp(e, "\177ELF", 4) && e[4] == 2;

	if (fd >= 0)
		close(fd);
	if (!ok) {
		tiervm_error_set(errp, TIERVM_E_INPUT,
				 "%s is not a 64-bit ELF kernel (vmlinux)",
				 path);
		return false;
	}
	memcpy(&shoff, e + 0x28, sizeof(shoff));
	end = shoff + (uint64_t)(e[0x3a] | e[0x3b] << 8) *
			      (uint64_t)(e[0x3c] | e[0x3d] << 8);
	if (end > (uint64_t)st.st_size) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"%s is truncated: %lld bytes, its section table ends at %llu; build it again",
			path, (long long)st.st_size, (unsigned long long)end);
		return false;
	}
	return true;
}

/* "CONFIG_X=y" and "=m" lines, and the release its header names. */
static void read_config(struct tiervm_kernel *k)
{
	FILE *f = k->config ? fopen(k->config, "re") : NULL;
	char line[512];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char v[64];

		line[strcspn(line, "\n")] = '\0';
		/* "# Linux/x86 6.1.192 Kernel Configuration" */
		if (!k->config_version &&
		    sscanf(line, "# Linux/%*s %63s Kernel Configuration", v) ==
			    1)
			k->config_version = xstrdup(v);
		if (!strncmp(line, "CONFIG_", 7) && strchr(line, '='))
			strv_push(&k->options, xstrdup(line));
	}
	fclose(f);
}

/* Whether releases "6.1.192" and "6.1.0-13-amd64" are the same major.minor. */
static bool same_series(const char *a, const char *b)
{
	unsigned am, an, bm, bn;

	return sscanf(a, "%u.%u", &am, &an) == 2 &&
	       sscanf(b, "%u.%u", &bm, &bn) == 2 && am == bm && an == bn;
}

/*
 * The modules a list under @dir names (modules.order, modules.dep,
 * modules.builtin): their names into @names, their files into @paths.
 */
static void read_list(const char *dir, const char *file, struct strv *names,
		      struct strv *paths)
{
	char *path = xasprintf("%s/%s", dir, file), line[512];
	FILE *f = fopen(path, "re");

	free(path);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		size_t n;

		line[strcspn(line, "\n")] = '\0';
		/* "kernel/drivers/x.ko.xz: deps" in modules.dep */
		line[strcspn(line, ":")] = '\0';
		if (!*line)
			continue;
		if (names)
			strv_push(names, module_name(line));
		if (!paths)
			continue;
		/* 6.3 and later list x.o, the .ko is beside it */
		n = strlen(line);
		if (n > 2 && !strcmp(line + n - 2, ".o"))
			line[n - 2] = '\0';
		strv_pushf(paths, "%s/%s%s", dir, line,
			   strstr(line, ".ko") ? "" : ".ko");
	}
	fclose(f);
}

static bool open_modules(struct tiervm_kernel *k, const char *dir,
			 tiervm_error **errp)
{
	char *lib = xasprintf("%s/lib/modules", dir),
	     *rel = xasprintf("%s/%s", lib, k->release);
	char *copy = xstrdup(dir);
	const char *base = basename(copy);
	bool ok = false;

	if (!is_dir(dir)) {
		tiervm_error_set(errp, TIERVM_E_INPUT,
				 "--modules %s: no such directory", dir);
	} else if (is_dir(rel)) {
		k->modules = xstrdup(rel);
		ok = true;
	} else if (is_dir(lib)) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"--modules %s: no lib/modules/%s in it, the release of %s; its modules are of another release",
			dir, k->release, k->image);
	} else if (strcmp(base, k->release)) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"--modules %s: neither lib/modules/%s nor a directory of that name; its modules are of another release than %s, or none",
			dir, k->release, k->image);
	} else {
		k->modules = xstrdup(dir);
		ok = true;
	}
	free(copy);
	free(lib);
	free(rel);
	return ok;
}

static void list_modules(struct tiervm_kernel *k, struct strv *paths)
{
	char *dep;

	read_list(k->modules, "modules.builtin", &k->builtin, NULL);
	if (k->modules_in_tree) {
		read_list(k->modules, "modules.order", NULL, paths);
		return;
	}
	/* installed: modules.dep names every file, compressed or not */
	dep = xasprintf("%s/modules.dep", k->modules);
	read_list(k->modules, is_file(dep) ? "modules.dep" : "modules.order",
		  NULL, paths);
	free(dep);
}

/* A build tree: what make left, checked against itself. */
static bool open_tree(struct tiervm_kernel *k, const char *dir,
		      tiervm_error **errp)
{
	char *bz = xasprintf("%s/arch/x86/boot/bzImage", dir),
	     *vm = xasprintf("%s/vmlinux", dir),
	     *relfile = xasprintf("%s/include/config/kernel.release", dir),
	     *order = xasprintf("%s/modules.order", dir);
	char *tree_release = first_line(relfile);
	bool ok = false;

	k->kind = TIERVM_KERNEL_TREE;
	if (!is_file(bz) && !is_file(vm)) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"%s is a directory without arch/x86/boot/bzImage or vmlinux: build the kernel there first (make bzImage modules)",
			dir);
		goto out;
	}
	if (is_file(bz)) {
		if (!check_bzimage(bz, errp))
			goto out;
		k->image = bz;
		bz = NULL;
		k->release = tiervm_kernel_release(k->image);
	}
	if (tree_release && k->release && strcmp(tree_release, k->release)) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"%s is Linux %s but the tree is configured for %s (include/config/kernel.release): rebuild it (make bzImage modules)",
			k->image, k->release, tree_release);
		goto out;
	}
	if (!k->release && tree_release)
		k->release = xstrdup(tree_release);
	k->config = xasprintf("%s/.config", dir);
	if (!is_file(k->config)) {
		strv_push(&k->looked, k->config);
		k->config = NULL;
	}
	read_config(k);
	if (is_file(vm) && (!k->config || tiervm_kernel_opt(k, "CONFIG_PVH") ==
						  TIERVM_KOPT_YES)) {
		if (!check_vmlinux(vm, errp))
			goto out;
		k->vmlinux = vm;
		vm = NULL;
	}
	if (!k->image && !k->vmlinux) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"%s has a vmlinux but no arch/x86/boot/bzImage, and its config lacks CONFIG_PVH, which booting a vmlinux needs: make bzImage",
			dir);
		goto out;
	}
	if (is_file(order)) {
		k->modules = xstrdup(dir);
		k->modules_in_tree = true;
	}
	ok = true;
out:
	free(bz);
	free(vm);
	free(relfile);
	free(order);
	free(tree_release);
	return ok;
}

/* A bzImage: its config and modules where its build or install put them. */
static bool open_image(struct tiervm_kernel *k, const char *image,
		       const char *modules, tiervm_error **errp)
{
	char *sys;

	k->kind = TIERVM_KERNEL_IMAGE;
	if (!check_bzimage(image, errp))
		return false;
	k->image = xstrdup(image);
	k->release = tiervm_kernel_release(image);
	if (!k->release)
		k->release = xstrdup("unknown");
	k->config = tiervm_kernel_find_config(image, k->release, &k->looked);
	read_config(k);
	if (modules)
		return open_modules(k, modules, errp);
	sys = xasprintf("/lib/modules/%s", k->release);
	if (is_dir(sys))
		k->modules = sys;
	else
		free(sys);
	return true;
}

bool tiervm_kernel_open(const char *choice, const char *modules,
			struct tiervm_kernel *k, tiervm_error **errp)
{
	struct strv paths = { 0 };
	bool ok = false;

	memset(k, 0, sizeof(*k));
	k->choice = xstrdup(choice);
	if (!strcmp(choice, "auto") || !strcmp(choice, "debian-stable") ||
	    !strcmp(choice, "debian-backports")) {
		k->kind = TIERVM_KERNEL_DEBIAN;
		if (modules) {
			tiervm_error_set(
				errp, TIERVM_E_INPUT,
				"--modules goes with a bzImage of your own; Debian's kernel %s brings its modules",
				choice);
			goto out;
		}
		return true;
	}
	if (choice[0] != '/' && choice[0] != '.') {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"'%s' is not auto, debian-stable, debian-backports, a bzImage or a kernel build tree (a path starts with / or .)",
			choice);
		goto out;
	}
	if (is_dir(choice)) {
		if (modules) {
			tiervm_error_set(
				errp, TIERVM_E_INPUT,
				"--modules goes with a bzImage; the build tree %s has its modules in it",
				choice);
			goto out;
		}
		if (!open_tree(k, choice, errp))
			goto out;
	} else if (access(choice, F_OK)) {
		tiervm_error_set(errp, TIERVM_E_INPUT,
				 "%s: no such file or directory", choice);
		goto out;
	} else if (!open_image(k, choice, modules, errp)) {
		goto out;
	}
	if (k->config_version && k->release && strcmp(k->release, "unknown") &&
	    !same_series(k->config_version, k->release)) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"%s is the configuration of Linux %s, and the image is Linux %s",
			k->config, k->config_version, k->release);
		goto out;
	}
	if (k->modules)
		list_modules(k, &paths);
	/* a module listed but not built is no module */
	for (size_t i = 0; i < paths.n; i++)
		if (is_file(paths.v[i]))
			strv_push(&k->module_files, xstrdup(paths.v[i]));
	ok = true;
out:
	strv_free(&paths);
	if (!ok)
		tiervm_kernel_clear(k);
	return ok;
}

void tiervm_kernel_clear(struct tiervm_kernel *k)
{
	free(k->choice);
	free(k->image);
	free(k->vmlinux);
	free(k->release);
	free(k->config);
	free(k->config_version);
	free(k->modules);
	strv_free(&k->looked);
	strv_free(&k->options);
	strv_free(&k->module_files);
	strv_free(&k->builtin);
	memset(k, 0, sizeof(*k));
}

enum tiervm_kopt tiervm_kernel_opt(const struct tiervm_kernel *k,
				   const char *option)
{
	size_t len = strlen(option);

	if (!k->config)
		return TIERVM_KOPT_UNKNOWN;
	for (size_t i = 0; i < k->options.n; i++) {
		const char *l = k->options.v[i];

		if (strncmp(l, option, len) || l[len] != '=')
			continue;
		return l[len + 1] == 'y'   ? TIERVM_KOPT_YES
		       : l[len + 1] == 'm' ? TIERVM_KOPT_MODULE
					   : TIERVM_KOPT_NO;
	}
	return TIERVM_KOPT_NO;
}

bool tiervm_kernel_has_module(const struct tiervm_kernel *k, const char *name)
{
	for (size_t i = 0; i < k->module_files.n; i++) {
		char *n = module_name(k->module_files.v[i]);
		bool match;

		match = !strcmp(n, name);
		free(n);
		if (match)
			return true;
	}
	return false;
}

const char *tiervm_kernel_name(const struct tiervm_kernel *k)
{
	return k->release ? k->release : k->choice;
}

static uint64_t stamp_file(const char *path, uint64_t h)
{
	struct stat st;
	uint64_t v[3] = { 0 };

	if (path && stat(path, &st) == 0) {
		v[0] = (uint64_t)st.st_size;
		v[1] = (uint64_t)st.st_mtim.tv_sec;
		v[2] = (uint64_t)st.st_mtim.tv_nsec;
	}
	if (path)
		h = tiervm_fnv1a(h, path, strlen(path));
	h = tiervm_fnv1a(h, v, sizeof(v));
	return h;
}

uint64_t tiervm_kernel_stamp(const struct tiervm_kernel *k, uint64_t h)
{
	h = stamp_file(k->image, h);
	h = stamp_file(k->vmlinux, h);
	h = stamp_file(k->config, h);
	for (size_t i = 0; i < k->module_files.n; i++)
		h = stamp_file(k->module_files.v[i], h);
	if (k->modules) {
		char *b = xasprintf("%s/modules.builtin", k->modules);

		h = stamp_file(b, h);
		free(b);
	}
	return h;
}
