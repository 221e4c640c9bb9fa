// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The libvirt engine: the plan as a transient libvirt domain
 * (plan_libvirt.c), created and driven through the libvirt C API on the
 * connection the user names (qemu:///system unless told).  libvirt owns
 * the QEMU process; tiervm keeps its runtime dir with the same sockets the
 * QEMU engine gives, so nothing above the seam can tell them apart.
 */
#include <errno.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "engine_libvirt_internal.h"
#include "engine_libvirt_relay.h"
#include "engine_libvirt_volume.h"
#include "nvdimm.h"
#include "plan_libvirt.h"
#include "timeouts.h"
#include "util.h"
#include "util_libvirt.h"
#include "util_xml.h"

#define DOMAIN_PREFIX "tiervm-"
#define DEFAULT_URI "qemu:///system"

struct lv_monitor {
	struct tiervm_monitor base;
	virConnectPtr conn;
	virDomainPtr dom;
	json_object *seen; /* virtio-mem id -> the size last reported */
};

static void lv_error(tiervm_error **errp, int code, const char *what)
{
	const char *msg = virGetLastErrorMessage();

	tiervm_error_set(errp, code, "libvirt: %s: %.*s", what,
			 (int)strcspn(msg, "\n"), msg);
}

char *tiervm_lv_uri(const struct tiervm_vm *vm)
{
	char *path = tiervm_vm_path(vm, "libvirt.uri"), line[1024] = "";
	FILE *f = fopen(path, "re");

	free(path);
	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	line[strcspn(line, "\n")] = '\0';
	return xstrdup(*line ? line : DEFAULT_URI);
}

char *tiervm_lv_domain_name(const struct tiervm_vm *vm)
{
	return xasprintf(DOMAIN_PREFIX "%s", vm->name);
}

virDomainPtr tiervm_lv_lookup(const struct tiervm_vm *vm, virConnectPtr *connp,
			      tiervm_error **errp)
{
	char *uri = tiervm_lv_uri(vm), *name = tiervm_lv_domain_name(vm);
	virConnectPtr c = tiervm_libvirt_connect(uri, errp);
	virDomainPtr d = NULL;

	if (c && !(d = virDomainLookupByName(c, name))) {
		lv_error(errp,
			 virGetLastErrorCode() == VIR_ERR_NO_DOMAIN
				 ? TIERVM_E_INPUT
				 : TIERVM_E_FAIL,
			 name);
		virConnectClose(c);
		c = NULL;
	}
	*connp = c;
	free(uri);
	free(name);
	return d;
}

/* QEMU's pid, where libvirt keeps it on this host (system URI only). */
static long qemu_pid(const struct tiervm_vm *vm)
{
	char *uri = tiervm_lv_uri(vm), *path;
	bool remote = tiervm_libvirt_remote(uri);
	long pid = 0;
	FILE *f;

	free(uri);
	if (remote)
		return 0;
	path = xasprintf("/run/libvirt/qemu/" DOMAIN_PREFIX "%s.pid", vm->name);
	f = fopen(path, "re");
	free(path);
	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid;
}

static char *new_uuid(void)
{
	char line[64] = "";
	FILE *f = fopen("/proc/sys/kernel/random/uuid", "re");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	line[strcspn(line, "\n")] = '\0';
	return *line ? xstrdup(line) : NULL;
}

/*
 * What the domain needs of this machine, on the daemon's host: the
 * image as content-keyed volumes, and on another host the NVDIMMs'
 * backing volumes (made or checked there) and the command line that
 * says which of them are new.
 */
static bool lv_stage(struct tiervm_vm *vm, struct tiervm_launch *l,
		     virConnectPtr c, struct tiervm_domain_env *env,
		     struct tiervm_nv_volume *nv, char **kernel, char **initrd,
		     char **append, tiervm_error **errp)
{
	const struct tiervm_spec *spec = l->plan->spec;
	virStoragePoolPtr pool = tiervm_pool(c, errp);
	uint64_t k = 0, i = 0;
	bool ok = false, *fresh;

	if (!pool)
		return false;
	env->kernel = *kernel =
		tiervm_volume_upload(pool, l->img->kernel, "kernel", &k, errp);
	env->initrd = *initrd =
		*kernel ? tiervm_volume_upload(pool, l->img->initrd, "initrd",
					       &i, errp)
			: NULL;
	l->uploaded = k + i;
	l->uploaded_to = l->connect ? l->connect : DEFAULT_URI;
	if (!*initrd)
		goto out;
	fresh = xcalloc(spec->n_nvdimms + 1, sizeof(*fresh));
	for (unsigned n = 0; l->remote && n < spec->n_nvdimms; n++) {
		const struct tiervm_nvdimm *d = &spec->nvdimms[n];
		char *key = xasprintf("%s:%d: nvdimms.%s", spec->file, d->line,
				      d->id);
		bool got;

		if (tiervm_nvdimm_pmem_refusal(d, false)) {
			tiervm_error_set(errp, TIERVM_E_INPUT,
					 "%s: %s; a volume on %s is not", key,
					 tiervm_nvdimm_pmem_refusal(d, false),
					 l->connect);
			free(key);
			free(fresh);
			goto out;
		}
		got = tiervm_nv_volume_get(pool, vm->name, d->id, env->uuid,
					   tiervm_nvdimm_backing_size(d),
					   d->label_size, true, key, &nv[n],
					   errp);

		free(key);
		if (!got) {
			free(fresh);
			goto out;
		}
		fresh[n] = nv[n].fresh;
	}
	if (l->remote)
		env->append = *append = tiervm_engine_cmdline(l, fresh);
	free(fresh);
	ok = true;
out:
	virStoragePoolFree(pool);
	return ok;
}

static void lv_unstage(virConnectPtr c, struct tiervm_nv_volume *nv, unsigned n)
{
	virStoragePoolPtr pool = virStoragePoolLookupByName(c, TIERVM_POOL);

	for (unsigned i = 0; pool && i < n; i++)
		tiervm_nv_volume_drop(pool, &nv[i]);
	if (pool)
		virStoragePoolFree(pool);
}

/* The embedded driver: QEMU in this process, its lines files of ours. */
static bool lv_start_embedded(struct tiervm_vm *vm,
			      const struct tiervm_launch *l,
			      struct tiervm_domain_env *env,
			      tiervm_error **errp)
{
	virConnectPtr c = NULL;
	virDomainPtr d = NULL;
	char *xml = NULL;

	if (!l->die_with_caller) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"--connect %s: the embedded driver runs guests inside tiervm's own process, so only with --check or -- CMD",
			l->connect);
		return false;
	}
	env->kernel = l->img->kernel;
	env->initrd = l->img->initrd;
	xml = tiervm_plan_format_libvirt(l->plan, env, NULL, errp);
	if (xml && (c = tiervm_libvirt_connect(l->connect, errp)) &&
	    !(d = virDomainCreateXML(c, xml, 0)))
		lv_error(errp, TIERVM_E_FAIL, "the domain did not start");
	if (d)
		virDomainFree(d);
	if (c)
		virConnectClose(c);
	free(xml);
	return d != NULL;
}

