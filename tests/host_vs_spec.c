// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `tiervm host` on a guest tiervm booted and captured must recover the
 * spec the guest was booted from: the capture's own /sys and /proc are
 * read by the host discovery code (not the probe's report), then checked
 * against the plan exactly as `tiervm up` checks a live guest.
 * usage: host-vs-spec SPEC ROOT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "verify.h"

static json_object *file_json(const char *root, const char *name)
{
	char *path = xasprintf("%s/%s", root, name);
	json_object *o = json_object_from_file(path);

	free(path);
	return o;
}

int main(int argc, char **argv)
{
	struct tiervm_qemu_caps caps = { .binary = "qemu-system-x86_64",
					 .major = 7,
					 .minor = 2,
					 .machine_q35 = true,
					 .machine_pc = true };
	struct tiervm_verdict v = { 0 };
	tiervm_error *err = NULL;
	struct tiervm_spec *spec;
	struct tiervm_plan *plan;
	struct tiervm_host *h;
	json_object *rep;
	char *table, *xml_path;
	FILE *f;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: %s SPEC ROOT\n", argv[0]);
		return 2;
	}
	spec = tiervm_spec_parse(argv[1], &err);
	plan = spec ? tiervm_plan_build(spec, &caps, NULL, &err) : NULL;
	h = plan ? tiervm_host_discover(argv[2], &err) : NULL;
	rep = file_json(argv[2], "tiervm-report.json");
	if (!h || !rep) {
		fprintf(stderr, "%s\n",
			err ? err->msg
			    : "no tiervm-report.json in the capture");
		return 1;
	}
	/* what provisioning did comes from the report; the view from the tree */
	json_object_object_add(rep, "guest", tiervm_host_to_json(h));
	xml_path = xasprintf("%s/lstopo.xml", argv[2]);
	f = fopen(xml_path, "re");
	if (f) {
		struct sbuf b = { 0 };
		char buf[65536];
		size_t n;

		while ((n = fread(buf, 1, sizeof(buf) - 1, f)) > 0) {
			buf[n] = '\0';
			sbuf_addf(&b, "%s", buf);
		}
		fclose(f);
		json_object_object_add(rep, "lstopo_xml",
				       json_object_new_string(b.s ? b.s : ""));
		sbuf_free(&b);
	}
	free(xml_path);
	tiervm_verify(plan, rep, &v);
	table = tiervm_verdict_format(&v);
	fputs(table, stdout);
	free(table);
	rc = v.failed ? 1 : 0;
	tiervm_verdict_clear(&v);
	json_object_put(rep);
	tiervm_host_free(h);
	tiervm_plan_free(plan);
	tiervm_spec_free(spec);
	return rc;
}
