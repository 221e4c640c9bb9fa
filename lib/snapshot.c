// SPDX-License-Identifier: LGPL-2.1-or-later
/* Warm starts' snapshots in the cache: keys, files, budget (snapshot.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "qemu_caps.h"
#include "snapshot.h"
#include "util.h"
#include "util_json.h"
#include "util_proc.h"

/* Snapshots kept at most, together; the least recently used go first. */
#define SNAPSHOT_BUDGET (8ull << 30)
#define KEY_VERSION 1

const char *tiervm_snapshot_refusal(const struct tiervm_plan *plan)
{
	const struct tiervm_spec *s = plan->spec;

	if (s->n_nvdimms)
		return "nvdimms: an NVDIMM's memory is your data: a snapshot would hold a copy and a restore would write it back; booting cold";
	if (s->cxl.line || s->n_cxls)
		return "cxl: QEMU's cxl-type3 devices have no migration state; booting cold";
	for (unsigned i = 0; i < s->n_nodes; i++)
		if (s->nodes[i].mem.path)
			return s->nodes[i].mem.backend == TIERVM_BACKEND_FILE &&
					       !strncmp(s->nodes[i].mem.path,
							"/dev/dax", 8)
				       ? "nodes: a node on a host device-dax is memory a snapshot must not copy or write back; booting cold"
				       : "nodes: a node backed by a file of yours is memory a snapshot must not copy or write back; booting cold";
	for (unsigned i = 0; i < s->n_vmems; i++)
		if (s->vmems[i].mem.path)
			return "virtio-mem: a device backed by a file of yours is memory a snapshot must not copy or write back; booting cold";
	return NULL;
}

/* {"path", "bytes", "mtime"} of @path: a rebuilt file is another key. */
static json_object *file_id(const char *path)
{
	json_object *o = json_object_new_object();
	struct stat st = { 0 };

	stat(path, &st);
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "bytes", json_object_new_int64(st.st_size));
	json_object_object_add(
		o, "mtime",
		json_object_new_int64((int64_t)st.st_mtim.tv_sec * 1000000000 +
				      st.st_mtim.tv_nsec));
	return o;
}

/*
 * @arg with what changes from run to run taken out: the runtime dir, and
 * a share's host directory (the shares' number and flags stay: they are
 * the guest's devices).
 */
static char *normalized(const char *arg, const char *rundir)
{
	struct sbuf b = { 0 };
	size_t n = strlen(rundir);
	const char *p = arg, *hit;

	if (!strncmp(arg, "local,id=tiervm-", 16) && strstr(arg, ",path=")) {
		const char *path = strstr(arg, ",path="),
			   *end = strstr(path, ",security_model=");

		sbuf_add(&b, arg, (size_t)(path - arg));
		sbuf_addf(&b, ",path=@SHARE@%s", end ? end : "");
		return b.s;
	}
	while ((hit = strstr(p, rundir))) {
		sbuf_add(&b, p, (size_t)(hit - p));
		sbuf_addf(&b, "@RUNDIR@");
		p = hit + n;
	}
	sbuf_addf(&b, "%s", p);
	return b.s;
}

static char *cache_dir(void)
{
	char *base = tiervm_cache_base(),
	     *dir = xasprintf("%s/snapshots", base);

	free(base);
	return dir;
}

void tiervm_snapshot_init(struct tiervm_snapshot *s, const char *engine,
			  char *const *argv, const char *rundir,
			  const char *name, const struct tiervm_image *img,
			  const struct tiervm_plan *plan)
{
	json_object *m = json_object_new_object(),
		    *args = json_object_new_array(), *q;
	const struct tiervm_qemu_caps *caps = plan->caps;
	const char *text;
	char *dir = cache_dir(), *version, *bin;
	uint64_t h;

	json_object_object_add(m, "version", json_object_new_int(KEY_VERSION));
	json_object_object_add(m, "engine", json_object_new_string(engine));
	bin = realpath(caps->binary, NULL);
	q = file_id(bin ? bin : caps->binary);
	free(bin);
	version = xasprintf("%u.%u.%u", caps->major, caps->minor, caps->micro);
	json_object_object_add(q, "version", json_object_new_string(version));
	free(version);
	json_object_object_add(m, "qemu", q);
	json_object_object_add(m, "kernel", file_id(img->kernel));
	json_object_object_add(m, "initrd", file_id(img->initrd));
	json_object_object_add(m, "spec",
			       json_object_new_string(plan->spec->text));
	for (size_t i = 0; argv[i]; i++) {
		char *arg = i && !strcmp(argv[i - 1], "-name")
				    ? xstrdup("@NAME@")
				    : normalized(argv[i], rundir);

		/* a name given elsewhere (a chardev's, a path) is its own */
		(void)name;
		json_object_array_add(args, json_object_new_string(arg));
		free(arg);
	}
	json_object_object_add(m, "argv", args);
	text = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN);
	h = tiervm_fnv1a(0xcbf29ce484222325ULL, text, strlen(text));
	s->key = xasprintf("%016llx", (unsigned long long)h);
	s->dir = xasprintf("%s/%s", dir, s->key);
	s->material = m;
	s->meta = NULL;
	free(dir);
}

