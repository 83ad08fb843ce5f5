// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The text form: parsing every event and key, defaults, errors with their line, formatting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "constructors.h"

#include "event/gfp.h"
#include "lib/log.h"
#include "event/symtab.h"
#include "source/trace/trace.h"

static char last_log[2048];
static int log_count;

static void capture_log(enum log_level level, const char *msg, void *ctx)
{
	snprintf(last_log, sizeof(last_log), "%s", msg);
	log_count++;
}

struct fixture {
	struct symtab *symtab;
	struct trace_reader *reader;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	fx->symtab = new_symtab();
	last_log[0] = '\0';
	log_count = 0;
	log_set_sink(capture_log, NULL);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	trace_reader__free(fx->reader);
	symtab__free(fx->symtab);
	free(fx);
	log_set_sink(NULL, NULL);
	return 0;
}

static void open_text(struct fixture *fx, const char *text)
{
	trace_reader__free(fx->reader);
	fx->reader = NULL;
	assert_int_equal(
		trace_reader__open_memory(text, strlen(text), "t.trace", fx->symtab, &fx->reader),
		0);
	assert_int_equal(trace_reader__form(fx->reader), TRACE_FORM_TEXT);
}

static const struct ld_event *next_event(struct fixture *fx)
{
	const struct ld_event *ev = NULL;

	assert_int_equal(trace_reader__next(fx->reader, &ev), 1);
	assert_non_null(ev);
	assert_int_equal(ld_event_validate(ev, ev->size), 0);
	return ev;
}

static void assert_end(struct fixture *fx)
{
	const struct ld_event *ev;

	assert_int_equal(trace_reader__next(fx->reader, &ev), 0);
	assert_false(trace_reader__truncated(fx->reader));
}

static __u64 named(struct fixture *fx, const char *name)
{
	return symtab__intern(fx->symtab, name);
}

static void test_every_event_all_keys(void **state)
{
	struct fixture *fx = *state;
	const struct ld_event *ev;
	const __u64 *stack;

	open_text(
		fx,
		"# a comment line\n"
		"\n"
		"init t=5 pid=7 lock=0xffff8880aa000010 name=\"&vm->mutex\" site=i915_address_space_init\n"
		"acquire t=10 pid=120 lock=0xffff8880aa000010 type=ww_mutex try=1 ctx=0xffff888012340000 ret=-EDEADLK ip=mutex_lock+0x1c stack=symA;symB;0xffffffff81000010 comm=gem_exec\n"
		"release t=11 pid=120 lock=0xffff8880aa000010 ip=mutex_unlock+0x4\n"
		"alloc t=12 pid=120 gfp=GFP_KERNEL|__GFP_ZERO site=kmalloc_site stack=a;b\n"
		"reclaim t=13 pid=130 state=enter kind=shrinker fn=i915_gem_shrinker_scan\n"
		"flags t=14 pid=120 value=PF_MEMALLOC_NOFS|PF_MEMALLOC\n"
		"exit t=15 pid=120\n"
		"mark t=16 pid=3 text=\"[IGT] gem_exec_whisper: starting subtest basic\"\n"
		"lost t=17 count=12 pid=120\n");

	ev = next_event(fx);
	assert_int_equal(ev->type, LD_EV_INIT);
	assert_int_equal(ev->flags, LD_EV_F_TIME);
	assert_int_equal(ev->time_ns, 5);
	assert_int_equal(ev->pid, 7);
	assert_int_equal(ev->init.lock, 0xffff8880aa000010ULL);
	assert_int_equal(ev->init.site, named(fx, "i915_address_space_init"));
	assert_int_equal(ev->text_len, strlen("&vm->mutex"));
	assert_memory_equal(ld_event_text(ev), "&vm->mutex", ev->text_len);
	assert_int_equal(ev->size, ld_event_size_for(0, ev->text_len));

	ev = next_event(fx);
	assert_int_equal(ev->type, LD_EV_ACQUIRE);
	assert_int_equal(ev->time_ns, 10);
	assert_int_equal(ev->pid, 120);
	assert_int_equal(ev->acquire.lock_type, LD_LOCK_WW_MUTEX);
	assert_int_equal(ev->acquire.trylock, 1);
	assert_int_equal(ev->acquire.ctx, 0xffff888012340000ULL);
	assert_int_equal(ev->acquire.ret, -EDEADLK);
	assert_int_equal(ev->acquire.ip, named(fx, "mutex_lock+0x1c"));
	assert_int_equal(ev->nr_stack, 3);
	stack = ld_event_stack(ev);
	assert_int_equal(stack[0], named(fx, "symA"));
	assert_int_equal(stack[1], named(fx, "symB"));
	assert_int_equal(stack[2], 0xffffffff81000010ULL);
	assert_string_equal(ev->comm, "gem_exec");
	assert_int_equal(ev->size, ld_event_size_for(3, 0));

	ev = next_event(fx);
	assert_int_equal(ev->type, LD_EV_RELEASE);
	assert_int_equal(ev->release.lock, 0xffff8880aa000010ULL);
	assert_int_equal(ev->release.ip, named(fx, "mutex_unlock+0x4"));

	ev = next_event(fx);
	assert_int_equal(ev->type, LD_EV_ALLOC);
	assert_int_equal(ev->alloc.gfp, 0xcc0 | 0x100);
	assert_int_equal(ev->alloc.site, named(fx, "kmalloc_site"));
	assert_int_equal(ev->nr_stack, 2);

	ev = next_event(fx);
	assert_int_equal(ev->type, LD_EV_RECLAIM);
	assert_int_equal(ev->pid, 130);
	assert_int_equal(ev->reclaim.state, LD_RECLAIM_ENTER);
	assert_int_equal(ev->reclaim.kind, LD_RECLAIM_SHRINKER);
	assert_int_equal(ev->reclaim.fn, named(fx, "i915_gem_shrinker_scan"));

	ev = next_event(fx);
	assert_int_equal(ev->type, LD_EV_FLAGS);
	assert_int_equal(ev->task_flags.value, LD_TASK_MEMALLOC_NOFS | LD_TASK_MEMALLOC);

	ev = next_event(fx);
	assert_int_equal(ev->type, LD_EV_EXIT);
	assert_int_equal(ev->pid, 120);

	ev = next_event(fx);
	assert_int_equal(ev->type, LD_EV_MARK);
	assert_int_equal(ev->pid, 3);
	assert_int_equal(ev->text_len, strlen("[IGT] gem_exec_whisper: starting subtest basic"));
	assert_memory_equal(ld_event_text(ev), "[IGT] gem_exec_whisper: starting subtest basic",
			    ev->text_len);

	ev = next_event(fx);
	assert_int_equal(ev->type, LD_EV_LOST);
	assert_int_equal(ev->lost.count, 12);
	assert_int_equal(ev->pid, 120);
	assert_int_equal(ev->flags, LD_EV_F_TIME | LD_EV_F_LOST_PID);

	assert_end(fx);
	assert_int_equal(trace_reader__events_read(fx->reader), 9);
	assert_string_equal(trace_reader__kernel_release(fx->reader), "");
}

