// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static void print_json_status(const struct tiervm_status *st)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(st->name));
	json_object_object_add(o, "pid", json_object_new_int64(st->pid));
	json_object_object_add(o, "memory_devices",
			       json_object_get(st->memory_devices));
	json_object_object_add(o, "nodes", json_object_get(st->nodes));
	json_object_object_add(o, "tiering", json_object_get(st->tiering));
	json_object_object_add(o, "pgdemote",
			       json_object_new_int64(st->demoted));
	json_object_object_add(o, "pgpromote",
			       json_object_new_int64(st->promoted));
	if (st->counting)
		json_object_object_add(o, "counting",
				       json_object_get(st->counting));
	print_json(o);
}

/* A count the kernel may not have: "-" then. */
static const char *count(json_object *n, const char *key, char *buf, size_t len)
{
	long long v = jint(n, key, -1);

	if (v < 0)
		return "-";
	snprintf(buf, len, "%lld", v);
	return buf;
}

/* Access rates while a counting window is armed (tiervm exec --access-counts). */
static void print_counting(json_object *c)
{
	json_object *nodes = jget(c, "nodes");

	if (!c)
		return;
	if (!json_object_get_boolean(jget(c, "armed"))) {
		printf("access counting: loaded, no window armed\n");
		return;
	}
	printf("\naccess counting: armed\n%-5s %s\n", "node", "accesses/s");
	for (size_t i = 0; i < jlen(nodes); i++) {
		json_object *n = jidx(nodes, i);

		if (jget(n, "rate"))
			printf("%-5lld %.0f\n", jint(n, "node", -1),
			       json_object_get_double(jget(n, "rate")));
		else
			printf("%-5lld -\n", jint(n, "node", -1));
	}
}

static void print_text(const struct tiervm_status *st)
{
	if (st->pid > 0)
		printf("guest %s, QEMU pid %ld\n\n", st->name, st->pid);
	else
		printf("guest %s\n\n", st->name);
	printf("%-10s %-12s %-5s %-10s %-10s %-10s %s\n", "device", "type",
	       "node", "size", "requested", "max", "block");
	for (size_t i = 0; i < json_object_array_length(st->memory_devices);
	     i++)
		print_device(json_object_array_get_idx(st->memory_devices, i));
	printf("\n%-5s %-10s %-10s %-10s %-5s %-10s %s\n", "node", "cpus",
	       "MiB", "free MiB", "tier", "demoted", "promoted (pages)");
	for (size_t i = 0; i < json_object_array_length(st->nodes); i++) {
		json_object *n = json_object_array_get_idx(st->nodes, i);
		const char *cpus = jstr(n, "cpus", "");
		char free_mib[24] = "-", tier[24], dem[24], pro[24];

		if (jint(n, "memory_free", -1) >= 0)
			snprintf(free_mib, sizeof(free_mib), "%lld",
				 jint(n, "memory_free", 0) >> 20);
		printf("%-5lld %-10s %-10lld %-10s %-5s %-10s %s\n",
		       jint(n, "id", -1), *cpus ? cpus : "-",
		       jint(n, "memory", -1) >> 20, free_mib,
		       count(n, "tier", tier, sizeof(tier)),
		       count(n, "pgdemote", dem, sizeof(dem)),
		       count(n, "pgpromote", pro, sizeof(pro)));
	}
	printf("\nall nodes: %lld pages demoted, %lld promoted (-1: the kernel does not count them)\n",
	       st->demoted, st->promoted);
	if (st->tiering)
		printf("tiering knobs set at boot: %s\n",
		       json_object_to_json_string(st->tiering));
	print_counting(st->counting);
}

int cmd_status(int argc, char **argv)
{
	bool json = false, watch = false;
	json_object *last = NULL;
	struct tiervm_status st;
	tiervm_error *err = NULL;

	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--watch"))
			watch = true;
		else
			return usage("status");
	if (argc < 2 || (json && watch))
		return usage("status");
	catch_interrupts();
	do {
		if (!tiervm_status(argv[1], last, &st, &err)) {
			json_object_put(last);
			return tiervm_interrupted ? EXIT_OK : report(err);
		}
		/* home and clear: a redraw, as watch(1) does */
		if (watch)
			printf("\033[H\033[2J");
		if (json)
			print_json_status(&st);
		else
			print_text(&st);
		fflush(stdout);
		/* the next redraw's rates are since this one */
		json_object_put(last);
		last = json_object_get(st.counting);
		tiervm_status_clear(&st);
	} while (watch && !tiervm_interrupted && sleep(1) == 0 &&
		 !tiervm_interrupted);
	json_object_put(last);
	return EXIT_OK;
}
