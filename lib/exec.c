// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "engine.h"
#include "exec.h"
#include "exec_frame.h"
#include "util.h"
#include "util_json.h"
#include "util_sock.h"

/* how long to wait for a free channel when every one is in use */
#define BUSY_WAIT_MS 10000
/* how long the agent has to say CMD started (it forks at once) */
#define START_WAIT_MS 15000
/* how long CMD has to end after SIGTERM reached us and went on to it */
#define TERM_GRACE_MS 5000

static volatile sig_atomic_t winsize_changed;

void tiervm_exec_winsize_changed(void)
{
	winsize_changed = 1;
}

/*
 * A free channel: its lock taken (held in *@lock_fd while we use it), its
 * socket connected.  QEMU queues a second client of a busy socket rather
 * than refusing it, so the locks, not connect(), tell which are free.
 */
static int open_channel(struct tiervm_vm *vm, int *lock_fd, tiervm_error **errp)
{
	long long end = tiervm_now_ms() + BUSY_WAIT_MS;

	for (;;) {
		for (unsigned i = 0; i < TIERVM_EXEC_PORTS; i++) {
			char *lock = tiervm_vm_exec_path(vm, i, "lock"),
			     *sock = tiervm_vm_exec_path(vm, i, "sock");
			int l = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600),
			    fd = -1;

			if (l >= 0 && flock(l, LOCK_EX | LOCK_NB) == 0)
				fd = tiervm_unix_connect(sock, NULL);
			free(lock);
			free(sock);
			if (fd >= 0) {
				*lock_fd = l;
				return fd;
			}
			if (l >= 0)
				close(l);
		}
		if (tiervm_now_ms() > end || tiervm_interrupted) {
			tiervm_error_setg(
				errp,
				"all %d exec channels of '%s' stayed busy for %d s",
				TIERVM_EXEC_PORTS, vm->name,
				BUSY_WAIT_MS / 1000);
			return -1;
		}
		usleep(50 * 1000);
	}
}

