// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The host ends of the guest's channels on arbitrary bytes: the probe's
 * replies (the request is the input's first line), verification of any
 * reply that parses against a machine with every kind of device, and the
 * exec frames.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exec_frame.h"
#include "plan.h"
#include "probe.h"
#include "qemu_caps.h"
#include "spec.h"
#include "util.h"
#include "verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* NUMA with HMAT, an NVDIMM, virtio-mem and a CXL tree with a switch. */
static const char machine[] =
	"name: fuzz\n"
	"machine: {cpus: 2}\n"
	"guest: {kernel: debian-backports}\n"
	"nodes:\n"
	"  - {id: 0, cpus: 0-1, memory: 1G}\n"
	"  - {id: 1, memory: 512M, kind: hbm}\n"
	"  - {id: 2, memory: 0}\n"
	"hmat: [{initiator: 0, target: 1, latency: 60}]\n"
	"nvdimms: [{id: nv0, node: 2, size: 1G, path: /nonexistent/nv0.img, mode: kmem}]\n"
	"virtio-mem: [{id: vm0, node: 1, size: 1G, requested: 256M}]\n"
	"cxl:\n"
	"  host-bridges:\n"
	"    - {id: hb0, root-ports: [rp0, rp1]}\n"
	"    - {id: hb1, root-ports: [rp2]}\n"
	"  switches: [{id: sw0, port: rp0, downstream-ports: [dp0, dp1]}]\n"
	"  devices:\n"
	"    - {id: m0, port: dp0, size: 256M}\n"
	"    - {id: m1, port: dp1, size: 256M}\n"
	"    - {id: m2, port: rp2, size: 256M, type: volatile}\n"
	"  windows:\n"
	"    - {id: w0, size: 512M, host-bridges: [hb0]}\n"
	"    - {id: w1, size: 256M, host-bridges: [hb1]}\n"
	"  regions:\n"
	"    - {id: r0, window: w0, devices: [m1, m0], mode: kmem, node: 3}\n"
	"    - {id: r1, window: w1, devices: [m2], mode: devdax}\n";

static const struct tiervm_plan *fixed_plan(void)
{
	static const struct tiervm_qemu_caps caps = {
		.binary = "qemu-system-x86_64",
		.major = 10,
		.machine_q35 = true,
		.vmem_unplugged_inaccessible = true,
		.cxl_volatile = true,
		.cxl_persistent_memdev = true,
	};
	static struct tiervm_plan *plan;
	tiervm_error *err = NULL;
	struct tiervm_spec *s;

	if (plan)
		return plan;
	s = tiervm_spec_parse_string("fuzz.yaml", machine, strlen(machine),
				     true, &err);
	if (!s || !(plan = tiervm_plan_build(s, &caps, NULL, &err)))
		abort(); /* the harness's own machine must plan */
	plan->own_spec = true;
	return plan;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmemdup0(data, size), *nl = strchr(text, '\n');
	struct tiervm_frames f = { 0 };
	tiervm_error *err = NULL;
	const uint8_t *payload;
	json_object *reply;
	uint32_t len;
	uint8_t type;

	if (nl) {
		*nl = '\0';
		reply = NULL;
		if (tiervm_probe_parse_reply(nl + 1, text, &reply, &err) > 0 &&
		    reply) {
			struct tiervm_verdict v = { 0 };

			tiervm_verify(fixed_plan(), reply, &v);
			tiervm_verdict_clear(&v);
		}
		json_object_put(reply);
		tiervm_error_free(err);
	}
	/* frames arriving in two reads */
	tiervm_frames_add(&f, data, size / 2);
	while (tiervm_frames_next(&f, &type, &payload, &len) > 0)
		;
	tiervm_frames_add(&f, data + size / 2, size - size / 2);
	while (tiervm_frames_next(&f, &type, &payload, &len) > 0)
		;
	tiervm_frames_free(&f);
	free(text);
	return 0;
}
