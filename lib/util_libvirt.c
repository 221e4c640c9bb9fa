// SPDX-License-Identifier: LGPL-2.1-or-later
/* Connections to libvirt, quiet on stderr; the first kept for the process. */
#include <libvirt/virterror.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

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
 * The first connection is kept for the process, and given again to the
 * same URI: the embedded driver runs in the process and takes its root
 * once; a daemon's connection is cheap to keep.  Callers close what they
 * get; the cache keeps its own reference.
 */
virConnectPtr tiervm_libvirt_connect(const char *uri, tiervm_error **errp)
{
	static char *cached_uri;
	static virConnectPtr cached;
	virConnectPtr c;

	virSetErrorFunc(NULL, quiet);
	if (cached && !strcmp(cached_uri, uri)) {
		virConnectRef(cached);
		return cached;
	}
	if (tiervm_libvirt_embedded(uri)) {
		static bool loop;
		pthread_t t;

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
	if (!c) {
		const char *msg = virGetLastErrorMessage();

		tiervm_error_set(
			errp, TIERVM_E_FAIL,
			"libvirt at %s: %.*s (is libvirtd running? `libvirtd -d` starts it)",
			uri, (int)strcspn(msg, "\n"), msg);
	}
	return c;
}
