// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The guest's CXL tree as its cxl tool shows it (`cxl list -P -M -R -T`,
 * the report's "cxl_list"): a second witness beside sysfs, the view CXL
 * users have.  The nesting ("ports:port1", "memdevs:port2") gives depth.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "util_json.h"
#include "verify_internal.h"

/* What `cxl list -P -M -R -T` shows, gathered from its nesting. */
struct tool_view {
	struct strv bridges, switches,
		memdevs;      /* "nr_dports", "serial@depth" */
	json_object *regions; /* borrowed */
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *sorted(struct strv *l)
{
	struct sbuf b = { 0 };

	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_str);
	for (size_t i = 0; i < l->n; i++)
		sbuf_addf(&b, "%s%s", i ? " " : "", l->v[i]);
	return b.s ? b.s : xstrdup("none");
}

static void tool_list(json_object *a, int depth, struct tool_view *t,
		      bool ports);

static void tool_walk(json_object *o, int depth, struct tool_view *t)
{
	if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < jlen(o); i++)
			tool_walk(jidx(o, i), depth, t);
		return;
	}
	if (!json_object_is_type(o, json_type_object))
		return;
	json_object_object_foreach(o, key, val)
	{
		if (!strcmp(key, "ports") || !strncmp(key, "ports:", 6))
			tool_list(val, depth, t, true);
		else if (!strcmp(key, "memdevs") ||
			 !strncmp(key, "memdevs:", 8))
			tool_list(val, depth, t, false);
		else if (!strcmp(key, "regions"))
			t->regions = val;
	}
}

static void tool_list(json_object *a, int depth, struct tool_view *t,
		      bool ports)
{
	for (size_t i = 0;
	     json_object_is_type(a, json_type_array) && i < jlen(a); i++) {
		json_object *e = jidx(a, i);
		long long d = jint(e, "depth", -1);

		if (!ports) {
			/* a number without -u; sysfs and the plan write hex */
			json_object *sn = jget(e, "serial");

			if (json_object_is_type(sn, json_type_int))
				strv_pushf(&t->memdevs, "0x%llx@%d",
					   (unsigned long long)
						   json_object_get_int64(sn),
					   depth);
			else
				strv_pushf(&t->memdevs, "%s@%d",
					   jstr(e, "serial", "?"), depth);
			continue;
		}
		strv_pushf(d == 1 ? &t->bridges : &t->switches, "%lld",
			   jint(e, "nr_dports", -1));
		tool_walk(e, (int)d, t);
	}
}

/* One row: @want against @got, both freed. */
static void row_free(struct tiervm_verdict *v, const char *what, char *want,
		     char *got)
{
	verify_row(v, !strcmp(want, got) ? "ok" : "FAIL", what, want, got);
	free(want);
	free(got);
}

/* Each of @a's elements' @key list length, sorted: "2 2". */
static char *lengths(json_object *a, const char *key)
{
	struct strv w = { 0 };
	char *s;

	for (size_t i = 0; a && i < jlen(a); i++)
		strv_pushf(&w, "%zu", jlen(jget(jidx(a, i), key)));
	s = sorted(&w);
	strv_free(&w);
	return s;
}

void verify_cxl_tool(struct tiervm_verdict *v, json_object *topo,
		     json_object *regions, json_object *report)
{
	struct tool_view t = { 0 };
	struct strv w = { 0 };
	json_object *a = jget(topo, "devices");

	if (!jget(report, "cxl_list")) {
		verify_row(v, "FAIL", "cxl tool: the tree", "cxl list",
			   "no output");
		return;
	}
	tool_walk(jget(report, "cxl_list"), 0, &t);
	row_free(v, "cxl tool: host bridges' root ports",
		 lengths(jget(topo, "host_bridges"), "root_ports"),
		 sorted(&t.bridges));
	row_free(v, "cxl tool: switches' downstream ports",
		 lengths(jget(topo, "switches"), "downstream_ports"),
		 sorted(&t.switches));
	/* below a bridge's port (depth 1), or a switch's (2) */
	for (size_t i = 0; a && i < jlen(a); i++) {
		json_object *d = jidx(a, i);

		strv_pushf(&w, "%s@%d", jstr(d, "serial", ""),
			   jget(d, "switch") ? 2 : 1);
	}
	row_free(v, "cxl tool: memdevs (serial@port depth)", sorted(&w),
		 sorted(&t.memdevs));
	strv_free(&w);
	for (size_t i = 0; regions && i < jlen(regions); i++) {
		json_object *e = jidx(regions, i);
		/* the guest's name for the region, from the report */
		const char *name = jstr(
			jfind_str(jget(report, "cxl"), "id", jstr(e, "id", "")),
			"cxl_region", NULL);
		json_object *r = jfind_str(t.regions, "region", name);
		char what[96];
		snprintf(what, sizeof(what), "cxl tool: region %s",
			 jstr(e, "id", ""));
		row_free(v, what,
			 xasprintf("%lld ways at %lld, commit",
				   jint(e, "ways", 0),
				   jint(e, "granularity", 0)),
			 r ? xasprintf("%lld ways at %lld, %s",
				       jint(r, "interleave_ways", -1),
				       jint(r, "interleave_granularity", -1),
				       jstr(r, "decode_state", "?"))
			   : xstrdup("not listed"));
	}
	strv_free(&t.bridges);
	strv_free(&t.switches);
	strv_free(&t.memdevs);
}
