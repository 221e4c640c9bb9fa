/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_PROVISION_INTERNAL_H
#define TIERVM_PROVISION_INTERNAL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

#include "util.h"

/* Helpers shared by the NVDIMM, CXL and soft-reserved provisioning. */

/* The value of kernel argument @key ("tiervm.cxl") on @cmdline, or NULL. */
char *prov_cmdline_arg(const char *cmdline, const char *key);
/*
 * Read @f, started with popen(@cmd), to its end: its output; *@status (may
 * be NULL) its exit status, -1 when it did not run.
 */
char *prov_finish(FILE *f, const char *cmd, int *status);
/* popen(@cmd) read by prov_finish(). */
char *prov_run(const char *cmd, int *status);
/* prov_run(@cmd), the command and its output appended to @log. */
char *prov_run_logged(const char *cmd, struct sbuf *log, int *status);
/* The first line of a small file, "" when unreadable. */
char *prov_read_small(const char *path);
/* The first namespace with a size in @region, from `ndctl list`. */
json_object *prov_find_namespace(const char *region);
/* The namespace `ndctl create-namespace` printed in @out, else listed. */
json_object *prov_created_namespace(const char *out, const char *region);
/* @o's string member @k, or NULL. */
const char *prov_str(json_object *o, const char *k);
/* A devdax namespace's first dax device ("ndctl list -X" nests it). */
json_object *prov_dax_device(json_object *ns);
/* The namespace's character device (pmem or dax). */
const char *prov_chardev(json_object *ns);
/* Online device-dax @dax as system RAM ("ok" or what failed), logged. */
const char *prov_online_dax(const char *dax, struct sbuf *log);

/*
 * Divide dax_hmem's device @dax of soft-reserved @node as @list
 * (tiervm.dax's NODE:SIZE:MODE:ALIGN,...) says: "ok" or what failed, the
 * devices made and the unassigned rest put in @report, the commands in
 * @log (guest/provision_dax.c).
 */
const char *provision_divide_dax(const char *dax, int node, const char *list,
				 json_object *report, struct sbuf *log);

/*
 * An NVDIMM of several namespaces (tiervm.ns.@id on @cmdline): made on a
 * @fresh file, reported as found on an old one (guest/provision_ns.c).
 */
json_object *provision_namespaces(const char *id, const char *cmdline,
				  bool fresh, const char *region);

#endif
