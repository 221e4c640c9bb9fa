// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Host discovery on a tree made from the input: each line "PATH=CONTENT"
 * becomes a file under a fresh root (PATH relative, no ".."), a line
 * "PATH->TARGET" a symlink; then tiervm_host_discover() reads it.
 */
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[] = "/tmp/tiervm-fuzz-host-XXXXXX";

static void mkdirs(char *path)
{
	for (char *s = strchr(path + strlen(root) + 1, '/'); s;
	     s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	/* the root itself stays for the next input */
	if (ftw->level > 0)
		remove(path);
	return 0;
}

static void remove_tree(const char *dir)
{
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmemdup0(data, size), *save = NULL;
	tiervm_error *err = NULL;
	struct tiervm_host *h;
	unsigned files = 0;

	if (root[strlen(root) - 1] == 'X' && !mkdtemp(root)) {
		perror(root); /* the machine's fault, not the input's */
		abort();
	}
	for (char *line = strtok_r(text, "\n", &save); line && files < 64;
	     line = strtok_r(NULL, "\n", &save)) {
		char *arrow = strstr(line, "->"), *eq = strchr(line, '='),
		     *sep = arrow && (!eq || arrow < eq) ? arrow : eq, *path;
		FILE *f;

		if (!sep || sep == line || line[0] == '/' || strstr(line, ".."))
			continue;
		*sep = '\0';
		path = xasprintf("%s/%s", root, line);
		mkdirs(path);
		if (sep == arrow) {
			if (!strstr(sep + 2, ".."))
				(void)!symlink(sep + 2, path);
		} else if ((f = fopen(path, "w"))) {
			fputs(sep + 1, f);
			fclose(f);
		}
		free(path);
		files++;
	}
	h = tiervm_host_discover(root, &err);
	if (h) {
		json_object_put(tiervm_host_to_json(h));
		free(tiervm_host_format_text(h));
	}
	tiervm_host_free(h);
	tiervm_error_free(err);
	remove_tree(root);
	free(text);
	return 0;
}
