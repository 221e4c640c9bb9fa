// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "json_util.h"
#include "plan.h"
#include "tiervm.h"
#include "verify.h"
#include "vm.h"

static void on_signal(int sig)
{
	(void)sig;
	tiervm_interrupted = 1;
}

struct progress {
	long long start;
};

static void stage(const char *name, void *opaque)
{
	struct progress *p = opaque;

	fprintf(stderr, "tiervm: [%5.1fs] %s\n",
		(double)(tiervm_now_ms() - p->start) / 1000.0, name);
}

static bool save_json(struct tiervm_vm *vm, const char *file, json_object *o)
{
	char *path = tiervm_vm_path(vm, file);
	bool ok = json_object_to_file_ext(path, o, JSON_C_TO_STRING_PLAIN) == 0;

	free(path);
	return ok;
}

/*
 * The spec as started, with where it came from (relative paths in it start
 * there): `tiervm attach` checks a new device against it, not against a
 * file the user may have edited since.
 */
static bool save_spec(struct tiervm_vm *vm, const struct tiervm_spec *spec)
{
	json_object *o = json_object_new_object();
	char *origin = realpath(spec->file, NULL);
	bool ok;

	json_object_object_add(
		o, "origin",
		json_object_new_string(origin ? origin : spec->file));
	json_object_object_add(o, "text", json_object_new_string(spec->text));
	ok = save_json(vm, "spec.json", o);
	json_object_put(o);
	free(origin);
	return ok;
}

