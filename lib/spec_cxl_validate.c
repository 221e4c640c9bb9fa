// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A CXL topology's defaults and rules.  Each rule is QEMU's (it refuses
 * to start: hw/cxl/cxl-host.c, hw/pci-bridge/pci_expander_bridge.c) or
 * the guest kernel's (it refuses to program the region:
 * drivers/cxl/core/region.c); docs/spec.md says which.  What depends on
 * the QEMU or kernel version is checked when planning (plan_cxl.c).
 */
#include <stdlib.h>
#include <string.h>

#include "spec_cxl.h"
#include "spec_internal.h"

/* Interleave ways CXL allows (CXL 3.0 8.2.4.19.7), and QEMU's windows. */
bool tiervm_cxl_ways_ok(unsigned ways)
{
	return ways == 1 || ways == 2 || ways == 4 || ways == 8 || ways == 16 ||
	       ways == 3 || ways == 6 || ways == 12;
}

/* 256 B to 16 KiB, powers of 2: QEMU's windows and the kernel's regions. */
bool tiervm_cxl_granularity_ok(uint64_t g)
{
	return is_pow2(g) && g >= 256 && g <= 16 * KiB;
}

/*
 * The first place the topology uses @id: two parts named alike are one
 * problem, told at the second.
 */
static const char *first_use(const struct tiervm_cxl_topology *t,
			     const char *id)
{
#define FIRST(arr, n)                                        \
	for (unsigned i = 0; i < (n); i++)                   \
		if ((arr)[i].id && !strcmp((arr)[i].id, id)) \
			return (arr)[i].id;
#define FIRST_IN(l)                                      \
	for (unsigned k = 0; k < (l).n; k++)             \
		if ((l).id[k] && !strcmp((l).id[k], id)) \
			return (l).id[k];
	for (unsigned i = 0; i < t->n_hbs; i++) {
		if (t->hbs[i].id && !strcmp(t->hbs[i].id, id))
			return t->hbs[i].id;
		FIRST_IN(t->hbs[i].root_ports);
	}
	for (unsigned i = 0; i < t->n_switches; i++) {
		if (t->switches[i].id && !strcmp(t->switches[i].id, id))
			return t->switches[i].id;
		FIRST_IN(t->switches[i].downstream);
	}
	FIRST(t->devs, t->n_devs);
	FIRST(t->windows, t->n_windows);
	FIRST(t->regions, t->n_regions);
#undef FIRST
#undef FIRST_IN
	return id;
}

