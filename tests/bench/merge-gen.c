// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench-merge-gen: writes the saved graphs of a synthetic CI fleet, for the
 * benchmark of `lockdepd merge` (tests/bench/merge.sh).
 *
 *   bench-merge-gen -n FILES -o DIR [-d DEPS] [-c CLASSES] [-u OWN] [-s SEED]
 *
 * Each file is what one machine's daemon saves (state.h), written by the
 * library itself: an engine is fed the machine's dependencies through
 * engine__import_dependency() and state_save() writes it, so the files are
 * real state files of the current format.
 *
 * The shape: all machines run the same kernel and the same tests, so most
 * of what they learn is common. A pool of shared dependencies (DEPS * 4/3
 * of them) between CLASSES classes; each machine saw DEPS of which OWN are
 * its own (-u, DEPS / 50 by default): half random edges between shared
 * classes (most not in the pool), half through two classes of its own (a
 * device only it has).
 * Every edge goes forward in one global order of the classes, so the fleet
 * graph is acyclic, but for one planted inversion: two classes adjacent in
 * the order, A -> B seen by one machine (file FILES / 3) and B -> A by
 * another (file 2 * FILES / 3), neither in the pool. Adjacent, and no
 * class of a machine sits between them, so the only cycle of the merged
 * graph is {A, B}: a merge must find exactly one circular dependency, and
 * no single file holds any finding (checked here as each file is built).
 *
 * Sites and stacks are the same on every machine (one kernel): each class
 * is taken from 4 call sites, each with a stack of 8 named frames.
 *
 * Writes DIR/ci-NNNN.state and DIR/expected, one line the benchmark checks
 * the merge against:
 *   files N classes C dependencies D circular A B
 * where C and D are the counts of the union of all files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/finding.h"
#include "event/symtab.h"
#include "lib/hashmap.h"
#include "service/state.h"

#include "rng.h"

#define SITES_PER_CLASS 4
#define STACK_DEPTH	8
#define NR_CALLERS	3000
#define NR_TESTS	64
#define NR_COMMS	16
#define OWN_CLASSES	2 /* per machine */
#define INSTANCE_BASE	0xffff888100000000ULL

/* An edge, by class ids; ids below nr_shared are shared, above are a machine's own. */
struct edge {
	unsigned int from, to;
};

struct site {
	unsigned int stamp; /* file number + 1 the addresses were interned for */
	__u64 frames[STACK_DEPTH]; /* frames[0] is the lock call: the site's ip */
};

struct gen {
	__u64 rng;
	unsigned int nr_files, nr_deps, nr_shared, nr_own;
	unsigned int planted; /* A's rank; B is planted + 1 */
	struct edge *pool;
	unsigned int nr_pool;
	unsigned int *order; /* pool indices, shuffled per file */
	bool *pool_used; /* by some file: the union's count */
	unsigned int nr_pool_used;
	struct hmap edges; /* every edge of the fleet, (from << 32 | to) -> 1 */
	unsigned int nr_union_deps;
	struct site *sites;
	__u64 time_ns;
	/* The file being built. */
	unsigned int file;
	struct symtab *symtab;
	struct engine *engine;
};

static const char *const prefixes[] = {
	"i915_vma", "drm_gem",	"dma_resv",	"ttm_bo",
	"xe_vm",    "intel_gt", "sched_entity", "kms_crtc",
};

static unsigned int below(struct gen *g, unsigned int n)
{
	return bench_below(&g->rng, n);
}

/* Shared classes sit at even positions of the order, a machine's own at odd ones. */
static unsigned int own_class(const struct gen *g, unsigned int file, unsigned int k)
{
	return g->nr_shared + file * OWN_CLASSES + k;
}

static unsigned int own_position(const struct gen *g, unsigned int id)
{
	/* Never right after A: nothing may sit between A and B. */
	unsigned int rank = (unsigned int)(hash_mix64(id) % (g->nr_shared - 1));

	return 2 * (rank == g->planted ? rank + 1 : rank) + 1;
}

static unsigned int position(const struct gen *g, unsigned int id)
{
	return id < g->nr_shared ? 2 * id : own_position(g, id);
}

static __u8 lock_type_of(unsigned int id)
{
	static const __u8 types[] = { LD_LOCK_MUTEX, LD_LOCK_MUTEX, LD_LOCK_SPINLOCK,
				      LD_LOCK_RWSEM_WRITE };

	return types[id % 4];
}

