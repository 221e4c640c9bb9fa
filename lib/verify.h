/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_VERIFY_H
#define TIERVM_VERIFY_H

#include <json-c/json.h>

#include "plan.h"

/*
 * The guest's report against the plan's expected view.  Each row is
 * {"what", "expected", "guest", "verdict"} where verdict is "ok", "FAIL" or
 * "note" (a difference the kernel explains, never a failure).
 */
struct tiervm_verdict {
	json_object *rows; /* array */
	unsigned failed, notes;
};

/**
 * tiervm_verify - compare @report (from the probe) with @plan.
 * hwloc's view (lstopo XML inside the report) is compared with the probe's
 * as a second witness.
 */
void tiervm_verify(const struct tiervm_plan *plan, json_object *report,
		   struct tiervm_verdict *v);
void tiervm_verdict_clear(struct tiervm_verdict *v);

/** tiervm_verdict_format - the side-by-side table. */
char *tiervm_verdict_format(const struct tiervm_verdict *v);

#endif
