/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_SPEC_H
#define TIERVM_SPEC_H

#include <stdbool.h>
#include <stdint.h>

#include "util_error.h"
#include "units.h"

/*
 * The spec model: what the user asked for, after parsing and before any
 * default is applied.  Every value remembers the line it came from so that
 * validation can point at it.  docs/spec.md is the contract.
 */

enum tiervm_kind {
	TIERVM_KIND_DRAM,
	TIERVM_KIND_HBM,
	TIERVM_KIND_CXL,
	TIERVM_KIND_PMEM,
	TIERVM_KIND_SOFT_RESERVED,
	TIERVM_KIND__COUNT,
};

enum tiervm_backend {
	TIERVM_BACKEND_RAM,
	TIERVM_BACKEND_FILE,
	TIERVM_BACKEND_MEMFD,
};

enum tiervm_policy {
	TIERVM_POLICY_BIND,
	TIERVM_POLICY_PREFERRED,
	TIERVM_POLICY_INTERLEAVE,
};

enum tiervm_accel { TIERVM_ACCEL_AUTO, TIERVM_ACCEL_KVM, TIERVM_ACCEL_TCG };
enum tiervm_onoff { TIERVM_AUTO, TIERVM_ON, TIERVM_OFF };

enum tiervm_nv_mode {
	TIERVM_NV_RAW,
	TIERVM_NV_FSDAX,
	TIERVM_NV_DEVDAX,
	TIERVM_NV_KMEM,
};

/*
 * Where the platform says a write to an NVDIMM is persistent (ACPI NFIT's
 * platform capabilities; QEMU's machine property nvdimm-persistence): the
 * guest kernel shows it as a region's persistence_domain.
 */
enum tiervm_nv_persistence {
	TIERVM_PERSIST_UNSAID, /* QEMU's default: the NFIT says nothing */
	TIERVM_PERSIST_MEM_CTRL,
	TIERVM_PERSIST_CPU,
};

/* The spec's names (mem-ctrl, cpu) and the kernel's (memory_controller,
 * cpu_cache), by enum value from TIERVM_PERSIST_MEM_CTRL on. */
extern const char *const tiervm_persistence_names[];
extern const char *const tiervm_persistence_kernel_names[];

/* The spec's names of each NVDIMM mode, by enum value; NULL-terminated. */
extern const char *const tiervm_nv_mode_names[];

/*
 * CXL counts capacity in 256 MiB units (CXL 2.0, 8.2.9.5), and QEMU sizes
 * every fixed memory window in them (hw/cxl/cxl-host.c).
 */
#define TIERVM_CXL_UNIT (256 * MiB)

/*
 * Emulated latency's default dilation: TCG runs a guest's instructions
 * several times slower than the hardware HMAT describes (measured here:
 * about 60 ns per dependent load before any wait, against 1-2 ns for an
 * L1 hit on real hardware), so memory waits stretched by the same order
 * keep the CPU-to-memory ratio, and keep the emulation's own cost from
 * flattening the ratios between nodes.
 */
#define TIERVM_LATENCY_SCALE 4
#define TIERVM_LATENCY_SCALE_MAX 100

/* virtio-mem's block size when the spec gives none: QEMU's x86 default
 * (the THP size). */
#define TIERVM_VMEM_DEFAULT_BLOCK (2 * MiB)

enum tiervm_cxl_type { TIERVM_CXL_PERSISTENT, TIERVM_CXL_VOLATILE };
/* What the guest makes of a committed region; fsdax: persistent only. */
enum tiervm_cxl_mode {
	TIERVM_CXL_REGION,
	TIERVM_CXL_DEVDAX,
	TIERVM_CXL_KMEM,
	TIERVM_CXL_FSDAX,
};

/* The spec's names of each CXL type and mode, by enum value. */
extern const char *const tiervm_cxl_type_names[];
extern const char *const tiervm_cxl_mode_names[];

enum tiervm_cache_assoc {
	TIERVM_ASSOC_NONE,
	TIERVM_ASSOC_DIRECT,
	TIERVM_ASSOC_COMPLEX,
};

