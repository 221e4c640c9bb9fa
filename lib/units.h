/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_UNITS_H
#define TIERVM_UNITS_H

#include <stdbool.h>
#include <stdint.h>

#include "util_error.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define TiB (1ULL << 40)

/* Wide enough for QEMU's x86 limit (288 for q35 under TCG, more with KVM). */
#define TIERVM_MAX_CPUS 1024
#define TIERVM_MAX_NODES 128 /* QEMU's MAX_NODES */

struct tiervm_cpuset {
	uint64_t bits[TIERVM_MAX_CPUS / 64];
};

/**
 * tiervm_parse_size - parse "512M", "1.5G", "2GiB" or plain bytes.
 * The error message says what was wrong, without naming where: the caller
 * knows the file and key.
 */
bool tiervm_parse_size(const char *s, uint64_t *out, tiervm_error **errp);

/** tiervm_parse_latency - parse "60" or "60ns" into nanoseconds. */
bool tiervm_parse_latency(const char *s, uint64_t *out, tiervm_error **errp);

/** tiervm_parse_u64 - parse a whole decimal number, nothing else. */
bool tiervm_parse_u64(const char *s, uint64_t *out, tiervm_error **errp);

/** tiervm_parse_cpulist - parse the kernel's cpulist syntax ("0-3,6"). */
bool tiervm_parse_cpulist(const char *s, struct tiervm_cpuset *set,
			  tiervm_error **errp);

/** tiervm_format_size - "2G", "128K" or bytes: the shortest exact form. */
char *tiervm_format_size(uint64_t bytes);
/** tiervm_format_size_approx - "23.54G": four digits, for a host's sizes. */
char *tiervm_format_size_approx(uint64_t bytes);

/** tiervm_format_cpulist - the kernel's compact form, "" when empty. */
char *tiervm_format_cpulist(const struct tiervm_cpuset *set);

static inline void cpuset_set(struct tiervm_cpuset *s, unsigned cpu)
{
	s->bits[cpu / 64] |= 1ULL << (cpu % 64);
}

static inline bool cpuset_test(const struct tiervm_cpuset *s, unsigned cpu)
{
	return cpu < TIERVM_MAX_CPUS && (s->bits[cpu / 64] >> (cpu % 64)) & 1;
}

unsigned cpuset_count(const struct tiervm_cpuset *s);
/* -1 when empty */
int cpuset_first(const struct tiervm_cpuset *s);
int cpuset_last(const struct tiervm_cpuset *s);

#endif
