/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_IMAGE_KCONFIG_H
#define TIERVM_IMAGE_KCONFIG_H

#include "util.h"

/*
 * What a user-supplied kernel was built with, where its build left a trace:
 * the release string from the bzImage's setup header, then its config
 * (config-RELEASE beside the image or in /boot, /lib/modules/RELEASE/build,
 * or the .config of the build tree the image sits in).
 */
enum tiervm_kopt {
	TIERVM_KOPT_UNKNOWN, /* no config found */
	TIERVM_KOPT_NO,
	TIERVM_KOPT_YES,    /* =y */
	TIERVM_KOPT_MODULE, /* =m */
};

/** tiervm_kernel_release - the bzImage's release ("6.1.0-13-amd64"), or NULL. */
char *tiervm_kernel_release(const char *image);

/**
 * tiervm_kernel_find_config - the config of @image (Linux @release, may be
 * NULL), or NULL; the places looked at in vain are added to @looked (may
 * be NULL).  Caller frees.
 */
char *tiervm_kernel_find_config(const char *image, const char *release,
				struct strv *looked);

/**
 * tiervm_kernel_option - whether @image was built with @option
 * ("CONFIG_EFI_FAKE_MEMMAP") set, =y or =m.  *@config (may be NULL) gets the
 * config file read, NULL when none was found; caller frees.
 */
enum tiervm_kopt tiervm_kernel_option(const char *image, const char *option,
				      char **config);

#endif
