// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A plan as libvirt domain XML (libvirt 6.6+ for cpu-less cells, HMAT and
 * caches; 7.9+ for virtio-mem).  It is made from the same resolved spec as
 * the QEMU arguments, so both say the same machine; tests/libvirt-argv.sh
 * holds libvirt's own translation against tiervm's argv.
 */
#include <inttypes.h>
#include <libxml/tree.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvdimm.h"
#include "vm.h"
#include "plan_libvirt.h"
#include "spec_diag.h"
#include "util.h"
#include "util_proc.h"

#define QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"

struct dom {
	const struct tiervm_plan *plan;
	struct strv *notes;
	const struct tiervm_spec *s;
	const struct tiervm_domain_env *env;
	xmlNs *qemu_ns;
	struct tiervm_diags d;
};

static xmlNode *add(xmlNode *parent, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A child element, with text when @fmt is not NULL. */
static xmlNode *add(xmlNode *parent, const char *name, const char *fmt, ...)
{
	xmlNode *n;
	char *text = NULL;
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		text = xvasprintf(fmt, ap);
		va_end(ap);
	}
	n = xmlNewTextChild(parent, NULL, (const xmlChar *)name,
			    (const xmlChar *)text);
	free(text);
	return n;
}

static void prop(xmlNode *n, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void prop(xmlNode *n, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *v;

	va_start(ap, fmt);
	v = xvasprintf(fmt, ap);
	va_end(ap);
	xmlNewProp(n, (const xmlChar *)name, (const xmlChar *)v);
	free(v);
}

static xmlNode *kib(xmlNode *parent, const char *name, uint64_t bytes)
{
	xmlNode *n = add(parent, name, "%" PRIu64, (uint64_t)(bytes / KiB));

	prop(n, "unit", "KiB");
	return n;
}

static const char *const modes[] = { "strict", "preferred", "interleave" };

static void nodeset(xmlNode *n, const char *attr,
		    const struct tiervm_plan_bind *b)
{
	char *list = tiervm_format_cpulist(&b->nodes);

	prop(n, attr, "%s", list);
	free(list);
}

/* ---- cpu and NUMA ----------------------------------------------------- */

static void cell_caches(struct dom *x, xmlNode *cell, unsigned id)
{
	static const char *const assoc[] = { "none", "direct", "full" };
	static const char *const policy[] = { "none", "writeback",
					      "writethrough" };

	for (unsigned i = 0; i < x->s->n_caches; i++) {
		const struct tiervm_cache *c = &x->s->caches[i];
		xmlNode *n, *v;

		if (c->node != id)
			continue;
		n = add(cell, "cache", NULL);
		prop(n, "level", "%u", c->level);
		prop(n, "associativity", "%s", assoc[c->assoc]);
		prop(n, "policy", "%s", policy[c->policy]);
		/* KiB: a size in MiB reaches QEMU as KiB in libvirt 9.0 */
		v = add(n, "size", NULL);
		prop(v, "value", "%" PRIu64, (uint64_t)(c->size / KiB));
		prop(v, "unit", "KiB");
		v = add(n, "line", NULL);
		prop(v, "value", "%u", c->line_size);
		prop(v, "unit", "B");
	}
}

/*
 * libvirt holds one figure per pair of nodes and gives it to both
 * directions ("Link already defined" for the second), so opposite links
 * must agree; a spec whose figures differ is refused for this format.
 */
static void refuse_pair(struct dom *x, unsigned a, unsigned b,
			const struct tiervm_lb *ab, const struct tiervm_lb *ba)
{
	char *key = xstrdup("hmat");
	int line = 0;

	/* the spec's own entry for either direction, when it has one */
	for (unsigned k = 0; k < x->s->n_hmat; k++) {
		const struct tiervm_hmat *h = &x->s->hmat[k];

		if ((h->initiator == a && h->target == b) ||
		    (h->initiator == b && h->target == a)) {
			free(key);
			key = xasprintf("hmat[%u]", k);
			line = h->line;
			break;
		}
	}
	diag_add(
		&x->d, line, key,
		"initiator %u -> target %u (%" PRIu64 " ns, %" PRIu64
		"M/s) and %u -> %u (%" PRIu64 " ns, %" PRIu64
		"M/s) differ, and libvirt gives one link both directions: make them equal, or use tiervm's own engine",
		a, b, ab->latency, (uint64_t)(ab->bandwidth / MiB), b, a,
		ba->latency, (uint64_t)(ba->bandwidth / MiB));
	free(key);
}

static void interconnects(struct dom *x, xmlNode *numa)
{
	const struct tiervm_resolved *r = x->plan->r;
	xmlNode *ic = add(numa, "interconnects", NULL);

	for (unsigned i = 0; i < r->n; i++) {
		for (unsigned t = 0; t < r->n; t++) {
			const struct tiervm_lb *lb = tiervm_resolved_lb(r, i,
									t),
					       *back;
			xmlNode *n;

			if (!tiervm_spec_node(x->s, i)->has_cpus ||
			    !lb->latency)
				continue;
			if (t < i && tiervm_spec_node(x->s, t)->has_cpus) {
				back = tiervm_resolved_lb(r, t, i);
				if (back->latency != lb->latency ||
				    back->bandwidth != lb->bandwidth)
					refuse_pair(x, t, i, back, lb);
				continue;
			}
			n = add(ic, "latency", NULL);
			prop(n, "initiator", "%u", i);
			prop(n, "target", "%u", t);
			prop(n, "type", "access");
			prop(n, "value", "%" PRIu64, lb->latency);
			n = add(ic, "bandwidth", NULL);
			prop(n, "initiator", "%u", i);
			prop(n, "target", "%u", t);
			prop(n, "type", "access");
			prop(n, "value", "%" PRIu64,
			     (uint64_t)(lb->bandwidth / MiB));
			prop(n, "unit", "MiB");
		}
	}
}

static void cpu(struct dom *x, xmlNode *domain)
{
	const struct tiervm_resolved *r = x->plan->r;
	xmlNode *cpu = add(domain, "cpu", NULL), *n, *numa;

	if (x->s->cxl.line) {
		/* plan_cxls(): the guest must not see a hypervisor flag */
		prop(cpu, "mode", "custom");
		prop(cpu, "match", "exact");
		add(cpu, "model", "qemu64");
		n = add(cpu, "feature", NULL);
		prop(n, "policy", "disable");
		prop(n, "name", "hypervisor");
	}
	n = add(cpu, "topology", NULL);
	prop(n, "sockets", "%u", r->sockets);
	prop(n, "dies", "1");
	prop(n, "cores", "%u", x->s->machine.cpus / r->sockets);
	prop(n, "threads", "1");
	numa = add(cpu, "numa", NULL);
	for (unsigned id = 0; id < r->n; id++) {
		const struct tiervm_node *node = tiervm_spec_node(x->s, id);
		xmlNode *cell = add(numa, "cell", NULL), *dist;

		prop(cell, "id", "%u", id);
		if (node->has_cpus) {
			char *list = tiervm_format_cpulist(&node->cpus);

			prop(cell, "cpus", "%s", list);
			free(list);
		}
		prop(cell, "memory", "%" PRIu64,
		     (uint64_t)(node->memory / KiB));
		prop(cell, "unit", "KiB");
		if (node->mem.backend != TIERVM_BACKEND_RAM)
			prop(cell, "memAccess", "shared");
		dist = add(cell, "distances", NULL);
		for (unsigned to = 0; to < r->n; to++) {
			xmlNode *sib = add(dist, "sibling", NULL);

			prop(sib, "id", "%u", to);
			prop(sib, "value", "%u", r->dist[id * r->n + to]);
		}
		cell_caches(x, cell, id);
	}
	if (r->hmat)
		interconnects(x, numa);
}

/*
 * Node memory: libvirt chooses the backend's file itself (qemu.conf's
 * memory_backing_dir), for every node alike; a node's own path, or nodes
 * with different backends, cannot be said.
 */
static void memory_backing(struct dom *x, xmlNode *domain)
{
	enum tiervm_backend kind = TIERVM_BACKEND_RAM;
	bool huge = false, prealloc = false, first = true;
	xmlNode *mb;

	for (unsigned i = 0; i < x->s->n_nodes; i++) {
		const struct tiervm_node *n = &x->s->nodes[i];
		char *key = xasprintf("nodes[%u]", i);

		if (!n->memory) {
			/* QEMU: "property 'size' of memory-backend-ram doesn't
			 * take value '0'" */
			diag_add_in(
				&x->d,
				n->memory_line ? n->memory_line : n->line, key,
				"memory",
				"libvirt 9.0 gives every NUMA cell a memory backend, and QEMU refuses one of size 0: give the node memory, or use tiervm's own engine for a device-only node");
			free(key);
			continue;
		}
		if (n->mem.backend == TIERVM_BACKEND_FILE)
			diag_add_in(
				&x->d, n->line, key, "path",
				"libvirt names a node's backing file itself (memory_backing_dir in qemu.conf): leave path out, or use tiervm's own engine");
		else if (!first &&
			 (n->mem.backend != kind || n->mem.hugepages != huge ||
			  n->mem.prealloc != prealloc))
			diag_add_in(
				&x->d, n->line, key, "backend",
				"libvirt backs every node alike; this node differs from the first");
		kind = first ? n->mem.backend : kind;
		huge = first ? n->mem.hugepages : huge;
		prealloc = first ? n->mem.prealloc : prealloc;
		first = false;
		free(key);
	}
	/* a generic port is a proximity domain without memory: a cell again */
	for (unsigned i = 0; i < x->s->cxl.n_regions; i++) {
		const struct tiervm_cxl_region *r = &x->s->cxl.regions[i];
		char *key = xasprintf("cxl.regions[%u]", i);

		if (r->latency || r->bandwidth)
			diag_add_in(
				&x->d, r->line, key,
				r->latency ? "latency" : "bandwidth",
				"a CXL path's figures need a generic port, a NUMA node without memory, which libvirt 9.0 cannot give (every cell gets a memory backend): leave them out, or use tiervm's own engine");
		free(key);
	}
	if (kind == TIERVM_BACKEND_RAM && !huge && !prealloc)
		return;
	mb = add(domain, "memoryBacking", NULL);
	if (huge)
		add(mb, "hugepages", NULL);
	if (kind == TIERVM_BACKEND_MEMFD)
		prop(add(mb, "source", NULL), "type", "memfd");
	if (prealloc)
		prop(add(mb, "allocation", NULL), "mode", "immediate");
}

static void numatune(struct dom *x, xmlNode *domain)
{
	xmlNode *nt = NULL;

	for (unsigned id = 0; id < x->plan->r->n; id++) {
		char *backend = xasprintf("tiervm-node%u", id);
		const struct tiervm_plan_bind *b =
			tiervm_plan_bind_of(x->plan, backend);
		xmlNode *n;

		free(backend);
		if (!b)
			continue;
		if (!nt)
			nt = add(domain, "numatune", NULL);
		n = add(nt, "memnode", NULL);
		prop(n, "cellid", "%u", id);
		prop(n, "mode", "%s", modes[b->policy]);
		nodeset(n, "nodeset", b);
	}
}

/* ---- devices ---------------------------------------------------------- */

static void alias(xmlNode *dev, const char *id)
{
	prop(add(dev, "alias", NULL), "name", TIERVM_LIBVIRT_ALIAS "%s", id);
}

/* What the plan decided for @id's backend: its -object argument. */
static const char *nv_backend(const struct tiervm_plan *plan, const char *id)
{
	char *prefix = xasprintf("memory-backend-file,id=tiervm-nv-%s,", id);
	const char *found = "";

	for (size_t i = 0; i < plan->argv.n; i++)
		if (!strncmp(plan->argv.v[i], prefix, strlen(prefix)))
			found = plan->argv.v[i];
	free(prefix);
	return found;
}

/* QEMU would grow the user's file to libvirt's rounded size. */
#define NOT_2M                                                                   \
	"libvirt rounds an NVDIMM's size + label-size up to 2M, and QEMU would " \
	"grow the backing file to match: make size + label-size a multiple of "  \
	"2M (label-size: 2M, or 0)"

static bool whole_2m(const struct tiervm_nvdimm *nv)
{
	return tiervm_nvdimm_backing_size(nv) % (2 * MiB) == 0;
}

static void nvdimm_device(xmlNode *devs, const struct tiervm_nvdimm *nv,
			  const char *where, bool align_2m, bool pmem)
{
	xmlNode *m = add(devs, "memory", NULL), *src, *tgt;

	prop(m, "model", "nvdimm");
	prop(m, "access", nv->readonly ? "private" : "shared");
	src = add(m, "source", NULL);
	/* libvirt's QEMU has another working directory */
	if (where) {
		add(src, "path", "%s", where);
	} else if (nv->path[0] == '/') {
		add(src, "path", "%s", nv->path);
	} else {
		char *cwd = getcwd(NULL, 0);

		add(src, "path", "%s/%s", cwd ? cwd : ".", nv->path);
		free(cwd);
	}
	if (align_2m)
		kib(src, "alignsize", 2 * MiB);
	if (pmem)
		add(src, "pmem", NULL);
	tgt = add(m, "target", NULL);
	/* libvirt's size is the whole file: the label area in it */
	kib(tgt, "size", tiervm_nvdimm_backing_size(nv));
	add(tgt, "node", "%u", nv->has_node ? nv->node : 0);
	if (nv->label_size)
		kib(add(tgt, "label", NULL), "size", nv->label_size);
	if (nv->readonly)
		add(tgt, "readonly", NULL);
	alias(m, nv->id);
}

static void nvdimms(struct dom *x, xmlNode *devs)
{
	for (unsigned i = 0; i < x->s->n_nvdimms; i++) {
		const struct tiervm_nvdimm *nv = &x->s->nvdimms[i];
		const char *backend = nv_backend(x->plan, nv->id);
		char *key = xasprintf("nvdimms[%u]", i);

		if (!whole_2m(nv))
			diag_add_in(&x->d, nv->line, key, "label-size", "%s",
				    NOT_2M);
		free(key);
		nvdimm_device(devs, nv,
			      x->env->nv_paths ? x->env->nv_paths[i] : NULL,
			      strstr(backend, ",align=2M"),
			      strstr(backend, ",pmem=on"));
	}
}

char *tiervm_libvirt_nvdimm_xml(const struct tiervm_nvdimm *nv,
				const char *where, bool on_dax,
				tiervm_error **errp)
{
	xmlDoc *doc;
	xmlNode *root;
	xmlBuffer *buf;
	char *out;

	if (!whole_2m(nv)) {
		tiervm_error_set(errp, TIERVM_E_INPUT, "label-size: %s",
				 NOT_2M);
		return NULL;
	}
	doc = xmlNewDoc((const xmlChar *)"1.0");
	root = xmlNewNode(NULL, (const xmlChar *)"devices");
	xmlDocSetRootElement(doc, root);
	nvdimm_device(root, nv, where, on_dax,
		      on_dax && nv->pmem != TIERVM_OFF);
	buf = xmlBufferCreate();
	xmlNodeDump(buf, doc, root->children, 0, 1);
	out = xstrdup((const char *)xmlBufferContent(buf));
	xmlBufferFree(buf);
	xmlFreeDoc(doc);
	return out;
}

static void vmems(struct dom *x, xmlNode *devs)
{
	for (unsigned i = 0; i < x->s->n_vmems; i++) {
		const struct tiervm_vmem *v = &x->s->vmems[i];
		char *backend = xasprintf("tiervm-vm-%s", v->id);
		const struct tiervm_plan_bind *b =
			tiervm_plan_bind_of(x->plan, backend);
		xmlNode *m = add(devs, "memory", NULL), *tgt;

		free(backend);
		prop(m, "model", "virtio-mem");
		if (b) {
			char *list = tiervm_format_cpulist(&b->nodes);

			add(add(m, "source", NULL), "nodemask", "%s", list);
			free(list);
		}
		tgt = add(m, "target", NULL);
		kib(tgt, "size", v->size);
		add(tgt, "node", "%u", v->node);
		kib(tgt, "block", tiervm_vmem_block_size(v));
		kib(tgt, "requested", v->requested);
		alias(m, v->id);
	}
}

/*
 * Over a daemon's connection, the lines are the relay's streams
 * (engine_libvirt_relay.h): the serial lines ptys, the exec ports unix
 * sockets libvirt places itself.
 */
static void streamed_channels(xmlNode *devs)
{
	xmlNode *n, *t;

	for (unsigned i = 0; i < 2; i++) {
		n = add(devs, "serial", NULL);
		prop(n, "type", "pty");
		prop(add(n, "target", NULL), "port", "%u", i);
	}
	for (unsigned i = 0; i < TIERVM_EXEC_PORTS; i++) {
		n = add(devs, "channel", NULL);
		prop(n, "type", "unix");
		prop(add(n, "source", NULL), "mode", "bind");
		t = add(n, "target", NULL);
		prop(t, "type", "virtio");
		prop(t, "name", "org.tiervm.exec.%u", i);
	}
}

static void channels(struct dom *x, xmlNode *devs)
{
	xmlNode *n, *src;

	if (x->env->streams) {
		streamed_channels(devs);
		return;
	}
	/* ttyS0: the console, to a file; ttyS1: the probe's own channel */
	n = add(devs, "serial", NULL);
	prop(n, "type", "file");
	prop(add(n, "source", NULL), "path", "%s/console.log", x->env->dir);
	prop(add(n, "target", NULL), "port", "0");
	n = add(devs, "serial", NULL);
	prop(n, "type", "unix");
	src = add(n, "source", NULL);
	prop(src, "mode", "bind");
	prop(src, "path", "%s/probe.sock", x->env->dir);
	prop(add(n, "target", NULL), "port", "1");
	for (unsigned i = 0; i < TIERVM_EXEC_PORTS; i++) {
		xmlNode *t;

		n = add(devs, "channel", NULL);
		prop(n, "type", "unix");
		src = add(n, "source", NULL);
		prop(src, "mode", "bind");
		prop(src, "path", "%s/exec%u.sock", x->env->dir, i);
		t = add(n, "target", NULL);
		prop(t, "type", "virtio");
		prop(t, "name", "org.tiervm.exec.%u", i);
	}
}

/* The engine's 9p shares: security_model=none is libvirt's "squash". */
static void shares(struct dom *x, xmlNode *devs)
{
	const struct tiervm_domain_env *e = x->env;

	for (int i = e->host_root ? -1 : 0; i < (int)e->n_shares; i++) {
		xmlNode *fs = add(devs, "filesystem", NULL);

		prop(fs, "type", "mount");
		prop(fs, "accessmode", "squash");
		prop(fs, "multidevs", "remap");
		prop(add(fs, "source", NULL), "dir", "%s",
		     i < 0 ? "/" : e->shares[i].host);
		if (i < 0)
			prop(add(fs, "target", NULL), "dir", "tiervm-root");
		else
			prop(add(fs, "target", NULL), "dir", "tiervm-s%d", i);
		if (i < 0 || e->shares[i].ro)
			add(fs, "readonly", NULL);
	}
}

/* "driver,k=v,..." as QEMU's JSON: numbers, sizes and on/off typed. */
static char *option_json(const char *first_key, const char *opt)
{
	char *copy = xstrdup(opt), *save = NULL, *tok;
	json_object *o = json_object_new_object();
	char *out;
	bool first = true;

	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save), first = false) {
		char *eq = strchr(tok, '=');
		uint64_t v;

		if (first && !eq) {
			json_object_object_add(o, first_key,
					       json_object_new_string(tok));
			continue;
		}
		if (!eq)
			continue;
		*eq++ = '\0';
		if (!strcmp(eq, "on") || !strcmp(eq, "off"))
			json_object_object_add(
				o, tok, json_object_new_boolean(eq[1] == 'n'));
		else if (tiervm_parse_size(eq, &v, NULL) && strcmp(tok, "id") &&
			 strcmp(tok, "bus"))
			json_object_object_add(
				o, tok, json_object_new_int64((int64_t)v));
		else
			json_object_object_add(o, tok,
					       json_object_new_string(eq));
	}
	out = xstrdup(
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	free(copy);
	return out;
}

