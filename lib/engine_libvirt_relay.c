// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The libvirt engine's stream relay (engine_libvirt_relay.h): one process
 * per guest, forked by the engine, running libvirt's event loop over the
 * guest's streams and the runtime dir's sockets.
 */
#include <errno.h>
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine_libvirt_relay.h"
#include "timeouts.h"
#include "util.h"
#include "util_libvirt.h"
#include "util_sock.h"

#define LINK_BUF 65536
#define EV_IN VIR_EVENT_HANDLE_READABLE
#define EV_OUT VIR_EVENT_HANDLE_WRITABLE
#define EV_BAD (VIR_EVENT_HANDLE_ERROR | VIR_EVENT_HANDLE_HANGUP)

struct relay;

/* One of the guest's lines and its local socket's client. */
struct link {
	struct relay *r;
	char *line;   /* serial alias or channel name */
	bool channel; /* an exec port: its stream lives as long as a client */
	int lfd, lwatch; /* the listening socket */
	int fd, watch;	 /* its client, or -1 */
	virStreamPtr st;
	char to_fd[LINK_BUF], to_st[LINK_BUF];
	size_t n_fd, n_st;
};

struct relay {
	virConnectPtr conn;
	virDomainPtr dom;
	virStreamPtr console;
	int log_fd;
	struct link links[1 + TIERVM_EXEC_PORTS];
};

static volatile sig_atomic_t quit;

