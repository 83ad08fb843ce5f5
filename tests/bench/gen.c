// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench-gen: writes a synthetic binary trace shaped like a GPU driver test
 * run, for the offline throughput benchmark.
 *
 *   bench-gen -n EVENTS -o FILE [-s SEED] [-l ZSTD_LEVEL] [-m paths|random]
 *
 * The shape: a few hundred lock classes, each with several instances
 * (init events, heap addresses) plus a few static locks (named by symbol);
 * ~64 tasks interleaved, each nesting acquisitions 1 to 6 deep in one global
 * class order (so the graph stays mostly acyclic, as in a healthy driver),
 * releases mostly in reverse order; stacks of 8 to 16 named frames that
 * repeat per call site, as real stacks do, sent as lockdepd's capture sends
 * them: whole the first time a lock is taken from a site in a given held
 * context, and as the caller's frame alone afterwards (bpf/
 * lockdepd_common.h, op_key()); ww_mutex classes taken under an
 * acquire context; trylocks; allocations under locks; shrinker and kswapd
 * reclaim taking their locks; IGT marker lines; and a handful of real
 * inversions (a late class taken before an early one), so the benchmark also
 * pays for finding and reporting cycles.
 *
 * Which locks a task nests, two ways (-m):
 *  - paths (the default): code paths, as in a kernel. A few thousand call
 *    paths each take a fixed sequence of classes from fixed call sites
 *    (an ioctl, a worker, a shrinker), and tasks run them with a skewed
 *    popularity, so the same lock chains come back again and again on
 *    different instances (objects). This is what lockdep's chain cache
 *    counts on: a whole kernel under a test suite forms some tens of
 *    thousands of distinct chains, not millions.
 *  - random: every lock picked at random within a window of the order, so
 *    nearly every acquisition forms a new chain (the benchmark's first
 *    shape, kept to compare: a worst case for any cache).
 *
 * Two more modes measure the cycle search, not the shape of a driver (-n
 * is not used): 20,000 classes of one lock each, initialised in a random
 * order, and 220,000 nestings of two locks, in a random order too.
 *  - graph: 220,000 dependencies: one long chain through all classes,
 *    random forward ones (from a class to one later in the chain), and, last,
 *    one back edge that closes one long cycle;
 *  - graph-known: the chain and the back edge alone; the other nestings
 *    take a dependency of the chain again. The same number of events, a
 *    tenth of the dependencies.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event/gfp.h"
#include "event/symtab.h"
#include "lib/hashmap.h"
#include "source/trace/trace.h"

#include "rng.h"

#define NR_CLASSES	    400
#define INSTANCES_PER_CLASS 5
#define NR_STATIC_LOCKS	    24
#define NR_TASKS	    64
#define NR_FUNCTIONS	    3000
#define STACK_VARIANTS	    6
#define MAX_DEPTH	    6
#define NR_INVERSIONS	    3
#define NR_PATHS	    2000
#define SEEN_SLOTS	    (1u << 23) /* ops already sent with a whole stack */
#define UNLOCK_OFFSET	    0x40

#define GRAPH_CLASSES  20000
#define GRAPH_NESTINGS 220000

#define TEXT_BASE 0xffffffff81000000ULL
#define DATA_BASE 0xffffffff82800000ULL
#define HEAP_BASE 0xffff888100000000ULL
#define CTX_BASE  0xffff888200000000ULL

struct lock {
	__u64 addr;
	unsigned int rank; /* position in the global order */
	unsigned int class_id;
	bool ww;
	bool spin;
};

struct held {
	const struct lock *lock;
	unsigned int variant; /* the call site it was taken from */
	bool try;
};

/* A code path: the classes it nests, in order, each from one call site. */
struct path {
	unsigned int depth;
	unsigned int rank[MAX_DEPTH];
	unsigned int variant[MAX_DEPTH];
	unsigned int alloc_variant;
	unsigned int alloc_class;
};