static void class_name(const struct gen *g, unsigned int id, char *buf, size_t len)
{
	static const char *const suffix[] = { "mutex", "lock", "spinlock", "rwsem" };

	if (id < g->nr_shared)
		snprintf(buf, len, "%s%u->%s", prefixes[id % 8], id, suffix[id % 4]);
	else
		snprintf(buf, len, "ci%04u_hwmon%u->%s", (id - g->nr_shared) / OWN_CLASSES,
			 (id - g->nr_shared) % OWN_CLASSES, suffix[id % 4]);
}

/* Whether the edge may go into the fleet graph: forward, never A -> B or back. */
static bool edge_allowed(const struct gen *g, unsigned int from, unsigned int to)
{
	unsigned int lo = from < to ? from : to, hi = from < to ? to : from;

	return from != to && !(lo == g->planted && hi == g->planted + 1);
}

static __u64 edge_key(unsigned int from, unsigned int to)
{
	return (__u64)from << 32 | to;
}

/* Records an edge of the union: 1 when new, 0 when known, -ENOMEM. */
static int note_edge(struct gen *g, unsigned int from, unsigned int to)
{
	__u64 key = edge_key(from, to);

	if (hmap_find(&g->edges, key, NULL, NULL))
		return 0;
	if (hmap_insert(&g->edges, key, 1))
		return -ENOMEM;
	g->nr_union_deps++;
	return 1;
}

/*
 * A random forward edge between shared classes, mostly close in the
 * order (a driver nests its own locks), sometimes far (a core lock).
 */
static struct edge random_shared_edge(struct gen *g)
{
	for (;;) {
		unsigned int a = below(g, g->nr_shared), span = below(g, 8) ? 32 : g->nr_shared;
		unsigned int b = a + 1 + below(g, span);

		if (b < g->nr_shared && edge_allowed(g, a, b))
			return (struct edge){ a, b };
	}
}

static int setup_pool(struct gen *g)
{
	struct hmap seen = {};
	int err = 0;

	g->nr_pool = g->nr_deps * 4 / 3;
	g->pool = calloc(g->nr_pool, sizeof(*g->pool));
	g->order = calloc(g->nr_pool, sizeof(*g->order));
	g->pool_used = calloc(g->nr_pool, sizeof(*g->pool_used));
	if (!g->pool || !g->order || !g->pool_used)
		return -ENOMEM;
	for (unsigned int i = 0; i < g->nr_pool;) {
		struct edge e = random_shared_edge(g);
		__u64 key = edge_key(e.from, e.to);

		if (hmap_find(&seen, key, NULL, NULL))
			continue;
		if (hmap_insert(&seen, key, 1)) {
			err = -ENOMEM;
			break;
		}
		g->pool[i++] = e;
	}
	hmap_free(&seen);
	return err;
}

/* The interned frames of a site, for the file being built. */
static const __u64 *site_frames(struct gen *g, unsigned int class_id, unsigned int s)
{
	struct site *site = &g->sites[class_id * SITES_PER_CLASS + s];
	char name[96];

	if (site->stamp == g->file + 1)
		return site->frames;
	class_name(g, class_id, name, sizeof(name));
	*strchr(name, '-') = '\0';
	snprintf(name + strlen(name), sizeof(name) - strlen(name), "_lock_site%u+0x%x", s,
		 0x1c + 4 * s);
	site->frames[0] = symtab__intern(g->symtab, name);
	for (unsigned int f = 1; f < STACK_DEPTH; f++) {
		__u64 h = hash_mix64((__u64)class_id << 8 | s << 4 | f);

		snprintf(name, sizeof(name), "caller_%u+0x%llx", (unsigned int)(h % NR_CALLERS),
			 (unsigned long long)(h >> 32) % 0x400);
		site->frames[f] = symtab__intern(g->symtab, name);
	}
	site->stamp = g->file + 1;
	return site->frames;
}

