/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_SNAPSHOT_H
#define TIERVM_SNAPSHOT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "image.h"
#include "plan.h"
#include "util_error.h"

/*
 * Warm starts: a guest's state saved right after a boot verified MATCH,
 * before anything of the user's ran in it, and restored by later `up`s of
 * the same key (docs/choices.md, "Warm starts").  The key is everything
 * the guest's state depends on: the engine, the QEMU binary and version,
 * the kernel and initramfs, the spec's text and the QEMU command line,
 * with the paths that change from run to run (the runtime dir, the name,
 * the shares' host directories) taken out.  Cached in
 * $XDG_CACHE_HOME/tiervm/snapshots/KEY/: "state" (0600, QEMU's migration
 * file) and "key.json" (the key's material, the state's size and CRC-32,
 * the verified report), written and renamed into place, key.json last.
 */
struct tiervm_snapshot {
	char *dir;	       /* .../snapshots/KEY */
	char *key;	       /* 16 hex digits */
	json_object *material; /* what the key is a hash of */
	json_object *meta;     /* key.json, once found or taken */
};

/* A snapshot's state file as an engine streams it in or out. */
#define TIERVM_SNAPSHOT_STATE "state"

/**
 * tiervm_snapshot_refusal - why a guest of @plan must boot cold, in one
 * line, or NULL when a snapshot may hold it.  Memory that is the user's
 * data (NVDIMMs, host device-dax) is never copied into a snapshot, nor
 * written back from one; cxl-type3 has no migration state.
 */
const char *tiervm_snapshot_refusal(const struct tiervm_plan *plan);

/**
 * tiervm_snapshot_init - @s keyed for a guest @argv would start (the
 * engine's whole command line, before any daemonizing), its runtime dir
 * @rundir and name @name, booting @img, on @engine.
 */
void tiervm_snapshot_init(struct tiervm_snapshot *s, const char *engine,
			  char *const *argv, const char *rundir,
			  const char *name, const struct tiervm_image *img,
			  const struct tiervm_plan *plan);

/**
 * tiervm_snapshot_find - whether @s's key has a whole snapshot (s->meta
 * set); one that is half written, of another key or of the wrong size is
 * removed, and *@note (caller frees) says so.
 */
bool tiervm_snapshot_find(struct tiervm_snapshot *s, char **note);

/**
 * tiervm_snapshot_check - whether @s's state still sums to what its key
 * file says; else it is discarded, and *@note (caller frees) says so.
 */
bool tiervm_snapshot_check(struct tiervm_snapshot *s, char **note);

/**
 * tiervm_snapshot_begin - the path of a new, empty state file for @s,
 * 0600, not yet in place, for the engine to write (caller frees).
 */
char *tiervm_snapshot_begin(struct tiervm_snapshot *s, tiervm_error **errp);

/**
 * tiervm_snapshot_commit - put the state @tmp in place with its size and
 * CRC-32 and @report (the verified one) in key.json; older snapshots go
 * while the cache is over its budget.
 */
bool tiervm_snapshot_commit(struct tiervm_snapshot *s, const char *tmp,
			    json_object *report, tiervm_error **errp);

/** tiervm_snapshot_discard - remove @s's snapshot (it proved bad). */
void tiervm_snapshot_discard(struct tiervm_snapshot *s);

/** tiervm_snapshot_touch - @s was used: the last to go. */
void tiervm_snapshot_touch(struct tiervm_snapshot *s);

void tiervm_snapshot_clear(struct tiervm_snapshot *s);

/**
 * tiervm_cache_list - the cache's snapshots and images:
 * [{"kind": "snapshot"|"image", "name", "path", "bytes", "spec",
 * "kernel", "qemu", "used"}].
 */
json_object *tiervm_cache_list(void);

/**
 * tiervm_cache_clean - remove the snapshots (@images: and the images);
 * *@n entries and *@bytes freed.
 */
bool tiervm_cache_clean(bool images, unsigned *n, uint64_t *bytes,
			tiervm_error **errp);

#endif