static char *in_dir(const struct tiervm_snapshot *s, const char *file)
{
	return xasprintf("%s/%s", s->dir, file);
}

/* rm -r of a snapshot's directory: it holds files and no directories. */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char *p;

		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		unlink(p);
		free(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

bool tiervm_snapshot_find(struct tiervm_snapshot *s, char **note)
{
	char *key = in_dir(s, "key.json"),
	     *state = in_dir(s, TIERVM_SNAPSHOT_STATE);
	json_object *meta = json_object_from_file(key);
	struct stat st;
	const char *why = NULL;

	*note = NULL;
	if (!meta && access(s->dir, F_OK) < 0)
		goto out;
	if (!meta)
		why = "it has no key file (a snapshot never finished)";
	else if (strcmp(json_object_to_json_string_ext(jget(meta, "material"),
						       JSON_C_TO_STRING_PLAIN),
			json_object_to_json_string_ext(s->material,
						       JSON_C_TO_STRING_PLAIN)))
		why = "its key file is of another guest";
	else if (stat(state, &st) < 0)
		why = "its state file is gone";
	else if ((uint64_t)st.st_size != (uint64_t)jint(meta, "bytes", -1))
		why = "its state file is not the size its key file says (truncated)";
	if (why) {
		*note = xasprintf("snapshot %s discarded: %s; booting cold",
				  s->key, why);
		remove_dir(s->dir);
		json_object_put(meta);
		meta = NULL;
	}
	s->meta = meta;
out:
	free(key);
	free(state);
	return s->meta != NULL;
}

char *tiervm_snapshot_begin(struct tiervm_snapshot *s, tiervm_error **errp)
{
	char *tmp;
	int fd;

	if (!tiervm_mkdir_p(s->dir) || chmod(s->dir, 0700) < 0) {
		tiervm_error_set_errno(errp, errno, "cannot make %s", s->dir);
		return NULL;
	}
	tmp = xasprintf("%s/" TIERVM_SNAPSHOT_STATE ".%ld", s->dir,
			(long)getpid());
	/* made here, 0600: the engine writes into it, never creates it */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		tiervm_error_set_errno(errp, errno, "cannot make %s", tmp);
		free(tmp);
		return NULL;
	}
	close(fd);
	return tmp;
}

/*
 * Size and CRC-32 of @path's data: a mapped-ram state is sparse (its zero
 * pages are holes), so only the extents with data are read, each summed
 * with its offset.  *@bytes is the file's size, *@data what it holds.
 */
static bool checksum(const char *path, uint64_t *bytes, uint64_t *data,
		     uint32_t *crc)
{
	static unsigned char buf[1 << 20];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uLong c = crc32(0L, Z_NULL, 0);
	struct stat st;
	off_t at = 0, end;
	bool ok = true;

	*bytes = *data = 0;
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	*bytes = (uint64_t)st.st_size;
	while (ok && (at = lseek(fd, at, SEEK_DATA)) >= 0) {
		uint64_t where = (uint64_t)at;

		end = lseek(fd, at, SEEK_HOLE);
		c = crc32_z(c, (const unsigned char *)&where, sizeof(where));
		while (at < end) {
			size_t want = (size_t)(end - at) < sizeof(buf)
					      ? (size_t)(end - at)
					      : sizeof(buf);
			ssize_t n = pread(fd, buf, want, at);

			if (n <= 0) {
				ok = false;
				break;
			}
			c = crc32_z(c, buf, (size_t)n);
			*data += (uint64_t)n;
			at += n;
		}
	}
	close(fd);
	*crc = (uint32_t)c;
	return ok;
}

