// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Machine descriptions tiervm can read: this host, a captured tree, a
 * tarball of one, an hwloc XML.  Tarballs come from other people (bug
 * reports), so unpacking them is bounded and refuses anything that could
 * write outside tiervm's own directory.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host_source.h"
#include "util.h"
#include "util_proc.h"

/* More than any machine's capture holds (the largest hwloc ships: 20k) */
#define MAX_ENTRIES 200000
#define MAX_BYTES (512ull << 20)

struct tiervm_source {
	char *name;
	char *root;   /* a tree to read as /, or NULL */
	char *xml;    /* an hwloc XML, or NULL */
	char *tmpdir; /* what tiervm unpacked, removed on close */
	char *label;  /* the machine's name, as the capture names it */
};

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path) ? FTW_STOP : FTW_CONTINUE;
}

/* Only ever called on a directory tiervm made with mkdtemp. */
static void remove_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * The tree's root is the directory holding sys/: @dir itself, or its only
 * subdirectory (hwloc-gather-topology puts everything under one named
 * directory).
 */
static char *find_root(const char *dir, tiervm_error **errp)
{
	char *sys = xasprintf("%s/sys", dir), *found = NULL;
	unsigned subdirs = 0;
	struct dirent **ents;
	int n;

	if (is_dir(sys)) {
		free(sys);
		return xstrdup(dir);
	}
	free(sys);
	n = scandir(dir, &ents, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		char *sub = xasprintf("%s/%s", dir, ents[i]->d_name);

		if (ents[i]->d_name[0] != '.' && is_dir(sub)) {
			subdirs++;
			free(found);
			found = sub;
		} else {
			free(sub);
		}
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
	if (subdirs == 1) {
		char *root = find_root(found, NULL);

		free(found);
		if (root)
			return root;
	} else {
		free(found);
	}
	tiervm_error_set(
		errp, TIERVM_E_INPUT,
		"%s holds no captured /sys (no sys/ in it or in its only subdirectory)",
		dir);
	return NULL;
}

static bool copy_data(struct archive *in, struct archive *out,
		      unsigned long long *bytes)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;

	while ((r = archive_read_data_block(in, &buf, &size, &off)) ==
	       ARCHIVE_OK) {
		*bytes += size;
		if (*bytes > MAX_BYTES ||
		    archive_write_data_block(out, buf, size, off) != ARCHIVE_OK)
			return false;
	}
	return r == ARCHIVE_EOF;
}

static bool unpack(const char *tarball, const char *dir, tiervm_error **errp)
{
	struct archive *in = archive_read_new();
	struct archive *out = archive_write_disk_new();
	struct archive_entry *e;
	unsigned long long bytes = 0;
	unsigned entries = 0;
	bool ok = false;
	int r;

	archive_read_support_filter_all(in);
	archive_read_support_format_tar(in);
	archive_read_support_format_gnutar(in);
	/* entries are put under @dir by tiervm, so absolute names are
	 * refused below, before the rewrite, not by libarchive */
	archive_write_disk_set_options(out,
				       ARCHIVE_EXTRACT_SECURE_NODOTDOT |
					       ARCHIVE_EXTRACT_SECURE_SYMLINKS);
	if (archive_read_open_filename(in, tarball, 65536) != ARCHIVE_OK) {
		tiervm_error_set(errp, TIERVM_E_INPUT, "%s: %s", tarball,
				 archive_error_string(in));
		goto out;
	}
	while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
		mode_t type = archive_entry_filetype(e);
		char *path;

		if (++entries > MAX_ENTRIES) {
			tiervm_error_set(
				errp, TIERVM_E_INPUT,
				"%s: more than %u entries; not a capture",
				tarball, MAX_ENTRIES);
			goto out;
		}
		/* a capture is files, directories and symlinks; nothing else
		 * is needed, so nothing else is made */
		if ((type != AE_IFREG && type != AE_IFDIR &&
		     type != AE_IFLNK) ||
		    archive_entry_hardlink(e))
			continue;
		if (archive_entry_pathname(e)[0] == '/') {
			tiervm_error_set(
				errp, TIERVM_E_INPUT,
				"%s: %s: an absolute path; a capture's are relative",
				tarball, archive_entry_pathname(e));
			goto out;
		}
		path = xasprintf("%s/%s", dir, archive_entry_pathname(e));
		archive_entry_set_pathname(e, path);
		free(path);
		archive_entry_set_perm(e, type == AE_IFDIR ? 0700 : 0600);
		if (archive_write_header(out, e) != ARCHIVE_OK ||
		    (type == AE_IFREG && !copy_data(in, out, &bytes))) {
			tiervm_error_set(
				errp, TIERVM_E_INPUT, "%s: %s: %s", tarball,
				archive_entry_pathname(e),
				bytes > MAX_BYTES
					? "more than 512M unpacked; not a capture"
					: archive_error_string(out));
			goto out;
		}
	}
	if (r != ARCHIVE_EOF) {
		tiervm_error_set(errp, TIERVM_E_INPUT, "%s: %s", tarball,
				 archive_error_string(in));
		goto out;
	}
	ok = true;
