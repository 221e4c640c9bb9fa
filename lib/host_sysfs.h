/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_HOST_SYSFS_H
#define TIERVM_HOST_SYSFS_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>

#include "util_error.h"

/*
 * The only way tiervm reads host /sys and /proc: every path is relative to a
 * root directory fd, as hwloc does with HWLOC_FSROOT, so discovery runs the
 * same on the live host and on a captured tree.
 */
struct tiervm_fsroot {
	int fd;
	char *path;
};

bool tiervm_fsroot_open(struct tiervm_fsroot *root, const char *path,
			tiervm_error **errp);
void tiervm_fsroot_close(struct tiervm_fsroot *root);

/* Whole small file, trailing newline stripped; NULL with errp on failure. */
char *tiervm_fs_read(const struct tiervm_fsroot *root, const char *path,
		     tiervm_error **errp);
/* A sysfs number, decimal or 0x-prefixed hex, as tiervm_fs_read_u64(). */
bool tiervm_fs_parse_u64(const char *s, uint64_t *out);
bool tiervm_fs_read_u64(const struct tiervm_fsroot *root, const char *path,
			uint64_t *out, tiervm_error **errp);
/* Directory entries (no . and ..), sorted; *n_out entries, NULL-terminated. */
char **tiervm_fs_list(const struct tiervm_fsroot *root, const char *path,
		      unsigned *n_out, tiervm_error **errp);
bool tiervm_fs_exists(const struct tiervm_fsroot *root, const char *path);
/* A symlink's target; NULL when not a symlink. */
char *tiervm_fs_readlink(const struct tiervm_fsroot *root, const char *path);
/* The last component of a symlink's target ("../../nd/ndbus0" -> "ndbus0") */
char *tiervm_fs_link_name(const struct tiervm_fsroot *root, const char *path);

#endif
