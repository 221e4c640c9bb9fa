/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_BOOT_H
#define TIERVM_BOOT_H

/*
 * boot_init - what the guest's init does before the probe proper: mount
 * /proc, /sys and /dev, then load the drivers for the hardware this
 * machine has (the image's /etc/modules.GROUP lists).  Does nothing when
 * the probe is not pid 1.  Returns 0, or a negative errno when a mount
 * failed (a driver that does not load is left to the checks that need it).
 */
int boot_init(void);

/*
 * boot_load_group - load the drivers of @group ("dax") now, in order;
 * returns how many of them failed to load.
 */
int boot_load_group(const char *group);

#endif
