// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Touches 64 MiB and prints the numa_maps line of that mapping: where the
 * kernel put its pages ("N2=16384" when all are on node 2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int main(void)
{
	size_t len = 64 << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char line[4096], want[32];
	FILE *f;

	if (p == MAP_FAILED)
		return 1;
	memset(p, 1, len);
	snprintf(want, sizeof(want), "%lx ", (unsigned long)p);
	f = fopen("/proc/self/numa_maps", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want)))
			fputs(line, stdout);
	return 0;
}
