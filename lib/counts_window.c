// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Counting windows: the plugin armed around a command, the counts read
 * back per node, per vCPU and per page, and sampled once a second for the
 * time series.  One window at a time per guest (a lock on the file).
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
#include <time.h>
#include <unistd.h>

#include "../plugin/count_shm.h"
#include "counts.h"
#include "util.h"
#include "util_json.h"

#define SAMPLE_MS 1000
#define HOT_PAGES 8

struct tiervm_window {
	struct tiervm_vm *vm;
	struct tiervm_count_hdr *h;
	size_t size;
	int fd;
	json_object *meta, *report;
	long long t0_us, t1_us;
	bool armed;
	/* the sampler: cumulative accesses per node, once a second */
	pthread_t sampler;
	pthread_mutex_t lock;
	pthread_cond_t stop_cv;
	bool stop;
	struct sbuf series; /* rows of (max_nodes + 1) uint64 */
	unsigned rows;
};

static uint64_t node_accesses(struct tiervm_count_hdr *h, uint32_t node)
{
	uint64_t sum = 0;

	for (uint32_t v = 0; v < h->max_vcpus; v++) {
		const struct tiervm_count_slot *s =
			tiervm_count_slots(h, v) + node;

		sum += __atomic_load_n(&s->loads, __ATOMIC_RELAXED) +
		       __atomic_load_n(&s->stores, __ATOMIC_RELAXED);
	}
	return sum;
}

static void sample(struct tiervm_window *w)
{
	uint64_t t = (uint64_t)(tiervm_now_us() - w->t0_us);

	sbuf_add(&w->series, &t, sizeof(t));
	for (uint32_t n = 0; n < w->h->max_nodes; n++) {
		uint64_t a = node_accesses(w->h, n);

		sbuf_add(&w->series, &a, sizeof(a));
	}
	w->rows++;
}

static void *sampler(void *opaque)
{
	struct tiervm_window *w = opaque;
	struct timespec until;

	pthread_mutex_lock(&w->lock);
	clock_gettime(CLOCK_MONOTONIC, &until);
	while (!w->stop) {
		until.tv_sec += SAMPLE_MS / 1000;
		if (pthread_cond_timedwait(&w->stop_cv, &w->lock, &until) ==
		    ETIMEDOUT)
			sample(w);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct tiervm_window *tiervm_window_open(struct tiervm_vm *vm,
					 tiervm_error **errp)
{
	struct tiervm_window *w = xcalloc(1, sizeof(*w));
	char *path = tiervm_vm_path(vm, TIERVM_COUNTS_FILE);
	struct stat st;
	void *p;

	w->vm = vm;
	w->fd = open(path, O_RDWR | O_CLOEXEC);
	if (w->fd < 0) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"--access-counts: '%s' was not started with counting (tiervm up SPEC --counting)",
			vm->name);
		goto fail;
	}
	if (flock(w->fd, LOCK_EX | LOCK_NB) < 0) {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"--access-counts: another counting window is open on '%s'; one at a time",
			vm->name);
		goto fail;
	}
	if (fstat(w->fd, &st) < 0 ||
	    (size_t)st.st_size < sizeof(struct tiervm_count_hdr) ||
	    (p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
		      MAP_SHARED, w->fd, 0)) == MAP_FAILED) {
		tiervm_error_setg(errp, "'%s' has a broken counts file",
				  vm->name);
		goto fail;
	}
	w->h = p;
	w->size = (size_t)st.st_size;
	if (w->h->magic != TIERVM_COUNT_MAGIC ||
	    w->size < tiervm_count_file_size(w->h->max_vcpus, w->h->max_nodes,
					     w->h->frames)) {
		tiervm_error_setg(errp, "'%s' has a broken counts file",
				  vm->name);
		goto fail;
	}
	if (!__atomic_load_n(&w->h->loaded, __ATOMIC_ACQUIRE)) {
		tiervm_error_setg(
			errp,
			"QEMU did not load tiervm's plugin for '%s' (see its qemu.log)",
			vm->name);
		goto fail;
	}
	if (!(w->meta = tiervm_vm_load_json(vm, "counts.json", errp)))
		goto fail;
	w->report = tiervm_vm_load_json(vm, "report.json", NULL);
	free(path);
	return w;
fail:
	free(path);
	if (w->h)
		munmap(w->h, w->size);
	if (w->fd >= 0)
		close(w->fd);
	free(w);
	return NULL;
}

