// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util_proc.h"
#include "util.h"

extern char **environ;

bool tiervm_run_capture(char *const argv[], char **out, int *status,
			tiervm_error **errp)
{
	posix_spawn_file_actions_t fa;
	struct sbuf b = { 0 };
	int pipefd[2], rc, ws;
	pid_t pid;
	char buf[4096];
	ssize_t n;

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		tiervm_error_set_errno(errp, errno, "pipe");
		return false;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc) {
		close(pipefd[0]);
		tiervm_error_set_errno(errp, rc, "cannot run %s", argv[0]);
		return false;
	}
	while ((n = read(pipefd[0], buf, sizeof(buf) - 1)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		buf[n] = '\0';
		sbuf_addf(&b, "%s", buf);
	}
	close(pipefd[0]);
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
	*out = b.s ? b.s : xstrdup("");
	return true;
}

char *tiervm_shell_quote(const char *s)
{
	struct sbuf b = { 0 };
	bool plain = *s != '\0';

	for (const char *p = s; *p && plain; p++)
		plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			       "0123456789-_./=,:+@%",
			       *p) != NULL;
	if (plain)
		return xstrdup(s);
	sbuf_addf(&b, "'");
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			sbuf_addf(&b, "'\\''");
		else
			sbuf_addf(&b, "%c", *p);
	}
	sbuf_addf(&b, "'");
	return b.s;
}

char *tiervm_which(const char *name)
{
	const char *path = getenv("PATH");
	char *copy, *save = NULL, *found = NULL;

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
	copy = xstrdup(path ? path : "/usr/bin:/bin");
	for (char *d = strtok_r(copy, ":", &save); d && !found;
	     d = strtok_r(NULL, ":", &save)) {
		char *c = xasprintf("%s/%s", d, name);

		if (*d == '/' && access(c, X_OK) == 0)
			found = c;
		else
			free(c);
	}
	free(copy);
	return found;
}
