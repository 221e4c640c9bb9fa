// SPDX-License-Identifier: LGPL-2.1-or-later
/* Commands on running guests: list, status, resize, down. */
#include <dirent.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "qmp.h"
#include "tiervm.h"
#include "units.h"
#include "json_util.h"
#include "util.h"
#include "vm.h"

#define QMP_TIMEOUT 5000

/* Per guest node memory the probe sees now. */
static json_object *guest_nodes(struct tiervm_vm *vm, tiervm_error **errp)
{
	json_object *rep = tiervm_probe_report(vm, 30000, NULL, NULL, errp), *n;

	if (!rep)
		return NULL;
	n = json_object_get(jget(jget(rep, "guest"), "nodes"));
	json_object_put(rep);
	return n;
}

int cmd_list(int argc, char **argv)
{
	char *base = tiervm_runtime_base();
	DIR *d = opendir(base);
	struct dirent *de;

	(void)argc;
	(void)argv;
	printf("%-20s %-8s %-8s %s\n", "name", "pid", "uptime",
	       "memory per node (MiB, last report)");
	while (d && (de = readdir(d))) {
		struct tiervm_vm *vm;
		char *path;
		struct stat st;
		json_object *rep, *nodes;

		if (de->d_name[0] == '.')
			continue;
		vm = tiervm_vm_open(de->d_name, NULL);
		if (!vm || !tiervm_vm_running(vm)) {
			tiervm_vm_free(vm);
			continue;
		}
		path = tiervm_vm_path(vm, "qemu.pid");
		stat(path, &st);
		free(path);
		printf("%-20s %-8ld %-7lds ", vm->name, (long)vm->pid,
		       (long)(time(NULL) - st.st_mtime));
		path = tiervm_vm_path(vm, "report.json");
		rep = json_object_from_file(path);
		free(path);
		nodes = jget(jget(rep, "guest"), "nodes");
		for (size_t i = 0; nodes && i < json_object_array_length(nodes);
		     i++) {
			json_object *n = json_object_array_get_idx(nodes, i);

			printf("%s%lld:%lld", i ? " " : "", jint(n, "id", -1),
			       jint(n, "memory", -1) >> 20);
		}
		printf("\n");
		json_object_put(rep);
		tiervm_vm_free(vm);
	}
	if (d)
		closedir(d);
	free(base);
	return EXIT_OK;
}

int cmd_status(int argc, char **argv)
{
	bool json = argc == 3 && !strcmp(argv[2], "--json");
	struct tiervm_qmp *q = NULL;
	struct tiervm_vm *vm = NULL;
	json_object *devs = NULL, *nodes = NULL;
	tiervm_error *err = NULL;
	int rc = EXIT_OK;

	if (argc != 2 && !json)
		return usage_error("usage: tiervm status NAME [--json]");
	vm = tiervm_vm_open_running(argv[1], &err);
	if (!vm || !(q = tiervm_vm_qmp(vm, &err)))
		goto fail;
	devs = tiervm_qmp_execute(q, "query-memory-devices", NULL, QMP_TIMEOUT,
				  &err);
	if (!devs)
		goto fail;
	nodes = guest_nodes(vm, &err);
	if (!nodes)
		goto fail;
	if (json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name",
				       json_object_new_string(vm->name));
		json_object_object_add(o, "pid", json_object_new_int(vm->pid));
		json_object_object_add(o, "memory_devices",
				       json_object_get(devs));
		json_object_object_add(o, "nodes", json_object_get(nodes));
		printf("%s\n", json_object_to_json_string_ext(
				       o, JSON_C_TO_STRING_PRETTY));
		json_object_put(o);
		goto out;
	}
	printf("guest %s, QEMU pid %ld\n\n", vm->name, (long)vm->pid);
	printf("%-10s %-12s %-5s %-10s %-10s %-10s %s\n", "device", "type",
	       "node", "size", "requested", "max", "block");
	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		json_object *d = json_object_array_get_idx(devs, i);
		json_object *data = jget(d, "data");
		char *size =
			tiervm_format_size((uint64_t)jint(data, "size", -1));

		if (!strcmp(json_object_get_string(jget(d, "type")),
			    "virtio-mem")) {
			char *req = tiervm_format_size(
				(uint64_t)jint(data, "requested-size", -1));
			char *max = tiervm_format_size(
				(uint64_t)jint(data, "max-size", -1));
			char *bs = tiervm_format_size(
				(uint64_t)jint(data, "block-size", -1));

			printf("%-10s %-12s %-5lld %-10s %-10s %-10s %s\n",
			       json_object_get_string(jget(data, "id")),
			       "virtio-mem", jint(data, "node", -1), size, req,
			       max, bs);
			free(req);
			free(max);
			free(bs);
		} else {
			printf("%-10s %-12s %-5lld %-10s\n",
			       json_object_get_string(jget(data, "id")),
			       json_object_get_string(jget(d, "type")),
			       jint(data, "node", -1), size);
		}
		free(size);
	}
	printf("\n%-5s %-10s %s\n", "node", "cpus", "memory online (MiB)");
	for (size_t i = 0; i < json_object_array_length(nodes); i++) {
		json_object *n = json_object_array_get_idx(nodes, i);

		printf("%-5lld %-10s %lld\n", jint(n, "id", -1),
		       *json_object_get_string(jget(n, "cpus"))
			       ? json_object_get_string(jget(n, "cpus"))
			       : "-",
		       jint(n, "memory", -1) >> 20);
	}
	goto out;
