// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * From a validated spec to QEMU arguments and the expected guest view.
 * One table of features drives both, so an argument and what the guest must
 * show for it are written side by side.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel_needs.h"
#include "plan_internal.h"
#include "spec_layout.h"

static const char *const policy_names[] = { "bind", "preferred", "interleave" };

static char *sz(uint64_t v)
{
	return tiervm_format_size(v);
}

void plan_arg(struct plan_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strv_push(&c->p->argv, xvasprintf(fmt, ap));
	va_end(ap);
}

void plan_note(struct plan_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strv_push(&c->p->notes, xvasprintf(fmt, ap));
	va_end(ap);
}

static json_object *exp_node(struct plan_ctx *c, unsigned id)
{
	return json_object_array_get_idx(c->exp_nodes, id);
}

/*
 * The host side of a backend: host-nodes= and policy= for explicit nodes,
 * or the host's nodes of a kind.  Returns the ",host-nodes=..." suffix.
 */
static char *host_props(struct plan_ctx *c, const char *backend,
			const struct tiervm_host_bind *h, int line,
			const char *key)
{
	struct tiervm_cpuset nodes;
	char *list, *out;
	tiervm_error *err = NULL;

	if (!h->present)
		return xstrdup("");
	if (h->has_kind
		    ? !tiervm_host_nodes_of_kind(c->host, h->kind, &nodes, &err)
		    : !tiervm_host_has_nodes(c->host, &h->nodes, &err)) {
		char *full = xasprintf("%s.host.%s", key,
				       h->has_kind ? "kind" : "nodes");

		diag_add_error(c->d, line, full, err);
		free(full);
		return xstrdup("");
	}
	if (!h->has_kind)
		nodes = h->nodes;
	c->p->binds = xrealloc(c->p->binds,
			       (c->p->n_binds + 1) * sizeof(*c->p->binds));
	c->p->binds[c->p->n_binds++] = (struct tiervm_plan_bind){
		.backend = xstrdup(backend),
		.nodes = nodes,
		.policy = h->policy,
	};
	/* QEMU's host-nodes takes one range per property instance. */
	list = tiervm_format_cpulist(&nodes);
	{
		struct sbuf b = { 0 };
		char *save = NULL, *tok;

		for (tok = strtok_r(list, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save))
			sbuf_addf(&b, ",host-nodes=%s", tok);
		sbuf_addf(&b, ",policy=%s", policy_names[h->policy]);
		out = b.s;
	}
	free(list);
	return out;
}

static const char *backend_type(const struct tiervm_mem *m)
{
	switch (m->backend) {
	case TIERVM_BACKEND_FILE:
		return "memory-backend-file";
	case TIERVM_BACKEND_MEMFD:
		return "memory-backend-memfd";
	default:
		return "memory-backend-ram";
	}
}

/*
 * A host device-dax device as a backend (path /dev/daxX.Y), of a node or
 * an NVDIMM: one the inventory shows, left to applications (not kmem),
 * big enough, and mapped at its own align, which QEMU must be told
 * (align=) or its mmap fails.  The device is the platform owner's: used
 * whole or in part, never reconfigured.
 */
bool plan_devdax(struct plan_ctx *c, const char *path, uint64_t size, int line,
		 const char *key, uint64_t *align)
{
	const char *name = path + strlen("/dev/");
	const struct tiervm_host_dax *x = NULL;
	char *have, *need;
	bool ok = false;

	for (unsigned i = 0; c->host && i < c->host->n_dax; i++)
		if (!strcmp(c->host->dax[i].name, name))
			x = &c->host->dax[i];
	if (!x) {
		diag_add(
			c->d, line, key,
			"%s is no device-dax device on this host: `tiervm host` lists them (daxctl create-device makes one in a soft-reserved region)",
			path);
		return false;
	}
	if (x->driver && !strcmp(x->driver, "kmem")) {
		diag_add(
			c->d, line, key,
			"%s is the host kernel's memory (kmem), not a device: daxctl reconfigure-device --mode=devdax %s first, or bind to host node %d",
			path, x->name, x->target_node);
		return false;
	}
	*align = x->align == UINT64_MAX || !x->align ? 2 * MiB : x->align;
	have = tiervm_format_size(x->size);
	need = tiervm_format_size(size);
	if (x->size < size) {
		diag_add(
			c->d, line, key,
			"%s holds %s, less than the %s this needs: ask for less, or a bigger device (daxctl create-device -s)",
			path, have, need);
	} else if (size % *align) {
		char *a = tiervm_format_size(*align);

		diag_add(
			c->d, line, key,
			"%s maps in units of its align, %s, and %s is not a multiple of it: make the size one",
			path, a, need);
		free(a);
	} else {
		ok = true;
	}
	free(need);
	free(have);
	return ok;
}

