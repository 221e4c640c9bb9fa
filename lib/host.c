// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Host memory inventory: NUMA nodes, their HMAT figures, memory tiers, and
 * the device memory (dax, nvdimm, cxl) behind them.  Everything is read
 * through the fsroot helper so that captured trees test it.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_internal.h"

void host_note(struct disc *d, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	sbuf_addf(&d->notes, "%s\n", s);
	free(s);
}

char *host_readf(struct disc *d, const char *fmt, ...)
{
	va_list ap;
	char *path, *s;

	va_start(ap, fmt);
	path = xvasprintf(fmt, ap);
	va_end(ap);
	s = tiervm_fs_read(&d->root, path, NULL);
	free(path);
	return s;
}

uint64_t host_readu(struct disc *d, const char *path)
{
	uint64_t v;

	return tiervm_fs_read_u64(&d->root, path, &v, NULL) ? v : UINT64_MAX;
}

/* "nodeN" -> N; false for anything else */
bool host_name_num(const char *name, const char *prefix, unsigned *out)
{
	size_t n = strlen(prefix);
	char *end;
	unsigned long v;

	if (strncmp(name, prefix, n) || !isdigit((unsigned char)name[n]))
		return false;
	v = strtoul(name + n, &end, 10);
	if (*end || v >= TIERVM_HOST_MAX_NODES)
		return false;
	*out = (unsigned)v;
	return true;
}

/* Old kernels (and the ia64 capture) give only cpumap, a hex mask. */
static bool parse_cpumap(const char *s, struct tiervm_cpuset *set)
{
	size_t len = strlen(s);
	unsigned bit = 0;

	memset(set, 0, sizeof(*set));
	for (size_t i = len; i-- > 0;) {
		int v;

		if (s[i] == ',')
			continue;
		if (!isxdigit((unsigned char)s[i]))
			return false;
		v = isdigit((unsigned char)s[i])
			    ? s[i] - '0'
			    : tolower((unsigned char)s[i]) - 'a' + 10;
		for (int b = 0; b < 4; b++, bit++)
			if (v & (1 << b) && bit < TIERVM_MAX_CPUS)
				cpuset_set(set, bit);
	}
	return true;
}

static void read_cpus(struct disc *d, struct tiervm_host_node *n)
{
	char *s = host_readf(d, NODE_DIR "/node%u/cpulist", n->id);

	if (s) {
		/* an empty cpulist is a cpu-less node */
		if (*s && !tiervm_parse_cpulist(s, &n->cpus, NULL))
			host_note(d, "node%u/cpulist: '%.40s' is malformed",
				  n->id, s);
	} else if ((s = host_readf(d, NODE_DIR "/node%u/cpumap", n->id))) {
		if (!parse_cpumap(s, &n->cpus))
			host_note(d, "node%u/cpumap: '%.40s' is malformed",
				  n->id, s);
	} else {
		host_note(d, "node%u: no cpulist or cpumap", n->id);
	}
	free(s);
	n->has_cpus = cpuset_count(&n->cpus) > 0;
}

static void read_packages(struct disc *d, struct tiervm_host_node *n)
{
	for (unsigned c = 0; c < TIERVM_MAX_CPUS; c++) {
		char *path;
		uint64_t pkg;

		if (!cpuset_test(&n->cpus, c))
			continue;
		path = xasprintf(
			"/sys/devices/system/cpu/cpu%u/topology/physical_package_id",
			c);
		pkg = host_readu(d, path);
		free(path);
		if (pkg < TIERVM_MAX_CPUS)
			cpuset_set(&n->packages, (unsigned)pkg);
	}
}

static void read_memory(struct disc *d, struct tiervm_host_node *n)
{
	char *s = host_readf(d, NODE_DIR "/node%u/meminfo", n->id);
	const char *p;
	unsigned long long kb;

	p = s ? strstr(s, "MemTotal:") : NULL;
	if (p && sscanf(p, "MemTotal: %llu kB", &kb) == 1) {
		n->memory = kb * 1024;
		n->memory_known = true;
	} else {
		host_note(d, "node%u/meminfo: no MemTotal", n->id);
	}
	p = s ? strstr(s, "MemFree:") : NULL;
	n->memory_free = p && sscanf(p, "MemFree: %llu kB", &kb) == 1
				 ? kb * 1024
				 : UINT64_MAX;
	free(s);
}

/*
 * Pages the kernel moved between tiers, from a vmstat file: demoted
 * (pgdemote_kswapd, _direct, _khugepaged: 5.15+) and promoted
 * (pgpromote_success: 6.1+).  UINT64_MAX where the file has none.
 */
