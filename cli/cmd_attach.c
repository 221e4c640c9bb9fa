// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * tiervm attach NAME nvdimm KEY=VALUE...: hot-plug an NVDIMM into a running
 * guest.  The new device is checked like a spec entry (the same keys and
 * rules, against the spec the guest was started with), then against the
 * room QEMU has left (DIMM slots, maxmem), before anything is created.
 * The backing file gets the same care as at boot: created only if absent,
 * never resized, locked for as long as QEMU runs (QEMU keeps the locked fd,
 * passed with getfd).  Then object-add, device_add, and the probe
 * provisions the new region as the entry's mode asks.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json_util.h"
#include "nvdimm.h"
#include "plan.h"
#include "qmp.h"
#include "tiervm.h"
#include "units.h"
#include "util.h"
#include "vm.h"

#define QMP_TIMEOUT 10000
#define WHO "attach arguments"

/* The spec the guest was started with (spec.json, written by `up`). */
static struct tiervm_spec *started_spec_with(struct tiervm_vm *vm, char **kv,
					     unsigned n_kv, tiervm_error **errp)
{
	char *path = tiervm_vm_path(vm, "spec.json");
	json_object *o = json_object_from_file(path);
	const char *origin = jstr(o, "origin", NULL),
		   *text = jstr(o, "text", NULL);
	struct tiervm_spec *s = NULL;

	if (!origin || !text)
		tiervm_error_setg(
			errp,
			"%s is missing: '%s' was not started by this tiervm",
			path, vm->name);
	else
		s = tiervm_spec_parse_with_item(origin, text, strlen(text),
						"nvdimms", kv, n_kv, WHO, errp);
	json_object_put(o);
	free(path);
	if (s) {
		/* from here on, messages are about the command line */
		free(s->file);
		s->file = xstrdup(WHO);
	}
	return s;
}

/*
 * Relative paths on the command line start in the working directory, not
 * in the spec's: rewrite path=REL before the spec parser sees it.
 */
static void absolute_paths(char **kv, unsigned n)
{
	char *cwd = getcwd(NULL, 0);

	for (unsigned i = 0; cwd && i < n; i++)
		if (!strncmp(kv[i], "path=", 5) && kv[i][5] &&
		    kv[i][5] != '/') {
			char *abs = xasprintf("path=%s/%s", cwd, kv[i] + 5);

			free(kv[i]);
			kv[i] = abs;
		}
	free(cwd);
}

/*
 * Room left: DIMM slots and maxmem as planned at start (plan.json), minus
 * what the running QEMU has plugged.  QEMU would refuse too, but after the
 * backing file was created; this refuses before.
 */
static bool check_room(struct tiervm_vm *vm, struct tiervm_qmp *q,
		       const struct tiervm_nvdimm *nv, tiervm_error **errp)
{
	char *path = tiervm_vm_path(vm, "plan.json");
	json_object *plan = json_object_from_file(path), *devs;
	long long slots = jint(plan, "slots", 0),
		  room = jint(plan, "maxmem", 0) - jint(plan, "ram", 0),
		  used_slots = 0, used = 0;
	uint64_t need = tiervm_nvdimm_backing_size(nv);
	bool ok = false;

	free(path);
	devs = tiervm_qmp_execute(q, "query-memory-devices", NULL, QMP_TIMEOUT,
				  errp);
	if (!devs)
		goto out;
	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		json_object *d = json_object_array_get_idx(devs, i),
			    *data = jget(d, "data");
		const char *type = jstr(d, "type", "");

		if (!strcmp(jstr(data, "id", ""), nv->id)) {
			tiervm_error_set(
				errp, TIERVM_E_INPUT,
				WHO ": id: '%s' is already a device of '%s'",
				nv->id, vm->name);
			goto out;
		}
		if (!strcmp(type, "virtio-mem")) {
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

static json_object *name_arg(const char *key, const char *value)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, key, json_object_new_string(value));
	return o;
}

/* Undo a failed hot-plug: what QEMU got, and a file this call made. */
static void roll_back(struct tiervm_qmp *q, const struct tiervm_nvdimm *nv,
		      bool backend, bool created)
{
	char *bid = xasprintf("tiervm-nv-%s", nv->id),
	     *lock = xasprintf("tiervm-lock-%s", nv->id);

	if (backend)
		json_object_put(tiervm_qmp_execute(q, "object-del",
						   name_arg("id", bid),
						   QMP_TIMEOUT, NULL));
	json_object_put(tiervm_qmp_execute(
		q, "closefd", name_arg("fdname", lock), QMP_TIMEOUT, NULL));
	if (created) {
		char *record = tiervm_nvdimm_record_path(nv->path);

		/* made a moment ago and never seen by a guest: no user data */
		unlink(record);
		unlink(nv->path);
		free(record);
	}
	free(bid);
	free(lock);
}

static bool hot_plug(struct tiervm_qmp *q, const struct tiervm_nvdimm *nv,
		     bool on_dax, int lock_fd, bool created,
		     tiervm_error **errp)
{
	char *lock = xasprintf("tiervm-lock-%s", nv->id);
	json_object *backend, *device, *r;

	tiervm_nvdimm_qmp_args(nv, on_dax, &backend, &device);
	r = tiervm_qmp_execute_fd(q, "getfd", name_arg("fdname", lock), lock_fd,
				  QMP_TIMEOUT, errp);
	free(lock);
	if (!r) {
		roll_back(q, nv, false, created);
		goto fail_nothing;
	}
	json_object_put(r);
	r = tiervm_qmp_execute(q, "object-add", backend, QMP_TIMEOUT, errp);
	backend = NULL;
	if (!r) {
		roll_back(q, nv, false, created);
		goto fail_nothing;
	}
	json_object_put(r);
	r = tiervm_qmp_execute(q, "device_add", device, QMP_TIMEOUT, errp);
	if (!r) {
		roll_back(q, nv, true, created);
		return false;
	}
	json_object_put(r);
	return true;
fail_nothing:
	json_object_put(backend);
	json_object_put(device);
	return false;
}

