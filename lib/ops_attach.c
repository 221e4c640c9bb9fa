// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * tiervm_attach: hot-plug an NVDIMM into a running guest.  The new device
 * is checked like a spec entry (the same keys and rules, against the spec
 * the guest was started with), then against the room left (DIMM slots,
 * maxmem), before anything is created.  The backing file gets the same
 * care as at boot: created only if absent, never resized, locked for as
 * long as QEMU runs (QEMU keeps the locked fd).  Then the engine plugs it
 * and the probe provisions the new region as the entry's mode asks.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "counts.h"
#include "engine.h"
#include "nvdimm.h"
#include "ops.h"
#include "timeouts.h"
#include "units.h"
#include "util.h"
#include "util_json.h"

#define WHO "attach arguments"

/*
 * Relative paths on the command line start in the working directory, not
 * in the spec's: path=REL made absolute before the spec parser sees it.
 */
static char **absolute_paths(char *const *kv, unsigned n)
{
	char **out = xcalloc(n + 1, sizeof(*out));
	char *cwd = getcwd(NULL, 0);

	for (unsigned i = 0; i < n; i++)
		if (cwd && !strncmp(kv[i], "path=", 5) && kv[i][5] &&
		    kv[i][5] != '/')
			out[i] = xasprintf("path=%s/%s", cwd, kv[i] + 5);
		else
			out[i] = xstrdup(kv[i]);
	free(cwd);
	return out;
}

/* The spec the guest was started with (spec.json, written by up). */
static struct tiervm_spec *started_spec_with(struct tiervm_vm *vm,
					     const struct tiervm_attach_opts *o,
					     tiervm_error **errp)
{
	json_object *j = tiervm_vm_load_json(vm, "spec.json", errp);
	const char *origin = jstr(j, "origin", NULL),
		   *text = jstr(j, "text", NULL);
	char **kv = absolute_paths(o->kv, o->n_kv);
	struct tiervm_spec *s = NULL;

	if (j && (!origin || !text))
		tiervm_error_setg(errp, "'%s' has no spec.json of this tiervm",
				  vm->name);
	else if (j)
		s = tiervm_spec_parse_with_item(origin, text, strlen(text),
						"nvdimms", kv, o->n_kv, WHO,
						errp);
	json_object_put(j);
	tiervm_strv_free_null(kv);
	if (s) {
		/* from here on, messages are about the command line */
		free(s->file);
		s->file = xstrdup(WHO);
	}
	return s;
}

/*
 * Room left: DIMM slots and maxmem as planned at start (plan.json), minus
 * what the running guest has plugged.  QEMU would refuse too, but after
 * the backing file was created; this refuses before.
 */
static bool check_room(struct tiervm_vm *vm, struct tiervm_monitor *m,
		       const struct tiervm_nvdimm *nv, tiervm_error **errp)
{
	json_object *plan = tiervm_vm_load_json(vm, "plan.json", errp), *devs;
	long long slots = jint(plan, "slots", 0),
		  room = jint(plan, "maxmem", 0) - jint(plan, "ram", 0),
		  used_slots = 0, used = 0;
	uint64_t need = tiervm_nvdimm_backing_size(nv);
	bool ok = false;

	if (!plan || !(devs = m->engine->memory_devices(m, errp))) {
		json_object_put(plan);
		return false;
	}
	for (size_t i = 0; i < jlen(devs); i++) {
		json_object *d = jidx(devs, i), *data = jget(d, "data");

		if (!strcmp(jstr(data, "id", ""), nv->id)) {
			tiervm_error_set(
				errp, TIERVM_E_INPUT,
				WHO ": id: '%s' is already a device of '%s'",
				nv->id, vm->name);
			goto out;
		}
		if (!strcmp(jstr(d, "type", ""), "virtio-mem")) {
			used += jint(data, "max-size", 0);
		} else {
			used_slots++;
			used += jint(data, "size", 0);
		}
	}
	if (used_slots >= slots) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			WHO
			": '%s' has no free DIMM slot (%lld of %lld used): start it with more machine.hotplug.slots",
			vm->name, used_slots, slots);
	} else if ((long long)need > room - used) {
		char *sz = tiervm_format_size(nv->size),
		     *lb = tiervm_format_size(nv->label_size),
		     *r = tiervm_format_size(
			     (uint64_t)(room - used > 0 ? room - used : 0));

		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			WHO
			": size: %s needs %s + %s (label) of hot-plug memory; '%s' has %s left (machine.hotplug.memory)",
			nv->id, sz, lb, vm->name, r);
		free(sz);
		free(lb);
		free(r);
	} else {
		ok = true;
	}
out:
	json_object_put(devs);
	json_object_put(plan);
	return ok;
}

/* A file this call made and no guest has seen: no user data in it. */
static void remove_created(const struct tiervm_nvdimm *nv)
{
	char *record = tiervm_nvdimm_record_path(nv->path);

	unlink(record);
	unlink(nv->path);
	free(record);
}

