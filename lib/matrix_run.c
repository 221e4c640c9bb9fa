// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Running a matrix: each cell is one `up` in a child process of its own
 * (its own process group, so a terminal's ^C reaches only us and we stop
 * the cells in order), its stdout and stderr in the cell's record, its
 * outcome handed back as result.json.  A child, not a thread: `up` waits,
 * locks and handles interrupts as one process does, and a cell that hangs
 * can be stopped, and killed, alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "matrix.h"
#include "ops.h"
#include "util.h"
#include "util_json.h"
#include "vm.h"

/* After a stop, how long a cell has before the next, harder one. */
#define CELL_SECOND_STOP_MS 15000
#define CELL_KILL_MS 30000
#define TICK_MS 1000

/* The cell's record file @file. */
static char *cell_path(const struct tiervm_matrix_cell *c, const char *file)
{
	return xasprintf("%s/%s", c->dir, file);
}

/* A name for files: what is not [A-Za-z0-9._-] becomes '_'. */
static void tame(char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("._-", *s)))
			*s = '_';
}

/* Matrix runs at once, each with its slot (their cells' names). */
#define RUN_SLOTS 64

/* --keep DIR, new or empty; else a dated one here. */
static bool make_keep(struct tiervm_matrix *m, const char *keep, unsigned slot,
		      tiervm_error **errp)
{
	char stamp[64], *dir;
	time_t now = time(NULL);
	struct tm tm;

	if (keep) {
		if (mkdir(keep, 0755) < 0 && errno != EEXIST) {
			tiervm_error_set_errno(errp, errno,
					       "--keep: cannot make %s", keep);
			return false;
		}
		if (rmdir(keep) < 0 && errno == ENOTEMPTY) {
			tiervm_error_set(
				errp, TIERVM_E_INPUT,
				"--keep: %s has files already; give a new or empty directory (tiervm does not mix runs)",
				keep);
			return false;
		}
		dir = xstrdup(keep);
	} else {
		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "tiervm-test-%Y%m%d-%H%M%S",
			 &tm);
		dir = xstrdup(stamp);
		for (unsigned n = 2; access(dir, F_OK) == 0; n++) {
			free(dir);
			dir = xasprintf("%s-%u", stamp, n);
		}
	}
	if (mkdir(dir, 0755) < 0) {
		tiervm_error_set_errno(errp, errno, "cannot make %s", dir);
		free(dir);
		return false;
	}
	m->keep = realpath(dir, NULL);
	free(dir);
	for (unsigned i = 0; i < m->n_cells; i++) {
		struct tiervm_matrix_cell *c = &m->cells[i];
		char *leaf =
			xasprintf("%02u-%s-%s-%s-%s", i + 1, c->spec_name,
				  c->kernel_label, c->qemu_label, c->engine);

		tame(leaf);
		c->dir = xasprintf("%s/%s", m->keep, leaf);
		/* unique among cells: i; among concurrent runs: the slot */
		c->name = xasprintf("%s-m%u-%u", c->spec_name, i + 1, slot);
		free(leaf);
		if (mkdir(c->dir, 0755) < 0) {
			tiervm_error_set_errno(errp, errno, "cannot make %s",
					       c->dir);
			return false;
		}
	}
	return true;
}

static void cell_stage(const char *msg, void *start_ms)
{
	fprintf(stderr, "[%6.1fs] %s\n",
		(double)(tiervm_now_ms() - *(long long *)start_ms) / 1000.0,
		msg);
}

/* "MISMATCH: node 1 memory (MiB), hwloc: ..." from the failed rows. */
static char *mismatch_message(const struct tiervm_verdict *v)
{
	struct sbuf b = { 0 };
	unsigned shown = 0;

	sbuf_addf(&b, "MISMATCH (%u row%s):", v->failed,
		  v->failed == 1 ? "" : "s");
	for (size_t i = 0; i < jlen(v->rows) && shown < 3; i++) {
		json_object *r = jidx(v->rows, i);

		if (strcmp(jstr(r, "verdict", ""), "FAIL"))
			continue;
		sbuf_addf(&b, "%s %s: %s, guest %s", shown ? ";" : "",
			  jstr(r, "what", "?"), jstr(r, "expected", "?"),
			  jstr(r, "guest", "?"));
		shown++;
	}
	if (v->failed > shown)
		sbuf_addf(&b, "; ...");
	return b.s;
}

