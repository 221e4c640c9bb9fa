// SPDX-License-Identifier: LGPL-2.1-or-later
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "tiervm.h"
#include "util.h"

static void on_signal(int sig)
{
	(void)sig;
	tiervm_interrupted = 1;
}

static void print_result(const struct tiervm_up_result *res, bool json)
{
	json_object *o;
	char *table;

	if (!json) {
		table = tiervm_verdict_format(&res->verdict);
		fputs(table, stdout);
		free(table);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(res->name));
	json_object_object_add(o, "accel", json_object_new_string(res->accel));
	json_object_object_add(o, "match",
			       json_object_new_boolean(!res->verdict.failed));
	json_object_object_add(o, "rows", json_object_get(res->verdict.rows));
	json_object_object_add(o, "report", json_object_get(res->report));
	print_json(o);
}

int cmd_up(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "check", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "accel", required_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 't' },
		{ "capture", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	long long start = tiervm_now_ms();
	struct tiervm_up_opts o = { .progress = print_stage, .opaque = &start };
	struct tiervm_up_result res;
	tiervm_error *err = NULL;
	bool json = false, ok;
	int c, rc;

	while ((c = getopt_long(argc, argv, "cjk:a:t:C:", opts, NULL)) != -1) {
		if (c == 'c')
			o.check = true;
		else if (c == 'j')
			json = true;
		else if (c == 'k')
			o.kernel = optarg;
		else if (c == 'C')
			o.capture = optarg;
		else if (c == 'a' && !strcmp(optarg, "kvm"))
			o.accel = TIERVM_ACCEL_KVM;
		else if (c == 'a' && !strcmp(optarg, "tcg"))
			o.accel = TIERVM_ACCEL_TCG;
		else if (c == 'a')
			return usage_error("--accel: '%s' is not kvm or tcg",
					   optarg);
		else if (c != 't' || opt_timeout(optarg, &o.timeout_ms))
			return usage("up");
	}
	if (optind != argc - 1)
		return usage("up");
	o.spec = argv[optind];
	/* ^C while the guest boots stops the QEMU we started, not just us */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ok = tiervm_up(&o, &res, &err);
	if (res.verdict.rows)
		print_result(&res, json);
	rc = !ok ? report(err) : res.verdict.failed ? EXIT_FAIL : EXIT_OK;
	if (res.running)
		fprintf(stderr,
			"tiervm: guest '%s' keeps running (QEMU pid %ld, %s); `tiervm status %s`, `tiervm down %s`\n",
			res.name, res.pid, res.dir, res.name, res.name);
	tiervm_up_result_clear(&res);
	return rc;
}
