// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "tiervm.h"
#include "units.h"
#include "util_json.h"

static char *size_of(json_object *data, const char *key)
{
	return tiervm_format_size((uint64_t)jint(data, key, 0));
}

static void print_device(json_object *d)
{
	json_object *data = jget(d, "data");
	const char *type = jstr(d, "type", "?");
	char *size = size_of(data, "size"), *req = NULL, *max = NULL,
	     *bs = NULL;

	if (!strcmp(type, "virtio-mem")) {
		req = size_of(data, "requested-size");
		max = size_of(data, "max-size");
		bs = size_of(data, "block-size");
	}
	printf("%-10s %-12s %-5lld %-10s %-10s %-10s %s\n",
	       jstr(data, "id", ""), type, jint(data, "node", -1), size,
	       req ? req : "-", max ? max : "-", bs ? bs : "-");
	free(size);
	free(req);
	free(max);
	free(bs);
}

int cmd_status(int argc, char **argv)
{
	bool json = argc == 3 && !strcmp(argv[2], "--json");
	struct tiervm_status st;
	json_object *o;
	tiervm_error *err = NULL;

	if (argc != 2 && !json)
		return usage("status");
	if (!tiervm_status(argv[1], &st, &err))
		return report(err);
	if (json) {
		o = json_object_new_object();
		json_object_object_add(o, "name",
				       json_object_new_string(st.name));
		json_object_object_add(o, "pid", json_object_new_int64(st.pid));
		json_object_object_add(o, "memory_devices",
				       json_object_get(st.memory_devices));
		json_object_object_add(o, "nodes", json_object_get(st.nodes));
		print_json(o);
		tiervm_status_clear(&st);
		return EXIT_OK;
	}
	printf("guest %s, QEMU pid %ld\n\n", st.name, st.pid);
	printf("%-10s %-12s %-5s %-10s %-10s %-10s %s\n", "device", "type",
	       "node", "size", "requested", "max", "block");
	for (size_t i = 0; i < json_object_array_length(st.memory_devices); i++)
		print_device(json_object_array_get_idx(st.memory_devices, i));
	printf("\n%-5s %-10s %s\n", "node", "cpus", "memory online (MiB)");
	for (size_t i = 0; i < json_object_array_length(st.nodes); i++) {
		json_object *n = json_object_array_get_idx(st.nodes, i);
		const char *cpus = jstr(n, "cpus", "");

		printf("%-5lld %-10s %lld\n", jint(n, "id", -1),
		       *cpus ? cpus : "-", jint(n, "memory", -1) >> 20);
	}
	tiervm_status_clear(&st);
	return EXIT_OK;
}
