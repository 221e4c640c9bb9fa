/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_COUNT_SHM_H
#define TIERVM_COUNT_SHM_H

/*
 * The file tiervm and its TCG plugin (tiervm-count.so) share, RUNDIR/counts:
 * tiervm creates it before QEMU starts, the plugin maps it when QEMU loads
 * it, and from then on the file is the whole protocol.  tiervm writes the
 * guest-physical ranges (known only once QEMU placed the memory devices)
 * and the per-node delays, and arms or disarms; the plugin counts into
 * per-vCPU slots, so no counter is written by two threads.  Everything is
 * native-endian: both ends run on the same host.
 *
 *   header | counters[max_vcpus][max_nodes + 1] | pages[max_vcpus][frames]
 *
 * Slot max_nodes of each vCPU holds RAM accesses in no range (firmware,
 * memory tiervm did not place).  pages[] counts accesses per 4K frame of
 * the ranges in order (range i's frames start at ranges[i].frame0).
 */
#include <stdint.h>

#define TIERVM_COUNT_MAGIC 0x54435654u /* "TVCT" */
#define TIERVM_COUNT_VERSION 1u
#define TIERVM_COUNT_MAX_RANGES 64u
#define TIERVM_COUNT_MAX_NODES 64u
#define TIERVM_COUNT_MAX_VCPUS 512u
#define TIERVM_COUNT_PAGE_SHIFT 12u

/* x86-64 user space is the canonical lower half */
#define TIERVM_COUNT_USER_TOP 0x0000800000000000ull

struct tiervm_count_range {
	uint64_t start, size;
	uint64_t frame0; /* index of its first frame in a vCPU's pages[] */
	uint32_t node;	 /* the spec's node id */
	uint32_t pad;
};

struct tiervm_count_slot {
	uint64_t loads, stores, bytes;
	uint64_t user_loads, user_stores;
};

struct tiervm_count_hdr {
	uint32_t magic, version;
	uint32_t max_vcpus, max_nodes;
	uint64_t frames; /* per vCPU */
	/* written by tiervm */
	uint32_t n_ranges;
	uint32_t armed;
	uint32_t n_boot; /* ranges[0..n_boot): boot memory, placed first */
	uint32_t pad0;
	uint64_t boot_frames;
	uint64_t ranges_gen; /* bumped after every change of ranges[] */
	/* ns per user-space access: [the vCPU's node][the node served] */
	uint64_t delay_ns[TIERVM_COUNT_MAX_NODES][TIERVM_COUNT_MAX_NODES];
	uint32_t vcpu_node[TIERVM_COUNT_MAX_VCPUS];
	struct tiervm_count_range ranges[TIERVM_COUNT_MAX_RANGES];
	/* written by the plugin */
	uint32_t loaded; /* 1 once installed */
	uint32_t api;	 /* the plugin API version it declared */
	uint32_t vcpus;	 /* QEMU's max_vcpus */
	uint32_t pad;
	uint64_t delayed; /* accesses delayed, all vCPUs (approximate) */
};

static inline uint64_t tiervm_count_file_size(uint32_t vcpus, uint32_t nodes,
					      uint64_t frames)
{
	return sizeof(struct tiervm_count_hdr) +
	       (uint64_t)vcpus * (nodes + 1) *
		       sizeof(struct tiervm_count_slot) +
	       (uint64_t)vcpus * frames * sizeof(uint32_t);
}

static inline struct tiervm_count_slot *
tiervm_count_slots(struct tiervm_count_hdr *h, uint32_t vcpu)
{
	return (struct tiervm_count_slot *)(h + 1) +
	       (uint64_t)vcpu * (h->max_nodes + 1);
}

static inline uint32_t *tiervm_count_pages(struct tiervm_count_hdr *h,
					   uint32_t vcpu)
{
	return (uint32_t *)(tiervm_count_slots(h, h->max_vcpus)) +
	       (uint64_t)vcpu * h->frames;
}

#endif