static int import_edge(struct gen *g, struct edge e, unsigned int tag)
{
	static const char *const comms[NR_COMMS] = {
		"gem_exec_basic", "gem_exec_fence", "kms_flip",	   "kms_cursor",
		"gem_ctx_create", "perf_pmu",	    "kworker/0:1", "kworker/1:2",
		"i915_selftest",  "gem_mmap_gtt",   "kms_atomic",  "core_hotunplug",
		"gem_eio",	  "xe_exec_basic",  "kswapd0",	   "systemd-udevd",
	};
	char from[96], to[96], test[64];
	__u64 hash = hash_mix64(edge_key(e.from, e.to) ^ tag);
	unsigned int held_site = hash % SITES_PER_CLASS;
	unsigned int acquired_site = (hash >> 8) % SITES_PER_CLASS;
	const __u64 *held_frames = site_frames(g, e.from, held_site);
	const __u64 *acquired_frames = site_frames(g, e.to, acquired_site);
	struct dependency dep = {
		.from = from,
		.to = to,
		.pid = 1000 + below(g, 4000),
		.comm = comms[below(g, NR_COMMS)],
		.time_ns = g->time_ns += 1000 + below(g, 100000),
		.test = test,
		.count = 1 + below(g, 4) * below(g, 1000),
		.held = { .class_name = from,
			  .lock = INSTANCE_BASE + ((__u64)e.from << 12) + 0x40 * below(g, 8),
			  .ip = held_frames[0],
			  .stack = held_frames,
			  .nr_stack = STACK_DEPTH,
			  .lock_type = lock_type_of(e.from) },
		.acquired = { .class_name = to,
			      .lock = INSTANCE_BASE + ((__u64)e.to << 12) + 0x40 * below(g, 8),
			      .ip = acquired_frames[0],
			      .stack = acquired_frames,
			      .nr_stack = STACK_DEPTH,
			      .lock_type = lock_type_of(e.to) },
	};

	class_name(g, e.from, from, sizeof(from));
	class_name(g, e.to, to, sizeof(to));
	snprintf(test, sizeof(test), "igt@%s@subtest-%u", comms[hash % 6],
		 (unsigned int)(hash >> 40) % NR_TESTS);
	return engine__import_dependency(g->engine, &dep);
}

/* One of a machine's own edges: between shared classes, or through one of its own. */
static struct edge own_edge(struct gen *g, unsigned int i)
{
	unsigned int own, other, pos_own, pos_other;

	if (i % 2 == 0)
		return random_shared_edge(g);
	own = own_class(g, g->file, below(g, OWN_CLASSES));
	pos_own = own_position(g, own);
	other = below(g, g->nr_shared);
	pos_other = position(g, other); /* even: never pos_own */
	return pos_own < pos_other ? (struct edge){ own, other } : (struct edge){ other, own };
}

static int write_file(struct gen *g, const char *dir)
{
	struct state_meta meta = { .kernel_release = "6.1.0-synthetic" };
	unsigned int nr_pool_deps = g->nr_deps - g->nr_own;
	char path[4096], host[32];
	int err;

	if (symtab__new(&g->symtab) || engine__new(NULL, g->symtab, &g->engine)) {
		err = -ENOMEM;
		goto cleanup;
	}
	/*
	 * The machine's share of the pool, a random subset in a random order
	 * (partial Fisher-Yates): the import order differs from file to file.
	 */
	for (unsigned int i = 0; i < g->nr_pool; i++)
		g->order[i] = i;
	for (unsigned int i = 0; i < nr_pool_deps; i++) {
		unsigned int j = i + below(g, g->nr_pool - i), t = g->order[i];

		g->order[i] = g->order[j];
		g->order[j] = t;
	}
	for (unsigned int i = 0; i < nr_pool_deps; i++) {
		unsigned int k = g->order[i];

		err = import_edge(g, g->pool[k], 0);
		if (err)
			goto cleanup;
		if (!g->pool_used[k]) {
			g->pool_used[k] = true;
			err = note_edge(g, g->pool[k].from, g->pool[k].to);
			if (err < 0)
				goto cleanup;
		}
	}
	for (unsigned int i = 0; i < g->nr_own; i++) {
		struct edge e = own_edge(g, i);

		if (i == 0 && (g->file == g->nr_files / 3 || g->file == 2 * g->nr_files / 3))
			e = g->file == g->nr_files / 3
				    ? (struct edge){ g->planted, g->planted + 1 }
				    : (struct edge){ g->planted + 1, g->planted };
		err = import_edge(g, e, g->file + 1);
		if (!err)
			err = note_edge(g, e.from, e.to);
		if (err < 0)
			goto cleanup;
	}
	if (engine__nr_findings(g->engine)) {
		fprintf(stderr, "bench-merge-gen: file %u holds a finding on its own\n", g->file);
		err = -EINVAL;
		goto cleanup;
	}
	snprintf(host, sizeof(host), "ci-%04u", g->file);
	meta.host = host;
	snprintf(path, sizeof(path), "%s/%s.state", dir, host);
	err = state_save(path, g->engine, g->symtab, &meta);
cleanup:
	engine__free(g->engine);
	symtab__free(g->symtab);
	g->engine = NULL;
	g->symtab = NULL;
	return err < 0 ? err : 0;
}

