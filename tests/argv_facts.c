// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The machine a QEMU command line describes, as facts (sort -u them): nodes (cpus,
 * memory, initiator), distances, HMAT figures and caches, the topology,
 * and memory devices; either option syntax ("type,k=v,...") or QEMU's
 * JSON for -object and -device, so tiervm's own argv and libvirt's
 * translation of tiervm's domain XML compare fact by fact.
 * usage: argv-facts FILE   (one argument per line)
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"
#include "units.h"
#include "util.h"

/* An argument as key/value pairs; the option syntax's first word is
 * "type". */
static json_object *parse(const char *arg)
{
	json_object *o;
	char *copy, *save = NULL;
	bool first = true;

	if (*arg == '{')
		return json_tokener_parse(arg);
	o = json_object_new_object();
	copy = xstrdup(arg);
	for (char *t = strtok_r(copy, ",", &save); t;
	     t = strtok_r(NULL, ",", &save), first = false) {
		char *eq = strchr(t, '=');

		if (!eq) {
			if (first)
				json_object_object_add(
					o, "type", json_object_new_string(t));
			continue;
		}
		*eq = '\0';
		/* repeated keys (cpus=0-1,cpus=4) join as a list */
		if (json_object_object_get(o, t)) {
			char *j =
				xasprintf("%s,%s",
					  json_object_get_string(
						  json_object_object_get(o, t)),
					  eq + 1);

			json_object_object_add(o, t, json_object_new_string(j));
			free(j);
		} else {
			json_object_object_add(o, t,
					       json_object_new_string(eq + 1));
		}
	}
	free(copy);
	return o;
}

static const char *str(json_object *o, const char *k)
{
	json_object *v = json_object_object_get(o, k);

	return v ? json_object_get_string(v) : "";
}

/* A size as bytes, whether JSON's number or the option's "2G". */
static unsigned long long size(json_object *o, const char *k)
{
	json_object *v = json_object_object_get(o, k);
	uint64_t b = 0;

	if (!v)
		return 0;
	if (json_object_get_type(v) == json_type_int)
		return (unsigned long long)json_object_get_int64(v);
	tiervm_parse_size(json_object_get_string(v), &b, NULL);
	return b;
}

