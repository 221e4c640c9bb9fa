/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_ENGINE_LIBVIRT_INTERNAL_H
#define TIERVM_ENGINE_LIBVIRT_INTERNAL_H

#include <libvirt/libvirt.h>

#include "engine.h"

/* The libvirt engine's parts shared between its files. */

/** tiervm_lv_uri - the connection RUNDIR/libvirt.uri names; caller frees. */
char *tiervm_lv_uri(const struct tiervm_vm *vm);

/** tiervm_lv_domain_name - "tiervm-NAME"; caller frees. */
char *tiervm_lv_domain_name(const struct tiervm_vm *vm);

/**
 * tiervm_lv_lookup - @vm's domain on the connection its runtime dir names
 * (*@connp: that connection, the caller's to close).
 */
virDomainPtr tiervm_lv_lookup(const struct tiervm_vm *vm, virConnectPtr *connp,
			      tiervm_error **errp);

/* Warm starts (engine_libvirt_snapshot.c). */

/** tiervm_lv_argv - the engine's argv: the URI and the domain's XML. */
char **tiervm_lv_argv(struct tiervm_vm *vm, struct tiervm_launch *l);

/** tiervm_lv_snapshot - the engine's snapshot, on the running domain. */
bool tiervm_lv_snapshot(struct tiervm_vm *vm, const char *path,
			tiervm_error **errp);

/**
 * tiervm_lv_warm_uuid - the domain's UUID when @l's guest has a snapshot
 * key (the key's, so a restore finds the saved one), else NULL.
 */
char *tiervm_lv_warm_uuid(const struct tiervm_launch *l);

/**
 * tiervm_lv_restore_xml - the XML to restore @state with: the saved
 * domain's, with @ours' shares (their host directories); a state whose
 * domain libvirt cannot read is TIERVM_E_STATE.
 */
char *tiervm_lv_restore_xml(virConnectPtr c, const char *state,
			    const char *ours, tiervm_error **errp);

/** tiervm_lv_migrate - the engine's migrate (engine_libvirt_migrate.c). */
bool tiervm_lv_migrate(struct tiervm_vm *vm, struct tiervm_migration *mig,
		       tiervm_error **errp);

#endif
