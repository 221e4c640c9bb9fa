/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_SPEC_CXL_H
#define TIERVM_SPEC_CXL_H

#include <stdbool.h>

#include "spec.h"

/*
 * A CXL topology's parts by id, and the order the kernel programs a
 * region's devices in.  Indexes are into the topology's arrays; -1: none.
 */

/* Where a port or device sits: host bridge, root port, switch, downstream. */
struct tiervm_cxl_place {
	int hb, rp; /* rp: the index in the host bridge's root ports */
	int sw, dp; /* -1, -1 right under a root port */
};

int tiervm_cxl_hb_index(const struct tiervm_cxl_topology *t, const char *id);
int tiervm_cxl_dev_index(const struct tiervm_cxl_topology *t, const char *id);
int tiervm_cxl_window_index(const struct tiervm_cxl_topology *t,
			    const char *id);
/* The switch under root port @rp of host bridge @hb. */
int tiervm_cxl_switch_at(const struct tiervm_cxl_topology *t, int hb, int rp);
/* Where the root or downstream port @id is; false when there is none. */
bool tiervm_cxl_port(const struct tiervm_cxl_topology *t, const char *id,
		     struct tiervm_cxl_place *out);

/*
 * tiervm_cxl_order - @r's devices in interleave position order, as the
 * kernel computes positions (drivers/cxl/core/region.c: position =
 * position * parent ways + parent position, from the endpoint up): the
 * window's host bridges alternate fastest, then each bridge's root ports,
 * then a switch's downstream ports.  @pos receives r->devices.n device
 * indexes.  False, with *@why (to free) saying what cannot be programmed,
 * when the devices are not reachable or not spread evenly enough for it.
 */
bool tiervm_cxl_order(const struct tiervm_cxl_topology *t,
		      const struct tiervm_cxl_region *r, unsigned *pos,
		      char **why);

/* A region's type: its devices' (the first one's, when they disagree). */
enum tiervm_cxl_type tiervm_cxl_region_type(const struct tiervm_cxl_topology *t,
					    const struct tiervm_cxl_region *r);

/*
 * The latency and bandwidth the first region through host bridge @hb that
 * gives them sets for its generic port, with that region's index; false
 * when no region through it gives any.
 */
bool tiervm_cxl_hb_figures(const struct tiervm_cxl_topology *t, int hb,
			   const struct tiervm_cxl_region **from);

/* How many regions pass through each part: the HDM decoders they use. */
unsigned tiervm_cxl_regions_at_hb(const struct tiervm_cxl_topology *t, int hb);
unsigned tiervm_cxl_regions_at_switch(const struct tiervm_cxl_topology *t,
				      int sw);
unsigned tiervm_cxl_regions_at_dev(const struct tiervm_cxl_topology *t,
				   int dev);

#endif
