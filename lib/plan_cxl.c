// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A CXL topology as QEMU arguments: a pxb-cxl host bridge per bridge with
 * its cxl-rp root ports, cxl-upstream/cxl-downstream per switch, a
 * cxl-type3 per device, a fixed memory window (machine cxl-fmw.N) per
 * window; the regions as the guest's orders (tiervm.cxl=); and the tree
 * the guest must then show, for verification.
 */
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "image_kconfig.h"
#include "plan_internal.h"
#include "qemu_caps.h"
#include "spec_cxl.h"
#include "spec_resolve.h"
#include "units.h"

/*
 * Device serial numbers ("tier" and the device's index): the guest's
 * memdevs are named in probe order, so provisioning and verification find
 * a device by its serial (PCIe DSN, memN/serial).
 */
#define SERIAL_BASE 0x7469657200000000ULL

/* A region's device that is not declared (unchecked specs only). */
#define NO_DEVICE UINT_MAX

/* Unchecked specs may lack ids: QEMU then judges what is left. */
static const char *or_empty(const char *id)
{
	return id ? id : "";
}

/* @id as a JSON string ("" for none). */
static json_object *jid(const char *id)
{
	return json_object_new_string(or_empty(id));
}

/* Bus numbers: pcie.0's devices sit below 12 (QEMU's docs start there). */
#define FIRST_BUS 12

/* Buses below host bridge @h: the bridge's, each root port's, each switch's. */
static unsigned buses_below(const struct tiervm_cxl_topology *t, unsigned h)
{
	unsigned n = 1;

	for (unsigned r = 0; r < t->hbs[h].root_ports.n; r++) {
		int sw = tiervm_cxl_switch_at(t, (int)h, (int)r);

		n += 1;
		if (sw >= 0)
			n += 1 + t->switches[sw].downstream.n;
	}
	return n;
}

/*
 * Each bridge's bus_nr, 8-aligned: the firmware numbers the buses below a
 * bridge from its bus_nr up to the next bridge's.  0 when they do not fit.
 */
static unsigned hb_bus(const struct tiervm_cxl_topology *t, unsigned h)
{
	unsigned bus = FIRST_BUS;

	for (unsigned i = 0; i < h; i++)
		bus += ALIGN_UP(buses_below(t, i), 8);
	return bus + buses_below(t, h) - 1 <= 255 ? bus : 0;
}

void plan_cxl_machine(struct plan_ctx *c, struct sbuf *m)
{
	const struct tiervm_cxl_topology *t = &c->s->cxl;

	if (!t->line)
		return;
	sbuf_addf(m, ",cxl=on");
	for (unsigned i = 0; i < t->n_windows; i++) {
		const struct tiervm_cxl_window *w = &t->windows[i];
		char *size = tiervm_format_size(w->size);

		for (unsigned k = 0; k < w->host_bridges.n; k++)
			sbuf_addf(m, ",cxl-fmw.%u.targets.%u=tiervm-hb-%s", i,
				  k, w->host_bridges.id[k]);
		sbuf_addf(m, ",cxl-fmw.%u.size=%s", i, size);
		if (w->granularity)
			sbuf_addf(m, ",cxl-fmw.%u.interleave-granularity=%llu",
				  i, (unsigned long long)w->granularity);
		free(size);
	}
}

static const char *port_qemu_prefix(const struct tiervm_cxl_topology *t,
				    const char *port)
{
	struct tiervm_cxl_place p;

	return tiervm_cxl_port(t, port, &p) && p.sw >= 0 ? "tiervm-dp"
							 : "tiervm-rp";
}

