// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A CXL topology's parts by id, and a region's interleave order: what
 * planning, the guest's provisioning and verification all need alike.
 */
#include <stdlib.h>
#include <string.h>

#include "spec_cxl.h"
#include "util.h"

#define FIND(arr, n, id)                                               \
	do {                                                           \
		for (unsigned i_ = 0; id && i_ < (n); i_++)            \
			if ((arr)[i_].id && !strcmp((arr)[i_].id, id)) \
				return (int)i_;                        \
		return -1;                                             \
	} while (0)

int tiervm_cxl_hb_index(const struct tiervm_cxl_topology *t, const char *id)
{
	FIND(t->hbs, t->n_hbs, id);
}

int tiervm_cxl_dev_index(const struct tiervm_cxl_topology *t, const char *id)
{
	FIND(t->devs, t->n_devs, id);
}

int tiervm_cxl_window_index(const struct tiervm_cxl_topology *t, const char *id)
{
	FIND(t->windows, t->n_windows, id);
}

static int list_index(const struct tiervm_idlist *l, const char *id)
{
	for (unsigned i = 0; id && i < l->n; i++)
		if (l->id[i] && !strcmp(l->id[i], id))
			return (int)i;
	return -1;
}

int tiervm_cxl_switch_at(const struct tiervm_cxl_topology *t, int hb, int rp)
{
	for (unsigned i = 0; i < t->n_switches; i++) {
		struct tiervm_cxl_place p;

		if (tiervm_cxl_port(t, t->switches[i].port, &p) && p.sw < 0 &&
		    p.hb == hb && p.rp == rp)
			return (int)i;
	}
	return -1;
}

bool tiervm_cxl_port(const struct tiervm_cxl_topology *t, const char *id,
		     struct tiervm_cxl_place *out)
{
	for (unsigned h = 0; h < t->n_hbs; h++) {
		int rp = list_index(&t->hbs[h].root_ports, id);

		if (rp >= 0) {
			*out = (struct tiervm_cxl_place){ (int)h, rp, -1, -1 };
			return true;
		}
	}
	for (unsigned s = 0; s < t->n_switches; s++) {
		int dp = list_index(&t->switches[s].downstream, id);

		/* a switch sits under a root port (validated) */
		if (dp >= 0 && tiervm_cxl_port(t, t->switches[s].port, out) &&
		    out->sw < 0) {
			out->sw = (int)s;
			out->dp = dp;
			return true;
		}
	}
	return false;
}

static bool pow2_upto8(unsigned n)
{
	return n == 1 || n == 2 || n == 4 || n == 8;
}

/* sort key of a device under one host bridge: root port, then switch port */
static int place_cmp(const struct tiervm_cxl_place *a,
		     const struct tiervm_cxl_place *b)
{
	return a->rp != b->rp ? a->rp - b->rp : a->dp - b->dp;
}

