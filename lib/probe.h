/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_PROBE_H
#define TIERVM_PROBE_H

#include <json-c/json.h>
#include <stdbool.h>

#include "util_error.h"
#include "vm.h"

/*
 * The host end of the guest probe's channel (guest/probe.c, on the guest's
 * second serial line, RUNDIR/probe.sock here): one request a line, JSON
 * replies between TIERVM-BEGIN and TIERVM-END.
 */

/* Told each boot stage as the console shows it, then the reply's name. */
typedef void tiervm_progress_fn(const char *stage, void *opaque);

/** tiervm_progressf - tell @fn (may be NULL) a formatted message. */
void tiervm_progressf(tiervm_progress_fn *fn, void *opaque, const char *fmt,
		      ...) __attribute__((format(printf, 3, 4)));

/**
 * tiervm_probe_call - send @request and return its JSON reply.  Resends
 * while the guest is still booting (its serial driver clears the FIFO when
 * it opens the port).  @progress may be NULL.
 */
json_object *tiervm_probe_call(struct tiervm_vm *vm, const char *request,
			       int timeout_ms, tiervm_progress_fn *progress,
			       void *opaque, tiervm_error **errp);

/**
 * tiervm_probe_parse_reply - the reply to @request in what the channel
 * carried so far (@in): 1 and *@reply, 0 while it is incomplete, -1 when
 * it is not a JSON object (*@errp says why).
 */
int tiervm_probe_parse_reply(const char *in, const char *request,
			     json_object **reply, tiervm_error **errp);

/*
 * tiervm_probe_watch - tell @progress the boot stages @vm's console has
 * shown since last told (tiervm_probe_call() does it while it waits);
 * false when the guest's probe said drivers its hardware needs are
 * missing, which tiervm_probe_call() fails on too.
 */
bool tiervm_probe_watch(struct tiervm_vm *vm, tiervm_progress_fn *progress,
			void *opaque, tiervm_error **errp);

/** tiervm_probe_report - tiervm_probe_call() of "report". */
json_object *tiervm_probe_report(struct tiervm_vm *vm, int timeout_ms,
				 tiervm_progress_fn *progress, void *opaque,
				 tiervm_error **errp);

/**
 * tiervm_probe_nodes - the guest's nodes now ("nodes": its discovery
 * alone; a whole report runs numactl and lstopo too).
 */
json_object *tiervm_probe_nodes(struct tiervm_vm *vm, tiervm_error **errp);

/** tiervm_probe_send - send @request, wait only for its acknowledgement. */
bool tiervm_probe_send(struct tiervm_vm *vm, const char *request,
		       int timeout_ms, tiervm_error **errp);

#endif
