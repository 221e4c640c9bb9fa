// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * tiervm host --json on a tree: discovery plus JSON, repeated; prints wall
 * time per run and peak RSS.  --synthetic DIR first writes a 128-node tree
 * (64 with cpus, HMAT figures and a memory-side cache on every node) there.
 * Target: under 20 ms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"
#include "util.h"
#include "vm.h"

static void put(const char *dir, const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", dir, rel), *cmd;
	FILE *f;

	cmd = xasprintf("mkdir -p \"$(dirname '%s')\"", path);
	if (system(cmd) != 0)
		exit(1);
	f = fopen(path, "we");
	if (!f)
		exit(1);
	fputs(text, f);
	fclose(f);
	free(cmd);
	free(path);
}

static void synthesize(const char *dir)
{
	const char *base = "sys/devices/system/node";

	for (int n = 0; n < 128; n++) {
		struct sbuf d = { 0 };
		char rel[256], val[64];

		for (int m = 0; m < 128; m++)
			sbuf_addf(&d, "%s%d", m ? " " : "",
				  n == m ? 10 : 20 + (n ^ m) % 20);
		sbuf_addf(&d, "\n");
		snprintf(rel, sizeof(rel), "%s/node%d/distance", base, n);
		put(dir, rel, d.s);
		sbuf_free(&d);
		snprintf(rel, sizeof(rel), "%s/node%d/cpulist", base, n);
		snprintf(val, sizeof(val), n < 64 ? "%d-%d\n" : "\n", 4 * n,
			 4 * n + 3);
		put(dir, rel, val);
		snprintf(rel, sizeof(rel), "%s/node%d/meminfo", base, n);
		snprintf(val, sizeof(val), "Node %d MemTotal: %d kB\n", n,
			 16777216);
		put(dir, rel, val);
		snprintf(rel, sizeof(rel),
			 "%s/node%d/access0/initiators/read_latency", base, n);
		put(dir, rel, n < 64 ? "80\n" : "250\n");
		snprintf(rel, sizeof(rel),
			 "%s/node%d/access0/initiators/read_bandwidth", base,
			 n);
		put(dir, rel, n < 64 ? "32768\n" : "8192\n");
		snprintf(rel, sizeof(rel),
			 "%s/node%d/memory_side_cache/index1/size", base, n);
		put(dir, rel, "1073741824\n");
	}
}

int main(int argc, char **argv)
{
	const char *root;
	long long best = -1, total = 0;
	struct rusage ru;
	int runs;

	if (argc < 2) {
		fprintf(stderr, "usage: %s [--synthetic] ROOT [RUNS]\n",
			argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "--synthetic")) {
		root = argv[2];
		synthesize(root);
		runs = argc > 3 ? atoi(argv[3]) : 100;
	} else {
		root = argv[1];
		runs = argc > 2 ? atoi(argv[2]) : 100;
	}
	for (int i = 0; i < runs; i++) {
		tiervm_error *err = NULL;
		long long t = tiervm_now_us();
		struct tiervm_host *h = tiervm_host_discover(root, &err);
		json_object *j;

		if (!h) {
			fprintf(stderr, "%s\n", err->msg);
			return 1;
		}
		j = tiervm_host_to_json(h);
		json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY);
		json_object_put(j);
		tiervm_host_free(h);
		t = tiervm_now_us() - t;
		total += t;
		if (best < 0 || t < best)
			best = t;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("host --json on %s: best %.2f ms, mean %.2f ms over %d runs (target < 20 ms); peak RSS %.1f MB\n",
	       root, best / 1000.0, total / 1000.0 / runs, runs,
	       ru.ru_maxrss / 1024.0);
	return 0;
}