static void qemu_arg(struct dom *x, xmlNode *cl, const char *value)
{
	xmlNewProp(xmlNewChild(cl, x->qemu_ns, (const xmlChar *)"arg", NULL),
		   (const xmlChar *)"value", (const xmlChar *)value);
}

/*
 * CXL has no libvirt element: its objects and devices go in as QEMU's own
 * arguments, in JSON (plain -device arguments are made before libvirt's
 * devices and collide with them on PCI slots), the windows as a second
 * -machine that QEMU merges into the first.  The NVDIMM persistence domain
 * has none either: a -machine of its own.
 */
static void qemu_commandline(struct dom *x, xmlNode *domain)
{
	const struct strv *a = &x->plan->argv;
	enum tiervm_nv_persistence pd = x->s->machine.nvdimm_persistence;
	xmlNode *cl;

	if (!x->s->cxl.line && !pd)
		return;
	x->qemu_ns = xmlNewNs(domain, (const xmlChar *)QEMU_NS,
			      (const xmlChar *)"qemu");
	cl = xmlNewChild(domain, x->qemu_ns, (const xmlChar *)"commandline",
			 NULL);
	for (size_t i = 0; i + 1 < a->n; i++) {
		const char *v = a->v[i + 1];

		if (!strcmp(a->v[i], "-machine")) {
			const char *cxl = strstr(v, ",cxl=on");

			if (x->s->cxl.line) {
				qemu_arg(x, cl, "-machine");
				qemu_arg(x, cl, cxl ? cxl + 1 : "cxl=on");
			}
			if (pd) {
				char *m =
					xasprintf("nvdimm-persistence=%s",
						  tiervm_persistence_names[pd]);

				qemu_arg(x, cl, "-machine");
				qemu_arg(x, cl, m);
				free(m);
			}
		} else if (!strcmp(a->v[i], "-object") &&
			   strstr(v, ",id=tiervm-cxl")) {
			char *j = option_json("qom-type", v);

			qemu_arg(x, cl, "-object");
			qemu_arg(x, cl, j);
			free(j);
		} else if (!strcmp(a->v[i], "-device") &&
			   (!strncmp(v, "pxb-cxl,", 8) ||
			    !strncmp(v, "cxl-rp,", 7) ||
			    !strncmp(v, "cxl-upstream,", 13) ||
			    !strncmp(v, "cxl-downstream,", 15) ||
			    !strncmp(v, "cxl-type3,", 10))) {
			char *j = option_json("driver", v);

			qemu_arg(x, cl, "-device");
			qemu_arg(x, cl, j);
			free(j);
		}
	}
	if (x->notes && x->s->cxl.line)
		strv_pushf(
			x->notes,
			"libvirt: CXL host bridges, ports, devices and windows are QEMU's own arguments (<qemu:commandline>): libvirt marks such a domain tainted and does not manage them");
}

