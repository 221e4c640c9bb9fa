/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_QEMU_QMP_H
#define TIERVM_QEMU_QMP_H

#include <json-c/json.h>
#include <stdbool.h>

#include "util_error.h"

/*
 * A QMP client: greeting and capabilities negotiation, commands matched to
 * responses by id, asynchronous events queued apart from responses, and a
 * deadline on every wait.
 */
struct tiervm_qmp;

/** tiervm_qmp_connect - connect to @path and negotiate capabilities. */
struct tiervm_qmp *tiervm_qmp_connect(const char *path, int timeout_ms,
				      tiervm_error **errp);

/** tiervm_qmp_new_fd - the same over an already connected @fd (owned). */
struct tiervm_qmp *tiervm_qmp_new_fd(int fd, int timeout_ms,
				     tiervm_error **errp);

/**
 * tiervm_qmp_execute - run @cmd with @args (owned, may be NULL); returns a
 * new reference to the "return" value.  A QMP error reply is an error
 * naming its class and description.
 */
json_object *tiervm_qmp_execute(struct tiervm_qmp *q, const char *cmd,
				json_object *args, int timeout_ms,
				tiervm_error **errp);

/**
 * tiervm_qmp_execute_fd - as tiervm_qmp_execute(), passing @fd along
 * (for getfd); the caller keeps its own copy of @fd.
 */
json_object *tiervm_qmp_execute_fd(struct tiervm_qmp *q, const char *cmd,
				   json_object *args, int fd, int timeout_ms,
				   tiervm_error **errp);

/**
 * tiervm_qmp_event - the next event (a new reference), waiting up to
 * @timeout_ms; NULL with *errp unset on a plain timeout.
 */
json_object *tiervm_qmp_event(struct tiervm_qmp *q, int timeout_ms,
			      tiervm_error **errp);

void tiervm_qmp_close(struct tiervm_qmp *q);

/*
 * For tests and fuzzing: feed raw bytes as if read from the socket.
 * Complete messages are sorted into responses and events; malformed JSON
 * or a message that is not an object is an error.
 */
bool tiervm_qmp_feed(struct tiervm_qmp *q, const char *buf, size_t len,
		     tiervm_error **errp);
struct tiervm_qmp *tiervm_qmp_new_detached(void);
/* What feeding sorted: the response with @id (a new reference, or NULL),
 * and whether the greeting came. */
json_object *tiervm_qmp_take_response(struct tiervm_qmp *q, unsigned id);
bool tiervm_qmp_greeted(const struct tiervm_qmp *q);

#endif
