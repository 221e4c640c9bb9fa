// SPDX-License-Identifier: LGPL-2.1-or-later
/* tiervm_plan_file: a spec file planned for this QEMU and a host tree. */
#include <stdlib.h>

#include "host.h"
#include "image.h"
#include "kernel_needs.h"
#include "spec_diag.h"
#include "ops.h"
#include "plan_libvirt.h"
#include "vm.h"
#include "util.h"

struct tiervm_plan *tiervm_plan_file(const struct tiervm_plan_opts *o,
				     tiervm_error **errp)
{
	struct tiervm_qemu_caps *caps = xcalloc(1, sizeof(*caps));
	struct tiervm_host *host = NULL;
	struct tiervm_plan *plan = NULL;
	struct tiervm_spec *spec;

	spec = o->unchecked ? tiervm_spec_parse_unchecked(o->spec, errp)
			    : tiervm_spec_parse(o->spec, errp);
	if (!spec)
		goto out;
	if (o->kernel) {
		free(spec->guest.kernel);
		spec->guest.kernel = xstrdup(o->kernel);
		/* the spec's modules went with the spec's kernel */
		free(spec->guest.modules);
		spec->guest.modules = NULL;
		spec->guest.kernel_from_cli = true;
	}
	if (o->modules) {
		free(spec->guest.modules);
		spec->guest.modules = xstrdup(o->modules);
		spec->guest.kernel_from_cli = true;
	}
	if (o->accel != TIERVM_ACCEL_AUTO)
		spec->machine.accel = o->accel;
	host = o->host_connect
		       ? tiervm_host_from_libvirt(o->host_connect, errp)
		       : tiervm_host_discover(o->host_root ? o->host_root : "/",
					      errp);
	if (host && tiervm_qemu_probe(caps, errp))
		plan = tiervm_plan_build(spec, caps, host, errp);
out:
	tiervm_host_free(host);
	if (plan && o->strict && plan->warnings.n) {
		struct sbuf all = { 0 };

		for (size_t i = 0; i < plan->warnings.n; i++)
			sbuf_addf(&all, "%s%s (--strict)", i ? "\n" : "",
				  plan->warnings.v[i]);
		tiervm_error_set(errp, TIERVM_E_INPUT, "%s", all.s);
		sbuf_free(&all);
		plan->own_spec = plan->own_caps = true;
		tiervm_plan_free(plan);
		return NULL;
	}
	if (plan) {
		plan->own_spec = plan->own_caps = true;
		return plan;
	}
	tiervm_spec_free(spec);
	tiervm_qemu_caps_clear(caps);
	free(caps);
	return NULL;
}

char *tiervm_plan_domain(struct tiervm_plan *plan, tiervm_error **errp)
{
	const struct tiervm_spec *s = plan->spec;
	struct tiervm_image img = { 0 };
	struct tiervm_launch l = { .plan = plan,
				   .host_root = s->guest.share_host };
	char *base = tiervm_runtime_base(), *dir, *append, *xml = NULL;

	/* the image `up` would boot, made once and cached */
	if (tiervm_image_get(plan->kernel, plan->uefi, &img, errp)) {
		struct tiervm_domain_env env = {
			.name = s->name,
			.kernel = img.kernel,
			.initrd = img.initrd,
			.host_root = l.host_root,
		};

		dir = xasprintf("%s/%s", base, s->name);
		append = tiervm_engine_cmdline(&l, NULL);
		env.dir = dir;
		env.append = append;
		xml = tiervm_plan_format_libvirt(plan, &env, &plan->notes,
						 errp);
		free(append);
		free(dir);
	}
	tiervm_image_clear(&img);
	free(base);
	return xml;
}

char *tiervm_kconfig_file(const char *path, tiervm_error **errp)
{
	struct tiervm_spec *spec = tiervm_spec_parse(path, errp);
	struct tiervm_diags d = { 0 };
	struct tiervm_resolved *r;
	char *fragment = NULL;

	if (!spec)
		return NULL;
	d.file = spec->file;
	d.lines = spec->lines;
	r = tiervm_resolve(spec, &d);
	if (r)
		fragment = tiervm_kconfig_fragment(spec, r->hmat);
	else
		diag_finish(&d, errp);
	sbuf_free(&d.text);
	tiervm_resolved_free(r);
	tiervm_spec_free(spec);
	return fragment;
}