/* The guest node the kmem memory joined, as the probe sees it now. */
static bool read_node(struct tiervm_vm *vm, struct tiervm_attach_result *res,
		      tiervm_error **errp)
{
	json_object *rep = tiervm_probe_nodes(vm, errp),
		    *nodes = jget(jget(rep, "guest"), "nodes"),
		    *mine = jfind_id(nodes, res->node);

	if (!rep)
		return false;
	res->dram_tier = -1;
	for (size_t i = 0; nodes && i < jlen(nodes); i++) {
		json_object *n = jidx(nodes, i);

		if (res->dram_tier < 0 && *jstr(n, "cpus", ""))
			res->dram_tier = jint(n, "tier", -1);
	}
	res->tier = jint(mine, "tier", -1);
	res->node_mem = jint(mine, "memory", 0);
	json_object_put(rep);
	return true;
}

/* The probe makes the new region what the entry's mode asks. */
static bool provision(struct tiervm_vm *vm, const struct tiervm_nvdimm *nv,
		      int timeout_ms, struct tiervm_attach_result *res,
		      tiervm_error **errp)
{
	char *req = xasprintf("nvdimm-attach %s:%s:%s", nv->id,
			      tiervm_nv_mode_names[nv->mode],
			      res->created ? "new" : "old");

	res->guest = tiervm_probe_call(vm, req, timeout_ms, NULL, NULL, errp);
	free(req);
	if (!res->guest)
		return false;
	res->guest_ok = !strcmp(jstr(res->guest, "status", ""), "ok");
	return !res->guest_ok || !res->kmem || read_node(vm, res, errp);
}

static bool plug(struct tiervm_vm *vm, const struct tiervm_spec *spec,
		 const struct tiervm_nvdimm *nv,
		 struct tiervm_attach_result *res, tiervm_error **errp)
{
	struct tiervm_monitor *m = tiervm_engine_monitor(vm, errp);
	int lock_fd = -1;
	bool on_dax, ok = false;
	struct stat st;

	if (!m || !check_room(vm, m, nv, errp))
		goto out;
	if (m->own_backing && tiervm_nvdimm_pmem_refusal(nv, false)) {
		tiervm_error_set(errp, TIERVM_E_INPUT,
				 WHO
				 ": %s; a volume on the guest's host is not",
				 tiervm_nvdimm_pmem_refusal(nv, false));
		goto out;
	}
	if (m->own_backing) {
		free(res->path);
		res->path = NULL;
		ok = res->plugged = m->engine->nvdimm_plug_own(
			m, vm, nv, &res->path, &res->created, errp);
		goto out;
	}
	on_dax = stat(nv->path, &st) == 0 && S_ISCHR(st.st_mode);
	if (tiervm_nvdimm_pmem_refusal(nv, on_dax)) {
		tiervm_error_set(errp, TIERVM_E_INPUT, WHO ": %s; '%s' is not",
				 tiervm_nvdimm_pmem_refusal(nv, on_dax),
				 nv->path);
		goto out;
	}
	lock_fd = tiervm_nvdimm_prepare(spec, nv, &res->created, errp);
	if (lock_fd < 0)
		goto out;
	ok = m->engine->nvdimm_plug(m, nv, on_dax, lock_fd, errp);
	if (!ok && res->created)
		remove_created(nv);
	res->plugged = ok;
	/* a counting guest's plugin learns where the new NVDIMM sits */
	if (ok && vm->engine->counts) {
		json_object *devs = m->engine->memory_devices(m, errp);

		ok = devs && tiervm_counts_place(vm, devs, errp);
		json_object_put(devs);
	}
out:
	/* on success QEMU holds the lock now, through its copy of the fd */
	if (lock_fd >= 0)
		close(lock_fd);
	tiervm_monitor_close(m);
	return ok;
}

bool tiervm_attach(const struct tiervm_attach_opts *o,
		   struct tiervm_attach_result *res, tiervm_error **errp)
{
	struct tiervm_vm *vm = tiervm_engine_open(o->name, true, errp);
	struct tiervm_spec *spec = NULL;
	const struct tiervm_nvdimm *nv;
	bool ok = false;

	memset(res, 0, sizeof(*res));
	if (!vm || !(spec = started_spec_with(vm, o, errp)))
		goto out;
	nv = &spec->nvdimms[spec->n_nvdimms - 1];
	res->id = xstrdup(nv->id);
	res->path = xstrdup(nv->path);
	res->size = nv->size;
	res->node = nv->has_node ? nv->node : 0;
	res->kmem = nv->mode == TIERVM_NV_KMEM;
	if (!plug(vm, spec, nv, res, errp))
		goto out;
	ok = provision(vm, nv,
		       o->timeout_ms ? o->timeout_ms
				     : TIERVM_TIMEOUT_HOTPLUG_MS,
		       res, errp);
out:
	tiervm_spec_free(spec);
	tiervm_vm_free(vm);
	return ok;
}

void tiervm_attach_result_clear(struct tiervm_attach_result *res)
{
	free(res->id);
	free(res->path);
	json_object_put(res->guest);
	memset(res, 0, sizeof(*res));
}
