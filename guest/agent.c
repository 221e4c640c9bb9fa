// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The exec agent: runs the host's commands in the guest (`tiervm exec`,
 * `tiervm shell`, `tiervm up -- CMD`).  Each virtio-serial port named
 * org.tiervm.exec.N carries one session at a time, in frames (see
 * lib/exec_frame.h): the command is started as the OPEN frame says, its
 * output streamed back as it comes, its stdin fed, signals passed on, and
 * its exit status sent last.  A process serves each port, so sessions run
 * side by side.
 *
 * Commands run in the host's root filesystem, shared read-only over 9p
 * and mounted at /host with the guest's own /proc, /sys and /dev and
 * tmpfs where a system writes (/tmp, /run, /var); the host's working
 * directory and --share directories are mounted over it at their paths.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "agent.h"
#include "exec_frame.h"
#include "host_sysfs.h"
#include "provision_internal.h"
#include "units.h"
#include "util.h"
#include "vm.h"

#define HOST_ROOT "/host"
#define PORT_PREFIX "org.tiervm.exec."
/* how long the ports may take to appear after the driver bound */
#define PORTS_WAIT_MS 10000
/* stdin the command has not read yet; beyond it the port is not read */
#define STDIN_BACKLOG (16u << 20)

static void log_line(const char *what, const char *detail)
{
	fprintf(stderr, "tiervm-agent: %s%s%s\n", what, detail ? ": " : "",
		detail ? detail : "");
}

static bool has_root;

static void mkdir_p(const char *path)
{
	char *p = xstrdup(path);

	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
	free(p);
}

static char *unhex(const char *hex, size_t len)
{
	char *out = xcalloc(len / 2 + 1, 1);

	for (size_t i = 0; i + 1 < len; i += 2) {
		unsigned v;

		if (sscanf(hex + i, "%2x", &v) != 1)
			break;
		out[i / 2] = (char)v;
	}
	return out;
}

/*
 * msize: 9p's default 8K messages make large reads crawl.  The host's root
 * is cached by the guest (cache=loose): every exec of a dynamic program
 * would otherwise fetch its loader and libraries again, some 100 ms under
 * TCG.  Shared directories are not: what the host writes there shows.
 */
static void mount_9p(const char *tag, const char *where, bool ro, bool cached)
{
	char *opts = xasprintf("trans=virtio,version=9p2000.L,msize=512000%s",
			       cached ? ",cache=loose" : "");

	mkdir_p(where);
	if (mount(tag, where, "9p", ro ? MS_RDONLY : 0, opts) < 0)
		log_line(where, strerror(errno));
	free(opts);
}

/*
 * tiervm.root=1: the host's root as /host; tiervm.shares=HEX:rw|ro,...:
 * the directories at those paths (hex encoded), tags tiervm-s0, -s1, ...
 */
static void mount_shares(const char *cmdline)
{
	static const char *const binds[] = { "/proc", "/sys", "/dev" };
	static const char *const tmpfs[] = TIERVM_GUEST_OWN_DIRS;
	char *root = prov_cmdline_arg(cmdline, "tiervm.root"),
	     *shares = prov_cmdline_arg(cmdline, "tiervm.shares"), *save = NULL;
	unsigned i = 0;

	has_root = root && !strcmp(root, "1");
	if (has_root) {
		mount_9p("tiervm-root", HOST_ROOT, true, true);
		for (size_t k = 0; k < ARRAY_SIZE(tmpfs); k++) {
			char *p = xasprintf(HOST_ROOT "%s", tmpfs[k]);

			mount("tmpfs", p, "tmpfs", 0, "mode=1777");
			free(p);
		}
		for (size_t k = 0; k < ARRAY_SIZE(binds); k++) {
			char *p = xasprintf(HOST_ROOT "%s", binds[k]);

			mount(binds[k], p, NULL, MS_BIND | MS_REC, NULL);
			free(p);
		}
	}
	for (char *s = shares ? strtok_r(shares, ",", &save) : NULL; s;
	     s = strtok_r(NULL, ",", &save), i++) {
		char *colon = strchr(s, ':'), *path, *where, *tag;

		if (!colon)
			continue;
		path = unhex(s, (size_t)(colon - s));
		where = xasprintf("%s%s", has_root ? HOST_ROOT : "", path);
		tag = xasprintf("tiervm-s%u", i);
		mount_9p(tag, where, !strcmp(colon + 1, "ro"), false);
		free(path);
		free(where);
		free(tag);
	}
	free(root);
	free(shares);
}