void plan_backend_arg(struct plan_ctx *c, const char *id, uint64_t size,
		      const struct tiervm_mem *m, int line, const char *key)
{
	char *host = host_props(c, id, &m->host,
				m->host.line ? m->host.line : line, key);
	char *s = sz(size);
	struct sbuf extra = { 0 };

	sbuf_addf(&extra, "%s", "");
	if (m->backend == TIERVM_BACKEND_FILE)
		sbuf_addf(&extra, ",mem-path=%s,share=on", m->path);
	if (m->backend == TIERVM_BACKEND_FILE && m->path &&
	    !strncmp(m->path, "/dev/dax", 8)) {
		char *k = xasprintf("%s.path", key);
		uint64_t align;

		if (plan_devdax(c, m->path, size,
				m->path_line ? m->path_line : line, k,
				&align)) {
			char *a = tiervm_format_size(align);

			sbuf_addf(&extra, ",align=%s", a);
			free(a);
		}
		free(k);
	}
	if (m->backend == TIERVM_BACKEND_MEMFD && m->hugepages)
		sbuf_addf(&extra, ",hugetlb=on");
	if (m->prealloc)
		sbuf_addf(&extra, ",prealloc=on");
	plan_arg(c, "-object");
	plan_arg(c, "%s,id=%s,size=%s%s%s", backend_type(m), id, s, extra.s,
		 host);
	plan_capacity_add(c, id, size, m, line, key);
	sbuf_free(&extra);
	free(s);
	free(host);
}

/* ---- machine ---------------------------------------------------------- */

static void machine_args(struct plan_ctx *c)
{
	const struct tiervm_spec *s = c->s;
	struct sbuf m = { 0 };
	char *ram;

	sbuf_addf(&m, "%s", s->machine.pc ? "pc" : "q35");
	if (c->p->r->hmat)
		sbuf_addf(&m, ",hmat=on");
	/* NVDIMM hot-plug needs the NFIT from the start */
	if (s->n_nvdimms || s->machine.hotplug_slots)
		sbuf_addf(&m, ",nvdimm=on");
	if (s->machine.nvdimm_persistence)
		sbuf_addf(
			&m, ",nvdimm-persistence=%s",
			tiervm_persistence_names[s->machine
							 .nvdimm_persistence]);
	plan_cxl_machine(c, &m);
	plan_arg(c, "-machine");
	plan_arg(c, "%s", m.s);
	sbuf_free(&m);
	plan_arg(c, "-accel");
	plan_arg(c, "%s", c->p->accel);
	plan_arg(c, "-smp");
	plan_arg(c, "%u,sockets=%u,cores=%u,threads=1", s->machine.cpus,
		 c->p->r->sockets, s->machine.cpus / c->p->r->sockets);
	ram = sz(c->p->ram);
	plan_arg(c, "-m");
	if (c->p->maxmem > c->p->ram) {
		char *max = sz(c->p->maxmem);

		if (c->p->slots)
			plan_arg(c, "%s,slots=%u,maxmem=%s", ram, c->p->slots,
				 max);
		else
			plan_arg(c, "%s,maxmem=%s", ram, max);
		free(max);
	} else {
		plan_arg(c, "%s", ram);
	}
	free(ram);
}

/* ---- nodes ------------------------------------------------------------ */

static void node_args(struct plan_ctx *c)
{
	const struct tiervm_spec *s = c->s;

	for (unsigned id = 0; id < c->p->r->n; id++) {
		const struct tiervm_node *n = tiervm_spec_node(s, id);
		struct sbuf b = { 0 };
		char *key = xasprintf("nodes[%u]", (unsigned)(n - s->nodes));
		json_object *e = json_object_new_object();

		sbuf_addf(&b, "node,nodeid=%u", id);
		if (n->memory) {
			char *bid = xasprintf("tiervm-node%u", id);

			plan_backend_arg(c, bid, n->memory, &n->mem, n->line,
					 key);
			sbuf_addf(&b, ",memdev=%s", bid);
			free(bid);
		}
		if (n->has_cpus) {
			char *list = tiervm_format_cpulist(&n->cpus);
			char *save = NULL;

			/* one cpus= per range: QEMU reads "0-1,4" as two options */
			for (char *t = strtok_r(list, ",", &save); t;
			     t = strtok_r(NULL, ",", &save))
				sbuf_addf(&b, ",cpus=%s", t);
			free(list);
		}
		if (c->p->r->initiator[id] >= 0)
			sbuf_addf(&b, ",initiator=%d", c->p->r->initiator[id]);
		plan_arg(c, "-numa");
		plan_arg(c, "%s", b.s);
		sbuf_free(&b);
		free(key);

		json_object_object_add(e, "id", json_object_new_int((int)id));
		json_object_object_add(
			e, "kind",
			json_object_new_string(tiervm_kind_name(n->kind)));
		/* a kind the spec states, not the default */
		json_object_object_add(e, "kind_given",
				       json_object_new_boolean(n->kind_given));
		{
			char *list = n->has_cpus
					     ? tiervm_format_cpulist(&n->cpus)
					     : xstrdup("");

			json_object_object_add(e, "cpus",
					       json_object_new_string(list));
			free(list);
		}
		json_object_object_add(
			e, "memory", json_object_new_int64((int64_t)n->memory));
		json_object_object_add(
			e, "initiator",
			c->p->r->initiator[id] >= 0
				? json_object_new_int(c->p->r->initiator[id])
				: NULL);
		json_object_array_put_idx(c->exp_nodes, id, e);
	}
	plan_cxl_port_nodes(c);
}

