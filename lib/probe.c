// SPDX-License-Identifier: LGPL-2.1-or-later
/* The host end of the probe's channel (guest ttyS1, a unix socket here). */
#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "probe.h"
#include "timeouts.h"
#include "util.h"
#include "util_sock.h"

#define END "\nTIERVM-END\n"
#define READY "TIERVM-READY\n"

/*
 * The guest's 16550 raises its receive interrupt at 8 bytes in the FIFO and
 * relies on the character timeout for the rest, which QEMU 7.2 delivers
 * seconds late.  A request padded with newlines to the FIFO's 16 bytes
 * arrives at once; the probe ignores empty lines.
 */
static bool send_request(int fd, const char *request)
{
	char buf[256]; /* the probe reads lines of up to 255 bytes */
	size_t len = strlen(request) + 1;
	size_t padded = ALIGN_UP(len, 16);

	if (padded > sizeof(buf))
		return false;
	memset(buf, '\n', padded);
	memcpy(buf, request, len - 1);
	return write(fd, buf, padded) == (ssize_t)padded;
}

/*
 * QEMU drops what a client wrote but the guest had not yet read when the
 * client hangs up, so stay connected until the probe acknowledges.
 */
bool tiervm_probe_send(struct tiervm_vm *vm, const char *request,
		       int timeout_ms, tiervm_error **errp)
{
	char *path = tiervm_vm_path(vm, "probe.sock");
	long long end = tiervm_now_ms() + timeout_ms;
	struct sbuf in = { 0 };
	int fd = tiervm_unix_connect(path, errp);
	bool ok = false;

	free(path);
	if (fd < 0)
		return false;
	if (!send_request(fd, request)) {
		tiervm_error_set_errno(errp, errno, "probe channel");
		goto out;
	}
	while (tiervm_now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char buf[4096];
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		if (n <= 0)
			break;
		buf[n] = '\0';
		sbuf_addf(&in, "%s", buf);
		if (strstr(in.s, "TIERVM-ACK")) {
			ok = true;
			goto out;
		}
	}
	tiervm_error_setg(errp,
			  "the probe did not acknowledge '%s' within %d s",
			  request, timeout_ms / 1000);
out:
	sbuf_free(&in);
	close(fd);
	return ok;
}

/* Console stages, in boot order; the first not seen is what timed out. */
static const struct {
	const char *marker, *stage;
} stages[] = {
	{ "Linux version", "kernel" },
	{ "tiervm: init", "initramfs" },
	{ "tiervm: modules loaded", "drivers" },
	{ "tiervm-probe: ready", "probe" },
};

/* guest/boot.c's line: "tiervm: missing drivers: virtio_mem (virtio-mem)" */
#define MISSING_MARKER "tiervm: missing drivers: "

/*
 * The stages the console shows beyond those told already, told; drivers
 * the probe found missing kept in @vm.
 */
static size_t console_stage(struct tiervm_vm *vm, tiervm_progress_fn *progress,
			    void *opaque)
{
	char *path = tiervm_vm_path(vm, "console.log");
	FILE *f = fopen(path, "re");
	char *text = NULL;
	const char *missing;
	size_t cap = 0;
	ssize_t n;

	free(path);
	if (!f)
		return vm->boot_stages;
	n = getdelim(&text, &cap, '\0', f);
	fclose(f);
	/* whole lines only: the serial console writes a byte at a time */
	if (n > 0 && !vm->missing_drivers &&
	    (missing = strstr(text, MISSING_MARKER)) && strchr(missing, '\n')) {
		missing += strlen(MISSING_MARKER);
		vm->missing_drivers = xasprintf(
			"%.*s", (int)strcspn(missing, "\r\n"), missing);
	}
	while (n > 0 && vm->boot_stages < ARRAY_SIZE(stages) &&
	       strstr(text, stages[vm->boot_stages].marker)) {
		if (progress)
			progress(stages[vm->boot_stages].stage, opaque);
		vm->boot_stages++;
	}
	free(text);
	return vm->boot_stages;
}

/* A guest without the drivers its hardware needs is not worth waiting for. */
static bool drivers_missing(struct tiervm_vm *vm, tiervm_error **errp)
{
	char *failed;

	if (!vm->missing_drivers)
		return false;
	/* "DRIVER (WHAT), ...[; modules that failed to load: M (WHY), ...]" */
	failed = strstr(vm->missing_drivers, "; ");
	tiervm_error_setg(
		errp,
		"the guest kernel has no driver for %.*s, neither built in nor a module it could load%s%s%s; build it in (`tiervm kconfig SPEC` lists the options) or give its modules (--modules)",
		failed ? (int)(failed - vm->missing_drivers)
		       : (int)strlen(vm->missing_drivers),
		vm->missing_drivers, failed ? " (" : "",
		failed ? failed + 2 : "", failed ? ")" : "");
	return true;
}

bool tiervm_probe_watch(struct tiervm_vm *vm, tiervm_progress_fn *progress,
			void *opaque, tiervm_error **errp)
{
	console_stage(vm, progress, opaque);
	return !drivers_missing(vm, errp);
}