/* Memory policy and cpu binding as numactl's options set them. */
static bool apply_policy(json_object *o)
{
	static const char *const modes[] = { "preferred", "bind", "interleave",
					     NULL };
	const char *mode = prov_str(o, "policy"), *nodes = prov_str(o, "nodes"),
		   *cpunodes = prov_str(o, "cpunodes");
	struct tiervm_cpuset set = { 0 };

	for (int m = 0; mode && modes[m]; m++) {
		/* MPOL_PREFERRED 1, MPOL_BIND 2, MPOL_INTERLEAVE 3 */
		if (strcmp(mode, modes[m]))
			continue;
		if (!nodes || !tiervm_parse_cpulist(nodes, &set, NULL) ||
		    syscall(SYS_set_mempolicy, m + 1, set.bits,
			    (unsigned long)TIERVM_MAX_NODES + 1) < 0)
			return false;
	}
	if (cpunodes) {
		struct tiervm_cpuset n = { 0 };
		cpu_set_t cpus;

		if (!tiervm_parse_cpulist(cpunodes, &n, NULL))
			return false;
		CPU_ZERO(&cpus);
		for (unsigned id = 0; id < TIERVM_MAX_NODES; id++) {
			char *path, *list;
			struct tiervm_cpuset c = { 0 };

			if (!cpuset_test(&n, id))
				continue;
			path = xasprintf(
				"/sys/devices/system/node/node%u/cpulist", id);
			list = prov_read_small(path);
			free(path);
			if (!tiervm_parse_cpulist(list, &c, NULL)) {
				free(list);
				return false;
			}
			free(list);
			for (unsigned cpu = 0; cpu < CPU_SETSIZE; cpu++)
				if (cpuset_test(&c, cpu))
					CPU_SET(cpu, &cpus);
		}
		if (sched_setaffinity(0, sizeof(cpus), &cpus) < 0)
			return false;
	}
	return true;
}

static char **strings(json_object *arr)
{
	size_t n = json_object_array_length(arr);
	char **v = xcalloc(n + 1, sizeof(*v));

	for (size_t i = 0; i < n; i++)
		v[i] = xstrdup(json_object_get_string(
			json_object_array_get_idx(arr, i)));
	return v;
}

/* In the child: becomes the command, or exits as a shell would. */
static void run_command(json_object *o, int tty_slave)
{
	json_object *argv_j, *env_j;
	const char *cwd = prov_str(o, "cwd"), *what;
	char **argv, **env;

	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	if (tty_slave >= 0) {
		ioctl(tty_slave, TIOCSCTTY, 0);
		dup2(tty_slave, 0);
		dup2(tty_slave, 1);
		dup2(tty_slave, 2);
		if (tty_slave > 2)
			close(tty_slave);
	}
	signal(SIGPIPE, SIG_DFL);
	if (!json_object_object_get_ex(o, "argv", &argv_j) ||
	    !json_object_array_length(argv_j))
		_exit(2);
	argv = strings(argv_j);
	env = json_object_object_get_ex(o, "env", &env_j) ? strings(env_j)
							  : xcalloc(1, 8);
	if (has_root && chroot(HOST_ROOT) < 0) {
		what = "cannot enter the host's root";
		goto fail;
	}
	if (chdir(cwd ? cwd : "/") < 0) {
		json_object *opt;

		/* the host's own directory, not asked for: / where it is not */
		if (json_object_object_get_ex(o, "cwd_optional", &opt) &&
		    json_object_get_boolean(opt) && chdir("/") == 0)
			goto cwd_done;
		fprintf(stderr, "tiervm: cannot enter %s: %s\n", cwd,
			strerror(errno));
		_exit(1);
	}
cwd_done:
	if (!apply_policy(o)) {
		what = "cannot apply the memory policy or cpu binding";
		goto fail;
	}
	environ = env;
	execvp(argv[0], argv);
	/* a shell's answers: 127 not found, 126 found but not runnable */
	if (errno == ENOENT) {
		fprintf(stderr, "tiervm: %s: command not found\n", argv[0]);
		_exit(127);
	}
	fprintf(stderr, "tiervm: %s: %s\n", argv[0], strerror(errno));
	_exit(126);
fail:
	fprintf(stderr, "tiervm: %s: %s\n", what, strerror(errno));
	_exit(1);
}

