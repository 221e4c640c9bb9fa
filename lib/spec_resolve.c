// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_resolve.h"

/*
 * Default figures per kind, for pairs the spec does not give.  They are
 * round numbers inside published measurements, chosen so that the kinds sort
 * the way real machines do; docs/hmat-defaults.md gives the sources.
 */
static const struct {
	uint64_t latency, bandwidth;
} kind_defaults[TIERVM_KIND__COUNT] = {
	[TIERVM_KIND_DRAM] = { 80, 32 * GiB },
	[TIERVM_KIND_HBM] = { 100, 256 * GiB },
	[TIERVM_KIND_CXL] = { 250, 32 * GiB },
	[TIERVM_KIND_PMEM] = { 350, 8 * GiB },
	[TIERVM_KIND_SOFT_RESERVED] = { 250, 32 * GiB },
};

/* Derived bandwidths are kept on this grid so QEMU's 16-bit encoding holds. */
#define BW_GRAIN (256 * MiB)

void tiervm_kind_defaults(enum tiervm_kind kind, uint64_t *latency,
			  uint64_t *bandwidth)
{
	*latency = kind_defaults[kind].latency;
	*bandwidth = kind_defaults[kind].bandwidth;
}

static const struct tiervm_hmat *spec_pair(const struct tiervm_spec *s,
					   unsigned i, unsigned t)
{
	for (unsigned k = 0; k < s->n_hmat; k++)
		if (s->hmat[k].initiator == i && s->hmat[k].target == t)
			return &s->hmat[k];
	return NULL;
}

/*
 * The initiator @t's explicit hmat entries make best (lowest latency,
 * then highest bandwidth): its entry in *@entry; -1 when there are none.
 */
static int hmat_initiator(const struct tiervm_spec *s, unsigned t,
			  const struct tiervm_hmat **entry)
{
	const struct tiervm_hmat *best = NULL;

	for (unsigned k = 0; k < s->n_hmat; k++) {
		const struct tiervm_hmat *h = &s->hmat[k];
		uint64_t lat = h->has_latency ? h->latency : UINT64_MAX,
			 blat = best && best->has_latency ? best->latency
							  : UINT64_MAX;

		if (h->target != t)
			continue;
		if (!best || lat < blat ||
		    (lat == blat && h->has_bandwidth &&
		     (!best->has_bandwidth || h->bandwidth > best->bandwidth)))
			best = h;
	}
	if (entry)
		*entry = best;
	return best ? (int)best->initiator : -1;
}

/*
 * What the spec itself says of each node's initiator: cpus make a node its
 * own; else the initiator key; else the best initiator of its hmat
 * entries; -1 when the spec says nothing (left to the distances).
 */
static void declared_initiators(const struct tiervm_spec *s,
				struct tiervm_resolved *r)
{
	for (unsigned i = 0; i < s->n_nodes; i++) {
		const struct tiervm_node *node = &s->nodes[i];

		r->initiator[node->id] =
			node->has_cpus ? (int)node->id
			: node->initiator >= 0
				? node->initiator
				: hmat_initiator(s, node->id, NULL);
	}
}

/*
 * Distances: what the spec gives (one direction stands for both), then
 * for a pair it leaves out, 20, unless one side is a cpu-less node whose
 * initiator the spec declares: then the way through that initiator, so
 * that no other node with cpus is nearer to it than its own initiator
 * (a KNL's MCDRAM stays nearest its own quadrant's DDR).
 */
