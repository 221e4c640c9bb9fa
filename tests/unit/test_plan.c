// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Planning output for every example against a golden file: the QEMU argv,
 * the kernel arguments and the expected guest view.  The QEMU is a fixed
 * 7.2 description so that the output does not depend on the machine.
 * An example that binds by kind is planned on a one-node DRAM host made
 * here (tiervm plans a host binding only against a host).
 * TIERVM_REGENERATE=1 rewrites the golden files; review the diff.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "host.h"
#include "plan.h"
#include "verify.h"
#include "util.h"

static const char *examples_dir, *golden_dir;

static char *render(const struct tiervm_plan *p)
{
	struct sbuf b = { 0 };

	for (size_t i = 0; i < p->argv.n; i++)
		sbuf_addf(&b, "%s\n", p->argv.v[i]);
	sbuf_addf(&b, "-- kernel arguments\n");
	for (size_t i = 0; i < p->kernel_args.n; i++)
		sbuf_addf(&b, "%s\n", p->kernel_args.v[i]);
	sbuf_addf(&b, "-- expected\n%s\n",
		  json_object_to_json_string_ext(
			  p->expected, JSON_C_TO_STRING_PRETTY |
					       JSON_C_TO_STRING_NOSLASHESCAPE));
	return b.s;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	struct sbuf b = { 0 };
	char buf[4096];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf) - 1, f)) > 0) {
		buf[n] = '\0';
		sbuf_addf(&b, "%s", buf);
	}
	fclose(f);
	return b.s ? b.s : xstrdup("");
}

static void put(const char *root, const char *rel, const char *text)
{
	char *path = xasprintf("%s/sys/devices/system/node/%s", root, rel);
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

/* node0: cpus 0-1, 8 GiB, no HMAT: DRAM by its cpus. */
static struct tiervm_host *one_node_host(void)
{
	char root[] = "/tmp/tiervm-test-plan-XXXXXX", *cmd;
	struct tiervm_host *h;
	tiervm_error *err = NULL;

	assert_non_null(mkdtemp(root));
	cmd = xasprintf("mkdir -p '%s/sys/devices/system/node/node0'", root);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	put(root, "online", "0\n");
	put(root, "possible", "0\n");
	put(root, "has_cpu", "0\n");
	put(root, "has_memory", "0\n");
	put(root, "node0/cpulist", "0-1\n");
	put(root, "node0/distance", "10\n");
	put(root, "node0/meminfo",
	    "Node 0 MemTotal:        8388608 kB\nNode 0 MemFree:         8000000 kB\n");
	h = tiervm_host_discover(root, &err);
	cmd = xasprintf("rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	if (!h)
		fail_msg("the one-node host: %s", err->msg);
	return h;
}

static void test_examples_golden(void **state)
{
	struct tiervm_qemu_caps caps = {
		.binary = "qemu-system-x86_64",
		.major = 7,
		.minor = 2,
		.machine_q35 = true,
		.machine_pc = true,
		.vmem_unplugged_inaccessible = true,
	};
	bool regen = getenv("TIERVM_REGENERATE") != NULL;
	DIR *d = opendir(examples_dir);
	struct dirent *de;
	unsigned n = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d))) {
		char *path, *gpath, *out, *want;
		tiervm_error *err = NULL;
		struct tiervm_spec *s;
		struct tiervm_plan *p;

		if (!strstr(de->d_name, ".yaml"))
			continue;
		path = xasprintf("%s/%s", examples_dir, de->d_name);
		gpath = xasprintf("%s/%.*s.plan", golden_dir,
				  (int)(strlen(de->d_name) - 5), de->d_name);
		s = tiervm_spec_parse(path, &err);
		if (!s)
			fail_msg("%s: %s", de->d_name, err->msg);
		p = tiervm_plan_build(s, &caps, NULL, &err);
		if (!p && strstr(err->msg, "host.kind")) {
			struct tiervm_host *h = one_node_host();

			tiervm_error_free(err);
			err = NULL;
			p = tiervm_plan_build(s, &caps, h, &err);
			tiervm_host_free(h);
		}
		if (!p)
			fail_msg("%s: %s", de->d_name, err->msg);
		out = render(p);
		if (regen) {
			FILE *f = fopen(gpath, "we");

			assert_non_null(f);
			fputs(out, f);
			fclose(f);
		}
		want = slurp(gpath);
		if (!want)
			fail_msg("%s missing: run with TIERVM_REGENERATE=1",
				 gpath);
		if (strcmp(want, out))
			fail_msg("%s differs from %s:\n%s", de->d_name, gpath,
				 out);
		free(want);
		free(out);
		tiervm_plan_free(p);
		tiervm_spec_free(s);
		free(gpath);
		free(path);
		n++;
	}
	closedir(d);
	assert_true(n >= 6);
}

/* @text planned for a QEMU 7.2 with q35; the plan owns its spec. */
static struct tiervm_plan *plan_text(const char *text, size_t len)
{
	static const struct tiervm_qemu_caps caps = {
		.binary = "qemu", .major = 7, .minor = 2, .machine_q35 = true
	};
	tiervm_error *err = NULL;
	struct tiervm_spec *s =
		tiervm_spec_parse_string("t.yaml", text, len, true, &err);
	struct tiervm_plan *p;

