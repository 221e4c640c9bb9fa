// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdio.h>

#include "ops.h"
#include "tiervm.h"
#include "util_json.h"

int cmd_list(int argc, char **argv)
{
	json_object *list;

	if (argc != 1)
		return usage("list");
	list = tiervm_list();
	printf("%-20s %-8s %-8s %s\n", "name", "pid", "uptime",
	       "memory per node (MiB, last report)");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *g = json_object_array_get_idx(list, i),
			    *nodes = jget(g, "nodes");
		char up[32], pid[24] = "-";

		snprintf(up, sizeof(up), "%llds", jint(g, "uptime_s", 0));
		if (jint(g, "pid", 0) > 0)
			snprintf(pid, sizeof(pid), "%lld", jint(g, "pid", 0));
		printf("%-20s %-8s %-8s", jstr(g, "name", ""), pid, up);
		for (size_t j = 0; j < json_object_array_length(nodes); j++) {
			json_object *n = json_object_array_get_idx(nodes, j);

			printf(" %lld:%lld", jint(n, "id", -1),
			       jint(n, "memory", -1) >> 20);
		}
		printf("\n");
	}
	json_object_put(list);
	return EXIT_OK;
}
