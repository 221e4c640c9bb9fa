// SPDX-License-Identifier: LGPL-2.1-or-later
/* The spec parser and every validation rule on arbitrary text. */
#include <stddef.h>
#include <stdint.h>

#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tiervm_error *err = NULL;
	struct tiervm_spec *s;

	s = tiervm_spec_parse_string("fuzz.yaml", (const char *)data, size,
				     true, &err);
	tiervm_spec_free(s);
	tiervm_error_free(err);
	return 0;
}
