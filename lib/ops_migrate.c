// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * tiervm_migrate: a running guest moved live to another libvirt host.
 * The spec it was started with is planned again for the destination's
 * memory (its inventory read through the connection), so every binding
 * by kind or by host node is resolved there, and what cannot work is
 * refused before anything moves.  The guest's own view, as its probe
 * reports it, is taken before and after: the move is verified when
 * nothing the guest sees has changed.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "host.h"
#include "ops.h"
#include "ops_internal.h"
#include "probe.h"
#include "qemu_caps.h"
#include "timeouts.h"
#include "util.h"
#include "util_json.h"

static struct tiervm_spec *started_spec(struct tiervm_vm *vm,
					tiervm_error **errp)
{
	json_object *j = tiervm_vm_load_json(vm, "spec.json", errp);
	const char *origin = jstr(j, "origin", NULL),
		   *text = jstr(j, "text", NULL);
	struct tiervm_spec *s = NULL;

	if (j && (!origin || !text))
		tiervm_error_setg(errp, "'%s' has no spec.json of this tiervm",
				  vm->name);
	else if (j)
		s = tiervm_spec_parse_string(origin, text, strlen(text), true,
					     errp);
	json_object_put(j);
	return s;
}

/* The spec for the destination's memory: its own QEMU caps, its host. */
static struct tiervm_plan *plan_there(struct tiervm_spec *spec, const char *uri,
				      tiervm_error **errp)
{
	struct tiervm_qemu_caps *caps = xcalloc(1, sizeof(*caps));
	struct tiervm_host *host = tiervm_host_from_libvirt(uri, errp);
	struct tiervm_plan *plan = NULL;

	if (host && tiervm_qemu_probe(caps, errp))
		plan = tiervm_plan_build(spec, caps, host, errp);
	tiervm_host_free(host);
	if (plan) {
		plan->own_caps = true;
		return plan;
	}
	tiervm_qemu_caps_clear(caps);
	free(caps);
	return NULL;
}

/* What the guest sees, per node and device, that a move must not change. */
static const char *const node_keys[] = { "cpus",      "memory", "kind",	 "tier",
					 "distances", "access", "caches" };
static const char *const top_keys[] = { "nvdimms", "cxl", "soft_reserved" };

static void compare(json_object *before, json_object *after,
		    struct strv *changes)
{
	json_object *bn = jget(jget(before, "guest"), "nodes"),
		    *an = jget(jget(after, "guest"), "nodes");

	if (jlen(bn) != jlen(an))
		strv_pushf(changes, "guest nodes: %zu before, %zu after",
			   jlen(bn), jlen(an));
	for (size_t i = 0; i < jlen(bn); i++) {
		json_object *b = jidx(bn, i),
			    *a = jfind_id(an, jint(b, "id", -1));

		for (size_t k = 0; a && k < ARRAY_SIZE(node_keys); k++)
			if (!json_object_equal(jget(b, node_keys[k]),
					       jget(a, node_keys[k])))
				strv_pushf(changes, "node %lld %s: %s -> %s",
					   jint(b, "id", -1), node_keys[k],
					   json_object_to_json_string(
						   jget(b, node_keys[k])),
					   json_object_to_json_string(
						   jget(a, node_keys[k])));
	}
	for (size_t k = 0; k < ARRAY_SIZE(top_keys); k++)
		if (!json_object_equal(jget(before, top_keys[k]),
				       jget(after, top_keys[k])))
			strv_pushf(changes, "%s changed", top_keys[k]);
}

/* virtio-mem and NVDIMM devices as the monitor has them: id -> sizes. */
static json_object *devices(struct tiervm_vm *vm, tiervm_error **errp)
{
	struct tiervm_monitor *m = tiervm_engine_monitor(vm, errp);
	json_object *list = m ? m->engine->memory_devices(m, errp) : NULL,
		    *out = list ? json_object_new_object() : NULL;

	for (size_t i = 0; list && i < jlen(list); i++) {
		json_object *d = jget(jidx(list, i), "data"),
			    *sizes = json_object_new_object();

		json_object_object_add(sizes, "size",
				       json_object_get(jget(d, "size")));
		json_object_object_add(
			sizes, "requested",
			json_object_get(jget(d, "requested-size")));
		json_object_object_add(sizes, "node",
				       json_object_get(jget(d, "node")));
		json_object_object_add(out, jstr(d, "id", "?"), sizes);
	}
	json_object_put(list);
	tiervm_monitor_close(m);
	return out;
}

