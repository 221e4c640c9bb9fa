// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Host discovery on broken trees: truncated, empty and garbage files,
 * missing directories, symlink loops.  Each must give "unknown" with a
 * reason, never a crash or a made-up value (run under ASan and UBSan).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "host.h"
#include "util.h"

static char root[] = "/tmp/tiervm-test-host-XXXXXX";

static void put(const char *rel, const char *content)
{
	char *path = xasprintf("%s/%s", root, rel);
	char *dir = xstrdup(path), *cmd;
	FILE *f;

	*strrchr(dir, '/') = '\0';
	cmd = xasprintf("mkdir -p '%s'", dir);
	assert_int_equal(system(cmd), 0);
	f = fopen(path, "we");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	free(cmd);
	free(dir);
	free(path);
}

static void link_to(const char *target, const char *rel)
{
	char *path = xasprintf("%s/%s", root, rel);

	assert_int_equal(symlink(target, path), 0);
	free(path);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(root))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", root);

	(void)state;
	if (system(cmd) != 0)
		return -1;
	free(cmd);
	return 0;
}

static void test_empty_root(void **state)
{
	tiervm_error *err = NULL;
	struct tiervm_host *h = tiervm_host_discover(root, &err);

	(void)state;
	assert_non_null(h);
	assert_int_equal(h->n_nodes, 0);
	assert_non_null(strstr(h->notes, "no NUMA information"));
	tiervm_host_free(h);
}

static void test_missing_root(void **state)
{
	tiervm_error *err = NULL;

	(void)state;
	assert_null(tiervm_host_discover("/nonexistent/tiervm", &err));
	assert_non_null(err);
	tiervm_error_free(err);
}

static void test_broken_files(void **state)
{
	const struct tiervm_host_node *n0, *n1, *n2;
	tiervm_error *err = NULL;
	struct tiervm_host *h;
	json_object *j;

	(void)state;
	/* node0: fine but for a truncated distance row and garbage HMAT */
	put("sys/devices/system/node/node0/cpulist", "0-1\n");
	put("sys/devices/system/node/node0/meminfo",
	    "Node 0 MemTotal:  1048576 kB\n");
	put("sys/devices/system/node/node0/distance", "10\n");
	put("sys/devices/system/node/node0/access0/initiators/read_latency",
	    "fast\n");
	put("sys/devices/system/node/node0/access0/initiators/read_bandwidth",
	    "");
	/* node1: empty files everywhere */
	put("sys/devices/system/node/node1/cpulist", "");
	put("sys/devices/system/node/node1/meminfo", "");
	put("sys/devices/system/node/node1/distance", "");
	/* node2: garbage, and a cache with no size */
	put("sys/devices/system/node/node2/cpulist", "0-x\n");
	put("sys/devices/system/node/node2/meminfo", "MemTotal: lots\n");
	put("sys/devices/system/node/node2/distance", "10 20 99999\n");
	put("sys/devices/system/node/node2/memory_side_cache/index1/line_size",
	    "64\n");
	/* a node directory that is not a node, a dax loop, bad tiers */
	put("sys/devices/system/node/nodeX/cpulist", "0\n");
	put("sys/devices/virtual/memory_tiering/memory_tier4/nodelist",
	    "garbage\n");
	put("sys/bus/dax/devices/.keep", "");
	link_to("dax0.0", "sys/bus/dax/devices/dax0.0");
	put("proc/iomem",
	    "not iomem\n100000000-17fffffff : System RAM\n  zzz-\n");

	h = tiervm_host_discover(root, &err);
	assert_non_null(h);
	assert_int_equal(h->n_nodes, 3);
	n0 = tiervm_host_node(h, 0);
	n1 = tiervm_host_node(h, 1);
	n2 = tiervm_host_node(h, 2);
	assert_non_null(n0);
	assert_non_null(n1);
	assert_non_null(n2);
	assert_true(n0->memory_known);
	assert_int_equal(n0->memory, 1048576ULL * 1024);
	assert_null(n0->distance); /* 1 value for 3 nodes: not trusted */
	assert_int_equal(n0->access[0].read_latency, UINT64_MAX);
	assert_int_equal(n0->access[0].read_bandwidth, UINT64_MAX);
	assert_false(n1->has_cpus);
	assert_false(n1->memory_known);
	assert_false(n2->memory_known);
	assert_int_equal(n2->kind, TIERVM_HOST_UNKNOWN);
	assert_non_null(n2->evidence);
	assert_true(n2->caches[1].present);
	assert_int_equal(n2->caches[1].size, UINT64_MAX);
	assert_non_null(strstr(h->notes, "node2/cpulist: '0-x' is malformed"));
	assert_non_null(strstr(h->notes, "node1/meminfo: no MemTotal"));
	assert_int_equal(h->n_iomem, 1);
	/* the loop is listed, its files unreadable, nothing invented */
	assert_int_equal(h->n_dax, 2);
	j = tiervm_host_to_json(h);
	assert_non_null(j);
	json_object_put(j);
	tiervm_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_root),
		cmocka_unit_test(test_missing_root),
		cmocka_unit_test(test_broken_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
