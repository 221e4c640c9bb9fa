// SPDX-License-Identifier: LGPL-2.1-or-later
/* tiervm's storage pool on a libvirt host (engine_libvirt_volume.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine_libvirt_volume.h"
#include "image.h"
#include "util.h"
#include "util_libvirt.h"

#define RECORD_MAX 256

virStoragePoolPtr tiervm_pool(virConnectPtr c, tiervm_error **errp)
{
	static const char xml[] = "<pool type='dir'><name>" TIERVM_POOL
				  "</name><target><path>" TIERVM_POOL_DIR
				  "</path></target></pool>";
	virStoragePoolPtr p = virStoragePoolLookupByName(c, TIERVM_POOL);

	if (!p) {
		p = virStoragePoolDefineXML(c, xml, 0);
		if (p && virStoragePoolBuild(p, 0) < 0) {
			virStoragePoolUndefine(p);
			virStoragePoolFree(p);
			p = NULL;
		}
		if (p)
			virStoragePoolSetAutostart(p, 1);
	}
	if (p && virStoragePoolIsActive(p) != 1 &&
	    virStoragePoolCreate(p, 0) < 0) {
		virStoragePoolFree(p);
		p = NULL;
	}
	if (!p) {
		const char *msg = virGetLastErrorMessage();

		tiervm_error_set(
			errp, TIERVM_E_FAIL,
			"libvirt: storage pool '" TIERVM_POOL
			"': %.*s (make one on that host: virsh pool-define-as " TIERVM_POOL
			" dir --target DIR && virsh pool-build " TIERVM_POOL
			" && virsh pool-start " TIERVM_POOL ")",
			(int)strcspn(msg, "\n"), msg);
	}
	return p;
}

static int send_fd(virStreamPtr st, char *buf, size_t n, void *opaque)
{
	ssize_t got = read(*(int *)opaque, buf, n);

	return got < 0 ? -1 : (int)got;
}

static int send_mem(virStreamPtr st, char *buf, size_t n, void *opaque)
{
	const char **p = opaque;
	size_t left = strlen(*p);

	if (n > left)
		n = left;
	memcpy(buf, *p, n);
	*p += n;
	return (int)n;
}

/* A new volume @name of @bytes, filled by @fill (virStreamSendAll's). */
static virStorageVolPtr create_filled(virStoragePoolPtr pool, const char *name,
				      uint64_t bytes, virStreamSourceFunc fill,
				      void *opaque, tiervm_error **errp)
{
	char *xml = xasprintf(
		"<volume><name>%s</name><capacity unit='B'>%" PRIu64
		"</capacity><allocation>0</allocation><target><format type='raw'/></target></volume>",
		name, bytes);
	virStorageVolPtr v = virStorageVolCreateXML(pool, xml, 0);
	virStreamPtr st = NULL;
	bool ok = false;

	free(xml);
	if (!v) {
		tiervm_libvirt_error(errp, TIERVM_E_FAIL, name);
		return NULL;
	}
	if (!fill)
		return v;
	st = virStreamNew(virStoragePoolGetConnect(pool), 0);
	ok = st && virStorageVolUpload(v, st, 0, bytes, 0) == 0 &&
	     virStreamSendAll(st, fill, opaque) == 0 &&
	     virStreamFinish(st) == 0;
	if (!ok) {
		tiervm_libvirt_error(errp, TIERVM_E_FAIL, name);
		if (st)
			virStreamAbort(st);
		virStorageVolDelete(v, 0);
		virStorageVolFree(v);
		v = NULL;
	}
	if (st)
		virStreamFree(st);
	return v;
}

static uint64_t capacity(virStorageVolPtr v)
{
	virStorageVolInfo info;

	return virStorageVolGetInfo(v, &info) == 0 ? info.capacity : 0;
}

static char *vol_path(virStorageVolPtr v, tiervm_error **errp)
{
	char *p = virStorageVolGetPath(v);

	if (!p)
		tiervm_libvirt_error(errp, TIERVM_E_FAIL, "a volume's path");
	return p;
}

/*
 * Volume @name of @size in @pool, filled by @fill unless a whole one is
 * there; its path on that host.  Filled under a name of its own, then
 * copied on that host to @name: a volume of that name is whole, whatever
 * stopped an earlier transfer halfway.
 */
