/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_HOST_H
#define TIERVM_HOST_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "util_error.h"
#include "spec.h"
#include "units.h"

/* Host node ids go beyond a guest's 128 (POWER9 GPU nodes are 250+). */
#define TIERVM_HOST_MAX_NODES TIERVM_MAX_CPUS

enum tiervm_host_kind {
	TIERVM_HOST_DRAM = TIERVM_KIND_DRAM,
	TIERVM_HOST_HBM = TIERVM_KIND_HBM,
	TIERVM_HOST_CXL = TIERVM_KIND_CXL,
	TIERVM_HOST_PMEM = TIERVM_KIND_PMEM,
	TIERVM_HOST_SOFT_RESERVED = TIERVM_KIND_SOFT_RESERVED,
	TIERVM_HOST_GPU,
	TIERVM_HOST_UNKNOWN,
};

struct tiervm_host_access {
	bool present;
	struct tiervm_cpuset initiators;
	/* UINT64_MAX where the file is missing or unreadable */
	uint64_t read_latency, write_latency, read_bandwidth, write_bandwidth;
};

struct tiervm_host_cache {
	bool present;
	uint64_t size;
	uint64_t line_size, indexing, write_policy;
};

struct tiervm_host_node {
	unsigned id;
	bool has_cpus;
	struct tiervm_cpuset cpus;
	/* the physical packages (sockets) its cpus are in; empty unknown */
	struct tiervm_cpuset packages;
	uint64_t memory; /* bytes, from nodeN/meminfo MemTotal */
	bool memory_known;
	/* UINT64_MAX where unknown: MemFree, and pages moved between tiers */
	uint64_t memory_free, demoted, promoted;
	enum tiervm_host_kind kind;
	char *evidence;	    /* which files said so, or why unknown */
	int tier;	    /* memory_tierN, -1 when unknown */
	unsigned *distance; /* [n_nodes], order of host->nodes; NULL unknown */
	struct tiervm_host_access access[2];
	struct tiervm_host_cache caches[4]; /* index 1..3 */
};

struct tiervm_host_dax {
	char *name;
	uint64_t size;
	int target_node, numa_node;
	char *driver;	/* device_dax, kmem, or NULL (unbound) */
	char *resource; /* start address as sysfs gives it */
	char *source;	/* "nvdimm", "hmem", "cxl" or "unknown" */
	uint64_t align; /* UINT64_MAX where sysfs does not say (before 5.10) */
};

struct tiervm_host_nd {
	char *name; /* regionN or namespaceN.M */
	char *type; /* "region" or "namespace" */
	uint64_t size;
	char *mode; /* namespaces: raw, fsdax, devdax, ... */
	int numa_node;
	/* regions: persistence_domain (cpu_cache, memory_controller, "" for
	 * none said; NULL before 4.16), and whether the NFIT described it
	 * (not a CXL region bridged to libnvdimm) */
	char *persistence;
	bool nfit;
};

struct tiervm_host_cxl {
	char *name; /* memN, regionN, decoderX.Y, ... */
	char *type;
	uint64_t size;
	char *detail; /* e.g. the dax region a region became */
	/* the tree, as sysfs links it (NULL or UINT64_MAX/-1 when absent) */
	char *path; /* the device's path from "devices/" */
	char *uport; /* ports: what the port stands for (ACPI0016:00, a BDF, memN) */
	char *dports; /* ports: "ID=target,...": a root's bridges by _UID,
			 * a bridge's or switch's ports by port number */
	char *serial; /* memdevs */
	uint64_t pmem_size, ram_size; /* memdevs */
	int ways;		      /* decoders and regions */
	uint64_t granularity;	      /* decoders and regions */
	char *targets; /* root and switch decoders: target_list; regions:
			 * their endpoint decoders in position order */
	char *mode;    /* endpoint decoders: pmem, ram or none */
	int commit;    /* regions */
	/* regions (6.9+): access0's figures, the kernel's sum of the path */
	uint64_t read_latency, read_bandwidth;
};

struct tiervm_host_iomem {
	uint64_t start, end;
	unsigned depth;
	char *name;
};

struct tiervm_host {
	char *root;
	struct tiervm_host_node *nodes;
	unsigned n_nodes;
	struct tiervm_host_dax *dax;
	unsigned n_dax;
	struct tiervm_host_nd *nd;
	unsigned n_nd;
	struct tiervm_host_cxl *cxl;
	unsigned n_cxl;
	struct tiervm_host_iomem *iomem;
	unsigned n_iomem;
	bool iomem_known, tiers_known;
	/* pages moved between tiers, all nodes (/proc/vmstat); UINT64_MAX
	 * where unknown */
	uint64_t demoted, promoted;
	/*
	 * What the kernel lets a process map (/proc/meminfo, /proc/sys/vm):
	 * bytes; commit_known false where the tree has none (a capture, a
	 * remote host known through libvirt).
	 */
	bool commit_known;
	uint64_t ram, swap, commit_limit, committed;
	int overcommit; /* vm.overcommit_memory: 0 heuristic, 1 always, 2 never */
	char *notes;	/* what could not be read, one reason per line */
};

/**
 * tiervm_host_discover - read the memory inventory under @root ("/" for
 * this host).  Missing or malformed files degrade to "unknown" with the
 * reason in notes; only an unreadable root fails.
 */
struct tiervm_host *tiervm_host_discover(const char *root, tiervm_error **errp);
void tiervm_host_free(struct tiervm_host *host);

/**
 * tiervm_host_from_xml - the inventory an hwloc 2.x XML (`lstopo --of
 * xml`) describes: nodes, kinds by hwloc's subtypes, distances, latency
 * and bandwidth attributes, memory-side caches, packages.  What the XML
 * cannot tell (tiers, devices) is said in notes.
 */
struct tiervm_host *tiervm_host_from_xml(const char *path, tiervm_error **errp);

/**
 * tiervm_host_from_libvirt - the inventory of the host libvirt's @uri
 * runs guests on, from its capabilities: cells, cpus and sockets,
 * distances, memory-side caches, interconnects.  What they cannot tell
 * (tiers, devices) is said in notes.
 */
struct tiervm_host *tiervm_host_from_libvirt(const char *uri,
					     tiervm_error **errp);

const char *tiervm_host_kind_name(enum tiervm_host_kind kind);
const struct tiervm_host_node *tiervm_host_node(const struct tiervm_host *h,
						unsigned id);

/** tiervm_host_nodes_of_kind - host nodes of @kind, error lists what is. */
bool tiervm_host_nodes_of_kind(const struct tiervm_host *h,
			       enum tiervm_kind kind,
			       struct tiervm_cpuset *nodes,
			       tiervm_error **errp);
/** tiervm_host_has_nodes - every node in @nodes exists on the host. */
bool tiervm_host_has_nodes(const struct tiervm_host *h,
			   const struct tiervm_cpuset *nodes,
			   tiervm_error **errp);

/** tiervm_host_format_text - the inventory as a table, with hints. */
char *tiervm_host_format_text(const struct tiervm_host *h);

/** tiervm_host_to_json - the documented schema (docs/host-json.md). */
json_object *tiervm_host_to_json(const struct tiervm_host *h);

#endif
