// SPDX-License-Identifier: LGPL-2.1-or-later
/* Reading running guests: status, list, and the probe asked directly. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "counts.h"
#include "engine.h"
#include "ops.h"
#include "timeouts.h"
#include "util.h"
#include "util_json.h"

bool tiervm_status(const char *name, json_object *last,
		   struct tiervm_status *st, tiervm_error **errp)
{
	struct tiervm_vm *vm = tiervm_engine_open(name, true, errp);
	struct tiervm_monitor *m = NULL;
	json_object *rep = NULL;
	bool ok = false;

	memset(st, 0, sizeof(*st));
	if (!vm || !(m = tiervm_engine_monitor(vm, errp)))
		goto out;
	st->memory_devices = m->engine->memory_devices(m, errp);
	if (!st->memory_devices)
		goto out;
	rep = tiervm_probe_nodes(vm, errp);
	if (!rep)
		goto out;
	st->nodes = json_object_get(jget(jget(rep, "guest"), "nodes"));
	st->tiering = json_object_get(jget(rep, "tiering"));
	st->demoted = jint(jget(rep, "guest"), "pgdemote", -1);
	st->promoted = jint(jget(rep, "guest"), "pgpromote", -1);
	st->name = xstrdup(vm->name);
	st->pid = (long)vm->pid;
	/* a guest started without counting has no counts file: no rates */
	st->counting = tiervm_counts_rates(vm, last, NULL);
	ok = true;
out:
	if (!ok)
		tiervm_status_clear(st);
	json_object_put(rep);
	tiervm_monitor_close(m);
	tiervm_vm_free(vm);
	return ok;
}

void tiervm_status_clear(struct tiervm_status *st)
{
	free(st->name);
	json_object_put(st->memory_devices);
	json_object_put(st->nodes);
	json_object_put(st->tiering);
	json_object_put(st->counting);
	memset(st, 0, sizeof(*st));
}

static json_object *guest_entry(struct tiervm_vm *vm)
{
	json_object *o = json_object_new_object(), *rep;
	char *path = tiervm_vm_path(vm, "engine");
	struct stat st;
	long uptime = -1;

	/* the runtime dir's engine record is written as the guest starts */
	if (stat(path, &st) == 0)
		uptime = (long)(time(NULL) - st.st_mtime);
	free(path);
	json_object_object_add(o, "name", json_object_new_string(vm->name));
	json_object_object_add(o, "pid", json_object_new_int64(vm->pid));
	json_object_object_add(o, "uptime_s", json_object_new_int64(uptime));
	rep = tiervm_vm_load_json(vm, "report.json", NULL);
	if (rep)
		json_object_object_add(
			o, "nodes",
			json_object_get(jget(jget(rep, "guest"), "nodes")));
	json_object_put(rep);
	return o;
}

/* @fn on every runtime dir's guest, in name order. */
static void for_each_guest(void (*fn)(struct tiervm_vm *vm, void *opaque),
			   void *opaque)
{
	char *base = tiervm_runtime_base();
	struct dirent **names = NULL;
	int n = scandir(base, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		struct tiervm_vm *vm = NULL;

		/* dot entries are not guests (.locks) */
		if (names[i]->d_name[0] != '.')
			vm = tiervm_engine_open(names[i]->d_name, false, NULL);
		if (vm)
			fn(vm, opaque);
		tiervm_vm_free(vm);
		free(names[i]);
	}
	free(names);
	free(base);
}

static void sweep_one(struct tiervm_vm *vm, void *opaque)
{
	(void)opaque;
	/* what another tiervm is starting holds its name's lock */
	if (!tiervm_engine_running(vm) && tiervm_vm_lock_name(vm, NULL))
		tiervm_vm_remove_dir(vm);
}

void tiervm_sweep_stale(void)
{
	for_each_guest(sweep_one, NULL);
}

static void list_one(struct tiervm_vm *vm, void *list)
{
	if (tiervm_engine_running(vm))
		json_object_array_add(list, guest_entry(vm));
}

json_object *tiervm_list(void)
{
	json_object *list = json_object_new_array();

	tiervm_sweep_stale();
	for_each_guest(list_one, list);
	return list;
}

json_object *tiervm_probe_ask(const char *name, const char *request,
			      tiervm_error **errp)
{
	struct tiervm_vm *vm;
	json_object *r;

	/* the probe reads lines of up to 255 bytes, padded to 16 */
	if (strchr(request, '\n') || strlen(request) > 40) {
		tiervm_error_set(errp, TIERVM_E_INPUT,
				 "a probe request is one short line");
		return NULL;
	}
	vm = tiervm_engine_open(name, true, errp);
	if (!vm)
		return NULL;
	r = tiervm_probe_call(vm, request, TIERVM_TIMEOUT_PROBE_CALL_MS, NULL,
			      NULL, errp);
	tiervm_vm_free(vm);
	return r;
}