int main(int argc, char **argv)
{
	json_object *backends = json_object_new_object();
	struct strv args = { 0 }, facts = { 0 }, dists = { 0 };
	bool slit_default = true;
	struct tiervm_cpuset initiators = { 0 };
	char line[65536];
	FILE *f;

	if (argc != 2 || !(f = fopen(argv[1], "re"))) {
		fprintf(stderr, "usage: argv-facts FILE\n");
		return 2;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		strv_pushf(&args, "%s", line);
	}
	fclose(f);
	for (size_t i = 0; i + 1 < args.n; i++) {
		json_object *o = parse(args.v[i + 1]);

		if (!strcmp(args.v[i], "-object")) {
			json_object_object_add(backends, str(o, "id"), o);
			continue;
		}
		if (!strcmp(args.v[i], "-numa") &&
		    !strcmp(str(o, "type"), "node") && *str(o, "cpus"))
			cpuset_set(&initiators,
				   (unsigned)atoi(str(o, "nodeid")));
		json_object_put(o);
	}
	for (size_t i = 0; i + 1 < args.n; i++) {
		const char *opt = args.v[i];
		json_object *o;

		if (strcmp(opt, "-numa") && strcmp(opt, "-device") &&
		    strcmp(opt, "-smp") && strcmp(opt, "-machine"))
			continue;
		o = parse(args.v[i + 1]);
		if (!strcmp(opt, "-smp")) {
			strv_pushf(&facts, "smp %s sockets=%s cores=%s",
				   str(o, "type"), str(o, "sockets"),
				   str(o, "cores"));
		} else if (!strcmp(opt, "-numa") &&
			   !strcmp(str(o, "type"), "node")) {
			json_object *mem = json_object_object_get(
				backends, str(o, "memdev"));

			strv_pushf(&facts,
				   "node %s cpus=%s memory=%llu initiator=%s",
				   str(o, "nodeid"), str(o, "cpus"),
				   mem ? size(mem, "size") : 0,
				   str(o, "initiator"));
		} else if (!strcmp(opt, "-numa") &&
			   !strcmp(str(o, "type"), "dist")) {
			/* a node's distance to itself is 10, said or not */
			if (strcmp(str(o, "src"), str(o, "dst"))) {
				strv_pushf(&dists, "dist %s %s %s",
					   str(o, "src"), str(o, "dst"),
					   str(o, "val"));
				slit_default &= !strcmp(str(o, "val"), "20");
			}
		} else if (!strcmp(opt, "-numa") &&
			   !strcmp(str(o, "type"), "hmat-lb") &&
			   strcmp(str(o, "initiator"), str(o, "target")) &&
			   cpuset_test(&initiators,
				       (unsigned)atoi(str(o, "target")))) {
			/*
			 * Between two nodes with cpus libvirt has one link, given
			 * once; tiervm gives both directions (equal, or the plan
			 * is refused for libvirt).  Facts of the pair: sort -u.
			 */
			int a = atoi(str(o, "initiator")),
			    b = atoi(str(o, "target"));

			strv_pushf(&facts, "hmat-link %d %d %s %llu",
				   a < b ? a : b, a < b ? b : a,
				   str(o, "data-type"),
				   *str(o, "latency") ? size(o, "latency")
						      : size(o, "bandwidth"));
		} else if (!strcmp(opt, "-numa") &&
			   !strcmp(str(o, "type"), "hmat-lb")) {
			strv_pushf(&facts, "hmat %s %s %s %llu",
				   str(o, "initiator"), str(o, "target"),
				   str(o, "data-type"),
				   *str(o, "latency") ? size(o, "latency")
						      : size(o, "bandwidth"));
		} else if (!strcmp(opt, "-numa") &&
			   !strcmp(str(o, "type"), "hmat-cache")) {
			strv_pushf(
				&facts,
				"cache node=%s level=%s size=%llu %s %s line=%s",
				str(o, "node-id"), str(o, "level"),
				size(o, "size"), str(o, "associativity"),
				str(o, "policy"), str(o, "line"));
		} else if (!strcmp(opt, "-machine")) {
			json_object_object_foreach(o, k, v)
			{
				if (!strncmp(k, "cxl-fmw.", 8))
					strv_pushf(&facts, "machine %s=%s", k,
						   json_object_get_string(v));
			}
		} else if (!strcmp(opt, "-device")) {
			const char *drv = *str(o, "driver") ? str(o, "driver")
							    : str(o, "type");
			json_object *mem = json_object_object_get(
				backends, str(o, "memdev"));

			if (!strcmp(drv, "nvdimm"))
				strv_pushf(
					&facts,
					"nvdimm node=%s file=%llu label=%llu pmem=%s align=%llu unarmed=%s",
					str(o, "node"),
					mem ? size(mem, "size") : 0,
					size(o, "label-size"),
					mem ? str(mem, "pmem") : "",
					mem ? size(mem, "align") : 0,
					str(o, "unarmed"));
			else if (!strcmp(drv, "pxb-cxl") ||
				 !strcmp(drv, "cxl-rp") ||
				 !strcmp(drv, "cxl-upstream") ||
				 !strcmp(drv, "cxl-downstream"))
				strv_pushf(&facts,
					   "%s id=%s bus=%s bus_nr=%s port=%s",
					   drv, str(o, "id"), str(o, "bus"),
					   str(o, "bus_nr"), str(o, "port"));
			else if (!strcmp(drv, "cxl-type3")) {
				const char *m =
					*str(o, "volatile-memdev")
						? str(o, "volatile-memdev")
					: *str(o, "persistent-memdev")
						? str(o, "persistent-memdev")
						: str(o, "memdev");
				json_object *b = json_object_object_get(
						    backends, m),
					    *lsa = json_object_object_get(
						    backends, str(o, "lsa"));

				strv_pushf(
					&facts,
					"cxl-type3 id=%s bus=%s sn=%s volatile=%d memory=%llu lsa=%llu",
					str(o, "id"), str(o, "bus"),
					str(o, "sn"),
					*str(o, "volatile-memdev") != '\0',
					b ? size(b, "size") : 0,
					lsa ? size(lsa, "size") : 0);
			} else if (!strcmp(drv, "virtio-mem-pci"))
				strv_pushf(
					&facts,
					"virtio-mem node=%s size=%llu block=%llu requested=%llu",
					str(o, "node"),
					mem ? size(mem, "size") : 0,
					/* QEMU's x86 default when not given */
					size(o, "block-size")
						? size(o, "block-size")
						: (unsigned long long)
							  TIERVM_VMEM_DEFAULT_BLOCK,
					size(o, "requested-size"));
		}
		json_object_put(o);
	}
	/* a SLIT of 20s and no SLIT mean the same to Linux */
	for (size_t i = 0; !slit_default && i < dists.n; i++)
		puts(dists.v[i]);
	for (size_t i = 0; i < facts.n; i++)
		puts(facts.v[i]);
	json_object_put(backends);
	return 0;
}