/* held: the entries in order, each with its lock, type, trylock and ip. */
static void test_held(void **state)
{
	struct fixture *fx = *state;
	const struct ld_held_entry *held;
	const struct ld_event *ev;

	open_text(
		fx,
		"held pid=40 locks=0xffff888100a00010:rwsem_write@ext4_buffered_write_iter+0x30,0xffff888100b00010:mutex:try@foo+0x10\n"
		"held t=9 pid=41\n"
		"held pid=42 locks=\n"
		"held pid=43 locks=\"\"\n"
		"held pid=44 locks=\"console_mutex:rwsem_read,f [x]:ww_mutex:try@0x20\"\n"
		"held locks=0x10:spinlock pid=45\n");
	ev = next_event(fx);
	assert_int_equal(ev->type, LD_EV_HELD);
	assert_int_equal(ev->pid, 40);
	assert_int_equal(ev->flags, 0);
	assert_int_equal(ev->held.nr, 2);
	assert_int_equal(ev->nr_stack, 2 * LD_HELD_ENTRY_WORDS);
	assert_int_equal(ev->text_len, 0);
	assert_int_equal(ev->size, LD_EVENT_FIXED_SIZE + 2 * sizeof(struct ld_held_entry));
	held = ld_event_held(ev);
	assert_int_equal(held[0].lock, 0xffff888100a00010ULL);
	assert_int_equal(held[0].ip, named(fx, "ext4_buffered_write_iter+0x30"));
	assert_int_equal(held[0].info, LD_LOCK_RWSEM_WRITE);
	assert_int_equal(held[1].lock, 0xffff888100b00010ULL);
	assert_int_equal(held[1].ip, named(fx, "foo+0x10"));
	assert_int_equal(held[1].info, LD_LOCK_MUTEX | LD_HELD_F_TRYLOCK);

	/* Holding nothing: no locks=, or an empty one. */
	for (unsigned int pid = 41; pid <= 43; pid++) {
		ev = next_event(fx);
		assert_int_equal(ev->type, LD_EV_HELD);
		assert_int_equal(ev->pid, pid);
		assert_int_equal(ev->held.nr, 0);
		assert_int_equal(ev->nr_stack, 0);
		assert_int_equal(ev->size, LD_EVENT_FIXED_SIZE);
		assert_int_equal(ev->flags, pid == 41 ? LD_EV_F_TIME : 0);
	}

	ev = next_event(fx);
	held = ld_event_held(ev);
	assert_int_equal(ev->held.nr, 2);
	assert_int_equal(held[0].lock, named(fx, "console_mutex"));
	assert_int_equal(held[0].ip, 0);
	assert_int_equal(held[0].info, LD_LOCK_RWSEM_READ);
	assert_int_equal(held[1].lock, named(fx, "f [x]"));
	assert_int_equal(held[1].ip, 0x20);
	assert_int_equal(held[1].info, LD_LOCK_WW_MUTEX | LD_HELD_F_TRYLOCK);

	ev = next_event(fx);
	assert_int_equal(ev->pid, 45);
	assert_int_equal(ev->held.nr, 1);
	assert_int_equal(ld_event_held(ev)[0].info, LD_LOCK_SPINLOCK);
	assert_end(fx);
}

