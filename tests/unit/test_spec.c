// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Every validation rule has a spec under tests/specs/bad whose first line
 * is the one line its error must be ("# expect: LINE: KEY: message", the
 * file name before it); every example spec must pass.
 */
#include <dirent.h>
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
#include <json-c/json.h>

#include "spec.h"
#include "spec_diag.h"
#include "spec_resolve.h"
#include "util.h"

static const char *bad_dir, *examples_dir;

static char *expectation(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "re");

	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_int_equal(strncmp(line, "# expect: ", 10), 0);
	line[strcspn(line, "\n")] = '\0';
	return xstrdup(line + 10);
}

static void test_bad_specs(void **state)
{
	DIR *d = opendir(bad_dir);
	struct dirent *de;
	unsigned n = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d))) {
		char *path, *want, *full;
		tiervm_error *err = NULL;
		struct tiervm_spec *s;

		if (!strstr(de->d_name, ".yaml"))
			continue;
		path = xasprintf("%s/%s", bad_dir, de->d_name);
		want = expectation(path);
		s = tiervm_spec_parse(path, &err);
		if (s || !err) {
			fail_msg("%s: accepted, expected '%s'", de->d_name,
				 want);
		}
		assert_int_equal(err->code, TIERVM_E_INPUT);
		/*
		 * The whole message, exactly: "FILE:LINE: KEY: what", the
		 * value's own line and its full key, one line for one mistake
		 */
		full = xasprintf("%s:%s", path, want);
		if (strcmp(err->msg, full))
			fail_msg("%s:\n  want: %s\n  got:  %s", de->d_name,
				 full, err->msg);
		free(full);
		free(want);
		free(path);
		tiervm_error_free(err);
		n++;
	}
	closedir(d);
	assert_true(n >= 30);
}

static void test_examples_valid(void **state)
{
	DIR *d = opendir(examples_dir);
	struct dirent *de;
	unsigned n = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d))) {
		tiervm_error *err = NULL;
		struct tiervm_spec *s;
		char *path;

		if (!strstr(de->d_name, ".yaml"))
			continue;
		path = xasprintf("%s/%s", examples_dir, de->d_name);
		s = tiervm_spec_parse(path, &err);
		if (!s)
			fail_msg("%s: %s", de->d_name, err->msg);
		tiervm_spec_free(s);
		free(path);
		n++;
	}
	closedir(d);
	assert_true(n >= 6);
}

/* All mistakes in one run, in file order of discovery. */
static void test_all_errors_at_once(void **state)
{
	static const char text[] =
		"name: x\n"
		"machine: {cpus: 2}\n"
		"nodes:\n"
		"  - {id: 0, cpus: 0-1, memory: 1G, kind: hmb}\n"
		"  - {id: 1, memory: 2X, colour: red}\n";
	tiervm_error *err = NULL;
	struct tiervm_spec *s;

	(void)state;
	s = tiervm_spec_parse_string("t.yaml", text, sizeof(text) - 1, true,
				     &err);
	assert_null(s);
	assert_non_null(strstr(err->msg, "t.yaml:4: nodes[0].kind: 'hmb'"));
	assert_non_null(
		strstr(err->msg, "t.yaml:5: nodes[1].colour: unknown key"));
	assert_non_null(strstr(err->msg, "t.yaml:5: nodes[1].memory: '2X'"));
	tiervm_error_free(err);
}

static void test_defaults(void **state)
{
	static const char text[] =
		"name: x\n"
		"machine: {cpus: 4}\n"
		"nodes:\n"
		"  - {id: 0, cpus: 0-3, memory: 1.5G}\n"
		"nvdimms:\n"
		"  - {id: nv0, size: 1G, path: /nonexistent/nv0}\n";
	tiervm_error *err = NULL;
	struct tiervm_spec *s;

	(void)state;
	s = tiervm_spec_parse_string("t.yaml", text, sizeof(text) - 1, true,
				     &err);
	assert_non_null(s);
	assert_false(s->machine.pc);
	assert_int_equal(s->nodes[0].memory, 1536ULL << 20);
	assert_int_equal(s->nodes[0].kind, TIERVM_KIND_DRAM);
	assert_int_equal(s->nvdimms[0].label_size, 128 << 10);
	assert_int_equal(s->nvdimms[0].mode, TIERVM_NV_RAW);
	assert_string_equal(s->guest.kernel, "auto");
	tiervm_spec_free(s);
}

