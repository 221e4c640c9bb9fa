// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * tiervm resize NAME DEVICE SIZE: set a virtio-mem device's requested size
 * and, unless --no-wait, follow it until QEMU's size and the guest node's
 * memory show it, reporting how long each took.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "qmp.h"
#include "tiervm.h"
#include "units.h"
#include "json_util.h"
#include "util.h"
#include "vm.h"

#define QMP_TIMEOUT 5000

/*
 * The device as planned (plan.json in the runtime dir): checking the size
 * against it needs no QMP, so a bad size is refused before QEMU is touched.
 */
static json_object *planned_device(struct tiervm_vm *vm, const char *id,
				   tiervm_error **errp)
{
	char *path = tiervm_vm_path(vm, "plan.json");
	json_object *plan = json_object_from_file(path), *devs, *found = NULL;
	struct sbuf names = { 0 };

	free(path);
	devs = jget(jget(plan, "expected"), "virtio_mem");
	for (size_t i = 0; devs && i < json_object_array_length(devs); i++) {
		json_object *d = json_object_array_get_idx(devs, i);
		const char *name = json_object_get_string(jget(d, "id"));

		if (!strcmp(name, id))
			found = json_object_get(d);
		sbuf_addf(&names, "%s%s", names.len ? ", " : "", name);
	}
	if (!plan)
		tiervm_error_setg(errp, "%s/plan.json is missing or unreadable",
				  vm->dir);
	else if (!found)
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"'%s' is not a virtio-mem device of '%s' (it has: %s)",
			id, vm->name, names.s ? names.s : "none");
	sbuf_free(&names);
	json_object_put(plan);
	return found;
}

static long long node_memory(struct tiervm_vm *vm, long long node,
			     tiervm_error **errp)
{
	json_object *rep = tiervm_probe_report(vm, 20000, NULL, NULL, errp),
		    *nodes;
	long long mem = -1;

	if (!rep)
		return -1;
	nodes = jget(jget(rep, "guest"), "nodes");
	for (size_t i = 0; nodes && i < json_object_array_length(nodes); i++) {
		json_object *n = json_object_array_get_idx(nodes, i);

		if (jint(n, "id", -1) == node)
			mem = jint(n, "memory", -1);
	}
	json_object_put(rep);
	return mem < 0 ? 0 : mem;
}

static long long qemu_size(struct tiervm_qmp *q, const char *id,
			   tiervm_error **errp)
{
	json_object *devs = tiervm_qmp_execute(q, "query-memory-devices", NULL,
					       QMP_TIMEOUT, errp);
	long long size = -1;

	for (size_t i = 0; devs && i < json_object_array_length(devs); i++) {
		json_object *data =
			jget(json_object_array_get_idx(devs, i), "data");

		if (!strcmp(json_object_get_string(jget(data, "id")), id))
			size = jint(data, "size", -1);
	}
	json_object_put(devs);
	if (devs && size < 0)
		tiervm_error_setg(errp, "QEMU has no memory device '%s'", id);
	return size;
}

