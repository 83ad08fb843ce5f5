// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Printing findings.
 *
 * Text follows lockdep's own reports line for line (kernel/locking/lockdep.c:
 * print_circular_bug(), print_deadlock_bug()), so that kernel developers and
 * the CI tooling that already parses lockdep splats read ours the same way:
 * the '=' and '-' rules as long as the title, "<comm>/<pid> is trying to
 * acquire lock:", lock lines "<instance> (<class>){<usage>}, at: <ip>", the
 * dependency chain in reverse order as "-> #N (<class>){<usage>}:" blocks
 * with stacks indented by seven spaces, the CPU0/CPU1 scenario, the held
 * locks, "stack backtrace:". Where lockdepd knows less or more than lockdep:
 *
 *  - The kernel line is "<release> (lockdepd)": there is no taint state.
 *  - Usage bits cannot be observed without CONFIG_LOCKDEP. They are derived
 *    from the lock type: a sleeping lock is always taken with interrupts
 *    enabled ({+.+.} written, {.+.+} read), which is what lockdep prints for
 *    such locks; spinlocks, whose interrupt state is not traced, show
 *    {....}; fs_reclaim shows {+.+.} as in lockdep.
 *  - One "lockdepd: seen N times, first while running igt@..." line follows
 *    the header: lockdep reports once, lockdepd counts. It never contains
 *    igt_runner's subtest separator text.
 *  - "Chain exists of:" lists every class of a cycle; lockdep prints only
 *    three of them (identical for three-class cycles).
 *  - Reclaim, order and the reclaim scenario have titles and lines of their
 *    own, in the same layout; a dependency the rules declared (taint_reclaim)
 *    says so instead of showing a stack.
 *
 * JSON is one object per finding per line, for tools; see report_json().
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "event/event.h"
#include "event/symtab.h"
#include "lib/json.h"
#include "lib/log.h"
#include "output/report.h"

/* A symbol name, or the bare address like the kernel's %pS when unknown. */
struct sym_buf {
	char text[32];
};

static const char *sym_name(struct symtab *symtab, __u64 addr, struct sym_buf *buf)
{
	const char *name = symtab ? symtab__lookup(symtab, addr) : NULL;

	if (name)
		return name;
	snprintf(buf->text, sizeof(buf->text), "0x%llx", (unsigned long long)addr);
	return buf->text;
}

static const char *or_unknown(const char *s)
{
	return s && *s ? s : "?";
}

static const char *site_class(const struct lock_site *site, const char *fallback)
{
	return site->class_name ? site->class_name : or_unknown(fallback);
}

static const char *usage_bits(const struct lock_site *site, const char *class_name)
{
	if (class_name && strcmp(class_name, FS_RECLAIM_CLASS) == 0)
		return "{+.+.}";
	switch (site->lock_type) {
	case LD_LOCK_RWSEM_READ:
		return "{.+.+}";
	case LD_LOCK_SPINLOCK:
		return "{....}";
	default:
		return "{+.+.}";
	}
}

/* --- text ---------------------------------------------------------------- */

static void print_rule(FILE *out, char c, size_t len)
{
	for (size_t i = 0; i < len; i++)
		fputc(c, out);
	fputc('\n', out);
}

static void print_lock(FILE *out, const struct lock_site *site, const char *fallback,
		       struct symtab *symtab)
{
	const char *class_name = site_class(site, fallback);
	struct sym_buf buf;

	fprintf(out, "%016llx (%s)%s, at: %s\n", (unsigned long long)site->lock, class_name,
		usage_bits(site, class_name), sym_name(symtab, site->ip, &buf));
}

static void print_frames(FILE *out, const struct lock_site *site, const char *indent,
			 struct symtab *symtab)
{
	struct sym_buf buf;

	if (site->nr_stack == 0) {
		/* Traces without stacks still know the call site. */
		if (site->ip)
			fprintf(out, "%s%s\n", indent, sym_name(symtab, site->ip, &buf));
		else
			fprintf(out, "%s(no stack recorded)\n", indent);
		return;
	}
	for (__u32 i = 0; i < site->nr_stack; i++)
		fprintf(out, "%s%s\n", indent, sym_name(symtab, site->stack[i], &buf));
}

static const struct dependency *closing_edge(const struct finding *finding)
{
	return finding->nr_edges ? finding->edges[finding->nr_edges - 1] : NULL;
}

