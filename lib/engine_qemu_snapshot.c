// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Warm starts on tiervm's own engine: a guest's state saved with QEMU's
 * migration to a file, and loaded by a new QEMU of the same command line
 * (-S -incoming defer).  Both go through fds handed over QMP (getfd), so
 * QEMU opens nothing of the cache itself; the state is streamed in by
 * tiervm through a pipe, summed as it goes, so a corrupt file costs no
 * second read.  QEMU 7.2 has neither file: URIs nor mapped-ram.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "engine_qemu_internal.h"
#include "timeouts.h"
#include "util.h"
#include "util_json.h"

/* A state is a few hundred MB; writing it takes seconds under load. */
#define SNAPSHOT_TIMEOUT_MS 120000

static bool run(struct tiervm_qmp *q, const char *cmd, json_object *args,
		tiervm_error **errp)
{
	json_object *r =
		tiervm_qmp_execute(q, cmd, args, TIERVM_TIMEOUT_QMP_MS, errp);

	json_object_put(r);
	return r != NULL;
}

static json_object *one_arg(const char *key, const char *value)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, key, json_object_new_string(value));
	return o;
}

static bool pass_fd(struct tiervm_qmp *q, const char *name, int fd,
		    tiervm_error **errp)
{
	json_object *r =
		tiervm_qmp_execute_fd(q, "getfd", one_arg("fdname", name), fd,
				      TIERVM_TIMEOUT_QMP_MS, errp);

	json_object_put(r);
	return r != NULL;
}

/* Until query-migrate says "completed"; its error otherwise. */
static bool wait_migration(struct tiervm_qmp *q, int timeout_ms,
			   tiervm_error **errp)
{
	long long end = tiervm_now_ms() + timeout_ms;

	for (;;) {
		json_object *r = tiervm_qmp_execute(
			q, "query-migrate", NULL, TIERVM_TIMEOUT_QMP_MS, errp);
		const char *status = jstr(r, "status", "");
		bool done = !strcmp(status, "completed"),
		     failed = !strcmp(status, "failed") ||
			      !strcmp(status, "cancelled");

		if (failed)
			tiervm_error_set(
				errp, TIERVM_E_STATE, "QEMU's migration %s: %s",
				status,
				jstr(r, "error-desc", "no reason given"));
		json_object_put(r);
		if (!r || done || failed)
			return r && done;
		if (tiervm_interrupted || tiervm_now_ms() > end) {
			tiervm_error_setg(errp, "QEMU's migration did not end");
			return false;
		}
		usleep(10 * 1000);
	}
}

bool tiervm_qemu_snapshot(struct tiervm_vm *vm, int fd, tiervm_error **errp)
{
	struct tiervm_monitor *m = tiervm_engine_monitor(vm, errp);
	struct tiervm_qmp *q = m ? tiervm_qemu_qmp(m) : NULL;
	json_object *params = json_object_new_object();
	bool ok = false;

	if (!q) {
		json_object_put(params);
		return false;
	}
	/* 7.2 throttles migration to 32 MiB/s unless told otherwise */
	json_object_object_add(params, "max-bandwidth",
			       json_object_new_int64(INT64_C(1) << 40));
	if (!run(q, "migrate-set-parameters", params, errp) ||
	    !run(q, "stop", NULL, errp))
		goto out;
	ok = pass_fd(q, "tiervm-snapshot", fd, errp) &&
	     run(q, "migrate", one_arg("uri", "fd:tiervm-snapshot"), errp) &&
	     wait_migration(q, SNAPSHOT_TIMEOUT_MS, errp);
	/* the guest goes on either way: from here it is the caller's */
	if (!run(q, "cont", NULL, ok ? errp : NULL))
		ok = false;
out:
	tiervm_monitor_close(m);
	return ok;
}

/*
 * @state into @pipe_fd (non-blocking) with its size and CRC-32, giving up
 * when QEMU stops reading for @timeout_ms or on an interrupt.
 */
static bool stream(int in, int pipe_fd, uint64_t *bytes, uint32_t *crc,
		   int timeout_ms, tiervm_error **errp)
{
	static unsigned char buf[1 << 20];
	uLong c = crc32(0L, Z_NULL, 0);
	ssize_t n;

	*bytes = 0;
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		c = crc32_z(c, buf, (size_t)n);
		*bytes += (uint64_t)n;
		for (ssize_t off = 0; off < n;) {
			struct pollfd p = { .fd = pipe_fd, .events = POLLOUT };
			ssize_t w;

			if (tiervm_interrupted ||
			    poll(&p, 1, timeout_ms) <= 0) {
				tiervm_error_setg(
					errp,
					"QEMU stopped reading the snapshot");
				return false;
			}
			w = write(pipe_fd, buf + off, (size_t)(n - off));
			if (w < 0 && errno != EAGAIN && errno != EINTR) {
				tiervm_error_set(
					errp, TIERVM_E_STATE,
					"QEMU refused the snapshot's state (%s)",
					strerror(errno));
				return false;
			}
			off += w > 0 ? w : 0;
		}
	}
	*crc = (uint32_t)c;
	if (n < 0)
		tiervm_error_set_errno(errp, errno, "cannot read the snapshot");
	return n == 0;
}

bool tiervm_qemu_restore(struct tiervm_vm *vm, struct tiervm_launch *l,
			 tiervm_error **errp)
{
	struct tiervm_monitor *m = tiervm_engine_monitor(vm, errp);
	struct tiervm_qmp *q = m ? tiervm_qemu_qmp(m) : NULL;
	struct sigaction ignore = { .sa_handler = SIG_IGN }, old;
	int in = open(l->incoming, O_RDONLY | O_CLOEXEC), p[2] = { -1, -1 };
	uint64_t bytes = 0;
	uint32_t crc = 0;
	bool ok = false;

	if (!q)
		goto out;
	if (in < 0 || pipe2(p, O_CLOEXEC) < 0) {
		tiervm_error_set_errno(errp, errno, "cannot read %s",
				       l->incoming);
		goto out;
	}
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	/* fewer, larger handovers to QEMU's reader (best effort) */
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	/* a QEMU that refuses the state closes the pipe: EPIPE, not death */
	sigaction(SIGPIPE, &ignore, &old);
	ok = pass_fd(q, "tiervm-state", p[0], errp) &&
	     run(q, "migrate-incoming", one_arg("uri", "fd:tiervm-state"),
		 errp);
	close(p[0]);
	p[0] = -1;
	ok = ok && stream(in, p[1], &bytes, &crc, TIERVM_TIMEOUT_BOOT_MS, errp);
	close(p[1]);
	p[1] = -1;
	sigaction(SIGPIPE, &old, NULL);
	if (ok && (bytes != l->incoming_bytes || crc != l->incoming_crc)) {
		tiervm_error_set(
			errp, TIERVM_E_STATE,
			"the snapshot's state is corrupt (%llu bytes of CRC-32 %08x; its key file says %llu of %08x)",
			(unsigned long long)bytes, crc,
			(unsigned long long)l->incoming_bytes, l->incoming_crc);
		ok = false;
	}
	ok = ok && wait_migration(q, TIERVM_TIMEOUT_BOOT_MS, errp);
	l->load_ms = tiervm_now_ms();
	ok = ok && run(q, "cont", NULL, errp);
out:
	if (in >= 0)
		close(in);
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	tiervm_monitor_close(m);
	return ok;
}
