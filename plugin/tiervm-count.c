// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tiervm-count: a QEMU TCG plugin that attributes every data load and
 * store of the guest to the node whose guest-physical range served it,
 * and, for nodes given a delay, makes their user-space accesses slow.
 *
 * It runs inside QEMU, so it is GPL-2.0-or-later like QEMU's own plugins.
 * It talks to tiervm through one shared file (count_shm.h), named by its
 * only argument: -plugin tiervm-count.so,shm=RUNDIR/counts.
 *
 * Debian ships no qemu-plugin.h: the few calls used are declared here,
 * as QEMU's plugin ABI has kept them since 4.2.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "count_shm.h"

#define EXPORT __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;
typedef uint32_t qemu_plugin_meminfo_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
struct qemu_plugin_hwaddr;

typedef struct {
	const char *target_name;
	struct {
		int min, cur;
	} version;
	bool system_emulation;
	union {
		struct {
			int smp_vcpus, max_vcpus;
		} system;
	};
} qemu_info_t;

enum { CB_NO_REGS = 0 };
enum { MEM_R = 1, MEM_W = 2 };

typedef void (*tb_trans_cb)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*mem_cb)(unsigned int vcpu, qemu_plugin_meminfo_t info,
		       uint64_t vaddr, void *udata);

typedef void (*tb_exec_cb)(unsigned int vcpu, void *udata);
typedef void (*simple_cb)(qemu_plugin_id_t id);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, tb_trans_cb cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
					  tb_exec_cb cb, int flags,
					  void *udata);
void qemu_plugin_reset(qemu_plugin_id_t id, simple_cb cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *
qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn, mem_cb cb,
				      int flags, int rw, void *udata);
unsigned int qemu_plugin_mem_size_shift(qemu_plugin_meminfo_t info);
struct qemu_plugin_hwaddr *qemu_plugin_get_hwaddr(qemu_plugin_meminfo_t info,
						  uint64_t vaddr);
bool qemu_plugin_hwaddr_is_io(const struct qemu_plugin_hwaddr *haddr);
uint64_t qemu_plugin_hwaddr_phys_addr(const struct qemu_plugin_hwaddr *haddr);

/*
 * QEMU compares this with the API range it supports when it loads the
 * plugin: 7.2 and 8.x take 0-1, 9.0 raised the minimum to 2 (10.0 takes
 * 2-4).  The calls above mean the same in all of them, so the version is
 * chosen as the library loads, before QEMU reads it: QEMU 9.0 added the
 * scoreboard calls along with version 2.
 */
EXPORT int qemu_plugin_version = 1;

__attribute__((constructor)) static void choose_version(void)
{
	if (dlsym(RTLD_DEFAULT, "qemu_plugin_scoreboard_new"))
		qemu_plugin_version = 2;
}

static struct tiervm_count_hdr *hdr;
/* read once at install: delays are the machine's, not a window's */
static bool delays_on;
static qemu_plugin_id_t self;
/* a flush of QEMU's translations is under way (qemu_plugin_reset) */
static uint32_t flush_pending;

/*
 * What a vCPU's accesses need, kept where only its thread writes: its
 * counters, and a copy of the range its last access fell in, as vCPUs
 * mostly stay in one.  The copy is dropped when tiervm changes the ranges
 * (ranges_gen), so an access costs one compare against local memory.
 */
struct vcpu {
	struct tiervm_count_slot *slots; /* max_nodes + 1 */
	uint32_t *pages;
	uint64_t start, size, frame0, gen;
	uint32_t node;
	bool valid;
};
static struct vcpu *vcpus;

static inline uint32_t load32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Whether translated code should carry the per-access callbacks. */
static inline bool instrumented(void)
{
	return delays_on || load32(&hdr->armed);
}

/* The search when the copy misses: points @v at the range holding @pa. */
static bool find_range_slow(struct vcpu *v, uint64_t pa, uint64_t gen)
{
	uint32_t n = load32(&hdr->n_ranges);
	const struct tiervm_count_range *r = hdr->ranges;

	if (n > TIERVM_COUNT_MAX_RANGES)
		n = 0;
	for (uint32_t i = 0; i < n; i++)
		if (pa - r[i].start < r[i].size) {
			v->start = r[i].start;
			v->size = r[i].size;
			v->frame0 = r[i].frame0;
			v->node = r[i].node;
			v->gen = gen;
			v->valid = true;
			return true;
		}
	return false;
}

