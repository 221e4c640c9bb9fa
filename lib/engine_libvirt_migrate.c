// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Live migration on the libvirt engine: the domain's migratable XML with
 * what belongs to the destination put in (its memory binding as the spec
 * resolves there, its volumes of the image and the NVDIMMs), given to
 * virDomainMigrate3 from a connection to each side, as virsh migrate
 * does without --p2p: the destination need not reach the source's
 * daemon.  The relay then follows the guest.
 */
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_libvirt_internal.h"
#include "engine_libvirt_relay.h"
#include "engine_libvirt_volume.h"
#include "plan_libvirt.h"
#include "util.h"
#include "util_libvirt.h"
#include "util_xml.h"

struct move {
	struct tiervm_vm *vm;
	struct tiervm_migration *mig;
	virConnectPtr src, dst;
	virDomainPtr dom;
	virStoragePoolPtr pool; /* tiervm's on the destination */
	char uuid[VIR_UUID_STRING_BUFLEN];
	/* NVDIMM volumes this move made there: dropped if it fails */
	struct tiervm_nv_volume *made;
	unsigned n_made;
};

static char *prop_of(xmlNode *n, const char *name)
{
	xmlChar *v = n ? xmlGetProp(n, (const xmlChar *)name) : NULL;
	char *out = v ? xstrdup((const char *)v) : NULL;

	xmlFree(v);
	return out;
}

static char *text_of(xmlNode *n)
{
	xmlChar *v = n ? xmlNodeGetContent(n) : NULL;
	char *out = v ? xstrdup((const char *)v) : NULL;

	xmlFree(v);
	return out;
}

static void set_text(xmlNode *n, const char *text)
{
	xmlChar *esc = xmlEncodeSpecialChars(n->doc, (const xmlChar *)text);

	xmlNodeSetContent(n, esc);
	xmlFree(esc);
}

/* @dev's user alias without libvirt's "ua-" prefix, or NULL. */
static char *alias_of(xmlNode *dev)
{
	char *a = prop_of(xml_child(dev, "alias"), "name"), *id = NULL;

	if (a &&
	    !strncmp(a, TIERVM_LIBVIRT_ALIAS, strlen(TIERVM_LIBVIRT_ALIAS)))
		id = xstrdup(a + strlen(TIERVM_LIBVIRT_ALIAS));
	free(a);
	return id;
}

static xmlNode *device_by_alias(xmlNode *devs, const char *model,
				const char *id)
{
	for (xmlNode *d = devs ? devs->children : NULL; d; d = d->next) {
		char *m, *a;
		bool hit;

		if (!xml_is(d, "memory"))
			continue;
		m = prop_of(d, "model");
		a = alias_of(d);
		hit = m && a && !strcmp(m, model) && !strcmp(a, id);
		free(m);
		free(a);
		if (hit)
			return d;
	}
	return NULL;
}

/* @what kiB in <@what unit=...> under @n, in bytes. */
static uint64_t bytes_of(xmlNode *n)
{
	char *t = text_of(n), *unit = prop_of(n, "unit");
	uint64_t v = t ? strtoull(t, NULL, 10) : 0;

	if (!unit || !strcmp(unit, "KiB"))
		v *= 1024;
	else if (!strcmp(unit, "MiB"))
		v <<= 20;
	free(t);
	free(unit);
	return v;
}

/*
 * What cannot move, refused before anything does: a mounted 9p share
 * (QEMU blocks migration while one is), and NVDIMM volumes at the
 * destination that are not this guest's.
 */
static bool refuse_shares(struct move *mv, xmlNode *devs, tiervm_error **errp)
{
	for (xmlNode *d = devs ? devs->children : NULL; d; d = d->next) {
		char *tag;

		if (!xml_is(d, "filesystem"))
			continue;
		tag = prop_of(xml_child(d, "target"), "dir");
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"guest.share-host: '%s' has a 9p share (%s) mounted, and QEMU blocks migration while one is: start it with `guest: {share-host: false}` and no --share to move it",
			mv->vm->name, tag ? tag : "?");
		free(tag);
		return false;
	}
	return true;
}

/* The image's volumes, there under the same content names. */
static bool move_image(struct move *mv, xmlNode *os, tiervm_error **errp)
{
	static const char *const parts[] = { "kernel", "initrd" };

	for (unsigned i = 0; i < ARRAY_SIZE(parts); i++) {
		xmlNode *n = xml_child(os, parts[i]);
		char *path = text_of(n), *there;
		uint64_t sent = 0;

		if (!path)
			continue;
		there = tiervm_volume_copy(mv->src, path, mv->pool, &sent,
					   errp);
		free(path);
		if (!there)
			return false;
		mv->mig->uploaded += sent;
		set_text(n, there);
		free(there);
	}
	return true;
}

