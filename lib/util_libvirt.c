// SPDX-License-Identifier: LGPL-2.1-or-later
/* Connections to libvirt, quiet on stderr; the first kept for the process. */
#include <errno.h>
#include <grp.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "util_libvirt.h"

/* libvirt prints every error to stderr unless told otherwise. */
static void quiet(void *opaque, virErrorPtr e)
{
}

/* The embedded driver's events need a loop of the program's own. */
static void *event_loop(void *unused)
{
	for (;;)
		virEventRunDefaultImpl();
	return NULL;
}

bool tiervm_libvirt_embedded(const char *uri)
{
	return !strncmp(uri, "qemu:///embed", 13);
}

/*
 * The embedded driver reads ROOT/etc/qemu.conf.  Without one it sends
 * QEMU's output to virtlogd (a daemon of the system instance, which a
 * machine without libvirtd running has not got) and runs QEMU as its
 * compiled-in user, who cannot read the caller's image cache.  A root
 * without that file gets one; a qemu.conf already there is the user's and
 * is left alone.
 */
static bool prepare_embed_root(const char *uri, tiervm_error **errp)
{
	const char *r = strstr(uri, "root=");
	char *root, *etc, *conf;
	bool ok = true;
	FILE *f;

	if (!r || r[5] != '/') {
		tiervm_error_set(
			errp, TIERVM_E_INPUT,
			"--connect %s: the embedded driver needs root=/ABSOLUTE/DIR",
			uri);
		return false;
	}
	root = xasprintf("%.*s", (int)strcspn(r + 5, "&"), r + 5);
	etc = xasprintf("%s/etc", root);
	conf = xasprintf("%s/qemu.conf", etc);
	if (access(conf, F_OK) != 0) {
		if ((mkdir(root, 0755) && errno != EEXIST) ||
		    (mkdir(etc, 0755) && errno != EEXIST) ||
		    !(f = fopen(conf, "wxe"))) {
			tiervm_error_set_errno(errp, errno, "cannot write %s",
					       conf);
			ok = false;
		} else {
			struct passwd *pw = getpwuid(getuid());
			struct group *gr = getgrgid(getgid());

			/* QEMU as the caller, as tiervm's own engine runs it:
			 * it reads the caller's image cache and files */
			fprintf(f,
				"# written by tiervm for its embedded guests\n"
				"user = \"%s\"\ngroup = \"%s\"\n"
				"dynamic_ownership = 0\nremember_owner = 0\n"
				"stdio_handler = \"file\"\n",
				pw ? pw->pw_name : "root",
				gr ? gr->gr_name : "root");
			ok = fclose(f) == 0;
		}
	}
	free(conf);
	free(etc);
	free(root);
	return ok;
}

/*
 * The first connection is kept for the process, and given again to the
 * same URI: the embedded driver runs in the process and takes its root
 * once; a daemon's connection is cheap to keep.  Callers close what they
 * get; the cache keeps its own reference.
 */
static void connect_error(const char *uri, tiervm_error **errp)
{
	const char *msg = virGetLastErrorMessage();

	tiervm_error_set(
		errp, TIERVM_E_FAIL,
		"libvirt at %s: %.*s (is libvirtd running? `libvirtd -d` starts it)",
		uri, (int)strcspn(msg, "\n"), msg);
}

virConnectPtr tiervm_libvirt_connect(const char *uri, tiervm_error **errp)
{
	static char *cached_uri;
	static virConnectPtr cached;
	virConnectPtr c;

	virSetErrorFunc(NULL, quiet);
	if (cached && !strcmp(cached_uri, uri)) {
		if (virConnectIsAlive(cached) == 1) {
			virConnectRef(cached);
			return cached;
		}
		/* a daemon that went away: a connection to what came back */
		virConnectClose(cached);
		cached = NULL;
		free(cached_uri);
		cached_uri = NULL;
	}
	if (tiervm_libvirt_embedded(uri)) {
		static bool loop;
		pthread_t t;

		if (!prepare_embed_root(uri, errp))
			return NULL;
		if (!loop && virEventRegisterDefaultImpl() == 0 &&
		    pthread_create(&t, NULL, event_loop, NULL) == 0) {
			pthread_detach(t);
			loop = true;
		}
	}
	c = virConnectOpen(uri);
	if (c && !cached) {
		cached = c;
		cached_uri = xstrdup(uri);
		virConnectRef(c);
	}
	if (!c)
		connect_error(uri, errp);
	return c;
}

virConnectPtr tiervm_libvirt_open(const char *uri, tiervm_error **errp)
{
	virConnectPtr c;

	virSetErrorFunc(NULL, quiet);
	c = virConnectOpen(uri);
	if (!c)
		connect_error(uri, errp);
	return c;
}

bool tiervm_libvirt_remote(const char *uri)
{
	const char *auth = strstr(uri, "://");

	return auth && auth[3] && auth[3] != '/';
}

void tiervm_libvirt_error(tiervm_error **errp, int code, const char *what)
{
	const char *msg = virGetLastErrorMessage();

	tiervm_error_set(errp, code, "libvirt: %s: %.*s", what,
			 (int)strcspn(msg, "\n"), msg);
}
