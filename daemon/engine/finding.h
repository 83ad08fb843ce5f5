/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the engine reports. Outputs (text, JSON, journal, kmsg, ...) read
 * these and nothing else of the engine; all pointers stay valid for the
 * engine's lifetime.
 */
#ifndef LOCKDEPD_FINDING_H
#define LOCKDEPD_FINDING_H

#include <stdbool.h>
#include <linux/types.h>

enum finding_kind {
	FINDING_CIRCULAR = 0, /* a dependency closed a cycle */
	FINDING_RECLAIM, /* a cycle through fs_reclaim */
	FINDING_ORDER, /* a dependency against the declared hierarchy */
	FINDING_RECURSIVE, /* a class taken while already held */
	FINDING_KIND_MAX,
};

const char *finding_kind_name(int kind);
int finding_kind_from_name(const char *name); /* -1 if unknown */

/* The name of lockdep's reclaim pseudo-lock, a class like any other. */
#define FS_RECLAIM_CLASS "fs_reclaim"

/* One acquisition as it was seen: which lock, where, how. */
struct lock_site {
	const char *class_name;
	__u64 lock; /* instance address; 0 for fs_reclaim */
	__u64 ip; /* the lock call, the allocation site or the reclaim entry */
	const __u64 *stack; /* innermost first */
	__u32 nr_stack;
	__u8 lock_type; /* enum ld_lock_type */
	bool trylock;
};

/*
 * An edge from -> to of the dependency graph, with what was seen the first
 * time: `held` is how `from` was taken (for from == fs_reclaim, the reclaim
 * entry: ip is the shrinker or entry function), `acquired` how `to` was
 * reached (for to == fs_reclaim, the allocation: ip is the allocation site).
 */
struct dependency {
	const char *from;
	const char *to;
	__u32 pid;
	const char *comm; /* "" when unknown */
	__u64 time_ns;
	const char *test; /* igt@binary@subtest running when first seen, or NULL */
	struct lock_site held;
	struct lock_site acquired;
	__u64 count; /* times seen, first included */
	bool primed; /* declared by the rules (taint_reclaim), never seen */
	const char *reclaim_kind; /* from == fs_reclaim: "shrinker", "direct", ...; else NULL */
};

struct finding {
	enum finding_kind kind;
	/*
	 * The classes involved, each once. For a cycle, in dependency order
	 * starting with the class the task was trying to take and ending with
	 * the class it already held: classes[i] -> classes[i + 1] are known
	 * dependencies, and the new one closes classes[n - 1] -> classes[0].
	 */
	const char *const *classes;
	__u32 nr_classes;
	/*
	 * circular, reclaim: edges[i] is classes[i] -> classes[(i + 1) % n],
	 * the last one the new dependency. order: classes = {held, taken}
	 * and one edge held -> taken (against the declared order).
	 * recursive: classes = {class} and one edge class -> class.
	 */
	const struct dependency *const *edges;
	__u32 nr_edges;
	__u64 count; /* times the closing dependency or recursion was seen */
	const char *test; /* test running when the closing edge was first seen, or NULL */
	bool suppressed;
	const char *reason; /* suppression reason, or the rule broken (order) */
	/* The task that completed the finding, and what it held then (outermost first). */
	__u32 pid;
	const char *comm;
	__u64 time_ns;
	const struct lock_site *held;
	__u32 nr_held;
};

#endif