bool tiervm_snapshot_check(struct tiervm_snapshot *s, char **note)
{
	char *state = in_dir(s, TIERVM_SNAPSHOT_STATE);
	uint64_t bytes, data;
	uint32_t crc;
	bool ok = checksum(state, &bytes, &data, &crc) &&
		  bytes == (uint64_t)jint(s->meta, "bytes", -1) &&
		  crc == (uint32_t)jint(s->meta, "crc32", -1);

	free(state);
	if (ok)
		return true;
	*note = xasprintf(
		"snapshot %s discarded: its state is corrupt (CRC-32 %08x, its key file says %08llx); booting cold",
		s->key, crc, (unsigned long long)jint(s->meta, "crc32", -1));
	tiervm_snapshot_discard(s);
	return false;
}

/* The snapshots' directories, each with its size and last use. */
struct entry {
	char *dir;
	uint64_t bytes;
	time_t used;
};

static struct entry *entries(unsigned *n)
{
	char *root = cache_dir();
	DIR *d = opendir(root);
	struct dirent *de;
	struct entry *e = NULL;

	*n = 0;
	while (d && (de = readdir(d))) {
		char *dir, *key, *state;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		dir = xasprintf("%s/%s", root, de->d_name);
		key = xasprintf("%s/key.json", dir);
		state = xasprintf("%s/" TIERVM_SNAPSHOT_STATE, dir);
		e = xrealloc(e, (*n + 1) * sizeof(*e));
		e[*n].dir = dir;
		/* on disk: a state is sparse */
		e[*n].bytes = stat(state, &st) == 0
				      ? (uint64_t)st.st_blocks * 512
				      : 0;
		e[*n].used = stat(key, &st) == 0 ? st.st_mtime : 0;
		(*n)++;
		free(key);
		free(state);
	}
	if (d)
		closedir(d);
	free(root);
	return e;
}

/* Over the budget: the least recently used go, never @keep. */
static void trim(const char *keep)
{
	unsigned n;
	struct entry *e = entries(&n);
	uint64_t total = 0;

	for (unsigned i = 0; i < n; i++)
		total += e[i].bytes;
	while (total > SNAPSHOT_BUDGET) {
		int oldest = -1;

		for (unsigned i = 0; i < n; i++)
			if (e[i].dir && strcmp(e[i].dir, keep) &&
			    (oldest < 0 || e[i].used < e[oldest].used))
				oldest = (int)i;
		if (oldest < 0)
			break;
		remove_dir(e[oldest].dir);
		total -= e[oldest].bytes;
		free(e[oldest].dir);
		e[oldest].dir = NULL;
	}
	for (unsigned i = 0; i < n; i++)
		free(e[i].dir);
	free(e);
}

bool tiervm_snapshot_commit(struct tiervm_snapshot *s, const char *tmp,
			    json_object *report, tiervm_error **errp)
{
	char *state = in_dir(s, TIERVM_SNAPSHOT_STATE),
	     *key = in_dir(s, "key.json"),
	     *key_tmp = xasprintf("%s.%ld", key, (long)getpid());
	json_object *meta = json_object_new_object();
	uint64_t bytes, data;
	uint32_t crc;
	bool ok = false;

	if (!checksum(tmp, &bytes, &data, &crc)) {
		tiervm_error_setg(errp, "cannot read back %s", tmp);
		goto out;
	}
	json_object_object_add(meta, "material", json_object_get(s->material));
	json_object_object_add(meta, "bytes",
			       json_object_new_int64((int64_t)bytes));
	json_object_object_add(meta, "data",
			       json_object_new_int64((int64_t)data));
	json_object_object_add(meta, "crc32", json_object_new_int64(crc));
	json_object_object_add(meta, "created",
			       json_object_new_int64((int64_t)time(NULL)));
	json_object_object_add(meta, "report", json_object_get(report));
	/* key.json last: without it a state is a half-taken snapshot */
	if (json_object_to_file_ext(key_tmp, meta, JSON_C_TO_STRING_PLAIN) <
		    0 ||
	    chmod(key_tmp, 0600) < 0 || rename(tmp, state) < 0 ||
	    rename(key_tmp, key) < 0) {
		tiervm_error_set_errno(errp, errno, "cannot keep snapshot %s",
				       s->dir);
		unlink(key_tmp);
		goto out;
	}
	json_object_put(s->meta);
	s->meta = json_object_get(meta);
	trim(s->dir);
	ok = true;
out:
	if (!ok)
		unlink(tmp);
	json_object_put(meta);
	free(state);
	free(key);
	free(key_tmp);
	return ok;
}

void tiervm_snapshot_discard(struct tiervm_snapshot *s)
{
	remove_dir(s->dir);
	json_object_put(s->meta);
	s->meta = NULL;
}

void tiervm_snapshot_touch(struct tiervm_snapshot *s)
{
	char *key = in_dir(s, "key.json");

	utimensat(AT_FDCWD, key, NULL, 0);
	free(key);
}