static bool lv_start(struct tiervm_vm *vm, struct tiervm_launch *l,
		     tiervm_error **errp)
{
	const char *uri = l->connect ? l->connect : DEFAULT_URI;
	const unsigned n_nv = l->plan->spec->n_nvdimms;
	char *name = tiervm_lv_domain_name(vm), *xml = NULL, *append = NULL,
	     *uuid = tiervm_lv_warm_uuid(l),
	     *uri_path = tiervm_vm_path(vm, "libvirt.uri"), *kernel = NULL,
	     *initrd = NULL;
	struct tiervm_nv_volume *nv = xcalloc(n_nv + 1, sizeof(*nv));
	const char **nv_paths = xcalloc(n_nv + 1, sizeof(*nv_paths));
	struct tiervm_domain_env env = {
		.name = name,
		.dir = vm->dir,
		.append = l->append,
		.host_root = l->host_root,
		.shares = l->shares,
		.n_shares = l->n_shares,
		.streams = !tiervm_libvirt_embedded(uri),
		.remote = l->remote,
		.uuid = uuid,
	};
	virConnectPtr c = NULL;
	FILE *f;
	bool ok = false;

	if (!env.uuid)
		env.uuid = uuid = new_uuid();
	f = fopen(uri_path, "wxe");
	if (!f || fprintf(f, "%s\n", uri) < 0 || fclose(f) != 0) {
		tiervm_error_setg(errp, "cannot write %s", uri_path);
		goto out;
	}
	if (!env.streams) {
		ok = lv_start_embedded(vm, l, &env, errp);
		goto out;
	}
	if (!(c = tiervm_libvirt_connect(uri, errp)) ||
	    !lv_stage(vm, l, c, &env, nv, &kernel, &initrd, &append, errp))
		goto out;
	if (l->remote) {
		for (unsigned i = 0; i < n_nv; i++)
			nv_paths[i] = nv[i].path;
		env.nv_paths = nv_paths;
	}
	xml = tiervm_plan_format_libvirt(l->plan, &env, NULL, errp);
	if (xml && l->incoming) {
		char *ours = xml;

		xml = tiervm_lv_restore_xml(c, l->incoming, ours, errp);
		free(ours);
	}
	/*
	 * The relay creates the domain on its own connection: a one-shot
	 * guest is autodestroyed with it, and the relay ends with us.
	 */
	l->start_ms = tiervm_now_ms();
	ok = xml &&
	     tiervm_relay_start(
		     vm, uri, name, xml, l->incoming,
		     (l->incoming ? TIERVM_RELAY_RESTORE
				  : TIERVM_RELAY_CREATE) |
			     (l->die_with_caller ? TIERVM_RELAY_ONE_SHOT : 0),
		     errp);
	l->load_ms = tiervm_now_ms();
	if (ok)
		vm->pid = qemu_pid(vm);
	else if (c)
		lv_unstage(c, nv, n_nv);
out:
	if (c)
		virConnectClose(c);
	for (unsigned i = 0; i < n_nv; i++)
		free(nv[i].path);
	free(nv);
	free(nv_paths);
	free(kernel);
	free(initrd);
	free(uri_path);
	free(append);
	free(uuid);
	free(name);
	free(xml);
	return ok;
}

