/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_HOST_SOURCE_H
#define TIERVM_HOST_SOURCE_H

#include "host.h"
#include "util_error.h"

/*
 * Where a machine's description comes from: this host, a directory
 * holding a captured /sys and /proc (`tiervm host --root`, `tiervm up
 * --capture` unpacked, an hwloc-gather-topology tree), a tarball of one
 * (unpacked by tiervm into a private directory, removed on close), or an
 * hwloc 2.x XML file.
 */
struct tiervm_source;

/**
 * tiervm_source_open - open @from (NULL: this host).  A tarball is
 * unpacked now, refusing absolute paths, "..", links out of the tree and
 * anything but files, directories and symlinks.
 */
struct tiervm_source *tiervm_source_open(const char *from, tiervm_error **errp);

/** tiervm_source_inventory - the memory inventory @src describes. */
struct tiervm_host *tiervm_source_inventory(const struct tiervm_source *src,
					    tiervm_error **errp);

/** tiervm_source_name - what the user named ("this host" for NULL). */
const char *tiervm_source_name(const struct tiervm_source *src);

/** tiervm_picture_new - @svg does not exist yet (pictures never overwrite). */
bool tiervm_picture_new(const char *svg, tiervm_error **errp);

/** tiervm_source_label - the machine's name, as the source gives it. */
const char *tiervm_source_label(const struct tiervm_source *src);

/**
 * tiervm_source_picture - hwloc's drawing of @src (lstopo's native SVG)
 * in the new file @svg; an existing file is never overwritten.
 */
bool tiervm_source_picture(const struct tiervm_source *src, const char *svg,
			   tiervm_error **errp);

/**
 * tiervm_picture_xml - hwloc's drawing of the topology in the XML text
 * @xml, in the new file @svg.
 */
bool tiervm_picture_xml(const char *xml, const char *svg, tiervm_error **errp);

void tiervm_source_close(struct tiervm_source *src);

#endif
