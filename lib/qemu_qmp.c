// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "qemu_qmp.h"
#include "util.h"
#include "util_sock.h"

/* QEMU's own replies are a few KiB; anything this large is not QMP. */
#define MAX_MESSAGE (16 << 20)

#define QEMU_GONE "QEMU closed the QMP socket (it exited or was killed)"

struct tiervm_qmp {
	int fd;
	struct json_tokener *tok;
	size_t pending;		/* bytes of the current message so far */
	json_object *events;	/* array, oldest first */
	json_object *responses; /* array */
	json_object *greeting;
	unsigned next_id;
};

struct tiervm_qmp *tiervm_qmp_new_detached(void)
{
	struct tiervm_qmp *q = xcalloc(1, sizeof(*q));

	q->fd = -1;
	q->tok = json_tokener_new_ex(64);
	q->events = json_object_new_array();
	q->responses = json_object_new_array();
	return q;
}

void tiervm_qmp_close(struct tiervm_qmp *q)
{
	if (!q)
		return;
	if (q->fd >= 0)
		close(q->fd);
	json_tokener_free(q->tok);
	json_object_put(q->events);
	json_object_put(q->responses);
	json_object_put(q->greeting);
	free(q);
}

static bool sort_message(struct tiervm_qmp *q, json_object *msg,
			 tiervm_error **errp)
{
	if (!json_object_is_type(msg, json_type_object)) {
		tiervm_error_setg(
			errp, "QMP sent something other than an object: %.80s",
			json_object_to_json_string(msg));
		json_object_put(msg);
		return false;
	}
	if (json_object_object_get_ex(msg, "event", NULL))
		json_object_array_add(q->events, msg);
	else if (json_object_object_get_ex(msg, "QMP", NULL) && !q->greeting)
		q->greeting = msg;
	else if (json_object_object_get_ex(msg, "return", NULL) ||
		 json_object_object_get_ex(msg, "error", NULL))
		json_object_array_add(q->responses, msg);
	else {
		tiervm_error_setg(errp, "QMP sent an unexpected message: %.80s",
				  json_object_to_json_string(msg));
		json_object_put(msg);
		return false;
	}
	return true;
}

bool tiervm_qmp_feed(struct tiervm_qmp *q, const char *buf, size_t len,
		     tiervm_error **errp)
{
	size_t off = 0;

	while (off < len) {
		json_object *msg;
		enum json_tokener_error jerr;
		size_t used;

		/* whitespace between messages is not a message */
		if (q->pending == 0 && strchr(" \t\r\n", buf[off])) {
			off++;
			continue;
		}
		msg = json_tokener_parse_ex(q->tok, buf + off,
					    (int)(len - off));
		jerr = json_tokener_get_error(q->tok);
		used = json_tokener_get_parse_end(q->tok);
		if (jerr == json_tokener_continue) {
			q->pending += len - off;
			if (q->pending > MAX_MESSAGE) {
				tiervm_error_setg(
					errp,
					"QMP message larger than %d bytes",
					MAX_MESSAGE);
				return false;
			}
			return true;
		}
		if (jerr != json_tokener_success || !msg) {
			tiervm_error_setg(errp, "QMP sent malformed JSON: %s",
					  json_tokener_error_desc(jerr));
			json_tokener_reset(q->tok);
			q->pending = 0;
			return false;
		}
		json_tokener_reset(q->tok);
		q->pending = 0;
		off += used ? used : 1;
		if (!sort_message(q, msg, errp))
			return false;
	}
	return true;
}

/* Reads what is there, waiting until @deadline (ms, monotonic). */
static bool pump(struct tiervm_qmp *q, long long deadline, bool *timed_out,
		 tiervm_error **errp)
{
	struct pollfd p = { .fd = q->fd, .events = POLLIN };
	long long left = deadline - tiervm_now_ms();
	char buf[65536];
	ssize_t n;
	int r;

	*timed_out = false;
	if (left < 0)
		left = 0;
	r = poll(&p, 1, (int)left);
	if (r < 0 && errno != EINTR) {
		tiervm_error_set_errno(errp, errno, "QMP poll");
		return false;
	}
	if (r <= 0) {
		*timed_out = true;
		return true;
	}
	n = read(q->fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n == 0 || (n < 0 && errno == ECONNRESET)) {
		tiervm_error_setg(errp, QEMU_GONE);
		return false;
	}
	if (n < 0) {
		tiervm_error_set_errno(errp, errno, "QMP socket");
		return false;
	}
	return tiervm_qmp_feed(q, buf, (size_t)n, errp);
}

/*
 * @pass_fd >= 0 travels with the first bytes as SCM_RIGHTS, the way QEMU's
 * getfd and add-fd expect a descriptor.
 */