static void fill_distances(const struct tiervm_spec *s,
			   struct tiervm_resolved *r)
{
	unsigned n = r->n;
	bool *given = xcalloc((size_t)n * n, sizeof(*given));

	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < n; j++)
			r->dist[i * n + j] = i == j ? 10 : 20;
	for (unsigned k = 0; k < s->n_distances; k++) {
		const struct tiervm_distance *x = &s->distances[k];

		r->dist[x->from * n + x->to] = x->value;
		given[x->from * n + x->to] = true;
	}
	for (unsigned k = 0; k < s->n_distances; k++) {
		const struct tiervm_distance *x = &s->distances[k];

		if (!given[x->to * n + x->from]) {
			r->dist[x->to * n + x->from] = x->value;
			given[x->to * n + x->from] = true;
		}
	}
	for (unsigned a = 0; a < n; a++) {
		int home = r->initiator[a];

		if (home < 0 || (unsigned)home == a ||
		    !given[a * n + (unsigned)home])
			continue;
		for (unsigned b = 0; b < n; b++) {
			unsigned via;

			if (b == a || given[a * n + b] || (unsigned)home == b)
				continue;
			via = r->dist[a * n + (unsigned)home] +
			      r->dist[(unsigned)home * n + b] - 10;
			via = via > 255 ? 255 : via;
			if (via > r->dist[a * n + b]) {
				r->dist[a * n + b] = via;
				r->dist[b * n + a] = via;
			}
		}
	}
	free(given);
}

/* A cpu-less node the spec says nothing of: the nearest node with cpus. */
static void fill_initiators(const struct tiervm_spec *s,
			    struct tiervm_resolved *r)
{
	for (unsigned i = 0; i < s->n_nodes; i++) {
		unsigned id = s->nodes[i].id, best_d = ~0u;
		int best = -1;

		if (r->initiator[id] >= 0)
			continue;
		for (unsigned j = 0; j < r->n; j++) {
			const struct tiervm_node *c = tiervm_spec_node(s, j);

			if (c && c->has_cpus &&
			    r->dist[id * r->n + j] < best_d) {
				best_d = r->dist[id * r->n + j];
				best = (int)j;
			}
		}
		r->initiator[id] = best;
	}
}

/*
 * A pair the spec leaves out is derived from the target's figures as seen
 * from its own initiator (the spec's, else the kind's), scaled by how much
 * farther the other initiator is: latency times d/d_home, bandwidth divided.
 * A derived figure never beats one the spec gives for the same target: the
 * user's best latency and bandwidth bound every other pair's.
 */
static void fill_lb(const struct tiervm_spec *s, struct tiervm_resolved *r,
		    const struct tiervm_lb *host_home)
{
	unsigned n = r->n;

	for (unsigned t = 0; t < n; t++) {
		const struct tiervm_node *target = tiervm_spec_node(s, t);
		int home = r->initiator[t];
		const struct tiervm_hmat *h =
			home >= 0 ? spec_pair(s, (unsigned)home, t) : NULL;
		unsigned dh = home >= 0 && r->dist[(unsigned)home * n + t]
				      ? r->dist[(unsigned)home * n + t]
				      : 10;
		uint64_t lat, bw;
		enum tiervm_origin from_lat = TIERVM_FROM_KIND,
				   from_bw = TIERVM_FROM_KIND;
		uint64_t best_lat = 0, best_bw = UINT64_MAX;

		/* ids with gaps or twice: an unchecked spec, left to QEMU */
		if (!target)
			continue;
		for (unsigned k = 0; k < s->n_hmat; k++) {
			const struct tiervm_hmat *x = &s->hmat[k];

			if (x->target == t && x->has_latency &&
			    (best_lat == 0 || x->latency < best_lat))
				best_lat = x->latency;
			if (x->target == t && x->has_bandwidth &&
			    (best_bw == UINT64_MAX || x->bandwidth > best_bw))
				best_bw = x->bandwidth;
		}

		tiervm_kind_defaults(target->kind, &lat, &bw);
		if (host_home && host_home[t].latency) {
			lat = host_home[t].latency;
			from_lat = TIERVM_FROM_HOST;
		}
		if (host_home && host_home[t].bandwidth) {
			bw = host_home[t].bandwidth;
			from_bw = TIERVM_FROM_HOST;
		}
		if (h && h->has_latency)
			lat = h->latency;
		if (h && h->has_bandwidth)
			bw = h->bandwidth;
		for (unsigned i = 0; i < n; i++) {
			struct tiervm_lb *lb = &r->lb[i * n + t];
			/* an unchecked spec may say 0; never divide by it */
			unsigned d =
				r->dist[i * n + t] ? r->dist[i * n + t] : 10;

			if (home >= 0 && (unsigned)home == i) {
				lb->latency = lat;
				lb->bandwidth = bw;
			} else {
				uint64_t x = bw * dh / d / BW_GRAIN * BW_GRAIN;

				lb->latency = (lat * d / dh + 5) / 10 * 10;
				if (!lb->latency)
					lb->latency = 10;
				lb->bandwidth = x ? x : BW_GRAIN;
			}
			if (lb->latency < best_lat)
				lb->latency = best_lat;
			if (lb->bandwidth > best_bw)
				lb->bandwidth = best_bw;
			lb->latency_from = from_lat;
			lb->bandwidth_from = from_bw;
		}
	}
	for (unsigned k = 0; k < s->n_hmat; k++) {
		const struct tiervm_hmat *h = &s->hmat[k];
		struct tiervm_lb *lb = &r->lb[h->initiator * n + h->target];

		if (h->has_latency) {
			lb->latency = h->latency;
			lb->latency_from = TIERVM_FROM_SPEC;
		}
		if (h->has_bandwidth) {
			lb->bandwidth = h->bandwidth;
			lb->bandwidth_from = TIERVM_FROM_SPEC;
		}
	}
}