out:
	archive_write_free(out);
	archive_read_free(in);
	return ok;
}

/* XML or a tarball, by its first bytes; tar's magic sits at 257. */
static int sniff(const char *path, tiervm_error **errp)
{
	unsigned char b[512] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		tiervm_error_set_errno(errp, errno, "cannot open %s", path);
		return -1;
	}
	n = read(fd, b, sizeof(b));
	close(fd);
	if (n > 0 && (b[0] == '<' || !memcmp(b, "\xef\xbb\xbf<", 4)))
		return 'x';
	if (n >= 6 && (!memcmp(b, "\x1f\x8b", 2) || !memcmp(b, "BZh", 3) ||
		       !memcmp(b,
			       "\xfd"
			       "7zXZ",
			       6) ||
		       !memcmp(b, "\x28\xb5\x2f\xfd", 4) ||
		       (n >= 262 && !memcmp(b + 257, "ustar", 5))))
		return 't';
	tiervm_error_set(
		errp, TIERVM_E_INPUT,
		"%s is neither an hwloc XML nor a tarball of a captured /sys",
		path);
	return -1;
}

/* hwloc-gather-topology names its directory for the machine; a tarball
 * without one (a guest's capture) is named for itself. */
static void set_label(struct tiervm_source *s)
{
	const char *base =
		s->root && strcmp(s->root, "/") &&
				(!s->tmpdir || strcmp(s->root, s->tmpdir))
			? s->root
			: s->name;
	const char *slash = strrchr(base, '/');

	s->label = xstrdup(slash && slash[1] ? slash + 1 : base);
}

struct tiervm_source *tiervm_source_open(const char *from, tiervm_error **errp)
{
	struct tiervm_source *s = xcalloc(1, sizeof(*s));
	struct stat st;
	int what;

	if (!from) {
		char host[256] = "host";

		gethostname(host, sizeof(host) - 1);
		s->name = xstrdup("this host");
		s->root = xstrdup("/");
		s->label = xstrdup(host);
		return s;
	}
	s->name = xstrdup(from);
	if (stat(from, &st)) {
		/* a source that is not there is the user's input, not a fault */
		tiervm_error_set(errp, TIERVM_E_INPUT, "--from: %s: %s", from,
				 strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		if (!(s->root = find_root(from, errp)))
			goto fail;
		set_label(s);
		return s;
	}
	if (!S_ISREG(st.st_mode)) {
		tiervm_error_set(errp, TIERVM_E_INPUT,
				 "%s is neither a directory nor a file", from);
		goto fail;
	}
	if ((what = sniff(from, errp)) < 0)
		goto fail;
	if (what == 'x') {
		s->xml = xstrdup(from);
		set_label(s);
		return s;
	}
	s->tmpdir = xasprintf("%s/tiervm-source.XXXXXX",
			      getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(s->tmpdir)) {
		tiervm_error_set_errno(errp, errno, "cannot make %s",
				       s->tmpdir);
		free(s->tmpdir);
		s->tmpdir = NULL;
		goto fail;
	}
	if (unpack(from, s->tmpdir, errp)) {
		if ((s->root = find_root(s->tmpdir, NULL))) {
			set_label(s);
			return s;
		}
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"%s holds no captured /sys (no sys/ at its top or in its only directory)",
			from);
	}
fail:
	tiervm_source_close(s);
	return NULL;
}

