// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * tiervm-probe: the guest's init (/init): mounts, loads the drivers the
 * machine needs (boot.c), provisions, then answers the host over its own
 * serial line (ttyS1), never the console.
 *
 * Protocol, one request line each, answered by one framed reply:
 *   report    the guest's memory view as JSON (the host inventory schema,
 *             plus kernel, numactl -H and lstopo XML)
 *   poweroff  acknowledge ("TIERVM-ACK poweroff"), sync and power off
 *   report+poweroff
 *             the report, then power off (what `up --check` wants)
 *   nodes     the guest's memory view alone, without numactl and lstopo
 *   capture   the /sys and /proc files `tiervm host` reads, with lstopo's XML
 *             and this report, as a base64 gzip tarball ("tarball")
 *   nvdimm-attach ID:MODE:new|old
 *             provision the NVDIMM just hot-plugged (its region is the
 *             one not seen before) as MODE; answers as at boot
 *   resume SECONDS.NANOSECONDS [tiervm.root=1] [tiervm.shares=...]
 *             a warm start's word to go on (tiervm.defer=1 on the kernel
 *             command line: the guest waits for it, at boot or restored
 *             from a snapshot): the clock set from the host's, the random
 *             pool reseeded from virtio-rng, the shares mounted and the
 *             exec agent started; answers as "nodes" does, with "clock"
 *             and "reseeded"
 *   pmem-write DEV, pmem-read DEV
 *             write a fixed 1 MiB pattern at the start of /dev/DEV (a
 *             pmem block device), or read it back; both answer its FNV-1a
 *             checksum, so the host can prove data survives a reboot
 * Once ready (drivers loaded, provisioning done) it says "TIERVM-READY".
 * A reply is "TIERVM-BEGIN <request>\n" JSON "\nTIERVM-END\n": the echoed
 * request lets the host skip answers to requests it sent earlier and no
 * longer waits for (it resends while the guest boots).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/random.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "boot.h"
#include "host.h"
#include "provision.h"
#include "provision_internal.h"
#include "util.h"

#define CHANNEL "/dev/ttyS1"
/* ports with their dports, memdevs under them, regions: numbers, not -u */
#define CXL_LIST "cxl list -P -M -R -T 2>/dev/null"

/* The console is init's stdout: the host reads boot stages from it. */
static void say(const char *msg)
{
	printf("tiervm-probe: %s\n", msg);
	fflush(stdout);
}

/* what provisioning did at boot, repeated in every report */
static json_object *provisioned, *provisioned_cxl, *provisioned_sr;
/* the tiering knobs set at boot, each true when the kernel took it */
static json_object *tiering;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define NUMACTL "numactl -H 2>&1"
/* I/O discovery is slow under TCG and says nothing about memory */
#define LSTOPO "lstopo-no-graphics --no-io --of xml 2>&1"

/* The guest's own discovery alone: what status reads, every second. */
static json_object *nodes(void)
{
	json_object *o = json_object_new_object();
	struct tiervm_host *h = tiervm_host_discover("/", NULL);

	if (h)
		json_object_object_add(o, "guest", tiervm_host_to_json(h));
	json_object_object_add(o, "tiering", json_object_get(tiering));
	tiervm_host_free(h);
	return o;
}

static json_object *report(void)
{
	long long t0 = now_ms();
	/* the tools run beside our own discovery, on the other vCPUs */
	FILE *numactl = popen(NUMACTL, "r"), *lstopo = popen(LSTOPO, "r");
	/* the cxl tool's view of the tree, a second witness beside sysfs */
	FILE *cxl = access("/sys/bus/cxl/devices/root0", F_OK) == 0
			    ? popen(CXL_LIST, "r")
			    : NULL;
	json_object *o = json_object_new_object();
	tiervm_error *err = NULL;
	struct tiervm_host *h = tiervm_host_discover("/", &err);
	long long t1 = now_ms();
	struct utsname u;
	char msg[96];
	char *s;

	uname(&u);
	json_object_object_add(o, "kernel", json_object_new_string(u.release));
	s = prov_read_small("/proc/cmdline");
	json_object_object_add(o, "cmdline", json_object_new_string(s));
	free(s);
	if (h) {
		json_object_object_add(o, "guest", tiervm_host_to_json(h));
		tiervm_host_free(h);
	} else {
		json_object_object_add(o, "error",
				       json_object_new_string(err->msg));
		tiervm_error_free(err);
	}
	json_object_object_add(o, "nvdimms", json_object_get(provisioned));
	json_object_object_add(o, "cxl", json_object_get(provisioned_cxl));
	json_object_object_add(o, "soft_reserved",
			       json_object_get(provisioned_sr));
	json_object_object_add(o, "tiering", json_object_get(tiering));
	s = prov_finish(numactl, NUMACTL, NULL);
	json_object_object_add(o, "numactl", json_object_new_string(s));
	free(s);
	s = prov_finish(lstopo, LSTOPO, NULL);
	json_object_object_add(o, "lstopo_xml", json_object_new_string(s));
	free(s);
	if (cxl) {
		s = prov_finish(cxl, CXL_LIST, NULL);
		json_object_object_add(o, "cxl_list", json_tokener_parse(s));
		free(s);
	}
	snprintf(msg, sizeof(msg),
		 "report: discovery %lld ms, with numactl and lstopo %lld ms",
		 t1 - t0, now_ms() - t0);
	say(msg);
	return o;
}