static long long wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int cmd_resize(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-wait", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	bool wait = true, json = false, tty = isatty(STDERR_FILENO);
	/* wall clock (µs) of the qom-set, of QEMU's own event stamp, and of
	 * when tiervm saw it: their difference is tiervm's added delay */
	long long wall_set = 0, wall_event = 0, wall_seen = 0;
	long timeout_s = 60;
	struct tiervm_vm *vm = NULL;
	struct tiervm_qmp *q = NULL;
	json_object *dev = NULL, *args, *r;
	tiervm_error *err = NULL;
	uint64_t target, block, max;
	long long start, t_qemu = -1, t_guest = -1, node, base_mem, from, got,
			 mem = -1;
	int c, rc = EXIT_OK;

	while ((c = getopt_long(argc, argv, "njt:", opts, NULL)) != -1) {
		if (c == 'j') {
			json = true;
		} else if (c == 'n') {
			wait = false;
		} else if (c == 't') {
			if (opt_seconds(optarg, &timeout_s) != EXIT_OK)
				return EXIT_USAGE;
		} else {
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 3)
		return usage_error(
			"usage: tiervm resize NAME DEVICE SIZE [--no-wait] [--timeout S]");
	if (!tiervm_parse_size(argv[optind + 2], &target, &err))
		return report(err);
	vm = tiervm_vm_open_running(argv[optind], &err);
	if (!vm)
		goto fail;
	dev = planned_device(vm, argv[optind + 1], &err);
	if (!dev)
		goto fail;
	block = (uint64_t)jint(dev, "block_size", -1);
	max = (uint64_t)jint(dev, "size", -1);
	node = jint(dev, "node", -1);
	if (target % block || target > max) {
		char *b = tiervm_format_size(block),
		     *m = tiervm_format_size(max);

		tiervm_error_set(
			&err, TIERVM_E_INPUT,
			"%s: %s must be a multiple of the block size (%s) and at most the device's maximum (%s)",
			argv[optind + 1], argv[optind + 2], b, m);
		free(b);
		free(m);
		goto fail;
	}

	q = tiervm_vm_qmp(vm, &err);
	if (!q)
		goto fail;
	from = qemu_size(q, argv[optind + 1], &err);
	if (from < 0)
		goto fail;
	base_mem = wait ? node_memory(vm, node, &err) : 0;
	if (base_mem < 0)
		goto fail;
	args = json_object_new_object();
	{
		char *path =
			xasprintf("/machine/peripheral/%s", argv[optind + 1]);

		json_object_object_add(args, "path",
				       json_object_new_string(path));
		free(path);
	}
	json_object_object_add(args, "property",
			       json_object_new_string("requested-size"));
	json_object_object_add(args, "value",
			       json_object_new_int64((int64_t)target));
	start = tiervm_now_ms();
	wall_set = wall_us();
	r = tiervm_qmp_execute(q, "qom-set", args, QMP_TIMEOUT, &err);
	if (!r && err)
		goto fail;
	json_object_put(r);
	if (!wait) {
		printf("%s: requested %s\n", argv[optind + 1],
		       argv[optind + 2]);
		goto out;
	}

	got = from;
	while (tiervm_now_ms() - start < timeout_s * 1000) {
		/* events are rate-limited: poll QEMU every 50 ms as well */
		json_object *ev = tiervm_qmp_event(q, 50, &err);

		if (err) {
			tiervm_error_prefix(
				&err,
				"during the resize (requested %s, QEMU had reached %lld MiB): ",
				argv[optind + 2], got >> 20);
			goto fail;
		}
		if (ev) {
			/* MEMORY_DEVICE_SIZE_CHANGE carries the new plugged size */
			if (!strcmp(json_object_get_string(jget(ev, "event")),
				    "MEMORY_DEVICE_SIZE_CHANGE")) {
				json_object *ts = jget(ev, "timestamp");

				got = jint(jget(ev, "data"), "size", -1);
				if (got == (long long)target && !wall_event)
					wall_event =
						jint(ts, "seconds", -1) *
							1000000 +
						jint(ts, "microseconds", -1);
			}
			json_object_put(ev);
		} else {
			got = qemu_size(q, argv[optind + 1], &err);
			if (got < 0) {
				tiervm_error_prefix(&err,
						    "during the resize: ");
				goto fail;
			}
		}
		if (got == (long long)target && t_qemu < 0) {
			t_qemu = tiervm_now_ms() - start;
			wall_seen = wall_us();
		}
		if (t_qemu >= 0) {
			mem = node_memory(vm, node, &err);
			if (mem < 0)
				goto fail;
			/* the node shows the change to within one block */
			if (llabs(mem - base_mem -
				  ((long long)target - from)) <=
			    (long long)block) {
				t_guest = tiervm_now_ms() - start;
				break;
			}
		}
		if (tty)
			fprintf(stderr,
				"\rtiervm: QEMU %lld MiB of %llu MiB, guest node %lld %lld MiB   ",
				got >> 20, (unsigned long long)(target >> 20),
				node, mem >> 20);
	}
	if (tty)
		fprintf(stderr, "\n");
	if (t_guest < 0) {
		tiervm_error_setg(
			&err,
			"%s: stopped after %ld s: QEMU reached %lld MiB of %llu MiB%s; guest node %lld shows %lld MiB (was %lld MiB)%s",
			argv[optind + 1], timeout_s, got >> 20,
			(unsigned long long)(target >> 20),
			t_qemu < 0 ? " (the guest driver did not follow)" : "",
			node, mem >> 20, base_mem >> 20,
			target < (uint64_t)from
				? "; the guest could not unplug memory in use"
				: "; is the memory onlined (memhp_default_state)?");
		goto fail;
	}
	/*
	 * QEMU rate-limits MEMORY_DEVICE_SIZE_CHANGE to one a second per
	 * device and stamps it when it happened: for the timing report, wait
	 * for the one that carries the final size.
	 */
	while (json && !wall_event &&
	       tiervm_now_ms() - start < timeout_s * 1000) {
		json_object *ev = tiervm_qmp_event(q, 1500, NULL), *ts;

		if (!ev)
			break;
		ts = jget(ev, "timestamp");
		if (!strcmp(json_object_get_string(jget(ev, "event")),
			    "MEMORY_DEVICE_SIZE_CHANGE") &&
		    jint(jget(ev, "data"), "size", -1) == (long long)target)
			wall_event = jint(ts, "seconds", -1) * 1000000 +
				     jint(ts, "microseconds", -1);
		json_object_put(ev);
	}
	if (json) {
		printf("{\"device\": \"%s\", \"from\": %lld, \"to\": %llu, \"qemu_s\": %.3f, \"guest_s\": %.3f, "
		       "\"set_us\": %lld, \"qemu_event_us\": %lld, \"seen_us\": %lld}\n",
		       argv[optind + 1], from, (unsigned long long)target,
		       (double)t_qemu / 1000.0, (double)t_guest / 1000.0,
		       wall_set, wall_event, wall_seen);
		goto out;
	}
	printf("%s: %lld MiB -> %llu MiB; QEMU after %.2f s, guest node %lld (%lld MiB) after %.2f s\n",
	       argv[optind + 1], from >> 20, (unsigned long long)(target >> 20),
	       (double)t_qemu / 1000.0, node, mem >> 20,
	       (double)t_guest / 1000.0);
	goto out;
fail:
	rc = report(err);
out:
	json_object_put(dev);
	tiervm_qmp_close(q);
	tiervm_vm_free(vm);
	return rc;
}