static void device_args(struct plan_ctx *c, unsigned i)
{
	const struct tiervm_cxl_dev *x = &c->s->cxl.devs[i];
	char *size = tiervm_format_size(x->size);
	bool vol = x->type == TIERVM_CXL_VOLATILE;

	plan_arg(c, "-object");
	plan_arg(c, "memory-backend-ram,id=tiervm-cxlmem-%s,size=%s,share=on",
		 or_empty(x->id), size);
	free(size);
	if (!vol) {
		/* the label storage area, read by the guest at every boot */
		size = tiervm_format_size(x->label_size);
		plan_arg(c, "-object");
		plan_arg(
			c,
			"memory-backend-ram,id=tiervm-cxllsa-%s,size=%s,share=on",
			or_empty(x->id), size);
		free(size);
	}
	plan_arg(c, "-device");
	if (vol)
		plan_arg(
			c,
			"cxl-type3,bus=%s-%s,volatile-memdev=tiervm-cxlmem-%s,id=%s,sn=%llu",
			port_qemu_prefix(&c->s->cxl, or_empty(x->port)),
			or_empty(x->port), or_empty(x->id), or_empty(x->id),
			SERIAL_BASE + i);
	else
		plan_arg(
			c,
			"cxl-type3,bus=%s-%s,%s=tiervm-cxlmem-%s,lsa=tiervm-cxllsa-%s,id=%s,sn=%llu",
			port_qemu_prefix(&c->s->cxl, or_empty(x->port)),
			or_empty(x->port),
			c->p->caps->cxl_persistent_memdev ? "persistent-memdev"
							  : "memdev",
			or_empty(x->id), or_empty(x->id), or_empty(x->id),
			SERIAL_BASE + i);
}

static json_object *ids(const struct tiervm_idlist *l)
{
	json_object *a = json_object_new_array();

	for (unsigned i = 0; i < l->n; i++)
		json_object_array_add(a, jid(l->id[i]));
	return a;
}

/* What the guest's CXL tree must be: plan.json's "cxl_topology". */
static json_object *expected_tree(const struct tiervm_cxl_topology *t)
{
	json_object *o = json_object_new_object(), *a;

	a = json_object_new_array();
	for (unsigned h = 0; h < t->n_hbs; h++) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "id", jid(t->hbs[h].id));
		/* the ACPI0016 device's _UID, which QEMU makes its bus_nr */
		json_object_object_add(e, "uid",
				       json_object_new_int((int)hb_bus(t, h)));
		json_object_object_add(e, "root_ports",
				       ids(&t->hbs[h].root_ports));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "host_bridges", a);
	a = json_object_new_array();
	for (unsigned i = 0; i < t->n_switches; i++) {
		json_object *e = json_object_new_object();
		struct tiervm_cxl_place p = { 0 };

		if (!tiervm_cxl_port(t, t->switches[i].port, &p))
			p.hb = -1;
		json_object_object_add(e, "id", jid(t->switches[i].id));
		json_object_object_add(e, "host_bridge",
				       p.hb >= 0 ? jid(t->hbs[p.hb].id) : NULL);
		json_object_object_add(e, "downstream_ports",
				       ids(&t->switches[i].downstream));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "switches", a);
	a = json_object_new_array();
	for (unsigned i = 0; i < t->n_devs; i++) {
		const struct tiervm_cxl_dev *x = &t->devs[i];
		json_object *e = json_object_new_object();
		struct tiervm_cxl_place p = { 0 };
		char sn[32];

		if (!tiervm_cxl_port(t, x->port, &p))
			p = (struct tiervm_cxl_place){ -1, -1, -1, -1 };
		snprintf(sn, sizeof(sn), "0x%llx", SERIAL_BASE + i);
		json_object_object_add(e, "id", jid(x->id));
		json_object_object_add(e, "serial", json_object_new_string(sn));
		json_object_object_add(e, "size",
				       json_object_new_int64((int64_t)x->size));
		json_object_object_add(
			e, "type",
			json_object_new_string(tiervm_cxl_type_names[x->type]));
		json_object_object_add(e, "host_bridge",
				       p.hb >= 0 ? jid(t->hbs[p.hb].id) : NULL);
		json_object_object_add(
			e, "root_port",
			p.hb >= 0 ? jid(t->hbs[p.hb].root_ports.id[p.rp])
				  : NULL);
		json_object_object_add(e, "switch",
				       p.sw >= 0 ? jid(t->switches[p.sw].id)
						 : NULL);
		json_object_object_add(
			e, "downstream_port",
			p.sw >= 0 ? jid(t->switches[p.sw].downstream.id[p.dp])
				  : NULL);
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "devices", a);
	a = json_object_new_array();
	for (unsigned i = 0; i < t->n_windows; i++) {
		const struct tiervm_cxl_window *w = &t->windows[i];
		json_object *e = json_object_new_object();

		json_object_object_add(e, "id", jid(w->id));
		json_object_object_add(e, "size",
				       json_object_new_int64((int64_t)w->size));
		json_object_object_add(e, "host_bridges",
				       ids(&w->host_bridges));
		json_object_object_add(
			e, "granularity",
			json_object_new_int64((int64_t)(w->granularity
								? w->granularity
								: 256)));
		json_object_array_add(a, e);
	}
	json_object_object_add(o, "windows", a);
	return o;
}