/* The guest's domain, or why the daemon cannot be asked in *@lost. */
static virDomainPtr reach(struct tiervm_vm *vm, virConnectPtr *c)
{
	tiervm_error *err = NULL;
	virDomainPtr d = tiervm_lv_lookup(vm, c, &err);

	if (!d && err && err->code == TIERVM_E_FAIL) {
		char *uri = tiervm_lv_uri(vm),
		     *name = tiervm_lv_domain_name(vm);

		free(vm->unreachable);
		vm->unreachable = xasprintf(
			"lost libvirt at %s: tiervm stops domain %s there if that host answers within %d s; if it answers later, `virsh -c %s destroy %s`",
			uri, name, TIERVM_TIMEOUT_RECONNECT_MS / 1000, uri,
			name);
		free(uri);
		free(name);
	}
	tiervm_error_free(err);
	return d;
}

static bool lv_running(struct tiervm_vm *vm)
{
	virConnectPtr c;
	virDomainPtr d;
	bool up;

	if (!tiervm_vm_exists(vm))
		return false;
	d = reach(vm, &c);
	if (!d)
		return false;
	up = virDomainIsActive(d) == 1;
	/* 0 where libvirt's QEMU is not on this host to see */
	vm->pid = up ? qemu_pid(vm) : 0;
	virDomainFree(d);
	virConnectClose(c);
	return up;
}

