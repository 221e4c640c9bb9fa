/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_SPEC_LAYOUT_H
#define TIERVM_SPEC_LAYOUT_H

#include <stdint.h>

#include "spec.h"

/*
 * The guest physical layout QEMU gives boot memory: the nodes' memory one
 * after the other in id order, the first part below 4G up to the start of
 * the PCI hole, the rest from 4G.  A node can be split by the hole.
 */
struct tiervm_range {
	uint64_t start, size;
};

struct tiervm_layout {
	uint64_t below_4g; /* RAM mapped below 4G */
	/* per node id: up to two pieces, size 0 when unused */
	struct tiervm_range (*pieces)[2];
	unsigned n;
};

/** tiervm_layout_compute - the layout of @s's boot memory on its machine. */
void tiervm_layout_compute(const struct tiervm_spec *s,
			   struct tiervm_layout *l);
void tiervm_layout_clear(struct tiervm_layout *l);

#endif
