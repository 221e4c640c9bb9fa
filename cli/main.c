// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiervm.h"
#include "units.h"
#include "util.h"

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args;    /* after "tiervm NAME"; lines of under 60 */
	const char *summary; /* one line */
	const char *options; /* lines of "  OPTION  what", or NULL */
} commands[] = {
	{ "host", cmd_host, "[--root DIR | --connect URI] [--json]",
	  "the host's memory inventory: nodes, kinds, tiers, HMAT, devices",
	  "  --root DIR      read /sys and /proc under DIR (a captured tree)\n"
	  "  --connect URI   the host libvirt's URI runs guests on, from its\n"
	  "                  capabilities (no tiers or devices that way)\n"
	  "  --json          as JSON (docs/json.md)\n" },
	{ "spec", cmd_spec,
	  "[--from-host | --from SRC] [--memory SIZE] [--cpus N]\n"
	  "[--kernel K] [--name NAME] [--picture FILE.svg]",
	  "a spec shaped like a real machine: this host or a capture",
	  "  --from-host     this host (the default)\n"
	  "  --from SRC      a captured tree (`host --root`), a tarball of\n"
	  "                  one (hwloc-gather-topology, `up --capture`)\n"
	  "                  or an hwloc 2 XML (`lstopo --of xml`)\n"
	  "  --memory SIZE   the guest's total memory, shared in proportion\n"
	  "                  (default: a quarter of what this host has\n"
	  "                  available, 1G to 4G, at most the source's)\n"
	  "  --cpus N        the guest's cpus, shared in proportion (default:\n"
	  "                  4, or one per node with cpus if more)\n"
	  "  --kernel K      guest.kernel to write in the spec\n"
	  "  --name NAME     the spec's name (default: from the source)\n"
	  "  --picture FILE.svg\n"
	  "                  hwloc's drawing of the source (lstopo)\n" },
	{ "plan", cmd_plan,
	  "SPEC [--format F] [--host-root DIR | --connect URI]\n"
	  "[--kernel K [--modules DIR]] [--strict]",
	  "the QEMU arguments, kernel arguments and guest view for SPEC",
	  "  --format F      text (default), argv, sh (a runnable script),\n"
	  "                  json (docs/json.md) or libvirt (domain XML)\n"
	  "  --host-root DIR plan against the host tree under DIR\n"
	  "  --connect URI   plan against the host libvirt's URI runs\n"
	  "                  guests on (its capabilities)\n"
	  "  --kernel K      as up's --kernel\n"
	  "  --modules DIR   as up's --modules\n"
	  "  --unchecked     skip validation (to see QEMU refuse a spec)\n"
	  "  --strict        where the spec contradicts itself, refuse it\n" },
	{ "kconfig", cmd_kconfig, "SPEC",
	  "the guest kernel config fragment SPEC needs, every option =y",
	  "  for scripts/kconfig/merge_config.sh, or appended to .config\n"
	  "  before `make olddefconfig` (docs/kernels.md); it carries its\n"
	  "  dependencies, so tinyconfig plus it boots\n" },
	{ "up", cmd_up,
	  "SPEC [--check] [--json] [--kernel K [--modules DIR]]\n"
	  "[--accel A]"
	  " [--timeout S] [--capture FILE] [--picture FILE.svg]\n"
	  "[--name NAME] [--engine qemu|libvirt] [--connect URI]\n"
	  "[--share DIR[:GUESTDIR][:ro]]... [--no-verify] [--strict]\n"
	  "[--unchecked] [--counting] [--access-counts FILE.json\n"
	  "[--access-plot FILE.svg]] [--env K=V]... [--cold]\n"
	  "[-- CMD [ARG]...]",
	  "boot SPEC, wait for the guest's probe, compare it with the spec",
	  "  --check         power the guest off once verified\n"
	  "  --engine E      qemu (default: tiervm runs QEMU) or libvirt\n"
	  "                  (a transient domain, docs/choices.md)\n"
	  "  --connect URI   libvirt's connection (default qemu:///system)\n"
	  "  -- CMD [ARG]... then run CMD in the guest, power off, exit\n"
	  "                  with its status (128+N for signal N); tiervm's\n"
	  "                  own failures exit 125\n"
	  "  --env K=V       set K in CMD's environment (else only PATH,\n"
	  "                  HOME, USER, LOGNAME, SHELL, TERM, LANG, LC_*\n"
	  "                  pass from tiervm's)\n"
	  "  --cold          boot, neither restoring a snapshot of this\n"
	  "                  machine nor taking one (warm starts are the\n"
	  "                  default: docs/choices.md)\n"
	  "  --no-verify     run CMD even when the guest does not match\n"
	  "  --strict        where the spec contradicts itself, refuse it\n"
	  "  --unchecked     with --check: boot what validation refuses,\n"
	  "                  to see the guest kernel refuse it too\n"
	  "  --counting      load tiervm's TCG plugin, disarmed: `exec\n"
	  "                  --access-counts` counts accesses per node\n"
	  "  --access-counts FILE\n"
	  "                  count CMD's loads and stores per node into\n"
	  "                  FILE (JSON); the table goes to stderr\n"
	  "  --access-plot FILE.svg  accesses per second, per node\n"
	  "  --name NAME     the guest's name (default: the spec's; with\n"
	  "                  --check or CMD, the spec's and tiervm's pid;\n"
	  "                  on libvirt with warm starts, SPEC-N, the\n"
	  "                  first free N)\n"
	  "  --share DIR[:GUESTDIR][:ro]\n"
	  "                  DIR in the guest at GUESTDIR (default DIR),\n"
	  "                  writable unless :ro\n"
	  "  --json          the verdict and the guest's report as JSON\n"
	  "  --kernel K      debian-stable, debian-backports, a bzImage or a\n"
	  "                  kernel build tree (its vmlinux or bzImage,\n"
	  "                  .config and modules, nothing installed)\n"
	  "  --modules DIR   with a bzImage: its modules, DIR/lib/modules/\n"
	  "                  RELEASE (INSTALL_MOD_PATH) or that directory\n"
	  "  --accel A       kvm or tcg (default: kvm when usable)\n"
	  "  --timeout S     seconds to wait for the guest (default 300)\n"
	  "  --capture FILE  save the guest's /sys and /proc as a tarball\n"
	  "                  for `tiervm host --root` and `tiervm spec`\n"
	  "  --picture FILE.svg\n"
	  "                  hwloc's drawing of the guest as it booted\n" },
	{ "test", cmd_test,
	  "MATRIX [--jobs N] [--junit FILE] [--json FILE]\n"
	  "[--connect URI]... [--fail-fast] [--keep DIR]",
	  "run a matrix of specs x kernels x QEMUs x engines (docs/test.md)",
	  "  --jobs N        cells at once on each host (default: this\n"
	  "                  machine's cpus, as far as its memory holds\n"
	  "                  the largest guest + 512M)\n"
	  "  --junit FILE    the results as JUnit XML\n"
	  "  --json FILE     the results as JSON (docs/test.md)\n"
	  "  --connect URI   a libvirt host to spread the libvirt engine's\n"
	  "                  cells over as well (repeatable)\n"
	  "  --fail-fast     the first failed cell stops the others\n"
	  "  --keep DIR      the cells' records: new or empty (default:\n"
	  "                  ./tiervm-test-DATE-TIME)\n" },
	{ "cache", cmd_cache, "list [--json] | clean [--images]",
	  "warm starts' snapshots (and guest images) in the cache",
	  "  list            each with its size, spec, kernel and QEMU\n"
	  "  clean           remove the snapshots; --images: the images too\n" },
	{ "list", cmd_list, "", "running guests started by tiervm", NULL },
	{ "status", cmd_status, "NAME [--json | --watch]",
	  "a guest's memory devices; per node memory, tier, pages demoted",
	  "  --json          as JSON (docs/json.md)\n"
	  "  --watch         redraw every second until ^C\n" },
	{ "resize", cmd_resize,
	  "NAME DEVICE SIZE [--no-wait] [--json] [--timeout S]",
	  "set a virtio-mem device's requested size and follow it",
	  "  --no-wait       return once QEMU has the request\n"
	  "  --json          the timings as JSON (docs/json.md)\n"
	  "  --timeout S     seconds to wait for the guest (default 60)\n" },
	{ "migrate", cmd_migrate,
	  "NAME URI [--migrate-uri ADDR] [--timeout S]\n"
	  "NAME --rebind [--spec FILE] [--timeout S]",
	  "move a running guest live: a libvirt guest to the libvirt host\n"
	  "URI; with --rebind, a guest's memory to other nodes of this host",
	  "  URI             the destination's libvirt URI\n"
	  "                  (qemu+ssh://host/system, qemu+tcp://...)\n"
	  "  --rebind        tiervm's own engine: a second QEMU on this host,\n"
	  "                  its memory bound as the spec says now\n"
	  "  --spec FILE     the spec with new `host:` bindings (nothing\n"
	  "                  else may change); default: the guest's own\n"
	  "  --migrate-uri ADDR  where QEMU's stream goes (tcp://HOST[:PORT]);\n"
	  "                  default: libvirt's choice\n"
	  "  --timeout S     seconds to wait for the guest's reports\n"
	  "                  (default 60)\n" },
	{ "attach", cmd_attach,
	  "NAME nvdimm id=ID size=SIZE path=FILE [node=N]\n"
	  "[label-size=S] [mode=M] [pmem=P] [readonly=R] [--timeout S]",
	  "hot-plug an NVDIMM, given in the spec's nvdimms keys",
	  "  KEY=VALUE       the keys of a spec's nvdimms entry; relative\n"
	  "                  paths start in the working directory\n"
	  "  --timeout S     seconds to wait for the guest (default 60)\n" },
	{ "exec", cmd_exec,
	  "NAME [--membind N | --preferred N | --interleave N]\n"
	  "[--cpunodebind N] [--cwd DIR] [--env K=V]... [--timeout S]\n"
	  "[--access-counts FILE.json [--access-plot FILE.svg]]\n"
	  "[--] CMD [ARG]...",
	  "run CMD in a running guest; exit with its status",
	  "  --membind N     allocate only on nodes N (numactl's syntax)\n"
	  "  --preferred N   allocate on node N first\n"
	  "  --interleave N  interleave allocations over nodes N\n"
	  "  --cpunodebind N run on the cpus of nodes N\n"
	  "  --cwd DIR       working directory (default: this one, where\n"
	  "                  the guest has it, else /)\n"
	  "  --env K=V       set K for CMD (PATH, HOME, TERM, LANG, ...\n"
	  "                  come from this environment)\n"
	  "  --timeout S     kill CMD after S seconds (exit 1)\n"
	  "  --access-counts FILE  count CMD's accesses per node (a guest\n"
	  "                  started with up --counting); JSON in FILE\n"
	  "  stdin goes to CMD; ^C sends it SIGINT; a second ^C kills it\n"
	  "  and powers the guest off\n" },
	{ "shell", cmd_shell, "NAME",
	  "an interactive shell in a running guest; ^] leaves it", NULL },
	{ "console", cmd_console, "NAME",
	  "the guest's kernel console, followed until ^C or power-off", NULL },
	{ "down", cmd_down, "NAME", "power a guest off and remove its state",
	  NULL },
	{ "probe", cmd_probe, "NAME REQUEST",
	  "ask the guest's probe (report, pmem-read DEV, ...), print JSON",
	  NULL },
};

