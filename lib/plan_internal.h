/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_PLAN_INTERNAL_H
#define TIERVM_PLAN_INTERNAL_H

#include "spec_diag.h"
#include "host.h"
#include "plan.h"

/* Shared by the planner's feature emitters (plan.c, plan_devices.c). */
struct plan_ctx {
	struct tiervm_plan *p;
	const struct tiervm_spec *s;
	const struct tiervm_host *host;
	struct tiervm_diags *d;
	json_object *exp_nodes; /* expected["nodes"], indexed by node id */
	json_object *exp;	/* expected */
	/* the memory backends planned, for plan_capacity_check() */
	struct plan_capacity_use *uses;
	unsigned n_uses;
};

void plan_arg(struct plan_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void plan_note(struct plan_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void plan_backend_arg(struct plan_ctx *c, const char *id, uint64_t size,
		      const struct tiervm_mem *m, int line, const char *key);

/*
 * plan_devdax - the host device-dax device @path checked as a backend of
 * @size bytes against the inventory; its align in *@align.  false, with
 * one diagnostic at @line naming @key, when it cannot be one.
 */
bool plan_devdax(struct plan_ctx *c, const char *path, uint64_t size, int line,
		 const char *key, uint64_t *align);

/* Memory the host cannot give (plan_capacity.c): each backend as planned,
 * then the checks, once every backend is known. */
void plan_capacity_add(struct plan_ctx *c, const char *backend, uint64_t size,
		       const struct tiervm_mem *m, int line, const char *key);
void plan_capacity_check(struct plan_ctx *c);

/*
 * The guest kernel's version where tiervm knows it before booting:
 * Debian's kernels by name, a path by its bzImage header; false otherwise.
 */
bool plan_guest_kernel(const struct plan_ctx *c, unsigned *major,
		       unsigned *minor);

/* Feature emitters: QEMU arguments and expected view, one per feature. */
void plan_nvdimms(struct plan_ctx *c);
void plan_vmems(struct plan_ctx *c);
void plan_cxls(struct plan_ctx *c);
/* The CXL parts of -machine, the guest's region orders, version checks. */
void plan_cxl_machine(struct plan_ctx *c, struct sbuf *m);
void plan_cxl_kernel_arg(struct plan_ctx *c);
void plan_cxl_check(struct plan_ctx *c);
/* Generic ports' proximity domains: -numa node, dist and hmat-lb. */
void plan_cxl_port_nodes(struct plan_ctx *c);
void plan_cxl_port_distances(struct plan_ctx *c);
void plan_cxl_port_hmat(struct plan_ctx *c, unsigned initiator);
/* Device memory each device takes from maxmem, and DIMM slots. */
uint64_t plan_device_memory(const struct tiervm_spec *s, unsigned *slots);

#endif
