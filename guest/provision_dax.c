// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A soft-reserved node divided as its platform owner would (the spec's
 * `dax` list, tiervm.dax=NODE:SIZE:MODE:ALIGN,...): dax_hmem's one device
 * spanning the range is destroyed, then daxctl create-device carves each
 * device from the region in order, and the kmem ones are handed to the
 * kernel.  What is left stays unassigned in the region.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot.h"
#include "provision_internal.h"

/* "dax3.0" -> 3: a dax_hmem device is named for its region. */
static int region_of(const char *dax)
{
	return strncmp(dax, "dax", 3) ? -1 : atoi(dax + 3);
}

/* A dax device as sysfs shows it now: size, align, mode, node. */
static json_object *device_state(const char *dax)
{
	json_object *o = json_object_new_object();
	static const char *const attrs[] = { "size", "align", "target_node" };
	char *p, *v, link[PATH_MAX];
	const char *drv;
	ssize_t n;

	json_object_object_add(o, "dax", json_object_new_string(dax));
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		p = xasprintf("/sys/bus/dax/devices/%s/%s", dax, attrs[i]);
		v = prov_read_small(p);
		json_object_object_add(
			o, attrs[i],
			json_object_new_int64(*v ? strtoll(v, NULL, 0) : -1));
		free(v);
		free(p);
	}
	p = xasprintf("/sys/bus/dax/devices/%s/driver", dax);
	n = readlink(p, link, sizeof(link) - 1);
	free(p);
	link[n > 0 ? n : 0] = '\0';
	drv = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	/* device_dax leaves the device to applications; kmem is the kernel's */
	json_object_object_add(
		o, "mode",
		json_object_new_string(!strcmp(drv, "kmem") ? "kmem"
				       : !strcmp(drv, "device_dax")
					       ? "devdax"
					       : "unbound"));
	return o;
}

/*
 * The chardev `daxctl create-device` printed (an object or a list of one),
 * after its "created 1 device" on stderr.
 */
static char *created(const char *out)
{
	const char *js = strpbrk(out, "[{");
	json_object *j = js ? json_tokener_parse(js) : NULL, *o = j;
	char *name = NULL;

	if (j && json_object_is_type(j, json_type_array))
		o = json_object_array_get_idx(j, 0);
	if (o && prov_str(o, "chardev"))
		name = xstrdup(prov_str(o, "chardev"));
	json_object_put(j);
	return name;
}

const char *provision_divide_dax(const char *dax, int node, const char *list,
				 json_object *report, struct sbuf *log)
{
	json_object *devices = json_object_new_array();
	int region = region_of(dax);
	const char *status = "ok";
	char *copy = xstrdup(list), *save = NULL, *cmd, *avail, *size0;

	json_object_object_add(report, "dax_devices", devices);
	if (region < 0) {
		free(copy);
		return "not a dax_hmem device";
	}
	/* devdax devices are bound to device_dax as they are made */
	boot_load_group("dax");
	/* the seed device spans the range: give its capacity back */
	cmd = xasprintf("daxctl disable-device %s 2>&1", dax);
	free(prov_run_logged(cmd, log, NULL));
	free(cmd);
	cmd = xasprintf("daxctl destroy-device %s 2>&1", dax);
	free(prov_run_logged(cmd, log, NULL));
	free(cmd);
	/* daxctl sizes it to 0, then cannot delete the region's seed (EBUSY),
	 * which stays as the next device's name: capacity back is success */
	cmd = xasprintf("/sys/bus/dax/devices/%s/size", dax);
	size0 = prov_read_small(cmd);
	if (strcmp(size0, "0"))
		status = "daxctl destroy-device left the device its capacity";
	free(size0);
	free(cmd);
	for (char *item = strtok_r(copy, ",", &save);
	     item && !strcmp(status, "ok"); item = strtok_r(NULL, ",", &save)) {
		unsigned long long size, align;
		unsigned n;
		int st;
		char mode[16], *out, *made;

		if (sscanf(item, "%u:%llu:%15[a-z]:%llu", &n, &size, mode,
			   &align) != 4 ||
		    (int)n != node)
			continue;
		cmd = xasprintf(
			"daxctl create-device -r %d -s %llu -a %llu 2>&1",
			region, size, align);
		out = prov_run_logged(cmd, log, &st);
		status = st ? "daxctl failed" : "ok";
		free(cmd);
		made = created(out);
		free(out);
		if (!made) {
			status = "daxctl create-device made no device";
			break;
		}
		if (!strcmp(mode, "kmem"))
			status = prov_online_dax(made, log);
		json_object_array_add(devices, device_state(made));
		free(made);
	}
	cmd = xasprintf("/sys/bus/dax/devices/%s/../dax_region/available_size",
			dax);
	avail = prov_read_small(cmd);
	json_object_object_add(
		report, "dax_unassigned",
		json_object_new_int64(*avail ? strtoll(avail, NULL, 0) : -1));
	free(avail);
	free(cmd);
	free(copy);
	return status;
}
