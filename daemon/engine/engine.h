/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The dependency engine: lock events in, findings out. It knows nothing of
 * BPF or files; live capture and replay feed it the same events and get the
 * same findings. The model is described at the top of engine.c.
 */
#ifndef LOCKDEPD_ENGINE_H
#define LOCKDEPD_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "event/event.h"
#include "engine/finding.h"

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
	__u64 locks_without_init; /* locks taken whose init was never seen (no static symbol) */
};

/* Called once per new finding, the moment it is found (suppressed ones too). */
typedef void (*engine_finding_fn)(const struct finding *finding, void *ctx);

/*
 * rules may be NULL; symtab names addresses (class fallbacks, static locks)
 * and must outlive the engine. 0 or -ENOMEM, *ret untouched on failure.
 */
int engine__new(const struct rules *rules, struct symtab *symtab, struct engine **ret);
void engine__free(struct engine *engine);

/* The gfp layout allocations are decoded with; the default until set. Copied. */
int engine__set_gfp_layout(struct engine *engine, const struct gfp_layout *layout);
void engine__set_finding_fn(struct engine *engine, engine_finding_fn fn, void *ctx);

/*
 * What the engine has learned that lets a live source's probes keep
 * repeats in the kernel (include/lockdepd_chain.h): facts handed out
 * right after the event that taught them.
 *  - CHAIN_KNOWN key: an acquisition or allocation key whose every
 *    consequence is in the graph; the same key again adds nothing;
 *  - CHAIN_IDENT key, class_id: the locks of that ident are class_id;
 *  - CHAIN_FORGET key: a lock ident that may no longer be true (an init
 *    named the lock); forgetting one never mapped is a no-op;
 *  - CHAIN_RESET: no key or ident told so far holds any more (the rules
 *    changed what inits and call sites make of a class).
 */
enum engine_chain_fact {
	ENGINE_CHAIN_KNOWN,
	ENGINE_CHAIN_IDENT,
	ENGINE_CHAIN_FORGET,
	ENGINE_CHAIN_RESET,
};

typedef void (*engine_chain_fn)(enum engine_chain_fact fact, __u64 key, __u32 class_id, void *ctx);

/* NULL turns the facts off (the default): they cost a little on every acquisition. */
void engine__set_chain_fn(struct engine *engine, engine_chain_fn fn, void *ctx);
/*
 * For tests: from now on every new dependency searches the whole graph for
 * a cycle, as the engine did before it kept an order. The findings must be
 * the same, in the same order.
 */
void engine__set_plain_search(struct engine *engine);

/* 0, or -ENOMEM (logged); an event the engine cannot use is counted and ignored. */
int engine__feed(struct engine *engine, const struct ld_event *event);
/* engine__feed() as a trace_event_fn: ctx is the engine. */
int engine__replay_event(void *engine, const struct ld_event *event);

size_t engine__nr_findings(const struct engine *engine); /* suppressed included */
const struct finding *engine__finding(const struct engine *engine, size_t i);
void engine__stats(const struct engine *engine, struct engine_stats *ret_stats);

/* The IGT test running now (from the marks fed so far), or NULL. */
const char *engine__current_test(const struct engine *engine);

/*
 * Replaces the rules (the service's reload), keeping the graph: classes
 * take their order and nesting from the new rules, init names are mapped
 * by them from their next init on, suppressions are re-evaluated (the
 * finding and suppressed counts follow), and new taint_reclaim classes are
 * primed, which may close a cycle at once. rules may be NULL and must
 * outlive its use. 0 or -ENOMEM.
 */
int engine__set_rules(struct engine *engine, const struct rules *rules);

/*
 * The learned graph, for saving it and for merging graphs (state.h).
 * Classes and dependencies are numbered in creation order, fs_reclaim and
 * primed taints included; importing them in that order into a fresh engine
 * rebuilds the same graph and finds the same findings.
 */
size_t engine__nr_classes(const struct engine *engine);
/* The name of class i (NULL past the end); *ret_unclassified when not NULL. */
const char *engine__class(const struct engine *engine, size_t i, bool *ret_unclassified);
size_t engine__nr_dependencies(const struct engine *engine);
/* Dependency i into *ret_dep, whose pointers live as long as the engine; -ENOENT past the end. */
int engine__dependency(const struct engine *engine, size_t i, struct dependency *ret_dep);

/*
 * Creates a class by name if it does not exist. 0 or -ENOMEM. An
 * unclassified class (a lock known by its address alone) is left out, as
 * is every dependency to or from one: an address names nothing in another
 * boot or on another machine.
 */
int engine__import_class(struct engine *engine, const char *name, bool unclassified);

/*
 * Adds a dependency learned elsewhere (a saved graph, another machine) as
 * if it had just been seen, with what dep says was first seen (strings and
 * stacks are copied; stack frames and ips are addresses of the engine's
 * symtab). A new dependency runs the same checks as a live one, so an
 * inversion whose halves come from two graphs is found here; such a
 * finding takes the closing dependency's task, test and count, goes
 * through the finding callback like any other, and shows the held side of
 * the closing dependency as the lock held. A known dependency adds
 * dep->count to its count; a primed one takes dep's first sighting. A
 * primed dep is a taint (see engine__set_rules()). 0, -EINVAL (no class
 * names) or -ENOMEM.
 */
int engine__import_dependency(struct engine *engine, const struct dependency *dep);

/*
 * Restores the count of a saved finding, known by kind and class set (in
 * any order), once its dependencies are imported: the first restore of a
 * finding sets its count, later ones (merging graphs) add to it. Returns
 * 1 when the graph holds that finding, 0 when it does not (its classes or
 * dependencies are unknown, or the rules make it something else), or
 * -ENOMEM.
 */
int engine__restore_finding(struct engine *engine, int kind, const char *const *classes,
			    size_t nr_classes, __u64 count);
/* Whether finding i had its count restored: false for one the imports made new. */
bool engine__finding_restored(const struct engine *engine, size_t i);

#endif
