// SPDX-License-Identifier: LGPL-2.1-or-later
/* tiervm_exec: a command in a running guest. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "counts.h"
#include "engine.h"
#include "ops.h"
#include "util.h"

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