static bool lv_wait_exit(struct tiervm_vm *vm, int timeout_ms)
{
	for (long long end = tiervm_now_ms() + timeout_ms;;) {
		if (!lv_running(vm))
			return true;
		if (tiervm_now_ms() > end)
			return false;
		usleep(50 * 1000);
	}
}

static void lv_kill(struct tiervm_vm *vm, int grace_ms)
{
	long long end = tiervm_now_ms() + TIERVM_TIMEOUT_RECONNECT_MS;
	virConnectPtr c;
	virDomainPtr d;

	/*
	 * A daemon that went away keeps its QEMU, and finds it again when it
	 * comes back: wait a while for it, so that a guest we were stopping
	 * does not outlive us there.
	 */
	for (;;) {
		free(vm->unreachable);
		vm->unreachable = NULL;
		d = reach(vm, &c);
		if (d || !vm->unreachable || tiervm_now_ms() > end)
			break;
		usleep(500 * 1000);
	}
	if (!d)
		return;
	virDomainShutdownFlags(d, VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN);
	virDomainFree(d);
	virConnectClose(c);
	if (!lv_wait_exit(vm, grace_ms) &&
	    (d = tiervm_lv_lookup(vm, &c, NULL))) {
		virDomainDestroy(d);
		virDomainFree(d);
		virConnectClose(c);
	}
}

/* ---- the monitor: the domain's live XML, and libvirt's calls ---------- */

static struct lv_monitor *lv(struct tiervm_monitor *m)
{
	return (struct lv_monitor *)m;
}

/* @name's number under @n (its @sub's); a size in bytes when @bytes. */
static long long child_ll(xmlNode *n, const char *name, const char *sub,
			  bool bytes)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next) {
		if (!xml_is(c, name))
			continue;
		if (sub)
			return child_ll(c, sub, NULL, bytes);
		{
			xmlChar *t = xmlNodeGetContent(c);
			xmlChar *unit = xmlGetProp(c, (const xmlChar *)"unit");
			long long v = strtoll((const char *)t, NULL, 10);

			/* libvirt reports sizes in KiB unless it says */
			if (bytes &&
			    (!unit || !xmlStrcmp(unit, (const xmlChar *)"KiB")))
				v *= 1024;
			xmlFree(t);
			xmlFree(unit);
			return v;
		}
	}
	return -1;
}

static char *alias_id(xmlNode *mem)
{
	xmlNode *a = xml_child(mem, "alias");
	xmlChar *name = a ? xmlGetProp(a, (const xmlChar *)"name") : NULL;
	const char *s = (const char *)name;
	char *id;

	if (s &&
	    !strncmp(s, TIERVM_LIBVIRT_ALIAS, strlen(TIERVM_LIBVIRT_ALIAS)))
		s += strlen(TIERVM_LIBVIRT_ALIAS);
	id = xstrdup(s ? s : "");
	xmlFree(name);
	return id;
}

/*
 * The domain's live XML, parsed into *@doc, and its <devices> (either may
 * be NULL when libvirt's text does not parse: no devices).  False only
 * when libvirt gives no XML.
 */
static bool live_xml(struct tiervm_monitor *m, xmlDoc **doc, xmlNode **devs,
		     tiervm_error **errp)
{
	char *xml = virDomainGetXMLDesc(lv(m)->dom, 0);

	*doc = NULL;
	*devs = NULL;
	if (!xml) {
		lv_error(errp, TIERVM_E_FAIL, "the domain's XML");
		return false;
	}
	*doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
			     XML_PARSE_NONET);
	free(xml);
	if (*doc)
		*devs = xml_child(xmlDocGetRootElement(*doc), "devices");
	return true;
}

/*
 * The memory devices in the shape of QMP's query-memory-devices, read
 * from the domain's live XML (libvirt updates <current> from QEMU's size
 * change events).
 */
