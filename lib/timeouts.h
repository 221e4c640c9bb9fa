/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_TIMEOUTS_H
#define TIERVM_TIMEOUTS_H

/*
 * Every wait tiervm makes on QEMU or a guest, in one table, in
 * milliseconds.  The figures are for TCG on a small shared machine, where
 * a guest boots in about 10 s; KVM needs a fraction of each.
 * docs/choices.md lists them for users.
 */

/* QMP: the greeting and capabilities negotiation after connect(). */
#define TIERVM_TIMEOUT_QMP_CONNECT_MS 5000
/* QMP: one command and its response (query-memory-devices, device_add). */
#define TIERVM_TIMEOUT_QMP_MS 10000

/* up: from QEMU's start to the probe's report, unless --timeout says. */
#define TIERVM_TIMEOUT_BOOT_MS 300000
/* up: virtio-mem's boot-time request plugged by the guest driver. */
#define TIERVM_TIMEOUT_VMEM_SETTLE_MS 60000
/* up --capture: the guest packs its /sys and /proc. */
#define TIERVM_TIMEOUT_CAPTURE_MS 120000
/* up --check and down: the guest powering off once asked. */
#define TIERVM_TIMEOUT_POWEROFF_MS 30000
/* down: the probe acknowledging "poweroff"; a booting guest does not */
#define TIERVM_TIMEOUT_DOWN_ACK_MS 1000
/* down: a guest that got the ACPI power button powering off */
#define TIERVM_TIMEOUT_ACPI_MS 2500
/* down: QEMU leaving after "quit", before it is killed. */
#define TIERVM_TIMEOUT_QUIT_MS 10000
/* SIGTERM to SIGKILL: a QEMU that failed a start, or would not quit. */
#define TIERVM_TIMEOUT_KILL_GRACE_MS 2000
/* a libvirt daemon lost while tiervm stops a guest: waited for this long */
#define TIERVM_TIMEOUT_RECONNECT_MS 20000
/* a re-binding migration between two QEMUs on this host, all of memory */
#define TIERVM_TIMEOUT_REBIND_MS 300000

/* A running guest's report (status, resize, attach): its node memory. */
#define TIERVM_TIMEOUT_REPORT_MS 60000
/* probe NAME REQUEST: any request, some of which provision devices. */
#define TIERVM_TIMEOUT_PROBE_CALL_MS 60000
/* The probe acknowledging a request sent without waiting for a reply. */
#define TIERVM_TIMEOUT_PROBE_ACK_MS 10000
/*
 * The guest's serial driver clears its FIFO when the probe opens the
 * port: a request not answered is sent again this often.
 */
#define TIERVM_TIMEOUT_PROBE_RESEND_MS 2000

/* resize: the guest node keeps its new size this long before it counts */
#define TIERVM_VMEM_STEADY_MS 300
/* resize and attach: the default of --timeout. */
#define TIERVM_TIMEOUT_HOTPLUG_MS 60000

#endif