/* An id the plan can build QEMU ids from; unique in the topology. */
static void check_part_id(const struct tiervm_cxl_topology *t, const char *id,
			  int line, const char *path, struct tiervm_diags *d)
{
	if (!id)
		return;
	if (!((id[0] >= 'a' && id[0] <= 'z') ||
	      (id[0] >= 'A' && id[0] <= 'Z')) ||
	    strspn(id,
		   "abcdefghijklmnopqrstuvwxyz"
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") != strlen(id)) {
		diag_add(
			d, line, path,
			"'%s' is not a usable id (a letter, then letters, digits, '-', '.', '_')",
			id);
		return;
	}
	if (first_use(t, id) != id)
		diag_add(
			d, line, path,
			"'%s' already names another part of the CXL topology; ids must be unique",
			id);
}

static void check_ids(const struct tiervm_cxl_topology *t,
		      const struct tiervm_idlist *l, const char *path,
		      struct tiervm_diags *d)
{
	for (unsigned i = 0; i < l->n; i++) {
		char *p = xasprintf("%s[%u]", path, i);

		check_part_id(t, l->id[i], l->line, p, d);
		free(p);
	}
}

/* What sits under root or downstream port @id: switches and devices. */
static unsigned children(const struct tiervm_cxl_topology *t, const char *id)
{
	unsigned n = 0;

	for (unsigned i = 0; i < t->n_switches; i++)
		n += t->switches[i].port && !strcmp(t->switches[i].port, id);
	for (unsigned i = 0; i < t->n_devs; i++)
		n += t->devs[i].port && !strcmp(t->devs[i].port, id);
	return n;
}

/* PCIe: a port links to one device; a bus has 32 slots. */
#define PORTS_MAX 32

static void check_hbs(const struct tiervm_cxl_topology *t,
		      struct tiervm_diags *d)
{
	for (unsigned i = 0; i < t->n_hbs; i++) {
		const struct tiervm_cxl_hb *h = &t->hbs[i];
		char *p = xasprintf("cxl.host-bridges[%u]", i), *q;

		q = xasprintf("%s.id", p);
		check_part_id(t, h->id, h->line, q, d);
		free(q);
		q = xasprintf("%s.root-ports", p);
		if (!h->root_ports.n || h->root_ports.n > PORTS_MAX)
			diag_add(
				d, h->line, q,
				"a host bridge needs 1 to %d root ports, not %u",
				PORTS_MAX, h->root_ports.n);
		check_ids(t, &h->root_ports, q, d);
		for (unsigned k = 0; k < h->root_ports.n; k++)
			if (h->root_ports.id[k] &&
			    children(t, h->root_ports.id[k]) > 1)
				diag_add(
					d, h->line, q,
					"root port '%s' links to %u devices and switches; a port takes one",
					h->root_ports.id[k],
					children(t, h->root_ports.id[k]));
		free(q);
		free(p);
	}
}

static void check_switches(const struct tiervm_cxl_topology *t,
			   struct tiervm_diags *d)
{
	for (unsigned i = 0; i < t->n_switches; i++) {
		const struct tiervm_cxl_switch *sw = &t->switches[i];
		char *p = xasprintf("cxl.switches[%u]", i), *q;
		struct tiervm_cxl_place pl;

		q = xasprintf("%s.id", p);
		check_part_id(t, sw->id, sw->line, q, d);
		free(q);
		if (sw->port &&
		    (!tiervm_cxl_port(t, sw->port, &pl) || pl.sw >= 0))
			diag_add_in(
				d, sw->line, p, "port",
				"'%s' is no host bridge's root port; a switch's upstream port links to one",
				sw->port);
		q = xasprintf("%s.downstream-ports", p);
		if (!sw->downstream.n || sw->downstream.n > PORTS_MAX)
			diag_add(
				d, sw->line, q,
				"a switch needs 1 to %d downstream ports, not %u",
				PORTS_MAX, sw->downstream.n);
		check_ids(t, &sw->downstream, q, d);
		for (unsigned k = 0; k < sw->downstream.n; k++)
			if (sw->downstream.id[k] &&
			    children(t, sw->downstream.id[k]) > 1)
				diag_add(
					d, sw->line, q,
					"downstream port '%s' links to %u devices; a port takes one",
					sw->downstream.id[k],
					children(t, sw->downstream.id[k]));
		free(q);
		free(p);
	}
}

static void check_devs(const struct tiervm_spec *s,
		       const struct tiervm_cxl_topology *t,
		       struct tiervm_diags *d)
{
	for (unsigned i = 0; i < t->n_devs; i++) {
		const struct tiervm_cxl_dev *dv = &t->devs[i];
		char *p = xasprintf("cxl.devices[%u]", i);
		struct tiervm_cxl_place pl;
		int line;

		spec_check_device_id(s, dv->id, dv->line, p, d);
		if (dv->port && !tiervm_cxl_port(t, dv->port, &pl))
			diag_add_in(
				d, dv->line, p, "port",
				"'%s' is neither a root port nor a switch's downstream port",
				dv->port);
		if (!dv->size || dv->size % TIERVM_CXL_UNIT)
			diag_add_in(
				d, dv->line, p, "size",
				"must be a non-zero multiple of 256M (CXL counts capacity in 256M units)");
		if (dv->type == TIERVM_CXL_VOLATILE) {
			char *k = xasprintf("%s.label-size", p);

			if (tiervm_lines_find(d->lines, k, &line))
				diag_add(
					d, line, k,
					"a volatile device has no label storage area; drop it or make the device persistent");
			free(k);
		} else if (!dv->label_size || dv->label_size % (4 * KiB)) {
			diag_add_in(
				d, dv->line, p, "label-size",
				"must be a non-zero multiple of 4K (1M holds thousands of labels)");
		}
		free(p);
	}
}

static void check_windows(const struct tiervm_cxl_topology *t,
			  struct tiervm_diags *d)
{
	for (unsigned i = 0; i < t->n_windows; i++) {
		const struct tiervm_cxl_window *w = &t->windows[i];
		char *p = xasprintf("cxl.windows[%u]", i), *q;
		unsigned ways = w->host_bridges.n;

		q = xasprintf("%s.id", p);
		check_part_id(t, w->id, w->line, q, d);
		free(q);
		for (unsigned k = 0; k < ways; k++) {
			const char *hb = w->host_bridges.id[k];

			if (hb && tiervm_cxl_hb_index(t, hb) < 0)
				diag_add_in(d, w->line, p, "host-bridges",
					    "'%s' is no host bridge", hb);
			for (unsigned j = 0; hb && j < k; j++)
				if (w->host_bridges.id[j] &&
				    !strcmp(w->host_bridges.id[j], hb))
					diag_add_in(
						d, w->line, p, "host-bridges",
						"'%s' is listed twice; a window interleaves distinct host bridges",
						hb);
		}
		if (!tiervm_cxl_ways_ok(ways))
			diag_add_in(
				d, w->line, p, "host-bridges",
				"%u host bridges: a window interleaves 1, 2, 3, 4, 6, 8, 12 or 16",
				ways);
		else if (ways == 1 && (!w->size || w->size % TIERVM_CXL_UNIT))
			diag_add_in(d, w->line, p, "size",
				    "must be a non-zero multiple of 256M");
		else if (!w->size || w->size % (TIERVM_CXL_UNIT * ways))
			diag_add_in(
				d, w->line, p, "size",
				"must be a non-zero multiple of 256M times its %u host bridges (%lluM)",
				ways,
				(unsigned long long)(TIERVM_CXL_UNIT * ways /
						     MiB));
		if (w->granularity &&
		    !tiervm_cxl_granularity_ok(w->granularity))
			diag_add_in(d, w->line, p, "granularity",
				    "must be 256, 512, 1K, 2K, 4K, 8K or 16K");
		free(p);
	}
}

/* Bytes of each device and window the regions before @upto take. */
static void used_before(const struct tiervm_cxl_topology *t, unsigned upto,
			uint64_t *dev_used, uint64_t *win_used)
{
	for (unsigned i = 0; i < upto; i++) {
		const struct tiervm_cxl_region *r = &t->regions[i];
		int w = tiervm_cxl_window_index(t, r->window);

		if (w >= 0)
			win_used[w] += r->size;
		for (unsigned k = 0; k < r->devices.n && r->ways; k++) {
			int dv = tiervm_cxl_dev_index(t, r->devices.id[k]);

			if (dv >= 0)
				dev_used[dv] += r->size / r->ways;
		}
	}
}

/*
 * The defaults (ways: the devices; granularity: the window's; size: what
 * the devices and the window have left, in the region's 256M-per-way
 * units), then the region's rules.
 */
static void resolve_region(struct tiervm_spec *s, unsigned i,
			   struct tiervm_diags *d)
{
	struct tiervm_cxl_topology *t = &s->cxl;
	struct tiervm_cxl_region *r = &t->regions[i];
	int w = tiervm_cxl_window_index(t, r->window);
	const struct tiervm_cxl_window *win = w >= 0 ? &t->windows[w] : NULL;
	char *p = xasprintf("cxl.regions[%u]", i), *why = NULL;
	uint64_t *dev_used = xcalloc(t->n_devs + 1, sizeof(*dev_used)),
		 *win_used = xcalloc(t->n_windows + 1, sizeof(*win_used));
	uint64_t unit, room = UINT64_MAX;
	unsigned n = r->devices.n, wways = win ? win->host_bridges.n : 1;
	unsigned *pos = xcalloc(n + 1, sizeof(*pos));
	bool given_size = r->size != 0, quiet;
	const unsigned base = d->count; /* this region's problems: beyond it */

	{
		char *q = xasprintf("%s.id", p);

		check_part_id(t, r->id, r->line, q, d);
		free(q);
	}
	if (r->window && !win)
		diag_add_in(d, r->line, p, "window", "'%s' is no window",
			    r->window);
	for (unsigned k = 0; k < n; k++) {
		const char *id = r->devices.id[k];
		int dv = tiervm_cxl_dev_index(t, id);

		if (id && dv < 0)
			diag_add_in(d, r->line, p, "devices",
				    "'%s' is no CXL device", id);
		for (unsigned j = 0; id && j < k; j++)
			if (r->devices.id[j] && !strcmp(r->devices.id[j], id))
				diag_add_in(d, r->line, p, "devices",
					    "'%s' is listed twice", id);
		if (dv >= 0 && t->devs[dv].type != tiervm_cxl_region_type(t, r))
			diag_add_in(
				d, r->line, p, "devices",
				"'%s' is %s and '%s' is not: a region's devices are all persistent or all volatile",
				r->devices.id[0],
				tiervm_cxl_type_names[tiervm_cxl_region_type(
					t, r)],
				id);
	}
	if (r->ways && r->ways != n)
		diag_add_in(d, r->line, p, "ways",
			    "%u, but the region lists %u devices: one per way",
			    r->ways, n);
	r->ways = n;
	if (!n)
		diag_add_in(d, r->line, p, "devices", "lists no device");
	else if (!tiervm_cxl_ways_ok(n))
		diag_add_in(
			d, r->line, p, "devices",
			"%u devices: a region interleaves 1, 2, 3, 4, 6, 8, 12 or 16",
			n);
	else if (win && (n % wways || !is_pow2(n / wways)))
		diag_add_in(
			d, r->line, p, "devices",
			"%u devices in window '%s' of %u host bridges: the kernel needs the window's ways times 1, 2, 4 or 8",
			n, win->id, wways);
	if (!r->granularity)
		r->granularity =
			win && win->granularity ? win->granularity : 256;
	else if (!tiervm_cxl_granularity_ok(r->granularity))
		diag_add_in(d, r->line, p, "granularity",
			    "must be 256, 512, 1K, 2K, 4K, 8K or 16K");
	else if (win && wways > 1 &&
		 r->granularity != (win->granularity ? win->granularity : 256))
		diag_add_in(
			d, r->line, p, "granularity",
			"a region across interleaved host bridges takes its window's granularity (%llu), as the kernel requires",
			(unsigned long long)(win->granularity ? win->granularity
							      : 256));
	if (win && n && d->count == base && !tiervm_cxl_order(t, r, pos, &why))
		diag_add_in(d, r->line, p, "devices", "%s", why);
	else if (win && n && d->count == base) {
		/* each level's granularity: the one above times its ways */
		uint64_t g =
			r->granularity * (is_pow2(wways) ? wways : wways / 3);

		if (g > 16 * KiB)
			diag_add_in(
				d, r->line, p, "granularity",
				"%llu across %u host bridges makes the bridges interleave at %llu bytes; the kernel's limit is 16K",
				(unsigned long long)r->granularity, wways,
				(unsigned long long)g);
	}
	free(why);
	if (!win || !n)
		goto out;
	for (unsigned k = 0; k < n; k++)
		if (tiervm_cxl_dev_index(t, r->devices.id[k]) < 0)
			goto out;

	/*
	 * Capacity, also where the rules above failed: an unchecked plan
	 * still sizes the region for the guest kernel to judge.
	 */
	quiet = d->count != base;
	used_before(t, i, dev_used, win_used);
	unit = TIERVM_CXL_UNIT * n;
	for (unsigned k = 0; k < n; k++) {
		int dv = tiervm_cxl_dev_index(t, r->devices.id[k]);
		uint64_t left = t->devs[dv].size > dev_used[dv]
					? t->devs[dv].size - dev_used[dv]
					: 0;

		if (left * n < room)
			room = left * n;
	}
	if (win->size - win_used[w] < room)
		room = win->size > win_used[w] ? win->size - win_used[w] : 0;
	room -= room % unit;
	if (!given_size)
		r->size = room;
	if (quiet)
		;
	else if (!r->size)
		diag_add_in(
			d, r->line, p, "devices",
			"no capacity left for it in its devices or window '%s'",
			win->id);
	else if (r->size % unit)
		diag_add_in(
			d, r->line, p, "size",
			"must be a multiple of 256M times its %u ways (%lluM)",
			n, (unsigned long long)(unit / MiB));
	else if (r->size > room)
		diag_add_in(
			d, r->line, p, "size",
			"%lluM is more than its devices and window '%s' have left (%lluM)",
			(unsigned long long)(r->size / MiB), win->id,
			(unsigned long long)(room / MiB));
out:
	if (r->bandwidth % MiB)
		diag_add_in(
			d, r->line, p, "bandwidth",
			"must be a non-zero multiple of 1M per second (HMAT counts MB/s)");
	/* one generic port per host bridge: one pair of figures for it */
	for (unsigned h = 0; (r->latency || r->bandwidth) && h < t->n_hbs;
	     h++) {
		const struct tiervm_cxl_region *first;

		if (tiervm_cxl_hb_figures(t, (int)h, &first) && first != r &&
		    (first->latency != r->latency ||
		     first->bandwidth != r->bandwidth) &&
		    tiervm_cxl_regions_at_hb(t, (int)h) > 1) {
			unsigned k;

			for (k = 0; k < r->devices.n; k++) {
				int dv = tiervm_cxl_dev_index(t,
							      r->devices.id[k]);
				struct tiervm_cxl_place pl;

				if (dv >= 0 &&
				    tiervm_cxl_port(t, t->devs[dv].port, &pl) &&
				    pl.hb == (int)h)
					break;
			}
			if (k < r->devices.n)
				diag_add_in(
					d, r->line, p, "latency",
					"host bridge '%s' has its figures from region '%s' already (one generic port per bridge): give both regions the same latency and bandwidth",
					t->hbs[h].id,
					first->id ? first->id : "");
		}
	}
	if (r->mode == TIERVM_CXL_FSDAX &&
	    tiervm_cxl_region_type(t, r) == TIERVM_CXL_VOLATILE)
		diag_add_in(
			d, r->line, p, "mode",
			"fsdax is for persistent memory; a volatile region is region, devdax or kmem");
	free(pos);
	free(dev_used);
	free(win_used);
	free(p);
}

void spec_cxl_resolve(struct tiervm_spec *s, struct tiervm_diags *d,
		      bool validate)
{
	struct tiervm_cxl_topology *t = &s->cxl;
	struct tiervm_diags scratch = { .lines = d->lines };
	struct tiervm_diags *use = validate ? d : &scratch;

	spec_cxl_from_list(s);
	/* the list form's own rules are spec_validate.c's, in its own keys */
	if (!t->line || t->listed)
		return;
	check_hbs(t, use);
	check_switches(t, use);
	check_devs(s, t, use);
	check_windows(t, use);
	for (unsigned i = 0; i < t->n_regions; i++)
		resolve_region(s, i, use);
	sbuf_free(&scratch.text);
}