/* "hmat[K].@member" for the entry of pair @i -> @t, else "hmat". */
static char *key_of(const struct tiervm_spec *s, unsigned i, unsigned t,
		    const char *member)
{
	for (unsigned k = 0; k < s->n_hmat; k++)
		if (s->hmat[k].initiator == i && s->hmat[k].target == t)
			return xasprintf("hmat[%u].%s", k, member);
	return xstrdup("hmat");
}

/*
 * QEMU stores each HMAT table as 16-bit entries over one base unit
 * (hw/core/numa.c, parse_numa_hmat_lb).  Latencies share the largest power of
 * ten dividing all of them; bandwidths the largest power of two.  A value too
 * far from the rest is refused by QEMU; say so here, naming the entry.
 */
static void check_encoding(const struct tiervm_spec *s,
			   const struct tiervm_resolved *r,
			   struct tiervm_diags *d)
{
	uint64_t lat_base = UINT64_MAX, bw_bits = 0;
	unsigned n = r->n;

	for (unsigned i = 0; i < n; i++) {
		const struct tiervm_node *in = tiervm_spec_node(s, i);

		if (!in->has_cpus)
			continue;
		for (unsigned t = 0; t < n; t++) {
			const struct tiervm_lb *lb = &r->lb[i * n + t];
			uint64_t b = 1;

			while (lb->latency % (b * 10) == 0)
				b *= 10;
			if (b < lat_base)
				lat_base = b;
			bw_bits |= lb->bandwidth;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		if (!tiervm_spec_node(s, i)->has_cpus)
			continue;
		for (unsigned t = 0; t < n; t++) {
			const struct tiervm_lb *lb = &r->lb[i * n + t];
			unsigned lo = (unsigned)__builtin_ctzll(bw_bits);
			char *lat = key_of(s, i, t, "latency"),
			     *bw = key_of(s, i, t, "bandwidth");

			if (lb->latency / lat_base >= 65535)
				diag_add(
					d, 0, lat,
					"latency %llu ns from node %u to node %u is too far from the smallest step of the table (%llu ns): QEMU encodes at most 65534 steps",
					(unsigned long long)lb->latency, i, t,
					(unsigned long long)lat_base);
			if ((lb->bandwidth >> lo) >= 65535)
				diag_add(
					d, 0, bw,
					"bandwidth from node %u to node %u is too far from the smallest bandwidth step of the table (%llu bytes/s): QEMU encodes at most 65534 steps",
					i, t, (unsigned long long)(1ULL << lo));
			free(lat);
			free(bw);
		}
	}
}

/*
 * Where the spec's own statements disagree: its distances make one node
 * with cpus nearest a target, its hmat entries give another the best
 * figures.  The guest gets both as written; the user hears of it.
 */
static void check_agreement(const struct tiervm_spec *s,
			    const struct tiervm_resolved *r,
			    struct tiervm_diags *warn)
{
	unsigned n = r->n;
	const struct tiervm_hmat **best = xcalloc(n, sizeof(*best));
	const struct tiervm_distance **near = xcalloc(n, sizeof(*near));
	bool *cpus = xcalloc(n, sizeof(*cpus));

