// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Memory devices: NVDIMMs, virtio-mem and CXL type-3.  Each emitter writes
 * the QEMU arguments and the matching part of the expected guest view.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nvdimm.h"
#include "plan_internal.h"

uint64_t plan_device_memory(const struct tiervm_spec *s, unsigned *slots)
{
	uint64_t total = 0;

	/* each NVDIMM takes a DIMM slot; virtio-mem takes none */
	*slots = s->n_nvdimms;
	for (unsigned i = 0; i < s->n_nvdimms; i++)
		total += tiervm_nvdimm_backing_size(&s->nvdimms[i]);
	for (unsigned i = 0; i < s->n_vmems; i++)
		total += s->vmems[i].size;
	return total;
}

static json_object *list(struct plan_ctx *c, const char *key)
{
	json_object *a;

	if (!json_object_object_get_ex(c->exp, key, &a)) {
		a = json_object_new_array();
		json_object_object_add(c->exp, key, a);
	}
	return a;
}

/*
 * The user's backing file: checked, never changed.  QEMU grows a shorter
 * file to the backend size and refuses a longer one; either way the user's
 * data would be at risk or the start would fail, so both are refused here.
 */
static bool check_backing_file(struct plan_ctx *c,
			       const struct tiervm_nvdimm *nv, const char *key,
			       bool *is_devdax, uint64_t *align)
{
	uint64_t want = tiervm_nvdimm_backing_size(nv);
	struct stat st;

	*is_devdax = false;
	/* the host's device-dax: as the inventory shows it, never created */
	if (!strncmp(nv->path, "/dev/dax", 8))
		return (*is_devdax = plan_devdax(c, nv->path, want,
						 nv->path_line, key, align));
	if (stat(nv->path, &st) < 0) {
		if (errno == ENOENT)
			return true; /* `up` creates it */
		diag_add(c->d, nv->path_line, key, "cannot check '%s': %s",
			 nv->path, strerror(errno));
		return false;
	}
	if (S_ISCHR(st.st_mode)) {
		/* a device-dax device by another name (a udev link) */
		*is_devdax = true;
		*align = 2 * MiB;
		return true;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_add(
			c->d, nv->path_line, key,
			"'%s' is neither a regular file nor a device-dax device",
			nv->path);
		return false;
	}
	if ((uint64_t)st.st_size != want) {
		char *a = tiervm_format_size(want);

		diag_add(
			c->d, nv->path_line, key,
			"'%s' is %lld bytes but size + label-size is %llu (%s); tiervm never resizes a backing file: fix size or label-size, or use another path",
			nv->path, (long long)st.st_size,
			(unsigned long long)want, a);
		free(a);
		return false;
	}
	return true;
}

/*
 * Several namespaces: tiervm.ns.ID=SIZE:MODE:ALIGN,... for the probe, which makes
 * them in order on a new file (guest/provision.c), and what the guest must
 * show of them.
 */
static void plan_namespaces(struct plan_ctx *c, const struct tiervm_nvdimm *nv,
			    json_object *e)
{
	json_object *a = json_object_new_array();
	struct sbuf arg = { 0 };
	uint64_t sum = 0;
	char *usable = tiervm_format_size(tiervm_nvdimm_usable(nv)), *left;

	for (unsigned i = 0; i < nv->n_namespaces; i++) {
		const struct tiervm_nv_namespace *x = &nv->namespaces[i];
		json_object *o = json_object_new_object();

		sbuf_addf(&arg, "%s%llu:%s:%llu", i ? "," : "",
			  (unsigned long long)x->size,
			  tiervm_nv_mode_names[x->mode],
			  (unsigned long long)x->align);
		json_object_object_add(o, "size",
				       json_object_new_int64((int64_t)x->size));
		json_object_object_add(
			o, "mode",
			json_object_new_string(tiervm_nv_mode_names[x->mode]));
		json_object_array_add(a, o);
		sum += x->size;
	}
	json_object_object_add(e, "namespaces", a);
	json_object_object_add(
		e, "usable",
		json_object_new_int64((int64_t)tiervm_nvdimm_usable(nv)));
	strv_pushf(&c->p->kernel_args, "tiervm.ns.%s=%s", nv->id, arg.s);
	left = tiervm_format_size(tiervm_nvdimm_usable(nv) - sum);
	plan_note(
		c,
		"nvdimm %s: %s usable for namespaces (its size down to the region's 16M align), %s of it left free; namespaces are made only on a new backing file",
		nv->id, usable, left);
	free(left);
	free(usable);
	sbuf_free(&arg);
}

