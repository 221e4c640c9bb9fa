// SPDX-License-Identifier: LGPL-2.1-or-later
#include <string.h>

#include "spec.h"

static const char *const names[] = { "dram", "hbm",	      "cxl",
				     "pmem", "soft-reserved", NULL };
const char *tiervm_kind_name(enum tiervm_kind kind)
{
	return kind < TIERVM_KIND__COUNT ? names[kind] : "unknown";
}

bool tiervm_kind_from_name(const char *name, enum tiervm_kind *kind)
{
	for (int i = 0; names[i]; i++) {
		if (!strcmp(name, names[i])) {
			*kind = (enum tiervm_kind)i;
			return true;
		}
	}
	return false;
}