/* libvirt wants the emulator's absolute path; QEMU's argv[0] is searched. */
static char *emulator(const char *bin)
{
	char *found = strchr(bin, '/') ? NULL : tiervm_which(bin);

	return found ? found : xstrdup(bin);
}

char *tiervm_plan_format_libvirt(const struct tiervm_plan *plan,
				 const struct tiervm_domain_env *env,
				 struct strv *notes, tiervm_error **errp)
{
	struct dom x = {
		.plan = plan, .notes = notes, .s = plan->spec, .env = env
	};
	xmlDoc *doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNode *domain = xmlNewNode(NULL, (const xmlChar *)"domain"), *n,
		*devs;
	xmlChar *text = NULL;
	char *out = NULL;
	int len;

	x.d.file = plan->spec->file;
	x.d.lines = plan->spec->lines;
	xmlDocSetRootElement(doc, domain);
	/* libvirt offers kvm wherever /dev/kvm exists; guests here need not
	 * run under it (tiervm's own probe decides) */
	prop(domain, "type", "%s", strcmp(plan->accel, "kvm") ? "qemu" : "kvm");
	add(domain, "name", "%s", env->name);
	if (env->uuid)
		add(domain, "uuid", "%s", env->uuid);
	kib(domain, "memory", plan->ram);
	if (plan->maxmem > plan->ram) {
		n = kib(domain, "maxMemory", plan->maxmem);
		prop(n, "slots", "%u", plan->slots ? plan->slots : 1);
	}
	add(domain, "vcpu", "%u", plan->spec->machine.cpus);
	n = add(domain, "os", NULL);
	{
		xmlNode *t = add(n, "type", "hvm");

		prop(t, "arch", "x86_64");
		prop(t, "machine", "%s", plan->spec->machine.pc ? "pc" : "q35");
	}
	add(n, "kernel", "%s", env->kernel);
	add(n, "initrd", "%s", env->initrd);
	add(n, "cmdline", "%s", env->append);
	add(add(domain, "features", NULL), "acpi", NULL);
	cpu(&x, domain);
	memory_backing(&x, domain);
	numatune(&x, domain);
	add(domain, "on_poweroff", "destroy");
	add(domain, "on_reboot", "destroy");
	add(domain, "on_crash", "destroy");
	devs = add(domain, "devices", NULL);
	/* another host's QEMU is its own: libvirt's default there */
	if (!env->remote) {
		char *bin = emulator(plan->argv.v[0]);

		add(devs, "emulator", "%s", bin);
		free(bin);
	}
	channels(&x, devs);
	shares(&x, devs);
	nvdimms(&x, devs);
	vmems(&x, devs);
	prop(add(devs, "controller", NULL), "type", "usb");
	xmlSetProp(xmlGetLastChild(devs), (const xmlChar *)"model",
		   (const xmlChar *)"none");
	prop(add(devs, "memballoon", NULL), "model", "none");
	{
		/* as the QEMU engine: the guest's random pool seeded at once */
		xmlNode *rng = add(devs, "rng", NULL);

		prop(rng, "model", "virtio");
		prop(add(rng, "backend", "/dev/urandom"), "model", "random");
	}
	qemu_commandline(&x, domain);
	if (diag_finish(&x.d, errp)) {
		xmlDocDumpFormatMemoryEnc(doc, &text, &len, "UTF-8", 1);
		/* the domain alone, without the XML declaration */
		out = xstrdup(strstr((char *)text, "<domain"));
		xmlFree(text);
	}
	xmlFreeDoc(doc);
	return out;
}
