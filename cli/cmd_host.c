// SPDX-License-Identifier: LGPL-2.1-or-later
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "host.h"
#include "tiervm.h"
#include "util.h"

int cmd_host(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "connect", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *root = "/", *uri = NULL;
	bool json = false;
	struct tiervm_host *h;
	tiervm_error *err = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "r:j", opts, NULL)) != -1) {
		if (c == 'r')
			root = optarg;
		else if (c == 'j')
			json = true;
		else if (c == 'c')
			uri = optarg;
		else
			return usage("host");
	}
	if (optind != argc)
		return usage("host");
	h = uri ? tiervm_host_from_libvirt(uri, &err)
		: tiervm_host_discover(root, &err);
	if (!h)
		return report(err);
	if (json) {
		print_json(tiervm_host_to_json(h));
	} else {
		char *text = tiervm_host_format_text(h);

		fputs(text, stdout);
		free(text);
	}
	tiervm_host_free(h);
	return EXIT_OK;
}