/* One session: the command's pipes (or pty) and the port, until exit. */
struct session {
	int port, in, out, err, sig;
	bool tty;
	pid_t pid;
	struct tiervm_frames frames;
	struct sbuf pending; /* stdin not yet written */
	bool stdin_eof;
};

static void set_winsize(int fd, json_object *o)
{
	struct winsize ws = { 0 };
	json_object *v;

	if (json_object_object_get_ex(o, "rows", &v))
		ws.ws_row = (unsigned short)json_object_get_int(v);
	if (json_object_object_get_ex(o, "cols", &v))
		ws.ws_col = (unsigned short)json_object_get_int(v);
	if (ws.ws_row && ws.ws_col)
		ioctl(fd, TIOCSWINSZ, &ws);
}

static void close_stdin(struct session *s)
{
	if (s->tty) {
		/* ^D at the start of a line: the terminal's end of input */
		if (s->in >= 0)
			(void)!write(s->in, "\x04", 1);
	} else if (s->in >= 0) {
		close(s->in);
	}
	s->in = -1;
}

static bool start(struct session *s, json_object *o)
{
	int in[2], out[2], err[2], master = -1, slave = -1;
	json_object *tty;

	s->tty = json_object_object_get_ex(o, "tty", &tty) &&
		 json_object_get_boolean(tty);
	if (s->tty) {
		if (openpty(&master, &slave, NULL, NULL, NULL) < 0)
			return false;
		set_winsize(master, o);
	} else if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
		   pipe2(err, O_CLOEXEC) < 0) {
		return false;
	}
	s->pid = fork();
	if (s->pid == 0) {
		if (!s->tty) {
			dup2(in[0], 0);
			dup2(out[1], 1);
			dup2(err[1], 2);
		}
		run_command(o, slave);
	}
	if (s->tty) {
		close(slave);
		s->in = s->out = master;
		s->err = -1;
		fcntl(master, F_SETFL, O_NONBLOCK);
	} else {
		close(in[0]);
		close(out[1]);
		close(err[1]);
		s->in = in[1];
		s->out = out[0];
		s->err = err[0];
		fcntl(s->in, F_SETFL, O_NONBLOCK);
	}
	return s->pid > 0;
}

/* Frames from the host; false when the session must end. */
static bool from_host(struct session *s, json_object **open)
{
	const uint8_t *data;
	uint8_t type;
	uint32_t len;
	int r;

	while ((r = tiervm_frames_next(&s->frames, &type, &data, &len)) > 0) {
		if (type == TIERVM_FRAME_OPEN && !*open) {
			*open = tiervm_frame_json(data, len);
			/* started at once: stdin may follow in the same read */
			if (!*open || !start(s, *open)) {
				tiervm_frame_write(s->port, TIERVM_FRAME_FAIL,
						   "cannot start", 12);
				return false;
			}
			/* the host gives up on an agent that never says so */
			tiervm_frame_write(s->port, TIERVM_FRAME_STARTED, NULL,
					   0);
		} else if (type == TIERVM_FRAME_STDIN && s->in >= 0) {
			sbuf_add(&s->pending, data, len);
		} else if (type == TIERVM_FRAME_STDIN_EOF) {
			s->stdin_eof = true;
		} else if (type == TIERVM_FRAME_SIGNAL && len == 1 && s->pid) {
			kill(-s->pid, data[0]);
		} else if (type == TIERVM_FRAME_WINSIZE && s->tty) {
			json_object *o = tiervm_frame_json(data, len);

			set_winsize(s->out, o);
			json_object_put(o);
		}
	}
	return r == 0;
}

/* The command's output to the host; false once the host is gone. */
static bool relay(struct session *s, int *fd, uint8_t type)
{
	char buf[65536];
	ssize_t n = read(*fd, buf, sizeof(buf));

	if (n > 0)
		return tiervm_frame_write(s->port, type, buf, (uint32_t)n);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	/* EOF, or EIO from a pty whose last user left */
	if (s->tty)
		s->in = -1;
	close(*fd);
	*fd = -1;
	return true;
}

static void feed_stdin(struct session *s)
{
	ssize_t n = write(s->in, s->pending.s, s->pending.len);

	if (n > 0)
		sbuf_drop(&s->pending, (size_t)n);
	else if (n < 0 && errno != EAGAIN && errno != EINTR)
		s->pending.len = 0; /* it closed its stdin: nothing more goes */
}

