// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * hwloc as the independent oracle for `tiervm host`: discover ROOT with
 * tiervm and compare with lstopo's XML of the same tree (taken with
 * HWLOC_FSROOT=ROOT): nodes, memory, memory-side caches, HMAT figures, and
 * the kind against hwloc's subtype where hwloc names one.
 * usage: host-vs-hwloc ROOT LSTOPO_XML
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "verify_internal.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	struct sbuf b = { 0 };
	char buf[65536];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf) - 1, f)) > 0) {
		buf[n] = '\0';
		sbuf_addf(&b, "%s", buf);
	}
	fclose(f);
	return b.s ? b.s : xstrdup("");
}

int main(int argc, char **argv)
{
	struct tiervm_verdict v = { 0 };
	tiervm_error *err = NULL;
	struct tiervm_host *h;
	json_object *rep;
	char *xml, *table;

	if (argc != 3) {
		fprintf(stderr, "usage: %s ROOT LSTOPO_XML\n", argv[0]);
		return 2;
	}
	h = tiervm_host_discover(argv[1], &err);
	xml = slurp(argv[2]);
	if (!h || !xml) {
		fprintf(stderr, "%s\n", err ? err->msg : "cannot read the XML");
		return 1;
	}
	rep = json_object_new_object();
	json_object_object_add(rep, "guest", tiervm_host_to_json(h));
	json_object_object_add(rep, "lstopo_xml", json_object_new_string(xml));
	v.rows = json_object_new_array();
	verify_hwloc(rep, &v);
	table = tiervm_verdict_format(&v);
	fputs(table, stdout);
	free(table);
	/* a comparison where nothing was compared proves nothing */
	if (json_object_array_length(v.rows) <= v.notes) {
		fprintf(stderr, "FAILED: no figure was on both sides\n");
		v.failed++;
	}
	json_object_put(rep);
	tiervm_host_free(h);
	free(xml);
	json_object_put(v.rows);
	return v.failed ? 1 : 0;
}