static json_object *lv_memory_devices(struct tiervm_monitor *m,
				      tiervm_error **errp)
{
	json_object *list;
	xmlNode *devs;
	xmlDoc *doc;

	if (!live_xml(m, &doc, &devs, errp))
		return NULL;
	list = json_object_new_array();
	for (xmlNode *d = devs ? devs->children : NULL; d; d = d->next) {
		xmlChar *model;
		json_object *e, *data;
		xmlNode *t;
		char *id;

		if (!xml_is(d, "memory"))
			continue;
		model = xmlGetProp(d, (const xmlChar *)"model");
		t = xml_child(d, "target");
		id = alias_id(d);
		e = json_object_new_object();
		data = json_object_new_object();
		json_object_object_add(data, "id", json_object_new_string(id));
		json_object_object_add(data, "node",
				       json_object_new_int64(child_ll(
					       t, "node", NULL, false)));
		if (model && !xmlStrcmp(model, (const xmlChar *)"virtio-mem")) {
			long long cur = child_ll(t, "current", NULL, true);

			json_object_object_add(
				e, "type",
				json_object_new_string("virtio-mem"));
			json_object_object_add(
				data, "size",
				json_object_new_int64(cur < 0 ? 0 : cur));
			json_object_object_add(data, "max-size",
					       json_object_new_int64(child_ll(
						       t, "size", NULL, true)));
			json_object_object_add(
				data, "requested-size",
				json_object_new_int64(
					child_ll(t, "requested", NULL, true)));
			json_object_object_add(
				data, "block-size",
				json_object_new_int64(
					child_ll(t, "block", NULL, true)));
		} else {
			json_object_object_add(
				e, "type",
				json_object_new_string(
					model ? (const char *)model : "dimm"));
			json_object_object_add(
				data, "size",
				json_object_new_int64(
					child_ll(t, "size", NULL, true) -
					(child_ll(t, "label", "size", true) > 0
						 ? child_ll(t, "label", "size",
							    true)
						 : 0)));
		}
		json_object_object_add(e, "data", data);
		json_object_array_add(list, e);
		xmlFree(model);
		free(id);
	}
	xmlFreeDoc(doc);
	return list;
}

static struct tiervm_monitor *lv_monitor_open(struct tiervm_vm *vm,
					      tiervm_error **errp)
{
	struct lv_monitor *m = xcalloc(1, sizeof(*m));
	json_object *devs;

	m->base.engine = &tiervm_engine_libvirt;
	m->dom = tiervm_lv_lookup(vm, &m->conn, errp);
	if (!m->dom) {
		free(m);
		return NULL;
	}
	{
		char *uri = tiervm_lv_uri(vm);

		m->base.own_backing = tiervm_libvirt_remote(uri);
		free(uri);
	}
	/* what the devices are now: size_event() reports what changes */
	m->seen = json_object_new_object();
	devs = lv_memory_devices(&m->base, NULL);
	for (size_t i = 0; devs && i < json_object_array_length(devs); i++) {
		json_object *data = json_object_object_get(
			json_object_array_get_idx(devs, i), "data");

		json_object_object_add(
			m->seen,
			json_object_get_string(
				json_object_object_get(data, "id")),
			json_object_get(json_object_object_get(data, "size")));
	}
	json_object_put(devs);
	return &m->base;
}

static void lv_monitor_close(struct tiervm_monitor *base)
{
	struct lv_monitor *m = lv(base);

	virDomainFree(m->dom);
	virConnectClose(m->conn);
	json_object_put(m->seen);
	free(m);
}

/*
 * Whether a migration job runs on the domain; said as one line naming
 * WHAT is refused, before QEMU (a new requested-size) or libvirt (a
 * hot-plug waiting 30 s for the job lock) refuses it less clearly.
 */
static bool migrating(struct tiervm_monitor *m, const char *what,
		      const char *verb, tiervm_error **errp)
{
	virDomainJobInfo job;

	if (virDomainGetJobInfo(lv(m)->dom, &job) < 0 ||
	    job.type == VIR_DOMAIN_JOB_NONE)
		return false;
	tiervm_error_set(
		errp, TIERVM_E_INPUT,
		"the guest is migrating, and QEMU %s while a migration runs: %s once `tiervm migrate` has ended",
		what, verb);
	return true;
}