static json_object *capture(void)
{
	json_object *o = json_object_new_object(), *rep = report();
	FILE *f = fopen("/tmp/tiervm-report.json", "we");
	char *tar;

	if (f) {
		fputs(json_object_to_json_string_ext(
			      rep, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE),
		      f);
		fclose(f);
	}
	json_object_put(rep);
	/* the capture script picks up the XML and the report beside it */
	tar = prov_run(
		"lstopo-no-graphics --of xml > /tmp/lstopo.xml 2>/dev/null; "
		"cp /tmp/tiervm-report.json /tmp/lstopo.xml.report 2>/dev/null; "
		"tiervm-capture /tmp/lstopo.xml | base64 | tr -d '\\n'",
		NULL);
	json_object_object_add(o, "tarball", json_object_new_string(tar));
	free(tar);
	return o;
}

#define PATTERN_SIZE (1 << 20)

static json_object *pmem_io(const char *dev, bool write_it)
{
	json_object *o = json_object_new_object();
	unsigned char *buf = xcalloc(1, PATTERN_SIZE);
	uint64_t h = 0xcbf29ce484222325ULL;
	char *path;
	ssize_t n = -1;
	int fd;

	/* only pmem block devices: nothing else in the guest is fair game */
	if (strncmp(dev, "pmem", 4) || strchr(dev, '/')) {
		json_object_object_add(
			o, "error",
			json_object_new_string("not a pmem device"));
		free(buf);
		return o;
	}
	path = xasprintf("/dev/%s", dev);
	fd = open(path, (write_it ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd >= 0) {
		if (write_it) {
			for (size_t i = 0; i < PATTERN_SIZE; i++)
				buf[i] = (unsigned char)((i * 2654435761u) >>
							 13);
			n = pwrite(fd, buf, PATTERN_SIZE, 0);
			fsync(fd);
		} else {
			n = pread(fd, buf, PATTERN_SIZE, 0);
		}
		close(fd);
	}
	if (n == PATTERN_SIZE) {
		char hex[32];

		for (size_t i = 0; i < PATTERN_SIZE; i++)
			h = (h ^ buf[i]) * 0x100000001b3ULL;
		snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)h);
		json_object_object_add(o, "checksum",
				       json_object_new_string(hex));
	} else {
		json_object_object_add(o, "error",
				       json_object_new_string(strerror(errno)));
	}
	json_object_object_add(o, "device", json_object_new_string(path));
	free(path);
	free(buf);
	return o;
}

/* A hot-plugged NVDIMM, provisioned and kept for later reports. */
static json_object *attached(const char *arg)
{
	json_object *r = provision_attached_nvdimm(arg, 30000);

	json_object_array_add(provisioned, json_object_get(r));
	return r;
}

static void send_all(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len) {
		ssize_t n = write(fd, s, len);

		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return;
		}
		s += n;
		len -= (size_t)n;
	}
}