static void test_defaults(void **state)
{
	struct fixture *fx = *state;
	const struct ld_event *ev;

	open_text(fx, "acquire pid=1 lock=0x10\n"
		      "lost count=3\n"
		      "init lock=0x10 name=x\n"
		      "reclaim pid=2 state=exit kind=direct\n"
		      "flags pid=2 value=0");
	ev = next_event(fx);
	assert_int_equal(ev->flags, 0);
	assert_int_equal(ev->time_ns, 0);
	assert_int_equal(ev->acquire.lock_type, LD_LOCK_MUTEX);
	assert_int_equal(ev->acquire.ret, 0);
	assert_int_equal(ev->acquire.trylock, 0);
	assert_int_equal(ev->acquire.ctx, 0);
	assert_int_equal(ev->acquire.ip, 0);
	assert_int_equal(ev->nr_stack, 0);
	assert_int_equal(ev->text_len, 0);
	assert_int_equal(ev->comm[0], '\0');
	assert_int_equal(ev->size, LD_EVENT_FIXED_SIZE);
	ev = next_event(fx);
	assert_int_equal(ev->flags, 0); /* no pid: every task lost events */
	ev = next_event(fx);
	assert_int_equal(ev->init.site, 0);
	assert_int_equal(ev->pid, 0);
	ev = next_event(fx);
	assert_int_equal(ev->reclaim.fn, 0);
	assert_int_equal(ev->reclaim.state, LD_RECLAIM_EXIT);
	/* The last line has no newline. */
	ev = next_event(fx);
	assert_int_equal(ev->task_flags.value, 0);
	assert_end(fx);
}

static void test_ret_values(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *text;
		int ret;
	} cases[] = {
		{ "0", 0 },
		{ "-35", -EDEADLK },
		{ "-EDEADLK", -EDEADLK },
		{ "-EINTR", -EINTR },
		{ "-EBUSY", -EBUSY },
		{ "-EAGAIN", -EAGAIN },
		{ "-2147483648", -2147483647 - 1 },
		{ "2147483647", 2147483647 },
		{ "-1", -1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[128];

		snprintf(line, sizeof(line), "acquire pid=1 lock=0x10 ret=%s\n", cases[i].text);
		open_text(fx, line);
		assert_int_equal(next_event(fx)->acquire.ret, cases[i].ret);
	}
}

static void test_quoting_and_comments(void **state)
{
	struct fixture *fx = *state;
	const struct ld_event *ev;

	open_text(fx, "   # indented comment\r\n"
		      "init lock=0x10 name=\"a \\\"quoted\\\" \\\\ name\"   # trailing comment\r\n"
		      "\t\n"
		      "mark text=\"tab\\there\\nnl \\x01\\x7f end\"\n"
		      "acquire pid=1 lock=0x10 comm=\"two words\"\n"
		      "init lock=0x10 name=&obj->lock#2 # unquoted # inside a value\n"
		      "acquire pid=1 lock=0x10 comm=averyveryverylongcommname\n");
	ev = next_event(fx);
	assert_int_equal(ev->text_len, strlen("a \"quoted\" \\ name"));
	assert_memory_equal(ld_event_text(ev), "a \"quoted\" \\ name", ev->text_len);
	ev = next_event(fx);
	assert_int_equal(ev->text_len, strlen("tab\there\nnl \x01\x7f end"));
	assert_memory_equal(ld_event_text(ev), "tab\there\nnl \x01\x7f end", ev->text_len);
	ev = next_event(fx);
	assert_string_equal(ev->comm, "two words");
	ev = next_event(fx);
	assert_int_equal(ev->text_len, strlen("&obj->lock#2"));
	assert_memory_equal(ld_event_text(ev), "&obj->lock#2", ev->text_len);
	/* comm is cut to the kernel's 15 bytes. */
	ev = next_event(fx);
	assert_string_equal(ev->comm, "averyveryverylo");
	assert_end(fx);
}

static void test_header(void **state)
{
	struct fixture *fx = *state;
	const struct gfp_layout *gfp;

	open_text(
		fx,
		"# captured on a CI machine\n"
		"header kernel=\"6.1.0-56-amd64\" gfp=\"__GFP_IO=0x1,__GFP_FS=0x2,GFP_KERNEL=0x7,__GFP_DIRECT_RECLAIM=4\"\n"
		"alloc pid=1 gfp=GFP_KERNEL\n"
		"alloc pid=1 gfp=__GFP_FS|0x100\n");
	assert_string_equal(trace_reader__kernel_release(fx->reader), "6.1.0-56-amd64");
	gfp = trace_reader__gfp_layout(fx->reader);
	assert_int_equal(gfp_layout__count(gfp), 4);
	assert_int_equal(gfp_layout__mask(gfp, "__GFP_DIRECT_RECLAIM"), 4);
	assert_int_equal(next_event(fx)->alloc.gfp, 0x7);
	assert_int_equal(next_event(fx)->alloc.gfp, 0x102);
	assert_end(fx);

	/* No header: the default layout and no kernel. */
	open_text(fx, "alloc pid=1 gfp=GFP_NOFS\n");
	assert_int_equal(gfp_layout__mask(trace_reader__gfp_layout(fx->reader), "GFP_KERNEL"),
			 0xcc0);
	assert_int_equal(next_event(fx)->alloc.gfp, 0xc40);
}

