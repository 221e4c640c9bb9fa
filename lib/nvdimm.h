/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_NVDIMM_H
#define TIERVM_NVDIMM_H

#include <json-c/json.h>
#include <stdint.h>

#include "util_error.h"
#include "spec.h"

/*
 * NVDIMM backing files belong to the user: tiervm creates one only where
 * none exists, and otherwise only checks it.  Beside each it keeps a record,
 * PATH.tiervm, of the size and label-size it was made for, because reusing
 * a file with another label-size makes the guest read file-system data as
 * labels (or write labels over data).
 */

/**
 * tiervm_nvdimm_prepare - make @nv's backing file usable by a guest:
 * create it sparse if absent, else check its size and its record; then lock
 * it.  Returns an fd holding the lock, to be inherited by QEMU so the lock
 * lasts as long as the guest, and opened by QEMU as /proc/self/fd/N, so
 * the file QEMU maps is the one checked, whatever the path names by then;
 * -1 on failure with *errp set.  *@created
 * (may be NULL) tells whether this call made the file.
 */
int tiervm_nvdimm_prepare(const struct tiervm_spec *spec,
			  const struct tiervm_nvdimm *nv, bool *created,
			  tiervm_error **errp);

/** tiervm_nvdimm_record_path - "PATH.tiervm"; caller frees. */
char *tiervm_nvdimm_record_path(const char *path);

/** tiervm_nvdimm_backing_size - size + label-size: what the file holds. */
uint64_t tiervm_nvdimm_backing_size(const struct tiervm_nvdimm *nv);

/**
 * tiervm_nvdimm_pmem_refusal - why @nv cannot have the pmem setting it asks
 * for (QEMU's pmem=on promises persistence only DAX storage gives), or
 * NULL; @on_dax: its backing file is a device-dax device.
 */
const char *tiervm_nvdimm_pmem_refusal(const struct tiervm_nvdimm *nv,
				       bool on_dax);

/**
 * tiervm_nvdimm_qmp_args - @nv as the arguments of object-add (*backend)
 * and device_add (*device), for hot-plug; the same properties the command
 * line gets.  @on_dax: the backing file is a device-dax device.
 */
void tiervm_nvdimm_qmp_args(const struct tiervm_nvdimm *nv, bool on_dax,
			    json_object **backend, json_object **device);

#endif