static int write_expected(struct gen *g, const char *dir)
{
	unsigned int classes = 0;
	char path[4096], a[96], b[96];
	bool *used = calloc(g->nr_shared + g->nr_files * OWN_CLASSES, sizeof(*used));
	FILE *f;

	if (!used)
		return -ENOMEM;
	for (size_t i = 0; i <= g->edges.mask; i++) {
		struct hmap_slot *slot = &g->edges.slots[i];
		unsigned int ends[2] = { slot->key >> 32, (unsigned int)slot->key };

		for (unsigned int k = 0; slot->value && k < 2; k++)
			if (!used[ends[k]]) {
				used[ends[k]] = true;
				classes++;
			}
	}
	free(used);
	class_name(g, g->planted, a, sizeof(a));
	class_name(g, g->planted + 1, b, sizeof(b));
	snprintf(path, sizeof(path), "%s/expected", dir);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "files %u classes %u dependencies %u circular %s %s\n", g->nr_files, classes,
		g->nr_union_deps, a, b);
	return fclose(f) ? -errno : 0;
}

static int usage(const char *why)
{
	fprintf(stderr,
		"bench-merge-gen: %s\n"
		"usage: bench-merge-gen -n FILES -o DIR [-d DEPS] [-c CLASSES] [-u OWN] [-s SEED]\n",
		why);
	return 2;
}

int main(int argc, char **argv)
{
	struct gen g = { .rng = 0x9e3779b97f4a7c15ULL, .nr_deps = 3000, .nr_shared = 1500 };
	const char *dir = NULL;
	bool own_set = false;
	struct timespec t0, t1;
	int opt, err = 0;

	while ((opt = getopt(argc, argv, "n:d:c:u:o:s:")) != -1) {
		switch (opt) {
		case 'n':
			g.nr_files = strtoul(optarg, NULL, 0);
			break;
		case 'd':
			g.nr_deps = strtoul(optarg, NULL, 0);
			break;
		case 'c':
			g.nr_shared = strtoul(optarg, NULL, 0);
			break;
		case 'u':
			g.nr_own = strtoul(optarg, NULL, 0);
			own_set = true;
			break;
		case 'o':
			dir = optarg;
			break;
		case 's':
			g.rng ^= strtoull(optarg, NULL, 0) * 0x100000001b3ULL;
			break;
		default:
			return usage("unknown option");
		}
	}
	if (!dir || optind != argc)
		return usage("-n and -o are required");
	if (!own_set)
		g.nr_own = g.nr_deps / 50;
	if (g.nr_files < 2 || g.nr_shared < 64 || g.nr_own < 1 || g.nr_own >= g.nr_deps)
		return usage("-n must be at least 2, -c at least 64, -u between 1 and DEPS - 1");
	if (mkdir(dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "bench-merge-gen: %s: %m\n", dir);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	g.planted = 1 + below(&g, g.nr_shared - 2);
	g.sites = calloc((size_t)(g.nr_shared + g.nr_files * OWN_CLASSES) * SITES_PER_CLASS,
			 sizeof(*g.sites));
	err = g.sites ? setup_pool(&g) : -ENOMEM;
	g.time_ns = 1000000000ULL;
	for (g.file = 0; !err && g.file < g.nr_files; g.file++)
		err = write_file(&g, dir);
	if (!err)
		err = write_expected(&g, dir);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!err)
		fprintf(stderr,
			"bench-merge-gen: %u state files of %u dependencies to %s in %.2f s\n",
			g.nr_files, g.nr_deps, dir,
			(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	else
		fprintf(stderr, "bench-merge-gen: %s\n", strerror(-err));
	hmap_free(&g.edges);
	free(g.pool);
	free(g.order);
	free(g.pool_used);
	free(g.sites);
	return err ? 1 : 0;
}