static const char *finding_title(enum finding_kind kind)
{
	switch (kind) {
	case FINDING_CIRCULAR:
		return "WARNING: possible circular locking dependency detected";
	case FINDING_RECLAIM:
		return "WARNING: allocation may recurse into fs_reclaim while holding a lock reclaim takes";
	case FINDING_ORDER:
		return "WARNING: lock order violates the declared hierarchy";
	case FINDING_RECURSIVE:
		return "WARNING: possible recursive locking detected";
	default:
		return "WARNING: unknown lockdepd finding";
	}
}

static void print_header(FILE *out, const struct report_opts *opts, const struct finding *finding)
{
	const char *title = finding_title(finding->kind);
	size_t len = strlen(title);

	fputc('\n', out);
	print_rule(out, '=', len);
	fprintf(out, "%s\n", title);
	if (opts->kernel_release)
		fprintf(out, "%s (lockdepd)\n", opts->kernel_release);
	else
		fprintf(out, "lockdepd\n");
	print_rule(out, '-', len);
	fprintf(out, "lockdepd: seen %llu time%s", (unsigned long long)finding->count,
		finding->count == 1 ? "" : "s");
	if (finding->test)
		fprintf(out, ", first while running %s", finding->test);
	fputc('\n', out);
}

static void print_acquire_and_held(FILE *out, const struct finding *finding,
				   const struct dependency *edge, struct symtab *symtab)
{
	fprintf(out, "%s/%u is trying to acquire lock:\n", or_unknown(finding->comm), finding->pid);
	print_lock(out, &edge->acquired, edge->to, symtab);
	fprintf(out, "\nbut task is already holding lock:\n");
	print_lock(out, &edge->held, edge->from, symtab);
}

/* One "-> #N (class){usage}:" block: how `edge->to` was reached. */
static void print_chain_entry(FILE *out, const struct dependency *edge, unsigned int depth,
			      struct symtab *symtab)
{
	const char *class_name = or_unknown(edge->to);

	fprintf(out, "\n-> #%u (%s)%s:\n", depth, class_name,
		usage_bits(&edge->acquired, class_name));
	if (edge->primed) {
		fprintf(out, "       (declared by the rules file: taint_reclaim, never seen)\n");
		return;
	}
	print_frames(out, &edge->acquired, "       ", symtab);
}

/*
 * Lockdep walks from the new lock back to the held one and prints that path
 * deepest first: edges[n - 2] (into the held lock) down to edges[0], then the
 * new dependency as #0.
 */
static void print_chain(FILE *out, const struct finding *finding, struct symtab *symtab)
{
	__u32 n = finding->nr_edges;

	fprintf(out, "\nthe existing dependency chain (in reverse order) is:\n");
	for (__u32 i = n - 1; i-- > 0;)
		print_chain_entry(out, finding->edges[i], i + 1, symtab);
	print_chain_entry(out, finding->edges[n - 1], 0, symtab);
}

/* The cycle from the new lock round to the held one: "A --> B --> C". */
static void print_chain_exists(FILE *out, const struct finding *finding)
{
	__u32 n = finding->nr_edges;

	if (n < 3)
		return;
	fprintf(out, "Chain exists of:\n  %s", or_unknown(finding->edges[n - 1]->to));
	for (__u32 i = 0; i + 1 < n; i++)
		fprintf(out, " --> %s", or_unknown(finding->edges[i]->to));
	fprintf(out, "\n\n");
}

static void print_two_cpu_scenario(FILE *out, const char *held, const char *parent,
				   const char *taken)
{
	fprintf(out, " Possible unsafe locking scenario:\n\n");
	fprintf(out, "       CPU0                    CPU1\n");
	fprintf(out, "       ----                    ----\n");
	fprintf(out, "  lock(%s);\n", held);
	fprintf(out, "                               lock(%s);\n", parent);
	fprintf(out, "                               lock(%s);\n", held);
	fprintf(out, "  lock(%s);\n", taken);
	fprintf(out, "\n *** DEADLOCK ***\n\n");
}

static void print_cycle_scenario(FILE *out, const struct finding *finding)
{
	const struct dependency *last = closing_edge(finding);
	__u32 n = finding->nr_edges;
	/* The class right before the held one on the path (lockdep's "parent"). */
	const char *parent = n >= 2 ? finding->edges[n - 2]->from : last->to;

	print_two_cpu_scenario(out, or_unknown(last->from), or_unknown(parent),
			       or_unknown(last->to));
}

/*
 * Reclaim against one lock is a deadlock on one CPU: the allocation under
 * the lock recurses into reclaim, which takes the lock again. lockdep drew
 * its reclaim-state reports this way.
 */