static const char exit_codes[] =
	"exit: 0 success, 1 failure (or a mismatch), 2 bad input or usage\n";

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

/* "PREFIX tiervm NAME ARGS", continuation lines indented under ARGS. */
static void print_usage(FILE *f, const char *prefix, const struct command *c)
{
	const char *a = c->args;
	int indent = (int)(strlen(prefix) + strlen(" tiervm ") +
			   strlen(c->name) + 1);

	fprintf(f, "%s tiervm %s%s", prefix, c->name, *a ? " " : "\n");
	while (*a) {
		size_t len = strcspn(a, "\n");

		fprintf(f, "%.*s\n", (int)len, a);
		a += len;
		if (*a == '\n' && *++a)
			fprintf(f, "%*s", indent, "");
	}
}

static void help_all(FILE *f)
{
	fputs("tiervm: virtual machines with tiered memory, from a spec\n\n",
	      f);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		print_usage(f, " ", &commands[i]);
		fprintf(f, "      %s\n", commands[i].summary);
	}
	fprintf(f, "\n`tiervm COMMAND --help` describes each option.\n%s",
		exit_codes);
}

static void help(const struct command *c)
{
	print_usage(stdout, "usage:", c);
	printf("\n%s\n", c->summary);
	if (c->options)
		printf("\n%s", c->options);
	printf("\n%s", exit_codes);
}

int usage(const char *command)
{
	const struct command *c = find(command);

	print_usage(stderr, "tiervm: usage:", c);
	fprintf(stderr, "tiervm: see `tiervm %s --help`\n", c->name);
	return EXIT_USAGE;
}

/* --help before any "--": what follows that is a command's own */
static bool wants_help(int argc, char **argv)
{
	for (int i = 2; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		help_all(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		c = argc > 2 ? find(argv[2]) : NULL;
		if (c)
			help(c);
		else
			help_all(stdout);
		return EXIT_OK;
	}
	c = find(argv[1]);
	if (!c) {
		help_all(stderr);
		return usage_error("unknown command '%s'", argv[1]);
	}
	if (wants_help(argc, argv)) {
		help(c);
		return EXIT_OK;
	}
	return c->fn(argc - 1, argv + 1);
}