static json_object *expected_region(const struct tiervm_cxl_topology *t,
				    unsigned i, const unsigned *pos)
{
	const struct tiervm_cxl_region *r = &t->regions[i];
	json_object *e = json_object_new_object(), *devs, *sns;

	json_object_object_add(e, "id", jid(r->id));
	json_object_object_add(e, "window", jid(r->window));
	json_object_object_add(
		e, "decoder",
		json_object_new_int(tiervm_cxl_window_index(t, r->window)));
	json_object_object_add(e, "size",
			       json_object_new_int64((int64_t)r->size));
	json_object_object_add(e, "ways", json_object_new_int((int)r->ways));
	json_object_object_add(e, "granularity",
			       json_object_new_int64((int64_t)r->granularity));
	json_object_object_add(
		e, "type",
		json_object_new_string(
			tiervm_cxl_type_names[tiervm_cxl_region_type(t, r)]));
	json_object_object_add(
		e, "mode",
		json_object_new_string(tiervm_cxl_mode_names[r->mode]));
	devs = json_object_new_array();
	sns = json_object_new_array();
	for (unsigned k = 0; k < r->devices.n; k++) {
		char sn[32];

		if (pos[k] == NO_DEVICE) {
			json_object_array_add(devs, json_object_new_string(""));
			json_object_array_add(sns, json_object_new_string(""));
			continue;
		}
		snprintf(sn, sizeof(sn), "0x%llx", SERIAL_BASE + pos[k]);
		json_object_array_add(devs, jid(t->devs[pos[k]].id));
		json_object_array_add(sns, json_object_new_string(sn));
	}
	json_object_object_add(e, "devices", devs);
	json_object_object_add(e, "serials", sns);
	if (r->has_node)
		json_object_object_add(e, "node",
				       json_object_new_int((int)r->node));
	if (r->latency)
		json_object_object_add(
			e, "latency",
			json_object_new_int64((int64_t)r->latency));
	if (r->bandwidth) {
		int w = tiervm_cxl_window_index(t, r->window);

		json_object_object_add(
			e, "bandwidth",
			json_object_new_int64((int64_t)r->bandwidth));
		/* each bridge's path adds its own: the region's is their sum */
		json_object_object_add(
			e, "bridges",
			json_object_new_int(
				w < 0 ? 1 : (int)t->windows[w].host_bridges.n));
	}
	return e;
}

/*
 * The region's orders for the guest, one item per region:
 * ID:DECODER:WAYS:GRANULARITY:pmem|ram:MODE:SIZE:SERIAL+SERIAL...
 * (serials in interleave position order, without "0x").
 */
static void region_arg(struct sbuf *b, const struct tiervm_cxl_topology *t,
		       unsigned i, const unsigned *pos)
{
	const struct tiervm_cxl_region *r = &t->regions[i];

	sbuf_addf(b, "%s%s:%d:%u:%llu:%s:%s:%llu:", i ? "," : "tiervm.cxl=",
		  or_empty(r->id), tiervm_cxl_window_index(t, r->window),
		  r->ways, (unsigned long long)r->granularity,
		  tiervm_cxl_region_type(t, r) == TIERVM_CXL_VOLATILE ? "ram"
								      : "pmem",
		  tiervm_cxl_mode_names[r->mode], (unsigned long long)r->size);
	for (unsigned k = 0; k < r->devices.n; k++)
		if (pos[k] == NO_DEVICE)
			sbuf_addf(b, "%snone", k ? "+" : "");
		else
			sbuf_addf(b, "%s%llx", k ? "+" : "",
				  SERIAL_BASE + pos[k]);
}

