// SPDX-License-Identifier: LGPL-2.1-or-later
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "tiervm.h"
#include "units.h"

/* The notes are in the spec's comments; stderr shows them even when the
 * spec goes to a file. */
static void print_notes(const char *yaml)
{
	for (const char *p = strstr(yaml, "# note: "); p;
	     p = strstr(p + 1, "\n# note: ")) {
		p += *p == '\n';
		fprintf(stderr, "tiervm: %.*s\n", (int)strcspn(p + 2, "\n"),
			p + 2);
	}
}

int cmd_spec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from-host", no_argument, NULL, 'H' },
		{ "from", required_argument, NULL, 'f' },
		{ "memory", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "name", required_argument, NULL, 'n' },
		{ "picture", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct tiervm_spec_from_opts o = { 0 };
	tiervm_error *err = NULL;
	bool from_host = false;
	char *yaml, *end;
	unsigned long v;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			from_host = true;
			break;
		case 'f':
			o.from = optarg;
			break;
		case 'm':
			if (!tiervm_parse_size(optarg, &o.memory, &err)) {
				tiervm_error_prefix(&err, "--memory: ");
				return report(err);
			}
			break;
		case 'c':
			v = strtoul(optarg, &end, 10);
			if (*end || !*optarg || v == 0 || v > 1024)
				return usage_error(
					"--cpus: '%s' is not a number of cpus (1..1024)",
					optarg);
			o.cpus = (unsigned)v;
			break;
		case 'k':
			o.kernel = optarg;
			break;
		case 'n':
			o.name = optarg;
			break;
		case 'p':
			o.picture = optarg;
			break;
		default:
			return usage("spec");
		}
	}
	if (optind != argc)
		return usage("spec");
	if (from_host && o.from)
		return usage_error(
			"--from-host and --from name two sources; give one");
	yaml = tiervm_spec_from(&o, &err);
	if (!yaml)
		return report(err);
	fputs(yaml, stdout);
	print_notes(yaml);
	free(yaml);
	return EXIT_OK;
}