bool tiervm_window_arm(struct tiervm_window *w, tiervm_error **errp)
{
	struct tiervm_count_hdr *h = w->h;

	memset(tiervm_count_slots(h, 0), 0,
	       (size_t)((char *)tiervm_count_pages(h, h->max_vcpus) -
			(char *)tiervm_count_slots(h, 0)));
	pthread_mutex_init(&w->lock, NULL);
	{
		pthread_condattr_t a;

		pthread_condattr_init(&a);
		pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
		pthread_cond_init(&w->stop_cv, &a);
		pthread_condattr_destroy(&a);
	}
	w->t0_us = tiervm_now_us();
	__atomic_store_n(&h->armed, 1, __ATOMIC_RELEASE);
	w->armed = true;
	sample(w);
	if (pthread_create(&w->sampler, NULL, sampler, w)) {
		__atomic_store_n(&h->armed, 0, __ATOMIC_RELEASE);
		w->armed = false;
		tiervm_error_setg(errp, "cannot start the counting sampler");
		return false;
	}
	return true;
}

static json_object *counts_obj(const struct tiervm_count_slot *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "loads",
			       json_object_new_int64((int64_t)s->loads));
	json_object_object_add(o, "stores",
			       json_object_new_int64((int64_t)s->stores));
	json_object_object_add(o, "bytes",
			       json_object_new_int64((int64_t)s->bytes));
	json_object_object_add(o, "user_loads",
			       json_object_new_int64((int64_t)s->user_loads));
	json_object_object_add(o, "user_stores",
			       json_object_new_int64((int64_t)s->user_stores));
	return o;
}

static void slot_add(struct tiervm_count_slot *to,
		     const struct tiervm_count_slot *s)
{
	to->loads += s->loads;
	to->stores += s->stores;
	to->bytes += s->bytes;
	to->user_loads += s->user_loads;
	to->user_stores += s->user_stores;
}

/* The @node's HOT_PAGES most accessed frames, all vCPUs together. */
static json_object *hot_pages(struct tiervm_count_hdr *h, uint32_t node)
{
	uint64_t top[HOT_PAGES] = { 0 }, addr[HOT_PAGES] = { 0 };
	json_object *a = json_object_new_array();

	for (uint32_t r = 0; r < h->n_ranges; r++) {
		const struct tiervm_count_range *rg = &h->ranges[r];
		uint64_t n = rg->size >> TIERVM_COUNT_PAGE_SHIFT;

		if (rg->node != node || rg->frame0 + n > h->frames)
			continue;
		for (uint64_t f = 0; f < n; f++) {
			uint64_t c = 0;
			int k;

			for (uint32_t v = 0; v < h->max_vcpus; v++)
				c += tiervm_count_pages(h, v)[rg->frame0 + f];
			if (c <= top[HOT_PAGES - 1])
				continue;
			for (k = HOT_PAGES - 1; k > 0 && top[k - 1] < c; k--) {
				top[k] = top[k - 1];
				addr[k] = addr[k - 1];
			}
			top[k] = c;
			addr[k] = rg->start + (f << TIERVM_COUNT_PAGE_SHIFT);
		}
	}
	for (int k = 0; k < HOT_PAGES && top[k]; k++) {
		json_object *o = json_object_new_object();
		char hex[24];

		snprintf(hex, sizeof(hex), "0x%llx",
			 (unsigned long long)addr[k]);
		json_object_object_add(o, "address",
				       json_object_new_string(hex));
		json_object_object_add(o, "accesses",
				       json_object_new_int64((int64_t)top[k]));
		json_object_array_add(a, o);
	}
	return a;
}

/*
 * The share of each vCPU's accesses that its node's fastest memory served
 * (counts.json's "fast", by HMAT latency), over all vCPUs; -1 when none.
 */
static double fast_share(struct tiervm_window *w, bool user)
{
	struct tiervm_count_hdr *h = w->h;
	uint64_t fast = 0, all = 0;

	for (uint32_t v = 0; v < h->max_vcpus; v++) {
		json_object *mn = jidx(jget(w->meta, "nodes"),
				       (size_t)h->vcpu_node[v]),
			    *f = jget(mn, "fast");

		for (uint32_t n = 0; n < h->max_nodes; n++) {
			const struct tiervm_count_slot *s =
				tiervm_count_slots(h, v) + n;
			uint64_t c = user ? s->user_loads + s->user_stores
					  : s->loads + s->stores;

			all += c;
			for (size_t i = 0; i < jlen(f); i++)
				if (json_object_get_int(jidx(f, i)) == (int)n)
					fast += c;
		}
	}
	return all ? (double)fast / (double)all : -1;
}