static void send_exit(int port, int status)
{
	json_object *o = json_object_new_object();
	const char *text;

	if (WIFSIGNALED(status))
		json_object_object_add(o, "signal",
				       json_object_new_int(WTERMSIG(status)));
	else
		json_object_object_add(
			o, "status", json_object_new_int(WEXITSTATUS(status)));
	text = json_object_to_json_string(o);
	tiervm_frame_write(port, TIERVM_FRAME_EXIT, text,
			   (uint32_t)strlen(text));
	json_object_put(o);
}

/* What the session waits on; fds of -1 are left out by poll(). */
enum { P_PORT, P_OUT, P_ERR, P_IN, P_SIG, P_COUNT };

static void session(int port, int sig)
{
	struct session s = { .port = port, .in = -1, .out = -1, .err = -1 };
	json_object *open = NULL;
	bool exited = false;
	int status = 0;

	for (;;) {
		struct pollfd p[P_COUNT] = {
			[P_PORT] = { port, s.pending.len < STDIN_BACKLOG
						   ? POLLIN
						   : 0 },
			[P_OUT] = { s.out, POLLIN },
			[P_ERR] = { s.err, POLLIN },
			[P_IN] = { s.pending.len ? s.in : -1, POLLOUT },
			[P_SIG] = { sig, POLLIN },
		};
		char buf[65536];
		ssize_t n;

		if (exited && s.out < 0 && s.err < 0)
			break;
		/* after the exit, output still coming is relayed, then no more */
		if (poll(p, P_COUNT, exited ? 200 : -1) == 0)
			break;
		/*
		 * virtio_console says POLLIN as well as POLLHUP once the host
		 * has gone: a read of 0 is the end, data before it still counts
		 */
		if (p[P_PORT].revents & (POLLIN | POLLHUP)) {
			n = read(port, buf, sizeof(buf));
			if (n == 0 ||
			    (n < 0 && errno != EAGAIN && errno != EINTR))
				goto host_gone;
			if (n > 0)
				tiervm_frames_add(&s.frames, buf, (size_t)n);
			if (!from_host(&s, &open))
				goto host_gone;
		}
		if (p[P_IN].revents)
			feed_stdin(&s);
		if (s.stdin_eof && !s.pending.len && s.in >= 0 && !s.tty)
			close_stdin(&s);
		if ((p[P_OUT].revents &&
		     !relay(&s, &s.out, TIERVM_FRAME_STDOUT)) ||
		    (p[P_ERR].revents &&
		     !relay(&s, &s.err, TIERVM_FRAME_STDERR)))
			goto host_gone;
		if (p[P_SIG].revents) {
			struct signalfd_siginfo si;

			while (read(sig, &si, sizeof(si)) > 0)
				;
			if (s.pid && waitpid(s.pid, &status, WNOHANG) == s.pid)
				exited = true;
		}
	}
	send_exit(port, status);
	goto out;
host_gone:
	if (s.pid > 0 && !exited) {
		kill(-s.pid, SIGKILL);
		waitpid(s.pid, NULL, 0);
	}
out:
	if (s.in >= 0 && s.in != s.out)
		close(s.in);
	if (s.out >= 0)
		close(s.out);
	if (s.err >= 0)
		close(s.err);
	json_object_put(open);
	sbuf_free(&s.pending);
	tiervm_frames_free(&s.frames);
}

/* A session starts with this, so bytes left from an earlier one are skipped. */
static bool find_magic(int port)
{
	static const char magic[] = TIERVM_EXEC_MAGIC;
	size_t got = 0;
	char c;

	while (got < sizeof(magic) - 1) {
		struct pollfd p = { .fd = port, .events = POLLIN };

		if (poll(&p, 1, 2000) <= 0 || !(p.revents & POLLIN) ||
		    (p.revents & POLLHUP))
			return false;
		if (read(port, &c, 1) != 1)
			return false;
		got = c == magic[got] ? got + 1 : c == magic[0];
	}
	return true;
}

static void serve_port(const char *dev)
{
	int fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC), sig;
	sigset_t io, chld;

	if (fd < 0) {
		log_line(dev, strerror(errno));
		_exit(1);
	}
	sigemptyset(&io);
	sigaddset(&io, SIGIO);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &io, NULL);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	sig = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
	/* virtio_console signals the owner when the host connects */
	fcntl(fd, F_SETOWN, getpid());
	fcntl(fd, F_SETFL, O_NONBLOCK | O_ASYNC);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct timespec wait = { .tv_sec = 1 };

		poll(&p, 1, 0);
		/* POLLIN comes with POLLHUP when no host is connected */
		if ((p.revents & POLLIN) && !(p.revents & POLLHUP)) {
			if (find_magic(fd))
				session(fd, sig);
			continue;
		}
		/* no host on this port: until one connects (or a second) */
		sigtimedwait(&io, NULL, &wait);
	}
}