/*
 * The child: one `up`, its outcome in result.json.  Refused before a
 * guest started (input the installed QEMU or kernel cannot run: the
 * matrix itself was checked) is a skip with the plan's reason.
 */
static void __attribute__((noreturn))
run_cell(const struct tiervm_matrix *m, const struct tiervm_matrix_cell *c)
{
	long long start = tiervm_now_ms();
	char *log = cell_path(c, "tiervm.log"), *out = cell_path(c, "output"),
	     *console = cell_path(c, "console.log"),
	     *result = cell_path(c, "result.json");
	int log_fd = open(log, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644),
	    out_fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644),
	    in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct tiervm_exec_req req = { .argv = m->command,
				       .in_fd = in_fd,
				       .out_fd = out_fd,
				       .err_fd = out_fd };
	struct tiervm_up_opts o = {
		.spec = c->spec,
		.name = c->name,
		.kernel = strcmp(c->kernel, "spec") ? c->kernel : NULL,
		.engine = c->engine,
		.connect = c->connect,
		.check = !m->command,
		.command = m->command ? &req : NULL,
		.keep_console = console,
		.progress = cell_stage,
		.opaque = &start,
	};
	struct tiervm_up_result res = { 0 };
	tiervm_error *err = NULL;
	json_object *r = json_object_new_object();
	const char *outcome;
	char *message = NULL;
	bool ok;

	setpgid(0, 0);
	if (log_fd < 0 || out_fd < 0 || in_fd < 0 || dup2(log_fd, 1) < 0 ||
	    dup2(log_fd, 2) < 0)
		_exit(1);
	setenv("TIERVM_QEMU", c->qemu, 1);
	/*
	 * A QEMU unpacked beside the system's (scripts/qemu-backports.sh)
	 * must load its own modules, not the system's of another build:
	 * those of its prefix, where a relocated QEMU keeps them.
	 */
	if (!getenv("QEMU_MODULE_DIR")) {
		char *bin = xstrdup(c->qemu), *slash = strrchr(bin, '/'), *mods;

		if (slash && (*slash = '\0', slash = strrchr(bin, '/'))) {
			*slash = '\0';
			mods = xasprintf("%s/lib/x86_64-linux-gnu/qemu", bin);
			if (strcmp(mods, "/usr/lib/x86_64-linux-gnu/qemu") &&
			    access(mods, F_OK) == 0)
				setenv("QEMU_MODULE_DIR", mods, 1);
			free(mods);
		}
		free(bin);
	}
	req.env = tiervm_exec_env(m->env);
	fprintf(stderr,
		"tiervm up %s --name %s --kernel %s --engine %s%s%s (TIERVM_QEMU=%s)\n",
		c->spec, c->name, c->kernel, c->engine,
		c->connect ? " --connect " : "", c->connect ? c->connect : "",
		c->qemu);
	ok = tiervm_up(&o, &res, &err);
	if (res.verdict.rows) {
		char *table = tiervm_verdict_format(&res.verdict);

		fputs(table, stderr);
		free(table);
	}
	if (!ok && err->code == TIERVM_E_INPUT && !res.name) {
		outcome = "skipped";
		message = xstrdup(err->msg);
	} else if (!ok) {
		outcome = "failed";
		message = xstrdup(err->msg);
	} else if (res.verdict.failed && res.command_status < 0) {
		outcome = "failed";
		message = mismatch_message(&res.verdict);
	} else if (res.command_status > 128) {
		outcome = "failed";
		message = xasprintf("the command was killed by signal %d",
				    res.command_status - 128);
	} else if (res.command_status > 0) {
		outcome = "failed";
		message =
			xasprintf("the command exited %d", res.command_status);
	} else {
		outcome = "passed";
	}
	if (err)
		fprintf(stderr, "tiervm: %s\n", err->msg);
	if (res.hint)
		fprintf(stderr, "tiervm: %s\n", res.hint);
	json_object_object_add(r, "result", json_object_new_string(outcome));
	if (res.verdict.rows)
		json_object_object_add(
			r, "verdict",
			json_object_new_string(res.verdict.failed ? "MISMATCH"
								  : "MATCH"));
	if (message)
		json_object_object_add(r, "message",
				       json_object_new_string(message));
	json_object_object_add(r, "command_status",
			       json_object_new_int(res.command_status));
	fflush(NULL);
	_exit(json_object_to_file(result, r) < 0 ? 1 : 0);
}