/* ---- distances (ACPI SLIT) -------------------------------------------- */

static void dist_args(struct plan_ctx *c)
{
	const struct tiervm_resolved *r = c->p->r;

	for (unsigned i = 0; i < r->n; i++) {
		json_object *row = json_object_new_array();

		for (unsigned j = 0; j < r->n; j++) {
			json_object_array_add(
				row, json_object_new_int(
					     (int)r->dist[i * r->n + j]));
			if (i == j || r->n < 2)
				continue;
			plan_arg(c, "-numa");
			plan_arg(c, "dist,src=%u,dst=%u,val=%u", i, j,
				 r->dist[i * r->n + j]);
		}
		json_object_object_add(exp_node(c, i), "distances", row);
	}
	plan_cxl_port_distances(c);
}

/* ---- HMAT latency and bandwidth ---------------------------------------- */

static const char *const origin_names[] = { "spec", "kind", "host" };

/*
 * Linux 6.1 (drivers/acpi/numa/hmat.c) shows a target's figures in
 * nodeN/access0 and access1 only for the initiator QEMU names in the
 * target's Memory Proximity Domain Attributes structure, i.e. initiator=.
 */
static void hmat_args(struct plan_ctx *c)
{
	const struct tiervm_resolved *r = c->p->r;

	if (!r->hmat)
		return;
	for (unsigned i = 0; i < r->n; i++) {
		if (!tiervm_spec_node(c->s, i)->has_cpus)
			continue;
		for (unsigned t = 0; t < r->n; t++) {
			const struct tiervm_lb *lb =
				tiervm_resolved_lb(r, i, t);
			char *bw = sz(lb->bandwidth);

			plan_arg(c, "-numa");
			plan_arg(
				c,
				"hmat-lb,initiator=%u,target=%u,hierarchy=memory,data-type=access-latency,latency=%llu",
				i, t, (unsigned long long)lb->latency);
			plan_arg(c, "-numa");
			plan_arg(
				c,
				"hmat-lb,initiator=%u,target=%u,hierarchy=memory,data-type=access-bandwidth,bandwidth=%s",
				i, t, bw);
			free(bw);
		}
		plan_cxl_port_hmat(c, i);
	}
	for (unsigned t = 0; t < r->n; t++) {
		const struct tiervm_node *n = tiervm_spec_node(c->s, t);
		int in = r->initiator[t];
		const struct tiervm_lb *lb;
		json_object *a;

		/* The kernel registers HMAT targets from SRAT memory ranges. */
		if (!n->memory || in < 0)
			continue;
		lb = tiervm_resolved_lb(r, (unsigned)in, t);
		a = json_object_new_object();
		json_object_object_add(a, "initiator", json_object_new_int(in));
		json_object_object_add(
			a, "read_latency",
			json_object_new_int64((int64_t)lb->latency));
		json_object_object_add(
			a, "write_latency",
			json_object_new_int64((int64_t)lb->latency));
		/* sysfs shows MB/s, QEMU's MiB of the bytes/s given */
		json_object_object_add(
			a, "read_bandwidth",
			json_object_new_int64((int64_t)(lb->bandwidth / MiB)));
		json_object_object_add(
			a, "write_bandwidth",
			json_object_new_int64((int64_t)(lb->bandwidth / MiB)));
		json_object_object_add(
			a, "latency_from",
			json_object_new_string(origin_names[lb->latency_from]));
		json_object_object_add(
			a, "bandwidth_from",
			json_object_new_string(
				origin_names[lb->bandwidth_from]));
		json_object_object_add(exp_node(c, t), "access0", a);
	}
}

/* ---- memory-side caches ------------------------------------------------ */

static const char *const assoc_names[] = { "none", "direct", "complex" };
static const char *const cpolicy_names[] = { "none", "write-back",
					     "write-through" };
