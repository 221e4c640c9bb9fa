// SPDX-License-Identifier: LGPL-2.1-or-later
/* The QMP reader on arbitrary bytes, fed in two pieces. */
#include <stddef.h>
#include <stdint.h>

#include "qemu_qmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tiervm_qmp *q = tiervm_qmp_new_detached();
	tiervm_error *err = NULL;
	size_t cut = size ? data[0] % (size + 1) : 0;
	json_object *o;

	if (tiervm_qmp_feed(q, (const char *)data, cut, &err))
		tiervm_qmp_feed(q, (const char *)data + cut, size - cut, &err);
	tiervm_error_free(err);
	err = NULL;
	while ((o = tiervm_qmp_event(q, 0, &err)))
		json_object_put(o);
	tiervm_error_free(err);
	for (unsigned id = 0; id < 4; id++)
		json_object_put(tiervm_qmp_take_response(q, id));
	tiervm_qmp_close(q);
	return 0;
}