static void test_symbols_interned(void **state)
{
	struct fixture *fx = *state;
	const struct ld_event *ev;

	open_text(fx, "acquire pid=1 lock=console_mutex\n"
		      "release pid=1 lock=console_mutex\n");
	ev = next_event(fx);
	assert_string_equal(symtab__lookup(fx->symtab, ev->acquire.lock), "console_mutex");
	assert_true(ev->acquire.lock >= SYMTAB_SYNTHETIC_BASE);
	assert_int_equal(next_event(fx)->release.lock, named(fx, "console_mutex"));
}

/* Each bad line: -EINVAL, and one message naming the file and the line. */
static void test_errors(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *text;
		int line;
		const char *what;
	} cases[] = {
		{ "frobnicate pid=1\n", 1, "unknown event 'frobnicate'" },
		{ "# c\nacquire pid=1 lock=0x10 foo=1\n", 2,
		  "unknown key 'foo' for acquire (expected t, pid, lock" },
		{ "exit pid=1\nacquire pid=1 pid=2 lock=0x10\n", 2, "duplicate key 'pid'" },
		{ "acquire lock=0x10\n", 1, "missing key 'pid' for acquire" },
		{ "\n\nacquire pid=1\n", 3, "missing key 'lock'" },
		{ "reclaim pid=1 kind=direct\n", 1, "missing key 'state'" },
		{ "mark pid=1\n", 1, "missing key 'text'" },
		{ "lost pid=1\n", 1, "missing key 'count'" },
		{ "init lock=0x10\n", 1, "missing key 'name'" },
		{ "init lock=0x10 name=x named=guess\n", 1,
		  "bad named 'guess' (expected init, rule, entry)" },
		{ "acquire pid=1 lock=0x10 named=rule\n", 1, "named" },
		{ "exit pid=-1\n", 1, "bad pid" },
		{ "exit pid=4294967296\n", 1, "bad pid" },
		{ "exit pid=12x\n", 1, "bad pid" },
		{ "exit pid=\n", 1, "bad pid" },
		{ "exit pid\n", 1, "expected key=value, got 'pid'" },
		{ "exit t=1.5 pid=1\n", 1, "bad t" },
		{ "lost count=18446744073709551616\n", 1, "bad count" },
		{ "acquire pid=1 lock=0x10 type=semaphore\n", 1,
		  "bad type 'semaphore' (expected mutex, ww_mutex" },
		{ "acquire pid=1 lock=0x10 try=2\n", 1, "bad try" },
		{ "acquire pid=1 lock=0x10 ret=-EPERM\n", 1, "bad ret" },
		{ "acquire pid=1 lock=0x10 ret=2147483648\n", 1, "bad ret" },
		{ "acquire pid=1 lock=0xfffffffffffffffff\n", 1, "bad address for lock" },
		{ "acquire pid=1 lock=0xzz\n", 1, "bad address for lock" },
		{ "acquire pid=1 lock=0x\n", 1, "no digits" },
		{ "acquire pid=1 lock=1234\n", 1, "bad address '1234'" },
		{ "acquire pid=1 lock=0x10 stack=a;;b\n", 1, "empty frame" },
		{ "acquire pid=1 lock=0x10 stack=a;\n", 1, "empty frame" },
		{ "alloc pid=1 gfp=GFP_BOGUS\n", 1, "bad gfp 'GFP_BOGUS'" },
		{ "reclaim pid=1 state=enter kind=bogus\n", 1, "bad kind" },
		{ "reclaim pid=1 state=maybe kind=direct\n", 1, "bad state" },
		{ "flags pid=1 value=PF_BOGUS\n", 1, "bad value" },
		{ "mark text=\"unterminated\n", 1, "missing closing" },
		{ "mark text=\"bad \\q escape\"\n", 1, "unknown escape '\\q'" },
		{ "mark text=\"bad \\x4\"\n", 1, "two hex digits" },
		{ "mark text=\"a\"b\n", 1, "blank after the closing" },
		{ "init lock=0x10 name=a\"b\n", 1, "unexpected '\"'" },
		{ "exit pid=1\nheader kernel=x\n", 2, "header is only allowed as the first line" },
		{ "header kernel=x color=red\n", 1, "unknown key 'color' for header" },
		{ "header gfp=\"A=1,A=2\"\n", 1, "gfp flag A given twice" },
		{ "header gfp=\"A=zz\"\n", 1, "bad mask" },
		{ "header gfp=\"=1\"\n", 1, "bad gfp layout entry" },
		{ "header gfp=\"A B=1\"\n", 1, "bad gfp flag name" },
		{ "header kernel=\"a\\x00b\"\n", 1, "bad kernel release" },
		{ "exit pid=1\nexit pid=1\nexit pid=1 \x01\n", 3, "expected key=value" },
		{ "held locks=0x10:mutex\n", 1, "missing key 'pid' for held" },
		{ "held pid=1 lock=0x10\n", 1,
		  "unknown key 'lock' for held (expected t, pid, locks)" },
		{ "held pid=1 locks=0x10\n", 1,
		  "bad locks entry '0x10' (expected LOCK:TYPE[:try][@IP])" },
		{ "held pid=1 locks=:mutex\n", 1, "bad locks entry ':mutex'" },
		{ "held pid=1 locks=0x10:semaphore\n", 1,
		  "bad lock type in locks 'semaphore' (expected mutex, ww_mutex" },
		{ "held pid=1 locks=0x10:\n", 1, "bad lock type in locks ''" },
		{ "held pid=1 locks=0x10:mutex:trylock\n", 1,
		  "bad locks entry flag 'trylock' after mutex (expected try)" },
		{ "held pid=1 locks=0x10:mutex:try:try\n", 1, "bad locks entry flag 'try:try'" },
		{ "held pid=1 locks=0x10:mutex,\n", 1, "empty entry in locks" },
		{ "held pid=1 locks=0x10:mutex,,0x20:mutex\n", 1, "empty entry in locks" },
		{ "held pid=1 locks=,0x10:mutex\n", 1, "empty entry in locks" },
		{ "held pid=1 locks=0x10:mutex@\n", 1, "bad address '' for locks" },
		{ "held pid=1 locks=0x10:mutex@1234\n", 1, "bad address '1234' for locks" },
		{ "held pid=1 locks=0xzz:mutex\n", 1, "bad address for locks" },
		{ "held pid=1 locks=0x10:mutex@f\"x\"\n", 1, "unexpected '\"'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ld_event *ev;
		char prefix[64];
		int ret, opened;

		last_log[0] = '\0';
		log_count = 0;
		trace_reader__free(fx->reader);
		fx->reader = NULL;
		opened = trace_reader__open_memory(cases[i].text, strlen(cases[i].text), "t.trace",
						   fx->symtab, &fx->reader);
		if (opened == 0) {
			while ((ret = trace_reader__next(fx->reader, &ev)) > 0)
				;
		} else {
			ret = opened;
		}
		snprintf(prefix, sizeof(prefix), "t.trace:%d: ", cases[i].line);
		if (ret != -EINVAL || strncmp(last_log, prefix, strlen(prefix)) != 0 ||
		    !strstr(last_log, cases[i].what) || log_count != 1)
			fail_msg(
				"case %zu (%s): ret %d, %d messages, last '%s'; expected '%s...%s'",
				i, cases[i].text, ret, log_count, last_log, prefix, cases[i].what);
	}
}