/* The guest node the kmem memory joined, as the probe sees it now. */
static void print_node(struct tiervm_vm *vm, unsigned node)
{
	tiervm_error *err = NULL;
	json_object *rep = tiervm_probe_report(vm, 60000, NULL, NULL, &err),
		    *nodes = jget(jget(rep, "guest"), "nodes"), *mine = NULL;
	long long dram_tier = -1, tier;

	if (!rep) {
		report(err);
		return;
	}
	for (size_t i = 0; nodes && i < json_object_array_length(nodes); i++) {
		json_object *n = json_object_array_get_idx(nodes, i);

		if (jint(n, "id", -1) == node)
			mine = n;
		if (dram_tier < 0 && *jstr(n, "cpus", ""))
			dram_tier = jint(n, "tier", -1);
	}
	tier = jint(mine, "tier", -1);
	printf("node %u: %lld MiB online, memory tier %lld%s (DRAM: tier %lld)\n",
	       node, jint(mine, "memory", 0) >> 20, tier,
	       tier > dram_tier && dram_tier >= 0 ? ", below DRAM" : "",
	       dram_tier);
	json_object_put(rep);
}

int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct tiervm_vm *vm = NULL;
	struct tiervm_spec *spec = NULL;
	struct tiervm_qmp *q = NULL;
	const struct tiervm_nvdimm *nv;
	tiervm_error *err = NULL;
	char **kv = NULL;
	unsigned n_kv;
	long timeout_s = 60;
	int c, lock_fd = -1, rc = EXIT_FAIL;
	bool created = false, on_dax;

	while ((c = getopt_long(argc, argv, "+t:", opts, NULL)) != -1) {
		if (c == 't') {
			if (opt_seconds(optarg, &timeout_s) != EXIT_OK)
				return EXIT_USAGE;
		} else {
			return EXIT_USAGE;
		}
	}
	if (argc - optind < 3 || strcmp(argv[optind + 1], "nvdimm"))
		return usage_error(
			"usage: tiervm attach NAME nvdimm id=ID size=SIZE path=FILE [node=N] [label-size=S] [mode=raw|fsdax|devdax|kmem] [pmem=..] [readonly=..]");
	n_kv = (unsigned)(argc - optind - 2);
	kv = xcalloc(n_kv, sizeof(*kv));
	for (unsigned i = 0; i < n_kv; i++)
		kv[i] = xstrdup(argv[optind + 2 + i]);
	absolute_paths(kv, n_kv);

	vm = tiervm_vm_open_running(argv[optind], &err);
	if (!vm)
		goto fail;
	spec = started_spec_with(vm, kv, n_kv, &err);
	if (!spec)
		goto fail;
	nv = &spec->nvdimms[spec->n_nvdimms - 1];
	q = tiervm_vm_qmp(vm, &err);
	if (!q || !check_room(vm, q, nv, &err))
		goto fail;
	{
		struct stat st;

		on_dax = stat(nv->path, &st) == 0 && S_ISCHR(st.st_mode);
	}
	if (tiervm_nvdimm_pmem_refusal(nv, on_dax)) {
		tiervm_error_set(&err, TIERVM_E_INPUT, WHO ": %s; '%s' is not",
				 tiervm_nvdimm_pmem_refusal(nv, on_dax),
				 nv->path);
		goto fail;
	}
	lock_fd = tiervm_nvdimm_prepare(spec, nv, &created, &err);
	if (lock_fd < 0)
		goto fail;
	if (!hot_plug(q, nv, on_dax, lock_fd, created, &err))
		goto fail;
	/* QEMU holds the lock now, through its copy of the fd */
	close(lock_fd);
	lock_fd = -1;
	{
		char *size = tiervm_format_size(nv->size);

		printf("%s: NVDIMM %s, %s, on guest node %u, backed by %s (%s)\n",
		       vm->name, nv->id, size, nv->has_node ? nv->node : 0,
		       nv->path, created ? "created" : "existing file");
		free(size);
	}

	{
		char *req = xasprintf("nvdimm-attach %s:%s:%s", nv->id,
				      tiervm_nv_mode_names[nv->mode],
				      created ? "new" : "old");
		json_object *r = tiervm_probe_call(
			vm, req, (int)timeout_s * 1000, NULL, NULL, &err);
		const char *status = jstr(r, "status", "no answer");

		free(req);
		if (!r)
			goto fail;
		printf("guest: %s %s, namespace %s mode %s%s%s: %s\n",
		       jstr(r, "id", ""), jstr(r, "region", "?"),
		       jstr(r, "namespace", "none"), jstr(r, "mode", "none"),
		       jstr(r, "chardev", NULL) ? ", " : "",
		       jstr(r, "chardev", ""), status);
		rc = !strcmp(status, "ok") ? EXIT_OK : EXIT_FAIL;
		if (rc != EXIT_OK)
			fprintf(stderr, "%s", jstr(r, "log", ""));
		json_object_put(r);
	}
	if (rc == EXIT_OK && nv->mode == TIERVM_NV_KMEM)
		print_node(vm, nv->has_node ? nv->node : 0);
	goto out;
fail:
	rc = report(err);
out:
	if (lock_fd >= 0)
		close(lock_fd);
	tiervm_qmp_close(q);
	tiervm_spec_free(spec);
	tiervm_vm_free(vm);
	for (unsigned i = 0; i < n_kv && kv; i++)
		free(kv[i]);
	free(kv);
	return rc;
}