static void print_reclaim_scenario(FILE *out, const struct finding *finding)
{
	const char *lock_name = NULL;

	if (finding->nr_edges != 2) {
		print_cycle_scenario(out, finding);
		return;
	}
	for (__u32 i = 0; i < finding->nr_edges; i++)
		if (finding->edges[i]->to && strcmp(finding->edges[i]->to, FS_RECLAIM_CLASS) == 0)
			lock_name = finding->edges[i]->from;
	if (!lock_name) {
		print_cycle_scenario(out, finding);
		return;
	}
	fprintf(out, " Possible unsafe locking scenario:\n\n");
	fprintf(out, "       CPU0\n");
	fprintf(out, "       ----\n");
	fprintf(out, "  lock(%s);\n", lock_name);
	fprintf(out, "  <reclaim>\n");
	fprintf(out, "    lock(%s);\n", lock_name);
	fprintf(out, "\n *** DEADLOCK ***\n\n");
}

static bool is_fs_reclaim(const char *class_name)
{
	return class_name && strcmp(class_name, FS_RECLAIM_CLASS) == 0;
}

/* Names the allocation that enters reclaim and the reclaim path that takes a lock. */
static void print_reclaim_paths(FILE *out, const struct finding *finding, struct symtab *symtab)
{
	for (__u32 i = 0; i < finding->nr_edges; i++) {
		const struct dependency *edge = finding->edges[i];
		struct sym_buf buf;

		if (is_fs_reclaim(edge->to))
			fprintf(out, " allocation that may enter fs_reclaim: %s, holding %s\n",
				sym_name(symtab, edge->acquired.ip, &buf), or_unknown(edge->from));
	}
	for (__u32 i = 0; i < finding->nr_edges; i++) {
		const struct dependency *edge = finding->edges[i];
		struct sym_buf buf;

		if (!is_fs_reclaim(edge->from))
			continue;
		fprintf(out, " reclaim path that takes %s: ", or_unknown(edge->to));
		if (edge->primed) {
			fprintf(out, "declared by the rules file (taint_reclaim)\n");
			continue;
		}
		fprintf(out, "%s %s", edge->reclaim_kind ? edge->reclaim_kind : "reclaim",
			sym_name(symtab, edge->held.ip, &buf));
		fprintf(out, ", lock taken at %s\n", sym_name(symtab, edge->acquired.ip, &buf));
	}
	fputc('\n', out);
}

static void print_held_locks(FILE *out, const struct finding *finding, struct symtab *symtab)
{
	if (!finding->nr_held) {
		fprintf(out, "no locks held by %s/%u.\n", or_unknown(finding->comm), finding->pid);
		return;
	}
	fprintf(out, "%u lock%s held by %s/%u:\n", finding->nr_held,
		finding->nr_held > 1 ? "s" : "", or_unknown(finding->comm), finding->pid);
	for (__u32 i = 0; i < finding->nr_held; i++) {
		fprintf(out, " #%u: ", i);
		print_lock(out, &finding->held[i], NULL, symtab);
	}
}

static void print_backtrace(FILE *out, const struct report_opts *opts,
			    const struct finding *finding, const struct dependency *edge,
			    struct symtab *symtab)
{
	fprintf(out, "\nstack backtrace:\n");
	fprintf(out, "PID: %u Comm: %s %s\n", finding->pid, or_unknown(finding->comm),
		opts->kernel_release ? opts->kernel_release : "lockdepd");
	fprintf(out, "Call Trace:\n <TASK>\n");
	print_frames(out, &edge->acquired, " ", symtab);
	fprintf(out, " </TASK>\n");
}

static void report_cycle_text(FILE *out, const struct report_opts *opts,
			      const struct finding *finding, struct symtab *symtab)
{
	const struct dependency *last = closing_edge(finding);

	print_header(out, opts, finding);
	print_acquire_and_held(out, finding, last, symtab);
	fprintf(out, "\nwhich lock already depends on the new lock.\n\n");
	print_chain(out, finding, symtab);
	fprintf(out, "\nother info that might help us debug this:\n\n");
	if (finding->kind == FINDING_RECLAIM)
		print_reclaim_paths(out, finding, symtab);
	print_chain_exists(out, finding);
	if (finding->kind == FINDING_RECLAIM)
		print_reclaim_scenario(out, finding);
	else
		print_cycle_scenario(out, finding);
	print_held_locks(out, finding, symtab);
	print_backtrace(out, opts, finding, last, symtab);
}