static void test_limits(void **state)
{
	struct fixture *fx = *state;
	char *line = malloc(70000);
	const struct ld_event *ev;
	size_t off;

	/* Exactly LD_MAX_STACK frames is fine, one more is not. */
	off = sprintf(line, "acquire pid=1 lock=0x10 stack=");
	for (int i = 0; i < LD_MAX_STACK; i++)
		off += sprintf(line + off, "%s0x%x", i ? ";" : "", 0x1000 + i);
	strcpy(line + off, "\n");
	open_text(fx, line);
	assert_int_equal(next_event(fx)->nr_stack, LD_MAX_STACK);
	strcpy(line + off, ";0x1\n");
	open_text(fx, line);
	assert_int_equal(trace_reader__next(fx->reader, &ev), -EINVAL);
	assert_non_null(strstr(last_log, "more than 32 frames"));

	/* Exactly LD_HELD_MAX held entries, then one more. */
	off = sprintf(line, "held pid=1 locks=");
	for (int i = 0; i < LD_HELD_MAX; i++)
		off += sprintf(line + off, "%s0x%x:mutex@0x%x", i ? "," : "", 0x1000 + i,
			       0x2000 + i);
	strcpy(line + off, "\n");
	open_text(fx, line);
	ev = next_event(fx);
	assert_int_equal(ev->held.nr, LD_HELD_MAX);
	assert_int_equal(ld_event_held(ev)[LD_HELD_MAX - 1].ip, 0x2000 + LD_HELD_MAX - 1);
	strcpy(line + off, ",0x1:mutex\n");
	open_text(fx, line);
	assert_int_equal(trace_reader__next(fx->reader, &ev), -EINVAL);
	assert_non_null(strstr(last_log, "locks has more than 16 entries"));

	/* Exactly LD_MAX_TEXT bytes of text, then one more. */
	off = sprintf(line, "mark text=\"");
	memset(line + off, 'x', LD_MAX_TEXT);
	strcpy(line + off + LD_MAX_TEXT, "\"\n");
	open_text(fx, line);
	assert_int_equal(next_event(fx)->text_len, LD_MAX_TEXT);
	memset(line + off, 'x', LD_MAX_TEXT + 1);
	strcpy(line + off + LD_MAX_TEXT + 1, "\"\n");
	open_text(fx, line);
	assert_int_equal(trace_reader__next(fx->reader, &ev), -EINVAL);
	assert_non_null(strstr(last_log, "text longer than 256 bytes"));

	/* A line past 64 KiB is refused rather than buffered without end. */
	off = sprintf(line, "exit pid=1\nmark text=\"");
	memset(line + off, 'y', 66000);
	strcpy(line + off + 66000, "\"\n");
	trace_reader__free(fx->reader);
	fx->reader = NULL;
	assert_int_equal(trace_reader__open_memory(line, strlen(line), "long.trace", fx->symtab,
						   &fx->reader),
			 0);
	assert_int_equal(trace_reader__next(fx->reader, &ev), 1);
	assert_int_equal(trace_reader__next(fx->reader, &ev), -EINVAL);
	assert_non_null(strstr(last_log, "long.trace:2: line longer than"));

	/* A NUL byte inside a line. */
	memcpy(line, "exit pid=1\0\n", 12);
	trace_reader__free(fx->reader);
	fx->reader = NULL;
	assert_int_equal(trace_reader__open_memory(line, 12, "nul.trace", fx->symtab, &fx->reader),
			 0);
	assert_int_equal(trace_reader__next(fx->reader, &ev), -EINVAL);
	assert_non_null(strstr(last_log, "nul.trace:1: NUL byte"));
	free(line);
}

