/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_IMAGE_H
#define TIERVM_IMAGE_H

#include <stdbool.h>

#include "util_error.h"

/* A guest image: kernel, initrd and the kernel release they carry. */
struct tiervm_image {
	char *kernel, *initrd, *release;
	bool built; /* false when reused from the cache */
	/* kernel is the uncompressed vmlinux, booted at its PVH entry: the
	 * bzImage's decompressor takes seconds under TCG */
	bool pvh;
};

/**
 * tiervm_image_get - the cached image for @kernel_choice ("auto",
 * "debian-stable", "debian-backports" or a bzImage path), built on first use.
 */
bool tiervm_image_get(const char *kernel_choice, struct tiervm_image *img,
		      tiervm_error **errp);
void tiervm_image_clear(struct tiervm_image *img);

/**
 * tiervm_helper_path - where tiervm's helper @name is: beside the tiervm
 * binary in a build tree, else in libexec.  Freed by the caller.
 */
char *tiervm_helper_path(const char *name);

#endif
