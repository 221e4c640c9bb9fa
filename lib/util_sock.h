/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_UTIL_SOCK_H
#define TIERVM_UTIL_SOCK_H

#include "util_error.h"

/**
 * tiervm_unix_connect - a stream socket connected to the unix socket at
 * @path (close-on-exec); -1 with *errp naming the path on failure.
 */
int tiervm_unix_connect(const char *path, tiervm_error **errp);

/**
 * tiervm_unix_listen - a non-blocking stream socket listening at @path
 * (close-on-exec), which must not exist; -1 with *errp on failure.
 */
int tiervm_unix_listen(const char *path, tiervm_error **errp);

#endif
