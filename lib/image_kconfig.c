// SPDX-License-Identifier: LGPL-2.1-or-later
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image_kconfig.h"
#include "util.h"

/* x86 boot protocol (Documentation/arch/x86/boot.rst), setup header */
#define HDR_MAGIC_OFF 0x202    /* "HdrS" */
#define HDR_VERSION_OFF 0x206  /* protocol version, u16 */
#define HDR_KVERSION_OFF 0x20e /* kernel_version: string offset - 0x200 */

char *tiervm_kernel_release(const char *image)
{
	unsigned char hdr[0x210];
	char release[128];
	unsigned off;
	ssize_t n;
	int fd = open(image, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	n = pread(fd, hdr, sizeof(hdr), 0);
	if (n != (ssize_t)sizeof(hdr) ||
	    memcmp(hdr + HDR_MAGIC_OFF, "HdrS", 4) ||
	    (hdr[HDR_VERSION_OFF] | hdr[HDR_VERSION_OFF + 1] << 8) < 0x200) {
		close(fd);
		return NULL;
	}
	off = (unsigned)(hdr[HDR_KVERSION_OFF] | hdr[HDR_KVERSION_OFF + 1]
							 << 8);
	n = off ? pread(fd, release, sizeof(release) - 1, off + 0x200) : -1;
	close(fd);
	if (n <= 0)
		return NULL;
	release[n] = '\0';
	/* "6.1.0-13-amd64 (debian-kernel@...) #1 SMP ..." */
	release[strcspn(release, " ")] = '\0';
	return release[0] ? xstrdup(release) : NULL;
}

char *tiervm_kernel_find_config(const char *image, const char *release,
				struct strv *looked)
{
	char *copy = xstrdup(image), *dir = dirname(copy), *found = NULL;
	char *candidates[8] = { 0 };
	size_t n = 0;

	if (release) {
		candidates[n++] = xasprintf("%s/config-%s", dir, release);
		candidates[n++] = xasprintf("/boot/config-%s", release);
		candidates[n++] =
			xasprintf("/lib/modules/%s/build/.config", release);
	}
	/* a build tree: arch/x86/boot/bzImage, or the image at its top */
	if (strlen(dir) >= 13 &&
	    !strcmp(dir + strlen(dir) - 13, "arch/x86/boot"))
		candidates[n++] = xasprintf("%s/../../../.config", dir);
	candidates[n++] = xasprintf("%s/.config", dir);
	for (size_t i = 0; i < n; i++) {
		if (!found && access(candidates[i], R_OK) == 0) {
			found = candidates[i];
			continue;
		}
		if (looked && !found)
			strv_push(looked, candidates[i]);
		else
			free(candidates[i]);
	}
	free(copy);
	return found;
}

enum tiervm_kopt tiervm_kernel_option(const char *image, const char *option,
				      char **config)
{
	char *release = tiervm_kernel_release(image);
	char *path = tiervm_kernel_find_config(image, release, NULL);
	enum tiervm_kopt state = TIERVM_KOPT_UNKNOWN;
	size_t len = strlen(option);
	char line[512];
	FILE *f = path ? fopen(path, "re") : NULL;
	bool read_it = f != NULL;

	if (f) {
		state = TIERVM_KOPT_NO;
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, option, len) && line[len] == '=' &&
			    (line[len + 1] == 'y' || line[len + 1] == 'm'))
				state = line[len + 1] == 'y'
						? TIERVM_KOPT_YES
						: TIERVM_KOPT_MODULE;
		fclose(f);
	}
	free(release);
	if (config && read_it) {
		*config = path;
		path = NULL;
	} else if (config) {
		*config = NULL;
	}
	free(path);
	return state;
}
