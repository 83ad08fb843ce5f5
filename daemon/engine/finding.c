// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>

#include "engine/finding.h"

static const char *const finding_kind_names[FINDING_KIND_MAX] = {
	[FINDING_CIRCULAR] = "circular",
	[FINDING_RECLAIM] = "reclaim",
	[FINDING_ORDER] = "order",
	[FINDING_RECURSIVE] = "recursive",
};

const char *finding_kind_name(int kind)
{
	if (kind < 0 || kind >= FINDING_KIND_MAX)
		return NULL;
	return finding_kind_names[kind];
}

int finding_kind_from_name(const char *name)
{
	for (int i = 0; i < FINDING_KIND_MAX; i++)
		if (strcmp(finding_kind_names[i], name) == 0)
			return i;
	return -1;
}
