// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A spec from a real machine's inventory.  What the guest can have as the
 * source has it (nodes, cpu-less nodes, kinds, distances, HMAT figures,
 * memory-side caches, sockets) is copied; what it cannot (the source's
 * memory and cpu counts) is scaled, each scaled value followed by the
 * source's in a comment; what cannot be reproduced at all is said in one
 * comment line naming what and why.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "spec_generate.h"
#include "util.h"

struct gnode {
	const struct tiervm_host_node *src;
	unsigned id; /* the guest's: sources' ids renumbered 0..n-1 */
	uint64_t memory;
	struct tiervm_cpuset cpus;
	int package; /* the guest socket its cpus are in */
};

struct gen {
	const struct tiervm_host *h;
	const struct tiervm_generate_opts *o;
	struct gnode *nodes;
	unsigned n;
	unsigned cpus, sockets;
	struct sbuf notes;
	tiervm_error **errp;
};

static void note(struct gen *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void note(struct gen *g, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	sbuf_addf(&g->notes, "# note: %s\n", s);
	free(s);
}

static struct gnode *by_src(struct gen *g, unsigned src_id)
{
	for (unsigned i = 0; i < g->n; i++)
		if (g->nodes[i].src->id == src_id)
			return &g->nodes[i];
	return NULL;
}

static int by_src_id(const void *a, const void *b)
{
	const struct gnode *x = a, *y = b;

	return (x->src->id > y->src->id) - (x->src->id < y->src->id);
}

/* Nodes with neither cpus nor memory never reach a guest's /sys. */
static bool pick_nodes(struct gen *g)
{
	g->nodes = xcalloc(g->h->n_nodes + 1, sizeof(*g->nodes));
	for (unsigned i = 0; i < g->h->n_nodes; i++) {
		const struct tiervm_host_node *s = &g->h->nodes[i];

		if (!s->has_cpus && (!s->memory_known || !s->memory)) {
			note(g,
			     "source node %u has no cpus and no memory; a guest kernel shows no such node, so it is left out",
			     s->id);
			continue;
		}
		g->nodes[g->n++].src = s;
	}
	qsort(g->nodes, g->n, sizeof(*g->nodes), by_src_id);
	for (unsigned i = 0; i < g->n; i++)
		g->nodes[i].id = i;
	if (g->n > TIERVM_MAX_NODES) {
		tiervm_error_set(
			g->errp, TIERVM_E_INPUT,
			"%s has %u NUMA nodes; QEMU allows %u, so it cannot be reproduced",
			g->o->source, g->n, TIERVM_MAX_NODES);
		return false;
	}
	if (!g->n) {
		tiervm_error_set(g->errp, TIERVM_E_INPUT,
				 "%s has no node with cpus or memory",
				 g->o->source);
		return false;
	}
	return true;
}

/*
 * @units shared out in proportion to @weight, each positive weight
 * getting at least @min_each; @exact gives out the rest by largest
 * remainder (cpus), else each share is rounded to the nearest and what is
 * left over stays unused, so that equal weights get equal shares
 * (memory).  False when the floors alone exceed
 * @units.
 */
static bool share(const uint64_t *weight, unsigned n, uint64_t units,
		  uint64_t min_each, bool exact, uint64_t *out)
{
	long double total = 0;
	uint64_t given = 0, needed = 0;

	for (unsigned i = 0; i < n; i++) {
		total += weight[i];
		needed += weight[i] ? min_each : 0;
	}
	if (needed > units)
		return false;
	for (unsigned i = 0; i < n; i++) {
		long double fair = units * (weight[i] / total);

		/* nearest for memory, so 3.99 blocks is 4 and not 3 */
		out[i] = !weight[i] ? 0
			 : exact    ? (uint64_t)fair
				    : (uint64_t)(fair + 0.5L);
		if (weight[i] && out[i] < min_each)
			out[i] = min_each;
		given += out[i];
	}
	/* too much (floors raised): take from the largest; too little: give
	 * to the largest remainder, i.e. the largest share still short */
	while (given > units || (exact && given < units)) {
		int best = -1;
		long double best_gap = 0;

		for (unsigned i = 0; i < n; i++) {
			long double gap = units * (weight[i] / total) - out[i];

			if (!weight[i] || (given > units && out[i] <= min_each))
				continue;
			if (best < 0 ||
			    (given > units ? gap < best_gap : gap > best_gap)) {
				best = (int)i;
				best_gap = gap;
			}
		}
		if (best < 0)
			return false;
		if (given > units) {
			out[best]--;
			given--;
		} else {
			out[best]++;
			given++;
		}
	}
	return true;
}

static bool scale_memory(struct gen *g)
{
	uint64_t *w = xcalloc(g->n, sizeof(*w)),
		 *units = xcalloc(g->n, sizeof(*units));
	uint64_t total = 0, want = g->o->memory, floor = 0;
	bool ok;

	for (unsigned i = 0; i < g->n; i++) {
		w[i] = g->nodes[i].src->memory_known ? g->nodes[i].src->memory
						     : 0;
		total += w[i];
		floor += w[i] ? TIERVM_GENERATE_GRANULE : 0;
	}
	if (!want) {
		uint64_t avail = g->o->host_available / 4;

		want = avail < TIERVM_GENERATE_MIN_MEMORY
			       ? TIERVM_GENERATE_MIN_MEMORY
		       : avail > TIERVM_GENERATE_MAX_MEMORY
			       ? TIERVM_GENERATE_MAX_MEMORY
			       : avail;
		if (want > total)
			want = total;
		if (want < floor) {
			note(g,
			     "%u nodes with memory need at least %" PRIu64
			     "M, more than the default total",
			     (unsigned)(floor / TIERVM_GENERATE_GRANULE),
			     floor >> 20);
			want = floor;
		}
	}
	if (!total) {
		tiervm_error_set(g->errp, TIERVM_E_INPUT,
				 "%s: no node's memory size is known",
				 g->o->source);
		ok = false;
	} else if (!(ok = share(w, g->n, want / TIERVM_GENERATE_GRANULE, 1,
				false, units))) {
		tiervm_error_set(
			g->errp, TIERVM_E_INPUT,
			"--memory %" PRIu64
			"M is too little: %u nodes with memory need at least %" PRIu64
			"M (128M each, the memory block the kernel onlines)",
			want >> 20, (unsigned)(floor / TIERVM_GENERATE_GRANULE),
			floor >> 20);
	}
	for (unsigned i = 0; ok && i < g->n; i++)
		g->nodes[i].memory = units[i] * TIERVM_GENERATE_GRANULE;
	free(w);
	free(units);
	return ok;
}

/*
 * The source's sockets, numbered 0..k-1 as the nodes first reach them,
 * into each node's package.  0 when unknown, when a node spans sockets,
 * or when the node ids interleave the sockets (*@why says which; *@count
 * how many the source has): a guest kernel numbers its nodes in the order
 * of the cpus' APIC ids, socket by socket (the SRAT QEMU builds), so a
 * guest whose sockets interleave its node ids would renumber its nodes.
 */
static unsigned source_sockets(struct gen *g, unsigned *count, const char **why)
{
	int *map = xcalloc(TIERVM_MAX_CPUS, sizeof(*map));
	unsigned k = 0;
	int last = -1;

	*why = NULL;
	for (unsigned p = 0; p < TIERVM_MAX_CPUS; p++)
		map[p] = -1;
	for (unsigned i = 0; i < g->n; i++) {
		const struct tiervm_host_node *s = g->nodes[i].src;
		int pkg = cpuset_first(&s->packages);

		g->nodes[i].package = -1;
		if (!s->has_cpus)
			continue;
		if (pkg < 0 || cpuset_count(&s->packages) != 1) {
			if (!*why)
				*why = pkg < 0 ? "the source does not say which socket each cpu is in"
					       : "a node spans sockets in the source";
			for (int p = 0; p < TIERVM_MAX_CPUS; p++)
				if (cpuset_test(&s->packages, (unsigned)p) &&
				    map[p] < 0)
					map[p] = (int)k++;
			continue;
		}
		if (map[pkg] < 0)
			map[pkg] = (int)k++;
		if (map[pkg] < last && !*why)
			*why = "the source's node ids interleave its sockets, and a guest kernel numbers nodes socket by socket";
		last = map[pkg];
		g->nodes[i].package = map[pkg];
	}
	free(map);
	*count = k;
	return *why ? 0 : k;
}

/*
 * Sockets first, so that each node's cpus lie in one socket as they did
 * in the source: the cpus split evenly over the sockets (QEMU's rule),
 * then each socket's share over its nodes in proportion.
 */
static bool place_cpus(struct gen *g, unsigned sockets, const char **why)
{
	unsigned next = 0, per = g->cpus / sockets;

	for (unsigned s = 0; s < sockets; s++) {
		uint64_t w[TIERVM_MAX_NODES], out[TIERVM_MAX_NODES];
		unsigned idx[TIERVM_MAX_NODES], k = 0;

		for (unsigned i = 0; i < g->n; i++) {
			const struct tiervm_host_node *src = g->nodes[i].src;

			if (src->has_cpus &&
			    (sockets == 1 || g->nodes[i].package == (int)s)) {
				idx[k] = i;
				w[k++] = cpuset_count(&src->cpus);
			}
		}
		if (!k) {
			*why = "a socket of the source has no node with cpus";
			return false;
		}
		if (!share(w, k, per, 1, true, out)) {
			*why = "a socket's share of the cpus is fewer than its nodes";
			return false;
		}
		for (unsigned j = 0; j < k; j++) {
			struct tiervm_cpuset *c = &g->nodes[idx[j]].cpus;

			memset(c, 0, sizeof(*c));
			for (uint64_t x = 0; x < out[j]; x++)
				cpuset_set(c, next++);
		}
	}
	return true;
}

static bool scale_cpus(struct gen *g)
{
	unsigned cpu_nodes = 0, total = 0, src_sockets, seen;
	const char *why;

	for (unsigned i = 0; i < g->n; i++) {
		if (g->nodes[i].src->has_cpus) {
			cpu_nodes++;
			total += cpuset_count(&g->nodes[i].src->cpus);
		}
	}
	if (!cpu_nodes) {
		tiervm_error_set(g->errp, TIERVM_E_INPUT,
				 "%s has no node with cpus; a guest needs one",
				 g->o->source);
		return false;
	}
	g->cpus = g->o->cpus;
	if (!g->cpus) {
		g->cpus = total < TIERVM_GENERATE_CPUS ? total
						       : TIERVM_GENERATE_CPUS;
		if (g->cpus < cpu_nodes)
			g->cpus = cpu_nodes;
	} else if (g->cpus < cpu_nodes) {
		tiervm_error_set(
			g->errp, TIERVM_E_INPUT,
			"--cpus %u is too few: %u nodes have cpus and each keeps at least one",
			g->cpus, cpu_nodes);
		return false;
	} else if (g->cpus > TIERVM_MAX_CPUS) {
		tiervm_error_set(g->errp, TIERVM_E_INPUT,
				 "--cpus %u is more than tiervm allows (%u)",
				 g->cpus, TIERVM_MAX_CPUS);
		return false;
	}
	src_sockets = source_sockets(g, &seen, &why);
	g->sockets = 1;
	if (src_sockets > 1 && g->cpus % src_sockets == 0) {
		if (place_cpus(g, src_sockets, &why)) {
			g->sockets = src_sockets;
			return true;
		}
	} else if (src_sockets > 1) {
		why = "the cpus do not split evenly over them (QEMU needs sockets x cores = cpus)";
	}
	if (why && seen)
		note(g, "machine.sockets: 1, not the source's %u: %s", seen,
		     why);
	else if (why)
		note(g, "machine.sockets: 1: %s", why);
	return place_cpus(g, 1, &why);
}

static const char *spec_kind(struct gen *g, const struct gnode *n)
{
	const struct tiervm_host_node *s = n->src;

	switch (s->kind) {
	case TIERVM_HOST_HBM:
		return "hbm";
	case TIERVM_HOST_CXL:
		return "cxl";
	case TIERVM_HOST_PMEM:
		return "pmem";
	case TIERVM_HOST_SOFT_RESERVED:
		if (!s->has_cpus)
			return "soft-reserved";
		note(g,
		     "node %u: soft-reserved memory with cpus; reproduced as dram",
		     n->id);
		return NULL;
	case TIERVM_HOST_GPU:
		if (s->has_cpus)
			return NULL;
		note(g,
		     "node %u is GPU memory in the source; the guest gets a cpu-less hbm node (QEMU has no coherent GPU memory)",
		     n->id);
		return "hbm";
	default:
		return NULL;
	}
}

static void emit_nodes(struct gen *g, struct sbuf *b)
{
	sbuf_addf(b, "nodes:\n");
	for (unsigned i = 0; i < g->n; i++) {
		const struct gnode *n = &g->nodes[i];
		const struct tiervm_host_node *s = n->src;
		const char *kind = spec_kind(g, n);
		char *mem = tiervm_format_size(n->memory),
		     *src_mem = tiervm_format_size_approx(s->memory);

		sbuf_addf(b, "  - id: %u                # source node %u\n",
			  n->id, s->id);
		if (s->has_cpus) {
			char *c = tiervm_format_cpulist(&n->cpus);

			sbuf_addf(b, "    cpus: %-14s # source: %u cpu%s\n", c,
				  cpuset_count(&s->cpus),
				  cpuset_count(&s->cpus) == 1 ? "" : "s");
			free(c);
		}
		sbuf_addf(b, "    memory: %-12s # source: %s\n", mem, src_mem);
		if (kind)
			sbuf_addf(b, "    kind: %s\n", kind);
		if (s->evidence &&
		    (s->kind != TIERVM_HOST_DRAM || !s->has_cpus))
			sbuf_addf(b, "    # %s: %s\n",
				  tiervm_host_kind_name(s->kind), s->evidence);
		free(mem);
		free(src_mem);
	}
}

static void emit_distances(struct gen *g, struct sbuf *b)
{
	struct sbuf pairs = { 0 };
	bool all = true;

	for (unsigned i = 0; i < g->n; i++)
		all &= g->nodes[i].src->distance != NULL;
	if (!all) {
		note(g,
		     "the source gives no (or partial) NUMA distances; the guest gets QEMU's defaults");
		return;
	}
	for (unsigned i = 0; i < g->n; i++) {
		const struct tiervm_host_node *a = g->nodes[i].src;
		unsigned ai = (unsigned)(a - g->h->nodes);

		for (unsigned j = 0; j < g->n; j++) {
			const struct tiervm_host_node *z = g->nodes[j].src;
			unsigned zi = (unsigned)(z - g->h->nodes);
			unsigned d = a->distance[zi], back = z->distance[ai];

			if (i == j) {
				if (d != 10)
					note(g,
					     "node %u: the source's local distance is %u; the guest's is 10",
					     i, d);
				continue;
			}
			/* a symmetric pair is written once, both ways hold */
			if (j < i && d == back)
				continue;
			if (d <= 10) {
				note(g,
				     "distance %u -> %u is %u in the source; the guest gets 11 (Linux ignores a SLIT with a remote distance of 10)",
				     i, j, d);
				d = 11;
			}
			sbuf_addf(&pairs, "  - [%u, %u, %u]\n", i, j, d);
		}
	}
	/* one node has no pair to give */
	if (pairs.s)
		sbuf_addf(b, "distances:\n%s", pairs.s);
	sbuf_free(&pairs);
}

static char *bandwidth(uint64_t mib_s)
{
	return mib_s % 1024 ? xasprintf("%" PRIu64 "M", mib_s)
			    : xasprintf("%" PRIu64 "G", mib_s / 1024);
}

/*
 * The kernel shows, per target, the figures of its best initiators
 * (access1: those with cpus; access0: any, generic initiators too).  The
 * guest gets the same pairs; the pairs the source does not state are
 * filled by tiervm, never better than these (docs/hmat-defaults.md), so
 * the guest's best initiators are the source's.
 */
static void emit_hmat(struct gen *g, struct sbuf *b)
{
	bool any = false, rw_differ = false;

	for (unsigned t = 0; t < g->n; t++) {
		const struct tiervm_host_node *s = g->nodes[t].src;
		const struct tiervm_host_access *a =
			s->access[1].present ? &s->access[1] : &s->access[0];
		bool lat, bw, some = false;

		if (!a->present)
			continue;
		lat = a->read_latency != UINT64_MAX;
		bw = a->read_bandwidth != UINT64_MAX && a->read_bandwidth;
		if (!lat && !bw)
			continue;
		rw_differ |= (a->write_latency != UINT64_MAX &&
			      a->write_latency != a->read_latency) ||
			     (a->write_bandwidth != UINT64_MAX &&
			      a->write_bandwidth != a->read_bandwidth);
		for (unsigned id = 0; id < TIERVM_HOST_MAX_NODES; id++) {
			const struct gnode *in;

			if (!cpuset_test(&a->initiators, id))
				continue;
			in = by_src(g, id);
			if (!in || !in->src->has_cpus)
				continue;
			if (!any)
				sbuf_addf(b, "hmat:\n");
			any = some = true;
			sbuf_addf(b, "  - {initiator: %u, target: %u", in->id,
				  t);
			if (lat)
				sbuf_addf(b, ", latency: %" PRIu64,
					  a->read_latency);
			if (bw) {
				char *x = bandwidth(a->read_bandwidth);

				sbuf_addf(b, ", bandwidth: %s", x);
				free(x);
			}
			sbuf_addf(b, "}\n");
		}
		if (!some)
			note(g,
			     "node %u's HMAT figures are for initiators without cpus (generic initiators), which QEMU cannot make; tiervm fills its pairs by kind",
			     t);
	}
	if (rw_differ)
		note(g,
		     "the source's write latency or bandwidth differs from its read figures; the guest gets the read figures for both (QEMU's access figures)");
}

static void emit_caches(struct gen *g, struct sbuf *b)
{
	static const char *const assoc[] = { "direct", "complex", "none" };
	static const char *const policy[] = { "write-back", "write-through",
					      "none" };
	bool any = false, policy_unknown = false;

	for (unsigned i = 0; i < g->n; i++) {
		uint64_t below = 0;

		for (unsigned l = 1; l <= 3; l++) {
			const struct tiervm_host_cache *c =
				&g->nodes[i].src->caches[l];
			char *size;

			if (!c->present)
				break;
			if (!c->size || c->size == UINT64_MAX ||
			    c->size <= below) {
				note(g,
				     "node %u's level %u memory-side cache (%" PRIu64
				     " bytes) is not larger than level %u; QEMU refuses that, so it is left out",
				     i, l, c->size, l - 1);
				break;
			}
			below = c->size;
			if (!any)
				sbuf_addf(b, "caches:\n");
			any = true;
			policy_unknown |= c->write_policy > 2;
			size = tiervm_format_size(c->size);
			sbuf_addf(
				b,
				"  - {node: %u, level: %u, size: %s, associativity: %s, policy: %s, line: %" PRIu64
				"}\n",
				i, l, size,
				assoc[c->indexing > 2 ? 2 : c->indexing],
				policy[c->write_policy > 2 ? 0
							   : c->write_policy],
				is_pow2(c->line_size) ? c->line_size : 64);
			free(size);
		}
	}
	if (policy_unknown)
		note(g,
		     "the source does not give the caches' write policy; write-back assumed");
}

/* A guest name from the source's: [a-z0-9][a-z0-9_-]*, at most 64. */
static char *guest_name(const char *source)
{
	const char *base = strrchr(source, '/');
	char *s = xstrdup(base && base[1] ? base + 1 : source), *w = s;

	for (char *end = strstr(s, ".tar"); end; end = NULL)
		*end = '\0';
	for (char *end = strstr(s, ".xml"); end; end = NULL)
		*end = '\0';
	for (const char *r = s; *r && w - s < 64; r++) {
		char c = (char)tolower((unsigned char)*r);

		if (isalnum((unsigned char)c) ||
		    ((c == '-' || c == '_') && w != s))
			*w++ = c;
		else if (w != s && w[-1] != '-')
			*w++ = '-';
	}
	*w = '\0';
	if (!*s) {
		free(s);
		s = xstrdup("machine");
	}
	return s;
}

char *tiervm_spec_generate(const struct tiervm_host *src,
			   const struct tiervm_generate_opts *o,
			   tiervm_error **errp)
{
	struct gen g = { .h = src, .o = o, .errp = errp };
	struct sbuf body = { 0 }, out = { 0 };
	struct tiervm_spec *spec;
	char *name = NULL;

	if (!pick_nodes(&g) || !scale_memory(&g) || !scale_cpus(&g))
		goto fail;
	name = o->name ? xstrdup(o->name)
		       : guest_name(o->label ? o->label : o->source);
	sbuf_addf(&body, "name: %s\n", name);
	sbuf_addf(&body, "machine: {cpus: %u, sockets: %u}\n", g.cpus,
		  g.sockets);
	if (o->kernel) {
		/* YAML's single quotes: nothing is special but the quote */
		sbuf_addf(&body, "guest:\n  kernel: '");
		for (const char *p = o->kernel; *p; p++)
			sbuf_addf(&body, *p == '\'' ? "''" : "%c", *p);
		sbuf_addf(&body, "'\n");
	}
	emit_nodes(&g, &body);
	emit_distances(&g, &body);
	emit_hmat(&g, &body);
	emit_caches(&g, &body);
	sbuf_addf(&out,
		  "# Generated by `tiervm spec` from %s: %u NUMA node%s.\n",
		  o->source, g.n, g.n == 1 ? "" : "s");

	sbuf_addf(
		&out,
		"# Memory and cpus are scaled to a guest here; each node says the source's.\n");
	if (g.notes.s)
		sbuf_addf(&out, "%s", g.notes.s);
	sbuf_addf(&out, "%s", body.s);
	spec = tiervm_spec_parse_string("generated", out.s, out.len, true,
					errp);
	if (!spec) {
		tiervm_error_prefix(
			errp,
			"the spec generated fails tiervm's own checks (a tiervm bug; please report it): ");
		sbuf_free(&out);
		goto fail;
	}
	tiervm_spec_free(spec);
	sbuf_free(&body);
	sbuf_free(&g.notes);
	free(g.nodes);
	free(name);
	return out.s;
fail:
	sbuf_free(&body);
	sbuf_free(&g.notes);
	free(g.nodes);
	free(name);
	return NULL;
}