/* include/linux/node.h: enum cache_indexing, enum cache_write_policy */
static const int sysfs_indexing[] = { 2, 0, 1 };
static const int sysfs_write_policy[] = { 2, 0, 1 };

static void cache_args(struct plan_ctx *c)
{
	/* QEMU wants level 1 of a node before level 2 */
	for (unsigned level = 1; level <= 3; level++) {
		for (unsigned k = 0; k < c->s->n_caches; k++) {
			const struct tiervm_cache *x = &c->s->caches[k];
			json_object *n = exp_node(c, x->node), *arr, *e;
			char *size;

			if (x->level != level)
				continue;
			size = sz(x->size);
			plan_arg(c, "-numa");
			plan_arg(
				c,
				"hmat-cache,node-id=%u,size=%s,level=%u,associativity=%s,policy=%s,line=%u",
				x->node, size, x->level, assoc_names[x->assoc],
				cpolicy_names[x->policy], x->line_size);
			free(size);
			if (!json_object_object_get_ex(n, "caches", &arr)) {
				arr = json_object_new_array();
				json_object_object_add(n, "caches", arr);
			}
			e = json_object_new_object();
			json_object_object_add(
				e, "level", json_object_new_int((int)x->level));
			json_object_object_add(
				e, "size",
				json_object_new_int64((int64_t)x->size));
			json_object_object_add(
				e, "line_size",
				json_object_new_int((int)x->line_size));
			json_object_object_add(
				e, "indexing",
				json_object_new_int(sysfs_indexing[x->assoc]));
			json_object_object_add(
				e, "write_policy",
				json_object_new_int(
					sysfs_write_policy[x->policy]));
			json_object_array_add(arr, e);
		}
	}
}

/* ---- the feature table -------------------------------------------------- */

/*
 * Order matters to QEMU: memory backends before the -numa node that uses
 * them, hmat-lb before hmat-cache, and the device options last.
 */
static void (*const features[])(struct plan_ctx *) = {
	machine_args, node_args,    dist_args,	hmat_args,
	cache_args,   plan_nvdimms, plan_vmems, plan_cxls,
};

/*
 * Slow tiers are tiervm's TCG plugin busy-waiting on each user-space
 * access (plugin/tiervm-count.c): TCG only, a QEMU whose plugins get true
 * guest-physical addresses (8.2+), and HMAT figures to wait for.
 */
static void check_emulate_latency(struct plan_ctx *c)
{
	const struct tiervm_spec *s = c->s;
	const struct tiervm_qemu_caps *q = c->p->caps;
	int line = s->machine.emulate_latency_line;
	bool on = s->machine.emulate_latency;

	for (unsigned i = 0; i < s->n_nodes; i++)
		if (s->nodes[i].emulate_latency == TIERVM_ON) {
			on = true;
			line = line ? line : s->nodes[i].emulate_latency_line;
		}
	if (!on)
		return;
	if (!tiervm_qemu_at_least(q, 8, 2))
		diag_add(
			c->d, line, "machine.emulate-latency",
			"QEMU %u.%u.%u gives TCG plugins wrong guest-physical addresses beyond the first RAM block (fixed in 8.2); use QEMU 8.2 or later: TIERVM_QEMU=$(scripts/qemu-backports.sh)",
			q->major, q->minor, q->micro);
	else if (strcmp(c->p->accel, "tcg"))
		diag_add(
			c->d, line, "machine.emulate-latency",
			"latency is emulated by tiervm's TCG plugin; this guest would run under KVM: set machine.accel: tcg");
	else if (!c->p->r->hmat)
		diag_add(
			c->d, line, "machine.emulate-latency",
			"needs HMAT latencies to emulate, and this spec has HMAT off");
	else
		plan_note(
			c,
			"slow tiers: each user-space load or store busy-waits %u x its HMAT latency (initiator to target, ns) in tiervm's TCG plugin (machine.latency-scale), on every QEMU: not virtual time, which a plugin holding QEMU's time control must advance from vCPU threads, and which stops when every vCPU idles; the kernel's own accesses are not slowed",
			tiervm_latency_scale(s));
}

static void check_qemu(struct plan_ctx *c)
{
	const struct tiervm_qemu_caps *q = c->p->caps;
	const struct tiervm_spec *s = c->s;

	if (s->machine.pc ? !q->machine_pc : !q->machine_q35)
		diag_add(c->d, 0, "machine.type", "%s has no machine type %s",
			 q->binary, s->machine.pc ? "pc" : "q35");
	if (c->p->r->hmat && !tiervm_qemu_at_least(q, 5, 0))
		diag_add(
			c->d, s->n_hmat ? s->hmat[0].line : 0, "hmat",
			"ACPI HMAT needs QEMU 5.0 or later; the installed QEMU is %u.%u.%u",
			q->major, q->minor, q->micro);
	plan_cxl_check(c);
	if (s->machine.accel == TIERVM_ACCEL_KVM && !q->kvm_usable)
		diag_add(
			c->d, 0, "machine.accel",
			"kvm is not usable here (/dev/kvm cannot be opened read-write); use auto or tcg");
	check_emulate_latency(c);
}

