// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `tiervm spec --from` by value, under ASan and UBSan: hwloc's XML read
 * into an inventory (cpus owned by the nearest node, memory attributes as
 * the best initiators' figures, caches, packages), and the spec made from
 * it (renumbering, scaling, sockets, HMAT, caches) and what it refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "host.h"
#include "spec_generate.h"
#include "util.h"

/*
 * Two packages; node 0 (DRAM) and node 5 (MCDRAM, cpu-less, behind a
 * memory-side cache) share package 0's cpuset, as hwloc writes them;
 * node 2 (DRAM) has package 1.  Node 5 is fastest from node 0's cpus.
 */
static const char xml[] =
	"<?xml version=\"1.0\"?>\n"
	"<topology version=\"2.0\">\n"
	" <object type=\"Machine\" os_index=\"0\" cpuset=\"0x000000ff\">\n"
	"  <object type=\"Package\" os_index=\"0\" cpuset=\"0x0000000f\">\n"
	"   <object type=\"NUMANode\" os_index=\"0\" gp_index=\"10\" cpuset=\"0x0000000f\" local_memory=\"8589934592\" subtype=\"DRAM\"/>\n"
	"   <object type=\"MemCache\" depth=\"1\" cache_size=\"1073741824\" cache_linesize=\"64\" cache_associativity=\"1\" cpuset=\"0x0000000f\">\n"
	"    <object type=\"NUMANode\" os_index=\"5\" gp_index=\"11\" cpuset=\"0x0000000f\" local_memory=\"4294967296\" subtype=\"MCDRAM\"/>\n"
	"   </object>\n"
	"   <object type=\"PU\" os_index=\"0\"/><object type=\"PU\" os_index=\"1\"/>\n"
	"   <object type=\"PU\" os_index=\"2\"/><object type=\"PU\" os_index=\"3\"/>\n"
	"  </object>\n"
	"  <object type=\"Package\" os_index=\"1\" cpuset=\"0x000000f0\">\n"
	"   <object type=\"NUMANode\" os_index=\"2\" gp_index=\"12\" cpuset=\"0x000000f0\" local_memory=\"8589934592\"/>\n"
	"   <object type=\"PU\" os_index=\"4\"/><object type=\"PU\" os_index=\"5\"/>\n"
	"   <object type=\"PU\" os_index=\"6\"/><object type=\"PU\" os_index=\"7\"/>\n"
	"  </object>\n"
	" </object>\n"
	" <distances2 type=\"NUMANode\" nbobjs=\"3\" kind=\"5\" name=\"NUMALatency\" indexing=\"os\">\n"
	"  <indexes length=\"6\">0 2 5 </indexes>\n"
	"  <u64values length=\"27\">10 21 31 21 10 41 31 41 10 </u64values>\n"
	" </distances2>\n"
	" <memattr name=\"Latency\" flags=\"6\">\n"
	"  <memattr_value target_obj_type=\"NUMANode\" target_obj_gp_index=\"11\" value=\"150\" initiator_cpuset=\"0x0000000f\"/>\n"
	"  <memattr_value target_obj_type=\"NUMANode\" target_obj_gp_index=\"11\" value=\"300\" initiator_cpuset=\"0x000000f0\"/>\n"
	" </memattr>\n"
	" <memattr name=\"Bandwidth\" flags=\"5\">\n"
	"  <memattr_value target_obj_type=\"NUMANode\" target_obj_gp_index=\"11\" value=\"102400\" initiator_cpuset=\"0x0000000f\"/>\n"
	" </memattr>\n"
	"</topology>\n";

static char path[] = "/tmp/tiervm-test-generate-XXXXXX.xml";

static struct tiervm_host *read_xml(const char *text)
{
	int fd = mkstemps(path, 4);
	tiervm_error *err = NULL;
	struct tiervm_host *h;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	h = tiervm_host_from_xml(path, &err);
	unlink(path);
	strcpy(path + strlen(path) - 10, "XXXXXX.xml");
	if (!h)
		fail_msg("%s", err->msg);
	return h;
}

static void test_xml_inventory(void **state)
{
	struct tiervm_host *h = read_xml(xml);
	const struct tiervm_host_node *dram = tiervm_host_node(h, 0),
				      *mcdram = tiervm_host_node(h, 5),
				      *far = tiervm_host_node(h, 2);
	char *cpus;

	(void)state;
	assert_int_equal(h->n_nodes, 3);
	/* the DRAM node owns the cpus it shares a cpuset with */
	cpus = tiervm_format_cpulist(&dram->cpus);
	assert_string_equal(cpus, "0-3");
	free(cpus);
	assert_false(mcdram->has_cpus);
	assert_int_equal(mcdram->kind, TIERVM_HOST_HBM);
	assert_int_equal(far->kind, TIERVM_HOST_DRAM);
	assert_int_equal(cpuset_first(&far->packages), 1);
	/* distances by os index, in the inventory's order (0, 2, 5) */
	assert_int_equal(dram->distance[2], 31);
	assert_int_equal(far->distance[2], 41);
	/* the best initiator: node 0's cpus at 150 ns, not node 2's 300 */
	assert_true(mcdram->access[1].present);
	assert_true(cpuset_test(&mcdram->access[1].initiators, 0));
	assert_false(cpuset_test(&mcdram->access[1].initiators, 2));
	assert_int_equal(mcdram->access[1].read_latency, 150);
	assert_int_equal(mcdram->access[1].read_bandwidth, 102400);
	assert_true(mcdram->caches[1].present);
	assert_int_equal(mcdram->caches[1].size, 1073741824);
	assert_int_equal(mcdram->caches[1].indexing, 0);
	tiervm_host_free(h);
}

static char *generate(const struct tiervm_host *h, uint64_t memory,
		      unsigned cpus, tiervm_error **errp)
{
	struct tiervm_generate_opts o = {
		.source = "test.xml",
		.memory = memory,
		.cpus = cpus,
		.name = "t",
	};

	return tiervm_spec_generate(h, &o, errp);
}

static void test_generated_spec(void **state)
{
	struct tiervm_host *h = read_xml(xml);
	tiervm_error *err = NULL;
	char *y = generate(h, 2ull << 30, 4, &err);

	(void)state;
	if (!y)
		fail_msg("%s", err->msg);
	/* 8G, 8G and 4G into 16 blocks of 128M: 6.4, 6.4 and 3.2, each
	 * rounded to the nearest: 768M, 768M and 384M */
	assert_non_null(strstr(y, "  - id: 0                # source node 0\n"
				  "    cpus: 0-1 "));
	assert_non_null(strstr(y, "    memory: 768M "));
	assert_non_null(strstr(y, "  - id: 2                # source node 5\n"
				  "    memory: 384M "));
	assert_non_null(strstr(y, "kind: hbm"));
	/* two sockets, in node order: node 0 and node 1 on their own */
	assert_non_null(strstr(y, "machine: {cpus: 4, sockets: 2}"));
	assert_non_null(strstr(y, "  - [0, 2, 31]\n"));
	assert_non_null(strstr(y, "  - [1, 2, 41]\n"));
	assert_non_null(strstr(
		y,
		"  - {initiator: 0, target: 2, latency: 150, bandwidth: 100G}\n"));
	assert_non_null(strstr(
		y,
		"  - {node: 2, level: 1, size: 1G, associativity: direct, policy: write-back, line: 64}\n"));
	assert_non_null(strstr(
		y,
		"# note: the source does not give the caches' write policy"));
	free(y);
	tiervm_host_free(h);
}

static void test_refusals(void **state)
{
	struct tiervm_host *h = read_xml(xml);
	tiervm_error *err = NULL;

	(void)state;
	assert_null(generate(h, 2ull << 30, 1, &err));
	assert_non_null(
		strstr(err->msg, "--cpus 1 is too few: 2 nodes have cpus"));
	tiervm_error_free(err);
	err = NULL;
	assert_null(generate(h, 256ull << 20, 4, &err));
	assert_non_null(strstr(err->msg, "--memory 256M is too little"));
	tiervm_error_free(err);
	tiervm_host_free(h);
}

/* 129 nodes: more than QEMU allows */
static void test_too_many_nodes(void **state)
{
	struct sbuf b = { 0 };
	struct tiervm_host *h;
	tiervm_error *err = NULL;

	(void)state;
	sbuf_addf(&b, "<topology version=\"2.0\"><object type=\"Machine\">");
	for (unsigned i = 0; i < 129; i++)
		sbuf_addf(
			&b,
			"<object type=\"NUMANode\" os_index=\"%u\" gp_index=\"%u\" local_memory=\"134217728\"/>",
			i, 100 + i);
	sbuf_addf(&b,
		  "<object type=\"PU\" os_index=\"0\"/></object></topology>");
	h = read_xml(b.s);
	sbuf_free(&b);
	assert_null(generate(h, 0, 0, &err));
	assert_non_null(strstr(err->msg, "129 NUMA nodes; QEMU allows 128"));
	tiervm_error_free(err);
	tiervm_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xml_inventory),
		cmocka_unit_test(test_generated_spec),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_too_many_nodes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