/* Whether a range holds @pa, with @v pointing at it if so. */
static inline bool find_range(struct vcpu *v, uint64_t pa)
{
	uint64_t gen = __atomic_load_n(&hdr->ranges_gen, __ATOMIC_ACQUIRE);

	if (v->valid && v->gen == gen && pa - v->start < v->size)
		return true;
	return find_range_slow(v, pa, gen);
}

/*
 * A busy wait: the vCPU's thread is the emulated CPU, so it stalls too.
 * It spins on the TSC, whose rate install() measured against the
 * monotonic clock, and takes off what reading it costs, so a wait of N ns
 * adds N ns to the access and not N plus the clock's own price.
 */
static double tsc_per_ns;
static uint64_t tsc_cost;

static inline uint64_t tsc(void)
{
	return __builtin_ia32_rdtsc();
}

static void stall(uint64_t ns)
{
	uint64_t start = tsc(), ticks = (uint64_t)((double)ns * tsc_per_ns);

	if (ticks <= tsc_cost)
		return;
	ticks -= tsc_cost;
	/* no pause: under a hypervisor a pause loop exits to it (PLE) and
	 * the wait becomes microseconds */
	while (tsc() - start < ticks)
		;
}

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* 10 ms of QEMU's start: the TSC's rate, and what reading it costs */
static void calibrate(void)
{
	uint64_t t0 = mono_ns(), c0 = tsc(), c1, n;

	while (mono_ns() - t0 < 10000000)
		;
	c1 = tsc();
	tsc_per_ns = (double)(c1 - c0) / (double)(mono_ns() - t0);
	c0 = tsc();
	for (n = 0; n < 10000; n++)
		(void)tsc();
	tsc_cost = (tsc() - c0) / n;
}

static void on_tb(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);

static void after_flush(qemu_plugin_id_t id)
{
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb);
	__atomic_store_n(&flush_pending, 0, __ATOMIC_RELEASE);
}

/*
 * Translations carry the memory callbacks only while they are wanted (a
 * window armed, or delays): when the flag and the code disagree, the code
 * is thrown away and translated again.  qemu_plugin_reset() must be called
 * from a vCPU, which is why the code notices and not a thread of ours.
 */
static void request_flush(void)
{
	if (!__atomic_exchange_n(&flush_pending, 1, __ATOMIC_ACQ_REL))
		qemu_plugin_reset(self, after_flush);
}

/* Uninstrumented code's one check per block: has a window armed? */
static void on_exec(unsigned int vcpu, void *udata)
{
	if (instrumented())
		request_flush();
}

/*
 * Loads and stores have callbacks of their own, so that neither asks QEMU
 * which it is; both are this, with @store a constant.
 */
static inline __attribute__((always_inline)) void
count_access(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr,
	     bool store)
{
	bool armed = load32(&hdr->armed), user = vaddr < TIERVM_COUNT_USER_TOP;
	struct qemu_plugin_hwaddr *hw;
	struct tiervm_count_slot *slot;
	struct vcpu *v;
	uint64_t pa, delay;
	bool in;

	if (!armed && !delays_on) {
		/* the window closed: translate again without callbacks */
		request_flush();
		return;
	}
	if ((!armed && !user) || vcpu >= hdr->max_vcpus)
		return;
	hw = qemu_plugin_get_hwaddr(info, vaddr);
	if (!hw)
		return;
	pa = qemu_plugin_hwaddr_phys_addr(hw);
	v = &vcpus[vcpu];
	in = find_range(v, pa);
	/* CXL windows are I/O to TCG (QEMU forwards them to the device);
	 * other I/O is devices, not memory */
	if (!in && qemu_plugin_hwaddr_is_io(hw))
		return;
	if (armed) {
		uint64_t f = v->frame0 +
			     ((pa - v->start) >> TIERVM_COUNT_PAGE_SHIFT);

		slot = v->slots + (in ? v->node : hdr->max_nodes);
		if (store) {
			slot->stores++;
			slot->user_stores += user;
		} else {
			slot->loads++;
			slot->user_loads += user;
		}
		slot->bytes += 1u << qemu_plugin_mem_size_shift(info);
		if (in && f < hdr->frames)
			v->pages[f]++;
	}
	if (in && user && delays_on && v->node < TIERVM_COUNT_MAX_NODES &&
	    (delay = hdr->delay_ns[hdr->vcpu_node[vcpu]][v->node])) {
		stall(delay);
		__atomic_fetch_add(&hdr->delayed, 1, __ATOMIC_RELAXED);
	}
}