	/* one pass over each list: a 64-node spec has 4096 distances */
	for (unsigned i = 0; i < s->n_nodes; i++)
		cpus[s->nodes[i].id] = s->nodes[i].has_cpus;
	for (unsigned t = 0; t < n; t++)
		hmat_initiator(s, t, &best[t]);
	for (unsigned k = 0; k < s->n_distances; k++) {
		const struct tiervm_distance *x = &s->distances[k];

		for (int side = 0; side < 2; side++) {
			unsigned t = side ? x->to : x->from,
				 other = side ? x->from : x->to;

			if (!best[t] || other == t || !cpus[other] ||
			    other == best[t]->initiator ||
			    x->value >= r->dist[t * n + best[t]->initiator] ||
			    (near[t] && x->value >= near[t]->value))
				continue;
			near[t] = x;
		}
	}
	for (unsigned t = 0; t < n; t++) {
		const struct tiervm_distance *x = near[t];
		char key[48];

		if (!x)
			continue;
		snprintf(key, sizeof(key), "hmat[%u].initiator",
			 (unsigned)(best[t] - s->hmat));
		diag_add(
			warn, best[t]->line, key,
			"node %u's best figures are from node %u, but distances (line %d) make node %u nearer (%u < %u)",
			t, best[t]->initiator, x->line,
			x->from == t ? x->to : x->from, x->value,
			r->dist[t * n + best[t]->initiator]);
	}
	free(best);
	free(near);
	free(cpus);
}

struct tiervm_resolved *tiervm_resolve(const struct tiervm_spec *s,
				       struct tiervm_diags *d)
{
	return tiervm_resolve_with_host(s, NULL, d, NULL);
}

struct tiervm_resolved *
tiervm_resolve_with_host(const struct tiervm_spec *s,
			 const struct tiervm_lb *host_home,
			 struct tiervm_diags *d, struct tiervm_diags *warn)
{
	struct tiervm_resolved *r = xcalloc(1, sizeof(*r));
	unsigned cpu_nodes = 0, before = d ? d->count : 0;

	r->n = s->n_nodes;
	r->initiator = xcalloc(r->n, sizeof(*r->initiator));
	r->dist = xcalloc((size_t)r->n * r->n, sizeof(*r->dist));
	r->lb = xcalloc((size_t)r->n * r->n, sizeof(*r->lb));
	for (unsigned i = 0; i < s->n_nodes; i++)
		cpu_nodes += s->nodes[i].has_cpus;
	r->sockets = s->machine.sockets ? s->machine.sockets
					: (cpu_nodes ? cpu_nodes : 1);
	r->hmat = s->n_hmat || s->n_caches;
	/* a CXL region's figures are its host bridges' generic ports' HMAT */
	for (unsigned i = 0; i < s->cxl.n_regions; i++)
		r->hmat |= s->cxl.regions[i].latency ||
			   s->cxl.regions[i].bandwidth;
	declared_initiators(s, r);
	fill_distances(s, r);
	fill_initiators(s, r);
	fill_lb(s, r, host_home);
	if (warn)
		check_agreement(s, r, warn);
	if (r->hmat && d && !s->unchecked)
		check_encoding(s, r, d);
	if (!r->hmat)
		for (unsigned i = 0; i < r->n; i++)
			r->initiator[i] = -1;
	if (d && d->count > before) {
		tiervm_resolved_free(r);
		return NULL;
	}
	return r;
}

void tiervm_resolved_free(struct tiervm_resolved *r)
{
	if (!r)
		return;
	free(r->initiator);
	free(r->dist);
	free(r->lb);
	free(r);
}
