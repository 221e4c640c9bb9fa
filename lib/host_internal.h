/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_HOST_INTERNAL_H
#define TIERVM_HOST_INTERNAL_H

#include "host.h"
#include "host_sysfs.h"
#include "util.h"

#define NODE_DIR "/sys/devices/system/node"

/* One discovery run: host.c reads nodes, host_devices.c the rest. */
struct disc {
	struct tiervm_fsroot root;
	struct tiervm_host *h;
	struct sbuf notes;
};

void host_note(struct disc *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* NULL when missing or unreadable */
char *host_readf(struct disc *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* UINT64_MAX when missing or malformed */
uint64_t host_readu(struct disc *d, const char *path);
bool host_name_num(const char *name, const char *prefix, unsigned *out);

void host_read_devices(struct disc *d);
void host_classify(struct disc *d);

#endif