/*
 * Whether the guest kernel can mark soft-reserved memory itself
 * (efi_fake_mem=, CONFIG_EFI_FAKE_MEMMAP, booted through UEFI).  Debian's
 * kernels cannot; a kernel given by path is asked through its config.
 * *why says what was found, for the plan's note.
 */
static bool kernel_fakes_efi(struct plan_ctx *c, char **why)
{
	const struct tiervm_kernel *kern = c->p->kernel;
	const char *k = kern->choice, *config = kern->config;
	enum tiervm_kopt has;

	if (kern->kind == TIERVM_KERNEL_DEBIAN) {
		*why = xstrdup(
			"Debian's kernels cannot fake EFI soft-reserved memory (no CONFIG_EFI_FAKE_MEMMAP)");
		return false;
	}
	has = tiervm_kernel_opt(kern, "CONFIG_EFI_FAKE_MEMMAP");
	if (has == TIERVM_KOPT_YES && c->p->caps->ovmf) {
		*why = xasprintf(
			"%s has CONFIG_EFI_FAKE_MEMMAP (%s) and boots through UEFI (%s)",
			k, config, c->p->caps->ovmf);
		return true;
	}
	*why = has == TIERVM_KOPT_YES
		       ? xasprintf(
				 "%s has CONFIG_EFI_FAKE_MEMMAP (%s) but needs UEFI firmware to use it, and none is installed (Debian: ovmf)",
				 k, config)
	       : has == TIERVM_KOPT_NO
		       ? xasprintf("%s lacks CONFIG_EFI_FAKE_MEMMAP (%s)", k,
				   config)
		       : xasprintf(
				 "tiervm cannot tell whether %s has CONFIG_EFI_FAKE_MEMMAP (no config-RELEASE beside it or in /boot, no build tree .config)",
				 k);
	return false;
}

/* Debian's kernels are known by name; others by their release. */
bool plan_guest_kernel(const struct plan_ctx *c, unsigned *major,
		       unsigned *minor)
{
	const struct tiervm_kernel *k = c->p->kernel;

	if (k->kind != TIERVM_KERNEL_DEBIAN)
		return k->release &&
		       sscanf(k->release, "%u.%u", major, minor) == 2;
	if (!strcmp(k->choice, "debian-backports")) {
		*major = 6, *minor = 12;
		return true;
	}
	*major = 6, *minor = 1; /* Debian 12's */
	return true;
}

/*
 * A soft-reserved node's range is marked where the guest kernel allows:
 * efi_fake_mem=SIZE@ADDR:0x40000 (EFI_MEMORY_SP) under UEFI makes it
 * "Soft Reserved", a dax_hmem device the probe onlines with daxctl;
 * otherwise memmap=SIZE!ADDR makes it legacy persistent memory, which the
 * probe onlines with ndctl and daxctl, on the same node either way.
 */
/*
 * Whether the guest kernel turns a RAM range into soft-reserved memory
 * with memmap=SIZE%ADDR-1+0xefffffff: Linux 5.5 brought the type
 * (E820_TYPE_SOFT_RESERVED); Debian's 6.1 and 6.12 do it (measured: the
 * guest shows "Soft Reserved", hmem.0 and dax0.0 on the node).
 */
static bool e820_soft_reserved(struct plan_ctx *c)
{
	unsigned major, minor;

	return plan_guest_kernel(c, &major, &minor) &&
	       (major > 5 || (major == 5 && minor >= 5));
}

/*
 * A divided soft-reserved node: "NODE:SIZE:MODE:ALIGN" for each device, in
 * order, for the probe (guest/provision.c), which makes them with daxctl
 * create-device.  Only dax_hmem's regions can be divided: the legacy-pmem
 * fallback's are static, one device each.
 */
