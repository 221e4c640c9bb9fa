// SPDX-License-Identifier: LGPL-2.1-or-later
/* The engine seam: which engine runs a guest, and what all of them share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "nvdimm.h"
#include "util.h"
#include "util_json.h"

static const struct tiervm_engine *const engines[] = {
	&tiervm_engine_qemu,
	&tiervm_engine_libvirt,
};

const struct tiervm_engine *tiervm_engine_find(const char *name,
					       tiervm_error **errp)
{
	for (size_t i = 0; i < ARRAY_SIZE(engines); i++)
		if (!strcmp(engines[i]->name, name))
			return engines[i];
	tiervm_error_set(errp, TIERVM_E_INPUT,
			 "no engine named '%s' (qemu or libvirt)", name);
	return NULL;
}

/* The engine recorded in the runtime dir; QEMU for dirs made before. */
static const struct tiervm_engine *recorded_engine(struct tiervm_vm *vm)
{
	char *path = tiervm_vm_path(vm, "engine");
	FILE *f = fopen(path, "re");
	char name[32] = "qemu";
	const struct tiervm_engine *e;

	free(path);
	if (f) {
		if (!fgets(name, sizeof(name), f))
			strcpy(name, "qemu");
		name[strcspn(name, "\n")] = '\0';
		fclose(f);
	}
	e = tiervm_engine_find(name, NULL);
	return e ? e : &tiervm_engine_qemu;
}

struct tiervm_vm *tiervm_engine_open(const char *name, bool must_run,
				     tiervm_error **errp)
{
	struct tiervm_vm *vm = tiervm_vm_new(name, errp);

	if (!vm)
		return NULL;
	vm->engine = recorded_engine(vm);
	if (must_run && !tiervm_engine_running(vm)) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"no running guest named '%s' (see `tiervm list`)",
			name);
		tiervm_vm_free(vm);
		return NULL;
	}
	return vm;
}

static bool record_engine(struct tiervm_vm *vm, tiervm_error **errp)
{
	char *path = tiervm_vm_path(vm, "engine");
	FILE *f = fopen(path, "wxe");
	bool ok = f && fprintf(f, "%s\n", vm->engine->name) > 0;

	if (f && fclose(f) != 0)
		ok = false;
	if (!ok)
		tiervm_error_setg(errp, "cannot write %s", path);
	free(path);
	return ok;
}

static void share_args(const struct tiervm_launch *l, struct sbuf *append);

/*
 * The shares for the agent: tiervm.root=1, tiervm.shares=HEX:rw|ro,...
 * (the guest paths hex-encoded: the kernel splits its arguments at spaces
 * and takes no quoting we could rely on).
 */
char *tiervm_engine_share_args(const struct tiervm_launch *l)
{
	struct sbuf b = { 0 };

	share_args(l, &b);
	return b.s ? b.s : xstrdup("");
}

static void share_args(const struct tiervm_launch *l, struct sbuf *append)
{
	if (l->host_root)
		sbuf_addf(append, " tiervm.root=1");
	for (unsigned i = 0; i < l->n_shares; i++) {
		sbuf_addf(append, "%s", i ? "," : " tiervm.shares=");
		for (const char *c = l->shares[i].guest; *c; c++)
			sbuf_addf(append, "%02x", (unsigned char)*c);
		sbuf_addf(append, ":%s", l->shares[i].ro ? "ro" : "rw");
	}
}

char *tiervm_engine_cmdline(const struct tiervm_launch *l, const bool *fresh)
{
	const struct tiervm_plan *plan = l->plan;
	const struct tiervm_spec *spec = plan->spec;
	struct sbuf append = { 0 };

	/*
	 * nokaslr: a randomly placed kernel image (some 44M with its data)
	 * lands on a random node below 4G and takes that much of its MemTotal;
	 * at 16M it is always on the node at address 0, as the check expects.
	 */
	/*
	 * cryptomgr.notests: the crypto API's self-tests of every algorithm
	 * at registration, half a second of a TCG boot (initcall_debug:
	 * crypto_kdf108_init 0.31 s, crypto_algapi_init 0.21 s); a test
	 * machine's guest is no place for FIPS assurance.
	 */
	sbuf_addf(&append, "console=ttyS0 panic=-1 nokaslr cryptomgr.notests");
	/* The probe learns which NVDIMM files are new: only those may be
	 * given a namespace. */
	for (unsigned i = 0; i < spec->n_nvdimms; i++)
		sbuf_addf(&append, "%s%s:%s:%s",
			  i ? "," : " tiervm.nvdimm=", spec->nvdimms[i].id,
			  spec->nvdimms[i].n_namespaces
				  ? "namespaces"
				  : tiervm_nv_mode_names[spec->nvdimms[i].mode],
			  fresh && fresh[i] ? "new" : "old");
	/* a warm start's shares come with the word to resume (probe.h):
	 * one snapshot serves every working directory */
	if (l->warm)
		sbuf_addf(&append, " tiervm.defer=1");
	else
		share_args(l, &append);
	for (size_t i = 0; i < plan->kernel_args.n; i++)
		sbuf_addf(&append, " %s", plan->kernel_args.v[i]);
	return append.s;
}

