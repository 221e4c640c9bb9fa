// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snapshot.h"
#include "tiervm.h"
#include "util_json.h"

static int list(bool json)
{
	json_object *l = tiervm_cache_list();
	unsigned long long total = 0;

	if (json) {
		print_json(l);
		return EXIT_OK;
	}
	printf("%-8s  %-38s  %9s  %-12s  %-7s  %-8s  %s\n", "kind", "name",
	       "MiB", "spec", "engine", "qemu", "last used");
	for (size_t i = 0; i < jlen(l); i++) {
		json_object *o = jidx(l, i);
		time_t used = (time_t)jint(o, "used", 0);
		char when[32] = "-";
		struct tm tm;

		if (used && localtime_r(&used, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		printf("%-8s  %-38s  %9.1f  %-12s  %-7s  %-8s  %s\n",
		       jstr(o, "kind", ""), jstr(o, "name", ""),
		       (double)jint(o, "bytes", 0) / (1 << 20),
		       jstr(o, "spec", "-"), jstr(o, "engine", "-"),
		       jstr(o, "qemu", "-"), when);
		total += (unsigned long long)jint(o, "bytes", 0);
	}
	printf("%zu entries, %.1f MiB\n", jlen(l), (double)total / (1 << 20));
	json_object_put(l);
	return EXIT_OK;
}

int cmd_cache(int argc, char **argv)
{
	tiervm_error *err = NULL;
	uint64_t bytes;
	unsigned n;

	if (argc >= 2 && !strcmp(argv[1], "list") &&
	    (argc == 2 || (argc == 3 && !strcmp(argv[2], "--json"))))
		return list(argc == 3);
	if (argc >= 2 && !strcmp(argv[1], "clean") &&
	    (argc == 2 || (argc == 3 && !strcmp(argv[2], "--images")))) {
		if (!tiervm_cache_clean(argc == 3, &n, &bytes, &err))
			return report(err);
		printf("removed %u %s, %.1f MiB\n", n,
		       argc == 3 ? "snapshots and images" : "snapshots",
		       (double)bytes / (1 << 20));
		return EXIT_OK;
	}
	return usage("cache");
}