enum tiervm_cache_policy {
	TIERVM_CACHE_POLICY_NONE,
	TIERVM_CACHE_WRITE_BACK,
	TIERVM_CACHE_WRITE_THROUGH,
};

/* Where host memory for a backend comes from: "host:" in the spec. */
struct tiervm_host_bind {
	bool present;
	int line;
	bool has_nodes;
	struct tiervm_cpuset nodes; /* a node list has the cpulist syntax */
	bool has_kind;
	enum tiervm_kind kind;
	enum tiervm_policy policy;
};

/* A memory backend: shared by nodes and virtio-mem devices. */
struct tiervm_mem {
	enum tiervm_backend backend;
	char *path;
	int path_line;
	bool hugepages;
	bool prealloc;
	struct tiervm_host_bind host;
};

/*
 * A piece of a soft-reserved node's memory, as device-dax's provisioning
 * interface divides it (daxctl create-device): left to applications that
 * map /dev/daxX.Y, or handed to the kernel on the node (kmem).
 */
enum tiervm_dax_mode { TIERVM_DAX_DEVDAX, TIERVM_DAX_KMEM };
extern const char *const tiervm_dax_mode_names[];

struct tiervm_dax_piece {
	int line;
	uint64_t size;
	enum tiervm_dax_mode mode;
	uint64_t align; /* 4K, 2M (default) or 1G */
};

struct tiervm_node {
	int line;
	unsigned id;
	bool has_cpus;
	struct tiervm_cpuset cpus;
	int cpus_line;
	uint64_t memory;
	int memory_line;
	enum tiervm_kind kind;
	bool kind_given; /* the spec says it; else the default, dram */
	int initiator;	 /* -1: not given */
	int initiator_line;
	struct tiervm_mem mem;
	/* AUTO: as machine.emulate-latency says */
	enum tiervm_onoff emulate_latency;
	int emulate_latency_line;
	/* soft-reserved nodes: the devices it is divided into, in order;
	 * none: one device spanning it, onlined as kmem */
	struct tiervm_dax_piece *dax;
	unsigned n_dax;
	int dax_line;
};

struct tiervm_distance {
	int line;
	unsigned from, to, value;
};

struct tiervm_hmat {
	int line;
	unsigned initiator, target;
	bool has_latency, has_bandwidth;
	uint64_t latency;   /* ns */
	uint64_t bandwidth; /* bytes per second */
};

struct tiervm_cache {
	int line;
	unsigned node, level;
	uint64_t size;
	enum tiervm_cache_assoc assoc;
	enum tiervm_cache_policy policy;
	unsigned line_size;
};

struct tiervm_nvdimm {
	int line;
	char *id;
	bool has_node;
	unsigned node;
	uint64_t size;
	char *path;
	int path_line;
	uint64_t label_size;
	enum tiervm_onoff pmem;
	bool readonly;
	enum tiervm_nv_mode mode;
	bool mode_given;
	/* several namespaces, made in order on a new file (labels); none:
	 * one namespace of @mode */
	struct tiervm_nv_namespace *namespaces;
	unsigned n_namespaces;
	int namespaces_line;
};

/*
 * Linux holds an NVDIMM region's namespaces to the region's align, 16M on
 * x86 (memremap_compat_align times the interleave ways, which is 1 here).
 */
#define TIERVM_NV_REGION_ALIGN (16ULL << 20)

struct tiervm_nv_namespace {
	int line;
	uint64_t size;
	enum tiervm_nv_mode mode;
	uint64_t align; /* devdax and kmem: 4K, 2M (default) or 1G */
};

/* What an NVDIMM's namespaces can take: its size down to the region align. */
uint64_t tiervm_nvdimm_usable(const struct tiervm_nvdimm *nv);

struct tiervm_vmem {
	int line;
	char *id;
	unsigned node;
	uint64_t size;
	uint64_t requested;
	uint64_t block_size; /* 0: QEMU's default */
	int block_size_line;
	struct tiervm_mem mem;
};