int tiervm_probe_parse_reply(const char *in, const char *request,
			     json_object **reply, tiervm_error **errp)
{
	char *begin = xasprintf("TIERVM-BEGIN %s\n", request);
	const char *b = strstr(in, begin), *e = b ? strstr(b, END) : NULL;
	struct json_tokener *tok;
	int found = 0;

	*reply = NULL;
	if (!e)
		goto out;
	tok = json_tokener_new();
	*reply = json_tokener_parse_ex(tok, b + strlen(begin),
				       (int)(e - b - strlen(begin)));
	found = 1;
	if (!*reply || !json_object_is_type(*reply, json_type_object)) {
		tiervm_error_setg(
			errp, "the probe's report is not JSON: %s",
			json_tokener_error_desc(json_tokener_get_error(tok)));
		json_object_put(*reply);
		*reply = NULL;
		found = -1;
	}
	json_tokener_free(tok);
out:
	free(begin);
	return found;
}

json_object *tiervm_probe_nodes(struct tiervm_vm *vm, tiervm_error **errp)
{
	return tiervm_probe_call(vm, "nodes", TIERVM_TIMEOUT_REPORT_MS, NULL,
				 NULL, errp);
}

json_object *tiervm_probe_report(struct tiervm_vm *vm, int timeout_ms,
				 tiervm_progress_fn *progress, void *opaque,
				 tiervm_error **errp)
{
	return tiervm_probe_call(vm, "report", timeout_ms, progress, opaque,
				 errp);
}

/* The guest is no longer there to ask: why, as its engine knows. */
static void gone(const struct tiervm_vm *vm, size_t reached,
		 tiervm_error **errp)
{
	if (vm->unreachable)
		tiervm_error_setg(errp, "%s", vm->unreachable);
	else
		tiervm_error_setg(
			errp,
			"QEMU exited before the guest reported (after the %s stage; see %s/console.log)",
			reached ? stages[reached - 1].stage : "start", vm->dir);
}

json_object *tiervm_probe_call(struct tiervm_vm *vm, const char *request,
			       int timeout_ms, tiervm_progress_fn *progress,
			       void *opaque, tiervm_error **errp)
{
	char *path = tiervm_vm_path(vm, "probe.sock");
	long long start = tiervm_now_ms(), last_send = 0;
	struct sbuf in = { 0 };
	json_object *report = NULL;
	size_t reached = vm->boot_stages;
	tiervm_error *err = NULL;
	int fd = tiervm_unix_connect(path, &err);

	free(path);
	if (fd < 0) {
		/* a guest its engine lost: that is the news, not the socket */
		if (!tiervm_engine_running(vm)) {
			tiervm_error_free(err);
			gone(vm, reached, errp);
		} else {
			tiervm_error_propagate(errp, err);
		}
		return NULL;
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long now = tiervm_now_ms();
		char buf[65536];
		ssize_t n;

		{
			size_t before = reached;

			reached = console_stage(vm, progress, opaque);
			if (drivers_missing(vm, errp))
				break;
			/* the probe has its port open now: ask at once */
			if (before < ARRAY_SIZE(stages) &&
			    reached == ARRAY_SIZE(stages))
				last_send = 0;
		}
		if (tiervm_interrupted) {
			tiervm_error_setg(
				errp,
				"interrupted while waiting for the guest");
			break;
		}
		if (now - start > timeout_ms) {
			char *tail = tiervm_vm_console_tail(vm, 8);

			tiervm_error_setg(
				errp,
				"the guest did not report within %d s: the %s stage never arrived (see %s/console.log)%s",
				(timeout_ms + 500) / 1000,
				reached < ARRAY_SIZE(stages)
					? stages[reached].stage
					: "report",
				vm->dir, tail);
			free(tail);
			break;
		}
		if (!tiervm_engine_running(vm)) {
			gone(vm, reached, errp);
			break;
		}
		if (!in.len &&
		    now - last_send >= TIERVM_TIMEOUT_PROBE_RESEND_MS) {
			if (!send_request(fd, request) && errno != EAGAIN) {
				tiervm_error_set_errno(errp, errno,
						       "probe channel");
				break;
			}
			last_send = now;
		}
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		if (n <= 0) {
			/* QEMU closes the channel as it exits: say why, if it did */
			tiervm_engine_wait_exit(vm,
						TIERVM_TIMEOUT_KILL_GRACE_MS);
			if (!tiervm_engine_running(vm))
				gone(vm, reached, errp);
			else
				tiervm_error_setg(
					errp,
					"the probe channel closed while QEMU runs");
			break;
		}
		buf[n] = '\0';
		sbuf_addf(&in, "%s", buf);
		if (!strstr(in.s, "TIERVM-BEGIN") && strstr(in.s, READY)) {
			/* the probe has just opened its port: ask now */
			sbuf_free(&in);
			last_send = 0;
			continue;
		}
		if (tiervm_probe_parse_reply(in.s, request, &report, errp) == 0)
			continue;
		break;
	}
	if (report && progress) {
		/* stages the probe's own READY overtook */
		console_stage(vm, progress, opaque);
		progress(strncmp(request, "report", 6) ? request : "report",
			 opaque);
	}
	sbuf_free(&in);
	close(fd);
	return report;
}

void tiervm_progressf(tiervm_progress_fn *fn, void *opaque, const char *fmt,
		      ...)
{
	va_list ap;
	char *msg;

	if (!fn)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	fn(msg, opaque);
	free(msg);
}