static json_object *strings(char *const *v)
{
	json_object *a = json_object_new_array();

	for (; v && *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

static void add_str(json_object *o, const char *key, const char *value)
{
	if (value)
		json_object_object_add(o, key, json_object_new_string(value));
}

static json_object *winsize(int fd)
{
	struct winsize ws = { 0 };
	json_object *o = json_object_new_object();

	ioctl(fd, TIOCGWINSZ, &ws);
	json_object_object_add(o, "rows", json_object_new_int(ws.ws_row));
	json_object_object_add(o, "cols", json_object_new_int(ws.ws_col));
	return o;
}

static bool send_json(int fd, uint8_t type, json_object *o)
{
	const char *text = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	bool ok = tiervm_frame_write(fd, type, text, (uint32_t)strlen(text));

	json_object_put(o);
	return ok;
}

static bool write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

char *const tiervm_exec_shell[] = {
	"/bin/sh", "-c",
	"[ -x \"$SHELL\" ] && exec \"$SHELL\" -i; SHELL=/bin/sh exec /bin/sh -i",
	NULL
};

char **tiervm_exec_env(char *const *extra)
{
	static const char *const keep[] = { "PATH=",	"HOME=",  "USER=",
					    "LOGNAME=", "SHELL=", "TERM=",
					    "LANG=",	"LC_",	  NULL };
	struct strv env = { 0 };

	for (char **e = environ; *e; e++)
		for (size_t k = 0; keep[k]; k++)
			if (!strncmp(*e, keep[k], strlen(keep[k]))) {
				strv_push(&env, xstrdup(*e));
				break;
			}
	for (; extra && *extra; extra++) {
		size_t key = strcspn(*extra, "=") + 1;

		/* a later K=V replaces an earlier K */
		for (size_t i = 0; i < env.n; i++)
			if (!strncmp(env.v[i], *extra, key)) {
				free(env.v[i]);
				env.v[i] = env.v[--env.n];
				env.v[env.n] = NULL;
			}
		strv_push(&env, xstrdup(*extra));
	}
	if (!env.v)
		strv_push(&env, xstrdup("PATH=/usr/bin:/bin"));
	return env.v;
}

static bool send_open(int fd, const struct tiervm_exec_req *r)
{
	json_object *o = json_object_new_object();
	char *cwd = r->cwd ? NULL : getcwd(NULL, 0);

	/* our own directory is a guess: the agent falls back to / */
	if (cwd) {
		json_object_object_add(o, "cwd", json_object_new_string(cwd));
		json_object_object_add(o, "cwd_optional",
				       json_object_new_boolean(1));
		free(cwd);
	}

	json_object_object_add(o, "argv", strings(r->argv));
	json_object_object_add(o, "env", strings(r->env));
	add_str(o, "cwd", r->cwd);
	add_str(o, "policy", r->policy);
	add_str(o, "nodes", r->nodes);
	add_str(o, "cpunodes", r->cpunodes);
	if (r->tty) {
		json_object *ws = winsize(r->in_fd);

		json_object_object_add(o, "tty", json_object_new_boolean(1));
		json_object_object_add(o, "rows",
				       json_object_get(jget(ws, "rows")));
		json_object_object_add(o, "cols",
				       json_object_get(jget(ws, "cols")));
		json_object_put(ws);
	}
	if (!write_all(fd, (const uint8_t *)TIERVM_EXEC_MAGIC,
		       sizeof(TIERVM_EXEC_MAGIC) - 1)) {
		json_object_put(o);
		return false;
	}
	return send_json(fd, TIERVM_FRAME_OPEN, o);
}

/* One session under way. */
struct run {
	const struct tiervm_exec_req *req;
	struct tiervm_vm *vm;
	int sock, in_fd;
	struct tiervm_frames frames;
	int status; /* -1 until the exit frame */
	int interrupts;
	bool detached;
	bool started;	   /* the agent said CMD runs */
	long long give_up; /* after SIGTERM: when to stop waiting; 0: not */
};

/* Frames from the guest; false once the exit (or a failure) came. */
static bool from_guest(struct run *r, tiervm_error **errp)
{
	const uint8_t *data;
	uint8_t type;
	uint32_t len;
	int k;

	while ((k = tiervm_frames_next(&r->frames, &type, &data, &len)) > 0) {
		if (type == TIERVM_FRAME_STARTED) {
			r->started = true;
		} else if (type == TIERVM_FRAME_STDOUT) {
			write_all(r->req->out_fd, data, len);
		} else if (type == TIERVM_FRAME_STDERR) {
			write_all(r->req->err_fd, data, len);
		} else if (type == TIERVM_FRAME_EXIT) {
			json_object *o = tiervm_frame_json(data, len);

			r->status = jget(o, "signal")
					    ? 128 + (int)jint(o, "signal", 0)
					    : (int)jint(o, "status", 1);
			json_object_put(o);
			return false;
		} else if (type == TIERVM_FRAME_FAIL) {
			tiervm_error_setg(errp,
					  "the guest could not run %s: %.*s",
					  r->req->argv[0], (int)len, data);
			return false;
		}
	}
	if (k < 0) {
		tiervm_error_setg(errp, "the exec channel carried garbage");
		return false;
	}
	return true;
}

/* Our stdin to the guest; a tty's detach key ends the session. */
static void to_guest(struct run *r)
{
	uint8_t buf[65536];
	ssize_t n = read(r->in_fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		tiervm_frame_write(r->sock, TIERVM_FRAME_STDIN_EOF, NULL, 0);
		r->in_fd = -1;
		return;
	}
	if (r->req->tty && memchr(buf, TIERVM_EXEC_DETACH_KEY, (size_t)n)) {
		r->detached = true;
		return;
	}
	tiervm_frame_write(r->sock, TIERVM_FRAME_STDIN, buf, (uint32_t)n);
}

/* Interrupts and resizes since the last poll, passed on. */
static void pass_events(struct run *r)
{
	while (r->interrupts < tiervm_interrupted) {
		/* ^C is CMD's ^C; SIGTERM (timeout(1), a CI runner) is its
		 * SIGTERM, and we end soon after whatever CMD does */
		uint8_t sig = r->interrupts++			   ? SIGKILL
			      : tiervm_interrupt_signal == SIGTERM ? SIGTERM
								   : SIGINT;

		if (tiervm_interrupt_signal == SIGTERM && !r->give_up)
			r->give_up = tiervm_now_ms() + TERM_GRACE_MS;
		tiervm_frame_write(r->sock, TIERVM_FRAME_SIGNAL, &sig, 1);
	}
	if (winsize_changed && r->req->tty) {
		winsize_changed = 0;
		send_json(r->sock, TIERVM_FRAME_WINSIZE, winsize(r->in_fd));
	}
}

/* Why the channel closed before the exit: the guest, most likely, died. */
static void closed_early(struct run *r, tiervm_error **errp)
{
	char *tail;

	tiervm_engine_wait_exit(r->vm, 2000);
	if (tiervm_engine_running(r->vm)) {
		tiervm_error_setg(errp, "the exec channel closed while %s ran",
				  r->req->argv[0]);
		return;
	}
	tail = tiervm_vm_console_tail(r->vm, 8);
	tiervm_error_setg(errp, "the guest died while %s ran%s",
			  r->req->argv[0], tail);
	free(tail);
}

int tiervm_exec_run(struct tiervm_vm *vm, const struct tiervm_exec_req *req,
		    tiervm_error **errp)
{
	struct run r = {
		.req = req, .vm = vm, .status = -1, .in_fd = req->in_fd
	};
	long long end = req->timeout_ms ? tiervm_now_ms() + req->timeout_ms : 0,
		  start_by = tiervm_now_ms() + START_WAIT_MS;
	int lock = -1;

	r.sock = open_channel(vm, &lock, errp);
	if (r.sock < 0)
		return -1;
	if (!send_open(r.sock, req)) {
		tiervm_error_set_errno(errp, errno, "the exec channel");
		goto out;
	}
	for (;;) {
		struct pollfd p[2] = { { r.sock, POLLIN, 0 },
				       { r.in_fd, POLLIN, 0 } };
		uint8_t buf[65536];
		ssize_t n;

		pass_events(&r);
		if (r.detached) {
			r.status = 0;
			break;
		}
		if (r.give_up && tiervm_now_ms() > r.give_up) {
			tiervm_error_setg(
				errp,
				"terminated: %s was sent SIGTERM and did not end within %d s",
				req->argv[0], TERM_GRACE_MS / 1000);
			break;
		}
		if (!r.started && tiervm_now_ms() > start_by) {
			tiervm_error_setg(
				errp,
				"the exec agent of '%s' did not answer within %d s (see `tiervm console %s`)",
				vm->name, START_WAIT_MS / 1000, vm->name);
			break;
		}
		if (end && tiervm_now_ms() > end) {
			uint8_t sig = SIGKILL;

			tiervm_frame_write(r.sock, TIERVM_FRAME_SIGNAL, &sig,
					   1);
			tiervm_error_setg(errp,
					  "%s did not end within %d s; killed",
					  req->argv[0], req->timeout_ms / 1000);
			break;
		}
		if (poll(p, 2, 100) <= 0)
			continue;
		if (p[1].revents)
			to_guest(&r);
		if (!p[0].revents)
			continue;
		n = read(r.sock, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno != EINTR)) {
			closed_early(&r, errp);
			break;
		}
		if (n > 0)
			tiervm_frames_add(&r.frames, buf, (size_t)n);
		if (!from_guest(&r, errp))
			break;
	}
out:
	close(r.sock);
	close(lock);
	tiervm_frames_free(&r.frames);
	return r.status;
}
