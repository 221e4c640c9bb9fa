/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_NVDIMM_H
#define TIERVM_NVDIMM_H

#include "error.h"
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
 * lasts as long as the guest; -1 on failure with *errp set.  *@created
 * (may be NULL) tells whether this call made the file.
 */
int tiervm_nvdimm_prepare(const struct tiervm_spec *spec,
			  const struct tiervm_nvdimm *nv, bool *created,
			  tiervm_error **errp);

/** tiervm_nvdimm_record_path - "PATH.tiervm"; caller frees. */
char *tiervm_nvdimm_record_path(const char *path);

#endif
