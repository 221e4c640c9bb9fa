// SPDX-License-Identifier: LGPL-2.1-or-later
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host_sysfs.h"
#include "units.h"
#include "util.h"

/* sysfs attributes are a page at most; /proc/iomem can be larger */
#define MAX_FILE (1 << 20)

bool tiervm_fsroot_open(struct tiervm_fsroot *root, const char *path,
			tiervm_error **errp)
{
	root->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root->fd < 0) {
		tiervm_error_set(errp, TIERVM_E_INPUT, "%s: cannot open: %s",
				 path, strerror(errno));
		return false;
	}
	root->path = xstrdup(path);
	return true;
}

void tiervm_fsroot_close(struct tiervm_fsroot *root)
{
	if (root->fd >= 0)
		close(root->fd);
	free(root->path);
	root->fd = -1;
	root->path = NULL;
}

static const char *rel(const char *path)
{
	while (*path == '/')
		path++;
	return *path ? path : ".";
}

char *tiervm_fs_read(const struct tiervm_fsroot *root, const char *path,
		     tiervm_error **errp)
{
	int fd = openat(root->fd, rel(path), O_RDONLY | O_CLOEXEC);
	size_t len = 0, cap = 4096;
	char *buf;
	ssize_t n;

	if (fd < 0) {
		tiervm_error_set_errno(errp, errno, "%s", path);
		return NULL;
	}
	buf = xcalloc(1, cap + 1);
	while ((n = read(fd, buf + len, cap - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			tiervm_error_set_errno(errp, errno, "%s", path);
			close(fd);
			free(buf);
			return NULL;
		}
		len += (size_t)n;
		if (len == cap) {
			if (cap >= MAX_FILE)
				break;
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
	}
	close(fd);
	buf[len] = '\0';
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = '\0';
	return buf;
}

bool tiervm_fs_parse_u64(const char *s, uint64_t *out)
{
	tiervm_error *err = NULL;
	bool ok;

	/* some attributes are hex ("0x10000000"): read those too */
	if (s[0] == '0' && s[1] == 'x') {
		char *end;

		errno = 0;
		*out = strtoull(s + 2, &end, 16);
		return !errno && end != s + 2 && !*end;
	}
	ok = tiervm_parse_u64(s, out, &err);
	tiervm_error_free(err);
	return ok;
}

bool tiervm_fs_read_u64(const struct tiervm_fsroot *root, const char *path,
			uint64_t *out, tiervm_error **errp)
{
	char *s = tiervm_fs_read(root, path, errp);
	bool ok;

	if (!s)
		return false;
	ok = tiervm_fs_parse_u64(s, out);
	if (!ok)
		tiervm_error_setg(errp, "%s: '%.40s' is not a number", path, s);
	free(s);
	return ok;
}

/* Natural order, so node10 sorts after node9 as the kernel numbers them. */
static int cmp_str(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	while (*x && *y) {
		if (isdigit((unsigned char)*x) && isdigit((unsigned char)*y)) {
			char *ex, *ey;
			unsigned long long nx = strtoull(x, &ex, 10);
			unsigned long long ny = strtoull(y, &ey, 10);

			if (nx != ny)
				return nx < ny ? -1 : 1;
			x = ex;
			y = ey;
			continue;
		}
		if (*x != *y)
			return (unsigned char)*x - (unsigned char)*y;
		x++;
		y++;
	}
	return (unsigned char)*x - (unsigned char)*y;
}

char **tiervm_fs_list(const struct tiervm_fsroot *root, const char *path,
		      unsigned *n_out, tiervm_error **errp)
{
	int fd =
		openat(root->fd, rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char **v = NULL;
	unsigned n = 0, cap = 0;
	struct dirent *de;
	DIR *dir;

	*n_out = 0;
	if (fd < 0) {
		tiervm_error_set_errno(errp, errno, "%s", path);
		return NULL;
	}
	dir = fdopendir(fd);
	if (!dir) {
		tiervm_error_set_errno(errp, errno, "%s", path);
		close(fd);
		return NULL;
	}
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n + 2 > cap) {
			cap = cap ? cap * 2 : 32;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[n++] = xstrdup(de->d_name);
	}
	closedir(dir);
	if (!v)
		v = xcalloc(1, sizeof(*v));
	v[n] = NULL;
	qsort(v, n, sizeof(*v), cmp_str);
	*n_out = n;
	return v;
}

bool tiervm_fs_exists(const struct tiervm_fsroot *root, const char *path)
{
	struct stat st;

	return fstatat(root->fd, rel(path), &st, 0) == 0;
}

char *tiervm_fs_readlink(const struct tiervm_fsroot *root, const char *path)
{
	char buf[4096];
	ssize_t n = readlinkat(root->fd, rel(path), buf, sizeof(buf) - 1);

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

char *tiervm_fs_link_name(const struct tiervm_fsroot *root, const char *path)
{
	char *target = tiervm_fs_readlink(root, path), *name;
	const char *slash;

	if (!target)
		return NULL;
	slash = strrchr(target, '/');
	name = xstrdup(slash ? slash + 1 : target);
	free(target);
	return name;
}
