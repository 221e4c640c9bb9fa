// SPDX-License-Identifier: LGPL-2.1-or-later
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "tiervm.h"

static const char *const formats[] = { "text", "argv", "sh", "json",
				       "libvirt" };

static void print_plan(const struct tiervm_plan *plan, const char *format)
{
	char *out;

	if (!strcmp(format, "argv")) {
		for (size_t i = 0; i < plan->argv.n; i++)
			printf("%s\n", plan->argv.v[i]);
		return;
	}
	if (!strcmp(format, "json")) {
		print_json(tiervm_plan_to_json(plan));
		return;
	}
	out = !strcmp(format, "sh") ? tiervm_plan_format_sh(plan)
				    : tiervm_plan_format_text(plan);
	fputs(out, stdout);
	free(out);
}

int cmd_plan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "host-root", required_argument, NULL, 'r' },
		{ "connect", required_argument, NULL, 'c' },
		{ "unchecked", no_argument, NULL, 'u' },
		{ "strict", no_argument, NULL, 's' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "modules", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	struct tiervm_plan_opts o = { 0 };
	const char *format = "text";
	struct tiervm_plan *plan;
	tiervm_error *err = NULL;
	bool known = false;
	int c;

	while ((c = getopt_long(argc, argv, "f:r:", opts, NULL)) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == 'r')
			o.host_root = optarg;
		else if (c == 'c')
			o.host_connect = optarg;
		else if (c == 'u')
			o.unchecked = true;
		else if (c == 's')
			o.strict = true;
		else if (c == 'k')
			o.kernel = optarg;
		else if (c == 'm')
			o.modules = optarg;
		else
			return usage("plan");
	}
	if (optind != argc - 1)
		return usage("plan");
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
		known |= !strcmp(format, formats[i]);
	if (!known)
		return usage_error(
			"--format: '%s' is not text, argv, sh, json or libvirt",
			format);
	o.spec = argv[optind];
	plan = tiervm_plan_file(&o, &err);
	if (!plan)
		return report(err);
	for (size_t i = 0; i < plan->warnings.n; i++)
		fprintf(stderr, "tiervm: warning: %s\n", plan->warnings.v[i]);
	if (!strcmp(format, "libvirt")) {
		char *xml = tiervm_plan_domain(plan, &err);

		if (!xml) {
			tiervm_plan_free(plan);
			return report(err);
		}
		fputs(xml, stdout);
		for (size_t i = 0; i < plan->notes.n; i++)
			if (!strncmp(plan->notes.v[i], "libvirt", 7))
				fprintf(stderr, "tiervm: note: %s\n",
					plan->notes.v[i]);
		free(xml);
		tiervm_plan_free(plan);
		return EXIT_OK;
	}
	print_plan(plan, format);
	tiervm_plan_free(plan);
	return EXIT_OK;
}