static void report_order_text(FILE *out, const struct report_opts *opts,
			      const struct finding *finding, struct symtab *symtab)
{
	const struct dependency *edge = closing_edge(finding);
	const char *held = or_unknown(edge->from), *taken = or_unknown(edge->to);

	print_header(out, opts, finding);
	print_acquire_and_held(out, finding, edge, symtab);
	fprintf(out, "\nbut the rules file declares the new lock outside the held one:\n");
	if (finding->reason)
		fprintf(out, "  %s\n", finding->reason);
	else
		fprintf(out, "  %s --> %s (outermost first)\n", taken, held);
	fprintf(out, "\nthe new dependency is:\n");
	print_chain_entry(out, edge, 0, symtab);
	/* The other CPU is any code that follows the declared order. */
	fprintf(out, "\nother info that might help us debug this:\n\n");
	print_two_cpu_scenario(out, held, taken, taken);
	print_held_locks(out, finding, symtab);
	print_backtrace(out, opts, finding, edge, symtab);
}

static void report_recursive_text(FILE *out, const struct report_opts *opts,
				  const struct finding *finding, struct symtab *symtab)
{
	const struct dependency *edge = closing_edge(finding);
	const char *class_name = or_unknown(edge->to);

	print_header(out, opts, finding);
	print_acquire_and_held(out, finding, edge, symtab);
	fprintf(out, "\nother info that might help us debug this:\n");
	fprintf(out, " Possible unsafe locking scenario:\n\n");
	fprintf(out, "       CPU0\n");
	fprintf(out, "       ----\n");
	fprintf(out, "  lock(%s);\n", or_unknown(edge->from));
	fprintf(out, "  lock(%s);\n", class_name);
	fprintf(out, "\n *** DEADLOCK ***\n\n");
	fprintf(out, " May be due to missing lock nesting notation\n\n");
	print_held_locks(out, finding, symtab);
	print_backtrace(out, opts, finding, edge, symtab);
}

static void report_text(FILE *out, const struct report_opts *opts, const struct finding *finding,
			struct symtab *symtab)
{
	switch (finding->kind) {
	case FINDING_CIRCULAR:
	case FINDING_RECLAIM:
		report_cycle_text(out, opts, finding, symtab);
		break;
	case FINDING_ORDER:
		report_order_text(out, opts, finding, symtab);
		break;
	default:
		report_recursive_text(out, opts, finding, symtab);
		break;
	}
}

/* --- JSON ---------------------------------------------------------------- */

static void json_addr(FILE *out, const char *key, __u64 addr)
{
	json_write_key(out, key, false);
	fprintf(out, "\"0x%llx\"", (unsigned long long)addr);
}

/* A code address by name, null when there is none. */
static void json_sym(FILE *out, const char *key, __u64 addr, struct symtab *symtab)
{
	struct sym_buf buf;

	json_write_key(out, key, false);
	if (!addr)
		fputs("null", out);
	else
		json_write_string(out, sym_name(symtab, addr, &buf));
}

static void json_stack(FILE *out, const struct lock_site *site, struct symtab *symtab)
{
	struct sym_buf buf;

	json_write_key(out, "stack", false);
	fputc('[', out);
	for (__u32 i = 0; i < site->nr_stack; i++) {
		if (i)
			fputc(',', out);
		json_write_string(out, sym_name(symtab, site->stack[i], &buf));
	}
	fputc(']', out);
}

/*
 * An edge: who took `to` while holding `from`, where (`site`: the lock call,
 * or for to == fs_reclaim the allocation; `held_at`: where `from` was taken,
 * or for from == fs_reclaim the reclaim entry), and the acquiring stack.
 */
static void json_edge(FILE *out, const struct dependency *edge, struct symtab *symtab)
{
	fputc('{', out);
	json_write_key(out, "from", true);
	json_write_string(out, edge->from);
	json_write_string_member(out, "to", edge->to);
	json_write_u64_member(out, "pid", edge->pid);
	json_write_string_member(out, "comm", edge->comm);
	json_write_u64_member(out, "time_ns", edge->time_ns);
	json_write_string_member(out, "test", edge->test);
	json_write_u64_member(out, "count", edge->count);
	json_write_bool_member(out, "primed", edge->primed);
	json_write_string_member(out, "reclaim_kind", edge->reclaim_kind);
	json_sym(out, "site", edge->acquired.ip, symtab);
	json_sym(out, "held_at", edge->held.ip, symtab);
	json_addr(out, "lock", edge->acquired.lock);
	json_addr(out, "held_lock", edge->held.lock);
	json_write_bool_member(out, "trylock", edge->acquired.trylock);
	json_write_string_member(out, "lock_type", ld_lock_type_name(edge->acquired.lock_type));
	json_stack(out, &edge->acquired, symtab);
	fputc('}', out);
}

