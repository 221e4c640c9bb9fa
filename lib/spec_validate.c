// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Rules that relate spec values to each other.  Each names the key and what
 * would be right; where the rule is QEMU's or the guest kernel's, the
 * message says so, since the user would otherwise meet it later and worse.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "spec_layout.h"
#include "spec_resolve.h"
#include "spec_internal.h"

#define PAGE_SIZE (4 * KiB)
#define HUGE_PAGE_SIZE (2 * MiB)
/* x86 memory block size: the unit daxctl and kmem online memory in */
#define MEMORY_BLOCK (128 * MiB)

static bool valid_name(const char *s)
{
	if (!s || !(islower((unsigned char)*s) || isdigit((unsigned char)*s)))
		return false;
	for (s++; *s; s++)
		if (!islower((unsigned char)*s) &&
		    !isdigit((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

/* QEMU's id rule (util/id.c): a letter, then letters, digits, - . _ */
static bool valid_qemu_id(const char *s)
{
	if (!s || !isalpha((unsigned char)*s))
		return false;
	for (s++; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-._", *s))
			return false;
	return true;
}

/* QEMU's ACPI memory hotplug has this many DIMM slots (ACPI_MAX_RAM_SLOTS) */
#define MAX_DIMM_SLOTS 256

static void check_hotplug(const struct tiervm_spec *s, struct tiervm_diags *d)
{
	unsigned slots = s->machine.hotplug_slots;
	uint64_t mem = s->machine.hotplug_memory;
	int line = s->machine.hotplug_line;

	if (!line)
		return;
	if (slots && !mem)
		diag_add(
			d, line, "machine.hotplug.memory",
			"%u slots need memory room too: give at least the size + label-size of what you will attach",
			slots);
	else if (mem && !slots)
		diag_add(
			d, line, "machine.hotplug.slots",
			"memory room needs DIMM slots: each attached NVDIMM takes one");
	if (mem % PAGE_SIZE)
		diag_add(d, line, "machine.hotplug.memory",
			 "%llu is not a multiple of 4K (QEMU's maxmem rule)",
			 (unsigned long long)mem);
	if (s->n_nvdimms + slots > MAX_DIMM_SLOTS)
		diag_add(d, line, "machine.hotplug.slots",
			 "%u NVDIMMs + %u slots exceed QEMU's %u DIMM slots",
			 s->n_nvdimms, slots, MAX_DIMM_SLOTS);
}

static void check_machine(const struct tiervm_spec *s, struct tiervm_diags *d)
{
	unsigned cpu_nodes = 0, sockets;

	if (!valid_name(s->name) || strlen(s->name) > 64)
		diag_add(
			d, 0, "name",
			"'%s' is not a name: use [a-z0-9][a-z0-9_-]*, at most 64 characters",
			s->name ? s->name : "");
	if (s->machine.cpus == 0) {
		diag_add(d, 0, "machine.cpus", "must be at least 1");
		return;
	}
	for (unsigned i = 0; i < s->n_nodes; i++)
		cpu_nodes += s->nodes[i].has_cpus;
	sockets = s->machine.sockets ? s->machine.sockets
				     : (cpu_nodes ? cpu_nodes : 1);
	if (s->machine.sockets == 0 && s->machine.sockets_line)
		diag_add(d, s->machine.sockets_line, "machine.sockets",
			 "must be at least 1");
	else if (s->machine.cpus % sockets)
		diag_add(
			d, s->machine.sockets_line, "machine.sockets",
			"%u cpus do not split evenly into %u sockets%s (QEMU needs sockets x cores = cpus)",
			s->machine.cpus, sockets,
			s->machine.sockets
				? ""
				: " (the default: one per node with cpus); set machine.sockets");
	if (s->machine.pc && s->n_cxls)
		diag_add(d, 0, "machine.type",
			 "CXL needs a PCIe machine: use q35, not pc");
	if (s->machine.nvdimm_persistence && !s->n_nvdimms &&
	    !s->machine.hotplug_slots)
		diag_add(
			d, s->machine.nvdimm_persistence_line,
			"machine.nvdimm-persistence",
			"the machine has no NVDIMM for it to describe: add one under nvdimms (or hotplug slots for `tiervm attach`), or leave the key out");
	check_hotplug(s, d);
}

static void check_host(const struct tiervm_host_bind *h, const char *path,
		       struct tiervm_diags *d)
{
	if (!h->present)
		return;
	if (h->has_nodes && h->has_kind)
		diag_add(d, h->line, path,
			 "give host.nodes or host.kind, not both");
	if (!h->has_nodes && !h->has_kind)
		diag_add(d, h->line, path,
			 "give host.nodes (host node list) or host.kind");
}

static void check_mem(const struct tiervm_mem *m, int line, const char *path,
		      struct tiervm_diags *d)
{
	char *p = xasprintf("%s.host", path);

	if (m->backend == TIERVM_BACKEND_FILE && !m->path)
		diag_add_in(d, line, path, "backend", "file needs a path");
	if (m->backend != TIERVM_BACKEND_FILE && m->path)
		diag_add_in(d, m->path_line, path, "path",
			    "only for backend: file");
	if (m->hugepages && m->backend == TIERVM_BACKEND_RAM)
		diag_add_in(
			d, line, path, "hugepages",
			"needs backend: memfd, or backend: file on hugetlbfs");
	check_host(&m->host, p, d);
	free(p);
}

static void check_nodes(const struct tiervm_spec *s, struct tiervm_diags *d)
{
	struct tiervm_cpuset seen = { 0 };
	bool present[TIERVM_MAX_NODES] = { 0 };
	/* one mistake, one line: a cpu out of range leaves another without a
	 * node, a duplicate id leaves a gap; those follow, unsaid */
	bool cpu_beyond = false, id_twice = false;
	uint64_t total = 0;

	for (unsigned i = 0; i < s->n_nodes; i++) {
		const struct tiervm_node *n = &s->nodes[i];
		char *p = xasprintf("nodes[%u]", i);
		uint64_t align = n->mem.hugepages ? HUGE_PAGE_SIZE : PAGE_SIZE;

		if (n->id < TIERVM_MAX_NODES) {
			if (present[n->id]) {
				diag_add_in(d, n->line, p, "id",
					    "node id %u is used twice", n->id);
				id_twice = true;
			}
			present[n->id] = true;
		}
		for (int c = 0; n->has_cpus && c < TIERVM_MAX_CPUS; c++) {
			if (!cpuset_test(&n->cpus, (unsigned)c))
				continue;
			if ((unsigned)c >= s->machine.cpus) {
				diag_add_in(
					d, n->cpus_line, p, "cpus",
					"cpu %d is beyond machine.cpus (%u)", c,
					s->machine.cpus);
				cpu_beyond = true;
				break;
			}
			if (cpuset_test(&seen, (unsigned)c))
				diag_add_in(d, n->cpus_line, p, "cpus",
					    "cpu %d is already in another node",
					    c);
			cpuset_set(&seen, (unsigned)c);
		}
		if (n->memory % align)
			diag_add_in(
				d, n->memory_line, p, "memory",
				"%llu bytes is not a multiple of the %spage size (%lluK)",
				(unsigned long long)n->memory,
				n->mem.hugepages ? "huge " : "",
				(unsigned long long)(align / KiB));
		if (!n->memory && (n->mem.host.present || n->mem.path ||
				   n->mem.prealloc || n->mem.hugepages))
			diag_add_in(d, n->line, p, "memory",
				    "backend settings need memory above 0");
		if (n->kind == TIERVM_KIND_SOFT_RESERVED) {
			if (n->has_cpus)
				diag_add_in(
					d, n->cpus_line, p, "kind",
					"soft-reserved memory is device memory; the node must have no cpus");
			if (!n->memory || n->memory % MEMORY_BLOCK)
				diag_add_in(
					d,
					n->memory_line ? n->memory_line
						       : n->line,
					p, "memory",
					"soft-reserved memory must be a non-zero multiple of 128M (the x86 memory block the kernel onlines)");
		}
		if (n->initiator >= 0) {
			const struct tiervm_node *in =
				tiervm_spec_node(s, (unsigned)n->initiator);

			if (!in)
				diag_add_in(
					d, n->initiator_line, p, "initiator",
					"node %d does not exist", n->initiator);
			else if (!in->has_cpus)
				diag_add_in(d, n->initiator_line, p,
					    "initiator", "node %d has no cpus",
					    n->initiator);
			else if (n->has_cpus && (unsigned)n->initiator != n->id)
				diag_add_in(
					d, n->initiator_line, p, "initiator",
					"a node with cpus is its own initiator (QEMU refuses %d)",
					n->initiator);
		}
		check_mem(&n->mem, n->line, p, d);
		total += n->memory;
		free(p);
	}
	for (unsigned c = 0;
	     !cpu_beyond && c < s->machine.cpus && c < TIERVM_MAX_CPUS; c++) {
		if (!cpuset_test(&seen, c)) {
			diag_add(
				d, 0, "nodes",
				"cpu %u is in no node; every cpu below machine.cpus (%u) needs one",
				c, s->machine.cpus);
			break;
		}
	}
	/* QEMU: "numa: Node ID missing" */
	for (unsigned id = 0; !id_twice && id < s->n_nodes; id++) {
		if (!present[id]) {
			diag_add(
				d, 0, "nodes",
				"node ids must run from 0 without gaps (QEMU refuses a gap): node %u is missing",
				id);
			break;
		}
	}
	if (s->n_nodes == 0)
		diag_add(d, 0, "nodes", "at least one node is needed");
	else if (total == 0)
		diag_add(
			d, 0, "nodes",
			"no node has memory; the guest needs boot memory on at least one");
}

static void check_distances(const struct tiervm_spec *s, struct tiervm_diags *d)
{
	for (unsigned i = 0; i < s->n_distances; i++) {
		const struct tiervm_distance *x = &s->distances[i];
		char *p = xasprintf("distances[%u]", i);

		if (!tiervm_spec_node(s, x->from))
			diag_add(d, x->line, p, "node %u does not exist",
				 x->from);
		if (!tiervm_spec_node(s, x->to))
			diag_add(d, x->line, p, "node %u does not exist",
				 x->to);
		if (x->from == x->to && x->value != 10)
			diag_add(
				d, x->line, p,
				"the local distance of node %u must be 10, not %u",
				x->from, x->value);
		else if (x->from != x->to && (x->value <= 10 || x->value > 255))
			diag_add(
				d, x->line, p,
				"%u is out of range: remote distances are 11..255 (Linux ignores a SLIT with a remote distance of 10)",
				x->value);
		for (unsigned j = 0; j < i; j++) {
			if (s->distances[j].from == x->from &&
			    s->distances[j].to == x->to) {
				diag_add(d, x->line, p,
					 "distance %u -> %u is given twice",
					 x->from, x->to);
				break;
			}
		}
		free(p);
	}
}

static void check_hmat(const struct tiervm_spec *s, struct tiervm_diags *d)
{
	for (unsigned i = 0; i < s->n_hmat; i++) {
		const struct tiervm_hmat *h = &s->hmat[i];
		const struct tiervm_node *in =
			tiervm_spec_node(s, h->initiator);
		char *p = xasprintf("hmat[%u]", i);

		if (!in)
			diag_add_in(d, h->line, p, "initiator",
				    "node %u does not exist", h->initiator);
		else if (!in->has_cpus)
			diag_add_in(
				d, h->line, p, "initiator",
				"node %u has no cpus, so it cannot initiate accesses",
				h->initiator);
		if (!tiervm_spec_node(s, h->target))
			diag_add_in(d, h->line, p, "target",
				    "node %u does not exist", h->target);
		if (h->has_latency && h->latency == 0)
			diag_add_in(d, h->line, p, "latency",
				    "must be above 0");
		if (h->has_bandwidth &&
		    (h->bandwidth == 0 || h->bandwidth % MiB))
			diag_add_in(
				d, h->line, p, "bandwidth",
				"must be a non-zero multiple of 1M per second (HMAT counts MB/s)");
		for (unsigned j = 0; j < i; j++) {
			if (s->hmat[j].initiator == h->initiator &&
			    s->hmat[j].target == h->target) {
				diag_add(
					d, h->line, p,
					"initiator %u -> target %u is given twice (first at line %d)",
					h->initiator, h->target,
					s->hmat[j].line);
				break;
			}
		}
		free(p);
	}
}

static void check_caches(const struct tiervm_spec *s, struct tiervm_diags *d)
{
	for (unsigned i = 0; i < s->n_caches; i++) {
		const struct tiervm_cache *c = &s->caches[i];
		const struct tiervm_cache *below = NULL;
		char *p = xasprintf("caches[%u]", i);

		if (!tiervm_spec_node(s, c->node))
			diag_add_in(d, c->line, p, "node",
				    "node %u does not exist", c->node);
		if (c->level < 1 || c->level > 3)
			diag_add_in(d, c->line, p, "level",
				    "%u is out of range 1..3", c->level);
		if (!c->size)
			diag_add_in(d, c->line, p, "size", "must be above 0");
		if (!is_pow2(c->line_size))
			diag_add_in(d, c->line, p, "line",
				    "%u bytes is not a power of two",
				    c->line_size);
		for (unsigned j = 0; j < s->n_caches; j++) {
			const struct tiervm_cache *o = &s->caches[j];

			if (j < i && o->node == c->node && o->level == c->level)
				diag_add(d, c->line, p,
					 "node %u has level %u twice", c->node,
					 c->level);
			if (o->node == c->node && o->level + 1 == c->level)
				below = o;
		}
		if (c->level > 1 && c->level <= 3 && !below)
			diag_add_in(
				d, c->line, p, "level",
				"node %u has no level %u cache; levels start at 1",
				c->node, c->level - 1);
		else if (below && c->size <= below->size)
			diag_add_in(
				d, c->line, p, "size",
				"level %u must be larger than level %u (QEMU's rule: each level is larger than the one before)",
				c->level, below->level);
		free(p);
	}
}

/* QEMU ids share one namespace: device ids must not collide. */
void spec_check_device_id(const struct tiervm_spec *s, const char *id, int line,
			  const char *path, struct tiervm_diags *d)
{
	unsigned uses = 0;

	if (!id)
		return;
	if (!valid_qemu_id(id) || !strncmp(id, "tiervm", 6)) {
		diag_add_in(
			d, line, path, "id",
			"'%s' is not a QEMU id (a letter, then letters, digits, '-', '.', '_'; 'tiervm' prefix reserved)",
			id);
		return;
	}
	for (unsigned i = 0; i < s->n_nvdimms; i++)
		uses += s->nvdimms[i].id && !strcmp(s->nvdimms[i].id, id);
	for (unsigned i = 0; i < s->n_vmems; i++)
		uses += s->vmems[i].id && !strcmp(s->vmems[i].id, id);
	/* the list form's devices are the topology's too (spec_cxl_parse.c) */
	for (unsigned i = 0; i < s->cxl.n_devs; i++)
		uses += s->cxl.devs[i].id && !strcmp(s->cxl.devs[i].id, id);
	if (uses > 1)
		diag_add_in(d, line, path, "id", "'%s' is used by %u devices",
			    id, uses);
}

static void check_node_ref(const struct tiervm_spec *s, unsigned node, int line,
			   const char *path, struct tiervm_diags *d)
{
	if (!tiervm_spec_node(s, node))
		diag_add_in(d, line, path, "node", "node %u does not exist",
			    node);
}

uint64_t tiervm_nvdimm_usable(const struct tiervm_nvdimm *nv)
{
	return nv->size / TIERVM_NV_REGION_ALIGN * TIERVM_NV_REGION_ALIGN;
}

/*
 * Several namespaces need labels (a label-less region is one namespace),
 * sizes the region's align allows, and room: the NVDIMM's size rounded
 * down to that align (tiervm_nvdimm_usable).
 */
static void check_namespaces(const struct tiervm_nvdimm *nv, const char *p,
			     struct tiervm_diags *d)
{
	uint64_t sum = 0, usable = tiervm_nvdimm_usable(nv);

	if (nv->mode_given)
		diag_add_in(
			d, nv->namespaces_line, p, "namespaces",
			"give either mode (one namespace) or namespaces, not both");
	if (!nv->label_size)
		diag_add_in(
			d, nv->namespaces_line, p, "namespaces",
			"a region without labels holds one namespace: give label-size (128K or more)");
	if (nv->readonly)
		diag_add_in(d, nv->namespaces_line, p, "namespaces",
			    "a readonly NVDIMM is used raw, as it is");
	for (unsigned i = 0; i < nv->n_namespaces; i++) {
		const struct tiervm_nv_namespace *x = &nv->namespaces[i];
		char *q = xasprintf("%s.namespaces[%u]", p, i);
		bool dax = x->mode == TIERVM_NV_DEVDAX ||
			   x->mode == TIERVM_NV_KMEM;

		if (!x->size || x->size % TIERVM_NV_REGION_ALIGN)
			diag_add_in(
				d, x->line, q, "size",
				"Linux holds namespaces to their region's 16M align: make it a non-zero multiple of 16M");
		else if (dax && x->align != 4 * KiB && x->align != 2 * MiB &&
			 x->align != GiB)
			diag_add_in(d, x->line, q, "align",
				    "device-dax aligns to 4K, 2M or 1G");
		else if (dax && x->size % x->align)
			diag_add_in(d, x->line, q, "align",
				    "the size is not a multiple of it");
		sum += x->size;
		free(q);
	}
	if (sum > usable) {
		char *a = tiervm_format_size(sum),
		     *b = tiervm_format_size(usable);

		diag_add_in(
			d, nv->namespaces_line, p, "namespaces",
			"they take %s, more than the %s the NVDIMM's region can hold (its size rounded down to the region's 16M align; the labels live beside it, in label-size)",
			a, b);
		free(b);
		free(a);
	}
}

static void check_nvdimms(const struct tiervm_spec *s, struct tiervm_diags *d)
{
	for (unsigned i = 0; i < s->n_nvdimms; i++) {
		const struct tiervm_nvdimm *nv = &s->nvdimms[i];
		char *p = xasprintf("nvdimms[%u]", i);
		/* a raw namespace is the region as it is; the kernel converts
		 * one to fsdax, devdax or kmem only at the region's 16M align
		 * (a 136M NVDIMM stays raw, a 144M one converts) */
		uint64_t align = nv->mode == TIERVM_NV_RAW
					 ? PAGE_SIZE
					 : TIERVM_NV_REGION_ALIGN;

		spec_check_device_id(s, nv->id, nv->line, p, d);
		if (nv->has_node)
			check_node_ref(s, nv->node, nv->line, p, d);
		else if (s->n_nodes > 1)
			diag_add_in(
				d, nv->line, p, "node",
				"required when the guest has more than one node");
		if (!nv->size || nv->size % align)
			diag_add_in(
				d, nv->line, p, "size",
				"must be a non-zero multiple of %s for mode %s",
				align == PAGE_SIZE
					? "4K"
					: "16M (the region's align in Linux)",
				nv->mode == TIERVM_NV_RAW
					? "raw"
					: "fsdax/devdax/kmem");
		if (nv->label_size && nv->label_size < 128 * KiB)
			diag_add_in(
				d, nv->line, p, "label-size",
				"%llu is below the minimum of 128K (or 0 for no labels)",
				(unsigned long long)nv->label_size);
		else if (nv->label_size % PAGE_SIZE)
			diag_add_in(d, nv->line, p, "label-size",
				    "must be a multiple of 4K");
		if (nv->readonly && nv->mode != TIERVM_NV_RAW)
			diag_add_in(d, nv->line, p, "mode",
				    "a readonly NVDIMM can only be used raw");
		if (nv->n_namespaces)
			check_namespaces(nv, p, d);
		free(p);
	}
}

uint64_t tiervm_vmem_block_size(const struct tiervm_vmem *v)
{
	return v->block_size ? v->block_size : TIERVM_VMEM_DEFAULT_BLOCK;
}

bool tiervm_vmem_check_requested(uint64_t requested, uint64_t block,
				 uint64_t size, tiervm_error **errp)
{
	if (requested % block) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"must be a multiple of block-size (%llu bytes)",
			(unsigned long long)block);
		return false;
	}
	if (requested > size) {
		tiervm_error_set(errp, TIERVM_E_INPUT,
				 "%llu is above size (%llu)",
				 (unsigned long long)requested,
				 (unsigned long long)size);
		return false;
	}
	return true;
}

static void check_vmems(const struct tiervm_spec *s, struct tiervm_diags *d)
{
	for (unsigned i = 0; i < s->n_vmems; i++) {
		const struct tiervm_vmem *v = &s->vmems[i];
		char *p = xasprintf("virtio-mem[%u]", i);
		uint64_t page = v->mem.hugepages ? HUGE_PAGE_SIZE : PAGE_SIZE;
		uint64_t bs = tiervm_vmem_block_size(v);
		tiervm_error *err = NULL;

		spec_check_device_id(s, v->id, v->line, p, d);
		check_node_ref(s, v->node, v->line, p, d);
		if (!is_pow2(bs) || bs < page) {
			diag_add_in(
				d, v->block_size_line, p, "block-size",
				"must be a power of two and at least the backend page size (%lluK)",
				(unsigned long long)(page / KiB));
			/* the requested size can only be checked against the size */
			bs = 1;
		} else if (!v->size || v->size % bs) {
			diag_add_in(
				d, v->line, p, "size",
				"must be a non-zero multiple of block-size (%llu bytes)",
				(unsigned long long)bs);
		}
		if (!tiervm_vmem_check_requested(v->requested, bs, v->size,
						 &err)) {
			char *key = xasprintf("%s.requested", p);

			diag_add_error(d, v->line, key, err);
			free(key);
		}
		check_mem(&v->mem, v->line, p, d);
		free(p);
	}
}

static void check_cxls(const struct tiervm_spec *s, struct tiervm_diags *d)
{
	for (unsigned i = 0; i < s->n_cxls; i++) {
		const struct tiervm_cxl *c = &s->cxls[i];
		char *p = xasprintf("cxl[%u]", i);

		spec_check_device_id(s, c->id, c->line, p, d);
		if (!c->size || c->size % TIERVM_CXL_UNIT)
			diag_add_in(
				d, c->line, p, "size",
				"must be a non-zero multiple of 256M (CXL counts capacity in 256M units)");
		free(p);
	}
}

/*
 * Soft-reserved memory is marked by address on the kernel command line, so
 * its node must be one range above 4G (a range across the PCI hole or two
 * nodes makes one dax device of both, half of which fails), starting on a
 * 128M memory block.
 */
/*
 * A soft-reserved node's dax devices, carved from its range in order as
 * daxctl create-device does: device-dax's aligns, kmem's whole memory
 * blocks, and no more than the range holds.
 */
static void check_dax(const struct tiervm_node *n, const char *path,
		      uint64_t start, struct tiervm_diags *d)
{
	uint64_t off = 0;

	for (unsigned i = 0; i < n->n_dax; i++) {
		const struct tiervm_dax_piece *x = &n->dax[i];
		char *p = xasprintf("%s.dax[%u]", path, i);
		char *a = tiervm_format_size(x->align);

		if (x->align != 4 * KiB && x->align != 2 * MiB &&
		    x->align != GiB)
			diag_add_in(
				d, x->line, p, "align",
				"device-dax aligns a device to 4K, 2M or 1G, not %s",
				a);
		else if (!x->size || x->size % x->align)
			diag_add_in(
				d, x->line, p, "size",
				"must be a non-zero multiple of its align, %s",
				a);
		else if (x->mode == TIERVM_DAX_KMEM && x->size % MEMORY_BLOCK)
			diag_add_in(
				d, x->line, p, "size",
				"kmem hands the kernel whole 128M memory blocks: make it a multiple of 128M");
		else if (x->mode == TIERVM_DAX_KMEM && off % MEMORY_BLOCK)
			diag_add_in(
				d, x->line, p, "mode",
				"kmem hands the kernel whole 128M memory blocks, but this device would start %lluM into the node: make the devices before it multiples of 128M",
				(unsigned long long)(off / MiB));
		else if ((start + off) % x->align)
			diag_add_in(
				d, x->line, p, "align",
				"the device would start at 0x%llx, not on a %s boundary: give it a smaller align, or place it (by the sizes of the devices and nodes before it) on one",
				(unsigned long long)(start + off), a);
		off += x->size;
		free(a);
		free(p);
	}
	if (off > n->memory) {
		char *p = xasprintf("%s.dax", path);
		char *sum = tiervm_format_size(off);
		char *mem = tiervm_format_size(n->memory);

		diag_add(
			d, n->dax_line, p,
			"the devices take %s, more than the node's %s: shrink them (what is left over stays unassigned)",
			sum, mem);
		free(mem);
		free(sum);
		free(p);
	}
}

static void check_soft_reserved(const struct tiervm_spec *s,
				struct tiervm_diags *d)
{
	struct tiervm_layout l;
	uint64_t before = 0;

	for (unsigned i = 0; i < s->n_nodes; i++)
		if (s->nodes[i].n_dax &&
		    s->nodes[i].kind != TIERVM_KIND_SOFT_RESERVED) {
			char *p = xasprintf("nodes[%u]", i);

			diag_add_in(
				d, s->nodes[i].dax_line, p, "dax",
				"only soft-reserved memory is divided into dax devices: give the node kind: soft-reserved, or leave dax out");
			free(p);
		}

	/* a soft-reserved node with cpus is already refused: one line */
	for (unsigned i = 0; i < s->n_nodes; i++)
		if (s->nodes[i].kind == TIERVM_KIND_SOFT_RESERVED &&
		    s->nodes[i].has_cpus)
			return;
	tiervm_layout_compute(s, &l);
	for (unsigned id = 0; id < s->n_nodes; id++) {
		const struct tiervm_node *n = tiervm_spec_node(s, id);
		const struct tiervm_range *r;
		char *p;

		if (!n)
			break;
		r = &l.pieces[id][0];
		p = xasprintf("nodes[%u]", (unsigned)(n - s->nodes));
		if (n->kind == TIERVM_KIND_SOFT_RESERVED && n->memory &&
		    (r->start < 4 * GiB || l.pieces[id][1].size))
			diag_add_in(
				d, n->line, p, "memory",
				"soft-reserved memory must lie above 4G, but this node's starts at 0x%llx: QEMU's %s machine keeps the first %s of RAM below 4G once the guest has %s or more, so give the nodes before it that much",
				(unsigned long long)r->start,
				s->machine.pc ? "pc" : "q35",
				s->machine.pc ? "3G" : "2G",
				s->machine.pc ? "3.5G" : "2.75G");
		else if (n->kind == TIERVM_KIND_SOFT_RESERVED && n->memory &&
			 r->start % MEMORY_BLOCK)
			diag_add_in(
				d, n->line, p, "memory",
				"soft-reserved memory would start at 0x%llx, not on a 128M memory block: make the memory of the nodes before it (%llu bytes) a multiple of 128M",
				(unsigned long long)r->start,
				(unsigned long long)before);
		else if (n->kind == TIERVM_KIND_SOFT_RESERVED)
			check_dax(n, p, r->start, d);
		before += n->memory;
		free(p);
	}
	tiervm_layout_clear(&l);
}

/* A file backing two things would be written by both. */
static void check_paths(const struct tiervm_spec *s, struct tiervm_diags *d)
{
	struct {
		const char *path;
		int line;
		char *key;
	} * all;
	unsigned n = 0;

	all = xcalloc(s->n_nodes + s->n_vmems + s->n_nvdimms + 1, sizeof(*all));
	for (unsigned i = 0; i < s->n_nodes; i++)
		if (s->nodes[i].mem.path) {
			all[n].path = s->nodes[i].mem.path;
			all[n].line = s->nodes[i].mem.path_line;
			all[n++].key = xasprintf("nodes[%u].path", i);
		}
	for (unsigned i = 0; i < s->n_vmems; i++)
		if (s->vmems[i].mem.path) {
			all[n].path = s->vmems[i].mem.path;
			all[n].line = s->vmems[i].mem.path_line;
			all[n++].key = xasprintf("virtio-mem[%u].path", i);
		}
	for (unsigned i = 0; i < s->n_nvdimms; i++)
		if (s->nvdimms[i].path) {
			all[n].path = s->nvdimms[i].path;
			all[n].line = s->nvdimms[i].path_line;
			all[n++].key = xasprintf("nvdimms[%u].path", i);
		}
	for (unsigned i = 0; i < n; i++) {
		for (unsigned j = 0; j < i; j++) {
			if (!strcmp(all[i].path, all[j].path)) {
				diag_add(
					d, all[i].line, all[i].key,
					"'%s' is already the backing file of %s",
					all[i].path, all[j].key);
				break;
			}
		}
	}
	for (unsigned i = 0; i < n; i++)
		free(all[i].key);
	free(all);
}

/*
 * What even an unchecked spec must be for tiervm to plan it at all: nodes
 * numbered 0..n-1 once each, and every node a part names declared.  The
 * planner indexes by node id; QEMU never sees a spec without this.
 */
void spec_check_structure(const struct tiervm_spec *s, struct tiervm_diags *d)
{
	static const char *const why =
		"%s %u: unchecked plans still need nodes numbered 0 to %u, once each, and every node named declared";
	unsigned n = s->n_nodes;

	for (unsigned id = 0; id < n; id++) {
		unsigned found = 0;

		for (unsigned i = 0; i < n; i++)
			found += s->nodes[i].id == id;
		if (found != 1)
			diag_add(d, 0, "nodes", why, "node", id, n ? n - 1 : 0);
	}
#define REF(cond, what, line, key, id)                                        \
	do {                                                                  \
		if (cond)                                                     \
			diag_add(d, line, key, why, what, id, n ? n - 1 : 0); \
	} while (0)
	for (unsigned i = 0; i < n; i++)
		REF(s->nodes[i].initiator >= 0 &&
			    (unsigned)s->nodes[i].initiator >= n,
		    "initiator", s->nodes[i].line, "nodes",
		    (unsigned)s->nodes[i].initiator);
	for (unsigned i = 0; i < s->n_distances; i++)
		REF(s->distances[i].from >= n || s->distances[i].to >= n,
		    "distance to node", s->distances[i].line, "distances",
		    s->distances[i].from >= n ? s->distances[i].from
					      : s->distances[i].to);
	for (unsigned i = 0; i < s->n_hmat; i++)
		REF(s->hmat[i].initiator >= n || s->hmat[i].target >= n,
		    "hmat node", s->hmat[i].line, "hmat",
		    s->hmat[i].initiator >= n ? s->hmat[i].initiator
					      : s->hmat[i].target);
	for (unsigned i = 0; i < s->n_caches; i++)
		REF(s->caches[i].node >= n, "cache node", s->caches[i].line,
		    "caches", s->caches[i].node);
	for (unsigned i = 0; i < s->n_nvdimms; i++)
		REF(s->nvdimms[i].has_node && s->nvdimms[i].node >= n,
		    "nvdimm node", s->nvdimms[i].line, "nvdimms",
		    s->nvdimms[i].node);
	for (unsigned i = 0; i < s->n_vmems; i++)
		REF(s->vmems[i].node >= n, "virtio-mem node", s->vmems[i].line,
		    "virtio-mem", s->vmems[i].node);
#undef REF
}

void spec_validate(const struct tiervm_spec *s, struct tiervm_diags *d)
{
	unsigned before;

	check_machine(s, d);
	check_nodes(s, d);
	check_distances(s, d);
	check_hmat(s, d);
	check_caches(s, d);
	check_nvdimms(s, d);
	check_vmems(s, d);
	check_cxls(s, d);
	check_paths(s, d);
	check_soft_reserved(s, d);
	before = d->count;
	/* Derived values (HMAT tables QEMU must encode) need a sane base. */
	if (before == 0) {
		struct tiervm_resolved *r = tiervm_resolve(s, d);

		tiervm_resolved_free(r);
	}
}
