// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A pointer chase: each load's address is the previous load's value, over
 * a random cycle of cache lines in a buffer (default 1 MiB: small enough
 * that the host's caches and TCG's TLB serve it, so what a node's
 * emulated latency adds stands out), so every step waits for the one
 * before.  Prints the nanoseconds per step, measured in the guest.
 *
 *   chase [STEPS [BYTES]]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#define LINE 64

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned long steps = argc > 1 ? strtoul(argv[1], NULL, 0) : 1u << 20;
	size_t bytes = argc > 2 ? strtoul(argv[2], NULL, 0) : 1u << 20;
	size_t lines = bytes / LINE, *order;
	char *buf = mmap(NULL, lines * LINE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void **p;
	double t0;

	order = malloc(lines * sizeof(*order));
	if (lines < 2 || buf == MAP_FAILED || !order)
		return 1;
	/* a random cyclic order (Sattolo), fixed seed: runs compare */
	srand(1);
	for (size_t i = 0; i < lines; i++)
		order[i] = i;
	for (size_t i = lines - 1; i > 0; i--) {
		size_t j = (size_t)rand() % i, t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (size_t i = 0; i < lines; i++)
		*(void **)(buf + order[i] * LINE) =
			buf + order[(i + 1) % lines] * LINE;
	p = (void **)(buf + order[0] * LINE);
	t0 = now_ns();
	for (unsigned long i = 0; i < steps; i++)
		p = *p;
	printf("%.1f ns per load (%lu loads)%s\n", (now_ns() - t0) / steps,
	       steps, p ? "" : " ");
	return 0;
}
