// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the rules loader: any bytes must load or fail with
 * one logged error, never crash, leak or read out of bounds. A successful
 * load is also queried, so the loaded structure is walked end to end.
 */
#include <stddef.h>
#include <stdint.h>

#include "engine/finding.h"
#include "lib/log.h"
#include "engine/rules.h"

static void discard_log(enum log_level level, const char *msg, void *ctx)
{
	(void)level;
	(void)msg;
	(void)ctx;
}

static void query(const struct rules *rules)
{
	for (size_t i = 0; i < rules->nr_classes; i++) {
		const char *name = rules->classes[i].name;
		const char *set[] = { name, FS_RECLAIM_CLASS };

		for (size_t j = 0; j < rules->classes[i].nr_match; j++)
			rules__class_for(rules, rules->classes[i].match[j]);
		rules__order_index(rules, name);
		rules__allows_nesting(rules, name);
		rules__is_reclaim_tainted(rules, name);
		for (int kind = 0; kind < FINDING_KIND_MAX; kind++)
			rules__suppression_for(rules, kind, set, 2);
	}
	for (size_t i = 0; i < rules->nr_suppress; i++)
		rules__suppression_for(rules, rules->suppress[i].kind,
				       (const char *const *)rules->suppress[i].classes,
				       rules->suppress[i].nr_classes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules *rules = NULL;

	log_set_sink(discard_log, NULL);
	if (rules__load_buffer("fuzz.yaml", (const char *)data, size, &rules) == 0) {
		query(rules);
		rules__free(rules);
	}
	return 0;
}
