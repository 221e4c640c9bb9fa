// SPDX-License-Identifier: LGPL-2.1-or-later
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "units.h"

static void test_sizes(void **state)
{
	static const struct {
		const char *in;
		uint64_t out;
	} ok[] = {
		{ "0", 0 },
		{ "4096", 4096 },
		{ "512M", 512 * MiB },
		{ "1.5G", 3 * GiB / 2 },
		{ "2GiB", 2 * GiB },
		{ "128K", 128 * KiB },
		{ "1T", TiB },
		{ "0.5K", 512 },
	};
	static const char *const bad[] = { "",	       "G",
					   "1X",       "0.3K",
					   "1.",       "-1",
					   "1 G",      "99999999999999999999",
					   "20000000T" };
	tiervm_error *err = NULL;
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_true(tiervm_parse_size(ok[i].in, &v, NULL));
		assert_int_equal(v, ok[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(tiervm_parse_size(bad[i], &v, &err));
		assert_non_null(err);
		assert_int_equal(err->code, TIERVM_E_INPUT);
		tiervm_error_free(err);
		err = NULL;
	}
}

static void test_latency(void **state)
{
	uint64_t v;

	(void)state;
	assert_true(tiervm_parse_latency("60", &v, NULL));
	assert_int_equal(v, 60);
	assert_true(tiervm_parse_latency("250ns", &v, NULL));
	assert_int_equal(v, 250);
	assert_false(tiervm_parse_latency("ns", &v, NULL));
	assert_false(tiervm_parse_latency("60us", &v, NULL));
}

static void test_cpulist(void **state)
{
	struct tiervm_cpuset s;
	char *out;

	(void)state;
	assert_true(tiervm_parse_cpulist("0-3,6", &s, NULL));
	assert_int_equal(cpuset_count(&s), 5);
	assert_true(cpuset_test(&s, 6));
	assert_false(cpuset_test(&s, 4));
	out = tiervm_format_cpulist(&s);
	assert_string_equal(out, "0-3,6");
	free(out);
	assert_false(tiervm_parse_cpulist("3-1", &s, NULL));
	assert_false(tiervm_parse_cpulist("1,,2", &s, NULL));
	assert_false(tiervm_parse_cpulist("a", &s, NULL));
	assert_false(tiervm_parse_cpulist("5000", &s, NULL));
}

static void test_format_size(void **state)
{
	char *s;

	(void)state;
	s = tiervm_format_size(2 * GiB);
	assert_string_equal(s, "2G");
	free(s);
	s = tiervm_format_size(GiB + 128 * KiB);
	assert_string_equal(s, "1048704K");
	free(s);
	s = tiervm_format_size(1000);
	assert_string_equal(s, "1000");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_latency),
		cmocka_unit_test(test_cpulist),
		cmocka_unit_test(test_format_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
