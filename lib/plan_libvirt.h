/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_PLAN_LIBVIRT_H
#define TIERVM_PLAN_LIBVIRT_H

#include "engine.h"
#include "plan.h"
#include "util_error.h"

/*
 * The plan as a libvirt domain: the same machine tiervm's own QEMU
 * arguments describe, in libvirt's words (NUMA cells, distances,
 * interconnects, caches, numatune, nvdimm and virtio-mem devices), with
 * the guest's kernel, the console and the probe's and exec agent's
 * channels where the QEMU engine puts them.  Binding by kind is resolved
 * on the planning host; the spec's binding stays in the spec, so a domain
 * moved elsewhere is planned again there.
 */
struct tiervm_domain_env {
	const char *name;
	const char *dir; /* the runtime dir: console.log, probe.sock, ... */
	const char *kernel, *initrd, *append;
	bool host_root;
	const struct tiervm_share *shares;
	unsigned n_shares;
	/* the lines as the relay's streams, not files in @dir */
	bool streams;
	/* another host: its own QEMU, @nv_paths its volumes */
	bool remote;
	const char *uuid; /* NULL: libvirt's */
	/* [spec->n_nvdimms]: each NVDIMM's file there; NULL: the spec's */
	const char *const *nv_paths;
};

/* libvirt's alias of a device tiervm calls @id: user aliases need "ua-". */
#define TIERVM_LIBVIRT_ALIAS "ua-"

/**
 * tiervm_plan_format_libvirt - the domain XML.  What libvirt cannot say
 * (opposite HMAT links with different figures, a node's own backing file)
 * is an input error naming the spec's key; what only QEMU's own arguments
 * can say (CXL) goes into <qemu:commandline>, with a note in @notes
 * (may be NULL).
 */
char *tiervm_plan_format_libvirt(const struct tiervm_plan *plan,
				 const struct tiervm_domain_env *env,
				 struct strv *notes, tiervm_error **errp);

/**
 * tiervm_libvirt_nvdimm_xml - @nv as a <memory model='nvdimm'> device for
 * hot-plug, its backing file @where (NULL: the spec's path); @on_dax: it
 * is a device-dax device.
 */
char *tiervm_libvirt_nvdimm_xml(const struct tiervm_nvdimm *nv,
				const char *where, bool on_dax,
				tiervm_error **errp);

#endif
