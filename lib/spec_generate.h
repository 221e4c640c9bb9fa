/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_SPEC_GENERATE_H
#define TIERVM_SPEC_GENERATE_H

#include <stdint.h>

#include "host.h"
#include "util_error.h"

struct tiervm_generate_opts {
	const char *source; /* names the source in the spec's comments */
	uint64_t memory;    /* the guest's total; 0: what fits this host */
	unsigned cpus;	    /* 0: few enough for TCG, one per cpu node */
	const char *kernel; /* guest.kernel; NULL: auto */
	const char *name;   /* NULL: from @label */
	const char *label;  /* the source's name for the machine */
	/* this host's available memory, for the default total; 0 unknown */
	uint64_t host_available;
};

/* The default total memory: a quarter of what the host has available,
 * within these bounds, and never more than the source has. */
#define TIERVM_GENERATE_MIN_MEMORY (1ull << 30)
#define TIERVM_GENERATE_MAX_MEMORY (4ull << 30)
/* The default cpus: at most this many, unless more nodes have cpus. */
#define TIERVM_GENERATE_CPUS 4
/* Each node's memory is a multiple of the x86 memory block (128M). */
#define TIERVM_GENERATE_GRANULE (128ull << 20)

/**
 * tiervm_spec_generate - a spec reproducing @src's NUMA nodes, kinds,
 * distances, HMAT figures, memory-side caches and sockets, with memory
 * and cpus scaled to what a guest here can have; each scaled value and
 * everything not reproduced is said in a YAML comment.  The spec is
 * checked by tiervm's own parser before it is returned.
 */
char *tiervm_spec_generate(const struct tiervm_host *src,
			   const struct tiervm_generate_opts *o,
			   tiervm_error **errp);

#endif
