/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_SPEC_RESOLVE_H
#define TIERVM_SPEC_RESOLVE_H

#include "spec_diag.h"
#include "spec.h"

/*
 * The spec with every default applied: what the guest will be told.  Both
 * the QEMU arguments and the expected guest view are made from this, so the
 * two cannot drift.
 */
enum tiervm_origin {
	TIERVM_FROM_SPEC, /* the user wrote it */
	TIERVM_FROM_KIND, /* the target's kind default, scaled by distance */
	TIERVM_FROM_HOST, /* the host's access0 figures (host binding) */
};

struct tiervm_lb {
	uint64_t latency;   /* ns */
	uint64_t bandwidth; /* bytes/s, a multiple of 1 MiB */
	enum tiervm_origin latency_from, bandwidth_from;
};

struct tiervm_resolved {
	unsigned n; /* nodes, ids 0..n-1 */
	unsigned sockets;
	bool hmat;	      /* ACPI HMAT on */
	int *initiator;	      /* [n], -1 when HMAT is off */
	unsigned *dist;	      /* [n*n], from*n + to */
	struct tiervm_lb *lb; /* [n*n], initiator*n + target; cpu initiators */
};

/** tiervm_kind_defaults - default local latency (ns) and bandwidth (B/s). */
void tiervm_kind_defaults(enum tiervm_kind kind, uint64_t *latency,
			  uint64_t *bandwidth);

/**
 * tiervm_resolve - apply defaults to a spec that passed validation.
 * Problems only visible after defaults (HMAT values QEMU cannot encode
 * together) go to @d; NULL is returned only when @d got some.
 */
struct tiervm_resolved *tiervm_resolve(const struct tiervm_spec *s,
				       struct tiervm_diags *d);

/**
 * tiervm_resolve_with_host - as tiervm_resolve(), with @host_home[id]
 * (latency ns, bandwidth B/s; 0 where unknown) standing in for the kind
 * defaults of nodes bound to host memory.  NULL is tiervm_resolve().
 * @warn (may be NULL) gets where the spec's statements disagree.
 */
struct tiervm_resolved *
tiervm_resolve_with_host(const struct tiervm_spec *s,
			 const struct tiervm_lb *host_home,
			 struct tiervm_diags *d, struct tiervm_diags *warn);

void tiervm_resolved_free(struct tiervm_resolved *r);

static inline const struct tiervm_lb *
tiervm_resolved_lb(const struct tiervm_resolved *r, unsigned init,
		   unsigned target)
{
	return &r->lb[init * r->n + target];
}

#endif
