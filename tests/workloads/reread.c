// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * reread MIB: a working set of MIB that is read again and again, one load
 * per cache line, until ./stop exists in the working directory.  While
 * ./pause exists it stops reading and tells the kernel its pages went
 * cold (MADV_COLD), so that memory pressure demotes them first; once
 * ./pause is gone it reads again, and NUMA balancing sees them hot.
 * Prints "ready", "paused" and "resumed" as it changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define LINE 64

static void say(const char *what)
{
	printf("%s\n", what);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	size_t len = argc == 2 ? strtoull(argv[1], NULL, 10) << 20 : 0;
	volatile char *p;
	unsigned long sum = 0;

	if (!len)
		return 2;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return 1;
	/* 4K pages: demotion and promotion move them one by one */
	madvise((void *)p, len, MADV_NOHUGEPAGE);
	memset((void *)p, 1, len);
	say("ready");
	while (access("stop", F_OK) < 0) {
		if (access("pause", F_OK) == 0) {
			madvise((void *)p, len, MADV_COLD);
			say("paused");
			while (access("pause", F_OK) == 0)
				usleep(100 * 1000);
			say("resumed");
		}
		for (size_t i = 0; i < len; i += LINE)
			sum += p[i];
	}
	return sum == 0;
}