static void read_migration(struct disc *d, const char *path, uint64_t *demoted,
			   uint64_t *promoted)
{
	char *s = host_readf(d, "%s", path), *save = NULL;

	*demoted = *promoted = UINT64_MAX;
	for (char *line = s ? strtok_r(s, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long v;
		char key[64];

		if (sscanf(line, "%63s %llu", key, &v) != 2)
			continue;
		if (!strncmp(key, "pgdemote_", 9))
			*demoted = (*demoted == UINT64_MAX ? 0 : *demoted) + v;
		else if (!strcmp(key, "pgpromote_success"))
			*promoted = v;
	}
	free(s);
}

/* One "Key:   N kB" of /proc/meminfo, in bytes; false if absent. */
static bool meminfo_kb(const char *text, const char *key, uint64_t *bytes)
{
	const char *p = text ? strstr(text, key) : NULL;
	unsigned long long kb;

	if (!p || sscanf(p + strlen(key), ": %llu kB", &kb) != 1)
		return false;
	*bytes = kb * 1024;
	return true;
}

/* What QEMU's anonymous mappings are held to (plan_capacity.c). */
static void read_commit(struct disc *d, struct tiervm_host *h)
{
	char *m = host_readf(d, "/proc/meminfo"),
	     *o = host_readf(d, "/proc/sys/vm/overcommit_memory");

	h->commit_known = m && o && meminfo_kb(m, "MemTotal", &h->ram) &&
			  meminfo_kb(m, "SwapTotal", &h->swap) &&
			  meminfo_kb(m, "CommitLimit", &h->commit_limit) &&
			  meminfo_kb(m, "Committed_AS", &h->committed) &&
			  sscanf(o, "%d", &h->overcommit) == 1;
	free(m);
	free(o);
}

static void read_access(struct disc *d, struct tiervm_host_node *n,
			unsigned cls)
{
	struct tiervm_host_access *a = &n->access[cls];
	char *dir =
		xasprintf(NODE_DIR "/node%u/access%u/initiators", n->id, cls);
	char *path;
	char **ents;
	unsigned count, id;

	ents = tiervm_fs_list(&d->root, dir, &count, NULL);
	if (!ents) {
		free(dir);
		return;
	}
	a->present = true;
	for (unsigned i = 0; i < count; i++)
		if (host_name_num(ents[i], "node", &id))
			cpuset_set(&a->initiators, id);
/* 0 is the kernel's "no figure": the HMAT did not give one */
#define RD(field)                            \
	path = xasprintf("%s/" #field, dir); \
	a->field = host_readu(d, path);      \
	if (a->field == 0)                   \
		a->field = UINT64_MAX;       \
	free(path)
	RD(read_latency);
	RD(write_latency);
	RD(read_bandwidth);
	RD(write_bandwidth);
#undef RD
	tiervm_strv_free_null(ents);
	free(dir);
}

static void read_caches(struct disc *d, struct tiervm_host_node *n)
{
	for (unsigned l = 1; l <= 3; l++) {
		struct tiervm_host_cache *c = &n->caches[l];
		char *base = xasprintf(
			NODE_DIR "/node%u/memory_side_cache/index%u", n->id, l);
		char *p;

		if (!tiervm_fs_exists(&d->root, base)) {
			free(base);
			continue;
		}
		c->present = true;
		p = xasprintf("%s/size", base);
		c->size = host_readu(d, p);
		free(p);
		p = xasprintf("%s/line_size", base);
		c->line_size = host_readu(d, p);
		free(p);
		p = xasprintf("%s/indexing", base);
		c->indexing = host_readu(d, p);
		free(p);
		p = xasprintf("%s/write_policy", base);
		c->write_policy = host_readu(d, p);
		free(p);
		free(base);
	}
}

static void read_distances(struct disc *d, struct tiervm_host_node *n)
{
	char *s = host_readf(d, NODE_DIR "/node%u/distance", n->id);
	unsigned count = 0;
	char *p, *save = NULL;

	if (!s) {
		host_note(d, "node%u/distance: missing", n->id);
		return;
	}
	n->distance = xcalloc(d->h->n_nodes, sizeof(*n->distance));
	for (p = strtok_r(s, " \t", &save); p;
	     p = strtok_r(NULL, " \t", &save)) {
		uint64_t v;

		if (count >= d->h->n_nodes || !tiervm_parse_u64(p, &v, NULL) ||
		    v > 255)
			break;
		n->distance[count++] = (unsigned)v;
	}
	if (p || count != d->h->n_nodes) {
		host_note(d, "node%u/distance: %u values for %u nodes, ignored",
			  n->id, count, d->h->n_nodes);
		free(n->distance);
		n->distance = NULL;
	}
	free(s);
}

static void read_tiers(struct disc *d)
{
	const char *dir = "/sys/devices/virtual/memory_tiering";
	unsigned count, tier;
	char **ents = tiervm_fs_list(&d->root, dir, &count, NULL);

	if (!ents) {
		host_note(
			d,
			"memory_tiering: missing (kernel before 6.1, or not captured)");
		return;
	}
	d->h->tiers_known = true;
	for (unsigned i = 0; i < count; i++) {
		struct tiervm_cpuset nodes;
		char *s;

		if (!host_name_num(ents[i], "memory_tier", &tier))
			continue;
		s = host_readf(d, "%s/%s/nodelist", dir, ents[i]);
		if (s && tiervm_parse_cpulist(s, &nodes, NULL)) {
			for (unsigned j = 0; j < d->h->n_nodes; j++)
				if (cpuset_test(&nodes, d->h->nodes[j].id))
					d->h->nodes[j].tier = (int)tier;
		}
		free(s);
	}
	tiervm_strv_free_null(ents);
}

struct tiervm_host *tiervm_host_discover(const char *root, tiervm_error **errp)
{
	struct disc d = { 0 };
	struct tiervm_host *h;
	char **ents;
	unsigned count, id;

	if (!tiervm_fsroot_open(&d.root, root, errp))
		return NULL;
	h = xcalloc(1, sizeof(*h));
	h->root = xstrdup(root);
	d.h = h;
	ents = tiervm_fs_list(&d.root, NODE_DIR, &count, NULL);
	if (!ents)
		host_note(&d, NODE_DIR ": missing; no NUMA information");
	h->nodes = xcalloc(count + 1, sizeof(*h->nodes));
	for (unsigned i = 0; ents && i < count; i++) {
		if (host_name_num(ents[i], "node", &id)) {
			h->nodes[h->n_nodes].id = id;
			h->nodes[h->n_nodes].tier = -1;
			h->nodes[h->n_nodes].kind = TIERVM_HOST_UNKNOWN;
			h->n_nodes++;
		}
	}
	tiervm_strv_free_null(ents);
	read_migration(&d, "/proc/vmstat", &h->demoted, &h->promoted);
	read_commit(&d, h);
	for (unsigned i = 0; i < h->n_nodes; i++) {
		struct tiervm_host_node *n = &h->nodes[i];

		read_cpus(&d, n);
		read_packages(&d, n);
		read_memory(&d, n);
		{
			/* per node from 6.9; before, /proc/vmstat only */
			char *path =
				xasprintf(NODE_DIR "/node%u/vmstat", n->id);

			read_migration(&d, path, &n->demoted, &n->promoted);
			free(path);
		}
		read_distances(&d, n);
		read_access(&d, n, 0);
		read_access(&d, n, 1);
		read_caches(&d, n);
	}
	read_tiers(&d);
	host_read_devices(&d);
	host_classify(&d);
	h->notes = d.notes.s ? d.notes.s : xstrdup("");
	tiervm_fsroot_close(&d.root);
	return h;
}

void tiervm_host_free(struct tiervm_host *h)
{
	if (!h)
		return;
	for (unsigned i = 0; i < h->n_nodes; i++) {
		free(h->nodes[i].evidence);
		free(h->nodes[i].distance);
	}
	for (unsigned i = 0; i < h->n_dax; i++) {
		free(h->dax[i].name);
		free(h->dax[i].driver);
		free(h->dax[i].resource);
		free(h->dax[i].source);
	}
	for (unsigned i = 0; i < h->n_nd; i++) {
		free(h->nd[i].name);
		free(h->nd[i].type);
		free(h->nd[i].mode);
		free(h->nd[i].persistence);
	}
	for (unsigned i = 0; i < h->n_cxl; i++) {
		free(h->cxl[i].name);
		free(h->cxl[i].type);
		free(h->cxl[i].detail);
		free(h->cxl[i].path);
		free(h->cxl[i].uport);
		free(h->cxl[i].dports);
		free(h->cxl[i].serial);
		free(h->cxl[i].targets);
		free(h->cxl[i].mode);
	}
	for (unsigned i = 0; i < h->n_iomem; i++)
		free(h->iomem[i].name);
	free(h->nodes);
	free(h->dax);
	free(h->nd);
	free(h->cxl);
	free(h->iomem);
	free(h->notes);
	free(h->root);
	free(h);
}

const struct tiervm_host_node *tiervm_host_node(const struct tiervm_host *h,
						unsigned id)
{
	for (unsigned i = 0; h && i < h->n_nodes; i++)
		if (h->nodes[i].id == id)
			return &h->nodes[i];
	return NULL;
}
