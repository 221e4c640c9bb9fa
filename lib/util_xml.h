/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_UTIL_XML_H
#define TIERVM_UTIL_XML_H

#include <libxml/tree.h>
#include <stdbool.h>

/* The walks tiervm makes through libxml2 trees (hwloc's XML, libvirt's). */

/** xml_is - @n is an element named @name; NULL is none. */
bool xml_is(const xmlNode *n, const char *name);

/** xml_child - @n's first child element named @name, or NULL. */
xmlNode *xml_child(const xmlNode *n, const char *name);

/** xml_prop_is - @n has the attribute @name, and it is @want. */
bool xml_prop_is(xmlNode *n, const char *name, const char *want);

#endif