struct task {
	__u32 pid;
	__u64 held_hash; /* XOR of mix() over the held locks, as the capture keeps */
	const struct path *path; /* NULL in random mode */
	char comm[16];
	struct held held[MAX_DEPTH + 4];
	unsigned int depth;
	unsigned int target_depth;
	bool in_reclaim;
	__u64 ctx;
};

union event_buf {
	struct ld_event ev;
	__u64 words[(sizeof(struct ld_event) + LD_MAX_STACK * 8 + LD_MAX_TEXT + 7) / 8];
};

struct gen {
	struct trace_writer *writer;
	__u64 rng;
	__u64 now;
	__u64 written;
	__u64 target;
	struct lock locks[NR_CLASSES * INSTANCES_PER_CLASS + NR_STATIC_LOCKS];
	size_t nr_locks;
	unsigned int by_rank[NR_CLASSES][INSTANCES_PER_CLASS + 1];
	unsigned int nr_by_rank[NR_CLASSES];
	__u64 stacks[NR_CLASSES][STACK_VARIANTS][16];
	unsigned int stack_len[NR_CLASSES][STACK_VARIANTS];
	struct task tasks[NR_TASKS];
	bool random_picks;
	__u64 *seen; /* SEEN_SLOTS op keys, 0 empty */
	struct path paths[NR_PATHS];
	__u64 inversion_at[NR_INVERSIONS];
	unsigned int inversions_done;
	union event_buf buf;
};

static __u64 next_random(struct gen *g)
{
	return bench_random(&g->rng);
}

static unsigned int below(struct gen *g, unsigned int n)
{
	return bench_below(&g->rng, n);
}

static __u64 function_addr(unsigned int i)
{
	return TEXT_BASE + (__u64)i * 0x400 + 0x1c;
}

static struct ld_event *start_event(struct gen *g, unsigned int type, __u32 pid)
{
	struct ld_event *ev = &g->buf.ev;

	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->size = sizeof(*ev);
	ev->pid = pid;
	ev->flags = LD_EV_F_TIME;
	g->now += 50 + below(g, 400);
	ev->time_ns = g->now;
	return ev;
}

static int emit(struct gen *g, struct ld_event *ev)
{
	int err;

	ev->size = ld_event_size_for(ev->nr_stack, ev->text_len);
	err = trace_writer__write(g->writer, ev);
	if (err)
		return err;
	g->written++;
	return 0;
}

static void set_stack(struct ld_event *ev, const __u64 *frames, unsigned int n)
{
	ev->nr_stack = n;
	memcpy(ev + 1, frames, n * sizeof(__u64));
}

static void set_text(struct ld_event *ev, const char *text)
{
	size_t len = strlen(text);

	ev->text_len = len;
	memcpy((char *)(ev + 1) + ev->nr_stack * sizeof(__u64), text, len);
}

static int setup_symbols(struct gen *g, struct symtab *symtab)
{
	char name[128];

	for (unsigned int i = 0; i < NR_FUNCTIONS; i++) {
		const char *base = i % 3 == 0 ? "i915_gem_fn" : i % 3 == 1 ? "drm_fn" : "mm_fn";
		unsigned int size = 0x100 + (i % 7) * 0x40;

		/* The call that locks, and the one that unlocks (UNLOCK_OFFSET further). */
		snprintf(name, sizeof(name), "%s_%u+0x1c/0x%x", base, i, size);
		if (symtab__add(symtab, function_addr(i), name))
			return -ENOMEM;
		snprintf(name, sizeof(name), "%s_%u+0x%x/0x%x", base, i, 0x1c + UNLOCK_OFFSET,
			 size);
		if (symtab__add(symtab, function_addr(i) + UNLOCK_OFFSET, name))
			return -ENOMEM;
	}
	for (unsigned int i = 0; i < NR_STATIC_LOCKS; i++) {
		snprintf(name, sizeof(name), "static_lock_%u", i);
		if (symtab__add(symtab, DATA_BASE + i * 0x40, name))
			return -ENOMEM;
	}
	return 0;
}