static char *put_volume(virStoragePoolPtr pool, const char *name, uint64_t size,
			virStreamSourceFunc fill, void *opaque, uint64_t *sent,
			tiervm_error **errp)
{
	char *part = NULL, *out = NULL, *xml;
	virStorageVolPtr v = virStorageVolLookupByName(pool, name), tmp;

	*sent = 0;
	if (v && capacity(v) == size) {
		out = vol_path(v, errp);
		virStorageVolFree(v);
		return out;
	}
	if (v) {
		virStorageVolDelete(v, 0);
		virStorageVolFree(v);
	}
	part = xasprintf("%s.part", name);
	if ((tmp = virStorageVolLookupByName(pool, part))) {
		virStorageVolDelete(tmp, 0);
		virStorageVolFree(tmp);
	}
	tmp = create_filled(pool, part, size, fill, opaque, errp);
	free(part);
	if (!tmp)
		return NULL;
	xml = xasprintf(
		"<volume><name>%s</name><capacity unit='B'>%" PRIu64
		"</capacity><target><format type='raw'/></target></volume>",
		name, size);
	v = virStorageVolCreateXMLFrom(pool, xml, tmp, 0);
	free(xml);
	virStorageVolDelete(tmp, 0);
	virStorageVolFree(tmp);
	if (!v) {
		tiervm_libvirt_error(errp, TIERVM_E_FAIL, name);
		return NULL;
	}
	*sent = size;
	out = vol_path(v, errp);
	virStorageVolFree(v);
	return out;
}

char *tiervm_volume_upload(virStoragePoolPtr pool, const char *path,
			   const char *prefix, uint64_t *sent,
			   tiervm_error **errp)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *name, *out;
	struct stat st;
	uint64_t hash;

	*sent = 0;
	if (fd < 0 || fstat(fd, &st) < 0) {
		tiervm_error_set_errno(errp, errno, "%s", path);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!tiervm_content_hash(path, &hash, errp)) {
		close(fd);
		return NULL;
	}
	name = xasprintf("%s-%016" PRIx64 "-%jd", prefix, hash,
			 (intmax_t)st.st_size);
	out = put_volume(pool, name, (uint64_t)st.st_size, send_fd, &fd, sent,
			 errp);
	close(fd);
	free(name);
	return out;
}

static int send_stream(virStreamPtr st, char *buf, size_t n, void *opaque)
{
	return virStreamRecv(opaque, buf, n);
}

char *tiervm_volume_copy(virConnectPtr from, const char *path,
			 virStoragePoolPtr to, uint64_t *sent,
			 tiervm_error **errp)
{
	virStorageVolPtr v = virStorageVolLookupByPath(from, path);
	virStreamPtr in = NULL;
	const char *name;
	char *out = NULL;

	*sent = 0;
	if (!v) {
		tiervm_libvirt_error(errp, TIERVM_E_FAIL, path);
		return NULL;
	}
	name = virStorageVolGetName(v);
	in = virStreamNew(from, 0);
	if (in && virStorageVolDownload(v, in, 0, capacity(v), 0) == 0) {
		out = put_volume(to, name, capacity(v), send_stream, in, sent,
				 errp);
		if (out)
			virStreamFinish(in);
		else
			virStreamAbort(in);
	} else {
		tiervm_libvirt_error(errp, TIERVM_E_FAIL, path);
	}
	if (in)
		virStreamFree(in);
	virStorageVolFree(v);
	return out;
}

/* The record volume's text, or NULL when it has none. */
static char *read_record(virStoragePoolPtr pool, const char *name)
{
	virStorageVolPtr v = virStorageVolLookupByName(pool, name);
	virStreamPtr st;
	char *buf = NULL;
	size_t len = 0;

	if (!v)
		return NULL;
	st = virStreamNew(virStoragePoolGetConnect(pool), 0);
	if (st && virStorageVolDownload(v, st, 0, RECORD_MAX, 0) == 0) {
		char chunk[RECORD_MAX];
		int n;

		buf = xcalloc(1, RECORD_MAX + 1);
		while ((n = virStreamRecv(st, chunk, sizeof(chunk))) > 0 &&
		       len + (size_t)n <= RECORD_MAX) {
			memcpy(buf + len, chunk, (size_t)n);
			len += (size_t)n;
		}
		virStreamFinish(st);
		buf[strcspn(buf, "\n")] = '\0';
	}
	if (st)
		virStreamFree(st);
	virStorageVolFree(v);
	return buf;
}

