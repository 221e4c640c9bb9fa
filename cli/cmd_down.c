// SPDX-License-Identifier: LGPL-2.1-or-later
/* Commands on one running guest: down, probe. */
#include <stdio.h>

#include "ops.h"
#include "tiervm.h"

static void print_note(const char *msg, void *opaque)
{
	(void)opaque;
	fprintf(stderr, "tiervm: %s\n", msg);
}

int cmd_down(int argc, char **argv)
{
	tiervm_error *err = NULL;
	bool was_running;

	if (argc != 2)
		return usage("down");
	if (!tiervm_down(argv[1], &was_running, print_note, NULL, &err))
		return report(err);
	if (was_running)
		fprintf(stderr, "tiervm: '%s' is down\n", argv[1]);
	else
		fprintf(stderr,
			"tiervm: '%s' was not running; removed its runtime dir\n",
			argv[1]);
	return EXIT_OK;
}

/* A diagnostic: one request to the guest's probe, its JSON reply printed. */
int cmd_probe(int argc, char **argv)
{
	tiervm_error *err = NULL;
	json_object *r;

	if (argc != 3)
		return usage("probe");
	r = tiervm_probe_ask(argv[1], argv[2], &err);
	if (!r)
		return report(err);
	print_json(r);
	return EXIT_OK;
}