/* Locks and their stacks; init events for the instance locks. */
static int setup_locks(struct gen *g)
{
	char name[64];
	int err;

	for (unsigned int c = 0; c < NR_CLASSES; c++) {
		__u64 site = function_addr(below(g, NR_FUNCTIONS));
		bool ww = c % 40 == 7;
		bool spin = c % 10 == 9;

		snprintf(name, sizeof(name),
			 ww ? "reservation_ww_class_mutex/%u" : "&drv%u->lock%u", c / 16, c % 16);
		for (unsigned int i = 0; i < INSTANCES_PER_CLASS; i++) {
			struct lock *lock = &g->locks[g->nr_locks++];
			struct ld_event *ev;

			lock->addr = HEAP_BASE + (__u64)(c * INSTANCES_PER_CLASS + i) * 0x80;
			lock->rank = c;
			lock->class_id = c;
			lock->ww = ww;
			lock->spin = spin;
			g->by_rank[c][g->nr_by_rank[c]++] = g->nr_locks - 1;
			ev = start_event(g, LD_EV_INIT, 1);
			ev->init.lock = lock->addr;
			ev->init.site = site;
			set_text(ev, name);
			err = emit(g, ev);
			if (err)
				return err;
		}
		/* Each class is taken from a few call sites with their own stacks. */
		for (unsigned int v = 0; v < STACK_VARIANTS; v++) {
			unsigned int n = 8 + below(g, 9);

			g->stack_len[c][v] = n;
			for (unsigned int f = 0; f < n; f++)
				g->stacks[c][v][f] = function_addr(below(g, NR_FUNCTIONS));
		}
	}
	/* Static locks come late in the order: taken innermost, like console or pool locks. */
	for (unsigned int i = 0; i < NR_STATIC_LOCKS; i++) {
		struct lock *lock = &g->locks[g->nr_locks++];

		lock->addr = DATA_BASE + i * 0x40;
		lock->rank = NR_CLASSES - NR_STATIC_LOCKS + i;
		lock->class_id = NR_CLASSES - NR_STATIC_LOCKS + i;
		g->by_rank[lock->rank][g->nr_by_rank[lock->rank]++] = g->nr_locks - 1;
	}
	return 0;
}

/* A lock ranked after everything the task holds (or before, for an inversion). */
static const struct lock *pick_lock(struct gen *g, const struct task *t, bool invert)
{
	unsigned int floor = t->depth ? t->held[t->depth - 1].lock->rank + 1 : 0;
	unsigned int rank;

	if (invert && t->depth) {
		unsigned int top = t->held[t->depth - 1].lock->rank;

		/* An early class under a late one closes a cycle with the usual order. */
		if (top < 10)
			return NULL;
		rank = below(g, top / 2);
	} else if (t->path) {
		if (t->depth >= t->path->depth)
			return NULL;
		rank = t->path->rank[t->depth];
	} else {
		/* Mostly small steps down the order: real nesting is shallow in rank too. */
		rank = floor + below(g, 40);
	}
	if (rank >= NR_CLASSES || g->nr_by_rank[rank] == 0)
		return NULL;
	return &g->locks[g->by_rank[rank][below(g, g->nr_by_rank[rank])]];
}

/*
 * Paths follow the global order in small steps, like the random picks, but
 * once and for all; reclaim paths take one lock, as shrinkers do.
 */
