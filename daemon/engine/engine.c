// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The dependency engine: lockdep's model, rebuilt from the events of a
 * kernel that has no lockdep.
 *
 * Classes. A class stands for all the locks lockdep would treat as one. A
 * lock instance (an address, from one init event to the next) gets its
 * class once, from the first of:
 *  1. the rules: rules__class_for() of its init name or static symbol;
 *  2. its init name, per init site: the first site using a name owns
 *     "name", later sites get "name#2", "name#3", ... as in lockdep. An
 *     init name "name/N" (N > 0) is lockdep subclass N: the class is
 *     "base/N", base being what 1. or 2. make of "name";
 *  3. a data symbol at exactly its address (a static lock);
 *  4. a ww_mutex first taken under an acquire context while the task holds
 *     another ww_mutex under that context: the class of that one. A
 *     context serves one ww class (ww_acquire_init()), so this is the
 *     kernel's own fact, not a guess;
 *  5. nothing: the lock was initialised before the events began (a driver
 *     loaded before the tracer). It is a class of its own, keyed by its
 *     address as lockdep keys a static lock, and named after it and the
 *     call site that first took it: "unclassified@func+0x1c:0x<lock>"
 *     ("unclassified@0x<ip>:0x<lock>", "unclassified@lock:0x<lock>" when
 *     nothing names the site), flagged unclassified and counted
 *     (locks_without_init). Two such locks are never merged, by call site
 *     or anything else: one class for locks that need not be one would
 *     invent dependencies, and a cycle over them. An inversion between the
 *     very same locks is still found; one between other locks of their
 *     real class is missed, the price of not guessing. Only 4. makes such
 *     a class hold several locks, so it reports recursion only when the
 *     very same lock is taken again. An address means nothing in another
 *     boot: imported graphs leave unclassified classes out.
 * A lock_args rule names a class itself (an init event flagged
 * LD_EV_F_INIT_RULE): at an init function's return it is the lock's class
 * as an init would be; at another function's entry (also
 * LD_EV_F_INIT_FALLBACK) it names only a lock still without a class, or
 * re-names one that 5. made its own, so that the driver loaded before the
 * events began gets its real classes from then on, and a lock an init
 * named keeps that class.
 * fs_reclaim (FS_RECLAIM_CLASS) is a class with no instance: lockdep's
 * pseudo-lock for "this task may enter filesystem reclaim".
 *
 * Annotations. The rules give back what a production kernel compiled away
 * (rules.h): a novalidate class (its init name and init function) is held
 * but never validated, no dependency starts or ends at it; a nested rule
 * makes the acquisitions of a class by one calling function subclass N,
 * class "name/N" for that acquisition only (lockdep's subclass belongs to
 * the acquisition, not to the lock), or lets them nest in their own class
 * there. The caller is the function of the acquisition's ip; what a call
 * site makes of a class is worked out once (nested_sites).
 *
 * Held locks. Every task (pid) has a stack of held locks: successful
 * attempts push, releases remove from anywhere in the stack. In reclaim
 * context (between reclaim enter and exit, nested, and always in a
 * PF_KSWAPD task) fs_reclaim counts as held beneath them.
 *
 * Dependencies. A -> B says a lock of class B was wanted while one of
 * class A was held. Each blocking attempt on B, successful or not (a
 * failed attempt could still have deadlocked), records A -> B for every
 * held A, but:
 *  - A == B is recursion (below), not a dependency between classes;
 *  - a trylock records nothing into its lock, yet is held;
 *  - ww_mutexes under one acquire context record nothing among
 *    themselves when they are one class, or when one of them is of unknown
 *    class (the context names it: one context, one ww class): wound/wait
 *    resolves their order. Two known classes under one context depend on
 *    each other, as in lockdep.
 * An allocation that may enter fs reclaim (gfp_may_enter_fs_reclaim())
 * records A -> fs_reclaim for every held A, and a lock taken in reclaim
 * context records fs_reclaim -> B. A dependency keeps what was seen the
 * first time (task, both acquisitions and their stacks, time, IGT test)
 * and counts the later hits. Each taint_reclaim class of the rules starts
 * with a primed fs_reclaim -> class, as i915_gem_shrinker_taints_mutex()
 * does, so that the first allocation under such a lock is reported even
 * if reclaim never ran; it records its first real sighting as any other.
 *
 * Findings. Only a new dependency A -> B makes one:
 *  - circular: a breadth-first search from B along the dependencies
 *    reaches A; the shortest path found and A -> B form the cycle;
 *  - reclaim: such a cycle going through fs_reclaim;
 *  - order: the rules' order puts B before A, and A -> B closed no cycle
 *    (a cycle is the stronger report of the same mistake; a suppressed
 *    cycle does not hide the order breach);
 *  - recursive: a blocking attempt on a class already held, unless the
 *    rules let it nest or both are ww_mutexes under one context; it is
 *    recorded as the dependency B -> B.
 * A cycle lists its classes from B (being taken) round to A (held), so
 * that edges[i] is classes[i] -> classes[i + 1] and the new A -> B comes
 * last. A finding is its kind and its set of classes: meeting it again
 * only counts. Suppressed findings are kept, flagged, and counted apart.
 * The engine never switches itself off, unlike lockdep after a report.
 *
 * The order. The engine keeps the classes in an order the dependencies
 * respect, so that most new dependencies are known to close no cycle
 * without a search. The graph keeps its cycles, so the order is one of
 * its strongly connected components: the classes a cycle joins are one
 * component and share its position, and a dependency between two
 * components goes from the one placed first to the other (the graph of
 * components has no cycle). A new A -> B, A != B:
 *  - A and B in one component: it closes a cycle;
 *  - A's component placed before B's: it closes none, nothing is searched;
 *  - else a search forwards from B and one backwards from A, among the
 *    components placed between the two and no others, either meet (a
 *    cycle: the components on it become one) or hand the positions they
 *    cover out again, those reaching A first (Pearce and Kelly's dynamic
 *    topological order, ACM JEA 11, 2006).
 * The breadth-first search of a cycle runs only once a cycle is known,
 * and only within the component of A and B, which holds every path from
 * B back to A: it finds the path a search of the whole graph would.
 *
 * The chain cache. A live source's probes leave out the acquisitions
 * (and their releases, and allocations) whose key the engine has already
 * fed (include/lockdepd_chain.h): the classes held in order, the class
 * taken, its caller, type and reclaim context. Every dependency, recursion
 * and order check of an acquisition is a function of that key, so one fed
 * is all of them made. The engine hands out the facts (engine_chain_fn):
 * the key of each acquisition and allocation it fed, the class of each
 * init's ident and of each lock first taken without one, and when those
 * stop holding. A held record then says what a task holds before its next
 * acquisition or allocation on a new chain: locks the engine did not know
 * held are pushed as an acquire would class them, with no dependency.
 *
 * Losses. A lost event may have been a release. After a loss the held
 * stacks and reclaim context of the task named (or of every task) are
 * dropped, so that nothing held across a gap can become the source of a
 * dependency. The memalloc scope (flags) is kept: forgetting a NOFS scope
 * would make allocations look able to reclaim. An exit drops the task.
 *
 * Graphs outlive the engine. The service saves classes and dependencies
 * (with what was first seen) and imports them into the next engine; merge
 * imports several machines' graphs into one. An imported dependency is
 * checked exactly like one just seen, with no task: the closing edge then
 * says who, when and in which test. Rules may change under a running
 * engine: order, nesting and suppressions are re-read, and new taints are
 * primed and checked against the graph already learned.
 *
 * Memory grows with what was seen; there is no fixed table. The hot path
 * (an acquire or release touching known classes and known dependencies)
 * allocates nothing: a task lookup, a lock instance lookup, and per held
 * lock one byte read and written (pair_index()). A dependency's count
 * may lag in those bytes and in its out_slot, never in what anyone reads:
 * edge_count() adds them up, and an edge anything hangs off (a finding, a
 * struct dependency handed out, a primed taint) is counted at once. Only a
 * new dependency against the order searches the graph.
 *
 * One file, read best whole: classes, held stacks, the graph and its
 * findings are one model.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "lockdepd_chain.h"
#include "event/gfp.h"
#include "engine/igt.h"
#include "lib/arena.h"
#include "lib/array.h"
#include "lib/hashmap.h"
#include "lib/log.h"
#include "engine/rules.h"
#include "event/symtab.h"

#define NO_CLASS    0u /* class ids start at 1 */
#define KEYED_CLASS UINT32_MAX /* an init whose class waits for its key (class_for_init()) */
#define NO_EDGE	    UINT32_MAX
#define NO_KIND	    -1

/* --- the engine's state ---------------------------------------------- */

struct stack {
	__u32 nr;
	__u64 frames[];
};

/*
 * The hot path's index of a class's out-edges, by target class: open
 * addressing, linear probing, at most 3/4 full. A hit on a plain edge
 * (not primed, not in a finding, no struct dependency handed out) is only
 * counted here (and, below plain_dim, first in its pair's byte) and folded
 * into edge->count when anything looks at the edge: edge->count + hits is
 * the count (edge_count()). Every other edge is OUT_DIRECT and takes the
 * slow path, which keeps edge->count and everything hanging off it exact.
 */
#define OUT_DIRECT	UINT32_MAX
#define OUT_PENDING_MAX (UINT32_MAX / 2)

struct out_slot {
	__u32 to; /* NO_CLASS: a free slot */
	__u32 hits; /* not yet in edge->count, or OUT_DIRECT */
};

/* An out-edge in creation order: the cycle search walks these, newest first. */
struct out_edge {
	__u32 to;
	__u32 edge;
};

struct class
{
	const char *name;
	__u32 first_out; /* out-edge list, newest first */
	__s32 order_index; /* in the rules' order, or -1 */
	bool allow_nesting;
	bool unclassified;
	bool novalidate; /* never a dependency's end, never recursion */
	bool nested; /* nested rules may make its acquisitions a subclass */
	struct out_slot *out_slots; /* NULL until the first out-edge */
	__u32 out_mask;
	__u32 nr_out;
	struct out_edge *out; /* nr_out of them, oldest first */
	__u32 cap_out;
};

/* One side of a dependency as first seen; its class is the edge's. */
struct edge_site {
	__u64 lock;
	__u64 ip;
	const struct stack *stack;
};

/*
 * A dependency, compact: a struct dependency is only built for the ones a
 * finding shows (edge->dep), and kept in step with the edge from then on.
 */
struct edge {
	__u32 from;
	__u32 to;
	__u32 next_out;
	__u32 pid;
	__u64 count;
	__u64 time_ns;
	const char *comm;
	const char *test;
	struct edge_site held;
	struct edge_site acquired;
	struct dependency *dep;
	__u32 cycle_finding; /* index + 1 of the cycle or recursion it closed */
	__u32 order_finding; /* index + 1 of the order finding it made */
	__u8 held_type;
	__u8 acquired_type;
	bool held_trylock;
	bool acquired_trylock;
	__s8 reclaim_kind; /* from == fs_reclaim: enum ld_reclaim_kind; else NO_KIND */
	bool primed;
};

#define EDGE_CHUNK_SHIFT 12
#define EDGE_CHUNK_SIZE	 (1u << EDGE_CHUNK_SHIFT)

/* An acquisition being looked at: a held lock, the lock wanted, fs_reclaim. */
struct site_view {
	__u32 class_id;
	__u32 base_class; /* the lock's own class, before a nested rule's subclass */
	__u8 lock_type;
	bool trylock;
	__s8 reclaim_kind;
	__u32 nr_stack;
	__u64 lock;
	__u64 ip;
	__u64 ctx;
	const __u64 *stack;
	bool nest_ok; /* its caller nests it in its own class on purpose */
};

struct held_lock {
	__u64 lock;
	__u64 ip;
	__u64 ctx;
	__u32 class_id;
	__u32 base_class; /* what the chain key hashes (lockdepd_chain.h) */
	__u8 lock_type;
	bool trylock;
	__u8 nr_stack; /* its frames: task->held_stacks[] at the same index */
	bool stack_is_ip; /* the one frame is ip: held_stacks[] has nothing for it */
};

struct reclaim_frame {
	__u64 fn;
	__u8 kind;
};

#define TASK_HELD_INLINE 6
#define TASK_CACHE_SIZE	 256

/*
 * What every acquisition and release reads is in the first cache line,
 * the first holds in the next ones: the task is allocated line-aligned.
 */
struct task {
	__u32 pid;
	__u32 flags; /* LD_TASK_* */
	__u32 nr_held;
	__u32 reclaim_depth;
	char comm[LD_COMM_LEN];
	struct held_lock *held; /* outermost first */
	/* held[i]'s stack, apart so that walking held stays within a cache line or two */
	__u64 (*held_stacks)[LD_MAX_STACK];
	const char *comm_name; /* comm interned, NULL until needed */
	__u32 cap_held;
	__u32 cap_reclaim;
	/* held, until more are held: right behind the task, no second miss to reach it */
	struct held_lock held_inline[TASK_HELD_INLINE];
	struct reclaim_frame *reclaim; /* innermost last */
	struct task *next_free;
} __attribute__((aligned(64)));

_Static_assert(offsetof(struct task, held_inline) == 64, "a task's hot fields fill one cache line");

struct finding_entry {
	struct finding pub;
	__u32 *class_ids; /* sorted: the identity with pub.kind */
	__u32 nr_class_ids;
	const char *own_reason; /* the reason when not suppressed (order: the rule broken) */
	bool count_restored; /* engine__restore_finding() set the count already */
};

/* The sites an init name was used at, for lockdep's "name#N". */
struct name_versions {
	const char *name;
	__u64 *sites;
	__u32 nr_sites;
	__u32 cap_sites;
};

struct init_key {
	const char *name;
	__u64 site;
	__u32 class_id;
};

/* Where a search has been, by class: apart from the classes, so it touches little memory. */
struct visit {
	__u32 gen; /* the search that last reached the class */
	__u32 edge; /* the edge that reached it in that search */
};

/*
 * A class's place in the dependencies' order (see the header), what the
 * order's searches read for every dependency they follow: small, so that
 * the searches stay in cache. Only the representative of a strongly
 * connected component (its first class while it has one) has an ord.
 */