/* The record as "UUID BYTES LABEL", padded so its size never changes. */
static bool write_record(virStoragePoolPtr pool, const char *name,
			 const char *uuid, uint64_t bytes, uint64_t label,
			 tiervm_error **errp)
{
	char text[RECORD_MAX + 1];
	const char *p = text;
	virStorageVolPtr v = virStorageVolLookupByName(pool, name);
	virStreamPtr st;
	bool ok;

	snprintf(text, sizeof(text), "%s %" PRIu64 " %" PRIu64 "\n", uuid,
		 bytes, label);
	memset(text + strlen(text), ' ', RECORD_MAX - strlen(text));
	text[RECORD_MAX] = '\0';
	if (!v) {
		v = create_filled(pool, name, RECORD_MAX, send_mem, &p, errp);
		if (v)
			virStorageVolFree(v);
		return v != NULL;
	}
	st = virStreamNew(virStoragePoolGetConnect(pool), 0);
	ok = st && virStorageVolUpload(v, st, 0, RECORD_MAX, 0) == 0 &&
	     virStreamSendAll(st, send_mem, &p) == 0 &&
	     virStreamFinish(st) == 0;
	if (!ok)
		tiervm_libvirt_error(errp, TIERVM_E_FAIL, name);
	if (st)
		virStreamFree(st);
	virStorageVolFree(v);
	return ok;
}

bool tiervm_nv_volume_get(virStoragePoolPtr pool, const char *guest,
			  const char *id, const char *uuid, uint64_t bytes,
			  uint64_t label, bool adopt, const char *key,
			  struct tiervm_nv_volume *out, tiervm_error **errp)
{
	char *name = xasprintf("nvdimm-%s-%s.img", guest, id),
	     *rname = xasprintf("%s.owner", name), *rec = NULL;
	virStorageVolPtr v = virStorageVolLookupByName(pool, name);
	bool ok = false;

	*out = (struct tiervm_nv_volume){ 0 };
	if (!v) {
		v = create_filled(pool, name, bytes, NULL, NULL, errp);
		if (!v)
			goto out;
		out->fresh = true;
	} else {
		char owner[RECORD_MAX] = "";
		uint64_t rbytes = 0, rlabel = 0;

		rec = read_record(pool, rname);
		if (!rec || sscanf(rec, "%255s %" SCNu64 " %" SCNu64, owner,
				   &rbytes, &rlabel) != 3) {
			tiervm_error_set(
				errp, TIERVM_E_INPUT,
				"%s: volume %s exists on that host and tiervm did not make it: it is left alone (remove it there, or name another id)",
				key, name);
			goto out;
		}
		if (strcmp(owner, uuid) && !adopt) {
			tiervm_error_set(
				errp, TIERVM_E_INPUT,
				"%s: volume %s on that host belongs to another guest (%s): it is left alone",
				key, name, owner);
			goto out;
		}
		if (strcmp(owner, uuid) &&
		    (rbytes != bytes || rlabel != label)) {
			tiervm_error_set(
				errp, TIERVM_E_INPUT,
				"%s: volume %s on that host holds %" PRIu64
				" bytes with label-size %" PRIu64
				", not this spec's %" PRIu64 " and %" PRIu64
				": it is left alone",
				key, name, rbytes, rlabel, bytes, label);
			goto out;
		}
		if (capacity(v) != bytes) {
			tiervm_error_set(
				errp, TIERVM_E_INPUT,
				"%s: volume %s on that host holds %" PRIu64
				" bytes, not %" PRIu64 ": it is never resized",
				key, name, capacity(v), bytes);
			goto out;
		}
	}
	if (!write_record(pool, rname, uuid, bytes, label, errp))
		goto out;
	out->path = vol_path(v, errp);
	ok = out->path != NULL;
out:
	if (!ok && out->fresh) {
		char *p = virStorageVolGetPath(v);

		out->path = p;
		tiervm_nv_volume_drop(pool, out);
		free(p);
		out->path = NULL;
	}
	if (v)
		virStorageVolFree(v);
	free(name);
	free(rname);
	free(rec);
	return ok;
}

void tiervm_nv_volume_drop(virStoragePoolPtr pool, struct tiervm_nv_volume *v)
{
	virStorageVolPtr vol;

	if (!v->fresh || !v->path)
		return;
	for (int i = 0; i < 2; i++) {
		char *path = xasprintf("%s%s", v->path, i ? ".owner" : "");

		vol = virStorageVolLookupByPath(virStoragePoolGetConnect(pool),
						path);
		if (vol) {
			virStorageVolDelete(vol, 0);
			virStorageVolFree(vol);
		}
		free(path);
	}
	v->fresh = false;
}
