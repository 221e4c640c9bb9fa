/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_KERNEL_H
#define TIERVM_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "image_kconfig.h"
#include "util.h"
#include "util_error.h"

/*
 * The guest kernel as guest.kernel (or --kernel) names it: one of Debian's,
 * fetched by the image builder; a bzImage, with modules beside it in
 * guest.modules (--modules); or a kernel build tree, which is all three at
 * once (image, .config and modules, with nothing installed).
 */
enum tiervm_kernel_kind {
	TIERVM_KERNEL_DEBIAN, /* debian-stable, debian-backports, auto */
	TIERVM_KERNEL_IMAGE,  /* a bzImage file */
	TIERVM_KERNEL_TREE,   /* a build tree */
};

struct tiervm_kernel {
	enum tiervm_kernel_kind kind;
	char *choice;  /* as written: "debian-stable", a path */
	char *image;   /* the bzImage; NULL for Debian's */
	char *vmlinux; /* a tree built with CONFIG_PVH: booted directly */
	char *release; /* from the image's header; NULL for Debian's */
	char *config;  /* the config read, NULL when none was found */
	char *config_version; /* the release its header names, or NULL */
	/* where the config was looked for, for the warning when none was */
	struct strv looked;
	/*
	 * The modules: the tree itself (found through modules.order) or
	 * an installed lib/modules/RELEASE; NULL when there are none.
	 */
	char *modules;
	bool modules_in_tree;
	/* the config's "CONFIG_X=y|m" lines; the module files there; the
	 * names modules.builtin gives */
	struct strv options, module_files, builtin;
};

/**
 * tiervm_kernel_open - resolve @choice ("debian-stable", a bzImage, a
 * build tree) with @modules (NULL, an INSTALL_MOD_PATH tree or a
 * lib/modules/RELEASE directory).  Errors say what is wrong with the
 * kernel itself: no image, not a bzImage, truncated, a config or modules
 * of another release.
 */
bool tiervm_kernel_open(const char *choice, const char *modules,
			struct tiervm_kernel *k, tiervm_error **errp);
void tiervm_kernel_clear(struct tiervm_kernel *k);

/** tiervm_kernel_opt - @option ("CONFIG_VIRTIO_MEM") as the config has it. */
enum tiervm_kopt tiervm_kernel_opt(const struct tiervm_kernel *k,
				   const char *option);

/** tiervm_kernel_has_module - whether module @name's file is there. */
bool tiervm_kernel_has_module(const struct tiervm_kernel *k, const char *name);

/** tiervm_kernel_name - its release, for messages; else what was written. */
const char *tiervm_kernel_name(const struct tiervm_kernel *k);

/**
 * tiervm_kernel_stamp - a hash of what an image built from @k used (size
 * and modification time of the image, config and every module), so a
 * rebuilt tree makes a new image and an unchanged one reuses it.
 */
uint64_t tiervm_kernel_stamp(const struct tiervm_kernel *k, uint64_t h);

#endif
