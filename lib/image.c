// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The guest image cache ($XDG_CACHE_HOME/tiervm): one directory per kernel
 * choice and probe build, made by the image builder script on first use.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util_proc.h"
#include "image.h"
#include "kernel.h"
#include "util.h"

#ifndef TIERVM_LIBEXECDIR
#define TIERVM_LIBEXECDIR "/usr/local/libexec/tiervm"
#endif

/* Helpers sit beside the tiervm binary in a build tree, else in libexec. */
char *tiervm_helper_path(const char *name)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *path;

	if (n > 0) {
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		path = xasprintf("%s/%s", exe, name);
		if (access(path, X_OK) == 0)
			return path;
		free(path);
	}
	return xasprintf("%s/%s", TIERVM_LIBEXECDIR, name);
}

char *tiervm_cache_base(void)
{
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (x && *x)
		return xasprintf("%s/tiervm", x);
	return xasprintf("%s/.cache/tiervm", home && *home ? home : "/tmp");
}

/* FNV-1a over a file: a changed probe or builder makes a new image. */
static uint64_t file_hash(const char *path, uint64_t h)
{
	unsigned char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return h;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		h = tiervm_fnv1a(h, buf, (size_t)n);
	close(fd);
	return h;
}

/*
 * A file's content hash, remembered in the cache under what identifies
 * that version of the file (device, inode, size, change time), so that a
 * 60 MB vmlinux is read once, not at every start.
 */
bool tiervm_content_hash(const char *path, uint64_t *hash, tiervm_error **errp)
{
	struct stat st;
	uint64_t id = 0xcbf29ce484222325ULL;
	char *base, *memo;
	FILE *f;

	if (stat(path, &st) < 0) {
		tiervm_error_set_errno(errp, errno, "%s", path);
		return false;
	}
	id = tiervm_fnv1a(id, &st.st_dev, sizeof(st.st_dev));
	id = tiervm_fnv1a(id, &st.st_ino, sizeof(st.st_ino));
	id = tiervm_fnv1a(id, &st.st_size, sizeof(st.st_size));
	id = tiervm_fnv1a(id, &st.st_ctim, sizeof(st.st_ctim));
	base = tiervm_cache_base();
	memo = xasprintf("%s/content/%016" PRIx64, base, id);
	free(base);
	f = fopen(memo, "re");
	if (f) {
		bool ok = fscanf(f, "%" SCNx64, hash) == 1;

		fclose(f);
		if (ok) {
			free(memo);
			return true;
		}
	}
	*hash = file_hash(path, 0xcbf29ce484222325ULL);
	if (tiervm_mkdir_p(memo) && (f = fopen(memo, "we"))) {
		fprintf(f, "%016" PRIx64 "\n", *hash);
		fclose(f);
	}
	free(memo);
	return true;
}

static char *slurp_line(const char *path)
{
	FILE *f = fopen(path, "re");
	char buf[256] = "";

	if (!f)
		return xstrdup("unknown");
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return xstrdup(*buf ? buf : "unknown");
}

/*
 * An image is keyed by the probe and builder it was made with; once a new
 * one is built, older images of the same kernel choice are dead weight
 * (about 15M each) and go.  Only tiervm's own cache is touched.
 */
static void drop_stale(const char *base, const char *fresh)
{
	char *images = xasprintf("%s/images", base);
	const char *name = strrchr(fresh, '/') + 1;
	size_t prefix = (size_t)(strrchr(name, '-') - name) + 1;
	struct dirent *de;
	DIR *d = opendir(images);

	while (d && (de = readdir(d))) {
		char *path, *argv[4];
		char *out = NULL;
		int status, busy;

		if (strncmp(de->d_name, name, prefix) ||
		    !strcmp(de->d_name, name) || strstr(de->d_name, ".lock") ||
		    strlen(de->d_name) != strlen(name))
			continue;
		/* one being built or booted holds its lock: left for later */
		path = xasprintf("%s/%s.lock", images, de->d_name);
		busy = open(path, O_RDWR | O_CLOEXEC);
		if (busy >= 0 && flock(busy, LOCK_EX | LOCK_NB) < 0) {
			close(busy);
			free(path);
			continue;
		}
		unlink(path);
		free(path);
		path = xasprintf("%s/%s", images, de->d_name);
		argv[0] = "rm";
		argv[1] = "-rf";
		argv[2] = path;
		argv[3] = NULL;
		if (tiervm_run_capture(argv, &out, &status, NULL))
			free(out);
		free(path);
		if (busy >= 0)
			close(busy);
	}
	if (d)
		closedir(d);
	free(images);
}

