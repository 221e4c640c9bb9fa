/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_QEMU_CAPS_H
#define TIERVM_QEMU_CAPS_H

#include <stdbool.h>

#include "util_error.h"

/*
 * What the installed QEMU can do, asked of the binary itself rather than
 * assumed from its version where QEMU can tell (-device X,help).
 */
struct tiervm_qemu_caps {
	char *binary;
	unsigned major, minor, micro;
	bool machine_q35, machine_pc;
	bool cxl_volatile;	    /* cxl-type3 volatile-memdev (8.0+) */
	bool cxl_persistent_memdev; /* its name for memdev= since 8.0 */
	bool generic_port; /* -object acpi-generic-port: CXL paths in HMAT */
	bool vmem_dynamic_memslots;	  /* virtio-mem-pci dynamic-memslots */
	bool vmem_unplugged_inaccessible; /* virtio-mem-pci */
	bool kvm_usable;		  /* /dev/kvm opens read-write */
	char *ovmf; /* UEFI firmware for -bios (Debian: ovmf), or NULL */
};

/**
 * tiervm_qemu_binary - $TIERVM_QEMU, else qemu-system-x86_64 from PATH.
 * The result is not owned by the caller.
 */
const char *tiervm_qemu_binary(void);

/** tiervm_qemu_probe - fill @caps by asking the QEMU binary. */
bool tiervm_qemu_probe(struct tiervm_qemu_caps *caps, tiervm_error **errp);

/**
 * tiervm_qemu_has_libpmem - whether QEMU takes pmem=on (built with
 * libpmem).  Asked only when a plan wants it: it starts QEMU once more.
 */
bool tiervm_qemu_has_libpmem(const struct tiervm_qemu_caps *caps);

void tiervm_qemu_caps_clear(struct tiervm_qemu_caps *caps);

static inline bool tiervm_qemu_at_least(const struct tiervm_qemu_caps *c,
					unsigned major, unsigned minor)
{
	return c->major > major || (c->major == major && c->minor >= minor);
}

#endif
