/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Printing findings: lockdep's own report layout for people, JSON lines for
 * tools. Reads struct finding and a symtab, nothing else.
 */
#ifndef LOCKDEPD_REPORT_H
#define LOCKDEPD_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "engine/engine.h"
#include "engine/finding.h"
/* Those who print reports in JSON write the rest of their JSON with it. */
#include "lib/json.h"

struct symtab;

enum report_format {
	REPORT_TEXT,
	REPORT_JSON,
};

/* "text" or "json", as every --format of the CLI takes it. 0 or -EINVAL (logged). */
int report_format_parse(const char *arg, enum report_format *ret_format);

struct report_opts {
	enum report_format format;
	const char *kernel_release; /* printed in the text header; NULL: unknown */
};

/* One finding: a lockdep-style block (text) or one JSON object and a newline. */
int report_finding(FILE *out, const struct report_opts *opts, const struct finding *finding,
		   struct symtab *symtab);

/* The closing summary line(s) (text) or a {"summary": ...} object (JSON). */
int report_summary(FILE *out, const struct report_opts *opts, const struct engine_stats *stats);

/* The engine's counters as one JSON object. */
void json_write_stats(FILE *out, const struct engine_stats *stats);

#endif