/* The spec planned for this host's memory, as plan_there() does. */
static struct tiervm_plan *plan_here(const struct tiervm_spec *spec,
				     tiervm_error **errp)
{
	struct tiervm_qemu_caps *caps = xcalloc(1, sizeof(*caps));
	struct tiervm_host *host = tiervm_host_discover("/", errp);
	struct tiervm_plan *plan = NULL;

	if (host && tiervm_qemu_probe(caps, errp))
		plan = tiervm_plan_build(spec, caps, host, errp);
	tiervm_host_free(host);
	if (plan) {
		plan->own_caps = true;
		return plan;
	}
	tiervm_qemu_caps_clear(caps);
	free(caps);
	return NULL;
}

static bool is_backend(const struct strv *argv, size_t i)
{
	return i && !strcmp(argv->v[i - 1], "-object") &&
	       !strncmp(argv->v[i], "memory-backend-", 15);
}

/*
 * Whether two plans differ in their memory backends' host binding alone:
 * everything else QEMU is given, and the kernel's arguments, the same.
 * Else an input error naming the first difference in @b's spec.
 */
static bool binding_only(const struct tiervm_plan *a,
			 const struct tiervm_plan *b, tiervm_error **errp)
{
	size_t i = 0, j = 0;
	const char *diff = NULL;

	for (;;) {
		while (i < a->argv.n && is_backend(&a->argv, i))
			i++;
		while (j < b->argv.n && is_backend(&b->argv, j))
			j++;
		if (i == a->argv.n || j == b->argv.n)
			break;
		if (strcmp(a->argv.v[i], b->argv.v[j])) {
			diff = b->argv.v[j];
			break;
		}
		i++;
		j++;
	}
	if (!diff && (i != a->argv.n || j != b->argv.n))
		diff = j < b->argv.n ? b->argv.v[j] : "fewer QEMU arguments";
	for (size_t k = 0; !diff && k < a->kernel_args.n; k++)
		if (k >= b->kernel_args.n ||
		    strcmp(a->kernel_args.v[k], b->kernel_args.v[k]))
			diff = "the kernel's arguments";
	if (!diff && a->kernel_args.n != b->kernel_args.n)
		diff = "the kernel's arguments";
	if (!diff)
		return true;
	tiervm_error_set(
		errp, TIERVM_E_INPUT,
		"%s: changes what the guest sees, not only where its memory is (%s): --rebind changes `host:` bindings alone",
		b->spec->file, diff);
	return false;
}

static bool refuse_cxl(const struct tiervm_spec *spec, tiervm_error **errp)
{
	if (!spec->n_cxls)
		return true;
	tiervm_error_set(
		errp, TIERVM_E_INPUT,
		"%s:%d: cxl.devices.%s: QEMU's cxl-type3 device has no migration state, so a guest with CXL memory cannot move live: `tiervm down` it here and `tiervm up` it there",
		spec->file, spec->cxls[0].line, spec->cxls[0].id);
	return false;
}

/*
 * A move that failed once started: libvirt resumes the guest where it
 * was, and the guest's view there is checked before saying so.
 */
static void stayed(struct tiervm_vm *vm, json_object *before,
		   json_object *dev_before, int wait, tiervm_error *err,
		   tiervm_error **errp)
{
	struct strv changes = { 0 };
	json_object *after, *dev_after = NULL;

	if (err->code == TIERVM_E_INPUT) {
		tiervm_error_propagate(errp, err);
		return;
	}
	after = tiervm_probe_report(vm, wait, NULL, NULL, NULL);
	if (after && (dev_after = devices(vm, NULL))) {
		compare(before, after, &changes);
		if (!json_object_equal(dev_before, dev_after))
			strv_pushf(&changes, "memory devices");
	}
	tiervm_error_set(errp, err->code, "%s; '%s' %s", err->msg, vm->name,
			 !after || !dev_after
				 ? "did not answer where it was afterwards"
			 : changes.n ? "runs where it was, but its view changed"
				     : "runs where it was, verified");
	tiervm_error_free(err);
	json_object_put(after);
	json_object_put(dev_after);
	strv_free(&changes);
}

/* The memory verified before and after, around engine's @move. */
static bool
verified_move(struct tiervm_vm *vm, const struct tiervm_migrate_opts *o,
	      struct tiervm_migration *mig,
	      bool (*move)(struct tiervm_vm *, struct tiervm_migration *,
			   tiervm_error **),
	      const char *stage, struct tiervm_migrate_result *res,
	      tiervm_error **errp);

/*
 * --rebind: the plan for the new binding must differ from the running
 * one's in host binding alone; the guest's view is then compared as for
 * a move to another host, and spec.json takes the new spec.
 */
static bool rebind(struct tiervm_vm *vm, const struct tiervm_migrate_opts *o,
		   struct tiervm_migrate_result *res, tiervm_error **errp)
{
	struct tiervm_spec *was = NULL, *now = NULL;
	struct tiervm_plan *a = NULL, *b = NULL;
	struct tiervm_migration mig = { 0 };
	bool ok = false;