/* The one-device form of `cxl`: a device with a bridge and window of its own. */
struct tiervm_cxl {
	int line;
	char *id;
	uint64_t size;
	enum tiervm_cxl_type type;
	enum tiervm_cxl_mode mode;
};

/* Ids a topology part names, in the spec's order. */
struct tiervm_idlist {
	char **id;
	unsigned n;
	int line;
};

struct tiervm_cxl_hb {
	int line;
	char *id;
	struct tiervm_idlist root_ports; /* port numbers 0, 1, ... */
};

struct tiervm_cxl_switch {
	int line;
	char *id;
	char *port;			 /* the root port above it */
	struct tiervm_idlist downstream; /* port numbers 0, 1, ... */
};

struct tiervm_cxl_dev {
	int line;
	char *id;
	char *port; /* a root port or a switch's downstream port */
	uint64_t size;
	uint64_t label_size; /* persistent: its label storage area */
	enum tiervm_cxl_type type;
};

struct tiervm_cxl_window {
	int line;
	char *id;
	uint64_t size;
	struct tiervm_idlist host_bridges; /* interleaved in this order */
	uint64_t granularity;		   /* 0: QEMU's default, 256 */
};

struct tiervm_cxl_region {
	int line;
	char *id;
	char *window;
	struct tiervm_idlist devices; /* as written; see tiervm_cxl_order() */
	unsigned ways;		      /* 0: the number of devices */
	uint64_t granularity;	      /* 0: the window's */
	uint64_t size;		      /* 0: what the devices and window hold */
	enum tiervm_cxl_mode mode;
	bool has_node;
	unsigned node; /* the guest node expected for its memory */
	/*
	 * The platform's figures for the path to its host bridges (ACPI
	 * generic ports in the HMAT; the devices and links add theirs):
	 * ns and bytes per second, 0 when not given.
	 */
	uint64_t latency, bandwidth;
};

/*
 * A CXL topology as the mapping form of `cxl` declares it; the list form
 * becomes one too (spec_cxl.c), so everything after parsing sees only this.
 */
struct tiervm_cxl_topology {
	int line;    /* 0: no CXL at all */
	bool listed; /* made from the one-device list form */
	struct tiervm_cxl_hb *hbs;
	unsigned n_hbs;
	struct tiervm_cxl_switch *switches;
	unsigned n_switches;
	struct tiervm_cxl_dev *devs;
	unsigned n_devs;
	struct tiervm_cxl_window *windows;
	unsigned n_windows;
	struct tiervm_cxl_region *regions;
	unsigned n_regions;
};

/*
 * Keys and their lines, in the order read: looked up only when something
 * is wrong, so appending is all a large spec pays for.
 */
struct tiervm_lines {
	char **key;
	int *line;
	size_t n, cap;
};

/** tiervm_lines_find - @key's line (0: it has none); false if not read. */
bool tiervm_lines_find(const struct tiervm_lines *l, const char *key,
		       int *line);
/** tiervm_lines_free - free @l; NULL is fine. */
void tiervm_lines_free(struct tiervm_lines *l);

struct tiervm_spec {
	char *file; /* as given by the user, for messages */
	char *text; /* what it was parsed from: `up` keeps it for `attach` */
	/* parsed without validation: only for showing what QEMU refuses */
	bool unchecked;
	/* the line of each key ("nodes[1].cpus"), for later diagnostics */
	struct tiervm_lines *lines;
	char *name;
	struct {
		bool pc; /* machine type pc instead of q35 */
		unsigned cpus;
		unsigned sockets; /* 0: default */
		int sockets_line;
		enum tiervm_accel accel;
		/* room kept free for `tiervm attach` (DIMM slots, bytes) */
		unsigned hotplug_slots;
		uint64_t hotplug_memory;
		int hotplug_line;
		/* user-space accesses cost their HMAT latency (plugin/) */
		bool emulate_latency;
		int emulate_latency_line;
		/* real ns waited per HMAT ns; 0: TIERVM_LATENCY_SCALE */
		unsigned latency_scale;
		enum tiervm_nv_persistence nvdimm_persistence;
		int nvdimm_persistence_line;
	} machine;
	struct {
		/* "auto", "debian-stable", "debian-backports", or the path of
		 * a bzImage or a kernel build tree */
		char *kernel;
		char *modules; /* with a bzImage: its modules; NULL: none */
		/* --kernel or --modules replaced what the spec said */
		bool kernel_from_cli;
		char *initrd; /* "auto" or a path */
		char *cmdline;
		/* the host's root read-only, the working directory read-write */
		bool share_host;
		/* the kernel's tiering knobs to turn on at boot */
		bool demotion, promotion;
	} guest;