static int open_channel(void)
{
	struct termios t;
	int fd = open(CHANNEL, O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	/* raw: no \n -> \r\n, no echo, no line editing of the JSON */
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		cfsetspeed(&t, B115200);
		tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

/*
 * Fresh entropy after a restore: every guest restored from one snapshot
 * starts with the same pool, so the kernel's CRNG is reseeded at once
 * from the host's (virtio-rng), not whenever hwrng's thread next feeds it.
 */
static bool reseed(void)
{
	struct {
		int entropy_count;
		int buf_size;
		unsigned char buf[64];
	} e;
	int hw = open("/dev/hwrng", O_RDONLY | O_CLOEXEC), pool;
	ssize_t n = hw >= 0 ? read(hw, e.buf, sizeof(e.buf)) : -1;
	bool ok;

	if (hw >= 0)
		close(hw);
	if (n <= 0)
		return false;
	e.entropy_count = (int)n * 8;
	e.buf_size = (int)n;
	pool = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
	ok = pool >= 0 && ioctl(pool, RNDADDENTROPY, &e) == 0 &&
	     ioctl(pool, RNDRESEEDCRNG) == 0;
	if (pool >= 0)
		close(pool);
	return ok;
}

static json_object *resumed(const char *args)
{
	/* the host resends what is not answered soon: once is enough */
	static bool done;
	struct timespec ts = { 0 };
	long long sec = 0, nsec = 0;
	int used = 0;
	json_object *o;
	bool clock_ok;

	if (sscanf(args, "%lld.%lld%n", &sec, &nsec, &used) < 2)
		return NULL;
	if (done)
		return nodes();
	done = true;
	ts.tv_sec = (time_t)sec;
	ts.tv_nsec = (long)nsec;
	clock_ok = clock_settime(CLOCK_REALTIME, &ts) == 0;
	o = nodes();
	json_object_object_add(o, "clock", json_object_new_boolean(clock_ok));
	json_object_object_add(o, "reseeded",
			       json_object_new_boolean(reseed()));
	agent_start(args + used);
	return o;
}

/* The reply to @line, NULL for requests without one. */
static json_object *answer(const char *line)
{
	if (!strcmp(line, "report") || !strcmp(line, "report+poweroff"))
		return report();
	if (!strcmp(line, "capture"))
		return capture();
	if (!strcmp(line, "nodes"))
		return nodes();
	if (!strncmp(line, "resume ", 7))
		return resumed(line + 7);
	if (!strncmp(line, "nvdimm-attach ", 14))
		return attached(line + 14);
	if (!strncmp(line, "pmem-write ", 11))
		return pmem_io(line + 11, true);
	if (!strncmp(line, "pmem-read ", 10))
		return pmem_io(line + 10, false);
	return NULL;
}

/*
 * tiervm.tiering=demotion,promotion: the kernel's tiering knobs.  Demotion
 * (5.15+) moves cold pages to a lower tier on reclaim instead of dropping
 * them; NUMA balancing mode 2 (5.18+) promotes hot pages back.
 */
static void set_knob(const char *path, const char *value, const char *name)
{
	FILE *f = fopen(path, "we");
	bool ok = f && fputs(value, f) >= 0;

	if (f && fclose(f) != 0)
		ok = false;
	json_object_object_add(tiering, name, json_object_new_boolean(ok));
}

static void set_tiering(const char *cmdline)
{
	char *want = prov_cmdline_arg(cmdline, "tiervm.tiering");

	if (!want)
		return;
	tiering = json_object_new_object();
	if (strstr(want, "demotion"))
		set_knob("/sys/kernel/mm/numa/demotion_enabled", "1",
			 "demotion");
	if (strstr(want, "promotion"))
		set_knob("/proc/sys/kernel/numa_balancing", "2", "promotion");
	free(want);
}

static void power_off(int fd)
{
	/* everything written has left the UART before the machine stops */
	tcdrain(fd);
	say("powering off");
	sync();
	reboot(RB_POWER_OFF);
}

int main(void)
{
	/* "resume" carries the shares, up to the 1024 bytes up allows */
	char line[4096];
	size_t len = 0;
	int fd, rc = boot_init();

	if (rc < 0)
		fprintf(stderr, "tiervm-probe: cannot mount: %s\n",
			strerror(-rc));
	fd = open_channel();

	/*
	 * json-c seeds its string hash from /dev/urandom, and before the
	 * guest's CRNG is ready (no RDRAND under TCG) that read makes the
	 * kernel gather jitter entropy first: a second of boot time.  Our
	 * own JSON needs no hash-flooding defence.
	 */
	json_global_set_string_hash(JSON_C_STR_HASH_PERLLIKE);

	if (fd < 0) {
		say("cannot open " CHANNEL "; no report possible");
		for (;;)
			pause();
	}
	{
		char *cmdline = prov_read_small("/proc/cmdline");

		provisioned = provision_nvdimms(cmdline);
		provisioned_cxl = provision_cxls(cmdline);
		provisioned_sr = provision_soft_reserved(cmdline);
		provision_remember_regions();
		/* devdax for whatever hot-plug brings later (boot.h) */
		boot_load_group("dax");
		set_tiering(cmdline);
		/* a warm start mounts its shares when told to resume */
		if (!strstr(cmdline, "tiervm.defer=1"))
			agent_start(cmdline);
		free(cmdline);
	}
	say("ready");
	/* the host asks at once on this, instead of at its next poll */
	send_all(fd, "TIERVM-READY\n");
	for (;;) {
		json_object *o;
		char c;
		ssize_t n = read(fd, &c, 1);

		if (n <= 0) {
			if (n < 0 && errno != EINTR && errno != EAGAIN)
				sleep(1);
			continue;
		}
		if (c != '\n' && c != '\r') {
			if (len < sizeof(line) - 1)
				line[len++] = c;
			continue;
		}
		line[len] = '\0';
		len = 0;
		if (!strcmp(line, "poweroff")) {
			send_all(fd, "TIERVM-ACK poweroff\n");
			power_off(fd);
		}
		o = answer(line);
		if (!o)
			continue;
		send_all(fd, "TIERVM-BEGIN ");
		send_all(fd, line);
		send_all(fd, "\n");
		send_all(fd,
			 json_object_to_json_string_ext(
				 o, JSON_C_TO_STRING_PLAIN |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
		send_all(fd, "\nTIERVM-END\n");
		json_object_put(o);
		say("reply sent");
		/* `up --check` needs nothing after the report: save a round trip */
		if (!strcmp(line, "report+poweroff"))
			power_off(fd);
	}
}
