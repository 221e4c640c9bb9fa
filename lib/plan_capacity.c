// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Memory the host cannot give, refused before QEMU runs instead of QEMU's
 * "cannot set up guest memory: Cannot allocate memory" (or a guest killed
 * later).  Two limits: host nodes a backend is bound to (policy bind) hold
 * what their MemTotal says, and the kernel's overcommit rule for QEMU's
 * anonymous mappings (Documentation/mm/overcommit-accounting.rst):
 *   0  heuristic: one mapping larger than RAM plus swap fails
 *   1  always: nothing fails until it is touched (prealloc touches it all)
 *   2  never: everything mapped counts against CommitLimit
 */
#include <stdlib.h>
#include <string.h>

#include "plan_internal.h"
#include "units.h"

struct plan_capacity_use {
	char *key; /* "nodes[0].memory" */
	int line;
	uint64_t size;
	bool anon;     /* memory-backend-ram: what overcommit accounts */
	bool file;     /* on a file: not the host's RAM */
	bool prealloc; /* touched all at QEMU's start */
	bool bound;    /* policy bind to nodes */
	bool told;     /* refused already: one line per key */
	struct tiervm_cpuset nodes;
};

void plan_capacity_add(struct plan_ctx *c, const char *backend, uint64_t size,
		       const struct tiervm_mem *m, int line, const char *key)
{
	const struct tiervm_plan_bind *b = tiervm_plan_bind_of(c->p, backend);
	struct plan_capacity_use *u;

	c->uses = xrealloc(c->uses, (c->n_uses + 1) * sizeof(*c->uses));
	u = &c->uses[c->n_uses++];
	*u = (struct plan_capacity_use){
		.key = xasprintf("%s.%s", key,
				 strncmp(key, "nodes[", 6) ? "size" : "memory"),
		.line = line,
		.size = size,
		.anon = m->backend == TIERVM_BACKEND_RAM,
		.file = m->backend == TIERVM_BACKEND_FILE,
		.prealloc = m->prealloc,
		.bound = b && b->policy == TIERVM_POLICY_BIND,
	};
	if (b)
		u->nodes = b->nodes;
}

/* What the host nodes in @set hold; false if any is unknown. */
static bool nodes_hold(const struct tiervm_host *h,
		       const struct tiervm_cpuset *set, uint64_t *bytes)
{
	*bytes = 0;
	for (unsigned i = 0; i < h->n_nodes; i++) {
		if (!cpuset_test(set, h->nodes[i].id))
			continue;
		if (!h->nodes[i].memory_known)
			return false;
		*bytes += h->nodes[i].memory;
	}
	return true;
}

static bool check_bound(struct plan_ctx *c)
{
	bool refused = false;
	struct tiervm_cpuset all = { 0 };
	uint64_t bound = 0, hold;
	unsigned n = 0;

	for (unsigned i = 0; i < c->n_uses; i++) {
		struct plan_capacity_use *u = &c->uses[i];
		char *list, *want, *has;

		if (!u->bound || u->file)
			continue;
		for (unsigned id = 0; id < TIERVM_MAX_CPUS; id++)
			if (cpuset_test(&u->nodes, id))
				cpuset_set(&all, id);
		bound += u->size;
		n++;
		if (!nodes_hold(c->host, &u->nodes, &hold) || u->size <= hold)
			continue;
		u->told = refused = true;
		list = tiervm_format_cpulist(&u->nodes);
		want = tiervm_format_size_approx(u->size);
		has = tiervm_format_size_approx(hold);
		diag_add(
			c->d, u->line, u->key,
			"%s bound to host node%s %s (policy bind), which hold%s %s in all: give it at most that, bind more host nodes, or use policy preferred",
			want, strchr(list, ',') || strchr(list, '-') ? "s" : "",
			list, strchr(list, ',') || strchr(list, '-') ? "" : "s",
			has);
		free(list);
		free(want);
		free(has);
	}
	if (!refused && n > 1 && nodes_hold(c->host, &all, &hold) &&
	    bound > hold) {
		refused = true;
		char *list = tiervm_format_cpulist(&all),
		     *want = tiervm_format_size_approx(bound),
		     *has = tiervm_format_size_approx(hold);

		diag_add(
			c->d, 0, "nodes",
			"%s in all is bound to host nodes %s (policy bind), which hold %s: bind less, or to more host nodes",
			want, list, has);
		free(list);
		free(want);
		free(has);
	}
	return refused;
}

static void check_commit(struct plan_ctx *c, bool refused)
{
	const struct tiervm_host *h = c->host;
	uint64_t anon = 0, ram = 0, pre = 0, room = h->ram + h->swap;
	char *r = tiervm_format_size_approx(h->ram),
	     *s = h->swap ? tiervm_format_size_approx(h->swap) : xstrdup("no");

	for (unsigned i = 0; i < c->n_uses; i++) {
		struct plan_capacity_use *u = &c->uses[i];

		/* in all: boot memory; a virtio-mem device's size is only
		 * what it may ever plug (its single mapping is checked) */
		bool boot = !strncmp(u->key, "nodes[", 6);

		anon += u->anon ? u->size : 0;
		ram += u->file || !boot ? 0 : u->size;
		pre += u->prealloc && !u->file ? u->size : 0;
		if (h->overcommit == 0 && u->anon && u->size > room &&
		    !u->told) {
			char *want = tiervm_format_size_approx(u->size);

			refused = true;
			diag_add(
				c->d, u->line, u->key,
				"%s is more than this host can map at once: %s of RAM and %s swap (vm.overcommit_memory=0: the kernel's heuristic refuses one mapping larger than RAM plus swap); give it less, or spread it over more nodes",
				want, r, s);
			free(want);
		}
	}
	/* the total only when no part of it was refused already */
	if (refused) {
		/* nothing more to say */
	} else if (h->overcommit == 2 &&
		   anon > h->commit_limit - h->committed) {
		char *want = tiervm_format_size_approx(anon),
		     *lim = tiervm_format_size_approx(h->commit_limit),
		     *used = tiervm_format_size_approx(h->committed);

		diag_add(
			c->d, 0, "nodes",
			"the guest's %s of anonymous memory is more than the commit limit leaves (vm.overcommit_memory=2: CommitLimit %s, Committed_AS %s)",
			want, lim, used);
		free(want);
		free(lim);
		free(used);
	} else if ((h->overcommit == 0 && ram > room) ||
		   (h->overcommit == 1 && pre > room)) {
		char *want =
			tiervm_format_size_approx(h->overcommit ? pre : ram);

		diag_add(
			c->d, 0, "nodes",
			"the guest's memory, %s%s in all, is more than this host's %s of RAM and %s swap (vm.overcommit_memory=%d)",
			want, h->overcommit ? " preallocated" : "", r, s,
			h->overcommit);
		free(want);
	}
	free(r);
	free(s);
}

void plan_capacity_check(struct plan_ctx *c)
{
	if (c->host && !c->s->unchecked) {
		bool refused = check_bound(c);

		if (c->host->commit_known)
			check_commit(c, refused);
	}
	for (unsigned i = 0; i < c->n_uses; i++)
		free(c->uses[i].key);
	free(c->uses);
	c->uses = NULL;
	c->n_uses = 0;
}
