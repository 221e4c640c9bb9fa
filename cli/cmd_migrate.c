// SPDX-License-Identifier: LGPL-2.1-or-later
#include <getopt.h>
#include <stdio.h>

#include "ops.h"
#include "util.h"
#include "tiervm.h"

int cmd_migrate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "migrate-uri", required_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 't' },
		{ "rebind", no_argument, NULL, 'r' },
		{ "spec", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	long long start = tiervm_now_ms();
	struct tiervm_migrate_opts o = { .progress = print_stage,
					 .opaque = &start };
	struct tiervm_migrate_result r;
	tiervm_error *err = NULL;
	int c, rc = EXIT_OK;

	while ((c = getopt_long(argc, argv, "m:t:rs:", opts, NULL)) != -1) {
		if (c == 'm')
			o.migrate_uri = optarg;
		else if (c == 'r')
			o.rebind = true;
		else if (c == 's')
			o.spec_file = optarg;
		else if (c != 't' || opt_timeout(optarg, &o.timeout_ms))
			return usage("migrate");
	}
	/* NAME URI, or NAME --rebind [--spec FILE] */
	if (optind != argc - (o.rebind ? 1 : 2) || (!o.rebind && o.spec_file) ||
	    (o.rebind && o.migrate_uri))
		return usage("migrate");
	catch_interrupts();
	o.name = argv[optind];
	o.uri = o.rebind ? NULL : argv[optind + 1];
	if (!tiervm_migrate(&o, &r, &err)) {
		if (r.moved)
			printf("%s: moved to %s, but not verified\n", o.name,
			       o.uri ? o.uri : "other nodes of this host");
		tiervm_migrate_result_clear(&r);
		return report(err);
	}
	if (o.rebind)
		printf("%s: memory re-bound on this host in %.1f s\n", o.name,
		       (double)r.moved_ms / 1000.0);
	else if (r.uploaded)
		printf("%s: moved to %s in %.1f s (%llu bytes of volumes sent ahead)\n",
		       o.name, o.uri, (double)r.moved_ms / 1000.0,
		       (unsigned long long)r.uploaded);
	else
		printf("%s: moved to %s in %.1f s (its volumes were there already)\n",
		       o.name, o.uri, (double)r.moved_ms / 1000.0);
	for (size_t i = 0; i < r.bindings.n; i++)
		printf("binding: %s\n", r.bindings.v[i]);
	for (size_t i = 0; i < r.changes.n; i++)
		printf("changed: %s\n", r.changes.v[i]);
	if (r.changes.n) {
		printf("NOT VERIFIED: the guest's view changed in the move\n");
		rc = EXIT_FAIL;
	} else {
		printf("verified on arrival: nodes, distances, HMAT, caches, memory devices and NVDIMMs as before\n");
	}
	tiervm_migrate_result_clear(&r);
	return rc;
}