/* A line longer than the read chunk but within the limit is read whole. */
static void test_long_line_within_limit(void **state)
{
	struct fixture *fx = *state;
	char *text = malloc(200000);
	size_t off = 0;

	for (int i = 0; i < 3000; i++)
		off += sprintf(text + off, "exit pid=%d%s\n", i, i % 1000 ? "" : "   ");
	off += sprintf(text + off, "init lock=0x10 name=x %60000s\n", "# padding comment");
	off += sprintf(text + off, "exit pid=99999\n");
	open_text(fx, text);
	for (int i = 0; i < 3000; i++)
		assert_int_equal(next_event(fx)->pid, i);
	assert_int_equal(next_event(fx)->type, LD_EV_INIT);
	assert_int_equal(next_event(fx)->pid, 99999);
	assert_end(fx);
	free(text);
}

/* Canonical lines parse and format back to themselves, byte for byte. */
static const char *const canonical_lines[] = {
	"init lock=0xffff8880aa000010 name=\"&vm->mutex\" site=i915_address_space_init",
	"init t=1 pid=4 lock=console_mutex name=\"\"",
	"init lock=0x10 name=\"tab\\there \\\"q\\\" \\\\ \\x01\\x7f\\n\"",
	"init lock=0x10 name=\"vm->mutex/1\" site=i915_address_space_init named=rule",
	"init pid=7 lock=0x10 name=\"dma_resv\" site=i915_gem_object_unbind named=entry",
	"acquire pid=120 lock=0xffff8880aa000010",
	"acquire t=99 pid=120 lock=0xffff8880aa000010 type=ww_mutex try=1 ctx=0xffff888012340000 ret=-EDEADLK ip=mutex_lock+0x1c stack=symA;symB;0xffffffff81000010 comm=gem_exec",
	"acquire pid=1 lock=0x10 type=rwsem_read ret=-EINTR",
	"acquire pid=1 lock=0x10 type=rwsem_write ret=-EBUSY",
	"acquire pid=1 lock=0x10 type=spinlock ret=-EAGAIN",
	"acquire pid=1 lock=0x10 ret=-22",
	"acquire pid=1 lock=0x10 ret=5",
	"acquire pid=1 lock=0x10 stack=\"f+0x1/0x2 [i915];g\" comm=\"two words\"",
	"release pid=120 lock=0xffff8880aa000010",
	"release pid=120 lock=0xffff8880aa000010 ip=mutex_unlock+0x4",
	"alloc pid=120 gfp=GFP_KERNEL",
	"alloc pid=120 gfp=GFP_KERNEL|__GFP_ZERO site=kmalloc_site stack=a;b",
	"alloc pid=120 gfp=0",
	"alloc pid=120 gfp=GFP_NOFS|0x10000000",
	"reclaim pid=130 state=enter kind=direct",
	"reclaim pid=130 state=exit kind=shrinker fn=i915_gem_shrinker_scan",
	"reclaim pid=130 state=enter kind=kswapd",
	"reclaim pid=130 state=enter kind=oom",
	"reclaim pid=130 state=enter kind=vmap",
	"flags pid=120 value=PF_MEMALLOC_NOFS",
	"flags pid=120 value=PF_MEMALLOC|PF_MEMALLOC_NOIO",
	"flags pid=120 value=0",
	"exit pid=120",
	"exit t=18446744073709551615 pid=4294967295",
	"mark text=\"[IGT] gem_exec_whisper: starting subtest basic\"",
	"mark pid=5 text=\"\"",
	"lost count=12",
	"lost count=12 pid=120",
	"lost count=0 pid=0",
	"held pid=40 locks=0xffff888100a00010:rwsem_write@ext4_buffered_write_iter+0x30,0xffff888100b00010:mutex:try@foo+0x10",
	"held pid=40",
	"held t=7 pid=0",
	"held pid=1 locks=console_mutex:rwsem_read",
	"held pid=1 locks=0x10:ww_mutex:try,0x20:spinlock@0xffffffff81000010,0x30:rwsem_read:try@g",
	"held pid=1 locks=\"f+0x1/0x2 [i915]:mutex@g [i915],0x0:rwsem_write\"",
	"held pid=1 locks=\"#first:mutex@\\\"q\\\"\"",
};

