// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * CXL topologies by value: the interleave position order of a region's
 * devices (the kernel's, drivers/cxl/core/region.c), the defaults a region
 * takes, and the list form's topology.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spec.h"
#include "spec_cxl.h"
#include "util.h"

#define HEAD                   \
	"name: t\n"            \
	"machine: {cpus: 2}\n" \
	"nodes:\n"             \
	"  - {id: 0, cpus: 0-1, memory: 1G}\n"

static struct tiervm_spec *parse(const char *text)
{
	tiervm_error *err = NULL;
	struct tiervm_spec *s = tiervm_spec_parse_string(
		"t.yaml", text, strlen(text), true, &err);

	if (!s)
		fail_msg("%s", err->msg);
	return s;
}

/* The ids of region @r's devices in position order, space-separated. */
static char *order(const struct tiervm_spec *s, unsigned r)
{
	const struct tiervm_cxl_topology *t = &s->cxl;
	unsigned pos[16];
	struct sbuf b = { 0 };
	char *why = NULL;

	if (!tiervm_cxl_order(t, &t->regions[r], pos, &why)) {
		sbuf_addf(&b, "refused: %s", why);
		free(why);
		return b.s;
	}
	for (unsigned k = 0; k < t->regions[r].devices.n; k++)
		sbuf_addf(&b, "%s%s", k ? " " : "", t->devs[pos[k]].id);
	return b.s;
}

/* The kernel's own example: mem0 mem1 under bridge 0, mem2 mem3 under 1. */
static void test_two_bridges_two_ports(void **state)
{
	struct tiervm_spec *s = parse(
		HEAD
		"cxl:\n"
		"  host-bridges:\n"
		"    - {id: hb0, root-ports: [a, b]}\n"
		"    - {id: hb1, root-ports: [c, d]}\n"
		"  devices:\n"
		"    - {id: mem3, port: d, size: 256M}\n"
		"    - {id: mem1, port: b, size: 256M}\n"
		"    - {id: mem0, port: a, size: 256M}\n"
		"    - {id: mem2, port: c, size: 256M}\n"
		"  windows: [{id: w, size: 1G, host-bridges: [hb0, hb1]}]\n"
		"  regions: [{id: r, window: w, devices: [mem3, mem2, mem1, mem0]}]\n");
	char *o = order(s, 0);

	(void)state;
	assert_string_equal(o, "mem0 mem2 mem1 mem3");
	/* defaults: ways from the devices, the window's granularity, all */
	assert_int_equal(s->cxl.regions[0].ways, 4);
	assert_int_equal(s->cxl.regions[0].granularity, 256);
	assert_int_equal(s->cxl.regions[0].size, 1024ULL << 20);
	free(o);
	tiervm_spec_free(s);
}

/* The window's bridge order decides: hb1 first puts its device first. */
static void test_window_order(void **state)
{
	struct tiervm_spec *s = parse(
		HEAD
		"cxl:\n"
		"  host-bridges:\n"
		"    - {id: hb0, root-ports: [a]}\n"
		"    - {id: hb1, root-ports: [b]}\n"
		"  devices:\n"
		"    - {id: x, port: a, size: 512M}\n"
		"    - {id: y, port: b, size: 512M}\n"
		"  windows: [{id: w, size: 2G, host-bridges: [hb1, hb0], granularity: 1K}]\n"
		"  regions: [{id: r, window: w, devices: [x, y], size: 512M}]\n");
	char *o = order(s, 0);

	(void)state;
	assert_string_equal(o, "y x");
	assert_int_equal(s->cxl.regions[0].granularity, 1024);
	assert_int_equal(s->cxl.regions[0].size, 512ULL << 20);
	free(o);
	tiervm_spec_free(s);
}

/* Below a switch: by downstream port; two switches under two root ports. */
static void test_switches(void **state)
{
	struct tiervm_spec *s = parse(
		HEAD
		"cxl:\n"
		"  host-bridges: [{id: hb0, root-ports: [r0, r1]}]\n"
		"  switches:\n"
		"    - {id: s0, port: r0, downstream-ports: [p0, p1, p2]}\n"
		"    - {id: s1, port: r1, downstream-ports: [q0, q1]}\n"
		"  devices:\n"
		"    - {id: d, port: q1, size: 256M}\n"
		"    - {id: c, port: q0, size: 256M}\n"
		"    - {id: b, port: p2, size: 256M}\n"
		"    - {id: a, port: p0, size: 256M}\n"
		"  windows: [{id: w, size: 1G, host-bridges: [hb0]}]\n"
		"  regions: [{id: r, window: w, devices: [d, c, b, a]}]\n");
	char *o = order(s, 0);

	(void)state;
	/* root ports alternate first (r0, r1), then each switch's ports */
	assert_string_equal(o, "a c b d");
	free(o);
	tiervm_spec_free(s);
}

/* The list form: one bridge, port and window per device, 1-way regions. */
static void test_list_form(void **state)
{
	struct tiervm_spec *s =
		parse(HEAD "cxl:\n"
			   "  - {id: c0, size: 512M, mode: kmem}\n"
			   "  - {id: c1, size: 256M, type: volatile}\n");
	const struct tiervm_cxl_topology *t = &s->cxl;

	(void)state;
	assert_true(t->listed);
	assert_int_equal(t->n_hbs, 2);
	assert_int_equal(t->n_windows, 2);
	assert_int_equal(t->n_regions, 2);
	assert_string_equal(t->regions[0].id, "c0");
	assert_int_equal(t->regions[0].mode, TIERVM_CXL_KMEM);
	assert_int_equal(t->windows[1].size, 256ULL << 20);
	assert_int_equal(t->devs[1].type, TIERVM_CXL_VOLATILE);
	assert_int_equal(tiervm_cxl_region_type(t, &t->regions[1]),
			 TIERVM_CXL_VOLATILE);
	tiervm_spec_free(s);
}

/* Capacity left by earlier regions is what a later one defaults to. */
static void test_capacity_defaults(void **state)
{
	struct tiervm_spec *s = parse(
		HEAD "cxl:\n"
		     "  host-bridges: [{id: hb0, root-ports: [a]}]\n"
		     "  devices: [{id: m, port: a, size: 1G}]\n"
		     "  windows: [{id: w, size: 4G, host-bridges: [hb0]}]\n"
		     "  regions:\n"
		     "    - {id: r0, window: w, devices: [m], size: 256M}\n"
		     "    - {id: r1, window: w, devices: [m]}\n");

	(void)state;
	assert_int_equal(s->cxl.regions[1].size, 768ULL << 20);
	assert_int_equal(tiervm_cxl_regions_at_dev(&s->cxl, 0), 2);
	assert_int_equal(tiervm_cxl_regions_at_hb(&s->cxl, 0), 2);
	tiervm_spec_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_bridges_two_ports),
		cmocka_unit_test(test_window_order),
		cmocka_unit_test(test_switches),
		cmocka_unit_test(test_list_form),
		cmocka_unit_test(test_capacity_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
