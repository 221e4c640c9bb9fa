// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdio.h>
#include <stdlib.h>

#include "ops.h"
#include "tiervm.h"

int cmd_kconfig(int argc, char **argv)
{
	tiervm_error *err = NULL;
	char *fragment;

	if (argc != 2 || argv[1][0] == '-')
		return usage("kconfig");
	fragment = tiervm_kconfig_file(argv[1], &err);
	if (!fragment)
		return report(err);
	fputs(fragment, stdout);
	free(fragment);
	return EXIT_OK;
}
