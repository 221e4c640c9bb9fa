// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A known number of stores: N 8-byte stores (default 2^24) over a 16 MiB
 * buffer, so a counting window can be checked against the loop's own
 * count.  Built static: no dynamic loader's stores in the window.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	unsigned long long n = argc > 1 ? strtoull(argv[1], NULL, 0) : 1u << 24;
	size_t words = (16u << 20) / sizeof(uint64_t);
	volatile uint64_t *p =
		mmap(NULL, words * sizeof(uint64_t), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 1;
	/* 4K pages, so --interleave spreads 4096 pages and not 8 huge ones */
	madvise((void *)p, words * sizeof(uint64_t), MADV_NOHUGEPAGE);
	for (unsigned long long i = 0; i < n; i++)
		p[i % words] = i;
	printf("%llu stores\n", n);
	return 0;
}