struct runner {
	struct tiervm_matrix *m;
	const struct tiervm_matrix_opts *o;
	unsigned *running;    /* per host: [0] this one, then --connect's */
	unsigned *given;      /* cells each host was given, to spread them */
	const char *stopping; /* why no more cells start; NULL: they do */
};

/* The host for @c with a free slot, or -1 for none now. */
static int pick_host(const struct runner *r, const struct tiervm_matrix_cell *c)
{
	unsigned hosts = strcmp(c->engine, "libvirt") ? 1 : 1 + r->o->n_connect;
	int best = -1;

	for (unsigned h = 0; h < hosts; h++)
		if (r->running[h] < r->m->jobs &&
		    (best < 0 || r->given[h] < r->given[best]))
			best = (int)h;
	return best;
}

static void start_cell(struct runner *r, struct tiervm_matrix_cell *c, int host,
		       const sigset_t *old)
{
	c->connect = host ? r->o->connect[host - 1] : NULL;
	r->running[host]++;
	r->given[host]++;
	c->result = TIERVM_CELL_RUNNING;
	c->start_ms = tiervm_now_ms();
	fflush(NULL);
	c->pid = fork();
	if (c->pid == 0) {
		sigprocmask(SIG_SETMASK, old, NULL);
		run_cell(r->m, c);
	}
	if (c->pid < 0) {
		c->result = TIERVM_CELL_FAILED;
		c->message = xasprintf("cannot start a process: %s",
				       strerror(errno));
		c->end_ms = tiervm_now_ms();
		r->running[host]--;
		return;
	}
	/* set on both sides of the fork: the signals below need it now */
	setpgid(c->pid, c->pid);
}

/* The next step of stopping @c: an interrupt, a second, then SIGKILL. */
static void stop_cell(struct tiervm_matrix_cell *c, const char *why)
{
	long long now = tiervm_now_ms();

	if (why && !c->message)
		c->message = xstrdup(why);
	if (c->stops && now - c->stop_ms < (c->stops == 1 ? CELL_SECOND_STOP_MS
							  : CELL_KILL_MS))
		return;
	kill(-c->pid, c->stops < 2 ? SIGINT : SIGKILL);
	c->stops++;
	c->stop_ms = now;
}

static void finish_cell(struct runner *r, struct tiervm_matrix_cell *c,
			int status)
{
	char *file = cell_path(c, "result.json");
	json_object *res = json_object_from_file(file);
	const char *outcome = jstr(res, "result", NULL);
	unsigned host = 0;

	for (unsigned h = 0; c->connect && h < r->o->n_connect; h++)
		if (r->o->connect[h] == c->connect)
			host = h + 1;
	r->running[host]--;
	c->end_ms = tiervm_now_ms();
	c->pid = 0;
	if (jget(res, "verdict"))
		c->verdict = xstrdup(jstr(res, "verdict", ""));
	c->command_status = (int)jint(res, "command_status", -1);
	if (c->message) {
		/* stopped by us: the reason we stopped it is the outcome */
		c->result = r->stopping && r->o->fail_fast && !r->m->interrupted
				    ? TIERVM_CELL_SKIPPED
				    : TIERVM_CELL_FAILED;
	} else if (outcome) {
		c->result = !strcmp(outcome, "passed")	  ? TIERVM_CELL_PASSED
			    : !strcmp(outcome, "skipped") ? TIERVM_CELL_SKIPPED
							  : TIERVM_CELL_FAILED;
		if (jget(res, "message"))
			c->message = xstrdup(jstr(res, "message", ""));
	} else {
		c->result = TIERVM_CELL_FAILED;
		c->message =
			WIFSIGNALED(status)
				? xasprintf(
					  "its tiervm died of signal %d (see %s/tiervm.log)",
					  WTERMSIG(status), c->dir)
				: xasprintf(
					  "its tiervm exited %d without a result (see %s/tiervm.log)",
					  WEXITSTATUS(status), c->dir);
	}
	/* a cell killed outright cannot have stopped its guest itself */
	if (c->stops > 2 || (WIFSIGNALED(status) && !outcome)) {
		bool was_running;

		tiervm_down(c->name, &was_running, NULL, NULL, NULL);
	}
	if (c->result == TIERVM_CELL_FAILED && r->o->fail_fast && !r->stopping)
		r->stopping = "--fail-fast";
	json_object_put(res);
	free(file);
}

