// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdlib.h>

#include "spec_layout.h"
#include "units.h"
#include "util.h"

/*
 * QEMU 7.2, hw/i386/pc_q35.c and pc_piix.c: q35 keeps RAM below 4G up to
 * 2.75G, but only 2G once the guest has 2.75G or more; pc (i440fx) keeps up
 * to 3.5G, 3G once the guest has 3.5G or more (gigabyte alignment).
 */
static uint64_t below_4g(const struct tiervm_spec *s, uint64_t ram)
{
	uint64_t lowmem;

	if (s->machine.pc)
		lowmem = ram >= 0xe0000000ULL ? 0xc0000000ULL : 0xe0000000ULL;
	else
		lowmem = ram >= 0xb0000000ULL ? 0x80000000ULL : 0xb0000000ULL;
	return ram < lowmem ? ram : lowmem;
}

void tiervm_layout_compute(const struct tiervm_spec *s, struct tiervm_layout *l)
{
	uint64_t ram = 0, off = 0;

	for (unsigned i = 0; i < s->n_nodes; i++)
		ram += s->nodes[i].memory;
	l->n = s->n_nodes;
	l->below_4g = below_4g(s, ram);
	l->pieces = xcalloc(l->n ? l->n : 1, sizeof(*l->pieces));
	for (unsigned id = 0; id < s->n_nodes; id++) {
		const struct tiervm_node *n = tiervm_spec_node(s, id);
		uint64_t size = n ? n->memory : 0, low = 0;

		if (!size)
			continue;
		if (off < l->below_4g) {
			low = l->below_4g - off < size ? l->below_4g - off
						       : size;
			l->pieces[id][0] = (struct tiervm_range){ off, low };
		}
		if (size > low)
			l->pieces[id][low ? 1 : 0] = (struct tiervm_range){
				4 * GiB + (off + low - l->below_4g), size - low
			};
		off += size;
	}
}

void tiervm_layout_clear(struct tiervm_layout *l)
{
	free(l->pieces);
	l->pieces = NULL;
	l->n = 0;
}
