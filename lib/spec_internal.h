/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_SPEC_INTERNAL_H
#define TIERVM_SPEC_INTERNAL_H

#include "spec_diag.h"
#include "spec.h"
#include "spec_yaml.h"

/* What an unchecked spec still needs to be planned: nodes 0..n-1, refs. */
void spec_check_structure(const struct tiervm_spec *s, struct tiervm_diags *d);
/* Cross-field rules; adds one diag per problem. */
void spec_validate(const struct tiervm_spec *s, struct tiervm_diags *d);

/*
 * A device id: a QEMU id, not tiervm's, used once among all devices
 * (QEMU ids share one namespace); problems under @path's "id".
 */
void spec_check_device_id(const struct tiervm_spec *s, const char *id, int line,
			  const char *path, struct tiervm_diags *d);

/* The mapping form of `cxl` at @n (spec_cxl_parse.c). */
void spec_cxl_parse(struct ywalk *w, yaml_node_t *n, struct tiervm_spec *s);
/* The list form of `cxl`, made into s->cxl. */
void spec_cxl_from_list(struct tiervm_spec *s);
/*
 * The topology made whole (the list form converted, regions' defaults
 * filled) and, when @validate, its rules checked (spec_cxl_validate.c).
 */
void spec_cxl_resolve(struct tiervm_spec *s, struct tiervm_diags *d,
		      bool validate);
bool tiervm_cxl_ways_ok(unsigned ways);
bool tiervm_cxl_granularity_ok(uint64_t g);

#endif
