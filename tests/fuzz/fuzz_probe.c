// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The host ends of the guest's channels on arbitrary bytes: the probe's
 * replies (the request is the input's first line) and the exec frames.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exec_frame.h"
#include "probe.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmemdup0(data, size), *nl = strchr(text, '\n');
	struct tiervm_frames f = { 0 };
	tiervm_error *err = NULL;
	const uint8_t *payload;
	json_object *reply;
	uint32_t len;
	uint8_t type;

	if (nl) {
		*nl = '\0';
		tiervm_probe_parse_reply(nl + 1, text, &reply, &err);
		json_object_put(reply);
		tiervm_error_free(err);
	}
	/* frames arriving in two reads */
	tiervm_frames_add(&f, data, size / 2);
	while (tiervm_frames_next(&f, &type, &payload, &len) > 0)
		;
	tiervm_frames_add(&f, data + size / 2, size - size / 2);
	while (tiervm_frames_next(&f, &type, &payload, &len) > 0)
		;
	tiervm_frames_free(&f);
	free(text);
	return 0;
}