/*
 * Each NVDIMM's backing file at the destination: tiervm's volume for
 * this guest there, made when absent, used when this very guest left it
 * (its record names the domain's UUID), refused otherwise: migration
 * would write this guest's memory over it.
 */
static bool move_nvdimms(struct move *mv, xmlNode *devs, tiervm_error **errp)
{
	for (xmlNode *d = devs ? devs->children : NULL; d; d = d->next) {
		xmlNode *tgt = xml_child(d, "target"),
			*path = xml_child(xml_child(d, "source"), "path");
		char *model = prop_of(d, "model"), *id = alias_of(d), *key;
		struct tiervm_nv_volume v;
		bool ok;

		if (!xml_is(d, "memory") || !model || strcmp(model, "nvdimm") ||
		    !id || !path) {
			free(model);
			free(id);
			continue;
		}
		key = xasprintf("nvdimms.%s", id);
		mv->made = xrealloc(mv->made,
				    (mv->n_made + 1) * sizeof(*mv->made));
		ok = tiervm_nv_volume_get(
			mv->pool, mv->vm->name, id, mv->uuid,
			bytes_of(xml_child(tgt, "size")),
			bytes_of(xml_child(xml_child(tgt, "label"), "size")),
			false, key, &v, errp);
		if (ok) {
			set_text(path, v.path);
			mv->made[mv->n_made++] = v;
		}
		free(model);
		free(id);
		free(key);
		if (!ok)
			return false;
	}
	return true;
}

/* The destination's binding: numatune and virtio-mem nodemasks. */
static bool rebind(struct move *mv, xmlNode *domain, xmlNode *devs,
		   tiervm_error **errp)
{
	const struct tiervm_plan *plan = mv->mig->plan;
	struct tiervm_domain_env env = {
		.name = "tiervm-migrating",
		.dir = mv->vm->dir,
		.kernel = "-",
		.initrd = "-",
		.append = "",
		.streams = true,
		.remote = tiervm_libvirt_remote(mv->mig->uri),
	};
	char *xml = tiervm_plan_format_libvirt(plan, &env, NULL, errp);
	xmlDoc *want;
	xmlNode *wroot, *nt, *old;

	if (!xml)
		return false;
	want = xmlReadMemory(xml, (int)strlen(xml), "planned.xml", NULL,
			     XML_PARSE_NONET);
	free(xml);
	if (!want) {
		tiervm_error_setg(errp, "the planned domain does not parse");
		return false;
	}
	wroot = xmlDocGetRootElement(want);
	if ((old = xml_child(domain, "numatune"))) {
		xmlUnlinkNode(old);
		xmlFreeNode(old);
	}
	if ((nt = xml_child(wroot, "numatune"))) {
		xmlAddChild(domain, xmlDocCopyNode(nt, domain->doc, 1));
		for (xmlNode *m = nt->children; m; m = m->next) {
			char *cell = prop_of(m, "cellid"),
			     *set = prop_of(m, "nodeset"),
			     *mode = prop_of(m, "mode");

			if (xml_is(m, "memnode"))
				strv_pushf(&mv->mig->bindings,
					   "guest node %s: host nodes %s (%s)",
					   cell, set, mode ? mode : "strict");
			free(cell);
			free(set);
			free(mode);
		}
	}
	for (xmlNode *d = devs ? devs->children : NULL; d; d = d->next) {
		char *id = alias_of(d), *model = prop_of(d, "model");
		xmlNode *w, *src, *mask;

		if (xml_is(d, "memory") && id && model &&
		    !strcmp(model, "virtio-mem") &&
		    (w = device_by_alias(xml_child(wroot, "devices"),
					 "virtio-mem", id))) {
			src = xml_child(d, "source");
			if (src && (mask = xml_child(src, "nodemask"))) {
				xmlUnlinkNode(mask);
				xmlFreeNode(mask);
			}
			mask = xml_child(xml_child(w, "source"), "nodemask");
			if (mask) {
				if (!src)
					src = xmlNewChild(
						d, NULL,
						(const xmlChar *)"source",
						NULL);
				xmlAddChild(src,
					    xmlDocCopyNode(mask, d->doc, 1));
			}
		}
		free(id);
		free(model);
	}
	xmlFreeDoc(want);
	return true;
}

