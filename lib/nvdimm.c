// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "host_sysfs.h"
#include "nvdimm.h"
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

/*
 * What QEMU can map as an NVDIMM: a regular file, a block device (pmem),
 * or a device-dax character device; not a FIFO, socket or other device.
 */
static bool usable_type(int fd, const struct tiervm_nvdimm *nv,
			const char *where, tiervm_error **errp)
{
	struct tiervm_fsroot sys;
	struct stat st;
	bool dax = false;

	if (fstat(fd, &st) < 0)
		return false;
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
		return true;
	if (S_ISCHR(st.st_mode) && tiervm_fsroot_open(&sys, "/", NULL)) {
		char *link = xasprintf("/sys/dev/char/%u:%u/subsystem",
				       major(st.st_rdev), minor(st.st_rdev)),
		     *subsystem = tiervm_fs_link_name(&sys, link);

		dax = subsystem && !strcmp(subsystem, "dax");
		free(subsystem);
		free(link);
		tiervm_fsroot_close(&sys);
	}
	if (!dax)
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"%s: nvdimms: '%s' is not a regular file, a block device or a device-dax device",
			where, nv->path);
	return dax;
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
		/* O_NONBLOCK: a FIFO is refused below, not waited on */
		fd = open(nv->path,
			  (nv->readonly ? O_RDONLY : O_RDWR) | O_NONBLOCK);
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
	if (!created && !usable_type(fd, nv, where, errp))
		goto fail;
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

uint64_t tiervm_nvdimm_backing_size(const struct tiervm_nvdimm *nv)
{
	/*
	 * QEMU puts the label area at the end of the backend and gives the
	 * guest the rest, aligned down.  Sizing the backend as size +
	 * label-size leaves the guest exactly `size`, so a 1G NVDIMM yields
	 * a 1G region ndctl can convert to devdax (2M aligned).
	 */
	return nv->size + nv->label_size;
}

const char *tiervm_nvdimm_pmem_refusal(const struct tiervm_nvdimm *nv,
				       bool on_dax)
{
	return nv->pmem == TIERVM_ON && !on_dax
		       ? "pmem: on needs the backing file on DAX storage (a /dev/daxN.M device)"
		       : NULL;
}

/* Keep in step with the -object/-device strings of plan_nvdimms() (plan_devices.c). */
void tiervm_nvdimm_qmp_args(const struct tiervm_nvdimm *nv, bool on_dax,
			    json_object **backend, json_object **device)
{
	json_object *b = json_object_new_object(),
		    *d = json_object_new_object();
	bool pmem = on_dax && nv->pmem != TIERVM_OFF;
	char *bid = xasprintf("tiervm-nv-%s", nv->id);

	json_object_object_add(b, "qom-type",
			       json_object_new_string("memory-backend-file"));
	json_object_object_add(b, "id", json_object_new_string(bid));
	json_object_object_add(b, "mem-path", json_object_new_string(nv->path));
	json_object_object_add(
		b, "size",
		json_object_new_int64((int64_t)tiervm_nvdimm_backing_size(nv)));
	json_object_object_add(b, "share",
			       json_object_new_boolean(!nv->readonly));
	if (pmem)
		json_object_object_add(b, "pmem", json_object_new_boolean(1));
	if (on_dax)
		json_object_object_add(b, "align",
				       json_object_new_int64(2 * MiB));
	if (nv->readonly)
		json_object_object_add(b, "readonly",
				       json_object_new_boolean(1));

	json_object_object_add(d, "driver", json_object_new_string("nvdimm"));
	json_object_object_add(d, "id", json_object_new_string(nv->id));
	json_object_object_add(d, "memdev", json_object_new_string(bid));
	json_object_object_add(
		d, "node",
		json_object_new_int(nv->has_node ? (int)nv->node : 0));
	if (nv->label_size)
		json_object_object_add(
			d, "label-size",
			json_object_new_int64((int64_t)nv->label_size));
	if (nv->readonly)
		json_object_object_add(d, "unarmed",
				       json_object_new_boolean(1));
	free(bid);
	*backend = b;
	*device = d;
}
