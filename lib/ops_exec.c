// SPDX-License-Identifier: LGPL-2.1-or-later
/* tiervm_exec: a command in a running guest. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "counts.h"
#include "engine.h"
#include "ops.h"
#include "units.h"
#include "util.h"
#include "util_json.h"

static const char *policy_option(const char *policy)
{
	return !strcmp(policy, "bind")	      ? "--membind"
	       : !strcmp(policy, "preferred") ? "--preferred"
					      : "--interleave";
}

/*
 * Nodes a policy names that the guest lacks: refused here, before the
 * command runs (and before a counting window opens), as numactl would,
 * but naming the guest's nodes (@nodes: the verified report's).  @what is
 * the option; @cpus asks for nodes with cpus (--cpunodebind).
 */
static bool check_nodes(const struct tiervm_vm *vm, json_object *nodes,
			const char *what, const char *list, bool cpus,
			tiervm_error **errp)
{
	struct tiervm_cpuset want, have = { 0 };
	tiervm_error *e = NULL;
	char *l;

	/* numactl's "all" and relative forms are the guest's to read */
	if (!list || !strcmp(list, "all") || strpbrk(list, "+!"))
		return true;
	if (!tiervm_parse_cpulist(list, &want, &e)) {
		tiervm_error_set(errp, TIERVM_E_INPUT, "%s %s: %s", what, list,
				 e->msg);
		tiervm_error_free(e);
		return false;
	}
	for (size_t i = 0; i < jlen(nodes); i++) {
		json_object *n = jidx(nodes, i);
		long long id = jint(n, "id", -1);

		if (id >= 0 && id < TIERVM_MAX_CPUS &&
		    (!cpus || *jstr(n, "cpus", "")))
			cpuset_set(&have, (unsigned)id);
	}
	for (unsigned i = 0; i < TIERVM_MAX_CPUS; i++) {
		if (!cpuset_test(&want, i) || cpuset_test(&have, i))
			continue;
		l = tiervm_format_cpulist(&have);
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"%s %s: the guest '%s' has no node %u%s; its nodes%s are %s",
			what, list, vm->name, i, cpus ? " with cpus" : "",
			cpus ? " with cpus" : "", *l ? l : "none");
		free(l);
		return false;
	}
	return true;
}

/* The request's policy and cpu nodes against the guest's verified nodes. */
static bool check_policy(const struct tiervm_vm *vm,
			 const struct tiervm_exec_req *req, tiervm_error **errp)
{
	json_object *rep, *nodes;
	bool ok;

	if (!req->nodes && !req->cpunodes)
		return true;
	/* no verified report (up --no-verify): the guest decides */
	rep = tiervm_vm_load_json(vm, "report.json", NULL);
	if (!rep)
		return true;
	nodes = jget(jget(rep, "guest"), "nodes");
	ok = check_nodes(vm, nodes,
			 req->policy ? policy_option(req->policy) : NULL,
			 req->nodes, false, errp) &&
	     check_nodes(vm, nodes, "--cpunodebind", req->cpunodes, true, errp);
	json_object_put(rep);
	return ok;
}

int tiervm_exec(const char *name, const struct tiervm_exec_req *req,
		tiervm_error **errp)
{
	return tiervm_exec_counted(name, req, NULL, NULL, errp);
}

int tiervm_exec_counted(const char *name, const struct tiervm_exec_req *req,
			const struct tiervm_window_opts *w,
			json_object **counts, tiervm_error **errp)
{
	struct tiervm_vm *vm = tiervm_engine_open(name, true, errp);
	char *sock;
	int status = -1;

	if (!vm)
		return -1;
	if (!check_policy(vm, req, errp)) {
		tiervm_vm_free(vm);
		return -1;
	}
	/* a guest another tool (or an older tiervm) started has no agent */
	sock = tiervm_vm_exec_path(vm, 0, "sock");
	if (access(sock, F_OK) < 0)
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"'%s' has no exec channel: it was not started by this tiervm",
			name);
	else if (w && w->file)
		status = tiervm_window_exec(vm, req, w->file, w->plot, counts,
					    errp);
	else
		status = tiervm_exec_run(vm, req, errp);
	free(sock);
	tiervm_vm_free(vm);
	/* a second interrupt killed the command; it stops the guest too */
	if (tiervm_interrupted >= 2) {
		bool was_running;

		tiervm_down(name, &was_running, NULL, NULL, NULL);
	}
	return status;
}

bool tiervm_console(const char *name, int out_fd, tiervm_error **errp)
{
	struct tiervm_vm *vm = tiervm_engine_open(name, true, errp);
	char *path, buf[65536];
	FILE *f;

	if (!vm)
		return false;
	path = tiervm_vm_path(vm, "console.log");
	f = fopen(path, "re");
	free(path);
	if (!f) {
		tiervm_error_set_errno(errp, errno, "'%s' has no console log",
				       name);
		tiervm_vm_free(vm);
		return false;
	}
	/* the log so far, then what comes, until the guest or we stop */
	while (!tiervm_interrupted) {
		size_t n = fread(buf, 1, sizeof(buf), f);

		if (n && write(out_fd, buf, n) < 0)
			break;
		if (n)
			continue;
		clearerr(f);
		if (!tiervm_engine_running(vm))
			break;
		usleep(100 * 1000);
	}
	fclose(f);
	tiervm_vm_free(vm);
	return true;
}
