// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A user kernel's build options, read from its config: the release comes
 * from the bzImage setup header, the config from beside the image or from
 * the build tree the image sits in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "image_kconfig.h"
#include "util.h"

static char dir[] = "/tmp/tiervm-kconfig-XXXXXX";

static void put(const char *path, long off, const void *bytes, size_t len)
{
	FILE *f = fopen(path, "r+b");

	if (!f)
		f = fopen(path, "w+b");
	assert_non_null(f);
	fseek(f, off, SEEK_SET);
	fwrite(bytes, 1, len, f);
	fclose(f);
}

/* A file with just an x86 setup header naming @release. */
static char *image(const char *sub, const char *name, const char *release)
{
	char *path = sub ? xasprintf("%s/%s/%s", dir, sub, name)
			 : xasprintf("%s/%s", dir, name);
	static const unsigned char hdr[] = { 'H', 'd', 'r', 'S', 0x0f, 0x02 };
	static const unsigned char off[] = { 0x00, 0x01 }; /* 0x100 + 0x200 */
	char zero[1024] = { 0 };

	put(path, 0, zero, sizeof(zero));
	put(path, 0x202, hdr, sizeof(hdr));
	put(path, 0x20e, off, sizeof(off));
	put(path, 0x300, release, strlen(release));
	return path;
}

static void test_release(void **state)
{
	char *k = image(NULL, "vmlinuz", "6.9.0-t1 (builder@host) #1 SMP");
	char *r = tiervm_kernel_release(k);

	(void)state;
	assert_string_equal(r, "6.9.0-t1");
	free(r);
	put(k, 0x202, "HdrX", 4); /* not a bzImage */
	assert_null(tiervm_kernel_release(k));
	free(k);
}

static void test_config_beside(void **state)
{
	char *k = image(NULL, "vmlinuz-6.9.0-t2", "6.9.0-t2 #1");
	char *cfg = xasprintf("%s/config-6.9.0-t2", dir), *found = NULL;
	static const char text[] = "CONFIG_EFI_FAKE_MEMMAP_X=y\n"
				   "CONFIG_EFI_FAKE_MEMMAP=m\n";

	(void)state;
	assert_int_equal(
		tiervm_kernel_option(k, "CONFIG_EFI_FAKE_MEMMAP", &found),
		TIERVM_KOPT_UNKNOWN);
	assert_null(found);
	/* a longer name and a module are not the option built in */
	put(cfg, 0, text, sizeof(text) - 1);
	assert_int_equal(
		tiervm_kernel_option(k, "CONFIG_EFI_FAKE_MEMMAP", &found),
		TIERVM_KOPT_NO);
	assert_string_equal(found, cfg);
	free(found);
	free(cfg);
	free(k);
}

static void test_build_tree(void **state)
{
	char *sub = xasprintf("%s/linux/arch/x86/boot", dir);
	char *mk = xasprintf("mkdir -p %s", sub), *k, *cfg;

	(void)state;
	assert_int_equal(system(mk), 0);
	k = image("linux/arch/x86/boot", "bzImage", "6.9.0-t3 #1");
	cfg = xasprintf("%s/linux/.config", dir);
	put(cfg, 0, "CONFIG_EFI_FAKE_MEMMAP=y\n", 25);
	assert_int_equal(
		tiervm_kernel_option(k, "CONFIG_EFI_FAKE_MEMMAP", NULL),
		TIERVM_KOPT_YES);
	free(cfg);
	free(k);
	free(mk);
	free(sub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_config_beside),
		cmocka_unit_test(test_build_tree),
	};
	char *rm;
	int rc;

	if (!mkdtemp(dir))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rm = xasprintf("rm -rf %s", dir);
	if (system(rm) != 0)
		rc = 1;
	free(rm);
	return rc;
}