/*
 * Defaults follow what the spec says: the KNL case of a cpu-less MCDRAM
 * node with only its own DDR node's distance and hmat figure given.
 */
static void test_defaults_follow_spec(void **state)
{
	static const char knl[] =
		"name: knl\n"
		"machine: {cpus: 2, sockets: 2}\n"
		"nodes:\n"
		"  - {id: 0, cpus: 0, memory: 512M}\n"
		"  - {id: 1, cpus: 1, memory: 512M}\n"
		"  - {id: 2, memory: 256M, kind: hbm}\n"
		"  - {id: 3, memory: 256M, kind: hbm}\n"
		"distances: [[0, 2, 31], [1, 3, 31]]\n"
		"hmat:\n"
		"  - {initiator: 0, target: 2, latency: 150, bandwidth: 90G}\n"
		"  - {initiator: 1, target: 3, latency: 150, bandwidth: 90G}\n";
	static const char contradiction[] =
		"name: c\n"
		"machine: {cpus: 2, sockets: 2}\n"
		"nodes:\n"
		"  - {id: 0, cpus: 0, memory: 512M}\n"
		"  - {id: 1, cpus: 1, memory: 512M}\n"
		"  - {id: 2, memory: 256M}\n"
		"distances: [[0, 2, 30], [1, 2, 15]]\n"
		"hmat:\n"
		"  - {initiator: 0, target: 2, latency: 100}\n";
	struct tiervm_diags d = { .file = "t" }, warn = { .file = "t" };
	tiervm_error *err = NULL;
	struct tiervm_resolved *r;
	struct tiervm_spec *s;

	(void)state;
	s = tiervm_spec_parse_string("knl.yaml", knl, sizeof(knl) - 1, true,
				     &err);
	assert_non_null(s);
	r = tiervm_resolve_with_host(s, NULL, &d, &warn);
	assert_non_null(r);
	assert_int_equal(d.count + warn.count, 0);
	/* its own DDR node initiates, and is nearer than the other */
	assert_int_equal(r->initiator[2], 0);
	assert_int_equal(r->initiator[3], 1);
	assert_true(r->dist[2 * 4 + 1] > r->dist[2 * 4 + 0]);
	/* no derived figure beats the one the spec gives */
	assert_true(tiervm_resolved_lb(r, 1, 2)->latency >= 150);
	assert_true(tiervm_resolved_lb(r, 1, 2)->bandwidth <= 90ULL << 30);
	assert_int_equal(tiervm_resolved_lb(r, 0, 2)->latency, 150);
	tiervm_resolved_free(r);
	tiervm_spec_free(s);

	s = tiervm_spec_parse_string("c.yaml", contradiction,
				     sizeof(contradiction) - 1, true, &err);
	assert_non_null(s);
	r = tiervm_resolve_with_host(s, NULL, &d, &warn);
	assert_non_null(r);
	assert_int_equal(warn.count, 1);
	assert_non_null(strstr(
		warn.text.s,
		"t:9: hmat[0].initiator: node 2's best figures are from node 0, but distances (line 7) make node 1 nearer"));
	sbuf_free(&warn.text);
	tiervm_resolved_free(r);
	tiervm_spec_free(s);
}

/*
 * An entry from `tiervm attach` joins the spec the guest started with: the
 * spec's rules apply across both, and problems name the command line.
 */