static void dax_pieces(struct plan_ctx *c, const struct tiervm_node *n,
		       bool legacy, struct sbuf *out)
{
	char *p = xasprintf("nodes[%u]", (unsigned)(n - c->s->nodes)), *rest;
	struct sbuf say = { 0 };
	uint64_t used = 0;

	if (legacy)
		diag_add_in(
			c->d, n->dax_line, p, "dax",
			"this kernel gets soft-reserved memory as legacy persistent memory (memmap=!), whose dax region is static and cannot be divided: boot Linux 5.5 or later, or leave dax out");
	for (unsigned i = 0; i < n->n_dax; i++) {
		char *size = tiervm_format_size(n->dax[i].size);
		char *align = tiervm_format_size(n->dax[i].align);

		sbuf_addf(out, "%s%u:%llu:%s:%llu", out->len ? "," : "", n->id,
			  (unsigned long long)n->dax[i].size,
			  tiervm_dax_mode_names[n->dax[i].mode],
			  (unsigned long long)n->dax[i].align);
		sbuf_addf(&say, "%s %s %s (align %s)", i ? "," : "", size,
			  tiervm_dax_mode_names[n->dax[i].mode], align);
		used += n->dax[i].size;
		free(align);
		free(size);
	}
	rest = tiervm_format_size(n->memory - used);
	plan_note(
		c,
		"node %u: divided with daxctl create-device into%s; %s stays unassigned in the region",
		n->id, say.s, used < n->memory ? rest : "nothing");
	free(rest);
	sbuf_free(&say);
	free(p);
}

/* What the guest must show of a divided node: its devices, in order. */
static json_object *dax_expected(const struct tiervm_node *n)
{
	json_object *a = json_object_new_array();

	for (unsigned i = 0; i < n->n_dax; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(
			o, "size",
			json_object_new_int64((int64_t)n->dax[i].size));
		json_object_object_add(
			o, "mode",
			json_object_new_string(
				tiervm_dax_mode_names[n->dax[i].mode]));
		json_object_object_add(
			o, "align",
			json_object_new_int64((int64_t)n->dax[i].align));
		json_object_array_add(a, o);
	}
	return a;
}

static void soft_reserved(struct plan_ctx *c)
{
	struct tiervm_layout l;
	struct sbuf nodes = { 0 }, fake = { 0 }, pieces = { 0 };
	char *why = NULL;
	bool efi = false, e820 = false, legacy = false;

	tiervm_layout_compute(c->s, &l);
	for (unsigned id = 0; id < c->s->n_nodes; id++) {
		const struct tiervm_node *n = tiervm_spec_node(c->s, id);
		const struct tiervm_range *r = &l.pieces[id][0];
		unsigned long long start = r->start,
				   end = r->start + r->size - 1;
		json_object *e, *o;
		char buf[40];

		if (n->kind != TIERVM_KIND_SOFT_RESERVED || !n->memory)
			continue;
		/* the kernel's abilities, asked once for all such nodes */
		if (!why) {
			efi = kernel_fakes_efi(c, &why);
			e820 = !efi && e820_soft_reserved(c);
		}
		if (efi) {
			sbuf_addf(&fake, "%s%llu@0x%llx:0x40000",
				  fake.len ? "," : "efi_fake_mem=",
				  (unsigned long long)r->size, start);
			plan_note(
				c,
				"node %u: %s; its range 0x%llx-0x%llx is marked soft-reserved with efi_fake_mem= and onlined as a node with daxctl",
				id, why, start, end);
		} else if (e820) {
			/* E820_TYPE_SOFT_RESERVED is 0xefffffff (5.5+) */
			strv_pushf(&c->p->kernel_args,
				   "memmap=%llu%%0x%llx-1+0xefffffff",
				   (unsigned long long)r->size, start);
			plan_note(
				c,
				"node %u: %s; its range 0x%llx-0x%llx is turned from RAM into soft-reserved memory in the kernel's e820 map (memmap=%%), made a dax device by dax_hmem and onlined as a node with daxctl",
				id, why, start, end);
		} else {
			legacy = true;
			strv_pushf(&c->p->kernel_args, "memmap=%llu!0x%llx",
				   (unsigned long long)r->size, start);
			plan_note(
				c,
				"node %u: %s, and the kernel's e820 map has no soft-reserved type before Linux 5.5 (or its release is unknown): the legacy-pmem fallback, memmap=!, makes the range legacy persistent memory, onlined as a node with ndctl and daxctl",
				id, why);
		}
		sbuf_addf(&nodes, "%s%u", nodes.len ? "," : "", id);
		if (n->n_dax)
			dax_pieces(c, n, legacy, &pieces);
		e = json_object_array_get_idx(c->exp_nodes, id);
		o = json_object_new_object();
		snprintf(buf, sizeof(buf), "%llx", start);
		json_object_object_add(o, "start", json_object_new_string(buf));
		snprintf(buf, sizeof(buf), "%llx", end);
		json_object_object_add(o, "end", json_object_new_string(buf));
		json_object_object_add(
			o, "as",
			json_object_new_string(
				legacy ? "Persistent Memory (legacy)"
				       : "Soft Reserved"));
		json_object_object_add(e, "reserved_range", o);
		if (n->n_dax)
			json_object_object_add(e, "dax", dax_expected(n));
	}
	if (efi) {
		c->p->uefi = true;
		plan_arg(c, "-bios");
		plan_arg(c, "%s", c->p->caps->ovmf);
		strv_push(&c->p->kernel_args, fake.s);
	}
	if (nodes.len)
		strv_pushf(&c->p->kernel_args, "tiervm.softreserved=%s",
			   nodes.s);
	if (pieces.len)
		strv_pushf(&c->p->kernel_args, "tiervm.dax=%s", pieces.s);
	sbuf_free(&pieces);
	sbuf_free(&nodes);
	free(why);
	tiervm_layout_clear(&l);
}

