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

#include <zlib.h>

#include "image_kconfig.h"
#include "kernel.h"
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
	/* a longer name is not the option; =m is a module */
	put(cfg, 0, text, sizeof(text) - 1);
	assert_int_equal(
		tiervm_kernel_option(k, "CONFIG_EFI_FAKE_MEMMAP", &found),
		TIERVM_KOPT_MODULE);
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

static void sh(const char *fmt, const char *arg)
{
	char *cmd = xasprintf(fmt, dir, arg);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/*
 * A whole bzImage as the kernel's build writes it: one setup sector after
 * the boot sector, @paras 16-byte paragraphs of payload, and the CRC-32
 * of everything before it in the last 4 bytes.
 */
static char *whole(const char *sub, const char *release, unsigned paras)
{
	char *path = image(sub, "bzImage", release);
	size_t size = 1024 + 16u * paras;
	unsigned char *buf = calloc(1, size), le[4];
	FILE *f = fopen(path, "rb");
	uint32_t crc;

	assert_non_null(f);
	assert_int_equal(fread(buf, 1, 1024, f), 1024);
	fclose(f);
	buf[0x1f1] = 1;
	buf[0x1f4] = (unsigned char)paras;
	for (size_t i = 1024; i < size - 4; i++)
		buf[i] = (unsigned char)i;
	crc = ~(uint32_t)crc32(0, buf, (uInt)(size - 4));
	for (int i = 0; i < 4; i++)
		le[i] = (unsigned char)(crc >> (8 * i));
	memcpy(buf + size - 4, le, 4);
	put(path, 0, buf, size);
	free(buf);
	return path;
}

/* A build tree: its modules through modules.order, 6.3's .o names too. */
static void test_tree(void **state)
{
	struct tiervm_kernel k;
	tiervm_error *err = NULL;
	char *t = xasprintf("%s/tree", dir), *bz;
	static const char cfg[] = "#\n# Linux/x86 6.9.0 Kernel Configuration\n"
				  "CONFIG_VIRTIO_MEM=m\nCONFIG_NUMA=y\n"
				  "# CONFIG_PVH is not set\n";

	(void)state;
	sh("mkdir -p %s/%s/arch/x86/boot", "tree");
	sh("mkdir -p %s/%s/include/config", "tree");
	sh("mkdir -p %s/%s/drivers/virtio", "tree");
	bz = whole("tree/arch/x86/boot", "6.9.0-t4 #1", 4);
	sh("echo 6.9.0-t4 > %s/%s/include/config/kernel.release", "tree");
	sh("printf 'drivers/virtio/virtio_mem.o\ndrivers/nvdimm/nd_pmem.o\n'"
	   " > %s/%s/modules.order",
	   "tree");
	sh("touch %s/%s/drivers/virtio/virtio_mem.ko", "tree");
	sh("echo kernel/drivers/acpi/nfit/nfit.ko > %s/%s/modules.builtin",
	   "tree");
	{
		char *c = xasprintf("%s/tree/.config", dir);

		put(c, 0, cfg, sizeof(cfg) - 1);
		free(c);
	}

	assert_true(tiervm_kernel_open(t, NULL, &k, &err));
	assert_int_equal(k.kind, TIERVM_KERNEL_TREE);
	assert_string_equal(k.release, "6.9.0-t4");
	assert_null(k.vmlinux); /* no CONFIG_PVH */
	assert_int_equal(tiervm_kernel_opt(&k, "CONFIG_VIRTIO_MEM"),
			 TIERVM_KOPT_MODULE);
	assert_int_equal(tiervm_kernel_opt(&k, "CONFIG_PVH"), TIERVM_KOPT_NO);
	assert_true(tiervm_kernel_has_module(&k, "virtio_mem"));
	/* listed but not built */
	assert_false(tiervm_kernel_has_module(&k, "nd_pmem"));
	assert_string_equal(k.builtin.v[0], "nfit");
	tiervm_kernel_clear(&k);

	/* configured anew, not rebuilt */
	sh("echo 6.9.1 > %s/%s/include/config/kernel.release", "tree");
	assert_false(tiervm_kernel_open(t, NULL, &k, &err));
	assert_non_null(strstr(err->msg, "configured for 6.9.1"));
	tiervm_error_free(err);
	err = NULL;
	free(bz);
	free(t);
}

/* Damage is caught before anything boots. */
static void test_damage(void **state)
{
	struct tiervm_kernel k;
	tiervm_error *err = NULL;
	char *bz;
	struct stat st;

	(void)state;
	sh("mkdir -p %s/%s", "bad");
	bz = whole("bad", "6.9.0-t5 #1", 8);
	assert_true(tiervm_kernel_open(bz, NULL, &k, &err));
	tiervm_kernel_clear(&k);
	put(bz, 1100, "\xff", 1);
	assert_false(tiervm_kernel_open(bz, NULL, &k, &err));
	assert_non_null(strstr(err->msg, "is damaged"));
	tiervm_error_free(err);
	err = NULL;
	assert_int_equal(stat(bz, &st), 0);
	assert_int_equal(truncate(bz, st.st_size - 16), 0);
	assert_false(tiervm_kernel_open(bz, NULL, &k, &err));
	assert_non_null(strstr(err->msg, "is truncated"));
	tiervm_error_free(err);
	free(bz);
}

/* --modules: an INSTALL_MOD_PATH tree of the image's release, or not. */
static void test_modules(void **state)
{
	struct tiervm_kernel k;
	tiervm_error *err = NULL;
	char *bz, *m = xasprintf("%s/mods", dir);

	(void)state;
	sh("mkdir -p %s/%s/lib/modules/6.9.0-t6/kernel", "mods");
	bz = whole("mods", "6.9.0-t6 #1", 4);
	sh("touch %s/%s/lib/modules/6.9.0-t6/kernel/kmem.ko.xz", "mods");
	sh("echo 'kernel/kmem.ko.xz:' > %s/%s/lib/modules/6.9.0-t6/modules.dep",
	   "mods");
	assert_true(tiervm_kernel_open(bz, m, &k, &err));
	assert_true(tiervm_kernel_has_module(&k, "kmem"));
	tiervm_kernel_clear(&k);
	sh("cd %s/%s/lib/modules && mv 6.9.0-t6 5.10.0", "mods");
	assert_false(tiervm_kernel_open(bz, m, &k, &err));
	assert_non_null(strstr(err->msg, "no lib/modules/6.9.0-t6"));
	tiervm_error_free(err);
	free(bz);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_config_beside),
		cmocka_unit_test(test_build_tree),
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_damage),
		cmocka_unit_test(test_modules),
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
