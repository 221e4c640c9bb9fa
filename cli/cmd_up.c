// SPDX-License-Identifier: LGPL-2.1-or-later
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "tiervm.h"
#include "util.h"

static void print_result(const struct tiervm_up_result *res, bool json, FILE *f)
{
	json_object *o;
	char *table;

	if (!json) {
		table = tiervm_verdict_format(&res->verdict);
		fputs(table, f);
		free(table);
		fflush(f);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(res->name));
	json_object_object_add(o, "accel", json_object_new_string(res->accel));
	json_object_object_add(o, "match",
			       json_object_new_boolean(!res->verdict.failed));
	json_object_object_add(o, "rows", json_object_get(res->verdict.rows));
	json_object_object_add(o, "report", json_object_get(res->report));
	fprintf(f, "%s\n",
		json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PRETTY |
				   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* DIR[:GUESTDIR][:ro], DIR made absolute; false when it is no directory. */
static bool parse_share(const char *arg, struct tiervm_share *s)
{
	char *copy = xstrdup(arg), *ro = strrchr(copy, ':'), *guest;

	s->ro = ro && !strcmp(ro, ":ro");
	if (s->ro)
		*ro = '\0';
	guest = strchr(copy, ':');
	if (guest)
		*guest++ = '\0';
	s->host = realpath(copy, NULL);
	s->guest = xstrdup(guest && *guest ? guest : s->host ? s->host : "");
	free(copy);
	return s->host != NULL;
}

static int parse(int argc, char **argv, struct tiervm_up_opts *o, bool *json,
		 struct tiervm_share *shares, struct strv *env)
{
	static const struct option opts[] = {
		{ "check", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "modules", required_argument, NULL, 'M' },
		{ "accel", required_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 't' },
		{ "capture", required_argument, NULL, 'C' },
		{ "picture", required_argument, NULL, 'P' },
		{ "engine", required_argument, NULL, 'E' },
		{ "connect", required_argument, NULL, 'U' },
		{ "name", required_argument, NULL, 'n' },
		{ "share", required_argument, NULL, 's' },
		{ "no-verify", no_argument, NULL, 'V' },
		{ "strict", no_argument, NULL, 'S' },
		{ "unchecked", no_argument, NULL, 'X' },
		{ "counting", no_argument, NULL, 'K' },
		{ "access-counts", required_argument, NULL, 'A' },
		{ "access-plot", required_argument, NULL, 'L' },
		{ "env", required_argument, NULL, 'e' },
		{ "cold", no_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->check = true;
			break;
		case 'j':
			*json = true;
			break;
		case 'k':
			o->kernel = optarg;
			break;
		case 'M':
			o->modules = optarg;
			break;
		case 'C':
			o->capture = optarg;
			break;
		case 'P':
			o->picture = optarg;
			break;
		case 'E':
			if (strcmp(optarg, "qemu") && strcmp(optarg, "libvirt"))
				return usage_error(
					"--engine: '%s' is not qemu or libvirt",
					optarg);
			o->engine = optarg;
			break;
		case 'U':
			o->connect = optarg;
			break;
		case 'n':
			o->name = optarg;
			break;
		case 'V':
			o->no_verify = true;
			break;
		case 'S':
			o->strict = true;
			break;
		case 'X':
			o->unchecked = true;
			break;
		case 'K':
			o->counting = true;
			break;
		case 'O':
			o->cold = true;
			break;
		case 'A':
			o->window.file = optarg;
			break;
		case 'L':
			o->window.plot = optarg;
			break;
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return usage_error(
					"--env: '%s' is not KEY=VALUE", optarg);
			strv_push(env, xstrdup(optarg));
			break;
		case 's':
			if (!parse_share(optarg, &shares[o->n_shares++]))
				return usage_error(
					"--share: %s is not a directory",
					optarg);
			break;
		case 'a':
			if (strcmp(optarg, "kvm") && strcmp(optarg, "tcg"))
				return usage_error(
					"--accel: '%s' is not kvm or tcg",
					optarg);
			o->accel = optarg[0] == 'k' ? TIERVM_ACCEL_KVM
						    : TIERVM_ACCEL_TCG;
			break;
		case 't':
			if (opt_timeout(optarg, &o->timeout_ms))
				return EXIT_USAGE;
			break;
		default:
			return usage("up");
		}
	}
	if (optind != argc - 1)
		return usage("up");
	o->spec = argv[optind];
	return EXIT_OK;
}

int cmd_up(int argc, char **argv)
{
	long long start = tiervm_now_ms();
	struct tiervm_up_opts o = { .progress = print_stage, .opaque = &start };
	struct tiervm_share *shares = xcalloc((size_t)argc, sizeof(*shares));
	struct tiervm_exec_req cmd = { .in_fd = 0, .out_fd = 1, .err_fd = 2 };
	struct tiervm_up_result res = { .command_status = -1 };
	tiervm_error *err = NULL;
	struct strv env = { 0 };
	bool json = false, ok;
	int n = 0, rc;

	/* what follows "--" is the guest's command */
	while (n < argc && strcmp(argv[n], "--"))
		n++;
	if (n < argc - 1) {
		cmd.argv = argv + n + 1;
		o.command = &cmd;
	}
	rc = parse(n, argv, &o, &json, shares, &env);
	if (rc != EXIT_OK)
		goto out;
	if (!o.command && env.n) {
		rc = usage_error(
			"--env sets the command's environment: give one after --");
		goto out;
	}
	cmd.env = tiervm_exec_env(env.v);
	o.shares = shares;
	/* ^C while the guest boots stops the QEMU we started, not just us */
	catch_interrupts();
	ok = tiervm_up(&o, &res, &err);
	/* with a command, stdout is the command's alone */
	if (res.verdict.rows)
		print_result(&res, json, o.command ? stderr : stdout);
	if (res.counts)
		print_counts(res.counts, o.window.file);
	rc = !ok					    ? report(err)
	     : res.verdict.failed && res.command_status < 0 ? EXIT_FAIL
	     : res.command_status >= 0			    ? res.command_status
							    : EXIT_OK;
	if (res.hint)
		fprintf(stderr, "tiervm: %s\n", res.hint);
	if (res.running && res.pid > 0)
		fprintf(stderr,
			"tiervm: guest '%s' keeps running (QEMU pid %ld, %s); `tiervm status %s`, `tiervm down %s`\n",
			res.name, res.pid, res.dir, res.name, res.name);
	else if (res.running)
		fprintf(stderr,
			"tiervm: guest '%s' keeps running (%s); `tiervm status %s`, `tiervm down %s`\n",
			res.name, res.dir, res.name, res.name);
out:
	/* a wrapper's own failure, told apart from CMD's status (as env(1)) */
	if (o.command && res.command_status < 0 && rc != EXIT_OK)
		rc = EXIT_WRAPPER;
	tiervm_up_result_clear(&res);
	strv_free(&env);
	for (unsigned i = 0; i < o.n_shares; i++) {
		free((char *)shares[i].host);
		free((char *)shares[i].guest);
	}
	free(shares);
	tiervm_strv_free_null((char **)cmd.env);
	return rc;
}
