// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The guest kernel options each feature of a spec relies on.  Every list
 * was checked against Linux 6.1's Kconfig: from tinyconfig plus the
 * fragment, `make olddefconfig` keeps every line (tests/kconfig-fragment.sh
 * checks it on Debian's linux-source), and the kernel built from it boots
 * every example (tests/kernel-tree.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_needs.h"

/* An option; @module is its module's name when it is a tristate. */
struct need {
	const char *option, *module;
	/* checked before boot; else only carried into the fragment, as a
	 * dependency or a help (a faster boot) */
	bool checked;
};

#define CHECK(o, m)                  \
	{                            \
		"CONFIG_" o, m, true \
	}
#define CARRY(o)                         \
	{                                \
		"CONFIG_" o, NULL, false \
	}
#define END                       \
	{                         \
		NULL, NULL, false \
	}

/* What every guest needs: tiervm's initramfs, console, probe, exec. */
static const struct need base[] = {
	CARRY("64BIT"), CARRY("SMP"), CARRY("PRINTK"), CARRY("TTY"),
	CHECK("SERIAL_8250", NULL), CHECK("SERIAL_8250_CONSOLE", NULL),
	CHECK("BLK_DEV_INITRD", NULL), CHECK("BINFMT_ELF", NULL),
	CARRY("BINFMT_SCRIPT"), CHECK("DEVTMPFS", NULL), CHECK("PROC_FS", NULL),
	CARRY("PROC_SYSCTL"), CHECK("SYSFS", NULL), CARRY("TMPFS"),
	CARRY("SHMEM"), CARRY("FUTEX"), CARRY("EPOLL"), CARRY("SIGNALFD"),
	CARRY("TIMERFD"), CARRY("EVENTFD"), CARRY("MULTIUSER"),
	CARRY("POSIX_TIMERS"), CARRY("FILE_LOCKING"), CARRY("SYSVIPC"),
	CARRY("UNIX"), CARRY("UNIX98_PTYS"), CARRY("MODULES"),
	CARRY("MODULE_UNLOAD"), CHECK("PCI", NULL), CARRY("PCI_MSI"),
	CARRY("PCIEPORTBUS"), CHECK("ACPI", NULL), CARRY("HPET_TIMER"),
	/* the uncompressed kernel's entry: seconds of every boot under TCG */
	CARRY("HYPERVISOR_GUEST"), CARRY("PVH"), CARRY("VIRTIO_MENU"),
	CHECK("VIRTIO_PCI", "virtio_pci"),
	/* exec's channels */
	CHECK("VIRTIO_CONSOLE", "virtio_console"),
	/* seeds the guest's random pool at once (ndctl waits for it) */
	CARRY("HW_RANDOM"), CARRY("HW_RANDOM_VIRTIO"),
	/* `tiervm down` of a guest that does not answer: ACPI power button */
	CARRY("INPUT"), CARRY("INPUT_EVDEV"), CARRY("ACPI_BUTTON"), END
};

static const struct need numa[] = { CHECK("NUMA", NULL),
				    CARRY("X86_64_ACPI_NUMA"),
				    CHECK("ACPI_NUMA", NULL), END };

static const struct need hmat[] = { CARRY("NUMA"),
				    CARRY("X86_64_ACPI_NUMA"),
				    CARRY("ACPI_NUMA"),
				    CHECK("ACPI_HMAT", NULL),
				    CHECK("HMEM_REPORTING", NULL),
				    END };

static const struct need vmem[] = { CARRY("COMPACTION"),
				    CARRY("TRANSPARENT_HUGEPAGE"),
				    CARRY("SPARSEMEM_VMEMMAP"),
				    CHECK("MEMORY_HOTPLUG", NULL),
				    CHECK("MEMORY_HOTREMOVE", NULL),
				    CARRY("MIGRATION"),
				    CHECK("VIRTIO_MEM", "virtio_mem"),
				    END };

/* device-dax, as NVDIMMs, soft-reserved memory and CXL regions use it */
static const struct need dax[] = { CARRY("TRANSPARENT_HUGEPAGE"),
				   CARRY("SPARSEMEM_VMEMMAP"),
				   CARRY("MEMORY_HOTPLUG"),
				   CARRY("MEMORY_HOTREMOVE"),
				   CARRY("ZONE_DEVICE"),
				   CARRY("DAX"),
				   CHECK("DEV_DAX", "device_dax"),
				   CHECK("DEV_DAX_KMEM", "kmem"),
				   END };

static const struct need nvdimm[] = {
	CARRY("BLOCK"), CARRY("BLK_DEV"), CHECK("LIBNVDIMM", "libnvdimm"),
	CHECK("ACPI_NFIT", "nfit"), CHECK("BLK_DEV_PMEM", "nd_pmem"),
	CARRY("NVDIMM_PFN"), CARRY("NVDIMM_DAX"),
	/* nd_btt, which nd_pmem needs as a
				       * module, fails to load without it:
				       * its init makes a debugfs directory */
	CARRY("DEBUG_FS"), CHECK("DEV_DAX_PMEM", "dax_pmem"), END
};

static const struct need soft_reserved[] = { CARRY("EFI"),
					     CARRY("EFI_STUB"),
					     CARRY("ACPI_HMAT"),
					     CHECK("EFI_SOFT_RESERVE", NULL),
					     CHECK("DEV_DAX_HMEM", "dax_hmem"),
					     END };

static const struct need cxl[] = { CHECK("CXL_BUS", "cxl_core"),
				   CHECK("CXL_ACPI", "cxl_acpi"),
				   CHECK("CXL_PCI", "cxl_pci"),
				   CHECK("CXL_MEM", "cxl_mem"),
				   CHECK("CXL_PORT", "cxl_port"),
				   CHECK("CXL_REGION", NULL),
				   END };

static const struct need cxl_pmem[] = { CHECK("CXL_PMEM", "cxl_pmem"), END };

/* a volatile region's dax device; the option came with Linux 6.3 */
static const struct need cxl_ram[] = { CHECK("DEV_DAX_CXL", "dax_cxl"), END };

static const struct need shares[] = { CARRY("NET"),
				      CARRY("INET"),
				      CHECK("NET_9P", "9pnet"),
				      CHECK("NET_9P_VIRTIO", "9pnet_virtio"),
				      CARRY("NETWORK_FILESYSTEMS"),
				      CHECK("9P_FS", "9p"),
				      END };

static const struct need demotion[] = { CHECK("MIGRATION", NULL), END };

static const struct need promotion[] = { CHECK("MIGRATION", NULL),
					 CHECK("NUMA_BALANCING", NULL), END };

/* A feature the spec uses: its options, the key asking, and why. */
struct use {
	const struct need *needs;
	char *key; /* NULL: every guest (the kernel's own key) */
	const char *what;
};

struct uses {
	struct use v[16];
	size_t n;
};

static void use(struct uses *u, const struct need *needs, char *key,
		const char *what)
{
	if (u->n < sizeof(u->v) / sizeof(u->v[0]))
		u->v[u->n++] = (struct use){ needs, key, what };
	else
		free(key);
}

static bool release_at_least(const struct tiervm_kernel *k, unsigned major,
			     unsigned minor)
{
	unsigned a, b;

	return k && k->release && sscanf(k->release, "%u.%u", &a, &b) == 2 &&
	       (a > major || (a == major && b >= minor));
}

/* What @s uses, in the order the fragment lists it. */
static void spec_uses(const struct tiervm_spec *s, bool hmat_on,
		      const struct tiervm_kernel *k, struct uses *u)
{
	bool cxl_p = false, cxl_v = false;

	use(u, base, NULL, "every tiervm guest");
	if (s->n_nodes > 1)
		use(u, numa, xstrdup("nodes"), "NUMA nodes");
	if (hmat_on)
		use(u, hmat, xstrdup(s->n_hmat ? "hmat" : "nodes"),
		    "the HMAT's latencies and bandwidths");
	if (s->n_vmems)
		use(u, vmem, xstrdup("virtio-mem[0]"), "virtio-mem");
	if (s->n_nvdimms) {
		use(u, nvdimm, xstrdup("nvdimms[0]"), "NVDIMMs");
		use(u, dax, xstrdup("nvdimms[0]"),
		    "NVDIMMs as device-dax and system RAM");
	}
	for (unsigned i = 0; i < s->n_nodes; i++)
		if (s->nodes[i].kind == TIERVM_KIND_SOFT_RESERVED &&
		    s->nodes[i].memory) {
			char *key = xasprintf("nodes[%u].kind", i);

			use(u, dax, xstrdup(key), "soft-reserved memory");
			use(u, soft_reserved, key, "soft-reserved memory");
			break;
		}
	for (unsigned i = 0; i < s->n_cxls; i++)
		*(s->cxls[i].type == TIERVM_CXL_PERSISTENT ? &cxl_p : &cxl_v) =
			true;
	for (unsigned i = 0; i < s->cxl.n_devs; i++)
		*(s->cxl.devs[i].type == TIERVM_CXL_PERSISTENT ? &cxl_p
							       : &cxl_v) = true;
	if (cxl_p || cxl_v) {
		const char *key = s->n_cxls ? "cxl[0]" : "cxl";

		use(u, cxl, xstrdup(key), "CXL memory devices");
		use(u, dax, xstrdup(key), "CXL regions as device-dax");
		if (cxl_p) {
			use(u, nvdimm, xstrdup(key), "persistent CXL memory");
			use(u, cxl_pmem, xstrdup(key), "persistent CXL memory");
		}
		/* before 6.3 there is no such option (nor volatile regions) */
		if (cxl_v && (!k || release_at_least(k, 6, 3)))
			use(u, cxl_ram, xstrdup(key), "volatile CXL regions");
	}
	if (s->guest.share_host)
		use(u, shares, xstrdup("guest.share-host"),
		    "the host's directories in the guest (9p)");
	if (s->guest.demotion)
		use(u, demotion, xstrdup("guest.tiering.demotion"), "demotion");
	if (s->guest.promotion)
		use(u, promotion, xstrdup("guest.tiering.promotion"),
		    "promotion (NUMA balancing)");
}

static void uses_free(struct uses *u)
{
	for (size_t i = 0; i < u->n; i++)
		free(u->v[i].key);
}

/* Whether @option was already refused under some key: once is enough. */
static bool told(struct strv *seen, const char *option)
{
	for (size_t i = 0; i < seen->n; i++)
		if (!strcmp(seen->v[i], option))
			return true;
	strv_push(seen, xstrdup(option));
	return false;
}

void tiervm_kernel_check(const struct tiervm_spec *s, bool hmat_on,
			 const struct tiervm_kernel *k, const char *kernel_key,
			 struct tiervm_diags *d, struct tiervm_diags *warn)
{
	struct uses u = { 0 };
	struct strv seen = { 0 };
	const char *rel = tiervm_kernel_name(k);

	if (k->kind == TIERVM_KERNEL_DEBIAN)
		return;
	if (!k->config) {
		struct sbuf where = { 0 };

		for (size_t i = 0; i < k->looked.n; i++)
			sbuf_addf(&where, "%s%s", i ? ", " : "",
				  k->looked.v[i]);
		diag_add(
			warn, 0, kernel_key,
			"no config found for kernel %s (looked at %s): tiervm cannot check its options before it boots",
			rel, where.s ? where.s : "nothing");
		sbuf_free(&where);
		return;
	}
	spec_uses(s, hmat_on, k, &u);
	for (size_t i = 0; i < u.n; i++)
		for (const struct need *n = u.v[i].needs; n->option; n++) {
			const char *key = u.v[i].key ? u.v[i].key : kernel_key;
			enum tiervm_kopt has;

			if (!n->checked)
				continue;
			has = tiervm_kernel_opt(k, n->option);
			if (has == TIERVM_KOPT_YES ||
			    (has == TIERVM_KOPT_MODULE && n->module &&
			     tiervm_kernel_has_module(k, n->module)))
				continue;
			if (told(&seen, n->option))
				continue;
			if (has == TIERVM_KOPT_MODULE)
				diag_add(
					d, 0, key,
					"kernel %s has %s=m but no %s.ko %s%s, needed for %s: build the modules (make modules) or set %s=y",
					rel, n->option,
					n->module ? n->module : "module",
					k->modules ? "in "
						   : "(no modules directory)",
					k->modules ? k->modules : "",
					u.v[i].what, n->option);
			else
				diag_add(
					d, 0, key,
					"kernel %s lacks %s, needed for %s: set %s=y (`tiervm kconfig SPEC` prints every option)",
					rel, n->option, u.v[i].what, n->option);
		}
	strv_free(&seen);
	uses_free(&u);
}

char *tiervm_kconfig_fragment(const struct tiervm_spec *s, bool hmat_on)
{
	struct uses u = { 0 };
	struct strv seen = { 0 };
	struct sbuf out = { 0 };

	spec_uses(s, hmat_on, NULL, &u);
	sbuf_addf(
		&out,
		"# tiervm: the guest kernel options %s needs (Linux 6.1 and later)\n",
		s->file ? s->file : "the spec");
	for (size_t i = 0; i < u.n; i++) {
		bool header = false;

		for (const struct need *n = u.v[i].needs; n->option; n++) {
			if (told(&seen, n->option))
				continue;
			if (!header)
				sbuf_addf(&out, "# %s%s%s%s\n", u.v[i].what,
					  u.v[i].key ? " (" : "",
					  u.v[i].key ? u.v[i].key : "",
					  u.v[i].key ? ")" : "");
			header = true;
			sbuf_addf(&out, "%s=y\n", n->option);
		}
	}
	strv_free(&seen);
	uses_free(&u);
	return out.s;
}