static void setup_paths(struct gen *g)
{
	for (unsigned int i = 0; i < NR_PATHS; i++) {
		struct path *path = &g->paths[i];
		unsigned int rank = below(g, NR_CLASSES / 2);

		path->depth = i % 16 == 0 ? 1 : 1 + below(g, MAX_DEPTH);
		for (unsigned int d = 0; d < path->depth; d++) {
			while (rank < NR_CLASSES && g->nr_by_rank[rank] == 0)
				rank++;
			if (rank >= NR_CLASSES) {
				path->depth = d;
				break;
			}
			path->rank[d] = rank;
			path->variant[d] = below(g, STACK_VARIANTS);
			rank += 1 + below(g, 40);
		}
		if (path->depth == 0) {
			path->depth = 1;
			path->rank[0] = below(g, 16);
		}
		path->alloc_class = path->rank[below(g, path->depth)];
		path->alloc_variant = below(g, STACK_VARIANTS);
	}
}

/*
 * Popularity falls off steeply, as in a test suite where a few ioctls
 * dominate: path i is drawn with a probability falling as i^(-2/3), so the
 * first 1% of paths run about a fifth of the time. Every 16th path is a
 * one-lock path, the only kind run in reclaim.
 */
static const struct path *pick_path(struct gen *g, bool in_reclaim)
{
	double u = (double)(next_random(g) >> 11) / (double)(1ULL << 53);
	unsigned int i = (unsigned int)(NR_PATHS * u * u * u);

	if (i >= NR_PATHS)
		i = NR_PATHS - 1;
	if (in_reclaim)
		i &= ~15u;
	return &g->paths[i];
}

static __u64 mix(__u64 x, __u64 seed)
{
	x ^= seed;
	x *= 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 29);
}

/* True the first time this op is seen in this held context (and remembers it). */
static bool first_time(struct gen *g, const struct task *t, __u64 lock, __u64 ip, __u64 extra)
{
	__u64 key =
		(t->held_hash ^ mix(lock, 0x2545f4914f6cdd1dULL) ^ mix(ip, 0x9e6c63d0676a9a99ULL) ^
		 mix(extra, 0xd6e8feb86659fd93ULL) ^ mix(t->in_reclaim, 0x8ebc6af09c88c6e3ULL)) |
		1;

	for (__u64 i = mix(key, 0) & (SEEN_SLOTS - 1);; i = (i + 1) & (SEEN_SLOTS - 1)) {
		if (g->seen[i] == key)
			return false;
		if (!g->seen[i]) {
			g->seen[i] = key;
			return true;
		}
	}
}

static int do_acquire(struct gen *g, struct task *t, bool invert)
{
	const struct lock *lock = pick_lock(g, t, invert);
	struct ld_event *ev;
	unsigned int v;
	bool try;

	if (!lock) {
		t->target_depth = t->depth;
		return 0;
	}
	for (unsigned int i = 0; i < t->depth; i++)
		if (t->held[i].lock == lock)
			return 0; /* no self-deadlock in the synthetic load */
	ev = start_event(g, LD_EV_ACQUIRE, t->pid);
	ev->acquire.lock = lock->addr;
	v = t->path && !invert ? t->path->variant[t->depth] : below(g, STACK_VARIANTS);
	ev->acquire.ip = g->stacks[lock->class_id][v][0];
	ev->acquire.lock_type = lock->ww     ? LD_LOCK_WW_MUTEX
				: lock->spin ? LD_LOCK_SPINLOCK
					     : LD_LOCK_MUTEX;
	if (lock->ww)
		ev->acquire.ctx = t->ctx;
	try = t->in_reclaim || below(g, 50) == 0;
	ev->acquire.trylock = try;
	if (try && below(g, 10) == 0)
		ev->acquire.ret = -EBUSY;
	memcpy(ev->comm, t->comm, sizeof(ev->comm));
	if (first_time(g, t, lock->addr, ev->acquire.ip,
		       (__u64)ev->acquire.lock_type << 8 | ev->acquire.trylock))
		set_stack(ev, g->stacks[lock->class_id][v], g->stack_len[lock->class_id][v]);
	else
		set_stack(ev, g->stacks[lock->class_id][v], 1);
	if (ev->acquire.ret == 0) {
		t->held[t->depth++] = (struct held){ lock, v, try };
		t->held_hash ^= mix(lock->addr, 0);
	}
	return emit(g, ev);
}

