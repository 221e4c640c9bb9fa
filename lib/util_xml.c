// SPDX-License-Identifier: LGPL-2.1-or-later
#include <string.h>

#include "util_xml.h"

bool xml_is(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE &&
	       !xmlStrcmp(n->name, (const xmlChar *)name);
}

xmlNode *xml_child(const xmlNode *n, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (xml_is(c, name))
			return c;
	return NULL;
}

bool xml_prop_is(xmlNode *n, const char *name, const char *want)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	bool r = v && !strcmp((const char *)v, want);

	xmlFree(v);
	return r;
}