/* @r's devices in position order; unchecked specs keep the order written. */
static unsigned *positions(const struct tiervm_cxl_topology *t,
			   const struct tiervm_cxl_region *r)
{
	unsigned *pos = xcalloc(r->devices.n + 1, sizeof(*pos));
	char *why = NULL;

	if (!tiervm_cxl_order(t, r, pos, &why))
		for (unsigned k = 0; k < r->devices.n; k++) {
			int d = tiervm_cxl_dev_index(t, r->devices.id[k]);

			pos[k] = d < 0 ? NO_DEVICE : (unsigned)d;
		}
	free(why);
	return pos;
}

void plan_cxl_kernel_arg(struct plan_ctx *c)
{
	const struct tiervm_cxl_topology *t = &c->s->cxl;
	struct sbuf b = { 0 };

	for (unsigned i = 0; i < t->n_regions; i++) {
		unsigned *pos = positions(t, &t->regions[i]);

		region_arg(&b, t, i, pos);
		free(pos);
	}
	if (b.s)
		strv_push(&c->p->kernel_args, b.s);
}

/*
 * The generic port of each host bridge a region gives figures for: a
 * proximity domain of its own (numbered after the spec's nodes, in bridge
 * order) that the HMAT gives the figures to.  @k receives the domain.
 */
static bool port_domain(struct plan_ctx *c, unsigned hb, unsigned *k)
{
	const struct tiervm_cxl_topology *t = &c->s->cxl;
	const struct tiervm_cxl_region *r;
	unsigned n = c->p->r->n;

	for (unsigned h = 0; h <= hb && h < t->n_hbs; h++)
		if (tiervm_cxl_hb_figures(t, (int)h, &r)) {
			if (h == hb) {
				*k = n;
				return true;
			}
			n++;
		}
	return false;
}

void plan_cxl_port_nodes(struct plan_ctx *c)
{
	unsigned k;

	for (unsigned h = 0; h < c->s->cxl.n_hbs; h++)
		if (port_domain(c, h, &k)) {
			plan_arg(c, "-numa");
			plan_arg(c, "node,nodeid=%u", k);
		}
}

void plan_cxl_port_distances(struct plan_ctx *c)
{
	const struct tiervm_resolved *r = c->p->r;
	unsigned k, k2;

	/* QEMU wants every pair once any is given; Linux makes no node of
	 * a generic port, so these reach no guest table but QEMU's */
	if (r->n < 2)
		return;
	for (unsigned h = 0; h < c->s->cxl.n_hbs; h++) {
		if (!port_domain(c, h, &k))
			continue;
		for (unsigned i = 0; i < r->n; i++) {
			plan_arg(c, "-numa");
			plan_arg(c, "dist,src=%u,dst=%u,val=20", i, k);
			plan_arg(c, "-numa");
			plan_arg(c, "dist,src=%u,dst=%u,val=20", k, i);
		}
		for (unsigned h2 = 0; h2 < h; h2++)
			if (port_domain(c, h2, &k2)) {
				plan_arg(c, "-numa");
				plan_arg(c, "dist,src=%u,dst=%u,val=20", k, k2);
				plan_arg(c, "-numa");
				plan_arg(c, "dist,src=%u,dst=%u,val=20", k2, k);
			}
	}
}

void plan_cxl_port_hmat(struct plan_ctx *c, unsigned initiator)
{
	const struct tiervm_cxl_topology *t = &c->s->cxl;
	const struct tiervm_cxl_region *r;
	unsigned k;

	for (unsigned h = 0; h < t->n_hbs; h++) {
		uint64_t lat, bw;
		char *b;

		if (!port_domain(c, h, &k) ||
		    !tiervm_cxl_hb_figures(t, (int)h, &r))
			continue;
		/* a figure the region leaves out: CXL's default (hmat-defaults.md) */
		tiervm_kind_defaults(TIERVM_KIND_CXL, &lat, &bw);
		b = tiervm_format_size(r->bandwidth ? r->bandwidth : bw);
		plan_arg(c, "-numa");
		plan_arg(
			c,
			"hmat-lb,initiator=%u,target=%u,hierarchy=memory,data-type=access-latency,latency=%llu",
			initiator, k,
			(unsigned long long)(r->latency ? r->latency : lat));
		plan_arg(c, "-numa");
		plan_arg(
			c,
			"hmat-lb,initiator=%u,target=%u,hierarchy=memory,data-type=access-bandwidth,bandwidth=%s",
			initiator, k, b);
		free(b);
	}
}

