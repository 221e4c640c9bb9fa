/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_ENGINE_LIBVIRT_RELAY_H
#define TIERVM_ENGINE_LIBVIRT_RELAY_H

#include <stdbool.h>

#include "util_error.h"
#include "vm.h"

/*
 * A guest on a libvirt daemon, local or remote, is reached only through
 * the connection: its serial lines through virDomainOpenConsole (by
 * alias), its exec ports through virDomainOpenChannel (by name).  The
 * relay is the process that holds those streams for the guest's life and
 * gives the layers above the engine seam what every engine promises:
 * RUNDIR/console.log, and probe.sock and execN.sock as unix sockets.  An
 * exec port's stream is opened when a client connects and closed when it
 * leaves, so the guest's agent sees the host come and go as it does on a
 * socket chardev.
 */

/* The serial aliases and the exec channels' names in the domain. */
#define TIERVM_RELAY_CONSOLE "serial0"
#define TIERVM_RELAY_PROBE "serial1"
#define TIERVM_RELAY_EXEC "org.tiervm.exec.%u"

enum tiervm_relay_flags {
	/* create the domain from @xml (paused until the streams are open) */
	TIERVM_RELAY_CREATE = 1 << 0,
	/* the domain dies with the caller: libvirt's autodestroy on the
	 * relay's connection (a restored one: the relay's own destroy), the
	 * relay ended when the caller ends */
	TIERVM_RELAY_ONE_SHOT = 1 << 1,
	/* restore the domain from the saved state @state, with @xml for the
	 * host's side of it (paused until the streams are open); a state
	 * libvirt does not load is TIERVM_E_STATE */
	TIERVM_RELAY_RESTORE = 1 << 2,
};

/**
 * tiervm_relay_start - start @vm's relay on @uri: with
 * TIERVM_RELAY_CREATE it creates domain @dom from @xml, with
 * TIERVM_RELAY_RESTORE restores it from @state, else it attaches to the
 * running domain @dom.  Returns once the streams are open (and a
 * created domain resumed), or with the relay's own error.  Its pid is
 * kept in RUNDIR/relay.pid, its messages in RUNDIR/relay.log.
 */
bool tiervm_relay_start(struct tiervm_vm *vm, const char *uri, const char *dom,
			const char *xml, const char *state, unsigned flags,
			tiervm_error **errp);

/** tiervm_relay_stop - end @vm's relay, if one runs; the domain stays. */
void tiervm_relay_stop(struct tiervm_vm *vm);

#endif
