/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_EXEC_H
#define TIERVM_EXEC_H

#include <stdbool.h>

#include "util_error.h"
#include "vm.h"

/*
 * The host end of the exec channel: a command run by the guest's agent
 * (guest/agent.c), its output streamed to our fds as it comes, our stdin
 * fed to it, its exit status returned.
 */
struct tiervm_exec_req {
	char *const *argv; /* NULL-terminated */
	char *const *env;  /* NULL-terminated "K=V", the whole environment */
	/* in the guest; NULL: this process's own where the guest has it
	 * (it sees the host's root), else / */
	const char *cwd;
	/* numactl's policies: "bind", "preferred" or "interleave" on @nodes */
	const char *policy, *nodes;
	const char *cpunodes; /* run on these nodes' cpus; NULL: anywhere */
	bool tty; /* a pseudo-terminal: @in_fd is one, in raw mode */
	unsigned rows, cols;
	int in_fd, out_fd, err_fd; /* in_fd -1: no stdin */
	int timeout_ms;		   /* 0: none */
};

/**
 * tiervm_exec_env - the environment a guest command gets: this process's
 * PATH, HOME, USER, LOGNAME, SHELL, TERM, LANG and LC_*, then @extra
 * ("K=V", NULL-terminated, may be NULL) over them.  Free with
 * tiervm_strv_free_null().
 */
char **tiervm_exec_env(char *const *extra);

/*
 * tiervm_exec_shell - the argv of `tiervm shell`: the user's $SHELL (passed
 * in the environment) where the guest has it, else the guest's /bin/sh; a
 * guest without the host's root (share-host: false, a remote host) often
 * lacks bash.
 */
extern char *const tiervm_exec_shell[];

/* The key that leaves a tty session: ^], as telnet and virsh console. */
#define TIERVM_EXEC_DETACH_KEY 0x1d

/**
 * tiervm_exec_run - run @req in @vm: its exit status, as a shell gives it
 * (128+N when signal N ended it), or -1 with *errp set when it could not be
 * run or followed to its end (the guest died, the timeout struck).  The
 * first interrupt (tiervm_interrupted) is passed on as SIGINT, the second
 * kills the command.
 */
int tiervm_exec_run(struct tiervm_vm *vm, const struct tiervm_exec_req *req,
		    tiervm_error **errp);

/**
 * tiervm_exec_winsize - tell the running tty session the terminal's size
 * changed; call from the loop's side, it is picked up at the next poll.
 */
void tiervm_exec_winsize_changed(void);

#endif