static bool send_all(int fd, const char *s, int pass_fd, tiervm_error **errp)
{
	size_t len = strlen(s);

	while (len) {
		struct iovec iov = { .iov_base = (void *)s, .iov_len = len };
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} ctl;
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

		if (pass_fd >= 0) {
			struct cmsghdr *c;

			memset(&ctl, 0, sizeof(ctl));
			msg.msg_control = ctl.buf;
			msg.msg_controllen = sizeof(ctl.buf);
			c = CMSG_FIRSTHDR(&msg);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
		}
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE || errno == ECONNRESET)
				tiervm_error_setg(errp, QEMU_GONE);
			else
				tiervm_error_set_errno(errp, errno,
						       "QMP socket");
			return false;
		}
		pass_fd = -1;
		s += n;
		len -= (size_t)n;
	}
	return true;
}

/* The response carrying @id, removed from the queue; NULL if not yet in. */
static json_object *take_response(struct tiervm_qmp *q, unsigned id)
{
	size_t n = json_object_array_length(q->responses);

	for (size_t i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(q->responses, i), *v;

		if (json_object_object_get_ex(r, "id", &v) &&
		    json_object_is_type(v, json_type_int) &&
		    (unsigned)json_object_get_int(v) == id) {
			json_object_get(r);
			json_object_array_del_idx(q->responses, i, 1);
			return r;
		}
	}
	return NULL;
}

json_object *tiervm_qmp_take_response(struct tiervm_qmp *q, unsigned id)
{
	return take_response(q, id);
}

bool tiervm_qmp_greeted(const struct tiervm_qmp *q)
{
	return q->greeting != NULL;
}

json_object *tiervm_qmp_execute(struct tiervm_qmp *q, const char *cmd,
				json_object *args, int timeout_ms,
				tiervm_error **errp)
{
	return tiervm_qmp_execute_fd(q, cmd, args, -1, timeout_ms, errp);
}

json_object *tiervm_qmp_execute_fd(struct tiervm_qmp *q, const char *cmd,
				   json_object *args, int fd, int timeout_ms,
				   tiervm_error **errp)
{
	long long deadline = tiervm_now_ms() + timeout_ms;
	json_object *req = json_object_new_object(), *resp = NULL, *v,
		    *ret = NULL;
	unsigned id = ++q->next_id;
	bool ok, timed_out;
	char *line;

	json_object_object_add(req, "execute", json_object_new_string(cmd));
	if (args)
		json_object_object_add(req, "arguments", args);
	json_object_object_add(req, "id", json_object_new_int((int)id));
	line = xasprintf("%s\n", json_object_to_json_string_ext(
					 req, JSON_C_TO_STRING_PLAIN));
	json_object_put(req);
	ok = send_all(q->fd, line, fd, errp);
	free(line);
	if (!ok)
		return NULL;
	while (!(resp = take_response(q, id))) {
		if (!pump(q, deadline, &timed_out, errp))
			return NULL;
		if (timed_out) {
			tiervm_error_setg(errp,
					  "QMP %s: no answer within %d ms", cmd,
					  timeout_ms);
			return NULL;
		}
	}
	if (json_object_object_get_ex(resp, "error", &v)) {
		json_object *cls = NULL, *desc = NULL;

		json_object_object_get_ex(v, "class", &cls);
		json_object_object_get_ex(v, "desc", &desc);
		tiervm_error_setg(errp, "QMP %s: %s: %s", cmd,
				  cls ? json_object_get_string(cls) : "Error",
				  desc ? json_object_get_string(desc) : "?");
	} else if (json_object_object_get_ex(resp, "return", &v)) {
		ret = json_object_get(v);
	}
	json_object_put(resp);
	return ret;
}

json_object *tiervm_qmp_event(struct tiervm_qmp *q, int timeout_ms,
			      tiervm_error **errp)
{
	long long deadline = tiervm_now_ms() + timeout_ms;
	bool timed_out = false;

	while (json_object_array_length(q->events) == 0) {
		if (!pump(q, deadline, &timed_out, errp))
			return NULL;
		if (timed_out)
			return NULL;
	}
	{
		json_object *e = json_object_get(
			json_object_array_get_idx(q->events, 0));

		json_object_array_del_idx(q->events, 0, 1);
		return e;
	}
}

struct tiervm_qmp *tiervm_qmp_new_fd(int fd, int timeout_ms,
				     tiervm_error **errp)
{
	struct tiervm_qmp *q = tiervm_qmp_new_detached();
	long long deadline = tiervm_now_ms() + timeout_ms;
	json_object *r;
	bool timed_out;

	q->fd = fd;
	while (!q->greeting) {
		if (!pump(q, deadline, &timed_out, errp))
			goto fail;
		if (timed_out) {
			tiervm_error_setg(errp, "QMP: no greeting within %d ms",
					  timeout_ms);
			goto fail;
		}
	}
	r = tiervm_qmp_execute(q, "qmp_capabilities", NULL, timeout_ms, errp);
	if (!r)
		goto fail;
	json_object_put(r);
	return q;
fail:
	tiervm_qmp_close(q);
	return NULL;
}

struct tiervm_qmp *tiervm_qmp_connect(const char *path, int timeout_ms,
				      tiervm_error **errp)
{
	int fd = tiervm_unix_connect(path, errp);

	return fd < 0 ? NULL : tiervm_qmp_new_fd(fd, timeout_ms, errp);
}
