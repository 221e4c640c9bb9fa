// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `tiervm spec --from FILE` on the input as a file: an hwloc XML or a
 * tarball (by its first bytes), read, unpacked into a private directory
 * and removed, then a spec generated from whatever it describes and
 * checked by the parser.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "host_source.h"
#include "spec_generate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/tiervm-fuzz-source-XXXXXX";
	struct tiervm_generate_opts o = { .source = "fuzz" };
	struct tiervm_source *src;
	struct tiervm_host *h;
	tiervm_error *err = NULL;
	int fd = mkstemp(path);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	src = tiervm_source_open(path, &err);
	h = src ? tiervm_source_inventory(src, &err) : NULL;
	if (h) {
		char *yaml = tiervm_spec_generate(h, &o, &err);

		free(yaml);
		tiervm_host_free(h);
	}
	tiervm_error_free(err);
	tiervm_source_close(src);
	unlink(path);
	return 0;
}