static json_object *share_or_null(double v)
{
	return v < 0 ? NULL : json_object_new_double(v);
}

static json_object *series_obj(struct tiervm_window *w)
{
	uint32_t cols = w->h->max_nodes + 1;
	const uint64_t *row = (const uint64_t *)w->series.s;
	json_object *o = json_object_new_object(), *rows;

	json_object_object_add(o, "interval",
			       json_object_new_double(SAMPLE_MS / 1000.0));
	rows = json_object_new_array();
	for (unsigned r = 1; r < w->rows; r++) {
		const uint64_t *a = row + (size_t)(r - 1) * cols,
			       *b = row + (size_t)r * cols;
		json_object *x = json_object_new_object(),
			    *per = json_object_new_array();
		double dt = (double)(b[0] - a[0]) / 1e6;

		json_object_object_add(
			x, "t", json_object_new_double((double)b[0] / 1e6));
		for (uint32_t n = 0; n + 1 < cols; n++)
			json_object_array_add(
				per,
				json_object_new_double(
					dt > 0 ? (double)(b[n + 1] - a[n + 1]) /
							 dt
					       : 0));
		json_object_object_add(x, "rates", per);
		json_object_array_add(rows, x);
	}
	json_object_object_add(o, "rows", rows);
	return o;
}

static json_object *result(struct tiervm_window *w)
{
	struct tiervm_count_hdr *h = w->h;
	struct tiervm_count_slot *per = xcalloc(h->max_nodes + 1, sizeof(*per));
	json_object *o = json_object_new_object(), *nodes, *vcpus;
	uint64_t total = 0;

	for (uint32_t v = 0; v < h->max_vcpus; v++)
		for (uint32_t n = 0; n <= h->max_nodes; n++)
			slot_add(&per[n], tiervm_count_slots(h, v) + n);
	for (uint32_t n = 0; n < h->max_nodes; n++)
		total += per[n].loads + per[n].stores;
	json_object_object_add(
		o, "seconds",
		json_object_new_double((double)(w->t1_us - w->t0_us) / 1e6));
	nodes = json_object_new_array();
	for (uint32_t n = 0; n < h->max_nodes; n++) {
		json_object *x = counts_obj(&per[n]),
			    *mn = jidx(jget(w->meta, "nodes"), n),
			    *rn = jfind_id(
				    jget(jget(w->report, "guest"), "nodes"), n);
		uint64_t acc = per[n].loads + per[n].stores;

		json_object_object_add(x, "node", json_object_new_int((int)n));
		json_object_object_add(
			x, "kind",
			json_object_new_string(jstr(mn, "kind", "dram")));
		json_object_object_add(
			x, "tier",
			jget(rn, "tier") &&
					!json_object_is_type(jget(rn, "tier"),
							     json_type_null)
				? json_object_new_int64(jint(rn, "tier", 0))
				: NULL);
		json_object_object_add(x, "accesses",
				       json_object_new_int64((int64_t)acc));
		json_object_object_add(
			x, "share",
			share_or_null(total ? (double)acc / (double)total
					    : -1));
		json_object_object_add(
			x, "emulated_latency",
			json_object_new_int64(jint(mn, "emulated_latency", 0)));
		json_object_object_add(x, "hot_pages", hot_pages(h, n));
		json_object_array_add(nodes, x);
	}
	json_object_object_add(o, "nodes", nodes);
	json_object_object_add(o, "unattributed",
			       counts_obj(&per[h->max_nodes]));
	vcpus = json_object_new_array();
	for (uint32_t v = 0; v < h->max_vcpus; v++) {
		json_object *x = json_object_new_object(),
			    *pn = json_object_new_array();

		json_object_object_add(x, "vcpu", json_object_new_int((int)v));
		json_object_object_add(
			x, "node", json_object_new_int((int)h->vcpu_node[v]));
		for (uint32_t n = 0; n < h->max_nodes; n++) {
			json_object *c =
				counts_obj(tiervm_count_slots(h, v) + n);

			json_object_object_add(c, "node",
					       json_object_new_int((int)n));
			json_object_array_add(pn, c);
		}
		json_object_object_add(x, "nodes", pn);
		json_object_array_add(vcpus, x);
	}
	json_object_object_add(o, "vcpus", vcpus);
	json_object_object_add(o, "fast_tier_share",
			       share_or_null(fast_share(w, false)));
	json_object_object_add(o, "user_fast_tier_share",
			       share_or_null(fast_share(w, true)));
	json_object_object_add(o, "delayed_accesses",
			       json_object_new_int64((int64_t)h->delayed));
	json_object_object_add(o, "series", series_obj(w));
	free(per);
	return o;
}