static void test_with_item(void **state)
{
	static const char text[] =
		"name: x\n"
		"machine: {cpus: 2}\n"
		"nodes:\n"
		"  - {id: 0, cpus: 0-1, memory: 1G}\n"
		"  - {id: 1, memory: 0}\n"
		"nvdimms:\n"
		"  - {id: nv0, node: 1, size: 1G, path: nv0.img}\n";
	char *good[] = { "id=nv1", "node=1", "size=512M", "path=/v/nv1.img",
			 "mode=kmem" };
	char *dup[] = { "id=nv0", "node=1", "size=512M", "path=nv0.img" };
	char *junk[] = { "id=nv1", "size", "colour=red" };
	tiervm_error *err = NULL;
	struct tiervm_spec *s;

	(void)state;
	s = tiervm_spec_parse_with_item("/d/t.yaml", text, sizeof(text) - 1,
					"nvdimms", good, 5, "args", &err);
	assert_non_null(s);
	assert_int_equal(s->n_nvdimms, 2);
	assert_string_equal(s->nvdimms[1].id, "nv1");
	assert_int_equal(s->nvdimms[1].size, 512ULL << 20);
	assert_int_equal(s->nvdimms[1].mode, TIERVM_NV_KMEM);
	assert_string_equal(s->nvdimms[0].path, "/d/nv0.img");
	tiervm_spec_free(s);

	s = tiervm_spec_parse_with_item("/d/t.yaml", text, sizeof(text) - 1,
					"nvdimms", dup, 4, "args", &err);
	assert_null(s);
	assert_non_null(strstr(err->msg, "args: nvdimms[1].id: 'nv0'"));
	assert_non_null(strstr(err->msg, "args: nvdimms[1].path:"));
	assert_null(strstr(err->msg, "t.yaml"));
	tiervm_error_free(err);
	err = NULL;

	/* a spec without the list gets one: the text up to "nvdimms:" */
	s = tiervm_spec_parse_with_item(
		"/d/t.yaml", text, (size_t)(strstr(text, "nvdimms") - text),
		"nvdimms", junk, 3, "args", &err);
	assert_null(s);
	assert_non_null(strstr(err->msg, "args: size: expected KEY=VALUE"));
	assert_non_null(strstr(err->msg, "args: nvdimms[0].colour: unknown"));
	tiervm_error_free(err);
}

/*
 * Input that once hung tiervm: a device, a FIFO, a file past the size
 * limit, nesting 100,000 deep (minutes under libyaml's loader: here it
 * is refused at its first line; meson's timeout catches a regression).
 */
static void test_hostile_input(void **state)
{
	char dir[] = "/tmp/tiervm-test-XXXXXX", *fifo, *big, *deep;
	tiervm_error *err = NULL;
	struct sbuf text = { 0 };
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_null(tiervm_spec_parse("/dev/zero", &err));
	assert_non_null(strstr(err->msg, "/dev/zero: not a regular file"));
	tiervm_error_free(err);
	err = NULL;

	fifo = xasprintf("%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_null(tiervm_spec_parse(fifo, &err));
	assert_non_null(strstr(err->msg, "not a regular file"));
	tiervm_error_free(err);
	err = NULL;

	big = xasprintf("%s/big.yaml", dir);
	assert_int_equal(truncate(big, 0) == 0 || errno == ENOENT, 1);
	f = fopen(big, "w");
	assert_int_equal(ftruncate(fileno(f), TIERVM_SPEC_MAX_BYTES + 1), 0);
	fclose(f);
	assert_null(tiervm_spec_parse(big, &err));
	assert_non_null(strstr(err->msg, "a spec is at most"));
	tiervm_error_free(err);
	err = NULL;

	deep = xasprintf("%s/deep.yaml", dir);
	sbuf_addf(&text, "name: deep\nnodes: ");
	for (int i = 0; i < 100000; i++)
		sbuf_add(&text, "[", 1);
	for (int i = 0; i < 100000; i++)
		sbuf_add(&text, "]", 1);
	f = fopen(deep, "w");
	fputs(text.s, f);
	fclose(f);
	/* refused at its first deep line: the loader never ran */
	assert_null(tiervm_spec_parse(deep, &err));
	assert_non_null(strstr(err->msg, "deep.yaml:2: (nesting): more than"));
	tiervm_error_free(err);

	unlink(fifo);
	unlink(big);
	unlink(deep);
	rmdir(dir);
	free(fifo);
	free(big);
	free(deep);
	sbuf_free(&text);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_examples_valid),
		cmocka_unit_test(test_all_errors_at_once),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_defaults_follow_spec),
		cmocka_unit_test(test_with_item),
		cmocka_unit_test(test_hostile_input),
	};

	if (argc != 3) {
		fprintf(stderr, "usage: %s BAD_SPEC_DIR EXAMPLES_DIR\n",
			argv[0]);
		return 2;
	}
	bad_dir = argv[1];
	examples_dir = argv[2];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
