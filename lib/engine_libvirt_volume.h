/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_ENGINE_LIBVIRT_VOLUME_H
#define TIERVM_ENGINE_LIBVIRT_VOLUME_H

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stdint.h>

#include "util_error.h"

/*
 * What a guest on a libvirt host needs of this machine's files reaches
 * that host through the connection, as volumes of a storage pool tiervm
 * defines there ("tiervm", a directory pool), never through a shared
 * filesystem: the kernel and initramfs keyed by their content, so a
 * second guest of the same image uploads nothing, and NVDIMM backing
 * files made only when absent and never truncated, resized or deleted.
 */
#define TIERVM_POOL "tiervm"
#define TIERVM_POOL_DIR "/var/lib/libvirt/images/tiervm"

/**
 * tiervm_pool - tiervm's pool on @c, defined, built and started when it
 * is not (a line saying how to make it where libvirt cannot).
 */
virStoragePoolPtr tiervm_pool(virConnectPtr c, tiervm_error **errp);

/**
 * tiervm_volume_upload - @path's content as volume "@prefix-HASH" in
 * @pool, uploaded unless a whole one is there; its path on that host
 * (caller frees).  *@sent: the bytes this call uploaded.
 */
char *tiervm_volume_upload(virStoragePoolPtr pool, const char *path,
			   const char *prefix, uint64_t *sent,
			   tiervm_error **errp);

/**
 * tiervm_volume_copy - the volume at @path on @from, copied into @to
 * under its own name unless a whole one is there; its path there.
 */
char *tiervm_volume_copy(virConnectPtr from, const char *path,
			 virStoragePoolPtr to, uint64_t *sent,
			 tiervm_error **errp);

/*
 * An NVDIMM's backing volume: "nvdimm-GUEST-ID.img", with the owner
 * recorded beside it ("...img.owner": the guest's domain UUID, its size
 * and label-size), so that a volume tiervm did not make for this guest
 * is never handed to it.
 */
struct tiervm_nv_volume {
	char *path; /* on that host */
	bool fresh; /* this call made it */
};

/**
 * tiervm_nv_volume_get - the backing volume for guest @guest (@uuid)'s
 * NVDIMM @id of @bytes (size + label-size): made when absent; an
 * existing one used only when its record names this guest, or (with
 * @adopt) when the record's size and label-size match.  Anything else is
 * an input error naming @key.
 */
bool tiervm_nv_volume_get(virStoragePoolPtr pool, const char *guest,
			  const char *id, const char *uuid, uint64_t bytes,
			  uint64_t label, bool adopt, const char *key,
			  struct tiervm_nv_volume *out, tiervm_error **errp);

/** tiervm_nv_volume_drop - remove a volume tiervm_nv_volume_get() just
 * made (no guest ever saw it); nothing else is ever removed. */
void tiervm_nv_volume_drop(virStoragePoolPtr pool, struct tiervm_nv_volume *v);

#endif
