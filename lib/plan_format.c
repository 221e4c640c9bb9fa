// SPDX-License-Identifier: LGPL-2.1-or-later
/* The plan for people (text), for shells (sh) and for programs (json). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "util_proc.h"

static json_object *strv_json(const struct strv *v)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < v->n; i++)
		json_object_array_add(a, json_object_new_string(v->v[i]));
	return a;
}

json_object *tiervm_plan_to_json(const struct tiervm_plan *p)
{
	json_object *o = json_object_new_object();
	json_object *q = json_object_new_object();
	char ver[32];

	snprintf(ver, sizeof(ver), "%u.%u.%u", p->caps->major, p->caps->minor,
		 p->caps->micro);
	json_object_object_add(o, "name",
			       json_object_new_string(p->spec->name));
	json_object_object_add(q, "binary",
			       json_object_new_string(p->caps->binary));
	json_object_object_add(q, "version", json_object_new_string(ver));
	json_object_object_add(o, "qemu", q);
	json_object_object_add(o, "accel", json_object_new_string(p->accel));
	json_object_object_add(o, "ram",
			       json_object_new_int64((int64_t)p->ram));
	json_object_object_add(o, "maxmem",
			       json_object_new_int64((int64_t)p->maxmem));
	json_object_object_add(o, "slots", json_object_new_int((int)p->slots));
	json_object_object_add(o, "hmat", json_object_new_boolean(p->r->hmat));
	json_object_object_add(o, "argv", strv_json(&p->argv));
	json_object_object_add(o, "kernel_args", strv_json(&p->kernel_args));
	json_object_object_add(o, "notes", strv_json(&p->notes));
	json_object_object_add(o, "expected", json_object_get(p->expected));
	return o;
}

static char *joined_kernel_args(const struct tiervm_plan *p)
{
	struct sbuf b = { 0 };

	for (size_t i = 0; i < p->kernel_args.n; i++)
		sbuf_addf(&b, "%s%s", i ? " " : "", p->kernel_args.v[i]);
	return b.s ? b.s : xstrdup("");
}

/* QEMU options start a new line, their values stay beside them. */
/*
 * A kind the guest can show (a device behind it: soft-reserved, or memory
 * a kmem device brings) is an expectation; boot memory of another kind is
 * the spec's name for it, in parentheses: the guest cannot show it.
 */
static const char *kind_label(json_object *e, char *buf, size_t len)
{
	json_object *k = json_object_object_get(e, "kind");
	const char *name = json_object_get_string(k);

	if (!strcmp(name, "soft-reserved") ||
	    json_object_get_int64(json_object_object_get(e, "memory")) == 0)
		return name;
	snprintf(buf, len, "(%s)", name);
	return buf;
}

static void add_command(struct sbuf *b, const struct tiervm_plan *p)
{
	for (size_t i = 0; i < p->argv.n; i++) {
		char *q = tiervm_shell_quote(p->argv.v[i]);
		bool opt = p->argv.v[i][0] == '-' && i > 0;

		sbuf_addf(b, "%s%s", opt ? " \\\n    " : (i ? " " : ""), q);
		free(q);
	}
	sbuf_addf(b, "\n");
}