fail:
	rc = report(err);
out:
	json_object_put(devs);
	json_object_put(nodes);
	tiervm_qmp_close(q);
	tiervm_vm_free(vm);
	return rc;
}

int cmd_down(int argc, char **argv)
{
	struct tiervm_vm *vm;
	struct tiervm_qmp *q;
	tiervm_error *err = NULL;
	json_object *r;

	if (argc != 2)
		return usage_error("usage: tiervm down NAME");
	vm = tiervm_vm_open(argv[1], &err);
	if (!vm)
		return report(err);
	if (!tiervm_vm_running(vm)) {
		struct stat st;

		if (stat(vm->dir, &st) == 0) {
			tiervm_vm_remove_dir(vm);
			fprintf(stderr,
				"tiervm: '%s' was not running; removed its runtime dir\n",
				vm->name);
			tiervm_vm_free(vm);
			return EXIT_OK;
		}
		tiervm_vm_free(vm);
		return usage_error("no guest named '%s'", argv[1]);
	}
	/* tiervm's probe syncs and powers off; any other guest gets ACPI */
	if (!tiervm_probe_send(vm, "poweroff", &err)) {
		fprintf(stderr,
			"tiervm: the probe did not answer (%s); sending ACPI power-down\n",
			err->msg);
		tiervm_error_free(err);
		err = NULL;
		q = tiervm_vm_qmp(vm, NULL);
		if (q) {
			r = tiervm_qmp_execute(q, "system_powerdown", NULL,
					       QMP_TIMEOUT, NULL);
			json_object_put(r);
			tiervm_qmp_close(q);
		}
	}
	if (!tiervm_vm_wait_exit(vm, 20000)) {
		fprintf(stderr,
			"tiervm: '%s' did not power off within 20 s; quitting QEMU\n",
			vm->name);
		q = tiervm_vm_qmp(vm, NULL);
		if (q) {
			r = tiervm_qmp_execute(q, "quit", NULL, QMP_TIMEOUT,
					       NULL);
			json_object_put(r);
			tiervm_qmp_close(q);
		}
		if (!tiervm_vm_wait_exit(vm, 10000))
			tiervm_vm_kill(vm, 5000);
	}
	tiervm_vm_remove_dir(vm);
	fprintf(stderr, "tiervm: '%s' is down\n", vm->name);
	tiervm_vm_free(vm);
	return EXIT_OK;
}

/* A diagnostic: one request to the guest's probe, its JSON reply printed. */
int cmd_probe(int argc, char **argv)
{
	struct tiervm_vm *vm;
	tiervm_error *err = NULL;
	json_object *r;
	char *req;

	if (argc != 3)
		return usage_error("usage: tiervm probe NAME 'REQUEST'");
	vm = tiervm_vm_open_running(argv[1], &err);
	if (!vm)
		return report(err);
	req = argv[2];
	if (strchr(req, '\n') || strlen(req) > 40) {
		tiervm_vm_free(vm);
		return usage_error("a probe request is one short line");
	}
	r = tiervm_probe_call(vm, req, 60000, NULL, NULL, &err);
	tiervm_vm_free(vm);
	if (!r)
		return report(err);
	printf("%s\n", json_object_to_json_string_ext(
			       r, JSON_C_TO_STRING_PRETTY |
					  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(r);
	return EXIT_OK;
}
