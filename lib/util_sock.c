// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util_sock.h"

static bool unix_addr(struct sockaddr_un *sa, const char *path,
		      tiervm_error **errp)
{
	if (strlen(path) >= sizeof(sa->sun_path)) {
		tiervm_error_setg(errp, "%s: socket path too long", path);
		return false;
	}
	strcpy(sa->sun_path, path);
	return true;
}

int tiervm_unix_listen(const char *path, tiervm_error **errp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (!unix_addr(&sa, path, errp))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		tiervm_error_set_errno(errp, errno, "socket");
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 4) < 0) {
		tiervm_error_set_errno(errp, errno, "cannot listen on %s",
				       path);
		close(fd);
		return -1;
	}
	return fd;
}

int tiervm_unix_connect(const char *path, tiervm_error **errp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (!unix_addr(&sa, path, errp))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		tiervm_error_set_errno(errp, errno, "socket");
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		tiervm_error_set_errno(errp, errno, "cannot connect to %s",
				       path);
		close(fd);
		return -1;
	}
	return fd;
}
