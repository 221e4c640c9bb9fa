/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_PLAN_H
#define TIERVM_PLAN_H

#include <json-c/json.h>

#include "kernel.h"
#include "qemu_caps.h"
#include "spec_resolve.h"
#include "spec.h"
#include "util.h"

struct tiervm_host;

/* The host nodes a memory backend was bound to, kinds resolved. */
struct tiervm_plan_bind {
	char *backend; /* "tiervm-node2", "tiervm-vm-vm0" */
	struct tiervm_cpuset nodes;
	enum tiervm_policy policy;
};

/*
 * Everything tiervm decided for one spec on one host: the QEMU arguments,
 * the kernel arguments, and what the guest must show.  The runtime parts
 * (kernel, initrd, sockets, console) are added by `up`, not here.
 */
struct tiervm_plan {
	const struct tiervm_spec *spec;
	struct tiervm_resolved *r;
	const struct tiervm_qemu_caps *caps;
	struct tiervm_kernel *kernel; /* guest.kernel, resolved */
	bool uefi; /* boots through UEFI firmware (-bios): the bzImage */
	const char *accel; /* "kvm" or "tcg" */
	uint64_t ram, maxmem;
	unsigned slots;
	struct strv argv;	 /* argv[0] is the QEMU binary */
	struct strv kernel_args; /* what tiervm adds, then guest.cmdline */
	struct strv notes;	 /* plain statements for the user */
	/* where the spec contradicts itself: "FILE:LINE: KEY: what" each */
	struct strv warnings;
	json_object *expected;		/* the guest view, see docs/json.md */
	struct tiervm_plan_bind *binds; /* for other engines' own syntax */
	unsigned n_binds;
	/* tiervm_plan_free() frees spec and caps too (tiervm_plan_file()) */
	bool own_spec, own_caps;
};

/**
 * tiervm_plan_build - plan @spec for the QEMU described by @caps.
 * @host, when not NULL, resolves host bindings by kind and supplies HMAT
 * figures for bound nodes.  Errors in the spec against this QEMU or host
 * are TIERVM_E_INPUT with the usual FILE:LINE: KEY: form.
 */
struct tiervm_plan *tiervm_plan_build(const struct tiervm_spec *spec,
				      const struct tiervm_qemu_caps *caps,
				      const struct tiervm_host *host,
				      tiervm_error **errp);

void tiervm_plan_free(struct tiervm_plan *plan);

/** tiervm_plan_bind_of - @backend's host binding, or NULL when unbound. */
const struct tiervm_plan_bind *
tiervm_plan_bind_of(const struct tiervm_plan *plan, const char *backend);

/** tiervm_plan_to_json - the whole plan as a new JSON object. */
json_object *tiervm_plan_to_json(const struct tiervm_plan *plan);

/** tiervm_plan_format_sh - a runnable script; every argument quoted. */
char *tiervm_plan_format_sh(const struct tiervm_plan *plan);

/** tiervm_plan_format_text - the human view: command, kernel args, guest. */
char *tiervm_plan_format_text(const struct tiervm_plan *plan);

#endif