static int do_release(struct gen *g, struct task *t)
{
	unsigned int i = t->depth - 1;
	struct ld_event *ev;

	/* Now and then out of order, as drivers do with independent locks. */
	if (t->depth >= 2 && below(g, 20) == 0)
		i = t->depth - 2;
	/* A path unwinds once it starts releasing: it never retakes a class it had. */
	if (t->path)
		t->target_depth = 0;
	ev = start_event(g, LD_EV_RELEASE, t->pid);
	ev->release.lock = t->held[i].lock->addr;
	/* The unlock call, a little further into the function that locked. */
	ev->release.ip =
		g->stacks[t->held[i].lock->class_id][t->held[i].variant][0] + UNLOCK_OFFSET;
	t->held_hash ^= mix(t->held[i].lock->addr, 0);
	memmove(&t->held[i], &t->held[i + 1], (t->depth - i - 1) * sizeof(t->held[0]));
	t->depth--;
	return emit(g, ev);
}

static int do_alloc(struct gen *g, struct task *t)
{
	static const __u64 gfps[] = { 0xcc0, 0xcc0, 0xcc0, 0xc40, 0xa20, 0x800, 0x400cc0, 0x2cc0 };
	struct ld_event *ev = start_event(g, LD_EV_ALLOC, t->pid);
	unsigned int c = below(g, NR_CLASSES), v = below(g, STACK_VARIANTS);

	if (t->path) {
		c = t->path->alloc_class;
		v = t->path->alloc_variant;
	}
	ev->alloc.gfp = gfps[below(g, sizeof(gfps) / sizeof(gfps[0]))];
	ev->alloc.site = g->stacks[c][v][0];
	set_stack(ev, g->stacks[c][v],
		  first_time(g, t, 0, ev->alloc.site, ev->alloc.gfp) ? g->stack_len[c][v] : 1);
	return emit(g, ev);
}

static int do_reclaim(struct gen *g, struct task *t, unsigned int state)
{
	struct ld_event *ev = start_event(g, LD_EV_RECLAIM, t->pid);

	ev->reclaim.kind = t->pid % 8 == 0 ? LD_RECLAIM_KSWAPD : LD_RECLAIM_SHRINKER;
	ev->reclaim.state = state;
	ev->reclaim.fn = function_addr(7);
	t->in_reclaim = state == LD_RECLAIM_ENTER;
	return emit(g, ev);
}

static int do_mark(struct gen *g, __u64 n)
{
	struct ld_event *ev = start_event(g, LD_EV_MARK, 0);
	char text[128];

	snprintf(text, sizeof(text), "[IGT] gem_exec_whisper: starting subtest basic-%llu",
		 (unsigned long long)n);
	set_text(ev, text);
	return emit(g, ev);
}

static int step(struct gen *g)
{
	struct task *t = &g->tasks[below(g, NR_TASKS)];
	unsigned int r = below(g, 1000);
	bool invert = false;

	if (g->inversions_done < NR_INVERSIONS &&
	    g->written >= g->inversion_at[g->inversions_done] && t->depth > 0 && !t->in_reclaim) {
		g->inversions_done++;
		invert = true;
	}
	if (r == 0)
		return do_mark(g, g->written);
	if (t->depth == 0) {
		if (t->in_reclaim && r < 300)
			return do_reclaim(g, t, LD_RECLAIM_EXIT);
		if (!t->in_reclaim && r < 4)
			return do_reclaim(g, t, LD_RECLAIM_ENTER);
		t->target_depth = t->in_reclaim ? 1 : 1 + below(g, MAX_DEPTH);
		if (!g->random_picks) {
			t->path = pick_path(g, t->in_reclaim);
			t->target_depth = t->path->depth;
		}
		t->ctx = CTX_BASE + (__u64)below(g, 1 << 20) * 0x40;
	}
	if (t->depth > 0 && r < 60)
		return do_alloc(g, t);
	if (invert || (t->depth < t->target_depth && r < 700))
		return do_acquire(g, t, invert);
	if (t->depth > 0)
		return do_release(g, t);
	return do_acquire(g, t, false);
}

