// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * hot MIB SECONDS: touches MIB of anonymous memory (more than the DRAM
 * node has, so the kernel must demote some to the lower tier), then keeps
 * reading and writing all of it for SECONDS, so NUMA balancing sees the
 * demoted pages are hot and promotes them back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	size_t len;
	time_t end;
	char *p;

	if (argc != 3)
		return 2;
	len = strtoull(argv[1], NULL, 10) << 20;
	p = malloc(len);
	if (!p)
		return 1;
	memset(p, 1, len);
	printf("touched %s MiB\n", argv[1]);
	fflush(stdout);
	for (end = time(NULL) + atoi(argv[2]); time(NULL) < end;)
		for (size_t i = 0; i < len; i += 4096)
			p[i]++;
	return 0;
}
