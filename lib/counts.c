// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The host end of access counting: the counts file tiervm shares with its
 * TCG plugin (plugin/count_shm.h), the ranges and delays written into it,
 * and the windows that arm it around a command.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../plugin/count_shm.h"
#include "counts.h"
#include "image.h"
#include "spec_layout.h"
#include "util.h"
#include "util_json.h"

#define PLUGIN "tiervm-count.so"
#define META_FILE "counts.json"
/* the sampler's period: the time series' resolution */
#define SAMPLE_MS 1000

bool tiervm_counts_check(const struct tiervm_plan *plan, const char *what,
			 tiervm_error **errp)
{
	const struct tiervm_qemu_caps *q = plan->caps;

	if (strcmp(plan->accel, "tcg")) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"%s: counting runs in QEMU's TCG plugin, and this guest would run under KVM; use --accel tcg",
			what);
		return false;
	}
	/*
	 * Before 8.2 (commit "plugins: fix qemu_plugin_hwaddr_phys_addr"),
	 * the address a plugin is given beyond the first RAM block has the
	 * block's ram_addr offset added: node 1 at 0x40000000 reads as
	 * 0x80000000, and every access would go to the wrong node.
	 */
	if (!tiervm_qemu_at_least(q, 8, 2)) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"%s: QEMU %u.%u.%u gives TCG plugins wrong guest-physical addresses beyond the first RAM block (fixed in 8.2); use QEMU 8.2 or later: TIERVM_QEMU=$(scripts/qemu-backports.sh)",
			what, q->major, q->minor, q->micro);
		return false;
	}
	return true;
}

/* The delay of user accesses to @target from a vCPU of node @from. */
static uint64_t delay_ns(const struct tiervm_plan *plan, unsigned from,
			 unsigned target)
{
	const struct tiervm_spec *s = plan->spec;
	const struct tiervm_node *n = tiervm_spec_node(s, target);
	bool on = n && (n->emulate_latency == TIERVM_AUTO
				? s->machine.emulate_latency
				: n->emulate_latency == TIERVM_ON);

	if (!on || !plan->r || from >= plan->r->n || target >= plan->r->n)
		return 0;
	return tiervm_resolved_lb(plan->r, from, target)->latency *
	       tiervm_latency_scale(s);
}

bool tiervm_counts_wanted(const struct tiervm_plan *plan)
{
	const struct tiervm_spec *s = plan->spec;

	for (unsigned from = 0; from < s->n_nodes; from++)
		for (unsigned t = 0; t < s->n_nodes; t++)
			if (delay_ns(plan, from, t))
				return true;
	return false;
}

/* What every range may add up to: the file's pages[] are sized for it. */
static uint64_t placeable(const struct tiervm_spec *s)
{
	uint64_t bytes = s->machine.hotplug_memory;

	for (unsigned i = 0; i < s->n_nodes; i++)
		bytes += s->nodes[i].memory;
	for (unsigned i = 0; i < s->n_vmems; i++)
		bytes += s->vmems[i].size;
	for (unsigned i = 0; i < s->n_nvdimms; i++)
		bytes += s->nvdimms[i].size;
	for (unsigned i = 0; i < s->cxl.n_windows; i++)
		bytes += s->cxl.windows[i].size;
	return bytes >> TIERVM_COUNT_PAGE_SHIFT;
}

static int node_of_cpu(const struct tiervm_spec *s, unsigned cpu)
{
	for (unsigned i = 0; i < s->n_nodes; i++)
		if (s->nodes[i].has_cpus && cpuset_test(&s->nodes[i].cpus, cpu))
			return (int)s->nodes[i].id;
	return -1;
}

/*
 * What a window needs to read the file that the file does not say: the
 * nodes' kinds, each vCPU's node and each initiator's fastest targets.
 */
static json_object *meta_of(const struct tiervm_plan *plan)
{
	const struct tiervm_spec *s = plan->spec;
	const struct tiervm_resolved *r = plan->r;
	json_object *m = json_object_new_object(), *nodes, *vcpus;

	nodes = json_object_new_array();
	for (unsigned id = 0; id < s->n_nodes; id++) {
		const struct tiervm_node *n = tiervm_spec_node(s, id);
		json_object *o = json_object_new_object(), *fast;
		uint64_t best = UINT64_MAX;

		json_object_object_add(
			o, "kind",
			json_object_new_string(tiervm_kind_name(n->kind)));
		json_object_object_add(
			o, "emulated_latency",
			json_object_new_int64((int64_t)delay_ns(plan, id, id)));
		/* the fastest memory for this node's CPUs, by HMAT latency
		 * (by distance without HMAT) */
		fast = json_object_new_array();
		for (unsigned t = 0; n->has_cpus && t < s->n_nodes; t++) {
			uint64_t v =
				r->hmat ? tiervm_resolved_lb(r, id, t)->latency
					: r->dist[id * r->n + t];

			if (!tiervm_spec_node(s, t)->memory || !v)
				continue;
			if (v < best) {
				best = v;
				json_object_put(fast);
				fast = json_object_new_array();
			}
			if (v == best)
				json_object_array_add(fast,
						      json_object_new_int(t));
		}
		json_object_object_add(o, "fast", fast);
		json_object_array_add(nodes, o);
	}
	json_object_object_add(m, "nodes", nodes);
	vcpus = json_object_new_array();
	for (unsigned c = 0; c < s->machine.cpus; c++)
		json_object_array_add(vcpus,
				      json_object_new_int(node_of_cpu(s, c)));
	json_object_object_add(m, "vcpus", vcpus);
	json_object_object_add(m, "qemu",
			       json_object_new_string(plan->caps->binary));
	return m;
}

