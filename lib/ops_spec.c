// SPDX-License-Identifier: LGPL-2.1-or-later
/* tiervm_spec_from: a spec shaped like a real machine, and its picture. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_source.h"
#include "ops.h"
#include "spec_generate.h"
#include "util.h"

/* MemAvailable of this host (not the source's), 0 when unknown. */
static uint64_t host_available(void)
{
	FILE *f = fopen("/proc/meminfo", "re");
	unsigned long long kb = 0;
	char line[128];

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return (uint64_t)kb * 1024;
}

char *tiervm_spec_from(const struct tiervm_spec_from_opts *o,
		       tiervm_error **errp)
{
	struct tiervm_source *src;
	struct tiervm_host *h = NULL;
	char *yaml = NULL;

	if (o->picture && !tiervm_picture_new(o->picture, errp))
		return NULL;
	src = tiervm_source_open(o->from, errp);
	if (src && (h = tiervm_source_inventory(src, errp))) {
		struct tiervm_generate_opts g = {
			.source = tiervm_source_name(src),
			.label = tiervm_source_label(src),
			.memory = o->memory,
			.cpus = o->cpus,
			.kernel = o->kernel,
			.name = o->name,
			.host_available = host_available(),
		};

		yaml = tiervm_spec_generate(h, &g, errp);
	}
	if (yaml && o->picture &&
	    !tiervm_source_picture(src, o->picture, errp)) {
		free(yaml);
		yaml = NULL;
	}
	tiervm_host_free(h);
	tiervm_source_close(src);
	return yaml;
}