/* The guest's /sys and /proc as a tarball, for `tiervm host --root`. */
static bool save_capture(struct tiervm_vm *vm, const char *file,
			 tiervm_error **errp)
{
	json_object *r = tiervm_probe_call(vm, "capture", 120000, NULL, NULL,
					   errp),
		    *t;
	unsigned char *bytes = NULL;
	size_t len = 0;
	bool ok = false;
	FILE *f;

	if (!r)
		return false;
	if (!json_object_object_get_ex(r, "tarball", &t) ||
	    !(bytes = base64_decode(json_object_get_string(t), &len)) ||
	    len < 20) {
		tiervm_error_setg(errp, "the guest sent no capture tarball");
		goto out;
	}
	f = fopen(file, "wxe");
	if (!f || fwrite(bytes, 1, len, f) != len || fclose(f) != 0) {
		tiervm_error_set_errno(errp, errno, "cannot write %s", file);
		goto out;
	}
	fprintf(stderr,
		"tiervm: captured the guest's /sys and /proc in %s (%zu bytes)\n",
		file, len);
	ok = true;
out:
	free(bytes);
	json_object_put(r);
	return ok;
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
	bool check = false, json = false, last;
	const char *kernel = NULL, *accel = NULL, *capture = NULL;
	long timeout_s = 0;
	long long wait_ms, waited_from;
	struct progress prog = { .start = tiervm_now_ms() };
	struct tiervm_qemu_caps caps = { 0 };
	struct tiervm_image img = { 0 };
	struct tiervm_verdict verdict = { 0 };
	struct tiervm_spec *spec = NULL;
	struct tiervm_host *host = NULL;
	struct tiervm_plan *plan = NULL;
	struct tiervm_vm *vm = NULL;
	json_object *rep = NULL;
	tiervm_error *err = NULL;
	int c, rc = EXIT_OK;

	while ((c = getopt_long(argc, argv, "cjk:a:t:C:", opts, NULL)) != -1) {
		switch (c) {
		case 'C':
			capture = optarg;
			break;
		case 'c':
			check = true;
			break;
		case 'j':
			json = true;
			break;
		case 'k':
			kernel = optarg;
			break;
		case 'a':
			if (strcmp(optarg, "kvm") && strcmp(optarg, "tcg"))
				return usage_error(
					"--accel: '%s' is not kvm or tcg",
					optarg);
			accel = optarg;
			break;
		case 't':
			if (opt_seconds(optarg, &timeout_s) != EXIT_OK)
				return EXIT_USAGE;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return usage_error(
			"usage: tiervm up SPEC [--check] [--json] [--kernel K] [--accel kvm|tcg] [--timeout S] [--capture FILE]");
	if (capture && access(capture, F_OK) == 0)
		return usage_error(
			"--capture: %s exists; tiervm does not overwrite it",
			capture);

	/* ^C while the guest boots stops the QEMU we started, not just us */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	spec = tiervm_spec_parse(argv[optind], &err);
	if (!spec)
		goto fail;
	if (kernel) {
		free(spec->guest.kernel);
		spec->guest.kernel = xstrdup(kernel);
	}
	if (accel)
		spec->machine.accel = !strcmp(accel, "kvm") ? TIERVM_ACCEL_KVM
							    : TIERVM_ACCEL_TCG;
	host = tiervm_host_discover("/", &err);
	if (!host || !tiervm_qemu_probe(&caps, &err))
		goto fail;
	plan = tiervm_plan_build(spec, &caps, host, &err);
	if (!plan)
		goto fail;
	vm = tiervm_vm_open(spec->name, &err);
	if (!vm)
		goto fail;
	if (tiervm_vm_running(vm)) {
		tiervm_error_set(
			&err, TIERVM_E_INPUT,
			"a guest named '%s' is already running (QEMU pid %ld); `tiervm down %s` first",
			vm->name, (long)vm->pid, vm->name);
		goto fail;
	}

	fprintf(stderr, "tiervm: [%5.1fs] image (kernel %s)\n",
		(double)(tiervm_now_ms() - prog.start) / 1000.0,
		spec->guest.kernel);
	if (!tiervm_image_get(spec->guest.kernel, &img, &err))
		goto fail;
	fprintf(stderr, "tiervm: [%5.1fs] image %s: Linux %s\n",
		(double)(tiervm_now_ms() - prog.start) / 1000.0,
		img.built ? "built" : "cached", img.release);
	if (!tiervm_vm_start(vm, plan, &img, &err))
		goto fail;
	fprintf(stderr,
		"tiervm: [%5.1fs] firmware: QEMU %u.%u.%u pid %ld, %s%s\n",
		(double)(tiervm_now_ms() - prog.start) / 1000.0, caps.major,
		caps.minor, caps.micro, (long)vm->pid,
		!strcmp(plan->accel, "kvm") ? "KVM"
					    : "TCG (software emulation)",
		!strcmp(plan->accel, "tcg") && caps.kvm_usable ? " by request"
		: !strcmp(plan->accel, "tcg") ? ": /dev/kvm is not usable here"
					      : "");

	{
		json_object *pj = tiervm_plan_to_json(plan);

		save_json(vm, "plan.json", pj);
		json_object_put(pj);
		save_spec(vm, spec);
	}
	/* TCG boots in about 10 s here; allow a slow shared machine plenty */
	wait_ms = (timeout_s ? timeout_s : 300) * 1000;
	waited_from = tiervm_now_ms();
	/*
	 * The guest plugs virtio-mem's boot request in the background; its
	 * nodes are compared with the spec once QEMU says the request is met.
	 * If it never is, the comparison shows what the guest got.
	 */
	if (jget(plan->expected, "virtio_mem") &&
	    !tiervm_vm_wait_vmem(vm, wait_ms < 60000 ? (int)wait_ms : 60000,
				 &err)) {
		/* a QEMU that died is reported below, with its boot stage */
		if (tiervm_vm_running(vm) && !tiervm_interrupted)
			fprintf(stderr, "tiervm: note: %s\n", err->msg);
		tiervm_error_free(err);
		err = NULL;
	}
	/* --check wants nothing after the report, unless a capture */
	last = check && !capture;
	wait_ms -= tiervm_now_ms() - waited_from;
	rep = tiervm_probe_call(vm, last ? "report+poweroff" : "report",
				wait_ms > 1000 ? (int)wait_ms : 1000, stage,
				&prog, &err);
	if (!rep) {
		tiervm_vm_kill(vm, 2000);
		tiervm_vm_remove_dir(vm);
		goto fail;
	}
	save_json(vm, "report.json", rep);
	tiervm_verify(plan, rep, &verdict);
	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name",
				       json_object_new_string(spec->name));
		json_object_object_add(o, "accel",
				       json_object_new_string(plan->accel));
		json_object_object_add(
			o, "match", json_object_new_boolean(!verdict.failed));
		json_object_object_add(o, "rows",
				       json_object_get(verdict.rows));
		json_object_object_add(o, "report", json_object_get(rep));
		printf("%s\n",
		       json_object_to_json_string_ext(
			       o, JSON_C_TO_STRING_PRETTY |
					  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		char *table = tiervm_verdict_format(&verdict);

		fputs(table, stdout);
		free(table);
	}
	rc = verdict.failed ? EXIT_FAIL : EXIT_OK;
	if (capture && !save_capture(vm, capture, &err)) {
		rc = report(err);
		err = NULL;
	}
	if (check) {
		if (!last)
			tiervm_probe_send(vm, "poweroff", NULL);
		if (!tiervm_vm_wait_exit(vm, 30000))
			tiervm_vm_kill(vm, 2000);
		tiervm_vm_remove_dir(vm);
		fprintf(stderr, "tiervm: [%5.1fs] powered off\n",
			(double)(tiervm_now_ms() - prog.start) / 1000.0);
	} else {
		fprintf(stderr,
			"tiervm: guest '%s' keeps running (QEMU pid %ld, %s); `tiervm status %s`, `tiervm down %s`\n",
			vm->name, (long)vm->pid, vm->dir, vm->name, vm->name);
	}
	goto out;
fail:
	rc = report(err);
out:
	tiervm_verdict_clear(&verdict);
	json_object_put(rep);
	tiervm_vm_free(vm);
	tiervm_image_clear(&img);
	tiervm_plan_free(plan);
	tiervm_qemu_caps_clear(&caps);
	tiervm_host_free(host);
	tiervm_spec_free(spec);
	return rc;
}