static struct tiervm_matrix_cell *cell_of(struct tiervm_matrix *m, pid_t pid)
{
	for (unsigned i = 0; i < m->n_cells; i++)
		if (m->cells[i].pid == pid &&
		    m->cells[i].result == TIERVM_CELL_RUNNING)
			return &m->cells[i];
	return NULL;
}

static void tell(const struct runner *r, const struct tiervm_matrix_cell *c)
{
	if (r->o->progress)
		r->o->progress(r->m, c, r->o->opaque);
}

/* One round: start what may start, reap what ended, stop what must stop. */
static bool step(struct runner *r, const sigset_t *old)
{
	struct tiervm_matrix *m = r->m;
	struct timespec tick = { .tv_sec = TICK_MS / 1000 };
	sigset_t chld;
	unsigned running = 0;
	int status;
	pid_t pid;

	for (unsigned i = 0; !r->stopping && i < m->n_cells; i++) {
		struct tiervm_matrix_cell *c = &m->cells[i];
		int host;

		if (c->result != TIERVM_CELL_PENDING ||
		    (host = pick_host(r, c)) < 0)
			continue;
		start_cell(r, c, host, old);
		tell(r, c);
	}
	for (unsigned i = 0; i < m->n_cells; i++)
		running += m->cells[i].result == TIERVM_CELL_RUNNING;
	if (!running)
		return false;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigtimedwait(&chld, NULL, &tick);
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct tiervm_matrix_cell *c = cell_of(m, pid);

		if (c) {
			finish_cell(r, c, status);
			tell(r, c);
		}
	}
	if (tiervm_interrupted && !m->interrupted) {
		m->interrupted = true;
		r->stopping = "interrupted";
	}
	for (unsigned i = 0; i < m->n_cells; i++) {
		struct tiervm_matrix_cell *c = &m->cells[i];
		char why[128];

		if (c->result != TIERVM_CELL_RUNNING)
			continue;
		if (m->interrupted) {
			stop_cell(c, "interrupted");
		} else if (r->stopping) {
			stop_cell(c,
				  "stopped: another cell failed (--fail-fast)");
		} else if (tiervm_now_ms() - c->start_ms >
			   (long long)m->timeout_s * 1000) {
			snprintf(why, sizeof(why),
				 "timed out after %u s (the matrix's timeout)",
				 m->timeout_s);
			stop_cell(c, why);
		}
	}
	tell(r, NULL);
	return true;
}

bool tiervm_matrix_run(struct tiervm_matrix *m,
		       const struct tiervm_matrix_opts *o, tiervm_error **errp)
{
	struct runner r = { .m = m, .o = o };
	sigset_t block, old;
	unsigned slot;
	/*
	 * Cells are named SPEC-mI-SLOT, names that recur from one run to the
	 * next: on libvirt, whose restores keep the saved domain's name, a
	 * cell's snapshot then serves the same cell of the next run.
	 */
	int slot_fd = tiervm_lock_slot("matrix", RUN_SLOTS, &slot, errp);

	if (slot_fd < 0)
		return false;
	if (!make_keep(m, o->keep, slot, errp)) {
		close(slot_fd);
		return false;
	}
	m->jobs = o->jobs ? o->jobs : tiervm_matrix_default_jobs(m, NULL);
	r.running = xcalloc(1 + o->n_connect, sizeof(*r.running));
	r.given = xcalloc(1 + o->n_connect, sizeof(*r.given));
	/* SIGCHLD waited for, never handled: a cell's end wakes the loop */
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);
	m->start_ms = tiervm_now_ms();
	while (step(&r, &old))
		;
	m->end_ms = tiervm_now_ms();
	sigprocmask(SIG_SETMASK, &old, NULL);
	for (unsigned i = 0; i < m->n_cells; i++) {
		struct tiervm_matrix_cell *c = &m->cells[i];

		if (c->result != TIERVM_CELL_PENDING)
			continue;
		c->result = TIERVM_CELL_SKIPPED;
		c->message = xasprintf("not run: %s",
				       m->interrupted
					       ? "interrupted"
					       : "a cell failed (--fail-fast)");
	}
	free(r.running);
	free(r.given);
	close(slot_fd);
	return true;
}