struct order_node {
	__u32 scc; /* the representative of the class's component */
	__u32 ord; /* the component's position */
	__u32 mark_fwd; /* order_gen of the forward search that reached it */
	__u32 mark_back; /* order_gen of the backward search that reached it */
};

/* The rest of it: the class's dependencies in, and its component's classes. */
struct order_class {
	__u32 *in; /* classes with a dependency to this one, oldest first */
	__u32 nr_in;
	__u32 cap_in;
	__u32 next_member; /* next class of the component, NO_CLASS at its end */
	__u32 last; /* at the representative: the component's last class */
	__u32 size; /* at the representative: its number of classes */
};

struct engine {
	const struct rules *rules;
	struct symtab *symtab;
	struct gfp_layout *gfp;
	struct igt_tracker *igt;
	engine_finding_fn finding_fn;
	void *finding_ctx;
	engine_chain_fn chain_fn;
	void *chain_ctx;
	struct arena arena;
	__u64 now_ns; /* time of the event being fed, 0 when unknown */

	struct class *classes; /* by id; [0] unused */
	__u32 nr_classes;
	__u32 cap_classes;
	__u32 fs_reclaim;
	struct hmap class_by_name; /* hash -> class id */
	struct hmap init_classes; /* hash(name, site) -> struct init_key * */
	struct hmap name_versions; /* hash(name) -> struct name_versions * */
	struct hmap instances; /* lock address -> instance_value() */
	struct hmap nested_sites; /* hash(class, ip) -> struct nested_site * */

	struct edge **edge_chunks;
	__u32 nr_edges;
	__u32 nr_edge_chunks;
	__u32 cap_edge_chunks;
	struct hmap edge_by_classes; /* from << 32 | to -> edge index + 1 */

	struct hmap stacks; /* hash -> struct stack * */
	struct hmap comms; /* hash -> interned comm */

	struct hmap tasks; /* pid -> struct task * */
	/* In front of tasks: the tasks of a trace interleave, one entry is not enough. */
	struct {
		__u32 pid;
		struct task *task;
	} task_cache[TASK_CACHE_SIZE];
	struct task *free_tasks;

	struct finding_entry **findings;
	__u32 nr_findings;
	__u32 cap_findings;
	struct hmap finding_by_identity; /* hash -> finding index + 1 */

	__u32 *queue; /* breadth-first search */
	__u32 cap_queue;
	__u32 visit_gen;
	struct visit *visits; /* by class */
	__u32 cap_visits;
	__u32 *path; /* edges of the cycle found */
	__u32 cap_path;
	__u32 *scratch; /* class ids of a finding being looked up */
	__u32 cap_scratch;

	/* The dependencies' order, see order_add(); by class id. */
	bool order_off; /* every new dependency searches the whole graph */
	struct order_node *order;
	struct order_class *order_classes;
	__u32 nr_order;
	__u32 cap_order;
	__u32 cap_order_classes;
	__u32 next_ord;
	__u32 order_gen;
	__u32 *order_fwd; /* components the forward search reached */
	__u32 cap_order_fwd;
	__u32 *order_back; /* components the backward search reached */
	__u32 cap_order_back;
	__u64 *order_keys; /* ord << 32 | component, for sorting */
	__u32 cap_order_keys;
	__u64 *order_pool; /* the positions to hand out again, as keys; room to sort */
	__u32 cap_order_pool;

	struct engine_stats stats;

	/* The hot path's counting, see pair_index(). */
	__u8 *pair_state; /* to * plain_dim + from: PAIR_DIRECT, or plain with hits - 1 */
	__u32 plain_dim; /* a multiple of 64, at most PLAIN_DIM_MAX; 0 before any */
};

static inline struct edge *edge_at(const struct engine *engine, __u32 index)
{
	return &engine->edge_chunks[index >> EDGE_CHUNK_SHIFT][index & (EDGE_CHUNK_SIZE - 1)];
}

/* --- interning ------------------------------------------------------- */

struct stack_wanted {
	const __u64 *frames;
	__u32 nr;
};

static bool stack_eq(__u64 value, const void *wanted)
{
	const struct stack *stack = (const struct stack *)(uintptr_t)value;
	const struct stack_wanted *w = wanted;

	return stack->nr == w->nr && memcmp(stack->frames, w->frames, w->nr * sizeof(__u64)) == 0;
}

/* Identical stacks are stored once. NULL for an empty stack; sets *ret_err on ENOMEM. */
static const struct stack *stack_intern(struct engine *engine, const __u64 *frames, __u32 nr,
					int *ret_err)
{
	struct stack_wanted wanted = { frames, nr };
	struct hmap_slot *slot;
	struct stack *stack;
	__u64 key;

	if (!nr)
		return NULL;
	key = hash_bytes(frames, nr * sizeof(__u64), nr);
	slot = hmap_find(&engine->stacks, key, stack_eq, &wanted);
	if (slot)
		return (const struct stack *)(uintptr_t)slot->value;
	stack = arena_alloc(&engine->arena, sizeof(*stack) + nr * sizeof(__u64));
	if (!stack || hmap_insert(&engine->stacks, key, (uintptr_t)stack)) {
		*ret_err = -ENOMEM;
		return NULL;
	}
	stack->nr = nr;
	memcpy(stack->frames, frames, nr * sizeof(__u64));
	return stack;
}

static bool string_eq(__u64 value, const void *wanted)
{
	return strcmp((const char *)(uintptr_t)value, wanted) == 0;
}

static const char *comm_intern(struct engine *engine, const char *comm)
{
	__u64 key = hash_string(comm);
	struct hmap_slot *slot = hmap_find(&engine->comms, key, string_eq, comm);
	char *copy;

	if (slot)
		return (const char *)(uintptr_t)slot->value;
	copy = arena_strdup(&engine->arena, comm);
	if (!copy || hmap_insert(&engine->comms, key, (uintptr_t)copy))
		return NULL;
	return copy;
}

static const char *task_comm(struct engine *engine, struct task *task)
{
	char comm[LD_COMM_LEN + 1];

	if (!task->comm_name) {
		memcpy(comm, task->comm, LD_COMM_LEN);
		comm[LD_COMM_LEN] = '\0';
		task->comm_name = comm_intern(engine, comm);
	}
	return task->comm_name;
}

/* --- classes --------------------------------------------------------- */

struct class_wanted {
	const struct engine *engine;
	const char *name;
};

static bool class_name_eq(__u64 value, const void *wanted)
{
	const struct class_wanted *w = wanted;

	return strcmp(w->engine->classes[value].name, w->name) == 0;
}

/* The class called name, created when new. NO_CLASS on ENOMEM. */
static __u32 class_get(struct engine *engine, const char *name, bool unclassified)
{
	struct class_wanted wanted = { engine, name };
	__u64 key = hash_string(name);
	struct hmap_slot *slot = hmap_find(&engine->class_by_name, key, class_name_eq, &wanted);
	struct class *class;
	__u32 id;

	if (slot)
		return (__u32)slot->value;
	if (array_reserve(&engine->classes, &engine->cap_classes, engine->nr_classes + 1))
		return NO_CLASS;
	id = engine->nr_classes;
	class = &engine->classes[id];
	*class = (struct class){
		.name = arena_strdup(&engine->arena, name),
		.first_out = NO_EDGE,
		.order_index = rules__order_index(engine->rules, name),
		.allow_nesting = rules__allows_nesting(engine->rules, name),
		.unclassified = unclassified,
		.nested = !unclassified && rules__has_nested(engine->rules, name),
	};
	if (!class->name || hmap_insert(&engine->class_by_name, key, id))
		return NO_CLASS;
	engine->nr_classes++;
	engine->stats.classes++;
	return id;
}

static bool versions_eq(__u64 value, const void *wanted)
{
	const struct name_versions *v = (const struct name_versions *)(uintptr_t)value;

	return strcmp(v->name, wanted) == 0;
}

/* lockdep's name_version: 1 for the first init site using name, 2 for the next... */
static int name_version(struct engine *engine, const char *name, __u64 site, __u32 *ret_version)
{
	__u64 key = hash_string(name);
	struct hmap_slot *slot = hmap_find(&engine->name_versions, key, versions_eq, name);
	struct name_versions *v;

	if (slot) {
		v = (struct name_versions *)(uintptr_t)slot->value;
	} else {
		v = arena_alloc(&engine->arena, sizeof(*v));
		if (!v)
			return -ENOMEM;
		*v = (struct name_versions){ .name = arena_strndup(&engine->arena, name,
								   strlen(name)) };
		if (!v->name || hmap_insert(&engine->name_versions, key, (uintptr_t)v))
			return -ENOMEM;
	}
	for (__u32 i = 0; i < v->nr_sites; i++) {
		if (v->sites[i] == site) {
			*ret_version = i + 1;
			return 0;
		}
	}
	if (array_reserve(&v->sites, &v->cap_sites, v->nr_sites + 1))
		return -ENOMEM;
	v->sites[v->nr_sites++] = site;
	*ret_version = v->nr_sites;
	return 0;
}

/* Splits "name/N" (N > 0, decimal) into its length without "/N" and N; 0 if no subclass. */
static unsigned int split_subclass(const char *name, size_t *ret_base_len)
{
	const char *slash = strrchr(name, '/');
	unsigned long n;
	char *end;

	if (!slash || slash == name || slash[1] < '1' || slash[1] > '9')
		return 0;
	n = strtoul(slash + 1, &end, 10);
	if (*end || n > 0xffff)
		return 0;
	*ret_base_len = slash - name;
	return (unsigned int)n;
}

#define CLASS_NAME_MAX (LD_MAX_TEXT + 32)

static int init_class_name(struct engine *engine, const char *name, __u64 site, char *buf,
			   size_t len)
{
	const char *canonical = rules__class_for(engine->rules, name);
	char base[LD_MAX_TEXT + 1];
	unsigned int subclass;
	size_t base_len = strlen(name);
	__u32 version;
	int err;

	if (canonical) {
		snprintf(buf, len, "%s", canonical);
		return 0;
	}
	subclass = split_subclass(name, &base_len);
	snprintf(base, sizeof(base), "%.*s", (int)base_len, name);
	canonical = subclass ? rules__class_for(engine->rules, base) : NULL;
	if (canonical) {
		snprintf(buf, len, "%s/%u", canonical, subclass);
		return 0;
	}
	err = name_version(engine, base, site, &version);
	if (err)
		return err;
	if (version > 1 && subclass)
		snprintf(buf, len, "%s#%u/%u", base, version, subclass);
	else if (version > 1)
		snprintf(buf, len, "%s#%u", base, version);
	else if (subclass)
		snprintf(buf, len, "%s/%u", base, subclass);
	else
		snprintf(buf, len, "%s", base);
	return 0;
}

static bool init_key_eq(__u64 value, const void *wanted)
{
	const struct init_key *a = (const struct init_key *)(uintptr_t)value;
	const struct init_key *b = wanted;

	return a->site == b->site && strcmp(a->name, b->name) == 0;
}

/* The class of locks initialised at site with name. NO_CLASS on ENOMEM. */
/* The function a code address is in ("func" of "func+0x1c/0x80"), false if unnamed. */
static bool function_of(struct engine *engine, __u64 ip, char *buf, size_t len)
{
	const char *symbol = ip ? symtab__lookup(engine->symtab, ip) : NULL;

	return symbol && symbol_function_name(symbol, buf, len) > 0;
}

static bool init_is_novalidate(struct engine *engine, const char *name, __u64 site)
{
	char function[CLASS_NAME_MAX];

	if (!engine->rules || !engine->rules->nr_novalidate)
		return false;
	return function_of(engine, site, function, sizeof(function)) &&
	       rules__is_novalidate(engine->rules, name, function);
}

static __u32 class_for_init(struct engine *engine, const char *name, __u64 site)
{
	struct init_key wanted = { .name = name, .site = site };
	__u64 key = hash_bytes(name, strlen(name), hash_mix64(site));
	struct hmap_slot *slot = hmap_find(&engine->init_classes, key, init_key_eq, &wanted);
	char class_name[CLASS_NAME_MAX];
	struct init_key *init;

	if (slot)
		return ((const struct init_key *)(uintptr_t)slot->value)->class_id;
	if (init_class_name(engine, name, site, class_name, sizeof(class_name)))
		return NO_CLASS;
	init = arena_alloc(&engine->arena, sizeof(*init));
	if (!init)
		return NO_CLASS;
	init->site = site;
	init->name = arena_strdup(&engine->arena, name);
	/*
	 * A class a rule keys at run time is not known from the init alone:
	 * the rule's own init, right after, names the lock, and a lock it
	 * missed (a probe attached between the two) stays a lock of its own.
	 */
	init->class_id = rules__class_is_keyed(engine->rules, class_name)
				 ? KEYED_CLASS
				 : class_get(engine, class_name, false);
	if (!init->name || init->class_id == NO_CLASS ||
	    hmap_insert(&engine->init_classes, key, (uintptr_t)init))
		return NO_CLASS;
	if (init->class_id != KEYED_CLASS && init_is_novalidate(engine, name, site))
		engine->classes[init->class_id].novalidate = true;
	return init->class_id;
}

/* "func+0x1c/0x80 [mod]" -> "func+0x1c": where, without the function's length. */
static int call_site_name(const char *symbol, char *buf, size_t len)
{
	size_t n = strcspn(symbol, "/ ");

	if (n == 0 || n >= len)
		return -ENOSPC;
	memcpy(buf, symbol, n);
	buf[n] = '\0';
	return (int)n;
}

