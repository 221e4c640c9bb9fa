// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiervm.h"

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "host", cmd_host,
	  "[--root DIR] [--json]  the host's memory inventory" },
	{ "plan", cmd_plan,
	  "SPEC [--format text|argv|sh|json] [--host-root DIR]  QEMU arguments and expected guest view" },
	{ "up", cmd_up,
	  "SPEC [--check] [--json] [--kernel K] [--accel kvm|tcg]  boot, probe, verify" },
	{ "list", cmd_list, "  running guests started by tiervm" },
	{ "status", cmd_status,
	  "NAME [--json]  memory devices and nodes of a guest" },
	{ "resize", cmd_resize,
	  "NAME DEVICE SIZE [--no-wait]  set a virtio-mem size" },
	{ "attach", cmd_attach,
	  "NAME nvdimm id=ID size=SIZE path=FILE [node=N] [mode=M] ...  hot-plug an NVDIMM" },
	{ "down", cmd_down, "NAME  power a guest off" },
	{ "probe", cmd_probe,
	  "NAME REQUEST  ask the guest's probe (report, pmem-read DEV, ...)" },
};

int report(tiervm_error *err)
{
	int code = err->code == TIERVM_E_INPUT ? EXIT_USAGE : EXIT_FAIL;
	const char *line = err->msg;

	/* spec diagnostics already start with FILE:LINE */
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		int len = nl ? (int)(nl - line) : (int)strlen(line);

		fprintf(stderr, "tiervm: %.*s\n", len, line);
		line = nl ? nl + 1 : NULL;
	}
	tiervm_error_free(err);
	return code;
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("tiervm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	return EXIT_USAGE;
}

static void usage(FILE *f)
{
	fputs("usage: tiervm COMMAND [ARGS]\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  tiervm %s %s\n", commands[i].name,
			commands[i].help);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	usage(stderr);
	return usage_error("unknown command '%s'", argv[1]);
}

int opt_seconds(const char *arg, long *out)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (end == arg || *end || v <= 0)
		return usage_error("--timeout: '%s' is not a number of seconds",
				   arg);
	*out = v;
	return EXIT_OK;
}