	struct tiervm_node *nodes;
	unsigned n_nodes;
	struct tiervm_distance *distances;
	unsigned n_distances;
	struct tiervm_hmat *hmat;
	unsigned n_hmat;
	struct tiervm_cache *caches;
	unsigned n_caches;
	struct tiervm_nvdimm *nvdimms;
	unsigned n_nvdimms;
	struct tiervm_vmem *vmems;
	unsigned n_vmems;
	struct tiervm_cxl *cxls;
	unsigned n_cxls;
	struct tiervm_cxl_topology cxl;
};

/* A spec file is a regular file of at most this many bytes... */
#define TIERVM_SPEC_MAX_BYTES (4 << 20)
/* ...nested at most this deep (a spec needs 4: nodes[0].host.nodes) */
#define TIERVM_SPEC_MAX_DEPTH 32

/**
 * tiervm_spec_parse - parse and validate the spec at @path.
 * On failure every problem found is in the message, one per line, each
 * "FILE:LINE: KEY: what is wrong", and the error code is TIERVM_E_INPUT.
 */
struct tiervm_spec *tiervm_spec_parse(const char *path, tiervm_error **errp);

/**
 * tiervm_spec_parse_string - as tiervm_spec_parse() on text already read;
 * @file only names it in messages.  @validate false keeps only syntax and
 * type checks, for tests that feed invalid specs to QEMU itself.
 */
struct tiervm_spec *tiervm_spec_parse_string(const char *file, const char *text,
					     size_t len, bool validate,
					     tiervm_error **errp);

/**
 * tiervm_spec_parse_with_item - as tiervm_spec_parse_string(), with one
 * more item appended to the list @list ("nvdimms"), given as @n_kv
 * "key=value" strings with the spec's keys and rules.  `tiervm attach`
 * checks a new device this way against the spec the guest was started
 * with; problems are reported under @who, since the item has no file.
 */
struct tiervm_spec *
tiervm_spec_parse_with_item(const char *file, const char *text, size_t len,
			    const char *list, char *const *kv, unsigned n_kv,
			    const char *who, tiervm_error **errp);

/** tiervm_spec_parse_unchecked - parse without cross-field validation. */
struct tiervm_spec *tiervm_spec_parse_unchecked(const char *path,
						tiervm_error **errp);

/** tiervm_spec_free - free @spec; NULL is fine. */
void tiervm_spec_free(struct tiervm_spec *spec);

/** tiervm_spec_node - the node with id @id, or NULL. */
const struct tiervm_node *tiervm_spec_node(const struct tiervm_spec *spec,
					   unsigned id);

/** tiervm_vmem_block_size - @v's block size, QEMU's default if unset. */
uint64_t tiervm_vmem_block_size(const struct tiervm_vmem *v);

/**
 * tiervm_vmem_check_requested - the rule for a virtio-mem requested size,
 * at start and at run time: a multiple of @block, at most @size.  The
 * error says what is wrong without naming where.
 */
bool tiervm_vmem_check_requested(uint64_t requested, uint64_t block,
				 uint64_t size, tiervm_error **errp);

const char *tiervm_kind_name(enum tiervm_kind kind);
bool tiervm_kind_from_name(const char *name, enum tiervm_kind *kind);

/** tiervm_latency_scale - machine.latency-scale, or its default. */
static inline unsigned tiervm_latency_scale(const struct tiervm_spec *s)
{
	return s->machine.latency_scale ? s->machine.latency_scale
					: TIERVM_LATENCY_SCALE;
}

#endif