bool tiervm_cxl_order(const struct tiervm_cxl_topology *t,
		      const struct tiervm_cxl_region *r, unsigned *pos,
		      char **why)
{
	int w = tiervm_cxl_window_index(t, r->window);
	const struct tiervm_cxl_window *win;
	unsigned n = r->devices.n, nw, per_hb;
	struct tiervm_cxl_place *pl;
	int *dev, *wi;
	bool ok = false;

	*why = NULL;
	if (w < 0 || !n) {
		*why = xstrdup("no window or no devices");
		return false;
	}
	if (n > 16) {
		*why = xasprintf("%u devices: a region interleaves 16 at most",
				 n);
		return false;
	}
	win = &t->windows[w];
	nw = win->host_bridges.n;
	pl = xcalloc(n, sizeof(*pl));
	dev = xcalloc(n, sizeof(*dev));
	wi = xcalloc(n, sizeof(*wi));
	for (unsigned i = 0; i < n; i++) {
		const char *id = r->devices.id[i];

		dev[i] = tiervm_cxl_dev_index(t, id);
		if (dev[i] < 0 ||
		    !tiervm_cxl_port(t, t->devs[dev[i]].port, &pl[i])) {
			*why = xasprintf("'%s' is no device on a declared port",
					 id ? id : "");
			goto out;
		}
		wi[i] = list_index(&win->host_bridges, t->hbs[pl[i].hb].id);
		if (wi[i] < 0) {
			*why = xasprintf(
				"'%s' is under host bridge '%s', which window '%s' does not interleave",
				id, t->hbs[pl[i].hb].id, win->id);
			goto out;
		}
	}
	if (!nw || n % nw) {
		*why = xasprintf(
			"window '%s' interleaves %u host bridges: %u devices cannot be spread evenly over them",
			win->id, nw, n);
		goto out;
	}
	per_hb = n / nw;
	for (unsigned b = 0; b < nw; b++) {
		unsigned idx[16], m = 0, rps = 0, per_rp;

		for (unsigned i = 0; i < n && m < 16; i++)
			if (wi[i] == (int)b)
				idx[m++] = i;
		if (m != per_hb) {
			*why = xasprintf(
				"the window's %u host bridges need %u device%s each; '%s' has %u",
				nw, per_hb, per_hb == 1 ? "" : "s",
				win->host_bridges.id[b], m);
			goto out;
		}
		/* under this bridge: by root port, then by downstream port */
		for (unsigned i = 1; i < m; i++)
			for (unsigned j = i;
			     j > 0 &&
			     place_cmp(&pl[idx[j - 1]], &pl[idx[j]]) > 0;
			     j--) {
				unsigned x = idx[j];

				idx[j] = idx[j - 1];
				idx[j - 1] = x;
			}
		for (unsigned i = 0; i < m; i++)
			rps += !i || pl[idx[i]].rp != pl[idx[i - 1]].rp;
		per_rp = m / rps;
		if (m % rps || !pow2_upto8(rps) || !pow2_upto8(per_rp)) {
			*why = xasprintf(
				"under host bridge '%s' the devices must be spread evenly over 1, 2, 4 or 8 root ports, and as evenly over 1, 2, 4 or 8 switch ports below each",
				win->host_bridges.id[b]);
			goto out;
		}
		for (unsigned i = 0; i < m; i++) {
			unsigned u = i / per_rp, k = i % per_rp;

			if (k && pl[idx[i]].rp != pl[idx[i - 1]].rp) {
				*why = xasprintf(
					"under host bridge '%s' every root port used needs %u devices",
					win->host_bridges.id[b], per_rp);
				goto out;
			}
			pos[b + nw * (u + rps * k)] = (unsigned)dev[idx[i]];
		}
	}
	ok = true;
out:
	free(pl);
	free(dev);
	free(wi);
	return ok;
}

enum tiervm_cxl_type tiervm_cxl_region_type(const struct tiervm_cxl_topology *t,
					    const struct tiervm_cxl_region *r)
{
	int d = r->devices.n ? tiervm_cxl_dev_index(t, r->devices.id[0]) : -1;

	return d < 0 ? TIERVM_CXL_PERSISTENT : t->devs[d].type;
}

/* Whether region @r has a device placed where @match says. */
static bool region_has(const struct tiervm_cxl_topology *t,
		       const struct tiervm_cxl_region *r, int hb, int sw,
		       int dev)
{
	for (unsigned i = 0; i < r->devices.n; i++) {
		int d = tiervm_cxl_dev_index(t, r->devices.id[i]);
		struct tiervm_cxl_place p;

		if (d < 0 || !tiervm_cxl_port(t, t->devs[d].port, &p))
			continue;
		if ((hb >= 0 && p.hb == hb) || (sw >= 0 && p.sw == sw) ||
		    (dev >= 0 && d == dev))
			return true;
	}
	return false;
}

unsigned tiervm_cxl_regions_at_hb(const struct tiervm_cxl_topology *t, int hb)
{
	unsigned n = 0;

	for (unsigned i = 0; i < t->n_regions; i++)
		n += region_has(t, &t->regions[i], hb, -1, -1);
	return n;
}

unsigned tiervm_cxl_regions_at_switch(const struct tiervm_cxl_topology *t,
				      int sw)
{
	unsigned n = 0;

	for (unsigned i = 0; i < t->n_regions; i++)
		n += region_has(t, &t->regions[i], -1, sw, -1);
	return n;
}

unsigned tiervm_cxl_regions_at_dev(const struct tiervm_cxl_topology *t, int dev)
{
	unsigned n = 0;

	for (unsigned i = 0; i < t->n_regions; i++)
		n += region_has(t, &t->regions[i], -1, -1, dev);
	return n;
}

bool tiervm_cxl_hb_figures(const struct tiervm_cxl_topology *t, int hb,
			   const struct tiervm_cxl_region **from)
{
	for (unsigned i = 0; i < t->n_regions; i++) {
		const struct tiervm_cxl_region *r = &t->regions[i];

		if ((r->latency || r->bandwidth) &&
		    region_has(t, r, hb, -1, -1)) {
			*from = r;
			return true;
		}
	}
	return false;
}
