// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The spec parser and every validation rule on arbitrary text, then the
 * planner on what passes, and on everything as `--unchecked` plans it.
 */
#include <stddef.h>
#include <stdint.h>

#include "plan.h"
#include "qemu_caps.h"
#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A QEMU with everything tiervm asks of one (volatile CXL, 4 decoders). */
static const struct tiervm_qemu_caps caps = {
	.binary = "qemu-system-x86_64",
	.major = 10,
	.machine_q35 = true,
	.machine_pc = true,
	.vmem_unplugged_inaccessible = true,
	.cxl_volatile = true,
	.cxl_persistent_memdev = true,
};

static void plan(bool validate, const uint8_t *data, size_t size)
{
	tiervm_error *err = NULL;
	struct tiervm_spec *s = tiervm_spec_parse_string(
		"fuzz.yaml", (const char *)data, size, validate, &err);

	tiervm_error_free(err);
	err = NULL;
	if (s)
		tiervm_plan_free(tiervm_plan_build(s, &caps, NULL, &err));
	tiervm_error_free(err);
	tiervm_spec_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	plan(true, data, size);
	plan(false, data, size);
	return 0;
}