void plan_cxls(struct plan_ctx *c)
{
	const struct tiervm_cxl_topology *t = &c->s->cxl;
	unsigned slot = 2;
	json_object *regions;

	if (!t->line)
		return;
	/*
	 * Linux commits a CXL region only where it can invalidate CPU caches
	 * for it, which it assumes it cannot under a hypervisor
	 * (cpu_cache_has_invalidate_memregion(): 6.12 refuses the commit
	 * with ENXIO).  QEMU's default CPU model, unflagged.
	 */
	plan_arg(c, "-cpu");
	plan_arg(c, "qemu64,hypervisor=off");
	plan_note(
		c,
		"CXL: the guest CPU does not flag a hypervisor (hypervisor=off), or newer kernels refuse to commit CXL regions");
	for (unsigned h = 0; h < t->n_hbs; h++) {
		const struct tiervm_cxl_hb *hb = &t->hbs[h];

		plan_arg(c, "-device");
		plan_arg(c, "pxb-cxl,bus_nr=%u,bus=pcie.0,id=tiervm-hb-%s",
			 hb_bus(t, h), or_empty(hb->id));
		for (unsigned r = 0; r < hb->root_ports.n; r++) {
			plan_arg(c, "-device");
			plan_arg(
				c,
				"cxl-rp,port=%u,bus=tiervm-hb-%s,id=tiervm-rp-%s,chassis=0,slot=%u",
				r, or_empty(hb->id),
				or_empty(hb->root_ports.id[r]), slot++);
		}
	}
	for (unsigned i = 0; i < t->n_switches; i++) {
		const struct tiervm_cxl_switch *sw = &t->switches[i];

		plan_arg(c, "-device");
		plan_arg(c, "cxl-upstream,bus=tiervm-rp-%s,id=tiervm-us-%s",
			 or_empty(sw->port), or_empty(sw->id));
		for (unsigned k = 0; k < sw->downstream.n; k++) {
			plan_arg(c, "-device");
			plan_arg(
				c,
				"cxl-downstream,port=%u,bus=tiervm-us-%s,id=tiervm-dp-%s,chassis=0,slot=%u",
				k, or_empty(sw->id),
				or_empty(sw->downstream.id[k]), slot++);
		}
	}
	for (unsigned i = 0; i < t->n_devs; i++)
		device_args(c, i);
	for (unsigned h = 0; h < t->n_hbs; h++) {
		unsigned k;

		if (!port_domain(c, h, &k))
			continue;
		plan_arg(c, "-object");
		plan_arg(
			c,
			"acpi-generic-port,id=tiervm-gp-%s,pci-bus=tiervm-hb-%s,node=%u",
			or_empty(t->hbs[h].id), or_empty(t->hbs[h].id), k);
	}

	json_object_object_add(c->exp, "cxl_topology", expected_tree(t));
	regions = json_object_new_array();
	for (unsigned i = 0; i < t->n_regions; i++) {
		unsigned *pos = positions(t, &t->regions[i]);

		json_object_array_add(regions, expected_region(t, i, pos));
		free(pos);
	}
	json_object_object_add(c->exp, "cxl", regions);
}

