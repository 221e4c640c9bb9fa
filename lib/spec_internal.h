/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_SPEC_INTERNAL_H
#define TIERVM_SPEC_INTERNAL_H

#include "spec_diag.h"
#include "spec.h"

/* Cross-field rules; adds one diag per problem. */
void spec_validate(const struct tiervm_spec *s, struct tiervm_diags *d);

#endif