/*
 * A warm start: @l->warm keyed by the command line the engine would run,
 * and its snapshot restored when there is a whole one.  A state that does
 * not load is discarded, with a note, and the guest boots cold: false
 * only when what failed was not the state.
 */
static bool start_warm(const struct tiervm_engine *engine, struct tiervm_vm *vm,
		       struct tiervm_launch *l, tiervm_error **errp)
{
	char **argv = engine->argv(vm, l), *state;
	tiervm_error *err = NULL;

	if (!argv) {
		l->unkeyed = true;
		return true;
	}
	tiervm_snapshot_init(l->warm, engine->name, argv, vm->dir, vm->name,
			     l->img, l->plan);
	tiervm_strv_free_null(argv);
	if (!tiervm_snapshot_find(l->warm, &l->warm_note))
		return true;
	if (!tiervm_snapshot_check(l->warm, &l->warm_note))
		return true;
	state = xasprintf("%s/" TIERVM_SNAPSHOT_STATE, l->warm->dir);
	l->incoming = state;
	l->restored = engine->start(vm, l, &err);
	l->incoming = NULL;
	free(state);
	if (l->restored) {
		tiervm_snapshot_touch(l->warm);
		return true;
	}
	if (err->code != TIERVM_E_STATE) {
		tiervm_error_propagate(errp, err);
		return false;
	}
	l->warm_note = xasprintf("snapshot %s discarded: %s; booting cold",
				 l->warm->key, err->msg);
	tiervm_error_free(err);
	tiervm_snapshot_discard(l->warm);
	/* what the failed QEMU left in the runtime dir is stale */
	return tiervm_vm_make_dir(vm, errp) && record_engine(vm, errp);
}

bool tiervm_engine_start(const struct tiervm_engine *engine,
			 struct tiervm_vm *vm, struct tiervm_launch *request,
			 tiervm_error **errp)
{
	const struct tiervm_spec *spec = request->plan->spec;
	int *locks = xcalloc(spec->n_nvdimms + 1, sizeof(*locks));
	bool *fresh = xcalloc(spec->n_nvdimms + 1, sizeof(*fresh));
	struct tiervm_launch launch = *request;
	char *append = NULL;
	bool ok = false;

	for (unsigned i = 0; i < spec->n_nvdimms; i++)
		locks[i] = -1;
	vm->engine = engine;
	if (!tiervm_engine_not_running(vm, errp) ||
	    !tiervm_vm_make_dir(vm, errp) || !record_engine(vm, errp))
		goto out;
	/* each NVDIMM's backing file created or checked, then locked by an
	 * fd the engine hands to QEMU; another host's are the engine's */
	for (unsigned i = 0; i < spec->n_nvdimms && !launch.remote; i++) {
		locks[i] = tiervm_nvdimm_prepare(spec, &spec->nvdimms[i],
						 &fresh[i], errp);
		if (locks[i] < 0)
			goto out_remove;
	}
	if (!launch.remote)
		launch.append = append = tiervm_engine_cmdline(&launch, fresh);
	launch.nv_locks = locks;
	if (launch.warm && !start_warm(engine, vm, &launch, errp))
		goto out_remove;
	if (!launch.restored && !engine->start(vm, &launch, errp))
		goto out_remove;
	request->uploaded_to = launch.uploaded_to;
	request->uploaded = launch.uploaded;
	request->restored = launch.restored;
	request->unkeyed = launch.unkeyed;
	request->warm_note = launch.warm_note;
	request->start_ms = launch.start_ms;
	request->load_ms = launch.load_ms;
	ok = true;
	goto out;
out_remove:
	tiervm_vm_remove_dir(vm);
out:
	for (unsigned i = 0; i < spec->n_nvdimms; i++)
		if (locks[i] >= 0)
			close(locks[i]);
	free(locks);
	free(fresh);
	free(append);
	return ok;
}

bool tiervm_engine_not_running(struct tiervm_vm *vm, tiervm_error **errp)
{
	if (!tiervm_engine_running(vm))
		return true;
	tiervm_error_set(
		errp, TIERVM_E_INPUT,
		"a guest named '%s' is already running (QEMU pid %ld); `tiervm down %s` first",
		vm->name, (long)vm->pid, vm->name);
	return false;
}

bool tiervm_engine_running(struct tiervm_vm *vm)
{
	return vm->engine->running(vm);
}

bool tiervm_engine_wait_exit(struct tiervm_vm *vm, int timeout_ms)
{
	return vm->engine->wait_exit(vm, timeout_ms);
}

void tiervm_engine_kill(struct tiervm_vm *vm, int grace_ms)
{
	vm->engine->kill(vm, grace_ms);
}

struct tiervm_monitor *tiervm_engine_monitor(struct tiervm_vm *vm,
					     tiervm_error **errp)
{
	return vm->engine->monitor_open(vm, errp);
}

void tiervm_monitor_close(struct tiervm_monitor *m)
{
	if (m)
		m->engine->monitor_close(m);
}
