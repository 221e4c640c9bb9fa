// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Warm starts on tiervm's own engine: a guest's state saved with QEMU's
 * migration to a file, and loaded by a new QEMU of the same command line
 * (-S -incoming defer).  Both use mapped-ram (QEMU 9.0+): RAM pages at
 * fixed offsets of a sparse file, zero pages left as holes, so a load
 * touches only the pages the guest had written.  A stream of every page
 * (what QEMU 7.2 has) makes the new QEMU read, and fault in, all of the
 * guest's memory: measured here, 0.8 to 8 s for the demo's 6 GiB against
 * 0.7 s with mapped-ram, while the boot it replaces takes 4.5 s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_qemu_internal.h"
#include "timeouts.h"
#include "util.h"

/* Saving reads all of the guest's memory: tens of seconds under load. */
#define SNAPSHOT_TIMEOUT_MS 180000

static bool set_mapped_ram(struct tiervm_qmp *q, bool on, tiervm_error **errp)
{
	json_object *caps = json_object_new_array(),
		    *cap = json_object_new_object(),
		    *args = json_object_new_object();

	json_object_object_add(cap, "capability",
			       json_object_new_string("mapped-ram"));
	json_object_object_add(cap, "state", json_object_new_boolean(on));
	json_object_array_add(caps, cap);
	json_object_object_add(args, "capabilities", caps);
	return tiervm_qemu_run(q, "migrate-set-capabilities", args, errp);
}

/* mapped-ram on, and no bandwidth limit (QEMU's default is 128 MiB/s). */
static bool mapped_ram(struct tiervm_qmp *q, bool outgoing, tiervm_error **errp)
{
	json_object *args;

	if (!set_mapped_ram(q, true, errp))
		return false;
	if (!outgoing)
		return true;
	args = json_object_new_object();
	json_object_object_add(args, "max-bandwidth",
			       json_object_new_int64(INT64_C(1) << 40));
	return tiervm_qemu_run(q, "migrate-set-parameters", args, errp);
}

static char *file_uri(const char *path)
{
	return xasprintf("file:%s", path);
}

bool tiervm_qemu_snapshot(struct tiervm_vm *vm, const char *path,
			  tiervm_error **errp)
{
	struct tiervm_monitor *m = tiervm_engine_monitor(vm, errp);
	struct tiervm_qmp *q = m ? tiervm_qemu_qmp(m) : NULL;
	char *uri = file_uri(path);
	bool ok = false;

	if (!q || !mapped_ram(q, true, errp) ||
	    !tiervm_qemu_run(q, "stop", NULL, errp))
		goto out;
	ok = tiervm_qemu_run(q, "migrate", tiervm_qemu_arg("uri", uri), errp) &&
	     tiervm_qemu_migrated(q, SNAPSHOT_TIMEOUT_MS, TIERVM_E_FAIL, errp);
	/* mapped-ram only to files: a later migration (rebind) streams */
	if (!set_mapped_ram(q, false, ok ? errp : NULL))
		ok = false;
	/* the guest goes on either way: from here it is the caller's */
	if (!tiervm_qemu_run(q, "cont", NULL, ok ? errp : NULL))
		ok = false;
out:
	free(uri);
	tiervm_monitor_close(m);
	return ok;
}

bool tiervm_qemu_restore(struct tiervm_vm *vm, struct tiervm_launch *l,
			 tiervm_error **errp)
{
	struct tiervm_monitor *m = tiervm_engine_monitor(vm, errp);
	struct tiervm_qmp *q = m ? tiervm_qemu_qmp(m) : NULL;
	char *uri = file_uri(l->incoming);
	bool ok = q && mapped_ram(q, false, errp) &&
		  tiervm_qemu_run(q, "migrate-incoming",
				  tiervm_qemu_arg("uri", uri), errp) &&
		  tiervm_qemu_migrated(q, TIERVM_TIMEOUT_BOOT_MS,
				       TIERVM_E_STATE, errp);

	l->load_ms = tiervm_now_ms();
	ok = ok && set_mapped_ram(q, false, errp) &&
	     tiervm_qemu_run(q, "cont", NULL, errp);
	free(uri);
	tiervm_monitor_close(m);
	return ok;
}