static void test_canonical_identity(void **state)
{
	struct fixture *fx = *state;

	for (size_t i = 0; i < sizeof(canonical_lines) / sizeof(canonical_lines[0]); i++) {
		const struct ld_event *ev;
		char buf[4096];
		int n;

		open_text(fx, canonical_lines[i]);
		ev = next_event(fx);
		n = text_event__format(ev, fx->symtab, trace_reader__gfp_layout(fx->reader), buf,
				       sizeof(buf));
		assert_int_equal(n, (int)strlen(canonical_lines[i]));
		assert_string_equal(buf, canonical_lines[i]);
		/* Any shorter buffer is too short, never overrun. */
		assert_int_equal(text_event__format(ev, fx->symtab,
						    trace_reader__gfp_layout(fx->reader), buf, n),
				 -ENOSPC);
	}
}

/* A non-canonical line formats to its canonical form. */
static void test_canonical_form(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "acquire   comm=x  lock=0x10 pid=1 t=3 type=mutex try=0 ret=0 ctx=0x0 # c",
		  "acquire t=3 pid=1 lock=0x10 comm=x" },
		{ "acquire pid=1 lock=0x10 ret=-35", "acquire pid=1 lock=0x10 ret=-EDEADLK" },
		{ "alloc site=s gfp=__GFP_IO|__GFP_FS|__GFP_RECLAIM pid=2",
		  "alloc pid=2 gfp=GFP_KERNEL site=s" },
		{ "alloc pid=2 gfp=0xcc0", "alloc pid=2 gfp=GFP_KERNEL" },
		{ "init name=x lock=0x0010", "init lock=0x10 name=\"x\"" },
		{ "init named=init name=x lock=0x10", "init lock=0x10 name=\"x\"" },
		{ "mark text=plain", "mark text=\"plain\"" },
		{ "flags pid=1 value=0x2", "flags pid=1 value=PF_MEMALLOC_NOFS" },
		{ "exit pid=007", "exit pid=7" },
		{ "held locks= pid=3", "held pid=3" },
		{ "held pid=3 locks=\"\"", "held pid=3" },
		{ "held pid=3 locks=\"a:mutex@0x0\"", "held pid=3 locks=a:mutex" },
		{ "held pid=3 locks=0x0010:spinlock", "held pid=3 locks=0x10:spinlock" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[512];

		open_text(fx, cases[i].in);
		assert_true(text_event__format(next_event(fx), fx->symtab,
					       trace_reader__gfp_layout(fx->reader), buf,
					       sizeof(buf)) > 0);
		assert_string_equal(buf, cases[i].out);
	}
}

