// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Warm starts in `up` (snapshot.h): whether a guest may have one, the
 * snapshot taken after its first verified boot, and what a restored guest
 * must be given fresh before anything of the user's runs: the clock, its
 * random pool, the shares, the exec agent, and a check that it is the
 * guest the snapshot's report describes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "ops.h"
#include "ops_internal.h"
#include "snapshot.h"
#include "probe.h"
#include "timeouts.h"
#include "util.h"
#include "util_json.h"

const char *tiervm_warm_refusal(const struct tiervm_up_opts *o,
				const struct tiervm_plan *plan,
				const struct tiervm_engine *engine,
				const struct tiervm_launch *l, bool *quiet)
{
	const char *why;

	*quiet = true;
	if (o->cold || o->unchecked || !engine->argv || !engine->snapshot)
		return "cold";
	if (l->counting)
		return "the TCG plugin's counters are not in QEMU's state";
	/* said in docs, not at every boot of Debian's QEMU 7.2 */
	why = engine->snapshot_refusal ? engine->snapshot_refusal(plan) : NULL;
	if (why)
		return why;
	*quiet = false;
	return tiervm_snapshot_refusal(plan);
}

/* The guest's nodes and their memory: "0:2048M 1:2048M ...". */
static char *node_sizes(json_object *view)
{
	json_object *nodes = jget(jget(view, "guest"), "nodes");
	struct sbuf b = { 0 };

	for (size_t i = 0; i < jlen(nodes); i++)
		sbuf_addf(&b, "%s%lld:%lld", i ? " " : "",
			  jint(jidx(nodes, i), "id", -1),
			  jint(jidx(nodes, i), "memory", -1));
	return b.s ? b.s : xstrdup("");
}

bool tiervm_warm_resume(const struct tiervm_up_opts *o, struct tiervm_vm *vm,
			const struct tiervm_launch *l, json_object *report,
			tiervm_error **errp)
{
	struct timespec now;
	char *shares = tiervm_engine_share_args(l), *request, *want, *got;
	json_object *reply;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &now);
	request = xasprintf("resume %lld.%09ld%s", (long long)now.tv_sec,
			    now.tv_nsec, shares);
	reply = tiervm_probe_call(vm, request, TIERVM_TIMEOUT_PROBE_ACK_MS * 4,
				  NULL, NULL, errp);
	free(request);
	free(shares);
	if (!reply)
		return false;
	/* the same machine as the verified one, as cheap as a look can be */
	want = node_sizes(report);
	got = node_sizes(reply);
	ok = !strcmp(want, got);
	if (!ok)
		tiervm_error_set(
			errp, TIERVM_E_STATE,
			"the restored guest is not the snapshot's: its nodes are %s, the verified report's %s",
			got, want);
	else if (!json_object_get_boolean(jget(reply, "reseeded")))
		tiervm_progressf(
			o->progress, o->opaque,
			"note: the guest could not reseed its random pool from virtio-rng");
	json_object_put(reply);
	free(want);
	free(got);
	return ok;
}

bool tiervm_warm_take(const struct tiervm_up_opts *o, struct tiervm_vm *vm,
		      struct tiervm_launch *l, json_object *report,
		      tiervm_error **errp)
{
	long long t0 = tiervm_now_ms();
	char *tmp = tiervm_snapshot_begin(l->warm, errp);
	bool ok;

	if (!tmp)
		return false;
	ok = vm->engine->snapshot(vm, tmp, errp);
	if (!ok) {
		unlink(tmp);
		free(tmp);
		return false;
	}
	ok = tiervm_snapshot_commit(l->warm, tmp, report, errp);
	free(tmp);
	if (ok)
		tiervm_progressf(
			o->progress, o->opaque,
			"snapshot %s taken: %.0f MB in %lld ms; later runs of this machine start from it (--cold boots)",
			l->warm->key,
			(double)jint(l->warm->meta, "data", 0) / 1e6,
			tiervm_now_ms() - t0);
	return ok;
}