static void add_range(struct tiervm_count_hdr *h, uint64_t start, uint64_t size,
		      unsigned node, uint64_t *frame)
{
	struct tiervm_count_range *r;

	if (!size || h->n_ranges >= TIERVM_COUNT_MAX_RANGES)
		return;
	r = &h->ranges[h->n_ranges++];
	*r = (struct tiervm_count_range){
		.start = start, .size = size, .frame0 = *frame, .node = node
	};
	*frame += size >> TIERVM_COUNT_PAGE_SHIFT;
}

/* Boot memory, where spec_layout.c says QEMU puts it. */
static uint64_t place_boot(struct tiervm_count_hdr *h,
			   const struct tiervm_spec *s)
{
	struct tiervm_layout l;
	uint64_t frame = 0;

	tiervm_layout_compute(s, &l);
	h->n_ranges = 0;
	for (unsigned id = 0; id < l.n; id++)
		for (unsigned k = 0; k < 2; k++)
			add_range(h, l.pieces[id][k].start,
				  l.pieces[id][k].size, id, &frame);
	tiervm_layout_clear(&l);
	return frame;
}

struct mapping {
	struct tiervm_count_hdr *h;
	size_t size;
	int fd;
};

static bool map_counts(struct tiervm_vm *vm, int flags, struct mapping *m,
		       tiervm_error **errp)
{
	char *path = tiervm_vm_path(vm, TIERVM_COUNTS_FILE);
	struct stat st;
	void *p;

	m->fd = open(path, flags | O_RDWR | O_CLOEXEC, 0600);
	if (m->fd < 0) {
		if (errno == ENOENT)
			tiervm_error_set(
				errp, TIERVM_E_INPUT,
				"'%s' was not started with counting: start it with tiervm up SPEC --counting",
				vm->name);
		else
			tiervm_error_set_errno(errp, errno, "cannot open %s",
					       path);
		free(path);
		return false;
	}
	free(path);
	if (!(flags & O_CREAT) &&
	    (fstat(m->fd, &st) < 0 ||
	     (size_t)st.st_size < sizeof(struct tiervm_count_hdr))) {
		tiervm_error_setg(errp, "'%s' has a broken counts file",
				  vm->name);
		close(m->fd);
		return false;
	}
	m->size = flags & O_CREAT ? m->size : (size_t)st.st_size;
	if (flags & O_CREAT && ftruncate(m->fd, (off_t)m->size) < 0) {
		tiervm_error_set_errno(errp, errno, "cannot size %s's counts",
				       vm->name);
		close(m->fd);
		return false;
	}
	p = mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	if (p == MAP_FAILED) {
		tiervm_error_set_errno(errp, errno, "cannot map %s's counts",
				       vm->name);
		close(m->fd);
		return false;
	}
	m->h = p;
	if (!(flags & O_CREAT) &&
	    (m->h->magic != TIERVM_COUNT_MAGIC ||
	     m->size < tiervm_count_file_size(m->h->max_vcpus, m->h->max_nodes,
					      m->h->frames))) {
		tiervm_error_setg(errp, "'%s' has a broken counts file",
				  vm->name);
		munmap(p, m->size);
		close(m->fd);
		return false;
	}
	return true;
}

static void unmap_counts(struct mapping *m)
{
	munmap(m->h, m->size);
	close(m->fd);
}