static void on_load(unsigned int vcpu, qemu_plugin_meminfo_t info,
		    uint64_t vaddr, void *udata)
{
	count_access(vcpu, info, vaddr, false);
}

static void on_store(unsigned int vcpu, qemu_plugin_meminfo_t info,
		     uint64_t vaddr, void *udata)
{
	count_access(vcpu, info, vaddr, true);
}

static void on_tb(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);

	/* disarmed, a block costs one call instead of one per access */
	if (!instrumented()) {
		qemu_plugin_register_vcpu_tb_exec_cb(tb, on_exec, CB_NO_REGS,
						     NULL);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);

		qemu_plugin_register_vcpu_mem_cb(insn, on_load, CB_NO_REGS,
						 MEM_R, NULL);
		qemu_plugin_register_vcpu_mem_cb(insn, on_store, CB_NO_REGS,
						 MEM_W, NULL);
	}
}

static int map_file(const char *path)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0 ||
	    (size_t)st.st_size < sizeof(struct tiervm_count_hdr)) {
		fprintf(stderr, "tiervm-count: cannot open %s\n", path);
		return -1;
	}
	p = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	hdr = p;
	if (hdr->magic != TIERVM_COUNT_MAGIC ||
	    hdr->version != TIERVM_COUNT_VERSION ||
	    hdr->max_nodes > TIERVM_COUNT_MAX_NODES ||
	    hdr->max_vcpus > TIERVM_COUNT_MAX_VCPUS ||
	    (uint64_t)st.st_size < tiervm_count_file_size(hdr->max_vcpus,
							  hdr->max_nodes,
							  hdr->frames)) {
		fprintf(stderr,
			"tiervm-count: %s is not tiervm's counts file\n", path);
		return -1;
	}
	return 0;
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
			       int argc, char **argv);
EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
			       int argc, char **argv)
{
	const char *path = NULL;

	for (int i = 0; i < argc; i++)
		if (!strncmp(argv[i], "shm=", 4))
			path = argv[i] + 4;
	if (!path || !info->system_emulation) {
		fprintf(stderr,
			"tiervm-count: needs shm=FILE, in system emulation\n");
		return -1;
	}
	if (map_file(path) < 0)
		return -1;
	if ((uint32_t)info->system.max_vcpus > hdr->max_vcpus) {
		fprintf(stderr, "tiervm-count: %d vCPUs, room for %u\n",
			info->system.max_vcpus, hdr->max_vcpus);
		return -1;
	}
	vcpus = calloc(hdr->max_vcpus, sizeof(*vcpus));
	if (!vcpus)
		return -1;
	for (uint32_t i = 0; i < hdr->max_vcpus; i++) {
		vcpus[i].slots = tiervm_count_slots(hdr, i);
		vcpus[i].pages = tiervm_count_pages(hdr, i);
	}
	for (uint32_t i = 0; i < hdr->max_nodes; i++)
		for (uint32_t j = 0; j < hdr->max_nodes; j++)
			if (hdr->delay_ns[i][j])
				delays_on = true;
	if (delays_on)
		calibrate();
	hdr->api = (uint32_t)qemu_plugin_version;
	hdr->vcpus = (uint32_t)info->system.max_vcpus;
	__atomic_store_n(&hdr->loaded, 1, __ATOMIC_RELEASE);
	self = id;
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb);
	return 0;
}