struct tiervm_host *tiervm_source_inventory(const struct tiervm_source *src,
					    tiervm_error **errp)
{
	struct tiervm_host *h = src->xml
					? tiervm_host_from_xml(src->xml, errp)
					: tiervm_host_discover(src->root, errp);

	if (h && !h->n_nodes) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"%s: no NUMA node in it (no sys/devices/system/node/nodeN)",
			src->name);
		tiervm_host_free(h);
		return NULL;
	}
	if (h && src->tmpdir) {
		/* the private directory is gone by the time anyone reads it */
		free(h->root);
		h->root = xstrdup(src->name);
	}
	return h;
}

const char *tiervm_source_name(const struct tiervm_source *src)
{
	return src->name;
}

const char *tiervm_source_label(const struct tiervm_source *src)
{
	return src->label;
}

bool tiervm_picture_new(const char *svg, tiervm_error **errp)
{
	if (access(svg, F_OK) == 0) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"--picture: %s exists; tiervm does not overwrite it",
			svg);
		return false;
	}
	return true;
}

static bool lstopo_svg(const char *input, const char *svg, tiervm_error **errp)
{
	char *argv[] = { "lstopo-no-graphics",
			 "--no-io",
			 "--of",
			 "svg",
			 NULL,
			 NULL,
			 NULL,
			 NULL };
	unsigned n = 4;
	char *out = NULL;
	int status;
	bool ok;

	if (!tiervm_picture_new(svg, errp))
		return false;
	if (input) {
		argv[n++] = "--input";
		argv[n++] = (char *)input;
	}
	argv[n] = (char *)svg;
	if (!tiervm_run_capture(argv, &out, &status, errp)) {
		tiervm_error_prefix(errp, "--picture needs hwloc's lstopo: ");
		return false;
	}
	ok = status == 0;
	if (!ok)
		tiervm_error_set(errp, TIERVM_E_FAIL,
				 "lstopo could not draw %s: %.*s", svg,
				 (int)strcspn(out, "\n"), out);
	free(out);
	return ok;
}

bool tiervm_source_picture(const struct tiervm_source *src, const char *svg,
			   tiervm_error **errp)
{
	/* lstopo reads a tree as its fsroot, and this host when given none */
	const char *input = src->xml		     ? src->xml
			    : strcmp(src->root, "/") ? src->root
						     : NULL;

	return lstopo_svg(input, svg, errp);
}

bool tiervm_picture_xml(const char *xml, const char *svg, tiervm_error **errp)
{
	char path[] = "/tmp/tiervm-picture.XXXXXX.xml";
	int fd = mkstemps(path, 4);
	size_t len = strlen(xml);
	bool ok;

	if (fd < 0) {
		tiervm_error_set_errno(errp, errno, "cannot make %s", path);
		return false;
	}
	ok = write(fd, xml, len) == (ssize_t)len;
	close(fd);
	if (!ok)
		tiervm_error_set_errno(errp, errno, "cannot write %s", path);
	ok = ok && lstopo_svg(path, svg, errp);
	unlink(path);
	return ok;
}

void tiervm_source_close(struct tiervm_source *src)
{
	if (!src)
		return;
	if (src->tmpdir)
		remove_tree(src->tmpdir);
	free(src->tmpdir);
	free(src->label);
	free(src->name);
	free(src->root);
	free(src->xml);
	free(src);
}
