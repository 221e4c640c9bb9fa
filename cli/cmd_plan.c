// SPDX-License-Identifier: LGPL-2.1-or-later
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "plan.h"
#include "tiervm.h"

int cmd_plan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "host-root", required_argument, NULL, 'r' },
		/* plan what validation would refuse, to show QEMU refuses it too */
		{ "unchecked", no_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = "text", *host_root = "/";
	struct tiervm_qemu_caps caps = { 0 };
	struct tiervm_spec *spec = NULL;
	struct tiervm_host *host = NULL;
	struct tiervm_plan *plan = NULL;
	tiervm_error *err = NULL;
	char *out = NULL;
	bool unchecked = false;
	int c, rc = EXIT_OK;

	while ((c = getopt_long(argc, argv, "f:r:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 'r':
			host_root = optarg;
			break;
		case 'u':
			unchecked = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return usage_error(
			"usage: tiervm plan SPEC [--format text|argv|sh|json] [--host-root DIR]");
	if (strcmp(format, "text") && strcmp(format, "argv") &&
	    strcmp(format, "sh") && strcmp(format, "json"))
		return usage_error(
			"--format: '%s' is not text, argv, sh or json", format);

	spec = unchecked ? tiervm_spec_parse_unchecked(argv[optind], &err)
			 : tiervm_spec_parse(argv[optind], &err);
	if (!spec)
		goto fail;
	host = tiervm_host_discover(host_root, &err);
	if (!host)
		goto fail;
	if (!tiervm_qemu_probe(&caps, &err))
		goto fail;
	plan = tiervm_plan_build(spec, &caps, host, &err);
	if (!plan)
		goto fail;

	if (!strcmp(format, "argv")) {
		for (size_t i = 0; i < plan->argv.n; i++)
			printf("%s\n", plan->argv.v[i]);
	} else if (!strcmp(format, "json")) {
		json_object *j = tiervm_plan_to_json(plan);

		printf("%s\n",
		       json_object_to_json_string_ext(
			       j, JSON_C_TO_STRING_PRETTY |
					  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	} else {
		out = !strcmp(format, "sh") ? tiervm_plan_format_sh(plan)
					    : tiervm_plan_format_text(plan);
		fputs(out, stdout);
	}
	goto out;
fail:
	rc = report(err);
out:
	free(out);
	tiervm_plan_free(plan);
	tiervm_qemu_caps_clear(&caps);
	tiervm_host_free(host);
	tiervm_spec_free(spec);
	return rc;
}