/*
 * How a kernel given by path boots: uncompressed at its PVH entry when its
 * config says CONFIG_PVH (the image builder extracts the vmlinux once),
 * else as the bzImage, whose own decompressor takes seconds under TCG.
 * Debian's kernels have it.
 */
static void boot_form_note(struct plan_ctx *c)
{
	const struct tiervm_kernel *kern = c->p->kernel;
	const char *k = kern->choice, *config = kern->config;
	enum tiervm_kopt has;

	if (kern->kind == TIERVM_KERNEL_DEBIAN)
		return;
	has = tiervm_kernel_opt(kern, "CONFIG_PVH");
	if (kern->vmlinux)
		plan_note(
			c,
			"kernel %s: its vmlinux (%s) boots at its PVH entry as it is, no bzImage decompressed",
			kern->release, kern->vmlinux);
	else if (has == TIERVM_KOPT_YES)
		plan_note(
			c,
			"kernel %s has CONFIG_PVH (%s): it boots uncompressed at its PVH entry, its payload extracted once into the image cache",
			k, config);
	else if (has == TIERVM_KOPT_NO)
		plan_note(
			c,
			"kernel %s lacks CONFIG_PVH (%s): the bzImage boots, its own decompressor seconds of every boot under TCG",
			k, config);
	else
		plan_note(
			c,
			"tiervm cannot tell whether kernel %s has CONFIG_PVH (no config-RELEASE beside it or in /boot, no build tree .config): the bzImage boots as it is",
			k);
}

static void kernel_args(struct plan_ctx *c)
{
	boot_form_note(c);
	soft_reserved(c);
	/*
	 * TCG executes no instruction speculatively, so the kernel's
	 * speculation mitigations guard nothing there and cost every return
	 * and entry (measured: 0.4 s of an NVDIMM kmem boot).  Under KVM the
	 * real CPU speculates: they stay.  guest.cmdline comes after, and
	 * overrides.
	 */
	if (!strcmp(c->p->accel, "tcg"))
		strv_pushf(&c->p->kernel_args, "mitigations=off");
	if (c->s->n_vmems)
		/* Linux leaves hot-plugged blocks offline without it (6.1) */
		strv_pushf(&c->p->kernel_args,
			   "memhp_default_state=online_movable");
	plan_cxl_kernel_arg(c);
	if (c->s->guest.demotion || c->s->guest.promotion)
		strv_pushf(&c->p->kernel_args, "tiervm.tiering=%s%s%s",
			   c->s->guest.demotion ? "demotion" : "",
			   c->s->guest.demotion && c->s->guest.promotion ? ","
									 : "",
			   c->s->guest.promotion ? "promotion" : "");
	if (*c->s->guest.cmdline)
		strv_pushf(&c->p->kernel_args, "%s", c->s->guest.cmdline);
}

/*
 * A node bound to host memory tells the guest the truth about it: its HMAT
 * figures are the host nodes' own (access0, the best initiator, else
 * access1 where the kernel gave only that), the worst
 * of them when several are bound.  Unknown figures stay 0.
 */
static struct tiervm_lb *host_figures(const struct tiervm_spec *s,
				      const struct tiervm_host *host)
{
	struct tiervm_lb *f = xcalloc(s->n_nodes, sizeof(*f));

	for (unsigned i = 0; host && i < s->n_nodes; i++) {
		const struct tiervm_node *n = &s->nodes[i];
		struct tiervm_cpuset set;

		if (!n->mem.host.present || n->id >= s->n_nodes)
			continue;
		if (n->mem.host.has_kind) {
			if (!tiervm_host_nodes_of_kind(host, n->mem.host.kind,
						       &set, NULL))
				continue;
		} else {
			set = n->mem.host.nodes;
		}
		for (int id = 0; id < TIERVM_MAX_CPUS; id++) {
			const struct tiervm_host_node *hn;
			const struct tiervm_host_access *a;

			if (!cpuset_test(&set, (unsigned)id) ||
			    !(hn = tiervm_host_node(host, (unsigned)id)))
				continue;
			a = hn->access[0].present ? &hn->access[0]
						  : &hn->access[1];
			if (!a->present)
				continue;
			if (a->read_latency != UINT64_MAX &&
			    a->read_latency > f[n->id].latency)
				f[n->id].latency = a->read_latency;
			/* sysfs MB/s back to the bytes/s QEMU takes */
			if (a->read_bandwidth != UINT64_MAX &&
			    (!f[n->id].bandwidth ||
			     a->read_bandwidth * MiB < f[n->id].bandwidth))
				f[n->id].bandwidth = a->read_bandwidth * MiB;
		}
	}
	return f;
}