void plan_cxl_check(struct plan_ctx *c)
{
	const struct tiervm_qemu_caps *q = c->p->caps;
	const struct tiervm_cxl_topology *t = &c->s->cxl;
	/* QEMU gave every port and device one HDM decoder before 8.2, then 4 */
	unsigned decoders = tiervm_qemu_at_least(q, 8, 2) ? 4 : 1, km, kn;

	if (!t->line)
		return;
	if (!tiervm_qemu_at_least(q, 7, 1))
		diag_add(
			c->d, t->line, "cxl",
			"CXL fixed memory windows need QEMU 7.1 or later; the installed QEMU is %u.%u.%u",
			q->major, q->minor, q->micro);
	for (unsigned h = 0; h < t->n_hbs; h++) {
		char *p = xasprintf("cxl.host-bridges[%u]", h);

		if (!hb_bus(t, h))
			diag_add(
				c->d, t->hbs[h].line, p,
				"its buses do not fit below bus 256 after the bridges before it (%u buses each, 8-aligned, from bus %d): fewer ports or switches",
				buses_below(t, h), FIRST_BUS);
		if (tiervm_cxl_regions_at_hb(t, (int)h) > decoders)
			diag_add(
				c->d, t->hbs[h].line, p,
				"%u regions pass through it; QEMU %u.%u has %u HDM decoder%s per host bridge (4 from QEMU 8.2)",
				tiervm_cxl_regions_at_hb(t, (int)h), q->major,
				q->minor, decoders, decoders > 1 ? "s" : "");
		free(p);
	}
	for (unsigned i = 0; i < t->n_switches; i++) {
		char *p = xasprintf("cxl.switches[%u]", i);

		if (tiervm_cxl_regions_at_switch(t, (int)i) > decoders)
			diag_add_in(
				c->d, t->switches[i].line, p, "id",
				"%u regions pass through switch '%s'; QEMU %u.%u has %u HDM decoder%s per switch (4 from QEMU 8.2)",
				tiervm_cxl_regions_at_switch(t, (int)i),
				t->switches[i].id, q->major, q->minor, decoders,
				decoders > 1 ? "s" : "");
		free(p);
	}
	for (unsigned i = 0; i < t->n_devs; i++) {
		const struct tiervm_cxl_dev *x = &t->devs[i];
		const char *path = t->listed ? "cxl" : "cxl.devices";
		char *p = xasprintf("%s[%u]", path, i);

		if (tiervm_cxl_regions_at_dev(t, (int)i) > decoders)
			diag_add_in(
				c->d, x->line, p, "id",
				"'%s' is in %u regions; QEMU %u.%u has %u HDM decoder%s per device (4 from QEMU 8.2)",
				x->id, tiervm_cxl_regions_at_dev(t, (int)i),
				q->major, q->minor, decoders,
				decoders > 1 ? "s" : "");
		if (x->type == TIERVM_CXL_VOLATILE && !q->cxl_volatile)
			diag_add_in(
				c->d, x->line, p, "type",
				"volatile CXL memory needs QEMU 8.0 or later (cxl-type3 volatile-memdev); the installed QEMU is %u.%u.%u",
				q->major, q->minor, q->micro);
		free(p);
	}
	for (unsigned i = 0; i < t->n_regions; i++) {
		const struct tiervm_cxl_region *r = &t->regions[i];
		char *p = xasprintf("cxl.regions[%u].%s", i,
				    r->latency ? "latency" : "bandwidth");

		if ((r->latency || r->bandwidth) && !q->generic_port)
			diag_add(
				c->d, r->line, p,
				"figures for a CXL path need ACPI generic ports (acpi-generic-port, QEMU 9.1 or later); the installed QEMU is %u.%u.%u",
				q->major, q->minor, q->micro);
		if ((r->latency || r->bandwidth) &&
		    plan_guest_kernel(c, &km, &kn) &&
		    (km < 6 || (km == 6 && kn < 9)))
			diag_add(
				c->d, r->line, p,
				"figures for a CXL region show in guest kernel 6.9 or later (from generic ports), and the guest's is %u.%u; set guest.kernel: debian-backports",
				km, kn);
		free(p);
	}
	for (unsigned i = 0; i < t->n_regions; i++) {
		const struct tiervm_cxl_region *r = &t->regions[i];

		char *p;

		if (tiervm_cxl_region_type(t, r) != TIERVM_CXL_VOLATILE ||
		    !plan_guest_kernel(c, &km, &kn) || km > 6 ||
		    (km == 6 && kn >= 3))
			continue;
		p = t->listed ? xasprintf("cxl[%u].type", i)
			      : xasprintf("cxl.regions[%u].devices", i);
		diag_add(
			c->d, r->line, p,
			"a volatile CXL region needs guest kernel 6.3 or later (create_ram_region), and the guest's is %u.%u; set guest.kernel: debian-backports",
			km, kn);
		free(p);
	}
}