void tiervm_snapshot_clear(struct tiervm_snapshot *s)
{
	free(s->dir);
	free(s->key);
	json_object_put(s->material);
	json_object_put(s->meta);
	memset(s, 0, sizeof(*s));
}

/* du -s of @path, in bytes. */
static uint64_t disk_bytes(const char *path)
{
	struct stat st;
	uint64_t sum = 0;
	DIR *d;
	struct dirent *de;

	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return (uint64_t)st.st_size;
	d = opendir(path);
	while (d && (de = readdir(d))) {
		char *p;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		p = xasprintf("%s/%s", path, de->d_name);
		sum += disk_bytes(p);
		free(p);
	}
	if (d)
		closedir(d);
	return sum;
}

static void add_images(json_object *list)
{
	char *base = tiervm_cache_base(), *root = xasprintf("%s/images", base);
	DIR *d = opendir(root);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		json_object *o;
		char *p;

		if (de->d_name[0] == '.' || strstr(de->d_name, ".lock"))
			continue;
		p = xasprintf("%s/%s", root, de->d_name);
		o = json_object_new_object();
		/* images/kernels: Debian's kernel packages, as downloaded */
		json_object_object_add(
			o, "kind",
			json_object_new_string(strcmp(de->d_name, "kernels")
						       ? "image"
						       : "download"));
		json_object_object_add(o, "name",
				       json_object_new_string(de->d_name));
		json_object_object_add(o, "path", json_object_new_string(p));
		json_object_object_add(
			o, "bytes",
			json_object_new_int64((int64_t)disk_bytes(p)));
		json_object_array_add(list, o);
		free(p);
	}
	if (d)
		closedir(d);
	free(root);
	free(base);
}

json_object *tiervm_cache_list(void)
{
	json_object *list = json_object_new_array();
	unsigned n;
	struct entry *e = entries(&n);

	for (unsigned i = 0; i < n; i++) {
		char *key = xasprintf("%s/key.json", e[i].dir);
		json_object *meta = json_object_from_file(key),
			    *m = jget(meta, "material"),
			    *o = json_object_new_object();
		const char *spec = jstr(m, "spec", "");
		const char *name = strstr(spec, "name:");
		char sname[80] = "?";

		if (name)
			sscanf(name, "name: %79[^ \n#]", sname);
		json_object_object_add(o, "kind",
				       json_object_new_string("snapshot"));
		json_object_object_add(
			o, "name",
			json_object_new_string(strrchr(e[i].dir, '/') + 1));
		json_object_object_add(o, "path",
				       json_object_new_string(e[i].dir));
		json_object_object_add(
			o, "bytes", json_object_new_int64((int64_t)e[i].bytes));
		json_object_object_add(o, "spec",
				       json_object_new_string(sname));
		json_object_object_add(
			o, "engine",
			json_object_new_string(jstr(m, "engine", "?")));
		json_object_object_add(
			o, "kernel",
			json_object_new_string(
				jstr(jget(m, "kernel"), "path", "?")));
		json_object_object_add(
			o, "qemu",
			json_object_new_string(
				jstr(jget(m, "qemu"), "version", "?")));
		json_object_object_add(o, "complete",
				       json_object_new_boolean(meta != NULL));
		json_object_object_add(o, "used",
				       json_object_new_int64(e[i].used));
		json_object_array_add(list, o);
		json_object_put(meta);
		free(key);
		free(e[i].dir);
	}
	free(e);
	add_images(list);
	return list;
}

bool tiervm_cache_clean(bool images, unsigned *n, uint64_t *bytes,
			tiervm_error **errp)
{
	json_object *list = tiervm_cache_list();

	*n = 0;
	*bytes = 0;
	for (size_t i = 0; i < jlen(list); i++) {
		json_object *o = jidx(list, i);
		const char *path = jstr(o, "path", "");
		bool image = strcmp(jstr(o, "kind", ""), "snapshot");

		if (image && !images)
			continue;
		if (image) {
			char *argv[] = { "rm", "-rf", (char *)path, NULL },
			     *out = NULL;
			char *lock = xasprintf("%s.lock", path);
			int status;

			if (!tiervm_run_capture(argv, &out, &status, errp)) {
				free(lock);
				json_object_put(list);
				return false;
			}
			free(out);
			unlink(lock);
			free(lock);
		} else {
			remove_dir(path);
		}
		(*n)++;
		*bytes += (uint64_t)jint(o, "bytes", 0);
	}
	json_object_put(list);
	return true;
}