/* A lock seen without an init event: a static lock, or a class of its own (5. above). */
static __u32 class_for_uninitialised(struct engine *engine, __u64 lock, __u64 ip)
{
	const char *symbol = symtab__lookup(engine->symtab, lock);
	char name[CLASS_NAME_MAX];
	char function[CLASS_NAME_MAX - 16];

	if (symbol && *symbol && !strpbrk(symbol, "+ ")) {
		const char *canonical = rules__class_for(engine->rules, symbol);

		return class_get(engine, canonical ? canonical : symbol, false);
	}
	/* The site only helps a reader find the lock; the address is the key. */
	symbol = ip ? symtab__lookup(engine->symtab, ip) : NULL;
	if (symbol && call_site_name(symbol, function, sizeof(function)) > 0)
		snprintf(name, sizeof(name), "unclassified@%s:0x%llx", function,
			 (unsigned long long)lock);
	else if (ip)
		snprintf(name, sizeof(name), "unclassified@0x%llx:0x%llx", (unsigned long long)ip,
			 (unsigned long long)lock);
	else
		snprintf(name, sizeof(name), "unclassified@lock:0x%llx", (unsigned long long)lock);
	return class_get(engine, name, true);
}

/* The ww_mutex task holds under ctx, innermost first; NULL for none. */
static const struct held_lock *held_under_ww_context(const struct task *task, __u64 ctx)
{
	for (__u32 i = task->nr_held; i-- > 0;)
		if (task->held[i].lock_type == LD_LOCK_WW_MUTEX && task->held[i].ctx == ctx)
			return &task->held[i];
	return NULL;
}

/*
 * A lock instance's map value: its class id, with INSTANCE_ANNOTATED when
 * the class is novalidate or nested, so that the hot path sends its
 * acquisitions to the slow path having read nothing more than the map.
 */
#define INSTANCE_ANNOTATED (1ull << 32)

static __u64 instance_value(const struct engine *engine, __u32 class_id)
{
	const struct class *class = &engine->classes[class_id];

	return class_id | (class->novalidate || class->nested ? INSTANCE_ANNOTATED : 0);
}

static inline void chain_fact(struct engine *engine, enum engine_chain_fact fact, __u64 key,
			      __u32 class_id)
{
	if (engine->chain_fn)
		engine->chain_fn(fact, key, class_id, engine->chain_ctx);
}

/*
 * The class of a lock that task is taking at ip (lock_type, ww context ctx):
 * 4. and 5. above when no init named it.
 */
static __u32 class_for_lock(struct engine *engine, const struct task *task, __u64 lock,
			    __u8 lock_type, __u64 ctx, __u64 ip)
{
	struct hmap_slot *slot = hmap_find(&engine->instances, lock, NULL, NULL);
	const struct held_lock *sibling = NULL;
	__u32 id;

	if (slot)
		return (__u32)slot->value;
	if (lock_type == LD_LOCK_WW_MUTEX && ctx)
		sibling = held_under_ww_context(task, ctx);
	/* Its own class, not the subclass an annotation made of that acquisition. */
	slot = sibling ? hmap_find(&engine->instances, sibling->lock, NULL, NULL) : NULL;
	if (slot)
		id = (__u32)slot->value;
	else
		id = class_for_uninitialised(engine, lock, ip);
	if (id == NO_CLASS || hmap_insert(&engine->instances, lock, instance_value(engine, id)))
		return NO_CLASS;
	if (slot || engine->classes[id].unclassified)
		engine->stats.locks_without_init++;
	/* Until an init names the lock, its address is its ident. */
	chain_fact(engine, ENGINE_CHAIN_IDENT, ld_chain_lock_ident(lock), id);
	return id;
}

/* --- tasks ----------------------------------------------------------- */

static __attribute__((noinline)) struct task *task_find_slow(struct engine *engine, __u32 pid)
{
	__typeof__(engine->task_cache[0]) *cached = &engine->task_cache[pid % TASK_CACHE_SIZE];
	struct hmap_slot *slot = hmap_find(&engine->tasks, pid, NULL, NULL);

	if (!slot)
		return NULL;
	cached->pid = pid;
	cached->task = (struct task *)(uintptr_t)slot->value;
	return cached->task;
}

static inline struct task *task_find(struct engine *engine, __u32 pid)
{
	__typeof__(engine->task_cache[0]) *cached = &engine->task_cache[pid % TASK_CACHE_SIZE];

	if (cached->task && cached->pid == pid)
		return cached->task;
	return task_find_slow(engine, pid);
}

static __attribute__((noinline)) struct task *task_new(struct engine *engine, __u32 pid)
{
	struct task *task;

	task = engine->free_tasks;
	if (task) {
		engine->free_tasks = task->next_free;
	} else {
		task = aligned_alloc(_Alignof(struct task), sizeof(*task));
		if (!task)
			return NULL;
		memset(task, 0, sizeof(*task));
		task->held = task->held_inline;
		task->cap_held = TASK_HELD_INLINE;
	}
	task->pid = pid;
	task->flags = 0;
	memset(task->comm, 0, sizeof(task->comm));
	task->comm_name = NULL;
	task->nr_held = 0;
	task->reclaim_depth = 0;
	task->next_free = NULL;
	if (hmap_insert(&engine->tasks, pid, (uintptr_t)task)) {
		task->next_free = engine->free_tasks;
		engine->free_tasks = task;
		return NULL;
	}
	engine->task_cache[pid % TASK_CACHE_SIZE].pid = pid;
	engine->task_cache[pid % TASK_CACHE_SIZE].task = task;
	return task;
}

static inline struct task *task_get(struct engine *engine, __u32 pid)
{
	struct task *task = task_find(engine, pid);

	return task ? task : task_new(engine, pid);
}

/* Forgets the task; its memory is kept for the next one. */
static void task_drop(struct engine *engine, struct task *task)
{
	struct hmap_slot *slot = hmap_find(&engine->tasks, task->pid, NULL, NULL);

	if (slot)
		hmap_remove(&engine->tasks, slot);
	if (engine->task_cache[task->pid % TASK_CACHE_SIZE].task == task)
		engine->task_cache[task->pid % TASK_CACHE_SIZE].task = NULL;
	task->next_free = engine->free_tasks;
	engine->free_tasks = task;
}

static void task_free(struct task *task)
{
	if (task->held != task->held_inline)
		free(task->held);
	free(task->held_stacks);
	free(task->reclaim);
	free(task);
}

static inline bool task_in_reclaim(const struct task *task)
{
	return task->reclaim_depth || (task->flags & LD_TASK_KSWAPD);
}

/* Drops what the task holds and its reclaim context; true if there was any. */
static bool task_reset(struct task *task)
{
	bool had_state = task->nr_held || task->reclaim_depth;

	task->nr_held = 0;
	task->reclaim_depth = 0;
	return had_state;
}

static void task_set_comm(struct task *task, const char comm[LD_COMM_LEN])
{
	if (!comm[0] || memcmp(task->comm, comm, LD_COMM_LEN) == 0)
		return;
	memcpy(task->comm, comm, LD_COMM_LEN);
	task->comm_name = NULL;
}

/* A live capture sends most stacks as the caller alone: those are kept in the hold itself. */
static inline const __u64 *held_stack(const struct task *task, __u32 i)
{
	return task->held[i].stack_is_ip ? &task->held[i].ip : task->held_stacks[i];
}

static struct site_view held_view(const struct task *task, __u32 i)
{
	const struct held_lock *held = &task->held[i];

	return (struct site_view){
		.class_id = held->class_id,
		.base_class = held->base_class,
		.lock_type = held->lock_type,
		.trylock = held->trylock,
		.reclaim_kind = NO_KIND,
		.nr_stack = held->nr_stack,
		.lock = held->lock,
		.ip = held->ip,
		.ctx = held->ctx,
		.stack = held_stack(task, i),
	};
}

/* fs_reclaim as held by a task in reclaim context. */
static struct site_view reclaim_view(const struct engine *engine, const struct task *task)
{
	struct site_view view = {
		.class_id = engine->fs_reclaim,
		.reclaim_kind = LD_RECLAIM_KSWAPD,
	};

	if (task->reclaim_depth) {
		const struct reclaim_frame *frame = &task->reclaim[task->reclaim_depth - 1];

		view.ip = frame->fn;
		view.reclaim_kind = (__s8)frame->kind;
	}
	return view;
}

/* Pushes the lock wanted as held; the caller made room. */
static inline __attribute__((always_inline)) void held_store(struct task *task,
							     const struct site_view *view)
{
	struct held_lock *held = &task->held[task->nr_held];

	held->stack_is_ip = view->nr_stack == 1 && view->stack[0] == view->ip;
	if (view->nr_stack && !held->stack_is_ip)
		memcpy(task->held_stacks[task->nr_held], view->stack,
		       view->nr_stack * sizeof(__u64));
	task->nr_held++;
	held->lock = view->lock;
	held->ip = view->ip;
	held->ctx = view->ctx;
	held->class_id = view->class_id;
	held->base_class = view->base_class;
	held->lock_type = view->lock_type;
	held->trylock = view->trylock;
	held->nr_stack = (__u8)view->nr_stack;
}

static inline bool held_has_room(const struct task *task)
{
	return task->nr_held < task->cap_held && task->held_stacks;
}

static int held_push(struct task *task, const struct site_view *view)
{
	if (!held_has_room(task)) {
		__u32 capacity = task->cap_held;
		void *stacks;

		if (task->nr_held < task->cap_held) {
			/* a new task's first push: room for its held_inline[] stacks */
		} else if (task->held == task->held_inline) {
			struct held_lock *held = malloc(2 * capacity * sizeof(*held));

			if (!held)
				return -ENOMEM;
			memcpy(held, task->held_inline, sizeof(task->held_inline));
			task->held = held;
			capacity *= 2;
		} else if (array_reserve(&task->held, &capacity, task->nr_held + 1)) {
			return -ENOMEM;
		}
		stacks = realloc(task->held_stacks, capacity * sizeof(*task->held_stacks));
		if (!stacks)
			return -ENOMEM;
		task->held_stacks = stacks;
		task->cap_held = capacity;
	}
	held_store(task, view);
	return 0;
}

/* Removes the innermost hold of lock, wherever it sits. False if not held. */
static bool held_remove(struct task *task, __u64 lock)
{
	for (__u32 i = task->nr_held; i-- > 0;) {
		if (task->held[i].lock != lock)
			continue;
		if (i + 1 < task->nr_held) {
			memmove(&task->held[i], &task->held[i + 1],
				(task->nr_held - i - 1) * sizeof(task->held[0]));
			memmove(&task->held_stacks[i], &task->held_stacks[i + 1],
				(task->nr_held - i - 1) * sizeof(task->held_stacks[0]));
		}
		task->nr_held--;
		return true;
	}
	return false;
}

/* --- dependencies ---------------------------------------------------- */

static struct lock_site edge_lock_site(const struct engine *engine, __u32 class_id,
				       const struct edge_site *site, __u8 lock_type, bool trylock)
{
	return (struct lock_site){
		.class_name = engine->classes[class_id].name,
		.lock = site->lock,
		.ip = site->ip,
		.stack = site->stack ? site->stack->frames : NULL,
		.nr_stack = site->stack ? site->stack->nr : 0,
		.lock_type = lock_type,
		.trylock = trylock,
	};
}

static inline __u32 out_hash(__u32 to)
{
	__u32 h = to * 0x9e3779b1u;

	return h ^ h >> 15;
}

/* The slot of from's edge to `to`, or NULL when there is none. */
static inline struct out_slot *out_slot_find(const struct class *from, __u32 to)
{
	if (!from->out_slots)
		return NULL;
	for (__u32 i = out_hash(to) & from->out_mask;; i = (i + 1) & from->out_mask) {
		struct out_slot *slot = &from->out_slots[i];

		if (slot->to == to)
			return slot;
		if (slot->to == NO_CLASS)
			return NULL;
	}
}