/*
 * virsh update-memory-device's way: the device as the live domain has it
 * (libvirt finds it by its alias and address), with the new requested
 * size, given back for the live guest.
 */
static bool lv_vmem_request(struct tiervm_monitor *m, const char *id,
			    uint64_t size, tiervm_error **errp)
{
	xmlNode *devs, *found = NULL;
	char *text = NULL;
	bool ok = false;
	xmlDoc *doc;

	if (migrating(m, "refuses a virtio-mem resize", "resize", errp))
		return false;
	if (!live_xml(m, &doc, &devs, errp))
		return false;
	for (xmlNode *d = devs ? devs->children : NULL; d && !found;
	     d = d->next) {
		char *a;

		if (!xml_is(d, "memory"))
			continue;
		a = alias_id(d);
		if (!strcmp(a, id))
			found = d;
		free(a);
	}
	if (found && xml_child(xml_child(found, "target"), "requested")) {
		xmlNode *req =
			xml_child(xml_child(found, "target"), "requested");
		xmlBuffer *buf = xmlBufferCreate();
		char *kib =
			xasprintf("%llu", (unsigned long long)(size / 1024));

		xmlNodeSetContent(req, (const xmlChar *)kib);
		xmlSetProp(req, (const xmlChar *)"unit",
			   (const xmlChar *)"KiB");
		xmlNodeDump(buf, doc, found, 0, 0);
		text = xstrdup((const char *)xmlBufferContent(buf));
		xmlBufferFree(buf);
		free(kib);
	}
	xmlFreeDoc(doc);
	if (!text) {
		tiervm_error_set(errp, TIERVM_E_INPUT,
				 "the domain has no virtio-mem device '%s'",
				 id);
		return false;
	}
	ok = virDomainUpdateDeviceFlags(lv(m)->dom, text,
					VIR_DOMAIN_AFFECT_LIVE) == 0;
	if (!ok)
		lv_error(errp, TIERVM_E_FAIL, "the virtio-mem update");
	free(text);
	return ok;
}

/*
 * libvirt turns QEMU's MEMORY_DEVICE_SIZE_CHANGE into the domain's
 * <current>; a change seen there is the event, stamped when seen.
 */
static json_object *lv_size_event(struct tiervm_monitor *m, int timeout_ms,
				  tiervm_error **errp)
{
	for (long long end = tiervm_now_ms() + timeout_ms;;) {
		json_object *devs = lv_memory_devices(m, errp);

		if (!devs)
			return NULL;
		for (size_t i = 0; i < json_object_array_length(devs); i++) {
			json_object *data = json_object_object_get(
					    json_object_array_get_idx(devs, i),
					    "data"),
				    *size = json_object_object_get(data,
								   "size"),
				    *was;
			const char *id = json_object_get_string(
				json_object_object_get(data, "id"));
			long long us;

			if (json_object_object_get_ex(lv(m)->seen, id, &was) &&
			    json_object_get_int64(was) ==
				    json_object_get_int64(size))
				continue;
			json_object_object_add(lv(m)->seen, id,
					       json_object_get(size));
			us = tiervm_now_us();
			{
				json_object *ev = json_object_new_object(),
					    *ts = json_object_new_object(),
					    *d = json_object_new_object();

				json_object_object_add(
					d, "id", json_object_new_string(id));
				json_object_object_add(d, "size",
						       json_object_get(size));
				json_object_object_add(
					ts, "seconds",
					json_object_new_int64(us / 1000000));
				json_object_object_add(
					ts, "microseconds",
					json_object_new_int64(us % 1000000));
				json_object_object_add(ev, "data", d);
				json_object_object_add(ev, "timestamp", ts);
				json_object_put(devs);
				return ev;
			}
		}
		json_object_put(devs);
		if (tiervm_interrupted || tiervm_now_ms() > end)
			return NULL;
		usleep(20 * 1000);
	}
}

