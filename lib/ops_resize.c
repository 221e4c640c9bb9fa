// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * tiervm_resize: a virtio-mem device's requested size, followed until
 * QEMU's size and the guest node's memory show it, each timed.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "ops.h"
#include "timeouts.h"
#include "units.h"
#include "util.h"
#include "util_json.h"

/*
 * The device as planned (plan.json in the runtime dir): checking the size
 * against it needs no monitor, so a bad size is refused before QEMU is
 * touched.
 */
static json_object *planned_device(struct tiervm_vm *vm, const char *id,
				   tiervm_error **errp)
{
	json_object *plan = tiervm_vm_load_json(vm, "plan.json", errp), *devs,
		    *found = NULL;
	struct sbuf names = { 0 };

	if (!plan)
		return NULL;
	devs = jget(jget(plan, "expected"), "virtio_mem");
	for (size_t i = 0; devs && i < jlen(devs); i++) {
		json_object *d = jidx(devs, i);
		const char *name = jstr(d, "id", "");

		if (!strcmp(name, id))
			found = json_object_get(d);
		sbuf_addf(&names, "%s%s", names.len ? ", " : "", name);
	}
	if (!found)
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
	json_object *rep = tiervm_probe_nodes(vm, errp);
	long long mem = jint(jfind_id(jget(jget(rep, "guest"), "nodes"), node),
			     "memory", 0);

	json_object_put(rep);
	/* a node left without memory goes offline and leaves the list */
	return rep ? mem : -1;
}

