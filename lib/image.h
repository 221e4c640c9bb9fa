/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_IMAGE_H
#define TIERVM_IMAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "util_error.h"

/* A guest image: kernel, initrd and the kernel release they carry. */
struct tiervm_image {
	char *kernel, *initrd, *release;
	bool built; /* false when reused from the cache */
	/* kernel is the uncompressed vmlinux, booted at its PVH entry: the
	 * bzImage's decompressor takes seconds under TCG */
	bool pvh;
	/* its lock, held shared until tiervm_image_clear() (0 or -1: none) */
	int lock_fd;
};

struct tiervm_kernel;

/**
 * tiervm_image_get - the cached image for kernel @k (Debian's, a bzImage
 * with its modules, or a build tree), built on first use and again when
 * anything it was made of changed.  @uefi: the plan boots through UEFI
 * firmware, which takes the bzImage, never the PVH entry.
 */
bool tiervm_image_get(const struct tiervm_kernel *k, bool uefi,
		      struct tiervm_image *img, tiervm_error **errp);
void tiervm_image_clear(struct tiervm_image *img);

/**
 * tiervm_content_hash - FNV-1a of @path's content, read once per version
 * of the file and remembered in the image cache.
 */
bool tiervm_content_hash(const char *path, uint64_t *hash, tiervm_error **errp);

/**
 * tiervm_helper_path - where tiervm's helper @name is: beside the tiervm
 * binary in a build tree, else in libexec.  Freed by the caller.
 */
char *tiervm_helper_path(const char *name);

/** tiervm_cache_base - $XDG_CACHE_HOME/tiervm, else ~/.cache/tiervm. */
char *tiervm_cache_base(void);

#endif