void plan_nvdimms(struct plan_ctx *c)
{
	enum tiervm_nv_persistence pd = c->s->machine.nvdimm_persistence;

	/* every NFIT region of the guest shows the platform's one domain */
	if (pd)
		json_object_object_add(
			c->exp, "nvdimm_persistence",
			json_object_new_string(
				tiervm_persistence_kernel_names[pd]));
	for (unsigned i = 0; i < c->s->n_nvdimms; i++) {
		const struct tiervm_nvdimm *nv = &c->s->nvdimms[i];
		char *key = xasprintf("nvdimms[%u].path", i);
		char *size = tiervm_format_size(tiervm_nvdimm_backing_size(nv));
		char *label = tiervm_format_size(nv->label_size);
		unsigned node = nv->has_node ? nv->node : 0;
		bool devdax = false, pmem;
		uint64_t align = 0;
		json_object *e;
		char *align_arg;

		check_backing_file(c, nv, key, &devdax, &align);
		pmem = devdax;
		if (tiervm_nvdimm_pmem_refusal(nv, devdax))
			diag_add(c->d, nv->line, key, "%s; '%s' is not",
				 tiervm_nvdimm_pmem_refusal(nv, devdax),
				 nv->path);
		if (nv->pmem == TIERVM_OFF)
			pmem = false;
		if (pmem && !tiervm_qemu_has_libpmem(c->p->caps)) {
			pmem = false;
			if (nv->pmem == TIERVM_ON)
				diag_add(
					c->d, nv->line, key,
					"pmem: on needs a QEMU built with libpmem; %s is not",
					c->p->caps->binary);
		}
		if (!pmem)
			plan_note(
				c,
				"nvdimm %s: '%s' is not on host persistent memory; the data survives a guest power-off, not a host crash",
				nv->id, nv->path);
		plan_arg(c, "-object");
		/* device-dax backends map at the device's align, and QEMU's
		 * mmap must ask for it */
		align_arg = devdax ? tiervm_format_size(align) : NULL;
		plan_arg(
			c,
			"memory-backend-file,id=tiervm-nv-%s,mem-path=%s,size=%s,share=%s%s%s%s%s",
			nv->id, nv->path, size, nv->readonly ? "off" : "on",
			pmem ? ",pmem=on" : "", devdax ? ",align=" : "",
			devdax ? align_arg : "",
			nv->readonly ? ",readonly=on" : "");
		free(align_arg);
		plan_arg(c, "-device");
		if (nv->label_size)
			plan_arg(
				c,
				"nvdimm,id=%s,memdev=tiervm-nv-%s,label-size=%s,node=%u%s",
				nv->id, nv->id, label, node,
				nv->readonly ? ",unarmed=on" : "");
		else
			plan_arg(c,
				 "nvdimm,id=%s,memdev=tiervm-nv-%s,node=%u%s",
				 nv->id, nv->id, node,
				 nv->readonly ? ",unarmed=on" : "");

		e = json_object_new_object();
		json_object_object_add(e, "id", json_object_new_string(nv->id));
		json_object_object_add(e, "node",
				       json_object_new_int((int)node));
		json_object_object_add(
			e, "size", json_object_new_int64((int64_t)nv->size));
		json_object_object_add(
			e, "label_size",
			json_object_new_int64((int64_t)nv->label_size));
		json_object_object_add(
			e, "backing_size",
			json_object_new_int64(
				(int64_t)tiervm_nvdimm_backing_size(nv)));
		json_object_object_add(e, "path",
				       json_object_new_string(nv->path));
		json_object_object_add(
			e, "mode",
			json_object_new_string(tiervm_nv_mode_names[nv->mode]));
		json_object_object_add(e, "persistent_on_host",
				       json_object_new_boolean(pmem));
		if (nv->n_namespaces)
			plan_namespaces(c, nv, e);
		json_object_array_add(list(c, "nvdimms"), e);
		free(key);
		free(size);
		free(label);
	}
}

void plan_vmems(struct plan_ctx *c)
{
	for (unsigned i = 0; i < c->s->n_vmems; i++) {
		const struct tiervm_vmem *v = &c->s->vmems[i];
		char *key = xasprintf("virtio-mem[%u]", i);
		char *bid = xasprintf("tiervm-vm-%s", v->id);
		char *req = tiervm_format_size(v->requested);
		struct sbuf extra = { 0 };
		json_object *e;

		sbuf_addf(&extra, "%s", "");
		if (v->block_size) {
			char *bs = tiervm_format_size(v->block_size);

			sbuf_addf(&extra, ",block-size=%s", bs);
			free(bs);
		}
		if (v->mem.prealloc)
			sbuf_addf(&extra, ",prealloc=on");
		/* Fewer KVM memslots for sparse plugs (QEMU 8.2+) */
		if (c->p->caps->vmem_dynamic_memslots)
			sbuf_addf(&extra, ",dynamic-memslots=on");
		plan_backend_arg(
			c, bid, v->size,
			&(struct tiervm_mem){ .backend = v->mem.backend,
					      .path = v->mem.path,
					      .hugepages = v->mem.hugepages,
					      .host = v->mem.host },
			v->line, key);
		plan_arg(c, "-device");
		plan_arg(
			c,
			"virtio-mem-pci,id=%s,memdev=%s,node=%u,requested-size=%s%s",
			v->id, bid, v->node, req, extra.s);

		e = json_object_new_object();
		json_object_object_add(e, "id", json_object_new_string(v->id));
		json_object_object_add(e, "node",
				       json_object_new_int((int)v->node));
		json_object_object_add(e, "size",
				       json_object_new_int64((int64_t)v->size));
		json_object_object_add(
			e, "requested",
			json_object_new_int64((int64_t)v->requested));
		json_object_object_add(
			e, "block_size",
			json_object_new_int64(
				(int64_t)tiervm_vmem_block_size(v)));
		json_object_array_add(list(c, "virtio_mem"), e);
		sbuf_free(&extra);
		free(req);
		free(bid);
		free(key);
	}
}