static int out_slots_grow(struct class *class)
{
	__u32 capacity = class->out_slots ? (class->out_mask + 1) * 2 : 8;
	struct out_slot *slots = calloc(capacity, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (__u32 j = 0; class->out_slots && j <= class->out_mask; j++) {
		__u32 i;

		if (class->out_slots[j].to == NO_CLASS)
			continue;
		for (i = out_hash(class->out_slots[j].to) & (capacity - 1); slots[i].to;
		     i = (i + 1) & (capacity - 1))
			;
		slots[i] = class->out_slots[j];
	}
	free(class->out_slots);
	class->out_slots = slots;
	class->out_mask = capacity - 1;
	return 0;
}

/* Indexes the new edge `index` from class to `to` (not indexed yet); it starts OUT_DIRECT. */
static int out_insert(struct class *class, __u32 to, __u32 index)
{
	__u32 i;

	if (!class->out_slots || (class->nr_out + 1) * 4 > (class->out_mask + 1) * 3) {
		if (out_slots_grow(class))
			return -ENOMEM;
	}
	if (array_reserve(&class->out, &class->cap_out, class->nr_out + 1))
		return -ENOMEM;
	for (i = out_hash(to) & class->out_mask; class->out_slots[i].to;
	     i = (i + 1) & class->out_mask)
		;
	class->out_slots[i] = (struct out_slot){ to, OUT_DIRECT };
	class->out[class->nr_out++] = (struct out_edge){ to, index };
	return 0;
}

/*
 * Between classes below plain_dim, a byte per class pair says whether the
 * edge is plain and counts its hits: PAIR_DIRECT (0) when the slow path
 * must take it, else 1 + the hits not yet in its slot, carried there
 * before the byte would overflow. A hit is then one byte read and written
 * in a few hundred KiB, where the slots of all the edges are too many for
 * the cache and looking one up means waiting for memory. Pairs beyond use
 * the slots at once.
 */
#define PLAIN_DIM_MAX 1024 /* 1 MiB of pair bytes */
#define PAIR_DIRECT   0
#define PAIR_PLAIN    1 /* plain, no hits pending */

/*
 * By the class taken, then the class held: an acquisition reads the bytes
 * of every lock held against one class, which then share cache lines when
 * the held classes are near in id (about 30% fewer misses on them).
 */
static inline size_t pair_index(const struct engine *engine, __u32 from, __u32 to)
{
	return (size_t)to * engine->plain_dim + from;
}

static inline bool pair_covered(const struct engine *engine, __u32 from, __u32 to)
{
	return from < engine->plain_dim && to < engine->plain_dim;
}

/* Adds count to the slot's hits, through edge->count when the slot is full. */
static void out_slot_add(struct engine *engine, __u32 from, __u32 to, struct out_slot *slot,
			 __u32 count)
{
	if (slot->hits > OUT_PENDING_MAX - count) {
		struct hmap_slot *found =
			hmap_find(&engine->edge_by_classes, (__u64)from << 32 | to, NULL, NULL);

		edge_at(engine, (__u32)(found->value - 1))->count += slot->hits;
		slot->hits = 0;
	}
	slot->hits += count;
}

/* The pair's byte is full: its hits, and the one being counted, to the slot. */
static void pair_hits_carry(struct engine *engine, __u32 from, __u32 to)
{
	out_slot_add(engine, from, to, out_slot_find(&engine->classes[from], to),
		     UINT8_MAX - PAIR_PLAIN + 1);
}

/*
 * Makes the bitmap and the counts cover class ids below `need`: counts so
 * far go to the slots, bits are rebuilt from them. 0 or -ENOMEM.
 */
static int plain_bits_grow(struct engine *engine, __u32 need)
{
	__u32 dim = engine->plain_dim ? engine->plain_dim : 256;
	__u8 *state;

	while (dim < need)
		dim *= 2;
	if (dim > PLAIN_DIM_MAX)
		dim = PLAIN_DIM_MAX;
	if (dim == engine->plain_dim)
		return 0;
	state = calloc((size_t)dim * dim, sizeof(*state)); /* PAIR_DIRECT */
	if (!state)
		return -ENOMEM;
	for (__u32 from = 1; from < engine->nr_classes && from < dim; from++) {
		const struct class *class = &engine->classes[from];

		for (__u32 i = 0; class->out_slots && i <= class->out_mask; i++) {
			struct out_slot *slot = &class->out_slots[i];
			__u8 old;

			if (slot->to == NO_CLASS || slot->hits == OUT_DIRECT)
				continue;
			old = pair_covered(engine, from, slot->to)
				      ? engine->pair_state[pair_index(engine, from, slot->to)]
				      : PAIR_DIRECT;
			if (old > PAIR_PLAIN)
				out_slot_add(engine, from, slot->to, slot, old - PAIR_PLAIN);
			if (slot->to < dim)
				state[(size_t)slot->to * dim + from] = PAIR_PLAIN;
		}
	}
	free(engine->pair_state);
	engine->pair_state = state;
	engine->plain_dim = dim;
	return 0;
}

/* Plain with no hits pending, or direct; the hits pending are the caller's to fold first. */
static void plain_bit_set(struct engine *engine, __u32 from, __u32 to, bool plain)
{
	if (pair_covered(engine, from, to))
		engine->pair_state[pair_index(engine, from, to)] = plain ? PAIR_PLAIN : PAIR_DIRECT;
}

/* Hits of a plain edge not yet in edge->count: its slot's and its pair's byte. */
static __u64 edge_pending_hits(const struct engine *engine, const struct edge *edge,
			       const struct out_slot *slot)
{
	__u64 hits;

	if (!slot || slot->hits == OUT_DIRECT)
		return 0;
	hits = slot->hits;
	if (pair_covered(engine, edge->from, edge->to))
		hits += engine->pair_state[pair_index(engine, edge->from, edge->to)] - PAIR_PLAIN;
	return hits;
}

/* The hits of edge, those the hot path has only counted aside included. */
static __u64 edge_count(const struct engine *engine, const struct edge *edge)
{
	const struct out_slot *slot = out_slot_find(&engine->classes[edge->from], edge->to);

	return edge->count + edge_pending_hits(engine, edge, slot);
}

/*
 * Moves the hits counted aside into edge->count; with direct, every later
 * hit takes the slow path.
 */
static void edge_fold_hits(struct engine *engine, struct edge *edge, bool direct)
{
	struct out_slot *slot = out_slot_find(&engine->classes[edge->from], edge->to);

	if (!slot || slot->hits == OUT_DIRECT)
		return;
	edge->count += edge_pending_hits(engine, edge, slot);
	if (pair_covered(engine, edge->from, edge->to))
		engine->pair_state[pair_index(engine, edge->from, edge->to)] = PAIR_PLAIN;
	slot->hits = direct ? OUT_DIRECT : 0;
	if (direct)
		plain_bit_set(engine, edge->from, edge->to, false);
}

/*
 * Lets the hot path count edge's hits alone once nothing else hangs off
 * it. Without memory for a bigger bitmap its hits keep taking the slow
 * path, which counts them all the same.
 */
static void edge_refresh_slot(struct engine *engine, const struct edge *edge)
{
	struct out_slot *slot = out_slot_find(&engine->classes[edge->from], edge->to);
	__u32 need = (edge->from > edge->to ? edge->from : edge->to) + 1;

	if (!slot || slot->hits != OUT_DIRECT || edge->primed || edge->dep || edge->cycle_finding ||
	    edge->order_finding)
		return;
	if (need > engine->plain_dim && engine->plain_dim < PLAIN_DIM_MAX &&
	    plain_bits_grow(engine, need))
		return;
	slot->hits = 0;
	plain_bit_set(engine, edge->from, edge->to, true);
}

static void dependency_view(const struct engine *engine, const struct edge *edge,
			    struct dependency *dep)
{
	*dep = (struct dependency){
		.from = engine->classes[edge->from].name,
		.to = engine->classes[edge->to].name,
		.pid = edge->pid,
		.comm = edge->comm ? edge->comm : "",
		.time_ns = edge->time_ns,
		.test = edge->test,
		.held = edge_lock_site(engine, edge->from, &edge->held, edge->held_type,
				       edge->held_trylock),
		.acquired = edge_lock_site(engine, edge->to, &edge->acquired, edge->acquired_type,
					   edge->acquired_trylock),
		.count = edge_count(engine, edge),
		.primed = edge->primed,
		.reclaim_kind = edge->reclaim_kind == NO_KIND
					? NULL
					: ld_reclaim_kind_name((unsigned int)edge->reclaim_kind),
	};
}

static void dependency_fill(const struct engine *engine, const struct edge *edge)
{
	dependency_view(engine, edge, edge->dep);
}

static const struct dependency *edge_dependency(struct engine *engine, struct edge *edge)
{
	if (!edge->dep) {
		edge->dep = arena_alloc(&engine->arena, sizeof(*edge->dep));
		if (!edge->dep)
			return NULL;
		/* From now on edge->dep->count follows every hit. */
		edge_fold_hits(engine, edge, true);
		dependency_fill(engine, edge);
	}
	return edge->dep;
}

/* Records what is seen the first time: the task, both acquisitions, the test. */
static int edge_fill_first_seen(struct engine *engine, struct edge *edge, struct task *task,
				const struct site_view *from, const struct site_view *to)
{
	int err = 0;

	edge->pid = task->pid;
	edge->comm = task_comm(engine, task);
	edge->time_ns = engine->now_ns;
	edge->test = igt_tracker__current(engine->igt);
	edge->held = (struct edge_site){
		.lock = from->lock,
		.ip = from->ip,
		.stack = stack_intern(engine, from->stack, from->nr_stack, &err),
	};
	edge->acquired = (struct edge_site){
		.lock = to->lock,
		.ip = to->ip,
		.stack = stack_intern(engine, to->stack, to->nr_stack, &err),
	};
	edge->held_type = from->lock_type;
	edge->held_trylock = from->trylock;
	edge->acquired_type = to->lock_type;
	edge->acquired_trylock = to->trylock;
	edge->reclaim_kind = from->class_id == engine->fs_reclaim ? from->reclaim_kind : NO_KIND;
	edge->primed = false;
	edge->count = 1;
	if (!edge->comm)
		err = -ENOMEM;
	if (edge->dep)
		dependency_fill(engine, edge);
	return err;
}

/* A new, empty edge from -> to, linked in the graph. NULL on ENOMEM. */
static struct edge *edge_new(struct engine *engine, __u32 from, __u32 to, __u32 *ret_index)
{
	__u32 index = engine->nr_edges;
	__u32 chunk = index >> EDGE_CHUNK_SHIFT;
	struct edge *edge;

	if (index == NO_EDGE)
		return NULL;
	if (chunk >= engine->nr_edge_chunks) {
		struct edge *edges;

		if (array_reserve(&engine->edge_chunks, &engine->cap_edge_chunks,
				  engine->nr_edge_chunks + 1))
			return NULL;
		edges = malloc(EDGE_CHUNK_SIZE * sizeof(*edges));
		if (!edges)
			return NULL;
		engine->edge_chunks[engine->nr_edge_chunks++] = edges;
	}
	if (hmap_insert(&engine->edge_by_classes, (__u64)from << 32 | to, (__u64)index + 1) ||
	    out_insert(&engine->classes[from], to, index))
		return NULL;
	edge = edge_at(engine, index);
	*edge = (struct edge){
		.from = from,
		.to = to,
		.next_out = engine->classes[from].first_out,
		.reclaim_kind = NO_KIND,
	};
	engine->classes[from].first_out = index;
	engine->nr_edges++;
	engine->stats.dependencies++;
	*ret_index = index;
	return edge;
}

/* --- findings -------------------------------------------------------- */

struct finding_wanted {
	const struct engine *engine;
	int kind;
	const __u32 *class_ids;
	__u32 nr;
};

static bool finding_eq(__u64 value, const void *wanted)
{
	const struct finding_wanted *w = wanted;
	const struct finding_entry *f = w->engine->findings[value - 1];

	return (int)f->pub.kind == w->kind && f->nr_class_ids == w->nr &&
	       memcmp(f->class_ids, w->class_ids, w->nr * sizeof(__u32)) == 0;
}

static int compare_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* What the task holds now, outermost first, fs_reclaim first in reclaim context. */
static int held_snapshot(struct engine *engine, struct task *task, struct finding *finding)
{
	bool in_reclaim = task_in_reclaim(task);
	__u32 n = task->nr_held + in_reclaim;
	struct lock_site *sites;
	__u32 k = 0;
	int err = 0;

	finding->held = NULL;
	finding->nr_held = 0;
	if (!n)
		return 0;
	sites = arena_alloc(&engine->arena, n * sizeof(*sites));
	if (!sites)
		return -ENOMEM;
	if (in_reclaim) {
		struct site_view view = reclaim_view(engine, task);

		sites[k++] = (struct lock_site){
			.class_name = engine->classes[engine->fs_reclaim].name,
			.ip = view.ip,
		};
	}
	for (__u32 i = 0; i < task->nr_held; i++) {
		const struct held_lock *held = &task->held[i];
		const struct stack *stack =
			stack_intern(engine, held_stack(task, i), held->nr_stack, &err);

		sites[k++] = (struct lock_site){
			.class_name = engine->classes[held->class_id].name,
			.lock = held->lock,
			.ip = held->ip,
			.stack = stack ? stack->frames : NULL,
			.nr_stack = stack ? stack->nr : 0,
			.lock_type = held->lock_type,
			.trylock = held->trylock,
		};
	}
	finding->held = sites;
	finding->nr_held = n;
	return err;
}

/*
 * A finding no task completed: a dependency imported from a saved graph, or
 * a taint primed by new rules. The closing edge says who and when, and its
 * held side is what was held; its count is the finding's.
 */
static int finding_fill_untasked(struct engine *engine, struct finding *f,
				 const struct edge *closing)
{
	f->count = closing->primed ? 1 : edge_count(engine, closing);
	f->test = closing->test;
	f->pid = closing->pid;
	f->comm = closing->comm ? closing->comm : "";
	f->time_ns = closing->time_ns;
	f->held = NULL;
	f->nr_held = 0;
	if (!closing->primed) {
		f->held = &f->edges[f->nr_edges - 1]->held;
		f->nr_held = 1;
	}
	return 0;
}

static int finding_fill(struct engine *engine, struct finding_entry *entry, struct task *task,
			const __u32 *cycle, const __u32 *edges, __u32 nr_classes, __u32 nr_edges,
			const char *reason)
{
	struct finding *f = &entry->pub;
	const char **classes = arena_alloc(&engine->arena, nr_classes * sizeof(*classes));
	const struct dependency **deps = arena_alloc(&engine->arena, nr_edges * sizeof(*deps));
	const struct rules_suppress *suppress;

	if (!classes || !deps)
		return -ENOMEM;
	for (__u32 i = 0; i < nr_classes; i++)
		classes[i] = engine->classes[cycle[i]].name;
	for (__u32 i = 0; i < nr_edges; i++) {
		deps[i] = edge_dependency(engine, edge_at(engine, edges[i]));
		if (!deps[i])
			return -ENOMEM;
	}
	f->classes = classes;
	f->nr_classes = nr_classes;
	f->edges = deps;
	f->nr_edges = nr_edges;
	f->reason = reason;
	suppress = rules__suppression_for(engine->rules, f->kind, classes, nr_classes);
	if (suppress) {
		f->suppressed = true;
		f->reason = suppress->reason;
	}
	if (!task)
		return finding_fill_untasked(engine, f, edge_at(engine, edges[nr_edges - 1]));
	f->count = 1;
	f->test = igt_tracker__current(engine->igt);
	f->pid = task->pid;
	f->comm = task_comm(engine, task);
	f->time_ns = engine->now_ns;
	if (!f->comm)
		return -ENOMEM;
	return held_snapshot(engine, task, f);
}

/*
 * Reports a finding of kind over the classes cycle[] (in the order
 * finding.h describes) whose edges are edges[], the last one new. A
 * finding already known by kind and class set is only counted. Returns
 * the finding's index + 1, or -ENOMEM.
 */
static int finding_add(struct engine *engine, struct task *task, enum finding_kind kind,
		       const __u32 *cycle, __u32 nr_classes, const __u32 *edges, __u32 nr_edges,
		       const char *reason)
{
	struct finding_wanted wanted = { engine, kind, NULL, nr_classes };
	struct finding_entry *entry;
	struct hmap_slot *slot;
	__u32 *ids;
	__u64 key;
	int err;

	while (engine->cap_scratch < nr_classes)
		if (array_reserve(&engine->scratch, &engine->cap_scratch, engine->cap_scratch + 1))
			return -ENOMEM;
	memcpy(engine->scratch, cycle, nr_classes * sizeof(*ids));
	qsort(engine->scratch, nr_classes, sizeof(*ids), compare_u32);
	wanted.class_ids = engine->scratch;
	key = hash_bytes(engine->scratch, nr_classes * sizeof(*ids), kind);
	slot = hmap_find(&engine->finding_by_identity, key, finding_eq, &wanted);
	if (slot) {
		engine->findings[slot->value - 1]->pub.count++;
		return (int)slot->value;
	}

	if (array_reserve(&engine->findings, &engine->cap_findings, engine->nr_findings + 1))
		return -ENOMEM;
	entry = arena_alloc(&engine->arena, sizeof(*entry));
	ids = arena_alloc(&engine->arena, nr_classes * sizeof(*ids));
	if (!entry || !ids)
		return -ENOMEM;
	memcpy(ids, engine->scratch, nr_classes * sizeof(*ids));
	*entry = (struct finding_entry){
		.pub.kind = kind,
		.class_ids = ids,
		.nr_class_ids = nr_classes,
		.own_reason = reason,
	};
	err = finding_fill(engine, entry, task, cycle, edges, nr_classes, nr_edges, reason);
	if (err)
		return err;
	if (hmap_insert(&engine->finding_by_identity, key, (__u64)engine->nr_findings + 1))
		return -ENOMEM;
	engine->findings[engine->nr_findings++] = entry;
	if (entry->pub.suppressed)
		engine->stats.suppressed++;
	else
		engine->stats.findings++;
	if (engine->finding_fn)
		engine->finding_fn(&entry->pub, engine->finding_ctx);
	return (int)engine->nr_findings;
}

static void finding_hit(struct engine *engine, __u32 index_plus_one)
{
	if (index_plus_one)
		engine->findings[index_plus_one - 1]->pub.count++;
}

/* --- the dependencies' order ----------------------------------------- */

/* The classes created since the last call: a component each, last in the order. */
static int order_reserve(struct engine *engine)
{
	if (array_reserve(&engine->order, &engine->cap_order, engine->nr_classes) ||
	    array_reserve(&engine->order_classes, &engine->cap_order_classes, engine->nr_classes))
		return -ENOMEM;
	for (__u32 id = engine->nr_order; id < engine->nr_classes; id++) {
		engine->order[id] = (struct order_node){ .scc = id, .ord = engine->next_ord++ };
		engine->order_classes[id] = (struct order_class){
			.next_member = NO_CLASS,
			.last = id,
			.size = 1,
		};
	}
	engine->nr_order = engine->nr_classes;
	return 0;
}

static __u32 next_order_gen(struct engine *engine)
{
	if (++engine->order_gen == 0) {
		for (__u32 i = 0; i < engine->nr_order; i++)
			engine->order[i].mark_fwd = engine->order[i].mark_back = 0;
		engine->order_gen = 1;
	}
	return engine->order_gen;
}

/*
 * The components reachable from start placed at most at hi, into
 * order_fwd[] (start first): how many, or -ENOMEM.
 */
static long order_search_fwd(struct engine *engine, __u32 start, __u32 hi, __u32 gen)
{
	struct order_node *order = engine->order;
	__u32 n = 0;

	if (array_reserve(&engine->order_fwd, &engine->cap_order_fwd, 1))
		return -ENOMEM;
	order[start].mark_fwd = gen;
	engine->order_fwd[n++] = start;
	for (__u32 i = 0; i < n; i++) {
		for (__u32 m = engine->order_fwd[i]; m != NO_CLASS;
		     m = engine->order_classes[m].next_member) {
			const struct class *class = &engine->classes[m];

			for (__u32 j = 0; j < class->nr_out; j++) {
				__u32 next = order[class->out[j].to].scc;

				if (order[next].mark_fwd == gen || order[next].ord > hi)
					continue;
				if (array_reserve(&engine->order_fwd, &engine->cap_order_fwd,
						  n + 1))
					return -ENOMEM;
				order[next].mark_fwd = gen;
				engine->order_fwd[n++] = next;
			}
		}
	}
	return n;
}

/* The components reaching start placed at least at lo, into order_back[]. */
static long order_search_back(struct engine *engine, __u32 start, __u32 lo, __u32 gen)
{
	struct order_node *order = engine->order;
	__u32 n = 0;

	if (array_reserve(&engine->order_back, &engine->cap_order_back, 1))
		return -ENOMEM;
	order[start].mark_back = gen;
	engine->order_back[n++] = start;
	for (__u32 i = 0; i < n; i++) {
		for (__u32 m = engine->order_back[i]; m != NO_CLASS;
		     m = engine->order_classes[m].next_member) {
			const struct order_class *oc = &engine->order_classes[m];

			for (__u32 j = 0; j < oc->nr_in; j++) {
				__u32 prev = order[oc->in[j]].scc;

				if (order[prev].mark_back == gen || order[prev].ord < lo)
					continue;
				if (array_reserve(&engine->order_back, &engine->cap_order_back,
						  n + 1))
					return -ENOMEM;
				order[prev].mark_back = gen;
				engine->order_back[n++] = prev;
			}
		}
	}
	return n;
}

/*
 * Distinct keys (ord << 32 | component), ascending by ord, ords below
 * next_ord: a radix sort of the ord's bytes into tmp and back, insertion
 * for a few. The order sorts at every update: qsort()'s calls cost more.
 */
static void sort_keys(const struct engine *engine, __u64 *v, __u32 n, __u64 *tmp)
{
	__u32 passes = 0;

	if (n <= 32) {
		for (__u32 i = 1; i < n; i++) {
			__u64 key = v[i];
			__u32 j = i;

			for (; j > 0 && v[j - 1] > key; j--)
				v[j] = v[j - 1];
			v[j] = key;
		}
		return;
	}
	while (passes < 4 && engine->next_ord >> (8 * passes))
		passes++;
	/* An even number of passes ends in v. */
	passes += passes & 1;
	for (__u32 p = 0; p < passes; p++) {
		__u32 count[257] = { 0 }, shift = 32 + 8 * p;
		__u64 *from = p & 1 ? tmp : v, *to = p & 1 ? v : tmp;

		for (__u32 i = 0; i < n; i++)
			count[((from[i] >> shift) & 0xff) + 1]++;
		for (__u32 d = 1; d < 256; d++)
			count[d] += count[d - 1];
		for (__u32 i = 0; i < n; i++)
			to[count[(from[i] >> shift) & 0xff]++] = from[i];
	}
}

/* comps[0..n), by their old position, take pool[0..n) in turn. */
static void order_assign(struct engine *engine, const __u64 *keys, __u32 n, const __u64 *pool)
{
	for (__u32 i = 0; i < n; i++)
		engine->order[(__u32)keys[i]].ord = (__u32)(pool[i] >> 32);
}

/* The component keys[0..n) become one, at position ord; the largest one's class represents it. */
static void order_merge(struct engine *engine, const __u64 *keys, __u32 n, __u32 ord)
{
	struct order_class *oc = engine->order_classes;
	__u32 rep = (__u32)keys[0];

	for (__u32 i = 1; i < n; i++)
		if (oc[(__u32)keys[i]].size > oc[rep].size)
			rep = (__u32)keys[i];
	for (__u32 i = 0; i < n; i++) {
		__u32 c = (__u32)keys[i];

		if (c == rep)
			continue;
		for (__u32 m = c; m != NO_CLASS; m = oc[m].next_member)
			engine->order[m].scc = rep;
		oc[oc[rep].last].next_member = c;
		oc[rep].last = oc[c].last;
		oc[rep].size += oc[c].size;
	}
	engine->order[rep].ord = ord;
}

/*
 * Places the new dependency from -> to (from != to) in the order: 1 when
 * to reaches from, the classes of the cycles it closes now being one
 * component; 0 when it closes none; -ENOMEM, the order then being useless
 * (it must know every dependency). Pearce and Kelly's update: a dependency
 * against the order searches forwards from to and backwards from from,
 * only among the components placed between the two, and hands the
 * positions they hold out again: to those reaching from first (in their
 * old order), then to the ones now on a cycle with it as one component,
 * then to those reached from to.
 */
static int order_add(struct engine *engine, __u32 from, __u32 to)
{
	struct order_node *order;
	struct order_class *oc;
	__u32 a, b, gen, nr_b = 0, nr_c, nr_f, nr_pool;
	long nr_fwd, nr_back;
	__u64 *keys, *pool;

	if (order_reserve(engine))
		return -ENOMEM;
	oc = &engine->order_classes[to];
	if (array_reserve(&oc->in, &oc->cap_in, oc->nr_in + 1))
		return -ENOMEM;
	oc->in[oc->nr_in++] = from;
	order = engine->order;
	a = order[from].scc;
	b = order[to].scc;
	if (a == b)
		return 1;
	if (order[a].ord < order[b].ord)
		return 0;
	gen = next_order_gen(engine);
	nr_fwd = order_search_fwd(engine, b, order[a].ord, gen);
	if (nr_fwd < 0)
		return (int)nr_fwd;
	nr_back = order_search_back(engine, a, order[b].ord, gen);
	if (nr_back < 0)
		return (int)nr_back;
	if (array_reserve(&engine->order_keys, &engine->cap_order_keys, nr_fwd + nr_back) ||
	    array_reserve(&engine->order_pool, &engine->cap_order_pool, 2 * (nr_fwd + nr_back)))
		return -ENOMEM;
	keys = engine->order_keys;
	pool = engine->order_pool;
	/*
	 * keys (ord << 32 | component): those reaching from alone, then those
	 * reached both ways (on a cycle through the new dependency), then
	 * those reached from to alone.
	 */
	for (long i = 0; i < nr_back; i++) {
		__u32 c = engine->order_back[i];

		if (order[c].mark_fwd != gen)
			keys[nr_b++] = (__u64)order[c].ord << 32 | c;
	}
	nr_c = nr_b;
	for (long i = 0; i < nr_back; i++) {
		__u32 c = engine->order_back[i];

		if (order[c].mark_fwd == gen)
			keys[nr_c++] = (__u64)order[c].ord << 32 | c;
	}
	nr_f = nr_c;
	for (long i = 0; i < nr_fwd; i++) {
		__u32 c = engine->order_fwd[i];

		if (order[c].mark_back != gen)
			keys[nr_f++] = (__u64)order[c].ord << 32 | c;
	}
	nr_pool = nr_f;
	nr_f -= nr_c;
	nr_c -= nr_b;
	sort_keys(engine, keys, nr_b, pool);
	sort_keys(engine, keys + nr_b + nr_c, nr_f, pool);
	if (nr_c) {
		memcpy(pool, keys, nr_pool * sizeof(*pool));
		sort_keys(engine, pool, nr_pool, pool + nr_pool);
	} else {
		/* The positions are the two sorted runs merged. */
		for (__u32 i = 0, j = nr_b, k = 0; k < nr_pool; k++)
			pool[k] = j == nr_pool || (i < nr_b && keys[i] < keys[j]) ? keys[i++]
										  : keys[j++];
	}
	order_assign(engine, keys, nr_b, pool);
	order_assign(engine, keys + nr_b + nr_c, nr_f, pool + nr_pool - nr_f);
	if (!nr_c)
		return 0;
	order_merge(engine, keys + nr_b, nr_c, (__u32)(pool[nr_b] >> 32));
	return 1;
}

/* --- cycle search ---------------------------------------------------- */

static __u32 next_visit_gen(struct engine *engine)
{
	if (++engine->visit_gen == 0) {
		memset(engine->visits, 0, engine->cap_visits * sizeof(*engine->visits));
		engine->visit_gen = 1;
	}
	return engine->visit_gen;
}

/*
 * Breadth-first from start along the dependencies: 1 when target is
 * reachable (each class reached remembers its edge in visits[]), 0 when not,
 * or -ENOMEM. within: the component of both (NO_CLASS: not known), out of
 * which nothing reached from start leads back to target: leaving those
 * classes out changes neither what the search reaches first nor how.
 */
static int search_path(struct engine *engine, __u32 start, __u32 target, __u32 within)
{
	__u32 head = 0, tail = 0, gen;

	if (engine->cap_queue < engine->nr_classes) {
		__u32 *queue = realloc(engine->queue, engine->nr_classes * 2 * sizeof(*queue));

		if (!queue)
			return -ENOMEM;
		engine->queue = queue;
		engine->cap_queue = engine->nr_classes * 2;
	}
	if (engine->cap_visits < engine->nr_classes) {
		__u32 capacity = engine->nr_classes * 2;
		struct visit *visits = realloc(engine->visits, capacity * sizeof(*visits));

		if (!visits)
			return -ENOMEM;
		memset(visits + engine->cap_visits, 0,
		       (capacity - engine->cap_visits) * sizeof(*visits));
		engine->visits = visits;
		engine->cap_visits = capacity;
	}
	gen = next_visit_gen(engine);
	engine->visits[start].gen = gen;
	engine->queue[tail++] = start;
	while (head < tail) {
		const struct class *class = &engine->classes[engine->queue[head++]];

		/* Newest first, the order the search has always used. */
		for (__u32 i = class->nr_out; i-- > 0;) {
			const struct out_edge *out = &class->out[i];
			struct visit *next = &engine->visits[out->to];

			if (within != NO_CLASS && engine->order[out->to].scc != within)
				continue;
			if (next->gen != gen) {
				next->gen = gen;
				next->edge = out->edge;
				if (out->to == target)
					return 1;
				engine->queue[tail++] = out->to;
			}
		}
	}
	return 0;
}

/*
 * Does the new edge from -> to close a cycle? The path found from `to`
 * back to `from`, then the new edge, is the cycle: classes[0] = to (the
 * class being taken), classes[n - 1] = from (the class held).
 */
static int check_cycle(struct engine *engine, struct task *task, __u32 edge_index)
{
	const struct edge *edge = edge_at(engine, edge_index);
	__u32 from = edge->from, to = edge->to;
	__u32 n = 0, *cycle;
	__u32 within = NO_CLASS;
	bool through_reclaim = false;
	int ret;

	if (!engine->order_off) {
		ret = order_add(engine, from, to);
		if (ret == 0)
			return 0;
		/* Out of memory, the order is lost: the plain search still finds every cycle. */
		if (ret < 0)
			engine->order_off = true;
		else
			within = engine->order[from].scc;
	}
	ret = search_path(engine, to, from, within);
	if (ret <= 0)
		return ret;
	for (__u32 c = from; c != to; c = edge_at(engine, engine->visits[c].edge)->from) {
		if (array_reserve(&engine->path, &engine->cap_path, n + 1))
			return -ENOMEM;
		engine->path[n++] = engine->visits[c].edge;
	}
	/* path[] holds the edges backwards; reverse them and append the new one. */
	for (__u32 i = 0; i < n / 2; i++) {
		__u32 t = engine->path[i];

		engine->path[i] = engine->path[n - 1 - i];
		engine->path[n - 1 - i] = t;
	}
	if (array_reserve(&engine->path, &engine->cap_path, n + 1))
		return -ENOMEM;
	engine->path[n++] = edge_index;
	cycle = arena_alloc(&engine->arena, n * sizeof(*cycle));
	if (!cycle)
		return -ENOMEM;
	for (__u32 i = 0; i < n; i++) {
		cycle[i] = edge_at(engine, engine->path[i])->from;
		through_reclaim |= cycle[i] == engine->fs_reclaim;
	}
	/* cycle[i] is path[i]'s source: path[0] starts at `to`, path[n - 1] at `from`. */
	ret = finding_add(engine, task, through_reclaim ? FINDING_RECLAIM : FINDING_CIRCULAR, cycle,
			  n, engine->path, n, NULL);
	if (ret < 0)
		return ret;
	edge_at(engine, edge_index)->cycle_finding = (__u32)ret;
	return 0;
}

static int check_order(struct engine *engine, struct task *task, __u32 edge_index)
{
	const struct edge *edge = edge_at(engine, edge_index);
	const struct class *from = &engine->classes[edge->from];
	const struct class *to = &engine->classes[edge->to];
	__u32 pair[2] = { edge->from, edge->to };
	char reason[2 * CLASS_NAME_MAX + 32];
	const char *stored;
	int ret;

	if (from->order_index < 0 || to->order_index < 0 || to->order_index >= from->order_index)
		return 0;
	snprintf(reason, sizeof(reason), "declared order: %s before %s", to->name, from->name);
	stored = arena_strdup(&engine->arena, reason);
	if (!stored)
		return -ENOMEM;
	ret = finding_add(engine, task, FINDING_ORDER, pair, 2, &edge_index, 1, stored);
	if (ret < 0)
		return ret;
	edge_at(engine, edge_index)->order_finding = (__u32)ret;
	return 0;
}

static int check_recursion(struct engine *engine, struct task *task, __u32 edge_index)
{
	__u32 class_id = edge_at(engine, edge_index)->from;
	int ret = finding_add(engine, task, FINDING_RECURSIVE, &class_id, 1, &edge_index, 1, NULL);

	if (ret < 0)
		return ret;
	edge_at(engine, edge_index)->cycle_finding = (__u32)ret;
	return 0;
}

static bool closed_reported_cycle(const struct engine *engine, const struct edge *edge)
{
	return edge->cycle_finding && !engine->findings[edge->cycle_finding - 1]->pub.suppressed;
}

static int edge_hit(struct engine *engine, struct task *task, struct edge *edge,
		    const struct site_view *from, const struct site_view *to)
{
	if (edge->primed)
		return edge_fill_first_seen(engine, edge, task, from, to);
	edge->count++;
	if (edge->dep)
		edge->dep->count = edge->count;
	finding_hit(engine, edge->cycle_finding);
	finding_hit(engine, edge->order_finding);
	return 0;
}

/* What a new dependency breaks. task: who made it, NULL for an import. */
static int check_new_edge(struct engine *engine, struct task *task, __u32 index)
{
	const struct edge *edge = edge_at(engine, index);
	int err;

	if (edge->from == edge->to)
		return check_recursion(engine, task, index);
	err = check_cycle(engine, task, index);
	if (err)
		return err;
	/* A cycle is the stronger report of the same dependency: one edge, one report. */
	if (closed_reported_cycle(engine, edge))
		return 0;
	/* A taint is a rules file's statement, not an order someone followed. */
	if (edge->primed)
		return 0;
	return check_order(engine, task, index);
}

/* A hit the slot of a plain edge can count alone; false when the slow path must. */
static inline __attribute__((always_inline)) bool out_hit(struct engine *engine, __u32 from,
							  __u32 to)
{
	struct out_slot *slot;

	if (pair_covered(engine, from, to)) {
		size_t i = pair_index(engine, from, to);
		__u8 state = engine->pair_state[i];

		if (state == PAIR_DIRECT)
			return false;
		if (state == UINT8_MAX) {
			pair_hits_carry(engine, from, to);
			state = PAIR_PLAIN - 1;
		}
		engine->pair_state[i] = state + 1;
		return true;
	}
	slot = out_slot_find(&engine->classes[from], to);
	if (!slot || slot->hits >= OUT_PENDING_MAX)
		return false;
	slot->hits++;
	return true;
}

/* Records from -> to (from == to: the recursion edge) and reports what it breaks. */
static int dependency_add(struct engine *engine, struct task *task, const struct site_view *from,
			  const struct site_view *to)
{
	__u64 key = (__u64)from->class_id << 32 | to->class_id;
	struct hmap_slot *slot;
	struct edge *edge;
	__u32 index;
	int err;

	if (out_hit(engine, from->class_id, to->class_id))
		return 0;
	slot = hmap_find(&engine->edge_by_classes, key, NULL, NULL);
	if (slot) {
		edge = edge_at(engine, (__u32)(slot->value - 1));
		edge_fold_hits(engine, edge, false);
		err = edge_hit(engine, task, edge, from, to);
	} else {
		edge = edge_new(engine, from->class_id, to->class_id, &index);
		if (!edge)
			return -ENOMEM;
		err = edge_fill_first_seen(engine, edge, task, from, to);
		if (!err)
			err = check_new_edge(engine, task, index);
		/* edge_new() may have moved the chunks' table, not the edge itself. */
	}
	if (!err)
		edge_refresh_slot(engine, edge);
	return err;
}

static inline bool same_ww_context(const struct site_view *a, const struct held_lock *held)
{
	return a->lock_type == LD_LOCK_WW_MUTEX && held->lock_type == LD_LOCK_WW_MUTEX && a->ctx &&
	       a->ctx == held->ctx;
}

/*
 * Whether two ww_mutexes under one context are one ww class as far as is
 * known: the same class, or one of them of unknown class, which the
 * context then names (one context, one ww class). Two known classes stay
 * two, and depend on each other as lockdep has them do.
 */
static inline bool one_ww_class(const struct engine *engine, const struct site_view *want,
				const struct held_lock *held)
{
	return held->class_id == want->class_id || engine->classes[held->class_id].unclassified ||
	       engine->classes[want->class_id].unclassified;
}

/*
 * record_attempt() over the held locks from the start-th on; previous: the class of the run the
 * lock before belongs to (NO_CLASS for none). feed_acquire() takes the
 * first ones itself while they are plain.
 */
static int record_attempt_from(struct engine *engine, struct task *task,
			       const struct site_view *want, __u32 start, __u32 previous)
{
	bool recursion_seen = false;
	int err;

	for (__u32 i = start; i < task->nr_held; i++) {
		const struct held_lock *held = &task->held[i];
		struct site_view from;

		if (engine->classes[held->class_id].novalidate ||
		    (same_ww_context(want, held) && one_ww_class(engine, want, held)))
			continue;
		if (held->class_id == want->class_id) {
			/*
			 * An unclassified class holds several locks only as
			 * ww siblings (5. above): only the very same lock
			 * again proves recursion.
			 */
			if (recursion_seen || want->nest_ok ||
			    engine->classes[held->class_id].allow_nesting ||
			    (engine->classes[held->class_id].unclassified &&
			     held->lock != want->lock))
				continue;
			recursion_seen = true;
		} else if (held->class_id == previous) {
			/* A run of one class (ww objects, allowed nesting) adds one hit, not n. */
			continue;
		}
		previous = held->class_id;
		if (out_hit(engine, held->class_id, want->class_id))
			continue;
		from = held_view(task, i);
		err = dependency_add(engine, task, &from, want);
		if (err)
			return err;
	}
	return 0;
}

/* A blocking attempt on `want`: every held class (and fs_reclaim in reclaim) -> want. */
static int record_attempt(struct engine *engine, struct task *task, const struct site_view *want)
{
	if (task_in_reclaim(task)) {
		struct site_view reclaim = reclaim_view(engine, task);
		int err = dependency_add(engine, task, &reclaim, want);

		if (err)
			return err;
	}
	return record_attempt_from(engine, task, want, 0, NO_CLASS);
}

/* --- events ---------------------------------------------------------- */

/* The probes' ident of an init record (lockdepd_chain.h); the text is padded to whole words. */
static __u64 init_ident(const struct ld_event *ev)
{
	__u32 len = ev->text_len < LD_MAX_TEXT ? ev->text_len : LD_MAX_TEXT;
	__u64 words[LD_CHAIN_TEXT_WORDS] = { 0 };

	memcpy(words, ld_event_text(ev), len);
	return ld_chain_init_ident(words, len, ev->init.site, ev->flags & LD_EV_F_INIT_RULE);
}

static __attribute__((noinline)) int feed_init(struct engine *engine, const struct ld_event *ev)
{
	char name[LD_MAX_TEXT + 1];
	size_t len = ev->text_len < LD_MAX_TEXT ? ev->text_len : LD_MAX_TEXT;
	struct hmap_slot *slot = hmap_find(&engine->instances, ev->init.lock, NULL, NULL);
	__u32 class_id;

	memcpy(name, ld_event_text(ev), len);
	name[len] = '\0';
	/* Whatever the init makes of the lock, its address no longer says. */
	chain_fact(engine, ENGINE_CHAIN_FORGET, ld_chain_lock_ident(ev->init.lock), NO_CLASS);
	if (!name[0]) {
		/* A new instance with no name: classified when first taken. */
		if (slot)
			hmap_remove(&engine->instances, slot);
		return 0;
	}
	/* A rule at an entry point never overrules what an init (or 3. or 4.) made of the lock. */
	if ((ev->flags & LD_EV_F_INIT_FALLBACK) && slot &&
	    !engine->classes[(__u32)slot->value].unclassified)
		return 0;
	/* A rule names a class; only init names are keyed by their site (2.). */
	if (ev->flags & LD_EV_F_INIT_RULE)
		class_id = class_get(engine, name, false);
	else
		class_id = class_for_init(engine, name, ev->init.site);
	if (class_id == NO_CLASS)
		return -ENOMEM;
	if (class_id == KEYED_CLASS) {
		if (slot)
			hmap_remove(&engine->instances, slot);
		return 0;
	}
	/* A fallback's class depends on what came before it: not a function of its ident. */
	if (!(ev->flags & LD_EV_F_INIT_FALLBACK))
		chain_fact(engine, ENGINE_CHAIN_IDENT, init_ident(ev), class_id);
	if (slot) {
		slot->value = instance_value(engine, class_id);
		return 0;
	}
	return hmap_insert(&engine->instances, ev->init.lock, instance_value(engine, class_id));
}

/*
 * Events that fail are logged here, so that the hot paths end in a tail call
 * rather than a test of what they return.
 */
static __attribute__((noinline, cold)) int feed_failed(int err)
{
	return log_error_errno(err, "engine: %m");
}

static inline struct site_view acquire_view(const struct ld_event *ev, __u32 class_id)
{
	return (struct site_view){
		.class_id = class_id,
		.base_class = class_id,
		.lock_type = ev->acquire.lock_type,
		.trylock = ev->acquire.trylock,
		.reclaim_kind = NO_KIND,
		.nr_stack = ev->nr_stack < LD_MAX_STACK ? ev->nr_stack : LD_MAX_STACK,
		.lock = ev->acquire.lock,
		.ip = ev->acquire.ip,
		.ctx = ev->acquire.ctx,
		.stack = ld_event_stack(ev),
	};
}

/* Every acquisition the fast path in feed_acquire() does not finish alone. */
/* What the nested rules make of acquisitions of one class at one call site. */
struct nested_site {
	__u64 ip;
	__u32 class_id; /* the lock's own class */
	__u32 subclass_id; /* the class its acquisitions there are */
	bool nest_ok;
};

static bool nested_site_eq(__u64 value, const void *wanted)
{
	const struct nested_site *a = (const struct nested_site *)(uintptr_t)value;
	const struct nested_site *b = wanted;

	return a->ip == b->ip && a->class_id == b->class_id;
}

static struct nested_site *nested_site_new(struct engine *engine, __u64 key,
					   const struct site_view *want)
{
	const struct class *class = &engine->classes[want->class_id];
	char caller[CLASS_NAME_MAX], name[CLASS_NAME_MAX];
	struct nested_site *site;
	int subclass = 0;

	site = arena_alloc(&engine->arena, sizeof(*site));
	if (!site)
		return NULL;
	*site = (struct nested_site){ .ip = want->ip,
				      .class_id = want->class_id,
				      .subclass_id = want->class_id };
	if (function_of(engine, want->ip, caller, sizeof(caller)))
		subclass =
			rules__nested_subclass(engine->rules, class->name, want->lock_type, caller);
	if (subclass == RULES_SUBCLASS_ANY) {
		site->nest_ok = true;
	} else if (subclass > 0) {
		if (snprintf(name, sizeof(name), "%s/%d", class->name, subclass) >=
		    (int)sizeof(name))
			return site; /* a name too long to refine: the lock's own class */
		site->subclass_id = class_get(engine, name, false);
		if (site->subclass_id == NO_CLASS)
			return NULL;
	}
	if (hmap_insert(&engine->nested_sites, key, (uintptr_t)site))
		return NULL;
	return site;
}

/*
 * A production kernel's _nested() calls are plain calls: the rules give
 * the subclass back from the function that made the call (want->ip).
 */
static int nested_annotate(struct engine *engine, struct site_view *want)
{
	struct nested_site wanted = { .ip = want->ip, .class_id = want->class_id };
	__u64 key = hash_mix64(want->ip ^ ((__u64)want->class_id << 40 | want->class_id));
	struct hmap_slot *slot = hmap_find(&engine->nested_sites, key, nested_site_eq, &wanted);
	const struct nested_site *site;

	site = slot ? (const struct nested_site *)(uintptr_t)slot->value
		    : nested_site_new(engine, key, want);
	if (!site)
		return -ENOMEM;
	want->class_id = site->subclass_id;
	want->nest_ok = site->nest_ok;
	return 0;
}

static __attribute__((noinline)) int feed_acquire_slow(struct engine *engine,
						       const struct ld_event *ev)
{
	bool failed = ev->acquire.ret != 0;
	struct site_view want;
	struct task *task;
	int err;

	if (ev->acquire.lock_type >= LD_LOCK_TYPE_MAX || (ev->acquire.trylock && failed))
		return 0;
	task = task_get(engine, ev->pid);
	if (!task)
		return feed_failed(-ENOMEM);
	task_set_comm(task, ev->comm);
	want = acquire_view(ev,
			    class_for_lock(engine, task, ev->acquire.lock, ev->acquire.lock_type,
					   ev->acquire.ctx, ev->acquire.ip));
	if (want.class_id == NO_CLASS)
		return feed_failed(-ENOMEM);
	if (engine->classes[want.class_id].nested) {
		err = nested_annotate(engine, &want);
		if (err)
			return feed_failed(err);
	}
	if (!want.trylock && !engine->classes[want.class_id].novalidate) {
		err = record_attempt(engine, task, &want);
		if (err)
			return feed_failed(err);
	}
	if (failed)
		return 0;
	err = held_push(task, &want);
	return err ? feed_failed(err) : 0;
}

/* The fast path met a held lock it cannot count alone, the start-th. */
static __attribute__((noinline)) int feed_acquire_rest(struct engine *engine,
						       const struct ld_event *ev, struct task *task,
						       __u32 class_id, __u32 start, __u32 previous)
{
	struct site_view want = acquire_view(ev, class_id);
	int err = record_attempt_from(engine, task, &want, start, previous);

	if (err)
		return feed_failed(err);
	held_store(task, &want);
	return 0;
}

/*
 * Most acquisitions: a blocking one that succeeded, of a known lock, by a
 * known task outside reclaim, with room to hold it, whose dependency on
 * each lock held is plain: a hit counted in its class pair's byte. Those
 * are done here with nothing else on the way; the rest of the locks held
 * go to record_attempt_from() at the first that is not so simple, and
 * anything else to feed_acquire_slow(), with the same result.
 */
static __attribute__((noinline)) int feed_acquire(struct engine *engine, const struct ld_event *ev)
{
	__u32 class_id, previous = NO_CLASS, i;
	struct hmap_slot *slot;
	struct task *task;

	if (ev->acquire.trylock || ev->acquire.ret || ev->acquire.lock_type >= LD_LOCK_TYPE_MAX)
		return feed_acquire_slow(engine, ev);
	task = task_find(engine, ev->pid);
	if (!task || task_in_reclaim(task) || !held_has_room(task))
		return feed_acquire_slow(engine, ev);
	slot = hmap_find(&engine->instances, ev->acquire.lock, NULL, NULL);
	if (!slot || (slot->value & INSTANCE_ANNOTATED))
		return feed_acquire_slow(engine, ev);
	class_id = (__u32)slot->value;
	task_set_comm(task, ev->comm);
	for (i = 0; i < task->nr_held; i++) {
		__u32 held_class = task->held[i].class_id;

		/* previous is never class_id here: the same test as record_attempt_from()'s. */
		if (held_class == previous)
			continue;
		if (held_class == class_id || !out_hit(engine, held_class, class_id) ||
		    (ev->acquire.ctx && task->held[i].ctx == ev->acquire.ctx))
			return feed_acquire_rest(engine, ev, task, class_id, i, previous);
		previous = held_class;
	}
	{
		struct site_view want = acquire_view(ev, class_id);

		held_store(task, &want);
	}
	return 0;
}

static __attribute__((noinline)) int feed_release_slow(struct engine *engine, struct task *task,
						       __u64 lock)
{
	if (!task || !held_remove(task, lock))
		engine->stats.unpaired_releases++;
	return 0;
}

static inline __attribute__((always_inline)) int feed_release(struct engine *engine,
							      const struct ld_event *ev)
{
	struct task *task = task_find(engine, ev->pid);

	/* Locks are mostly released innermost first: held_remove()'s first look, inline. */
	if (task && task->nr_held && task->held[task->nr_held - 1].lock == ev->release.lock) {
		task->nr_held--;
		return 0;
	}
	return feed_release_slow(engine, task, ev->release.lock);
}

/*
 * A held record: the task holds exactly these locks, outermost first. The
 * probes' chain cache kept back acquisitions whose dependencies were all
 * known, so those locks are taken as held from here on, classed as an
 * acquire would class them, without a dependency; a lock the engine
 * already holds keeps what was seen of it. A lock the engine believed held
 * and the probes do not (a loss between them) is dropped: the probes saw
 * every release.
 */
static __attribute__((noinline)) int feed_held(struct engine *engine, const struct ld_event *ev)
{
	const struct ld_held_entry *entries = (const struct ld_held_entry *)ld_event_stack(ev);
	struct held_lock old[LD_HELD_MAX];
	__u64 old_stacks[LD_HELD_MAX][LD_MAX_STACK];
	__u32 nr_old, nr = ev->held.nr < LD_HELD_MAX ? ev->held.nr : LD_HELD_MAX;
	struct task *task = task_get(engine, ev->pid);
	bool kept[LD_HELD_MAX] = { false };

	if (!task)
		return -ENOMEM;
	/* The probes track LD_HELD_MAX locks at most: a task holding more is never left out. */
	nr_old = task->nr_held < LD_HELD_MAX ? task->nr_held : LD_HELD_MAX;
	for (__u32 i = 0; i < nr_old; i++) {
		old[i] = task->held[i];
		if (old[i].nr_stack && !old[i].stack_is_ip)
			memcpy(old_stacks[i], task->held_stacks[i], sizeof(old_stacks[i]));
	}
	task->nr_held = 0;
	for (__u32 i = 0; i < nr; i++) {
		__u8 lock_type = entries[i].info & 0xff;
		struct site_view view = {
			.lock_type = lock_type,
			.trylock = (entries[i].info & LD_HELD_F_TRYLOCK) != 0,
			.reclaim_kind = NO_KIND,
			.nr_stack = 1,
			.lock = entries[i].lock,
			.ip = entries[i].ip,
			.stack = &entries[i].ip,
		};
		int err;

		for (__u32 j = 0; j < nr_old; j++) {
			if (kept[j] || old[j].lock != view.lock)
				continue;
			kept[j] = true;
			view.class_id = old[j].class_id;
			view.base_class = old[j].base_class;
			view.ctx = old[j].ctx;
			view.ip = old[j].ip;
			view.nr_stack = old[j].nr_stack;
			view.stack = old[j].stack_is_ip ? &old[j].ip : old_stacks[j];
			break;
		}
		if (!view.class_id) {
			view.class_id =
				class_for_lock(engine, task, view.lock, lock_type, 0, view.ip);
			if (view.class_id == NO_CLASS)
				return -ENOMEM;
			view.base_class = view.class_id;
			if (engine->classes[view.class_id].nested) {
				err = nested_annotate(engine, &view);
				if (err)
					return err;
			}
		}
		err = held_push(task, &view);
		if (err)
			return err;
	}
	return 0;
}

/* The chain key of what task holds, its first n locks (lockdepd_chain.h). */
static __u64 task_chain(const struct task *task, __u32 n)
{
	__u64 chain = LD_CHAIN_START;

	for (__u32 i = 0; i < n; i++)
		chain = ld_chain_step(chain, task->held[i].base_class, task->held[i].ip,
				      task->held[i].lock_type |
					      (task->held[i].trylock ? LD_HELD_F_TRYLOCK : 0));
	return chain;
}

/*
 * After an acquire: if it was taken (it is the innermost lock held now)
 * and the probes may keep its kind back, its key is known. The probes'
 * conditions, the engine's side: not a ww_mutex under an acquire context
 * (what it depends on turns on the context's other locks), not a lock
 * already held, a known caller, what is held fits the probes' view.
 */
static void chain_after_acquire(struct engine *engine, const struct ld_event *ev)
{
	struct task *task = task_find(engine, ev->pid);
	const struct held_lock *want;
	__u32 n;

	if (!task || !task->nr_held || task->nr_held > LD_HELD_MAX ||
	    (ev->acquire.lock_type == LD_LOCK_WW_MUTEX && ev->acquire.ctx) || !ev->acquire.ip ||
	    ev->acquire.ret)
		return;
	n = task->nr_held - 1;
	want = &task->held[n];
	if (want->lock != ev->acquire.lock)
		return;
	for (__u32 i = 0; i < n; i++)
		if (task->held[i].lock == want->lock)
			return;
	chain_fact(engine, ENGINE_CHAIN_KNOWN,
		   ld_chain_triple(task_chain(task, n), want->base_class, want->ip,
				   want->lock_type | (want->trylock ? LD_HELD_F_TRYLOCK : 0),
				   task_in_reclaim(task)),
		   NO_CLASS);
}

static __attribute__((noinline)) int feed_alloc(struct engine *engine, const struct ld_event *ev)
{
	struct task *task = task_find(engine, ev->pid);
	struct site_view reclaim;
	__u32 previous = NO_CLASS;

	if (!task || !task->nr_held ||
	    !gfp_may_enter_fs_reclaim(engine->gfp, ev->alloc.gfp, task->flags))
		return 0;
	reclaim = (struct site_view){
		.class_id = engine->fs_reclaim,
		.reclaim_kind = NO_KIND,
		.nr_stack = ev->nr_stack < LD_MAX_STACK ? ev->nr_stack : LD_MAX_STACK,
		.ip = ev->alloc.site,
		.stack = ld_event_stack(ev),
	};
	/* In reclaim context fs_reclaim is held too, but never depends on itself. */
	for (__u32 i = 0; i < task->nr_held; i++) {
		struct site_view from;
		int err;

		if (task->held[i].class_id == previous ||
		    engine->classes[task->held[i].class_id].novalidate)
			continue;
		previous = task->held[i].class_id;
		if (out_hit(engine, previous, engine->fs_reclaim))
			continue;
		from = held_view(task, i);
		err = dependency_add(engine, task, &from, &reclaim);
		if (err)
			return err;
	}
	if (engine->chain_fn && task->nr_held <= LD_HELD_MAX)
		chain_fact(engine, ENGINE_CHAIN_KNOWN,
			   ld_chain_triple(task_chain(task, task->nr_held), LD_CHAIN_CLASS_ALLOC, 0,
					   0, 0),
			   NO_CLASS);
	return 0;
}

static __attribute__((noinline)) int feed_reclaim(struct engine *engine, const struct ld_event *ev)
{
	struct task *task;

	if (ev->reclaim.state == LD_RECLAIM_EXIT) {
		task = task_find(engine, ev->pid);
		if (task && task->reclaim_depth)
			task->reclaim_depth--;
		return 0;
	}
	task = task_get(engine, ev->pid);
	if (!task || array_reserve(&task->reclaim, &task->cap_reclaim, task->reclaim_depth + 1))
		return -ENOMEM;
	task->reclaim[task->reclaim_depth++] = (struct reclaim_frame){
		.fn = ev->reclaim.fn,
		.kind = ev->reclaim.kind,
	};
	return 0;
}

static __attribute__((noinline)) int feed_flags(struct engine *engine, const struct ld_event *ev)
{
	struct task *task = task_get(engine, ev->pid);

	if (!task)
		return -ENOMEM;
	task->flags = ev->task_flags.value;
	return 0;
}

static __attribute__((noinline)) int feed_exit(struct engine *engine, const struct ld_event *ev)
{
	struct task *task = task_find(engine, ev->pid);

	if (task)
		task_drop(engine, task);
	return 0;
}

static __attribute__((noinline)) int feed_mark(struct engine *engine, const struct ld_event *ev)
{
	size_t len = ev->text_len < LD_MAX_TEXT ? ev->text_len : LD_MAX_TEXT;

	return igt_tracker__feed(engine->igt, ld_event_text(ev), len);
}

static __attribute__((noinline)) int feed_lost(struct engine *engine, const struct ld_event *ev)
{
	engine->stats.lost_events += ev->lost.count;
	if (ev->flags & LD_EV_F_LOST_PID) {
		struct task *task = task_find(engine, ev->pid);

		if (task && task_reset(task))
			engine->stats.lost_resets++;
		return 0;
	}
	for (size_t i = 0; engine->tasks.slots && i <= engine->tasks.mask; i++) {
		struct task *task = (struct task *)(uintptr_t)engine->tasks.slots[i].value;

		if (task && task_reset(task))
			engine->stats.lost_resets++;
	}
	return 0;
}

static __attribute__((noinline)) int feed_rare(struct engine *engine, const struct ld_event *event)
{
	int err;

	switch (event->type) {
	case LD_EV_INIT:
		err = feed_init(engine, event);
		break;
	case LD_EV_ALLOC:
		err = feed_alloc(engine, event);
		break;
	case LD_EV_RECLAIM:
		err = feed_reclaim(engine, event);
		break;
	case LD_EV_FLAGS:
		err = feed_flags(engine, event);
		break;
	case LD_EV_EXIT:
		err = feed_exit(engine, event);
		break;
	case LD_EV_MARK:
		err = feed_mark(engine, event);
		break;
	case LD_EV_LOST:
		err = feed_lost(engine, event);
		break;
	case LD_EV_HELD:
		err = feed_held(engine, event);
		break;
	default:
		err = 0;
		break;
	}
	return err ? feed_failed(err) : 0;
}

static inline __attribute__((always_inline)) int engine_feed(struct engine *engine,
							     const struct ld_event *event)
{
	engine->stats.events++;
	engine->now_ns = event->flags & LD_EV_F_TIME ? event->time_ns : 0;
	/* Nine events in ten: tested before the switch, which costs a jump table. */
	if (event->type == LD_EV_ACQUIRE) {
		int err = feed_acquire(engine, event);

		if (!err && engine->chain_fn)
			chain_after_acquire(engine, event);
		return err;
	}
	if (event->type == LD_EV_RELEASE)
		return feed_release(engine, event);
	return feed_rare(engine, event);
}

int engine__feed(struct engine *engine, const struct ld_event *event)
{
	return engine_feed(engine, event);
}

/* The same for a replay: one call per event, not two. */
int engine__replay_event(void *engine, const struct ld_event *event)
{
	return engine_feed(engine, event);
}

/* --- life cycle ------------------------------------------------------ */

/*
 * fs_reclaim -> class for each taint_reclaim class, as if seen before
 * anything else. A taint new to a graph already learned (new rules) can
 * close a cycle at once, as i915_gem_shrinker_taints_mutex() would.
 */
static int prime_reclaim_taints(struct engine *engine)
{
	if (!engine->rules)
		return 0;
	for (size_t i = 0; i < engine->rules->nr_taint_reclaim; i++) {
		__u32 class_id = class_get(engine, engine->rules->taint_reclaim[i], false);
		__u64 key = (__u64)engine->fs_reclaim << 32 | class_id;
		struct edge *edge;
		__u32 index;
		int err;

		if (class_id == NO_CLASS)
			return -ENOMEM;
		if (class_id == engine->fs_reclaim ||
		    hmap_find(&engine->edge_by_classes, key, NULL, NULL))
			continue;
		edge = edge_new(engine, engine->fs_reclaim, class_id, &index);
		if (!edge)
			return -ENOMEM;
		edge->primed = true;
		edge->comm = "";
		err = check_new_edge(engine, NULL, index);
		if (err)
			return err;
	}
	return 0;
}

int engine__new(const struct rules *rules, struct symtab *symtab, struct engine **ret)
{
	struct engine *engine = calloc(1, sizeof(*engine));
	int err = -ENOMEM;

	if (!engine)
		return -ENOMEM;
	engine->rules = rules;
	engine->symtab = symtab;
	if (gfp_layout__new_default(&engine->gfp) || igt_tracker__new(&engine->igt))
		goto cleanup;
	/* Class id 0 stays unused so that 0 can mean "none" in maps. */
	if (array_reserve(&engine->classes, &engine->cap_classes, 1))
		goto cleanup;
	engine->classes[0] = (struct class){ .name = "", .first_out = NO_EDGE };
	engine->nr_classes = 1;
	engine->fs_reclaim = class_get(engine, FS_RECLAIM_CLASS, false);
	if (engine->fs_reclaim == NO_CLASS)
		goto cleanup;
	err = prime_reclaim_taints(engine);
	if (err)
		goto cleanup;
	*ret = engine;
	return 0;
cleanup:
	engine__free(engine);
	return err;
}

void engine__free(struct engine *engine)
{
	struct task *task;

	if (!engine)
		return;
	for (size_t i = 0; engine->tasks.slots && i <= engine->tasks.mask; i++)
		if (engine->tasks.slots[i].value)
			task_free((struct task *)(uintptr_t)engine->tasks.slots[i].value);
	while ((task = engine->free_tasks)) {
		engine->free_tasks = task->next_free;
		task_free(task);
	}
	for (size_t i = 0; engine->name_versions.slots && i <= engine->name_versions.mask; i++)
		if (engine->name_versions.slots[i].value)
			free(((struct name_versions *)(uintptr_t)engine->name_versions.slots[i]
				      .value)
				     ->sites);
	for (__u32 i = 0; i < engine->nr_edge_chunks; i++)
		free(engine->edge_chunks[i]);
	free(engine->edge_chunks);
	hmap_free(&engine->class_by_name);
	hmap_free(&engine->init_classes);
	hmap_free(&engine->name_versions);
	hmap_free(&engine->instances);
	hmap_free(&engine->nested_sites);
	hmap_free(&engine->edge_by_classes);
	hmap_free(&engine->stacks);
	hmap_free(&engine->comms);
	hmap_free(&engine->tasks);
	hmap_free(&engine->finding_by_identity);
	for (__u32 i = 0; i < engine->nr_classes; i++) {
		free(engine->classes[i].out_slots);
		free(engine->classes[i].out);
	}
	free(engine->classes);
	free(engine->pair_state);
	free(engine->findings);
	free(engine->queue);
	free(engine->visits);
	free(engine->path);
	free(engine->scratch);
	for (__u32 i = 0; i < engine->nr_order; i++)
		free(engine->order_classes[i].in);
	free(engine->order);
	free(engine->order_classes);
	free(engine->order_fwd);
	free(engine->order_back);
	free(engine->order_keys);
	free(engine->order_pool);
	arena_free(&engine->arena);
	gfp_layout__free(engine->gfp);
	igt_tracker__free(engine->igt);
	free(engine);
}

int engine__set_gfp_layout(struct engine *engine, const struct gfp_layout *layout)
{
	struct gfp_layout *copy;

	if (!layout)
		return 0;
	if (gfp_layout__copy(layout, &copy))
		return -ENOMEM;
	gfp_layout__free(engine->gfp);
	engine->gfp = copy;
	return 0;
}

void engine__set_plain_search(struct engine *engine)
{
	engine->order_off = true;
}

void engine__set_chain_fn(struct engine *engine, engine_chain_fn fn, void *ctx)
{
	engine->chain_fn = fn;
	engine->chain_ctx = ctx;
}

void engine__set_finding_fn(struct engine *engine, engine_finding_fn fn, void *ctx)
{
	engine->finding_fn = fn;
	engine->finding_ctx = ctx;
}

size_t engine__nr_findings(const struct engine *engine)
{
	return engine->nr_findings;
}

const struct finding *engine__finding(const struct engine *engine, size_t i)
{
	return i < engine->nr_findings ? &engine->findings[i]->pub : NULL;
}

void engine__stats(const struct engine *engine, struct engine_stats *ret_stats)
{
	*ret_stats = engine->stats;
}

const char *engine__current_test(const struct engine *engine)
{
	return igt_tracker__current(engine->igt);
}

/* --- rules changes ------------------------------------------------------- */

/* Suppression follows the rules in force; the counts move with it. */
static void finding_resuppress(struct engine *engine, struct finding_entry *entry)
{
	struct finding *f = &entry->pub;
	const struct rules_suppress *suppress =
		rules__suppression_for(engine->rules, f->kind, f->classes, f->nr_classes);
	bool was = f->suppressed;

	f->suppressed = suppress != NULL;
	f->reason = suppress ? suppress->reason : entry->own_reason;
	if (was == f->suppressed)
		return;
	if (f->suppressed) {
		engine->stats.findings--;
		engine->stats.suppressed++;
	} else {
		engine->stats.suppressed--;
		engine->stats.findings++;
	}
}

int engine__set_rules(struct engine *engine, const struct rules *rules)
{
	engine->rules = rules;
	for (__u32 id = 1; id < engine->nr_classes; id++) {
		struct class *class = &engine->classes[id];

		class->order_index = rules__order_index(rules, class->name);
		class->allow_nesting = rules__allows_nesting(rules, class->name);
		class->nested = !class->unclassified && rules__has_nested(rules, class->name);
	}
	/* What the nested rules made of each call site is made again. */
	hmap_free(&engine->nested_sites);
	for (size_t i = 0; engine->instances.slots && i <= engine->instances.mask; i++) {
		struct hmap_slot *slot = &engine->instances.slots[i];

		if (slot->value)
			slot->value = instance_value(engine, (__u32)slot->value);
	}
	/*
	 * Init names meet the new class rules from their next init on; a lock
	 * instance already classified keeps its class until then.
	 */
	hmap_free(&engine->init_classes);
	/* Both may now lead elsewhere: what an ident is, and what nests. */
	chain_fact(engine, ENGINE_CHAIN_RESET, 0, NO_CLASS);
	for (__u32 i = 0; i < engine->nr_findings; i++)
		finding_resuppress(engine, engine->findings[i]);
	return prime_reclaim_taints(engine);
}

/* --- the learned graph, out and in ------------------------------------------ */

size_t engine__nr_classes(const struct engine *engine)
{
	return engine->nr_classes - 1;
}

const char *engine__class(const struct engine *engine, size_t i, bool *ret_unclassified)
{
	const struct class *class;

	if (i + 1 >= engine->nr_classes)
		return NULL;
	class = &engine->classes[i + 1];
	if (ret_unclassified)
		*ret_unclassified = class->unclassified;
	return class->name;
}

size_t engine__nr_dependencies(const struct engine *engine)
{
	return engine->nr_edges;
}

int engine__dependency(const struct engine *engine, size_t i, struct dependency *ret_dep)
{
	if (i >= engine->nr_edges)
		return -ENOENT;
	dependency_view(engine, edge_at(engine, (__u32)i), ret_dep);
	return 0;
}

#define UNCLASSIFIED_PREFIX "unclassified@"

static bool unclassified_name(const char *name)
{
	return strncmp(name, UNCLASSIFIED_PREFIX, strlen(UNCLASSIFIED_PREFIX)) == 0;
}

/* An unclassified class is a lock of the boot that saw it (5. above): left out. */
int engine__import_class(struct engine *engine, const char *name, bool unclassified)
{
	if (unclassified || unclassified_name(name))
		return 0;
	return class_get(engine, name, false) == NO_CLASS ? -ENOMEM : 0;
}

/* Copies what an imported dependency says it first saw into edge. */
static int edge_fill_imported(struct engine *engine, struct edge *edge,
			      const struct dependency *dep)
{
	int kind = dep->reclaim_kind ? ld_reclaim_kind_from_name(dep->reclaim_kind) : -1;
	int err = 0;

	edge->pid = dep->pid;
	edge->comm = comm_intern(engine, dep->comm ? dep->comm : "");
	edge->test = dep->test ? comm_intern(engine, dep->test) : NULL;
	edge->time_ns = dep->time_ns;
	edge->held = (struct edge_site){
		.lock = dep->held.lock,
		.ip = dep->held.ip,
		.stack = stack_intern(engine, dep->held.stack, dep->held.nr_stack, &err),
	};
	edge->acquired = (struct edge_site){
		.lock = dep->acquired.lock,
		.ip = dep->acquired.ip,
		.stack = stack_intern(engine, dep->acquired.stack, dep->acquired.nr_stack, &err),
	};
	edge->held_type = dep->held.lock_type < LD_LOCK_TYPE_MAX ? dep->held.lock_type : 0;
	edge->acquired_type =
		dep->acquired.lock_type < LD_LOCK_TYPE_MAX ? dep->acquired.lock_type : 0;
	edge->held_trylock = dep->held.trylock;
	edge->acquired_trylock = dep->acquired.trylock;
	edge->reclaim_kind = edge->from == engine->fs_reclaim && kind >= 0 ? (__s8)kind : NO_KIND;
	edge->primed = false;
	edge->count = dep->count ? dep->count : 1;
	if (!edge->comm || (dep->test && !edge->test))
		err = -ENOMEM;
	if (edge->dep)
		dependency_fill(engine, edge);
	return err;
}

int engine__import_dependency(struct engine *engine, const struct dependency *dep)
{
	__u32 from, to, index;
	struct hmap_slot *slot;
	struct edge *edge;
	int err;

	if (!dep->from || !dep->to || !*dep->from || !*dep->to)
		return -EINVAL;
	if (unclassified_name(dep->from) || unclassified_name(dep->to))
		return 0;
	from = class_get(engine, dep->from, false);
	to = class_get(engine, dep->to, false);
	if (from == NO_CLASS || to == NO_CLASS)
		return -ENOMEM;
	slot = hmap_find(&engine->edge_by_classes, (__u64)from << 32 | to, NULL, NULL);
	if (slot) {
		edge = edge_at(engine, (__u32)(slot->value - 1));
		if (dep->primed)
			return 0;
		if (edge->primed) {
			err = edge_fill_imported(engine, edge, dep);
		} else {
			/* Hits only counted in the edge's slot stay there: edge_count() adds them.
			 */
			edge->count += dep->count ? dep->count : 1;
			if (edge->dep)
				edge->dep->count = edge->count;
			err = 0;
		}
	} else {
		edge = edge_new(engine, from, to, &index);
		if (!edge)
			return -ENOMEM;
		if (dep->primed) {
			edge->primed = true;
			edge->comm = "";
			err = 0;
		} else {
			err = edge_fill_imported(engine, edge, dep);
		}
		if (!err)
			err = check_new_edge(engine, NULL, index);
	}
	/* A restored graph takes the same fast path as one learned live. */
	if (!err)
		edge_refresh_slot(engine, edge);
	return err;
}

int engine__restore_finding(struct engine *engine, int kind, const char *const *classes,
			    size_t nr_classes, __u64 count)
{
	struct finding_wanted wanted = { engine, kind, NULL, (__u32)nr_classes };
	struct finding_entry *entry;
	struct hmap_slot *slot;

	if (kind < 0 || kind >= FINDING_KIND_MAX || !nr_classes || nr_classes > UINT32_MAX)
		return 0;
	while (engine->cap_scratch < nr_classes)
		if (array_reserve(&engine->scratch, &engine->cap_scratch, engine->cap_scratch + 1))
			return -ENOMEM;
	for (size_t i = 0; i < nr_classes; i++) {
		struct class_wanted cw = { engine, classes[i] };

		slot = hmap_find(&engine->class_by_name, hash_string(classes[i]), class_name_eq,
				 &cw);
		if (!slot)
			return 0;
		engine->scratch[i] = (__u32)slot->value;
	}
	qsort(engine->scratch, nr_classes, sizeof(*engine->scratch), compare_u32);
	wanted.class_ids = engine->scratch;
	slot = hmap_find(&engine->finding_by_identity,
			 hash_bytes(engine->scratch, nr_classes * sizeof(*engine->scratch), kind),
			 finding_eq, &wanted);
	if (!slot)
		return 0;
	entry = engine->findings[slot->value - 1];
	if (entry->count_restored) {
		entry->pub.count += count;
	} else {
		entry->pub.count = count;
		entry->count_restored = true;
	}
	return 1;
}

bool engine__finding_restored(const struct engine *engine, size_t i)
{
	return i < engine->nr_findings && engine->findings[i]->count_restored;
}
