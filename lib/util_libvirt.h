/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_UTIL_LIBVIRT_H
#define TIERVM_UTIL_LIBVIRT_H

#include <libvirt/libvirt.h>
#include <stdbool.h>

#include "util_error.h"

/** tiervm_libvirt_embedded - @uri is the daemon-less embedded driver. */
bool tiervm_libvirt_embedded(const char *uri);

/**
 * tiervm_libvirt_connect - a connection to @uri (close it when done), its
 * failure one line that says libvirtd may not be running.  libvirt's own
 * printing to stderr is turned off.
 */
virConnectPtr tiervm_libvirt_connect(const char *uri, tiervm_error **errp);

/**
 * tiervm_libvirt_open - a connection of the caller's own to @uri, never
 * the process's shared one (a forked process must not use its parent's).
 */
virConnectPtr tiervm_libvirt_open(const char *uri, tiervm_error **errp);

/**
 * tiervm_libvirt_remote - @uri names a host (qemu+ssh://host/system):
 * nothing of this machine's files is there.
 */
bool tiervm_libvirt_remote(const char *uri);

/** tiervm_libvirt_error - libvirt's last error, first line, after @what. */
void tiervm_libvirt_error(tiervm_error **errp, int code, const char *what);

#endif