static void json_held(FILE *out, const struct finding *finding, struct symtab *symtab)
{
	json_write_key(out, "held", false);
	fputc('[', out);
	for (__u32 i = 0; i < finding->nr_held; i++) {
		const struct lock_site *site = &finding->held[i];

		if (i)
			fputc(',', out);
		fputc('{', out);
		json_write_key(out, "class", true);
		json_write_string(out, site->class_name);
		json_addr(out, "lock", site->lock);
		json_sym(out, "at", site->ip, symtab);
		fputc('}', out);
	}
	fputc(']', out);
}

static void report_json(FILE *out, const struct finding *finding, struct symtab *symtab)
{
	fputc('{', out);
	json_write_key(out, "kind", true);
	json_write_string(out, finding_kind_name(finding->kind));
	json_write_key(out, "classes", false);
	fputc('[', out);
	for (__u32 i = 0; i < finding->nr_classes; i++) {
		if (i)
			fputc(',', out);
		json_write_string(out, finding->classes[i]);
	}
	fputc(']', out);
	json_write_u64_member(out, "count", finding->count);
	json_write_string_member(out, "test", finding->test);
	json_write_u64_member(out, "pid", finding->pid);
	json_write_string_member(out, "comm", finding->comm);
	json_write_u64_member(out, "time_ns", finding->time_ns);
	json_write_bool_member(out, "suppressed", finding->suppressed);
	json_write_string_member(out, "reason", finding->reason);
	json_write_key(out, "edges", false);
	fputc('[', out);
	for (__u32 i = 0; i < finding->nr_edges; i++) {
		if (i)
			fputc(',', out);
		json_edge(out, finding->edges[i], symtab);
	}
	fputc(']', out);
	json_held(out, finding, symtab);
	fputs("}\n", out);
}

/* --- entry points ------------------------------------------------------------ */

static int stream_status(FILE *out)
{
	return ferror(out) ? -EIO : 0;
}

int report_format_parse(const char *arg, enum report_format *ret_format)
{
	if (strcmp(arg, "text") == 0)
		*ret_format = REPORT_TEXT;
	else if (strcmp(arg, "json") == 0)
		*ret_format = REPORT_JSON;
	else
		return log_error_errno(-EINVAL, "--format: expected text or json, got '%s'", arg);
	return 0;
}

int report_finding(FILE *out, const struct report_opts *opts, const struct finding *finding,
		   struct symtab *symtab)
{
	static const struct report_opts default_opts = {};

	if (!opts)
		opts = &default_opts;
	if (opts->format == REPORT_JSON) {
		report_json(out, finding, symtab);
		return stream_status(out);
	}
	/* Every text layout is built around the closing dependency. */
	if (!finding->nr_edges)
		return -EINVAL;
	report_text(out, opts, finding, symtab);
	return stream_status(out);
}

void json_write_stats(FILE *out, const struct engine_stats *stats)
{
	fputc('{', out);
	json_write_key(out, "findings", true);
	fprintf(out, "%llu", (unsigned long long)stats->findings);
	json_write_u64_member(out, "suppressed", stats->suppressed);
	json_write_u64_member(out, "classes", stats->classes);
	json_write_u64_member(out, "dependencies", stats->dependencies);
	json_write_u64_member(out, "lost_events", stats->lost_events);
	json_write_u64_member(out, "lost_resets", stats->lost_resets);
	json_write_u64_member(out, "unpaired_releases", stats->unpaired_releases);
	json_write_u64_member(out, "events", stats->events);
	json_write_u64_member(out, "locks_without_init", stats->locks_without_init);
	fputc('}', out);
}

int report_summary(FILE *out, const struct report_opts *opts, const struct engine_stats *stats)
{
	if (opts && opts->format == REPORT_JSON) {
		fputs("{\"summary\":", out);
		json_write_stats(out, stats);
		fputs("}\n", out);
		return stream_status(out);
	}
	fprintf(out,
		"lockdepd: %llu findings (%llu suppressed), %llu classes, %llu dependencies, "
		"%llu lost events, %llu unpaired releases, %llu events, "
		"%llu locks whose init was not seen\n",
		(unsigned long long)stats->findings, (unsigned long long)stats->suppressed,
		(unsigned long long)stats->classes, (unsigned long long)stats->dependencies,
		(unsigned long long)stats->lost_events,
		(unsigned long long)stats->unpaired_releases, (unsigned long long)stats->events,
		(unsigned long long)stats->locks_without_init);
	return stream_status(out);
}
