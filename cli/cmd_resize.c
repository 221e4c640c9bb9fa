// SPDX-License-Identifier: LGPL-2.1-or-later
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "ops.h"
#include "tiervm.h"
#include "units.h"

/* A line redrawn in place while a terminal watches. */
static void show(const struct tiervm_resize_opts *o, long long qemu_size,
		 long long node, long long node_mem, void *opaque)
{
	(void)opaque;
	fprintf(stderr,
		"\rtiervm: QEMU %lld MiB of %llu MiB, guest node %lld %lld MiB   ",
		qemu_size >> 20, (unsigned long long)(o->size >> 20), node,
		node_mem >> 20);
}

static void print_result(const struct tiervm_resize_opts *o,
			 const struct tiervm_resize_result *r, bool json)
{
	if (json)
		printf("{\"device\": \"%s\", \"from\": %lld, \"to\": %lld, \"qemu_s\": %.3f, \"guest_s\": %.3f, "
		       "\"set_us\": %lld, \"qemu_event_us\": %lld, \"seen_us\": %lld}\n",
		       o->device, r->from, r->to, (double)r->qemu_ms / 1000.0,
		       (double)r->guest_ms / 1000.0, r->set_us,
		       r->qemu_event_us, r->seen_us);
	else
		printf("%s: %lld MiB -> %lld MiB; QEMU after %.2f s, guest node %lld (%lld MiB) after %.2f s\n",
		       o->device, r->from >> 20, r->to >> 20,
		       (double)r->qemu_ms / 1000.0, r->node, r->node_mem >> 20,
		       (double)r->guest_ms / 1000.0);
}

int cmd_resize(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-wait", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct tiervm_resize_opts o = { 0 };
	struct tiervm_resize_result r;
	tiervm_error *err = NULL;
	bool json = false, tty = isatty(STDERR_FILENO), ok;
	int c;

	while ((c = getopt_long(argc, argv, "njt:", opts, NULL)) != -1) {
		if (c == 'j')
			json = o.event_stamp = true;
		else if (c == 'n')
			o.no_wait = true;
		else if (c != 't' || opt_timeout(optarg, &o.timeout_ms))
			return usage("resize");
	}
	if (optind != argc - 3)
		return usage("resize");
	if (!tiervm_parse_size(argv[optind + 2], &o.size, &err))
		return report(err);
	o.name = argv[optind];
	o.device = argv[optind + 1];
	o.progress = tty ? show : NULL;
	ok = tiervm_resize(&o, &r, &err);
	if (tty && !o.no_wait)
		fprintf(stderr, "\n");
	if (!ok)
		return report(err);
	if (o.no_wait)
		printf("%s: requested %s\n", o.device, argv[optind + 2]);
	else
		print_result(&o, &r, json);
	return EXIT_OK;
}
