// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * tiervm spec --from a tree: reading the source, generating the spec and
 * checking it with tiervm's parser, repeated; prints wall time per run
 * beside `tiervm host`'s discovery of the same tree, measured alternately
 * in the same run.  Target: under 20 ms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "host.h"
#include "ops.h"
#include "util.h"
#include "vm.h"

int main(int argc, char **argv)
{
	long long best_spec = -1, best_host = -1, sum_spec = 0, sum_host = 0;
	struct tiervm_spec_from_opts o = { 0 };
	struct rusage ru;
	int runs;

	if (argc < 2) {
		fprintf(stderr, "usage: %s ROOT [RUNS]\n", argv[0]);
		return 2;
	}
	o.from = argv[1];
	runs = argc > 2 ? atoi(argv[2]) : 100;
	for (int i = 0; i < runs; i++) {
		tiervm_error *err = NULL;
		long long t = tiervm_now_us();
		char *yaml = tiervm_spec_from(&o, &err);
		struct tiervm_host *h;

		if (!yaml) {
			fprintf(stderr, "%s\n", err->msg);
			return 1;
		}
		free(yaml);
		t = tiervm_now_us() - t;
		sum_spec += t;
		if (best_spec < 0 || t < best_spec)
			best_spec = t;
		t = tiervm_now_us();
		h = tiervm_host_discover(o.from, &err);
		if (!h) {
			fprintf(stderr, "%s\n", err->msg);
			return 1;
		}
		tiervm_host_free(h);
		t = tiervm_now_us() - t;
		sum_host += t;
		if (best_host < 0 || t < best_host)
			best_host = t;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("spec --from %s: best %.2f ms, mean %.2f ms over %d runs (target < 20 ms)\n",
	       o.from, best_spec / 1000.0, sum_spec / 1000.0 / runs, runs);
	printf("host discovery of the same tree: best %.2f ms, mean %.2f ms; spec/host %.2f; peak RSS %.1f MB\n",
	       best_host / 1000.0, sum_host / 1000.0 / runs,
	       (double)best_spec / (double)best_host, ru.ru_maxrss / 1024.0);
	return 0;
}