	assert_non_null(s);
	p = tiervm_plan_build(s, &caps, NULL, &err);
	assert_non_null(p);
	p->own_spec = true;
	return p;
}

/* The figures users get wrong by hand, checked by value. */
static void test_computed(void **state)
{
	static const char text[] =
		"name: t\n"
		"machine: {cpus: 2}\n"
		"nodes:\n"
		"  - {id: 0, cpus: 0-1, memory: 1G}\n"
		"  - {id: 1, memory: 512M, kind: cxl}\n"
		"distances: [[0, 1, 20]]\n"
		"caches: [{node: 1, level: 1, size: 16M}]\n"
		"nvdimms: [{id: nv0, node: 0, size: 1G, path: /nonexistent/nv.img}]\n"
		"virtio-mem: [{id: vm0, node: 1, size: 2G, requested: 128M}]\n"
		"cxl: [{id: c0, size: 512M}]\n";
	struct tiervm_plan *p = plan_text(text, sizeof(text) - 1);
	bool slots = false, init = false, nv = false, fmw = false, lb = false;

	(void)state;
	for (size_t i = 0; i < p->argv.n; i++) {
		const char *a = p->argv.v[i];

		/* ram 1.5G; maxmem adds the NVDIMM with its 128K label and vm0 */
		slots |= !strcmp(a, "1536M,slots=1,maxmem=4718720K");
		init |= !strcmp(
			a, "node,nodeid=1,memdev=tiervm-node1,initiator=0");
		nv |= strstr(a, "mem-path=/nonexistent/nv.img,size=1048704K") !=
		      NULL;
		fmw |= strstr(a, "cxl-fmw.0.size=512M") != NULL;
		lb |= !strcmp(
			a,
			"hmat-lb,initiator=0,target=1,hierarchy=memory,data-type=access-latency,latency=250");
	}
	assert_true(slots);
	assert_true(init);
	assert_true(nv);
	assert_true(fmw);
	assert_true(lb);
	{
		bool memhp = false, mitigations = false;

		for (size_t i = 0; i < p->kernel_args.n; i++) {
			memhp |= !strcmp(p->kernel_args.v[i],
					 "memhp_default_state=online_movable");
			mitigations |=
				!strcmp(p->kernel_args.v[i], "mitigations=off");
		}
		assert_true(memhp);
		/* TCG does not speculate: the mitigations are only cost */
		assert_string_equal(p->accel, "tcg");
		assert_true(mitigations);
	}
	tiervm_plan_free(p);
}

/* The verdict on the count of online nodes for a made-up report. */
static const char *online_verdict(const struct tiervm_plan *p,
				  unsigned guest_nodes)
{
	json_object *rep = json_object_new_object(),
		    *guest = json_object_new_object(),
		    *nodes = json_object_new_array();
	struct tiervm_verdict v;
	static char verdict[8];

	for (unsigned i = 0; i < guest_nodes; i++) {
		json_object *n = json_object_new_object();

		json_object_object_add(n, "id", json_object_new_int((int)i));
		json_object_object_add(n, "cpus",
				       json_object_new_string(i ? "" : "0"));
		json_object_object_add(n, "memory",
				       json_object_new_int64(512LL << 20));
		json_object_array_add(nodes, n);
	}
	json_object_object_add(guest, "nodes", nodes);
	json_object_object_add(rep, "guest", guest);
	json_object_object_add(rep, "kernel",
			       json_object_new_string("6.1.0-13-amd64"));
	tiervm_verify(p, rep, &v);
	verdict[0] = '\0';
	for (size_t i = 0; i < json_object_array_length(v.rows); i++) {
		json_object *r = json_object_array_get_idx(v.rows, i), *w;

		json_object_object_get_ex(r, "what", &w);
		if (!strcmp(json_object_get_string(w), "NUMA nodes online")) {
			json_object_object_get_ex(r, "verdict", &w);
			snprintf(verdict, sizeof(verdict), "%s",
				 json_object_get_string(w));
		}
	}
	tiervm_verdict_clear(&v);
	json_object_put(rep);
	return verdict;
}

/* A guest with more nodes than the spec is as wrong as one with fewer. */
static void test_verify_exact_count(void **state)
{
	static const char text[] = "name: t\n"
				   "machine: {cpus: 1}\n"
				   "nodes:\n"
				   "  - {id: 0, cpus: 0, memory: 512M}\n"
				   "  - {id: 1, memory: 512M}\n";
	struct tiervm_plan *p = plan_text(text, sizeof(text) - 1);

	(void)state;
	assert_string_equal(online_verdict(p, 2), "ok");
	assert_string_equal(online_verdict(p, 1), "FAIL");
	assert_string_equal(online_verdict(p, 3), "FAIL");
	tiervm_plan_free(p);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples_golden),
		cmocka_unit_test(test_computed),
		cmocka_unit_test(test_verify_exact_count),
	};

	if (argc != 3) {
		fprintf(stderr, "usage: %s EXAMPLES_DIR GOLDEN_DIR\n", argv[0]);
		return 2;
	}
	examples_dir = argv[1];
	golden_dir = argv[2];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