/*
 * ACPI power-down (QEMU's system_powerdown, libvirt's shutdown) presses
 * the power button; the kernel only reports it as a key on an input
 * device, which an init must act on itself.
 */
static void watch_power_button(void)
{
	struct tiervm_fsroot sys;
	char **events;
	unsigned n = 0;
	int fd = -1;

	if (!tiervm_fsroot_open(&sys, "/", NULL))
		_exit(1);
	events = tiervm_fs_list(&sys, "/sys/class/input", &n, NULL);
	for (unsigned i = 0; i < n && fd < 0; i++) {
		char *path = xasprintf("/sys/class/input/%s/device/name",
				       events[i]),
		     *name = tiervm_fs_read(&sys, path, NULL);

		if (!strncmp(events[i], "event", 5) && name &&
		    !strcmp(name, "Power Button")) {
			char *dev = xasprintf("/dev/input/%s", events[i]);

			fd = open(dev, O_RDONLY | O_CLOEXEC);
			free(dev);
		}
		free(name);
		free(path);
	}
	tiervm_strv_free_null(events);
	tiervm_fsroot_close(&sys);
	if (fd < 0)
		_exit(0);
	for (;;) {
		struct input_event ev;

		if (read(fd, &ev, sizeof(ev)) != sizeof(ev))
			_exit(1);
		if (ev.type == EV_KEY && ev.code == KEY_POWER && ev.value) {
			log_line("power button", "powering off");
			sync();
			reboot(RB_POWER_OFF);
		}
	}
}

static bool seen(const struct strv *s, const char *v)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], v))
			return true;
	return false;
}

/* A port of ours (org.tiervm.exec.N) gets a process serving it. */
static bool serve_if_exec(struct tiervm_fsroot *sys, const char *port)
{
	char *path = xasprintf("/sys/class/virtio-ports/%s/name", port),
	     *name = tiervm_fs_read(sys, path, NULL);
	bool ours = name && !strncmp(name, PORT_PREFIX, strlen(PORT_PREFIX));

	/* a port whose name is not set yet is looked at again */
	if (ours && fork() == 0) {
		char *dev = xasprintf("/dev/%s", port);

		serve_port(dev);
	}
	free(name);
	free(path);
	return ours;
}

void agent_start(const char *cmdline)
{
	char **ports;
	unsigned n = 0;
	struct tiervm_fsroot sys;
	struct strv served = { 0 };
	pid_t pid = fork();

	if (pid != 0)
		return;
	/* orphans of the commands come to us, not to the probe (init) */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (fork() == 0)
		watch_power_button();
	signal(SIGPIPE, SIG_IGN);
	/* pseudo-terminals for shells; /dev/ptmx finds this instance */
	mkdir("/dev/pts", 0755);
	mount("devpts", "/dev/pts", "devpts", 0, "ptmxmode=0666");
	mount_shares(cmdline);
	if (!tiervm_fsroot_open(&sys, "/", NULL))
		_exit(1);
	/*
	 * virtio_console adds ports as QEMU announces them, after the driver
	 * has bound: without the host's root to mount first, this runs before
	 * all are there, and a port never served never answers.  Serve each
	 * as it appears, until the host's every exec port has one.
	 */
	for (unsigned waited = 0;
	     served.n < TIERVM_EXEC_PORTS && waited < PORTS_WAIT_MS;
	     waited += 50) {
		ports = tiervm_fs_list(&sys, "/sys/class/virtio-ports", &n,
				       NULL);
		for (unsigned i = 0; i < n; i++)
			if (!seen(&served, ports[i]) &&
			    serve_if_exec(&sys, ports[i]))
				strv_push(&served, xstrdup(ports[i]));
		tiervm_strv_free_null(ports);
		if (served.n < TIERVM_EXEC_PORTS)
			usleep(50 * 1000);
	}
	if (served.n < TIERVM_EXEC_PORTS)
		log_line("exec ports", "fewer than the host's appeared");
	strv_free(&served);
	tiervm_fsroot_close(&sys);
	for (;;)
		if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
			pause();
}