static void add_view(struct sbuf *b, const struct tiervm_plan *p,
		     const char *pfx)
{
	json_object *nodes, *arr;
	size_t n;

	json_object_object_get_ex(p->expected, "nodes", &nodes);
	n = json_object_array_length(nodes);
	sbuf_addf(b, "%s%-5s %-14s %-8s %-10s %-9s %s\n", pfx, "node", "kind",
		  "cpus", "memory", "initiator", "distances");
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(nodes, i), *v, *d;
		char *mem, kind[32];
		struct sbuf row = { 0 };

		json_object_object_get_ex(e, "memory", &v);
		mem = tiervm_format_size((uint64_t)json_object_get_int64(v));
		json_object_object_get_ex(e, "distances", &d);
		for (size_t j = 0; j < json_object_array_length(d); j++)
			sbuf_addf(&row, "%s%d", j ? " " : "",
				  json_object_get_int(
					  json_object_array_get_idx(d, j)));
		json_object_object_get_ex(e, "initiator", &v);
		sbuf_addf(b, "%s%-5zu %-14s %-8s %-10s %-9s %s\n", pfx, i,
			  kind_label(e, kind, sizeof(kind)),
			  *json_object_get_string(
				  json_object_object_get(e, "cpus"))
				  ? json_object_get_string(
					    json_object_object_get(e, "cpus"))
				  : "-",
			  mem, v ? json_object_get_string(v) : "-",
			  row.s ? row.s : "");
		free(mem);
		sbuf_free(&row);
	}
	sbuf_addf(
		b,
		"%s(kind): the spec's name for boot memory; no device in the guest can confirm it\n",
		pfx);
	if (p->r->hmat) {
		sbuf_addf(b,
			  "%s\n%sHMAT, as nodeN/access0/initiators shows it:\n",
			  pfx, pfx);
		sbuf_addf(b, "%s%-5s %-9s %-12s %-16s %s\n", pfx, "node",
			  "initiator", "latency(ns)", "bandwidth(MB/s)",
			  "from");
		for (size_t i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(nodes, i),
				    *a;

			if (!json_object_object_get_ex(e, "access0", &a))
				continue;
			sbuf_addf(b, "%s%-5zu %-9d %-12lld %-16lld %s/%s\n",
				  pfx, i,
				  json_object_get_int(json_object_object_get(
					  a, "initiator")),
				  (long long)json_object_get_int64(
					  json_object_object_get(
						  a, "read_latency")),
				  (long long)json_object_get_int64(
					  json_object_object_get(
						  a, "read_bandwidth")),
				  json_object_get_string(json_object_object_get(
					  a, "latency_from")),
				  json_object_get_string(json_object_object_get(
					  a, "bandwidth_from")));
		}
	}
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(nodes, i);

		if (!json_object_object_get_ex(e, "caches", &arr))
			continue;
		for (size_t k = 0; k < json_object_array_length(arr); k++) {
			json_object *c = json_object_array_get_idx(arr, k);

			sbuf_addf(
				b,
				"%snode %zu memory-side cache L%d: %lld bytes, line %d\n",
				pfx, i,
				json_object_get_int(
					json_object_object_get(c, "level")),
				(long long)json_object_get_int64(
					json_object_object_get(c, "size")),
				json_object_get_int(json_object_object_get(
					c, "line_size")));
		}
	}
	{
		static const char *const devs[] = { "nvdimms", "virtio_mem",
						    "cxl" };

		for (size_t k = 0; k < ARRAY_SIZE(devs); k++) {
			if (!json_object_object_get_ex(p->expected, devs[k],
						       &arr))
				continue;
			for (size_t i = 0; i < json_object_array_length(arr);
			     i++)
				sbuf_addf(b, "%s%s: %s\n", pfx, devs[k],
					  json_object_to_json_string_ext(
						  json_object_array_get_idx(arr,
									    i),
						  JSON_C_TO_STRING_PLAIN));
		}
	}
}

char *tiervm_plan_format_sh(const struct tiervm_plan *p)
{
	struct sbuf b = { 0 };
	char *k = joined_kernel_args(p);

	sbuf_addf(&b, "#!/bin/sh\n# QEMU command planned by tiervm for '%s'.\n",
		  p->spec->name);
	sbuf_addf(&b, "# Guest kernel arguments tiervm adds: %s\n",
		  *k ? k : "(none)");
	for (size_t i = 0; i < p->notes.n; i++)
		sbuf_addf(&b, "# Note: %s\n", p->notes.v[i]);
	sbuf_addf(&b, "# Expected guest view:\n");
	add_view(&b, p, "#   ");
	sbuf_addf(&b, "exec ");
	add_command(&b, p);
	free(k);
	return b.s;
}

char *tiervm_plan_format_text(const struct tiervm_plan *p)
{
	struct sbuf b = { 0 };
	char *k = joined_kernel_args(p);

	sbuf_addf(&b, "QEMU %u.%u.%u, accel %s:\n", p->caps->major,
		  p->caps->minor, p->caps->micro, p->accel);
	add_command(&b, p);
	sbuf_addf(&b, "\nGuest kernel arguments tiervm adds: %s\n",
		  *k ? k : "(none)");
	for (size_t i = 0; i < p->notes.n; i++)
		sbuf_addf(&b, "Note: %s\n", p->notes.v[i]);
	sbuf_addf(&b, "\nExpected guest view:\n");
	add_view(&b, p, "  ");
	free(k);
	return b.s;
}
