// SPDX-License-Identifier: LGPL-2.1-or-later
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "tiervm.h"
#include "units.h"
#include "util_json.h"

static void print_result(const char *name, const struct tiervm_attach_result *r)
{
	char *size = tiervm_format_size(r->size);
	json_object *g = r->guest;

	printf("%s: NVDIMM %s, %s, on guest node %u, backed by %s (%s)\n", name,
	       r->id, size, r->node, r->path,
	       r->created ? "created" : "existing file");
	free(size);
	if (!g)
		return;
	printf("guest: %s %s, namespace %s mode %s%s%s: %s\n",
	       jstr(g, "id", ""), jstr(g, "region", "?"),
	       jstr(g, "namespace", "none"), jstr(g, "mode", "none"),
	       jstr(g, "chardev", NULL) ? ", " : "", jstr(g, "chardev", ""),
	       jstr(g, "status", "no answer"));
	if (!r->guest_ok)
		fprintf(stderr, "%s", jstr(g, "log", ""));
	else if (r->kmem)
		printf("node %u: %lld MiB online, memory tier %lld%s (DRAM: tier %lld)\n",
		       r->node, r->node_mem >> 20, r->tier,
		       r->tier > r->dram_tier && r->dram_tier >= 0
			       ? ", below DRAM"
			       : "",
		       r->dram_tier);
}

int cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct tiervm_attach_opts o = { 0 };
	struct tiervm_attach_result r;
	tiervm_error *err = NULL;
	int c, rc;
	bool ok;

	while ((c = getopt_long(argc, argv, "+t:", opts, NULL)) != -1)
		if (c != 't' || opt_timeout(optarg, &o.timeout_ms))
			return usage("attach");
	if (argc - optind < 3 || strcmp(argv[optind + 1], "nvdimm"))
		return usage("attach");
	o.name = argv[optind];
	o.kv = argv + optind + 2;
	o.n_kv = (unsigned)(argc - optind - 2);
	ok = tiervm_attach(&o, &r, &err);
	if (r.plugged)
		print_result(o.name, &r);
	rc = !ok ? report(err) : r.guest_ok ? EXIT_OK : EXIT_FAIL;
	tiervm_attach_result_clear(&r);
	return rc;
}
