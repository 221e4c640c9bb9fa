/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_PROVISION_H
#define TIERVM_PROVISION_H

#include <json-c/json.h>
#include <sys/wait.h>

/* Provision every NVDIMM named on @cmdline; one result object each. */
json_object *provision_nvdimms(const char *cmdline);
/* Note the nd regions present now: a later one is a hot-plugged NVDIMM. */
void provision_remember_regions(void);
/*
 * Provision a hot-plugged NVDIMM (@arg: ID:MODE:new|old) once its region
 * appears, waiting up to @timeout_ms for it.
 */
json_object *provision_attached_nvdimm(const char *arg, int timeout_ms);
/* Create and online every CXL device named on @cmdline (tiervm.cxl=ID:MODE). */
json_object *provision_cxls(const char *cmdline);
/* Online every soft-reserved node named on @cmdline (tiervm.softreserved=N,...). */
json_object *provision_soft_reserved(const char *cmdline);

#endif