	if (!vm->engine->rebind) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"'%s' runs on libvirt, which keeps one domain per host: `tiervm migrate %s URI` moves it to another host, bound there",
			vm->name, vm->name);
		return false;
	}
	if (!(was = started_spec(vm, errp)) || !refuse_cxl(was, errp))
		goto out;
	now = o->spec_file ? tiervm_spec_parse(o->spec_file, errp)
			   : started_spec(vm, errp);
	if (!now)
		goto out;
	tiervm_progressf(o->progress, o->opaque,
			 "planning '%s' for this host's memory", vm->name);
	if (!(a = plan_here(was, errp)) || !(b = plan_here(now, errp)) ||
	    !binding_only(a, b, errp))
		goto out;
	mig.plan = b;
	ok = verified_move(vm, o, &mig, vm->engine->rebind,
			   "re-binding its memory", res, errp);
	if (ok && o->spec_file)
		tiervm_ops_save_spec(vm, now, NULL);
out:
	tiervm_plan_free(a);
	tiervm_plan_free(b);
	tiervm_spec_free(was);
	tiervm_spec_free(now);
	return ok;
}

static bool
verified_move(struct tiervm_vm *vm, const struct tiervm_migrate_opts *o,
	      struct tiervm_migration *mig,
	      bool (*move)(struct tiervm_vm *, struct tiervm_migration *,
			   tiervm_error **),
	      const char *stage, struct tiervm_migrate_result *res,
	      tiervm_error **errp)
{
	int wait = o->timeout_ms ? o->timeout_ms : TIERVM_TIMEOUT_HOTPLUG_MS;
	json_object *before, *after = NULL, *dev_before = NULL,
			     *dev_after = NULL;
	tiervm_error *err = NULL;
	bool ok = false;

	before = tiervm_probe_report(vm, wait, NULL, NULL, errp);
	if (!before || !(dev_before = devices(vm, errp)))
		goto out;
	tiervm_progressf(o->progress, o->opaque, "%s", stage);
	ok = move(vm, mig, &err);
	res->moved_ms = mig->moved_ms;
	res->uploaded = mig->uploaded;
	res->bindings = mig->bindings;
	if (!ok) {
		stayed(vm, before, dev_before, wait, err, errp);
		goto out;
	}
	res->moved = true;
	tiervm_progressf(o->progress, o->opaque, "verifying on arrival");
	after = tiervm_probe_report(vm, wait, NULL, NULL, errp);
	ok = after && (dev_after = devices(vm, errp));
	if (!ok)
		goto out;
	compare(before, after, &res->changes);
	if (!json_object_equal(dev_before, dev_after))
		strv_pushf(&res->changes, "memory devices: %s -> %s",
			   json_object_to_json_string(dev_before),
			   json_object_to_json_string(dev_after));
	tiervm_vm_save_json(vm, "report.json", after, NULL);
out:
	json_object_put(before);
	json_object_put(after);
	json_object_put(dev_before);
	json_object_put(dev_after);
	return ok;
}

bool tiervm_migrate(const struct tiervm_migrate_opts *o,
		    struct tiervm_migrate_result *res, tiervm_error **errp)
{
	struct tiervm_vm *vm = tiervm_engine_open(o->name, true, errp);
	struct tiervm_migration mig = { .uri = o->uri,
					.migrate_uri = o->migrate_uri };
	struct tiervm_spec *spec = NULL;
	struct tiervm_plan *plan = NULL;
	char *stage = NULL;
	bool ok = false;

	memset(res, 0, sizeof(*res));
	if (!vm || !tiervm_vm_lock_name(vm, errp))
		goto out;
	if (o->rebind) {
		ok = rebind(vm, o, res, errp);
		goto out;
	}
	if (!vm->engine->migrate) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"'%s' runs on tiervm's own engine: `tiervm migrate` moves guests of the libvirt engine (`tiervm up --engine libvirt`); `tiervm migrate %s --rebind` moves its memory to other nodes of this host",
			vm->name, vm->name);
		goto out;
	}
	if (!(spec = started_spec(vm, errp)) || !refuse_cxl(spec, errp))
		goto out;
	tiervm_progressf(o->progress, o->opaque,
			 "planning '%s' for %s's memory", vm->name, o->uri);
	if (!(plan = plan_there(spec, o->uri, errp)))
		goto out;
	plan->own_spec = true;
	spec = NULL;
	mig.plan = plan;
	stage = xasprintf("moving '%s' to %s", vm->name, o->uri);
	ok = verified_move(vm, o, &mig, vm->engine->migrate, stage, res, errp);
out:
	free(stage);
	tiervm_spec_free(spec);
	tiervm_plan_free(plan);
	tiervm_vm_free(vm);
	return ok;
}

void tiervm_migrate_result_clear(struct tiervm_migrate_result *res)
{
	strv_free(&res->bindings);
	strv_free(&res->changes);
	memset(res, 0, sizeof(*res));
}
