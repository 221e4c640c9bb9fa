// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nvdimm.h"
#include "plan.h"
#include "util.h"

char *tiervm_nvdimm_record_path(const char *path)
{
	return xasprintf("%s.tiervm", path);
}

static bool read_record(const char *path, uint64_t *size, uint64_t *label)
{
	FILE *f = fopen(path, "re");
	char line[128];
	bool got_size = false, got_label = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		got_size |= sscanf(line, "size=%" SCNu64, size) == 1;
		got_label |= sscanf(line, "label-size=%" SCNu64, label) == 1;
	}
	fclose(f);
	return got_size && got_label;
}

static bool write_record(const char *path, const struct tiervm_nvdimm *nv,
			 tiervm_error **errp)
{
	char *tmp = xasprintf("%s.new", path);
	FILE *f = fopen(tmp, "wxe");
	bool ok = false;

	if (!f) {
		tiervm_error_set_errno(errp, errno, "cannot write %s", tmp);
		goto out;
	}
	fprintf(f,
		"# tiervm: how this NVDIMM backing file was made; do not edit\n"
		"size=%" PRIu64 "\nlabel-size=%" PRIu64 "\n",
		nv->size, nv->label_size);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		tiervm_error_set_errno(errp, errno, "cannot write %s", path);
		unlink(tmp);
		goto out;
	}
	ok = true;
out:
	free(tmp);
	return ok;
}

int tiervm_nvdimm_prepare(const struct tiervm_spec *spec,
			  const struct tiervm_nvdimm *nv, bool *created_out,
			  tiervm_error **errp)
{
	uint64_t want = tiervm_nvdimm_backing_size(nv), rsize, rlabel;
	char *record = tiervm_nvdimm_record_path(nv->path);
	/* a hot-plugged NVDIMM comes from a command line: no line number */
	char *where = nv->path_line
			      ? xasprintf("%s:%d", spec->file, nv->path_line)
			      : xstrdup(spec->file);
	bool created = false;
	struct stat st;
	int fd;

	/* O_EXCL: never take over a file that appeared meanwhile */
	fd = open(nv->path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd >= 0) {
		created = true;
		if (ftruncate(fd, (off_t)want) < 0) {
			tiervm_error_set_errno(errp, errno,
					       "cannot size new %s", nv->path);
			close(fd);
			unlink(nv->path);
			fd = -1;
			goto out;
		}
	} else if (errno == EEXIST) {
		fd = open(nv->path, (nv->readonly ? O_RDONLY : O_RDWR));
	}
	if (fd < 0) {
		tiervm_error_set_errno(errp, errno,
				       "%s: nvdimms: cannot open '%s'", where,
				       nv->path);
		goto out;
	}
	/* one guest at a time: the lock lives as long as QEMU holds this fd */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"%s: nvdimms: '%s' is in use by a running guest", where,
			nv->path);
		goto fail;
	}
	if (!created) {
		if (fstat(fd, &st) < 0 ||
		    (S_ISREG(st.st_mode) && (uint64_t)st.st_size != want)) {
			tiervm_error_set(
				errp, TIERVM_E_INPUT,
				"%s: nvdimms: '%s' is %lld bytes, not size + label-size (%" PRIu64
				"); tiervm never resizes a backing file",
				where, nv->path, (long long)st.st_size, want);
			goto fail;
		}
		if (read_record(record, &rsize, &rlabel) &&
		    (rsize != nv->size || rlabel != nv->label_size)) {
			tiervm_error_set(
				errp, TIERVM_E_INPUT,
				"%s: nvdimms: '%s' was made with size %" PRIu64
				" and label-size %" PRIu64
				" (%s); using it with size %" PRIu64
				" and label-size %" PRIu64
				" would read its data as labels or write labels over data",
				where, nv->path, rsize, rlabel, record,
				nv->size, nv->label_size);
			goto fail;
		}
	}
	if (access(record, F_OK) != 0 && !write_record(record, nv, errp))
		goto fail;
	goto out;
fail:
	close(fd);
	fd = -1;
out:
	if (created_out)
		*created_out = created && fd >= 0;
	free(where);
	free(record);
	return fd;
}