/* One nesting: class a's lock, then class b's, released in reverse. */
static int graph_nest(struct gen *g, unsigned int a, unsigned int b, __u32 pid)
{
	const unsigned int pair[2] = { a, b };
	struct ld_event *ev;
	int err;

	for (int i = 0; i < 2; i++) {
		ev = start_event(g, LD_EV_ACQUIRE, pid);
		ev->acquire.lock = HEAP_BASE + (__u64)pair[i] * 0x80;
		ev->acquire.ip = function_addr(pair[i] % NR_FUNCTIONS);
		ev->acquire.lock_type = LD_LOCK_MUTEX;
		snprintf(ev->comm, sizeof(ev->comm), "graph_%u", pid);
		set_stack(ev, &ev->acquire.ip, 1);
		err = emit(g, ev);
		if (err)
			return err;
	}
	for (int i = 2; i-- > 0;) {
		ev = start_event(g, LD_EV_RELEASE, pid);
		ev->release.lock = HEAP_BASE + (__u64)pair[i] * 0x80;
		ev->release.ip = function_addr(pair[i] % NR_FUNCTIONS) + UNLOCK_OFFSET;
		err = emit(g, ev);
		if (err)
			return err;
	}
	return 0;
}

static void shuffle(struct gen *g, __u64 *v, unsigned int n)
{
	for (unsigned int i = n; i > 1; i--) {
		unsigned int j = below(g, i);
		__u64 t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}

/* The graph modes (see the top): known says whether the extra nestings repeat the chain. */
static int gen_graph(struct gen *g, bool known)
{
	__u64 *order = calloc(GRAPH_NESTINGS > GRAPH_CLASSES ? GRAPH_NESTINGS : GRAPH_CLASSES,
			      sizeof(*order));
	struct hmap pairs = { 0 };
	unsigned int n = 0;
	char name[64];
	int err = -ENOMEM;

	if (!order)
		return -ENOMEM;
	for (unsigned int c = 0; c < GRAPH_CLASSES; c++)
		order[c] = c;
	shuffle(g, order, GRAPH_CLASSES);
	for (unsigned int i = 0; i < GRAPH_CLASSES; i++) {
		struct ld_event *ev = start_event(g, LD_EV_INIT, 1);

		snprintf(name, sizeof(name), "&chain%llu->lock", (unsigned long long)order[i]);
		ev->init.lock = HEAP_BASE + order[i] * 0x80;
		ev->init.site = function_addr((unsigned int)(order[i] % NR_FUNCTIONS));
		set_text(ev, name);
		err = emit(g, ev);
		if (err)
			goto cleanup;
	}
	/* Nestings as a << 32 | b: the chain, then forward ones, each once, or the chain again. */
	for (unsigned int c = 0; c + 1 < GRAPH_CLASSES; c++) {
		order[n++] = (__u64)c << 32 | (c + 1);
		if (hmap_insert(&pairs, order[n - 1], 1))
			goto cleanup;
	}
	while (n < GRAPH_NESTINGS - 1) {
		unsigned int a = below(g, GRAPH_CLASSES), b = below(g, GRAPH_CLASSES);
		__u64 key = (__u64)(a < b ? a : b) << 32 | (a < b ? b : a);

		if (known) {
			a = below(g, GRAPH_CLASSES - 1);
			order[n++] = (__u64)a << 32 | (a + 1);
			continue;
		}
		if (a == b || hmap_find(&pairs, key, NULL, NULL))
			continue;
		if (hmap_insert(&pairs, key, 1))
			goto cleanup;
		order[n++] = key;
	}
	shuffle(g, order, n);
	for (unsigned int i = 0; i < n; i++) {
		err = graph_nest(g, (unsigned int)(order[i] >> 32), (unsigned int)order[i],
				 1000 + i % NR_TASKS);
		if (err)
			goto cleanup;
	}
	err = graph_nest(g, GRAPH_CLASSES - 1, 0, 1000);
cleanup:
	hmap_free(&pairs);
	free(order);
	return err;
}

static int usage(const char *why)
{
	fprintf(stderr,
		"bench-gen: %s\nusage: bench-gen -n EVENTS -o FILE [-s SEED] [-l LEVEL] [-m paths|random]\n"
		"       bench-gen -m graph|graph-known -o FILE [-s SEED] [-l LEVEL]\n",
		why);
	return 2;
}

int main(int argc, char **argv)
{
	struct trace_writer_opts opts = { .kernel_release = "6.1.0-synthetic" };
	struct symtab *symtab = NULL;
	struct gfp_layout *gfp = NULL;
	struct gen *g = calloc(1, sizeof(*g));
	__u64 *seen = calloc(SEEN_SLOTS, sizeof(*seen));
	const char *out = NULL, *mode = "paths";
	bool graph = false;
	struct timespec t0, t1;
	int opt, err = 0;

	if (!g || !seen)
		return 1;
	g->seen = seen;
	g->rng = 0x9e3779b97f4a7c15ULL;
	while ((opt = getopt(argc, argv, "n:o:s:l:m:")) != -1) {
		switch (opt) {
		case 'n':
			g->target = strtoull(optarg, NULL, 0);
			break;
		case 'o':
			out = optarg;
			break;
		case 's':
			g->rng ^= strtoull(optarg, NULL, 0) * 0x100000001b3ULL;
			break;
		case 'l':
			opts.compression_level = atoi(optarg);
			break;
		case 'm':
			mode = optarg;
			graph = !strcmp(mode, "graph") || !strcmp(mode, "graph-known");
			if (strcmp(mode, "random") && strcmp(mode, "paths") && !graph)
				return usage("-m takes paths, random, graph or graph-known");
			g->random_picks = !strcmp(mode, "random");
			break;
		default:
			return usage("unknown option");
		}
	}
	if (!out || (g->target == 0 && !graph) || optind != argc)
		return usage("-n and -o are required");
	if (!graph && g->target < NR_CLASSES * INSTANCES_PER_CLASS + 1000)
		return usage("-n must be at least 3000 (the init events alone take 2000)");

	if (symtab__new(&symtab) || gfp_layout__new_default(&gfp) || setup_symbols(g, symtab)) {
		err = -ENOMEM;
		goto cleanup;
	}
	opts.gfp = gfp;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = trace_writer__open(out, &opts, symtab, &g->writer);
	if (err)
		goto cleanup;
	g->now = 1000000000ULL;
	for (unsigned int i = 0; i < NR_TASKS; i++) {
		g->tasks[i].pid = 1000 + i;
		snprintf(g->tasks[i].comm, sizeof(g->tasks[i].comm),
			 i % 4 ? "gem_exec_%u" : "kworker/%u", i);
	}
	if (graph) {
		err = gen_graph(g, !strcmp(mode, "graph-known"));
		goto close;
	}
	for (unsigned int i = 0; i < NR_INVERSIONS; i++)
		g->inversion_at[i] = g->target / (NR_INVERSIONS + 1) * (i + 1);
	err = setup_locks(g);
	if (!g->random_picks)
		setup_paths(g);
	while (!err && g->written < g->target)
		err = step(g);
close:
	if (err) {
		trace_writer__close(g->writer);
		goto cleanup;
	}
	err = trace_writer__close(g->writer);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!err)
		fprintf(stderr, "bench-gen: %llu events (%u inversions) to %s in %.2f s\n",
			(unsigned long long)g->written, g->inversions_done, out,
			(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
cleanup:
	symtab__free(symtab);
	gfp_layout__free(gfp);
	free(g);
	free(seen);
	return err ? 1 : 0;
}
