// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Plans a 64-node spec (32 nodes with cpus, 32 cpu-less, every distance and
 * every HMAT pair given) and prints wall time per plan and peak RSS.
 * Target: under 20 ms and 10 MB.  QEMU is described, not run, so this
 * measures tiervm alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "plan.h"
#include "util.h"
#include "vm.h"

static char *make_spec(void)
{
	struct sbuf b = { 0 };

	sbuf_addf(&b,
		  "name: bench64\nmachine: {cpus: 32, sockets: 32}\nnodes:\n");
	for (int i = 0; i < 64; i++) {
		if (i < 32)
			sbuf_addf(&b, "  - {id: %d, cpus: %d, memory: 256M}\n",
				  i, i);
		else
			sbuf_addf(&b, "  - {id: %d, memory: 128M, kind: %s}\n",
				  i, i % 2 ? "hbm" : "cxl");
	}
	sbuf_addf(&b, "distances:\n");
	for (int i = 0; i < 64; i++)
		for (int j = i + 1; j < 64; j++)
			sbuf_addf(&b, "  - [%d, %d, %d]\n", i, j,
				  j - 32 == i ? 14 : 21 + (i + j) % 10);
	sbuf_addf(&b, "hmat:\n");
	for (int i = 0; i < 32; i++)
		for (int t = 0; t < 64; t++)
			sbuf_addf(
				&b,
				"  - {initiator: %d, target: %d, latency: %d, bandwidth: %dG}\n",
				i, t, i == t ? 80 : 100 + 10 * ((i + t) % 20),
				i == t ? 32 : 8 + (i + t) % 16);
	return b.s;
}

int main(int argc, char **argv)
{
	struct tiervm_qemu_caps caps = { .binary = "qemu-system-x86_64",
					 .major = 7,
					 .minor = 2,
					 .machine_q35 = true,
					 .machine_pc = true };
	int iterations = argc > 1 ? atoi(argv[1]) : 50;
	char *text = make_spec();
	struct rusage ru;
	long long t0, best = -1, total = 0;
	size_t args = 0;

	for (int i = 0; i < iterations; i++) {
		tiervm_error *err = NULL;
		struct tiervm_spec *s;
		struct tiervm_plan *p;

		t0 = tiervm_now_us();
		s = tiervm_spec_parse_string("bench64.yaml", text, strlen(text),
					     true, &err);
		p = s ? tiervm_plan_build(s, &caps, NULL, &err) : NULL;
		if (!p) {
			fprintf(stderr, "bench: %s\n", err->msg);
			return 1;
		}
		t0 = tiervm_now_us() - t0;
		total += t0;
		if (best < 0 || t0 < best)
			best = t0;
		args = p->argv.n;
		tiervm_plan_free(p);
		tiervm_spec_free(s);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("plan 64 nodes (32 with cpus, %zu QEMU args, %zu bytes of YAML):\n",
	       args, strlen(text));
	printf("  wall time per plan: best %.2f ms, mean %.2f ms over %d runs (target < 20 ms)\n",
	       best / 1000.0, total / 1000.0 / iterations, iterations);
	printf("  peak RSS: %.1f MB (target < 10 MB)\n", ru.ru_maxrss / 1024.0);
	free(text);
	return 0;
}