bool tiervm_counts_create(struct tiervm_vm *vm, const struct tiervm_plan *plan,
			  char **plugin_arg, tiervm_error **errp)
{
	const struct tiervm_spec *s = plan->spec;
	uint64_t frames = placeable(s);
	struct mapping m = { 0 };
	char *so = tiervm_helper_path(PLUGIN), *path;
	json_object *meta;
	bool ok;

	if (access(so, R_OK) < 0) {
		tiervm_error_set_errno(errp, errno,
				       "cannot load tiervm's plugin %s", so);
		free(so);
		return false;
	}
	if (s->machine.cpus > TIERVM_COUNT_MAX_VCPUS ||
	    s->n_nodes > TIERVM_COUNT_MAX_NODES) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"counting: at most %u vCPUs and %u nodes (the spec has %u and %u)",
			TIERVM_COUNT_MAX_VCPUS, TIERVM_COUNT_MAX_NODES,
			s->machine.cpus, s->n_nodes);
		free(so);
		return false;
	}
	m.size = tiervm_count_file_size(s->machine.cpus, s->n_nodes, frames);
	if (!map_counts(vm, O_CREAT | O_EXCL, &m, errp)) {
		free(so);
		return false;
	}
	*m.h = (struct tiervm_count_hdr){ .magic = TIERVM_COUNT_MAGIC,
					  .version = TIERVM_COUNT_VERSION,
					  .max_vcpus = s->machine.cpus,
					  .max_nodes = s->n_nodes,
					  .frames = frames };
	for (unsigned c = 0; c < s->machine.cpus; c++) {
		int n = node_of_cpu(s, c);

		m.h->vcpu_node[c] = n < 0 ? 0 : (uint32_t)n;
	}
	for (unsigned from = 0; from < s->n_nodes; from++)
		for (unsigned t = 0; t < s->n_nodes; t++)
			m.h->delay_ns[from][t] = delay_ns(plan, from, t);
	m.h->boot_frames = place_boot(m.h, s);
	m.h->n_boot = m.h->n_ranges;
	unmap_counts(&m);
	meta = meta_of(plan);
	ok = tiervm_vm_save_json(vm, META_FILE, meta, errp);
	json_object_put(meta);
	path = tiervm_vm_path(vm, TIERVM_COUNTS_FILE);
	if (ok)
		*plugin_arg = xasprintf("%s,shm=%s", so, path);
	free(path);
	free(so);
	return ok;
}

bool tiervm_counts_place(struct tiervm_vm *vm, json_object *devices,
			 tiervm_error **errp)
{
	char *path = tiervm_vm_path(vm, TIERVM_COUNTS_FILE);
	struct mapping m;
	uint64_t frame;
	bool there = access(path, F_OK) == 0;

	free(path);
	if (!there)
		return true;
	if (!map_counts(vm, 0, &m, errp))
		return false;
	/* boot memory again, then every device in QEMU's order: a device
	 * plugged later comes last and the others keep their frames */
	__atomic_store_n(&m.h->n_ranges, m.h->n_boot, __ATOMIC_RELEASE);
	frame = m.h->boot_frames;
	for (size_t i = 0; i < jlen(devices); i++) {
		json_object *d = jidx(devices, i), *data = jget(d, "data");
		const char *type = jstr(d, "type", "");
		bool vmem = !strcmp(type, "virtio-mem");
		long long node = jint(data, "node", -1);
		long long addr = jint(data, vmem ? "memaddr" : "addr", -1),
			  size = jint(data, vmem ? "max-size" : "size", -1);

		if (node < 0 || node >= (long long)m.h->max_nodes || addr < 0 ||
		    size <= 0)
			continue;
		if (frame + ((uint64_t)size >> TIERVM_COUNT_PAGE_SHIFT) >
		    m.h->frames)
			break;
		add_range(m.h, (uint64_t)addr, (uint64_t)size, (unsigned)node,
			  &frame);
	}
	__atomic_fetch_add(&m.h->ranges_gen, 1, __ATOMIC_RELEASE);
	unmap_counts(&m);
	return true;
}

void tiervm_counts_check_guest(struct tiervm_vm *vm, json_object *report,
			       struct strv *notes)
{
	struct mapping m;
	uint64_t *bytes;

	if (!map_counts(vm, 0, &m, NULL))
		return;
	bytes = xcalloc(m.h->max_nodes, sizeof(*bytes));
	for (uint32_t i = 0; i < m.h->n_ranges; i++)
		bytes[m.h->ranges[i].node] += m.h->ranges[i].size;
	/*
	 * A node's ranges hold at least what the guest has online there:
	 * less would mean accesses the plugin gives to no node (or to
	 * another).  More is virtio-mem room not plugged, or memory the
	 * guest reserved (the kernel's own, firmware's).
	 */
	for (uint32_t id = 0; id < m.h->max_nodes; id++) {
		json_object *n =
			jfind_id(jget(jget(report, "guest"), "nodes"), id);
		long long online = jint(n, "memory", 0);

		if (online > 0 && (uint64_t)online > bytes[id])
			strv_pushf(
				notes,
				"counting: node %u has %lld bytes online in the guest, but tiervm placed only %llu there for the plugin",
				id, online, (unsigned long long)bytes[id]);
	}
	free(bytes);
	unmap_counts(&m);
}