/*
 * libvirt's QEMU opens the backing file by its path: the lock tiervm
 * holds covers the check and the plug, not the guest's life after.
 */
static bool lv_nvdimm_plug(struct tiervm_monitor *m,
			   const struct tiervm_nvdimm *nv, bool on_dax,
			   int lock_fd, tiervm_error **errp)
{
	char *xml;
	bool ok;

	if (migrating(m, "refuses a hot-plug", "attach", errp))
		return false;
	xml = tiervm_libvirt_nvdimm_xml(nv, NULL, on_dax, errp);
	if (!xml)
		return false;
	ok = virDomainAttachDeviceFlags(lv(m)->dom, xml,
					VIR_DOMAIN_AFFECT_LIVE) == 0;
	if (!ok)
		lv_error(errp, TIERVM_E_FAIL, "the NVDIMM hot-plug");
	free(xml);
	return ok;
}

static bool lv_nvdimm_plug_own(struct tiervm_monitor *m,
			       const struct tiervm_vm *vm,
			       const struct tiervm_nvdimm *nv, char **where,
			       bool *created, tiervm_error **errp)
{
	virStoragePoolPtr pool = tiervm_pool(lv(m)->conn, errp);
	struct tiervm_nv_volume v = { 0 };
	char uuid[VIR_UUID_STRING_BUFLEN] = "", *key = NULL, *xml = NULL;
	bool ok = false;

	if (!pool)
		return false;
	if (migrating(m, "refuses a hot-plug", "attach", errp)) {
		virStoragePoolFree(pool);
		return false;
	}
	virDomainGetUUIDString(lv(m)->dom, uuid);
	key = xasprintf("attach %s nvdimm id=%s", vm->name, nv->id);
	if (!tiervm_nv_volume_get(pool, vm->name, nv->id, uuid,
				  tiervm_nvdimm_backing_size(nv),
				  nv->label_size, true, key, &v, errp))
		goto out;
	*created = v.fresh;
	xml = tiervm_libvirt_nvdimm_xml(nv, v.path, false, errp);
	ok = xml && virDomainAttachDeviceFlags(lv(m)->dom, xml,
					       VIR_DOMAIN_AFFECT_LIVE) == 0;
	if (xml && !ok)
		lv_error(errp, TIERVM_E_FAIL, "the NVDIMM hot-plug");
	/* a volume this call made and no guest saw holds nothing */
	if (!ok)
		tiervm_nv_volume_drop(pool, &v);
	else
		*where = xasprintf("volume %s on that host", v.path);
out:
	virStoragePoolFree(pool);
	free(v.path);
	free(key);
	free(xml);
	return ok;
}

static bool lv_powerdown(struct tiervm_monitor *m, tiervm_error **errp)
{
	if (virDomainShutdownFlags(lv(m)->dom,
				   VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN) == 0)
		return true;
	lv_error(errp, TIERVM_E_FAIL, "the ACPI power button");
	return false;
}

static bool lv_quit(struct tiervm_monitor *m, tiervm_error **errp)
{
	if (virDomainDestroy(lv(m)->dom) == 0)
		return true;
	lv_error(errp, TIERVM_E_FAIL, "destroying the domain");
	return false;
}

const struct tiervm_engine tiervm_engine_libvirt = {
	.name = "libvirt",
	.restore_keeps_name = true,
	.start = lv_start,
	.argv = tiervm_lv_argv,
	.snapshot = tiervm_lv_snapshot,
	.running = lv_running,
	.wait_exit = lv_wait_exit,
	.kill = lv_kill,
	.monitor_open = lv_monitor_open,
	.monitor_close = lv_monitor_close,
	.memory_devices = lv_memory_devices,
	.vmem_request = lv_vmem_request,
	.size_event = lv_size_event,
	.nvdimm_plug = lv_nvdimm_plug,
	.nvdimm_plug_own = lv_nvdimm_plug_own,
	.migrate = tiervm_lv_migrate,
	.powerdown = lv_powerdown,
	.quit = lv_quit,
};