json_object *tiervm_window_close(struct tiervm_window *w)
{
	json_object *o = NULL;

	if (!w)
		return NULL;
	if (w->armed) {
		__atomic_store_n(&w->h->armed, 0, __ATOMIC_RELEASE);
		w->t1_us = tiervm_now_us();
		pthread_mutex_lock(&w->lock);
		w->stop = true;
		pthread_cond_signal(&w->stop_cv);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->sampler, NULL);
		/* vCPUs inside a callback when it was disarmed finish it */
		usleep(2000);
		sample(w);
		o = result(w);
		pthread_cond_destroy(&w->stop_cv);
		pthread_mutex_destroy(&w->lock);
	}
	sbuf_free(&w->series);
	json_object_put(w->meta);
	json_object_put(w->report);
	munmap(w->h, w->size);
	close(w->fd);
	free(w);
	return o;
}

json_object *tiervm_counts_rates(struct tiervm_vm *vm, json_object *last,
				 tiervm_error **errp)
{
	char *path = tiervm_vm_path(vm, TIERVM_COUNTS_FILE);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct tiervm_count_hdr *h;
	json_object *o, *nodes;
	long long now = tiervm_now_us(), then = jint(last, "t_us", 0);
	struct stat st;

	free(path);
	if (fd < 0 || fstat(fd, &st) < 0 || (size_t)st.st_size < sizeof(*h) ||
	    (h = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd,
		      0)) == MAP_FAILED) {
		tiervm_error_set(errp, TIERVM_E_INPUT,
				 "'%s' was not started with counting",
				 vm->name);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "armed", json_object_new_boolean(h->armed));
	json_object_object_add(o, "t_us", json_object_new_int64(now));
	nodes = json_object_new_array();
	if ((size_t)st.st_size >=
	    tiervm_count_file_size(h->max_vcpus, h->max_nodes, h->frames)) {
		for (uint32_t n = 0; n < h->max_nodes; n++) {
			json_object *x = json_object_new_object();
			uint64_t a = node_accesses(h, n);
			long long prev = jint(jidx(jget(last, "nodes"), n),
					      "accesses", -1);

			json_object_object_add(x, "node",
					       json_object_new_int((int)n));
			json_object_object_add(
				x, "accesses",
				json_object_new_int64((int64_t)a));
			if (prev >= 0 && now > then && (uint64_t)prev <= a)
				json_object_object_add(
					x, "rate",
					json_object_new_double(
						(double)(a - (uint64_t)prev) *
						1e6 / (double)(now - then)));
			json_object_array_add(nodes, x);
		}
	}
	json_object_object_add(o, "nodes", nodes);
	munmap(h, (size_t)st.st_size);
	close(fd);
	return o;
}

int tiervm_window_exec(struct tiervm_vm *vm, const struct tiervm_exec_req *req,
		       const char *file, const char *plot, json_object **counts,
		       tiervm_error **errp)
{
	struct tiervm_window *w;
	json_object *c;
	int status;

	*counts = NULL;
	if (!tiervm_counts_outputs_free(file, plot, errp) ||
	    !(w = tiervm_window_open(vm, errp)))
		return -1;
	if (!tiervm_window_arm(w, errp)) {
		tiervm_window_close(w);
		return -1;
	}
	status = tiervm_exec_run(vm, req, errp);
	c = tiervm_window_close(w);
	/* the counts are kept whatever the command did; a failure to keep
	 * them is tiervm's */
	if (status >= 0 && (!tiervm_counts_write(c, file, errp) ||
			    (plot && !tiervm_counts_plot(c, plot, errp))))
		status = -1;
	*counts = c;
	return status;
}