bool tiervm_image_get(const struct tiervm_kernel *k, bool uefi,
		      struct tiervm_image *img, tiervm_error **errp)
{
	char *probe = tiervm_helper_path("tiervm-probe"),
	     *builder = tiervm_helper_path("tiervm-build-image");
	char *base = tiervm_cache_base(), *dir = NULL, *lock = NULL,
	     *out = NULL;
	const char *kind =
		!strcmp(k->choice, "auto") ? "debian-stable" : k->choice;
	uint64_t h = 0xcbf29ce484222325ULL;
	bool ok = false;
	int fd = -1, status;

	memset(img, 0, sizeof(*img));
	img->lock_fd = -1;
	h = file_hash(probe, h);
	h = file_hash(builder, h);
	{
		char *capture = tiervm_helper_path("tiervm-capture");

		h = file_hash(capture, h);
		free(capture);
	}
	if (k->kind == TIERVM_KERNEL_DEBIAN) {
		dir = xasprintf("%s/images/%s-%016llx", base, kind,
				(unsigned long long)h);
	} else {
		/* keyed by where it is from, then by what it was made of:
		 * a rebuilt tree replaces its own image, not another's */
		uint64_t where = tiervm_fnv1a(0xcbf29ce484222325ULL, k->choice,
					      strlen(k->choice));
		h = tiervm_kernel_stamp(k, h);
		if (k->image)
			h = file_hash(k->image, h);
		dir = xasprintf("%s/images/custom-%08llx-%016llx", base,
				(unsigned long long)(where & 0xffffffffu),
				(unsigned long long)h);
	}
	if (!tiervm_mkdir_p(dir)) {
		tiervm_error_set_errno(errp, errno, "cannot create %s", dir);
		goto out;
	}
	/* shared to use it, exclusive to build it: two `up`s building the
	 * same image at once would race */
	lock = xasprintf("%s.lock", dir);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_SH) < 0) {
		tiervm_error_set_errno(errp, errno, "cannot lock %s", lock);
		goto out;
	}
	img->kernel = xasprintf("%s/vmlinuz", dir);
	img->initrd = xasprintf("%s/initrd.img", dir);
	if ((access(img->kernel, R_OK) || access(img->initrd, R_OK)) &&
	    flock(fd, LOCK_EX) < 0) {
		tiervm_error_set_errno(errp, errno, "cannot lock %s", lock);
		goto out;
	}
	if (access(img->kernel, R_OK) || access(img->initrd, R_OK)) {
		char *argv[] = { builder,
				 (char *)(k->kind == TIERVM_KERNEL_DEBIAN ? kind
					  : k->image ? k->image
						     : ""),
				 probe,
				 dir,
				 k->release ? k->release : "",
				 k->modules ? k->modules : "",
				 k->vmlinux ? k->vmlinux : "",
				 NULL };

		if (!tiervm_run_capture(argv, &out, &status, errp))
			goto out;
		if (status != 0) {
			tiervm_error_setg(
				errp, "building the guest image failed:\n%s",
				out);
			goto out;
		}
		img->built = true;
		drop_stale(base, dir);
	}
	{
		char *rel = xasprintf("%s/kernel-release", dir),
		     *vmlinux = xasprintf("%s/vmlinux", dir);

		img->release = slurp_line(rel);
		free(rel);
		/* the builder made it only for a kernel with CONFIG_PVH;
		 * firmware boots the bzImage through its EFI stub */
		if (!uefi && access(vmlinux, R_OK) == 0) {
			free(img->kernel);
			img->kernel = vmlinux;
			img->pvh = true;
		} else {
			free(vmlinux);
		}
	}
	/*
	 * Held shared while the caller boots from it, so that another
	 * tiervm's drop_stale() (one built from other sources, sharing the
	 * cache) leaves it alone.
	 */
	ok = flock(fd, LOCK_SH) == 0;
	if (ok) {
		img->lock_fd = fd;
		fd = -1;
	}
out:
	if (fd >= 0)
		close(fd);
	if (!ok)
		tiervm_image_clear(img);
	free(out);
	free(lock);
	free(dir);
	free(base);
	free(probe);
	free(builder);
	return ok;
}

void tiervm_image_clear(struct tiervm_image *img)
{
	if (img->lock_fd > 0)
		close(img->lock_fd);
	free(img->kernel);
	free(img->initrd);
	free(img->release);
	memset(img, 0, sizeof(*img));
}