/* The domain as it should arrive, in *@out. */
static bool dest_xml(struct move *mv, char **out, tiervm_error **errp)
{
	char *live = virDomainGetXMLDesc(mv->dom, VIR_DOMAIN_XML_MIGRATABLE);
	xmlDoc *doc;
	xmlNode *domain, *devs, *emu;
	xmlChar *text = NULL;
	int len = 0;
	bool ok = false;

	if (!live) {
		tiervm_libvirt_error(errp, TIERVM_E_FAIL, "the domain's XML");
		return false;
	}
	doc = xmlReadMemory(live, (int)strlen(live), "domain.xml", NULL,
			    XML_PARSE_NONET);
	free(live);
	if (!doc) {
		tiervm_error_setg(errp, "libvirt's domain XML does not parse");
		return false;
	}
	domain = xmlDocGetRootElement(doc);
	devs = xml_child(domain, "devices");
	/* another host's QEMU is its own: libvirt's default there */
	if (tiervm_libvirt_remote(mv->mig->uri) &&
	    (emu = xml_child(devs, "emulator"))) {
		xmlUnlinkNode(emu);
		xmlFreeNode(emu);
	}
	if (refuse_shares(mv, devs, errp) && rebind(mv, domain, devs, errp) &&
	    move_image(mv, xml_child(domain, "os"), errp) &&
	    move_nvdimms(mv, devs, errp)) {
		xmlDocDumpMemory(doc, &text, &len);
		*out = xstrdup(strstr((char *)text, "<domain"));
		xmlFree(text);
		ok = true;
	}
	xmlFreeDoc(doc);
	return ok;
}

static bool write_uri(struct tiervm_vm *vm, const char *uri,
		      tiervm_error **errp)
{
	char *path = tiervm_vm_path(vm, "libvirt.uri"),
	     *tmp = tiervm_vm_path(vm, "libvirt.uri.new");
	FILE *f = fopen(tmp, "we");
	bool ok = f && fprintf(f, "%s\n", uri) > 0;

	if (f && fclose(f) != 0)
		ok = false;
	if (!ok || rename(tmp, path) != 0) {
		tiervm_error_setg(errp, "cannot write %s", path);
		unlink(tmp);
		ok = false;
	}
	free(path);
	free(tmp);
	return ok;
}

bool tiervm_lv_migrate(struct tiervm_vm *vm, struct tiervm_migration *mig,
		       tiervm_error **errp)
{
	struct move mv = { .vm = vm, .mig = mig };
	virTypedParameterPtr params = NULL;
	int n = 0, cap = 0;
	virDomainPtr moved = NULL;
	char *xml = NULL, *name = tiervm_lv_domain_name(vm);
	long long from;
	bool ok = false;

	if (!(mv.dom = tiervm_lv_lookup(vm, &mv.src, errp)) ||
	    !(mv.dst = tiervm_libvirt_open(mig->uri, errp)) ||
	    !(mv.pool = tiervm_pool(mv.dst, errp)))
		goto out;
	virDomainGetUUIDString(mv.dom, mv.uuid);
	if (!dest_xml(&mv, &xml, errp))
		goto out;
	virTypedParamsAddString(&params, &n, &cap, VIR_MIGRATE_PARAM_DEST_XML,
				xml);
	if (mig->migrate_uri)
		virTypedParamsAddString(&params, &n, &cap,
					VIR_MIGRATE_PARAM_URI,
					mig->migrate_uri);
	from = tiervm_now_ms();
	moved = virDomainMigrate3(mv.dom, mv.dst, params, (unsigned)n,
				  VIR_MIGRATE_LIVE);
	mig->moved_ms = tiervm_now_ms() - from;
	if (!moved) {
		tiervm_libvirt_error(errp, TIERVM_E_FAIL, "the migration");
		goto out;
	}
	/* the old relay's streams ended with the source; a new one there */
	tiervm_relay_stop(vm);
	ok = write_uri(vm, mig->uri, errp) &&
	     tiervm_relay_start(vm, mig->uri, name, NULL, NULL, 0, errp);
out:
	for (unsigned i = 0; !moved && i < mv.n_made; i++)
		tiervm_nv_volume_drop(mv.pool, &mv.made[i]);
	for (unsigned i = 0; i < mv.n_made; i++)
		free(mv.made[i].path);
	free(mv.made);
	virTypedParamsFree(params, n);
	if (moved)
		virDomainFree(moved);
	if (mv.pool)
		virStoragePoolFree(mv.pool);
	if (mv.dom)
		virDomainFree(mv.dom);
	if (mv.src)
		virConnectClose(mv.src);
	if (mv.dst)
		virConnectClose(mv.dst);
	free(name);
	free(xml);
	return ok;
}