struct tiervm_plan *tiervm_plan_build(const struct tiervm_spec *s,
				      const struct tiervm_qemu_caps *caps,
				      const struct tiervm_host *host,
				      tiervm_error **errp)
{
	struct tiervm_diags d = { .file = s->file, .lines = s->lines },
			    warn = { .file = s->file, .lines = s->lines };
	struct tiervm_plan *p = xcalloc(1, sizeof(*p));
	struct plan_ctx c = { .p = p, .s = s, .host = host, .d = &d };
	const char *kernel_key =
		s->guest.kernel_from_cli ? "--kernel" : "guest.kernel";
	struct tiervm_lb *host_home;
	tiervm_error *err = NULL;

	p->spec = s;
	p->caps = caps;
	p->kernel = xcalloc(1, sizeof(*p->kernel));
	if (!tiervm_kernel_open(s->guest.kernel, s->guest.modules, p->kernel,
				&err)) {
		diag_add_error(&d, 0, kernel_key, err);
		goto out;
	}
	host_home = host_figures(s, host);
	p->r = tiervm_resolve_with_host(s, host_home, &d, &warn);
	/* before QEMU runs, what the spec needs of the kernel */
	if (p->r)
		tiervm_kernel_check(s, p->r->hmat, p->kernel, kernel_key, &d,
				    &warn);
	/* kept as lines "FILE:LINE: KEY: what", for plan and up to print */
	if (warn.count)
		for (char *line = strtok(warn.text.s, "\n"); line;
		     line = strtok(NULL, "\n"))
			strv_push(&p->warnings, xstrdup(line));
	sbuf_free(&warn.text);
	free(host_home);
	if (!p->r)
		goto out;
	p->accel = s->machine.accel == TIERVM_ACCEL_TCG	  ? "tcg"
		   : s->machine.accel == TIERVM_ACCEL_KVM ? "kvm"
		   : caps->kvm_usable			  ? "kvm"
							  : "tcg";
	if (!s->unchecked)
		check_qemu(&c);
	for (unsigned i = 0; i < s->n_nodes; i++)
		p->ram += s->nodes[i].memory;
	p->maxmem = p->ram + plan_device_memory(s, &p->slots);
	p->slots += s->machine.hotplug_slots;
	p->maxmem += s->machine.hotplug_memory;

	p->expected = json_object_new_object();
	c.exp = p->expected;
	c.exp_nodes = json_object_new_array();
	json_object_object_add(p->expected, "nodes", c.exp_nodes);
	strv_push(&p->argv, xstrdup(caps->binary));
	for (size_t i = 0; i < ARRAY_SIZE(features); i++)
		features[i](&c);
	plan_capacity_check(&c);
	kernel_args(&c);
out:
	if (!diag_finish(&d, errp)) {
		tiervm_plan_free(p);
		return NULL;
	}
	return p;
}

const struct tiervm_plan_bind *
tiervm_plan_bind_of(const struct tiervm_plan *plan, const char *backend)
{
	for (unsigned i = 0; i < plan->n_binds; i++)
		if (!strcmp(plan->binds[i].backend, backend))
			return &plan->binds[i];
	return NULL;
}

void tiervm_plan_free(struct tiervm_plan *p)
{
	if (!p)
		return;
	tiervm_resolved_free(p->r);
	if (p->kernel)
		tiervm_kernel_clear(p->kernel);
	free(p->kernel);
	strv_free(&p->argv);
	strv_free(&p->kernel_args);
	strv_free(&p->notes);
	strv_free(&p->warnings);
	json_object_put(p->expected);
	for (unsigned i = 0; i < p->n_binds; i++)
		free(p->binds[i].backend);
	free(p->binds);
	if (p->own_spec)
		tiervm_spec_free((struct tiervm_spec *)p->spec);
	if (p->own_caps) {
		tiervm_qemu_caps_clear((struct tiervm_qemu_caps *)p->caps);
		free((struct tiervm_qemu_caps *)p->caps);
	}
	free(p);
}
