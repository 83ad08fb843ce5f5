/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The dependency engine: lock events in, findings out. It knows nothing of
 * BPF or files; live capture and replay feed it the same events and get the
 * same findings. The model is described at the top of engine.c.
 */
#ifndef LOCKDEPD_ENGINE_H
#define LOCKDEPD_ENGINE_H

#include <stddef.h>
#include <linux/types.h>

#include "event.h"
#include "finding.h"

struct engine;
struct rules;
struct symtab;
struct gfp_layout;

struct engine_stats {
	__u64 events;
	__u64 classes;
	__u64 dependencies;
	__u64 findings; /* reported, suppressed excluded */
	__u64 suppressed;
	__u64 unpaired_releases; /* releases of locks the task did not hold */
	__u64 lost_events; /* sum of lost counts */
	__u64 lost_resets; /* held stacks dropped because of losses */
};

/* Called once per new finding, the moment it is found (suppressed ones too). */
typedef void (*engine_finding_fn)(const struct finding *finding, void *ctx);

/*
 * rules may be NULL; symtab names addresses (class fallbacks, static locks)
 * and must outlive the engine. Returns NULL with errno set on failure.
 */
struct engine *engine__new(const struct rules *rules, struct symtab *symtab);
void engine__free(struct engine *engine);

/* The gfp layout allocations are decoded with; the default until set. Copied. */
int engine__set_gfp_layout(struct engine *engine, const struct gfp_layout *layout);
void engine__set_finding_fn(struct engine *engine, engine_finding_fn fn, void *ctx);

/* 0, or -ENOMEM; an event the engine cannot use is counted and ignored. */
int engine__feed(struct engine *engine, const struct ld_event *event);

size_t engine__nr_findings(const struct engine *engine); /* suppressed included */
const struct finding *engine__finding(const struct engine *engine, size_t i);
void engine__stats(const struct engine *engine, struct engine_stats *ret_stats);

#endif
