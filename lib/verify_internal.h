/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_VERIFY_INTERNAL_H
#define TIERVM_VERIFY_INTERNAL_H

#include "verify.h"

/* Shared by tiervm_verify()'s parts: verify.c and verify_hwloc.c. */
void verify_row(struct tiervm_verdict *v, const char *verdict, const char *what,
		const char *expected, const char *guest);
/* hwloc's view (lstopo XML in the report) as a second witness. */
void verify_hwloc(json_object *report, struct tiervm_verdict *v);

/* The guest's CXL tree and regions against the declared ones. */
void verify_cxl(struct tiervm_verdict *v, json_object *exp, json_object *report,
		json_object *guest, long long dram_tier);

/* The cxl tool's view of the tree against the declared one. */
void verify_cxl_tool(struct tiervm_verdict *v, json_object *topo,
		     json_object *regions, json_object *report);

#endif