static long long device_size(struct tiervm_monitor *m, const char *id,
			     tiervm_error **errp)
{
	json_object *devs = m->engine->memory_devices(m, errp);
	long long size = -1;

	for (size_t i = 0; devs && i < jlen(devs); i++) {
		json_object *data = jget(jidx(devs, i), "data");

		if (!strcmp(jstr(data, "id", ""), id))
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

/* QEMU's own stamp of a size change to @size, in µs; 0 if not that. */
static long long event_stamp(json_object *ev, long long size)
{
	json_object *ts = jget(ev, "timestamp");

	if (jint(jget(ev, "data"), "size", -1) != size)
		return 0;
	return jint(ts, "seconds", -1) * 1000000 + jint(ts, "microseconds", -1);
}

/* The checks before anything is asked of QEMU. */
static json_object *check_request(const struct tiervm_resize_opts *o,
				  struct tiervm_vm *vm, tiervm_error **errp)
{
	json_object *dev = planned_device(vm, o->device, errp);
	tiervm_error *err = NULL;

	if (dev && !tiervm_vmem_check_requested(
			   o->size, (uint64_t)jint(dev, "block_size", 1),
			   (uint64_t)jint(dev, "size", 0), &err)) {
		tiervm_error_set(errp, TIERVM_E_INPUT,
				 "%s: requested size %llu: %s", o->device,
				 (unsigned long long)o->size, err->msg);
		tiervm_error_free(err);
		json_object_put(dev);
		return NULL;
	}
	return dev;
}

/* One resize under way. */
struct resize {
	const struct tiervm_resize_opts *o;
	struct tiervm_vm *vm;
	struct tiervm_monitor *m;
	long long block, base_mem; /* the device's block, the node before */
	long long start, timeout_ms;
};

/* Until the guest node shows the change; false with *errp on failure. */
static bool follow(const struct resize *r, struct tiervm_resize_result *res,
		   tiervm_error **errp)
{
	const struct tiervm_resize_opts *o = r->o;
	struct tiervm_monitor *m = r->m;
	long long got = res->from, target = res->to, start = r->start,
		  base_mem = r->base_mem, timeout_ms = r->timeout_ms;
	tiervm_error *err = NULL;

	res->node_mem = -1;
	while (tiervm_now_ms() - start < timeout_ms) {
		/* events are rate-limited: poll QEMU every 50 ms as well */
		json_object *ev = m->engine->size_event(m, 50, &err);

		if (ev) {
			got = jint(jget(ev, "data"), "size", -1);
			if (!res->qemu_event_us)
				res->qemu_event_us = event_stamp(ev, target);
			json_object_put(ev);
		} else if (!err) {
			got = device_size(m, o->device, &err);
		}
		if (err) {
			tiervm_error_prefix(
				&err,
				"during the resize (requested %lld MiB, QEMU had reached %lld MiB): ",
				target >> 20, got >> 20);
			tiervm_error_propagate(errp, err);
			return false;
		}
		if (got == target && res->qemu_ms < 0) {
			res->qemu_ms = tiervm_now_ms() - start;
			res->seen_us = wall_us();
		}
		if (res->qemu_ms >= 0) {
			long long now;

			res->node_mem = node_memory(r->vm, res->node, errp);
			if (res->node_mem < 0)
				return false;
			now = tiervm_now_ms() - start;
			/* the node shows the change to within one block */
			if (llabs(res->node_mem - base_mem -
				  (target - res->from)) > r->block)
				res->guest_ms = -1;
			else if (res->guest_ms < 0)
				res->guest_ms = now;
			/*
			 * ... and keeps showing it: Linux's virtio-mem driver
			 * takes unplugged pages out of the node's total at
			 * once, offlines their memory block only after QEMU
			 * has the new size, and 6.1's offlining counts them
			 * back in until the block is gone.
			 */
			if (res->guest_ms >= 0 &&
			    now - res->guest_ms >= TIERVM_VMEM_STEADY_MS)
				return true;
		}
		if (o->progress)
			o->progress(o, got, res->node, res->node_mem,
				    o->opaque);
	}
	tiervm_error_setg(
		errp,
		"%s: stopped after %lld s: QEMU reached %lld MiB of %lld MiB%s; guest node %lld shows %lld MiB (was %lld MiB)%s",
		o->device, timeout_ms / 1000, got >> 20, target >> 20,
		res->qemu_ms < 0 ? " (the guest driver did not follow)" : "",
		res->node, res->node_mem >> 20, base_mem >> 20,
		target < res->from
			? "; the guest could not unplug memory in use"
			: "; is the memory onlined (memhp_default_state)?");
	return false;
}

bool tiervm_resize(const struct tiervm_resize_opts *o,
		   struct tiervm_resize_result *res, tiervm_error **errp)
{
	struct resize r = { .o = o,
			    .timeout_ms = o->timeout_ms
						  ? o->timeout_ms
						  : TIERVM_TIMEOUT_HOTPLUG_MS };
	struct tiervm_vm *vm = tiervm_engine_open(o->name, true, errp);
	struct tiervm_monitor *m = NULL;
	json_object *dev = NULL;
	bool ok = false;

	memset(res, 0, sizeof(*res));
	res->qemu_ms = res->guest_ms = -1;
	res->to = (long long)o->size;
	if (!vm || !(dev = check_request(o, vm, errp)))
		goto out;
	res->node = jint(dev, "node", -1);
	m = tiervm_engine_monitor(vm, errp);
	if (!m || (res->from = device_size(m, o->device, errp)) < 0)
		goto out;
	if (!o->no_wait && (r.base_mem = node_memory(vm, res->node, errp)) < 0)
		goto out;
	r.start = tiervm_now_ms();
	res->set_us = wall_us();
	if (!m->engine->vmem_request(m, o->device, o->size, errp))
		goto out;
	if (o->no_wait) {
		ok = true;
		goto out;
	}
	r.vm = vm;
	r.m = m;
	r.block = jint(dev, "block_size", 0);
	if (!follow(&r, res, errp))
		goto out;
	/*
	 * QEMU rate-limits MEMORY_DEVICE_SIZE_CHANGE to one a second per
	 * device and stamps it when it happened: for the timing report, wait
	 * for the one that carries the final size.
	 */
	while (o->event_stamp && !res->qemu_event_us &&
	       tiervm_now_ms() - r.start < r.timeout_ms) {
		json_object *ev = m->engine->size_event(m, 1500, NULL);

		if (!ev)
			break;
		res->qemu_event_us = event_stamp(ev, res->to);
		json_object_put(ev);
	}
	ok = true;
out:
	json_object_put(dev);
	tiervm_monitor_close(m);
	tiervm_vm_free(vm);
	return ok;
}