static void on_term(int sig)
{
	quit = 1;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void link_update(struct link *k)
{
	if (k->fd >= 0)
		virEventUpdateHandle(k->watch,
				     (k->n_st < LINK_BUF ? EV_IN : 0) |
					     (k->n_fd ? EV_OUT : 0));
	if (k->st)
		virStreamEventUpdateCallback(
			k->st,
			(k->n_fd < LINK_BUF ? VIR_STREAM_EVENT_READABLE : 0) |
				(k->n_st ? VIR_STREAM_EVENT_WRITABLE : 0));
	/* one client at a time; others wait in the backlog, as on QEMU's
	 * socket chardevs */
	virEventUpdateHandle(k->lwatch, k->fd < 0 ? EV_IN : 0);
}

static void close_stream(struct link *k)
{
	if (!k->st)
		return;
	virStreamEventRemoveCallback(k->st);
	virStreamAbort(k->st);
	virStreamFree(k->st);
	k->st = NULL;
	k->n_st = 0;
}

static void client_gone(struct link *k)
{
	if (k->fd < 0)
		return;
	virEventRemoveHandle(k->watch);
	close(k->fd);
	k->fd = -1;
	k->n_fd = k->n_st = 0;
	/* the agent's session ends when the host leaves the port */
	if (k->channel)
		close_stream(k);
}

static void shift(char *buf, size_t *len, size_t done)
{
	memmove(buf, buf + done, *len - done);
	*len -= done;
}

static void flush_fd(struct link *k)
{
	ssize_t n;

	if (k->fd < 0) {
		k->n_fd = 0; /* nobody listens: dropped, as QEMU drops it */
		return;
	}
	n = write(k->fd, k->to_fd, k->n_fd);
	if (n > 0)
		shift(k->to_fd, &k->n_fd, (size_t)n);
	else if (n < 0 && errno != EAGAIN && errno != EINTR)
		client_gone(k);
}

static void stream_event(virStreamPtr st, int events, void *opaque)
{
	struct link *k = opaque;

	if ((events & VIR_STREAM_EVENT_READABLE) && k->n_fd < LINK_BUF) {
		int n = virStreamRecv(st, k->to_fd + k->n_fd,
				      LINK_BUF - k->n_fd);

		if (n > 0) {
			k->n_fd += (size_t)n;
			flush_fd(k);
		} else if (n == 0 || n == -1) {
			events |= VIR_STREAM_EVENT_HANGUP;
		}
	}
	if ((events & VIR_STREAM_EVENT_WRITABLE) && k->n_st && k->st) {
		int n = virStreamSend(st, k->to_st, k->n_st);

		if (n > 0)
			shift(k->to_st, &k->n_st, (size_t)n);
		else if (n == -1)
			events |= VIR_STREAM_EVENT_HANGUP;
	}
	if (events & (VIR_STREAM_EVENT_HANGUP | VIR_STREAM_EVENT_ERROR)) {
		if (!k->channel) {
			/* a serial line ends only with the guest */
			say("relay: %s: the stream ended", k->line);
			quit = 1;
			return;
		}
		client_gone(k);
		close_stream(k);
	}
	link_update(k);
}

static bool open_stream(struct link *k)
{
	struct relay *r = k->r;
	int rc;

	k->st = virStreamNew(r->conn, VIR_STREAM_NONBLOCK);
	if (!k->st)
		return false;
	rc = k->channel ? virDomainOpenChannel(r->dom, k->line, k->st,
					       VIR_DOMAIN_CHANNEL_FORCE)
			: virDomainOpenConsole(r->dom, k->line, k->st,
					       VIR_DOMAIN_CONSOLE_FORCE);
	if (rc < 0 ||
	    virStreamEventAddCallback(k->st, VIR_STREAM_EVENT_READABLE,
				      stream_event, k, NULL) < 0) {
		say("relay: %s: %s", k->line, virGetLastErrorMessage());
		virStreamFree(k->st);
		k->st = NULL;
		return false;
	}
	return true;
}

static void client_event(int watch, int fd, int events, void *opaque)
{
	struct link *k = opaque;

	if ((events & EV_IN) && k->n_st < LINK_BUF) {
		ssize_t n = read(fd, k->to_st + k->n_st, LINK_BUF - k->n_st);

		if (n > 0) {
			k->n_st += (size_t)n;
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			client_gone(k);
			link_update(k);
			return;
		}
	}
	if ((events & EV_OUT) && k->n_fd)
		flush_fd(k);
	if (k->fd >= 0 && (events & EV_BAD) && !(events & EV_IN))
		client_gone(k);
	if (k->n_st && !k->st)
		k->n_st = 0;
	link_update(k);
}

static void accept_event(int watch, int fd, int events, void *opaque)
{
	struct link *k = opaque;
	int c;

	if (k->fd >= 0)
		return;
	c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (c < 0)
		return;
	if (k->channel && !open_stream(k)) {
		close(c);
		return;
	}
	k->fd = c;
	k->watch = virEventAddHandle(c, EV_IN, client_event, k, NULL);
	link_update(k);
}

static void console_event(virStreamPtr st, int events, void *opaque)
{
	struct relay *r = opaque;
	char buf[LINK_BUF];
	int n = virStreamRecv(st, buf, sizeof(buf));

	if (n > 0) {
		if (write(r->log_fd, buf, (size_t)n) < 0)
			say("relay: console.log: %s", strerror(errno));
		return;
	}
	if (n == -2)
		return;
	say("relay: the console ended");
	quit = 1;
}

static void lifecycle(virConnectPtr c, virDomainPtr d, int event, int detail,
		      void *opaque)
{
	if (event == VIR_DOMAIN_EVENT_STOPPED ||
	    event == VIR_DOMAIN_EVENT_UNDEFINED) {
		say("relay: the domain stopped (event %d, detail %d)", event,
		    detail);
		quit = 1;
	}
}

static void conn_closed(virConnectPtr c, int reason, void *opaque)
{
	say("relay: the connection closed (reason %d)", reason);
	quit = 1;
}

static void tick(int timer, void *opaque)
{
}

static bool listen_link(struct relay *r, struct link *k,
			const struct tiervm_vm *vm, const char *file,
			tiervm_error **errp)
{
	char *path = tiervm_vm_path(vm, file);

	k->r = r;
	k->fd = -1;
	unlink(path);
	k->lfd = tiervm_unix_listen(path, errp);
	free(path);
	if (k->lfd < 0)
		return false;
	k->lwatch = virEventAddHandle(k->lfd, EV_IN, accept_event, k, NULL);
	return k->lwatch >= 0;
}

/* The relay's work up to "ready": false with *errp when it cannot start. */
static bool relay_setup(struct relay *r, struct tiervm_vm *vm, const char *uri,
			const char *name, const char *xml, const char *state,
			unsigned flags, tiervm_error **errp)
{
	char *log = tiervm_vm_path(vm, "console.log");
	unsigned cflags = VIR_DOMAIN_START_PAUSED;

	r->log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	free(log);
	if (r->log_fd < 0) {
		tiervm_error_set_errno(errp, errno, "console.log");
		return false;
	}
	r->links[0].line = xstrdup(TIERVM_RELAY_PROBE);
	if (!listen_link(r, &r->links[0], vm, "probe.sock", errp))
		return false;
	for (unsigned i = 0; i < TIERVM_EXEC_PORTS; i++) {
		struct link *k = &r->links[1 + i];
		char *sock = xasprintf("exec%u.sock", i);
		bool ok;

		k->line = xasprintf(TIERVM_RELAY_EXEC, i);
		k->channel = true;
		ok = listen_link(r, k, vm, sock, errp);
		free(sock);
		if (!ok)
			return false;
	}
	r->conn = tiervm_libvirt_open(uri, errp);
	if (!r->conn)
		return false;
	/* a remote daemon that dies is noticed within 15 s */
	virConnectSetKeepAlive(r->conn, 5, 3);
	virConnectRegisterCloseCallback(r->conn, conn_closed, NULL, NULL);
	if (flags & TIERVM_RELAY_ONE_SHOT)
		cflags |= VIR_DOMAIN_START_AUTODESTROY;
	/* a name taken is not the state's fault: said before libvirt says
	 * it as a failed restore */
	if ((flags & TIERVM_RELAY_RESTORE) &&
	    (r->dom = virDomainLookupByName(r->conn, name))) {
		virDomainFree(r->dom);
		r->dom = NULL;
		tiervm_error_setg(errp, "a domain named %s runs on %s already",
				  name, uri);
		return false;
	}
	if ((flags & TIERVM_RELAY_RESTORE) &&
	    virDomainRestoreFlags(r->conn, state, xml, VIR_DOMAIN_SAVE_PAUSED) <
		    0) {
		tiervm_libvirt_error(errp, TIERVM_E_STATE,
				     "the saved state did not load");
		return false;
	}
	r->dom = (flags & TIERVM_RELAY_CREATE)
			 ? virDomainCreateXML(r->conn, xml, cflags)
			 : virDomainLookupByName(r->conn, name);
	if (!r->dom) {
		tiervm_libvirt_error(errp, TIERVM_E_FAIL,
				     flags & TIERVM_RELAY_CREATE
					     ? "the domain did not start"
					     : name);
		return false;
	}
	virConnectDomainEventRegisterAny(
		r->conn, r->dom, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
		VIR_DOMAIN_EVENT_CALLBACK(lifecycle), NULL, NULL);
	r->console = virStreamNew(r->conn, VIR_STREAM_NONBLOCK);
	if (!r->console ||
	    virDomainOpenConsole(r->dom, TIERVM_RELAY_CONSOLE, r->console,
				 VIR_DOMAIN_CONSOLE_FORCE) < 0 ||
	    virStreamEventAddCallback(r->console, VIR_STREAM_EVENT_READABLE,
				      console_event, r, NULL) < 0) {
		tiervm_libvirt_error(errp, TIERVM_E_FAIL, "the console stream");
		return false;
	}
	if (!open_stream(&r->links[0])) {
		tiervm_libvirt_error(errp, TIERVM_E_FAIL,
				     "the probe's serial stream");
		return false;
	}
	link_update(&r->links[0]);
	if ((flags & (TIERVM_RELAY_CREATE | TIERVM_RELAY_RESTORE)) &&
	    virDomainResume(r->dom) < 0) {
		tiervm_libvirt_error(errp, TIERVM_E_FAIL,
				     "resuming the domain");
		return false;
	}
	return true;
}

static void report(int fd, const tiervm_error *err)
{
	const char *msg = err ? err->msg : "";
	char c = !err ? 'K' : err->code == TIERVM_E_STATE ? 'S' : 'E';

	if (write(fd, &c, 1) != 1 || write(fd, msg, strlen(msg)) < 0)
		say("relay: cannot report to the engine");
	close(fd);
}

static void __attribute__((noreturn))
relay_main(struct tiervm_vm *vm, const char *uri, const char *name,
	   const char *xml, const char *state, unsigned flags, int status_fd)
{
	/* libvirt's autodestroy is for domains created, not restored */
	const bool destroy = (flags & TIERVM_RELAY_RESTORE) &&
			     (flags & TIERVM_RELAY_ONE_SHOT);
	struct relay r = { .log_fd = -1 };
	struct sigaction sa = { .sa_handler = on_term };
	tiervm_error *err = NULL;

	sigaction(SIGTERM, &sa, NULL);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if (virInitialize() < 0 || virEventRegisterDefaultImpl() < 0 ||
	    virEventAddTimeout(500, tick, NULL, NULL) < 0) {
		tiervm_error_setg(&err, "libvirt's event loop did not start");
	} else if (!relay_setup(&r, vm, uri, name, xml, state, flags, &err) &&
		   r.dom &&
		   (flags & (TIERVM_RELAY_CREATE | TIERVM_RELAY_RESTORE))) {
		virDomainDestroy(r.dom);
	}
	report(status_fd, err);
	if (err)
		_exit(1);
	while (!quit)
		virEventRunDefaultImpl();
	if (destroy && virDomainIsActive(r.dom) == 1)
		virDomainDestroy(r.dom);
	/* nothing to flush: the guest's lines stay with the guest */
	if (r.conn)
		virConnectClose(r.conn);
	_exit(0);
}

bool tiervm_relay_start(struct tiervm_vm *vm, const char *uri, const char *dom,
			const char *xml, const char *state, unsigned flags,
			tiervm_error **errp)
{
	char *log = tiervm_vm_path(vm, "relay.log"), *pidfile, status[1024];
	int p[2], logfd;
	ssize_t n, got = 0;
	pid_t pid, parent = getpid();
	FILE *f;

	logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	free(log);
	if (logfd < 0 || pipe2(p, O_CLOEXEC) < 0) {
		tiervm_error_set_errno(errp, errno, "the relay's log or pipe");
		if (logfd >= 0)
			close(logfd);
		return false;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		tiervm_error_set_errno(errp, errno, "fork");
		close(p[0]);
		close(p[1]);
		close(logfd);
		return false;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		/* nothing of the caller's: its locks above all */
		dup2(null, 0);
		dup2(logfd, 1);
		dup2(logfd, 2);
		dup2(p[1], 3);
		close_range(4, ~0U, 0);
		setsid();
		if (flags & TIERVM_RELAY_ONE_SHOT) {
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() != parent)
				_exit(1);
		}
		relay_main(vm, uri, dom, xml, state, flags, 3);
	}
	close(p[1]);
	close(logfd);
	while (got < (ssize_t)sizeof(status) - 1 &&
	       (n = read(p[0], status + got, sizeof(status) - 1 - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		got += n;
	}
	close(p[0]);
	status[got] = '\0';
	if (got < 1 || status[0] != 'K') {
		tiervm_error_set(errp,
				 got && status[0] == 'S' ? TIERVM_E_STATE
							 : TIERVM_E_FAIL,
				 "%s",
				 got > 1 ? status + 1
					 : "the libvirt relay ended at start");
		waitpid(pid, NULL, 0);
		return false;
	}
	pidfile = tiervm_vm_path(vm, "relay.pid");
	f = fopen(pidfile, "we");
	if (f) {
		fprintf(f, "%ld\n", (long)pid);
		fclose(f);
	}
	free(pidfile);
	return true;
}

void tiervm_relay_stop(struct tiervm_vm *vm)
{
	pid_t pid = tiervm_vm_read_pid(vm, "relay.pid");

	if (pid <= 0 || kill(pid, SIGTERM) < 0)
		return;
	for (long long end = tiervm_now_ms() + 5000; tiervm_now_ms() < end;) {
		if (kill(pid, 0) < 0 || waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(20 * 1000);
	}
	kill(pid, SIGKILL);
}