/* Names that would not read back as themselves are printed as addresses. */
static void test_format_unprintable_names(void **state)
{
	struct fixture *fx = *state;
	struct ld_event ev[2] = { { 0 } };
	char buf[256];

	ev[0].type = LD_EV_ACQUIRE;
	ev[0].size = LD_EVENT_FIXED_SIZE + 8;
	ev[0].nr_stack = 1;
	ev[0].pid = 1;
	ev[0].acquire.lock = 0x1000;
	ev[0].acquire.ip = 0x2000;
	*(__u64 *)&ev[1] = 0x3000;
	assert_int_equal(symtab__add(fx->symtab, 0x1000, "0x1234"), 0);
	assert_int_equal(symtab__add(fx->symtab, 0x2000, "9lives"), 0);
	assert_int_equal(symtab__add(fx->symtab, 0x3000, "a;b"), 0);
	assert_true(text_event__format(&ev[0], fx->symtab, NULL, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "acquire pid=1 lock=0x1000 ip=0x2000 stack=0x3000");
	/* Without a symtab everything is an address. */
	assert_int_equal(symtab__add(fx->symtab, 0x3000, "named"), 0);
	assert_true(text_event__format(&ev[0], NULL, NULL, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "acquire pid=1 lock=0x1000 ip=0x2000 stack=0x3000");
}

/* In a held entry, names holding one of its separators are addresses too. */
static void test_format_unprintable_held_names(void **state)
{
	struct fixture *fx = *state;
	union {
		struct ld_event ev;
		__u64 words[(LD_EVENT_FIXED_SIZE + 4 * sizeof(struct ld_held_entry)) / 8];
	} buf = { { 0 } };
	struct ld_held_entry *entries = (struct ld_held_entry *)(&buf.ev + 1);
	char out[512];

	buf.ev.type = LD_EV_HELD;
	buf.ev.pid = 1;
	buf.ev.held.nr = 4;
	buf.ev.nr_stack = 4 * LD_HELD_ENTRY_WORDS;
	buf.ev.size = sizeof(buf);
	entries[0] = (struct ld_held_entry){ 0x1000, 0x2000, LD_LOCK_MUTEX };
	entries[1] = (struct ld_held_entry){ 0x3000, 0x4000, LD_LOCK_SPINLOCK | LD_HELD_F_TRYLOCK };
	entries[2] = (struct ld_held_entry){ 0x5000, 0, LD_LOCK_RWSEM_READ };
	entries[3] = (struct ld_held_entry){ 0x6000, 0x1000, LD_LOCK_WW_MUTEX };
	assert_int_equal(ld_event_validate(&buf.ev, sizeof(buf)), 0);
	assert_int_equal(symtab__add(fx->symtab, 0x1000, "a,b"), 0);
	assert_int_equal(symtab__add(fx->symtab, 0x2000, "ns::f"), 0);
	assert_int_equal(symtab__add(fx->symtab, 0x3000, "x@y"), 0);
	assert_int_equal(symtab__add(fx->symtab, 0x4000, "9lives"), 0);
	assert_int_equal(symtab__add(fx->symtab, 0x5000, "a;b"), 0);
	assert_int_equal(symtab__add(fx->symtab, 0x6000, "plain"), 0);
	assert_true(text_event__format(&buf.ev, fx->symtab, NULL, out, sizeof(out)) > 0);
	assert_string_equal(
		out,
		"held pid=1 locks=0x1000:mutex@0x2000,0x3000:spinlock:try@0x4000,a;b:rwsem_read,plain:ww_mutex@0x1000");
	/* And it reads back as the same record. */
	open_text(fx, out);
	assert_memory_equal(next_event(fx), &buf.ev, sizeof(buf));
}

static void test_header_format(void **state)
{
	struct gfp_layout *def = new_default_gfp_layout(), *custom = new_gfp_layout();
	char buf[4096];

	assert_int_equal(text_header__format("", def, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(text_header__format(NULL, NULL, buf, sizeof(buf)), 0);
	assert_true(text_header__format("6.1.0-56-amd64", def, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "header kernel=\"6.1.0-56-amd64\"");
	assert_int_equal(gfp_layout__add(custom, "__GFP_FS", 0x80), 0);
	assert_int_equal(gfp_layout__add(custom, "GFP_KERNEL", 0xcc0), 0);
	assert_true(text_header__format("", custom, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "header gfp=\"__GFP_FS=0x80,GFP_KERNEL=0xcc0\"");
	assert_int_equal(text_header__format("x", custom, buf, 10), -ENOSPC);
	gfp_layout__free(def);
	gfp_layout__free(custom);
}

/* The header line text_header__format writes reads back as the same layout. */
static void test_header_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct gfp_layout *layout = new_gfp_layout();
	char text[4096];
	int n;

	for (int bit = 0; bit < 30; bit++) {
		char name[32];

		snprintf(name, sizeof(name), "__GFP_BIT%d", bit);
		assert_int_equal(gfp_layout__add(layout, name, 1ULL << bit), 0);
	}
	n = text_header__format("6.18.0 \"odd\" release", layout, text, sizeof(text));
	assert_true(n > 0);
	strcpy(text + n, "\nexit pid=1\n");
	open_text(fx, text);
	assert_true(gfp_layout__equal(trace_reader__gfp_layout(fx->reader), layout));
	assert_string_equal(trace_reader__kernel_release(fx->reader), "6.18.0 \"odd\" release");
	gfp_layout__free(layout);
}

static void test_empty_inputs(void **state)
{
	struct fixture *fx = *state;

	open_text(fx, "");
	assert_end(fx);
	open_text(fx, "# only comments\n\n   \n");
	assert_end(fx);
	open_text(fx, "header kernel=k\n");
	assert_string_equal(trace_reader__kernel_release(fx->reader), "k");
	assert_end(fx);
}

static void test_file_and_stdin(void **state)
{
	struct fixture *fx = *state;
	char path[] = "/tmp/test_trace_text.XXXXXX";
	const char *text = "exit pid=1\nexit pid=2\n";
	int fd = mkstemp(path), pipefd[2], saved;
	const struct ld_event *ev;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(trace_reader__open(path, fx->symtab, &fx->reader), 0);
	assert_int_equal(next_event(fx)->pid, 1);
	assert_int_equal(next_event(fx)->pid, 2);
	assert_end(fx);
	trace_reader__free(fx->reader);
	fx->reader = NULL;
	unlink(path);

	assert_int_equal(trace_reader__open(path, fx->symtab, &fx->reader), -ENOENT);
	assert_non_null(strstr(last_log, path));

	/* "-" reads standard input, a pipe that cannot seek back over the peeked bytes. */
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(write(pipefd[1], text, strlen(text)), (ssize_t)strlen(text));
	close(pipefd[1]);
	saved = dup(0);
	dup2(pipefd[0], 0);
	close(pipefd[0]);
	clearerr(stdin);
	assert_int_equal(trace_reader__open("-", fx->symtab, &fx->reader), 0);
	assert_int_equal(trace_reader__next(fx->reader, &ev), 1);
	assert_int_equal(ev->pid, 1);
	assert_int_equal(trace_reader__next(fx->reader, &ev), 1);
	assert_int_equal(ev->pid, 2);
	assert_int_equal(trace_reader__next(fx->reader, &ev), 0);
	dup2(saved, 0);
	close(saved);
	clearerr(stdin);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_every_event_all_keys),
		T(test_held),
		T(test_defaults),
		T(test_ret_values),
		T(test_quoting_and_comments),
		T(test_header),
		T(test_symbols_interned),
		T(test_errors),
		T(test_limits),
		T(test_long_line_within_limit),
		T(test_canonical_identity),
		T(test_canonical_form),
		T(test_format_unprintable_names),
		T(test_format_unprintable_held_names),
		T(test_header_format),
		T(test_header_round_trip),
		T(test_empty_inputs),
		T(test_file_and_stdin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
