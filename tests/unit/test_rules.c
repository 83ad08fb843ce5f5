// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Rules files: what loads, what each mistake says (file:line:column and the
 * expectation, exactly), and the questions the engine asks of loaded rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/finding.h"
#include "lib/log.h"
#include "engine/rules.h"
#include "lockdepd_event.h"

/* --- capturing the one error line ---------------------------------------- */

static char last_error[2048];
static unsigned int nr_errors;

static void capture_log(enum log_level level, const char *msg, void *ctx)
{
	if (level > LOG_LEVEL_ERROR)
		return;
	snprintf(last_error, sizeof(last_error), "%s", msg);
	nr_errors++;
}

static int setup(void **state)
{
	last_error[0] = '\0';
	nr_errors = 0;
	log_set_sink(capture_log, NULL);
	return 0;
}

static int teardown(void **state)
{
	log_set_sink(NULL, NULL);
	return 0;
}

static struct rules *load_ok(const char *yaml)
{
	struct rules *rules = NULL;
	int err;

	err = rules__load_buffer("t.yaml", yaml, strlen(yaml), &rules);
	if (err)
		fail_msg("expected the rules to load, got %d: %s", err, last_error);
	assert_non_null(rules);
	assert_int_equal(nr_errors, 0);
	return rules;
}

/*
 * Loads `yaml`, which must fail with exactly the error line `expected` and
 * leave the result untouched. Returns whether it did, printing why not.
 */
static bool load_fails(const char *yaml, const char *expected)
{
	struct rules *sentinel = (struct rules *)0x1234;
	struct rules *rules = sentinel;
	int err;

	last_error[0] = '\0';
	nr_errors = 0;
	err = rules__load_buffer("t.yaml", yaml, strlen(yaml), &rules);
	if (err != -EINVAL) {
		print_error("for:\n%s\nexpected -EINVAL, got %d (%s)\n", yaml, err, last_error);
		if (!err)
			rules__free(rules);
		return false;
	}
	if (rules != sentinel || nr_errors != 1) {
		print_error("for:\n%s\n*ret_rules changed or %u errors logged\n", yaml, nr_errors);
		return false;
	}
	if (strcmp(last_error, expected) != 0) {
		print_error("for:\n%s\nexpected: %s\n     got: %s\n", yaml, expected, last_error);
		return false;
	}
	return true;
}

/* --- the shipped i915 rules ------------------------------------------------ */

/* rules/i915.yaml from the repository root, found from this source file too. */
static const char *repo_rules_path(void)
{
	static char path[PATH_MAX];
	char source[PATH_MAX];

	if (access("rules/i915.yaml", R_OK) == 0)
		return "rules/i915.yaml";
	snprintf(source, sizeof(source), "%s", __FILE__);
	snprintf(path, sizeof(path), "%s/../../rules/i915.yaml", dirname(source));
	return path;
}

static void test_i915_rules_load(void **state)
{
	struct rules *rules = NULL;

	assert_int_equal(rules__load(repo_rules_path(), &rules), 0);
	assert_non_null(rules);
	assert_int_equal(nr_errors, 0);

	assert_string_equal(rules__class_for(rules, "&vm->mutex"), "vm->mutex");
	assert_string_equal(rules__class_for(rules, "&vm->mutex/1"), "vm->mutex/1");
	assert_string_equal(rules__class_for(rules, "&obj->vma_lock"), "obj->vma_lock");
	assert_string_equal(rules__class_for(rules, "&obj->vma.lock"), "obj->vma_lock");
	assert_string_equal(rules__class_for(rules, "reservation_ww_class_mutex"), "dma_resv");
	assert_string_equal(rules__class_for(rules, "&mm->mmap_lock"), "mmap_lock");
	assert_string_equal(rules__class_for(rules, "&mm->mmap_sem"), "mmap_lock");
	assert_string_equal(rules__class_for(rules, "&mapping->i_mmap_rwsem"), "i_mmap_rwsem");
	assert_string_equal(rules__class_for(rules, "&sb->s_type->i_mmap_rwsem_key#7"),
			    "i_mmap_rwsem");
	assert_string_equal(rules__class_for(rules, "&dev->struct_mutex"), "struct_mutex");
	assert_null(rules__class_for(rules, "&dev->mode_config.mutex"));

	/* dma_resv_lockdep()'s priming order, and i915's documented one. */
	assert_true(rules__order_index(rules, "mmap_lock") < rules__order_index(rules, "dma_resv"));
	assert_true(rules__order_index(rules, "dma_resv") <
		    rules__order_index(rules, "fs_reclaim"));
	assert_true(rules__order_index(rules, "fs_reclaim") <
		    rules__order_index(rules, "i_mmap_rwsem"));
	assert_true(rules__order_index(rules, "dma_resv") < rules__order_index(rules, "vm->mutex"));
	assert_true(rules__order_index(rules, "vm->mutex") <
		    rules__order_index(rules, "obj->vma_lock"));
	/* The shrinker takes vm->mutex: fs_reclaim -> vm->mutex must be in order. */
	assert_true(rules__order_index(rules, "fs_reclaim") >= 0);
	assert_true(rules__order_index(rules, "fs_reclaim") <
		    rules__order_index(rules, "vm->mutex"));
	assert_int_equal(rules__order_index(rules, "struct_mutex"), -1);

	assert_true(rules__is_reclaim_tainted(rules, "vm->mutex"));
	assert_true(rules__is_reclaim_tainted(rules, "vm->mutex/1"));
	assert_false(rules__is_reclaim_tainted(rules, "dma_resv"));
	assert_false(rules__allows_nesting(rules, "dma_resv"));

	assert_int_equal(rules->nr_lock_args, 7);
	assert_string_equal(rules->lock_args[0].function, "i915_address_space_init");
	assert_int_equal(rules->lock_args[0].arg, 1);
	assert_string_equal(rules->lock_args[0].type, "i915_address_space");
	assert_string_equal(rules->lock_args[0].member, "mutex");
	assert_string_equal(rules->lock_args[0].class_name, "vm->mutex");
	assert_int_equal(rules->lock_args[0].subclass_arg, 2);
	assert_false(rules->lock_args[0].at_entry);
	/* The others name the locks of a driver loaded before lockdepd, never a subclass. */
	for (size_t i = 1; i < rules->nr_lock_args; i++) {
		assert_true(rules->lock_args[i].at_entry);
		assert_int_equal(rules->lock_args[i].subclass_arg, 0);
	}
	assert_string_equal(rules->lock_args[5].function, "i915_ggtt_suspend");
	assert_string_equal(rules->lock_args[5].member, "vm.mutex");
	assert_string_equal(rules->lock_args[4].member, "obj->base.resv");
	rules__free(rules);
}

/* --- valid files ------------------------------------------------------------ */

static void test_every_section(void **state)
{
	struct rules *rules =
		load_ok("# a comment\n"
			"classes:\n"
			"  - name: vm->mutex\n"
			"    match: [\"&vm->mutex\"]\n"
			"  - name: obj->vma_lock\n"
			"    match:\n"
			"      - \"&obj->vma_lock\"\n"
			"      - '&obj->vma.lock'\n"
			"  - name: bare\n"
			"taint_reclaim: [vm->mutex]\n"
			"order: [vm->mutex, fs_reclaim, obj->vma_lock]\n"
			"allow_nesting: [bare]\n"
			"suppress:\n"
			"  - {kind: circular, classes: [vm->mutex, bare], reason: \"known\"}\n"
			"  - classes: [fs_reclaim, vm->mutex]\n"
			"lock_args:\n"
			"  - {function: f_init, arg: 2, type: some_struct, member: a.b_c,\n"
			"     class: bare}\n");

	assert_string_equal(rules->path, "t.yaml");
	assert_int_equal(rules->nr_classes, 3);
	assert_string_equal(rules->classes[1].name, "obj->vma_lock");
	assert_int_equal(rules->classes[1].nr_match, 2);
	assert_string_equal(rules->classes[1].match[1], "&obj->vma.lock");
	assert_int_equal(rules->classes[2].nr_match, 0);
	assert_int_equal(rules->nr_taint_reclaim, 1);
	assert_int_equal(rules->nr_order, 3);
	assert_int_equal(rules__order_index(rules, "fs_reclaim"), 1);
	assert_int_equal(rules__order_index(rules, "bare"), -1);
	assert_true(rules__allows_nesting(rules, "bare"));
	assert_int_equal(rules->nr_suppress, 2);
	assert_int_equal(rules->suppress[0].kind, FINDING_CIRCULAR);
	assert_string_equal(rules->suppress[0].reason, "known");
	assert_int_equal(rules->suppress[1].kind, -1);
	assert_null(rules->suppress[1].reason);
	assert_int_equal(rules->nr_lock_args, 1);
	assert_int_equal(rules->lock_args[0].arg, 2);
	assert_int_equal(rules->lock_args[0].subclass_arg, 0);
	assert_string_equal(rules->lock_args[0].member, "a.b_c");
	assert_false(rules->lock_args[0].at_entry);
	rules__free(rules);
}

/* At an entry point, with no type (BTF says it) and a path through pointers. */
static void test_lock_args_at_entry(void **state)
{
	struct rules *rules =
		load_ok("classes:\n"
			"  - {name: vm->mutex}\n"
			"lock_args:\n"
			"  - {function: i915_vma_unbind, arg: 1, member: vm->mutex,\n"
			"     class: vm->mutex, at: entry}\n"
			"  - {function: f_init, arg: 1, member: a.b->c, class: vm->mutex,\n"
			"     at: exit}\n");

	assert_int_equal(rules->nr_lock_args, 2);
	assert_null(rules->lock_args[0].type);
	assert_string_equal(rules->lock_args[0].member, "vm->mutex");
	assert_true(rules->lock_args[0].at_entry);
	assert_string_equal(rules->lock_args[1].member, "a.b->c");
	assert_false(rules->lock_args[1].at_entry);
	assert_null(rules->lock_args[1].key);
	rules__free(rules);
}

/* A run-time class key: a second path from the same argument, to a string. */
static void test_lock_args_key(void **state)
{
	struct rules *rules =
		load_ok("classes:\n"
			"  - {name: \"&inode->i_rwsem\"}\n"
			"lock_args:\n"
			"  - {function: inode_init_always, arg: 2, member: i_rwsem,\n"
			"     class: \"&inode->i_rwsem\", key: i_sb->s_type->name}\n"
			"  - {function: unlock_new_inode, arg: 1, member: i_rwsem,\n"
			"     class: \"&inode->i_rwsem\", key: i_sb->s_type->name,\n"
			"     when: {member: i_mode, mask: 0xf000, equals: 16384}}\n");

	assert_int_equal(rules->nr_lock_args, 2);
	assert_string_equal(rules->lock_args[0].key, "i_sb->s_type->name");
	assert_false(rules->lock_args[0].at_entry);
	assert_null(rules->lock_args[0].when_member);
	assert_string_equal(rules->lock_args[1].when_member, "i_mode");
	assert_int_equal(rules->lock_args[1].when_mask, 0xf000);
	assert_int_equal(rules->lock_args[1].when_equals, 0x4000);
	rules__free(rules);
}

static void test_empty_files(void **state)
{
	static const char *const empties[] = {
		"", "# only a comment\n", "---\n", "~\n", "classes:\norder:\nsuppress: []\n",
	};

	for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
		struct rules *rules = load_ok(empties[i]);

		assert_int_equal(rules->nr_classes, 0);
		assert_int_equal(rules->nr_order, 0);
		assert_int_equal(rules->nr_suppress, 0);
		assert_null(rules__class_for(rules, "&vm->mutex"));
		rules__free(rules);
	}
}

static void test_sections_in_any_order(void **state)
{
	/* order refers to a class defined further down: still fine. */
	struct rules *rules = load_ok("order: [b, a]\nclasses:\n  - {name: a}\n  - {name: b}\n");

	assert_int_equal(rules__order_index(rules, "b"), 0);
	assert_int_equal(rules__order_index(rules, "a"), 1);
	rules__free(rules);
}

static void test_aliases(void **state)
{
	struct rules *rules =
		load_ok("classes:\n  - {name: a}\norder: &o [a]\nallow_nesting: *o\n");

	assert_true(rules__allows_nesting(rules, "a"));
	rules__free(rules);
}

/* --- every error, with its position ----------------------------------------- */

struct error_case {
	const char *yaml;
	const char *error;
};

static const struct error_case error_cases[] = {
	/* structure */
	{ "- a\n", "t.yaml:1:1: expected the rules file (a mapping), got a list" },
	{ "just text\n", "t.yaml:1:1: expected the rules file (a mapping), got a string" },
	{ "clases: []\n",
	  "t.yaml:1:1: unknown key 'clases' in the rules file: expected one of classes, "
	  "taint_reclaim, order, allow_nesting, suppress, lock_args, novalidate, nested, alerts" },
	{ "alert: []\n",
	  "t.yaml:1:1: unknown key 'alert' in the rules file: expected one of classes, "
	  "taint_reclaim, order, allow_nesting, suppress, lock_args, novalidate, nested, alerts" },
	{ "order: []\norder: []\n",
	  "t.yaml:2:1: duplicate key 'order' in the rules file (first at 1:1)" },
	{ "? [a]\n: b\n",
	  "t.yaml:1:3: expected a key of the rules file (classes, taint_reclaim, order, "
	  "allow_nesting, suppress, lock_args, novalidate, nested, alerts), got a list" },
	{ "order: []\n---\norder: []\n",
	  "t.yaml:3:1: expected the end of the file: one YAML document only" },
	/* YAML syntax, as libyaml words it */
	{ "classes: [\n",
	  "t.yaml:2:1: did not find expected node content (while parsing a flow node)" },
	{ "classes:\n\t- name: a\n",
	  "t.yaml:2:1: found character that cannot start any token (while scanning for the "
	  "next token)" },
	{ "order: [\xff]\n", "t.yaml:1:9: invalid leading UTF-8 octet" },
	{ "order: *nowhere\n", "t.yaml:1:8: found undefined alias" },
	/* classes */
	{ "classes: vm->mutex\n", "t.yaml:1:10: expected a list of classes, got a string" },
	{ "classes:\n  name: a\n", "t.yaml:2:3: expected a list of classes, got a mapping" },
	{ "classes:\n  - a\n", "t.yaml:2:5: expected a class (a mapping), got a string" },
	{ "classes:\n  - {name: a, matches: [x]}\n",
	  "t.yaml:2:15: unknown key 'matches' in a class: expected one of name, match" },
	{ "classes:\n  - {name: a, name: b}\n",
	  "t.yaml:2:15: duplicate key 'name' in a class (first at 2:6)" },
	{ "classes:\n  - {match: [x]}\n", "t.yaml:2:5: expected a class with a 'name' key" },
	{ "classes:\n  - name:\n", "t.yaml:2:10: expected a class name, got nothing" },
	{ "classes:\n  - {name: \"\"}\n",
	  "t.yaml:2:12: expected a class name, got an empty string" },
	{ "classes:\n  - {name: \"a\\0b\"}\n",
	  "t.yaml:2:12: expected a class name, got a string with a NUL byte" },
	{ "classes:\n  - {name: [a]}\n", "t.yaml:2:12: expected a class name, got a list" },
	{ "classes:\n  - name: a\n    match: \"&a\"\n",
	  "t.yaml:3:12: expected a list of lock names or globs, got a string" },
	{ "classes:\n  - name: a\n    match: [\"&a\", [b]]\n",
	  "t.yaml:3:19: expected a lock name or glob, got a list" },
	{ "classes:\n  - {name: fs_reclaim}\n",
	  "t.yaml:2:12: expected a class name other than fs_reclaim, the built-in reclaim "
	  "pseudo-lock" },
	{ "classes:\n  - {name: a}\n  - {name: b}\n  - {name: a}\n",
	  "t.yaml:4:12: duplicate class 'a' (first at 2:12): expected each name once" },
	/* class lists */
	{ "taint_reclaim: vm->mutex\n",
	  "t.yaml:1:16: expected a list of class names, got a string" },
	{ "taint_reclaim: [vm->mutex]\n",
	  "t.yaml:1:17: unknown class 'vm->mutex': expected a class defined under classes:" },
	{ "taint_reclaim: [fs_reclaim]\n",
	  "t.yaml:1:17: expected a class defined under classes:, not fs_reclaim" },
	{ "classes:\n  - {name: a}\norder: [a, b]\n",
	  "t.yaml:3:12: unknown class 'b': expected a class defined under classes: or "
	  "fs_reclaim" },
	{ "classes:\n  - {name: a}\norder: [a, fs_reclaim, a]\n",
	  "t.yaml:3:24: class 'a' appears twice in order (first at 3:9)" },
	{ "order: [fs_reclaim, fs_reclaim]\n",
	  "t.yaml:1:21: class 'fs_reclaim' appears twice in order (first at 1:9)" },
	{ "classes:\n  - {name: a}\norder: {a: 1}\n",
	  "t.yaml:3:8: expected a list of class names, got a mapping" },
	{ "classes:\n  - {name: a}\norder: [[a]]\n",
	  "t.yaml:3:9: expected a class name, got a list" },
	{ "allow_nesting: [\"&vm->mutex\"]\n",
	  "t.yaml:1:17: unknown class '&vm->mutex': expected a class defined under classes:" },
	/* kernel annotations */
	{ "novalidate:\n  - {name: \"&dev->mutex\"}\n",
	  "t.yaml:2:5: expected a novalidate rule with 'site'" },
	{ "novalidate:\n  - {name: \"&dev->mutex\", site: \"device init\"}\n",
	  "t.yaml:2:33: expected the kernel function that inits the lock (a C identifier), "
	  "got 'device init'" },
	{ "nested:\n  - {caller: f, lock: i_rwsem, type: rwsem_write}\n",
	  "t.yaml:2:5: expected a nested rule with 'subclass'" },
	{ "nested:\n  - {caller: f, lock: i_rwsem, type: spinlock, subclass: 1}\n",
	  "t.yaml:2:38: expected a lock type (mutex, rwsem_read, rwsem_write or rwsem), got "
	  "'spinlock'" },
	{ "nested:\n  - {caller: f, lock: i_rwsem, type: mutex, subclass: 8}\n",
	  "t.yaml:2:55: expected a subclass (or 'any'), a number from 1 to 7" },
	{ "nested:\n  - {caller: f, lock: \"a->b\", type: mutex, subclass: 1}\n",
	  "t.yaml:2:23: expected a lock member name (a C identifier) or '*', got 'a->b'" },
	{ "nested:\n  - {caller: f, lock: b, type: mutex, subclass: 1, depth: 2}\n",
	  "t.yaml:2:52: unknown key 'depth' in a nested rule: expected one of caller, lock, "
	  "type, subclass" },
	/* suppress */
	{ "suppress: {kind: circular}\n",
	  "t.yaml:1:11: expected a list of suppressions, got a mapping" },
	{ "suppress:\n  - circular\n",
	  "t.yaml:2:5: expected a suppression (a mapping), got a string" },
	{ "suppress:\n  - {kind: bogus, classes: [fs_reclaim]}\n",
	  "t.yaml:2:12: expected kind circular, reclaim, order or recursive (or no kind for any)" },
	{ "suppress:\n  - {kind: [circular], classes: [fs_reclaim]}\n",
	  "t.yaml:2:12: expected kind circular, reclaim, order or recursive (or no kind for any)" },
	{ "suppress:\n  - {kind: circular}\n",
	  "t.yaml:2:5: expected a suppression with 'classes' (the finding's classes)" },
	{ "suppress:\n  - {classes: []}\n",
	  "t.yaml:2:15: expected at least one class: an empty set matches no finding" },
	{ "suppress:\n  - {classes: fs_reclaim}\n",
	  "t.yaml:2:15: expected a list of class names, got a string" },
	{ "suppress:\n  - {classes: [fs_reclaim, x]}\n",
	  "t.yaml:2:28: unknown class 'x': expected a class defined under classes: or fs_reclaim" },
	{ "suppress:\n  - {classes: [fs_reclaim, fs_reclaim]}\n",
	  "t.yaml:2:28: class 'fs_reclaim' appears twice in the suppression's classes (first at "
	  "2:16)" },
	{ "suppress:\n  - {classes: [fs_reclaim], reason: [a]}\n",
	  "t.yaml:2:37: expected a reason, got a list" },
	{ "suppress:\n  - {classes: [fs_reclaim], why: x}\n",
	  "t.yaml:2:29: unknown key 'why' in a suppression: expected one of kind, classes, "
	  "reason" },
	/* lock_args */
	{ "lock_args: {function: f}\n",
	  "t.yaml:1:12: expected a list of lock_args rules, got a mapping" },
	{ "classes:\n  - {name: a}\nlock_args:\n  - {function: f, arg: 1, type: t, member: m}\n",
	  "t.yaml:4:5: expected a lock_args rule with 'class'" },
	{ "classes:\n  - {name: a}\nlock_args:\n  - {arg: 1, type: t, member: m, class: a}\n",
	  "t.yaml:4:5: expected a lock_args rule with 'function'" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: 1, type: t, member: m, class: a, subclas_arg: 2}\n",
	  "t.yaml:4:57: unknown key 'subclas_arg' in a lock_args rule: expected one of function, "
	  "arg, type, member, class, subclass_arg, at, key, when" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: 0, type: t, member: m, class: a}\n",
	  "t.yaml:4:24: expected an argument number, a number from 1 to 6" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: 7, type: t, member: m, class: a}\n",
	  "t.yaml:4:24: expected an argument number, a number from 1 to 6" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: \"1\", type: t, member: m, class: a}\n",
	  "t.yaml:4:24: expected an argument number, a number from 1 to 6" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: -1, type: t, member: m, class: a}\n",
	  "t.yaml:4:24: expected an argument number, a number from 1 to 6" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: 99999999999999999999, type: t, member: m, class: a}\n",
	  "t.yaml:4:24: expected an argument number, a number from 1 to 6" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: 1, type: t, member: m, class: a, subclass_arg: 1}\n",
	  "t.yaml:4:71: expected a subclass_arg other than arg 1 (the lock's own argument)" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: 1, type: t, member: m, class: a, subclass_arg: 7}\n",
	  "t.yaml:4:71: expected an argument number, a number from 1 to 6" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f(), arg: 1, type: t, member: m, class: a}\n",
	  "t.yaml:4:16: expected a kernel function name (a C identifier), got 'f()'" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: 1, type: struct t, member: m, class: a}\n",
	  "t.yaml:4:33: expected a struct name without 'struct' (a C identifier), got 'struct t'" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: 1, type: t, member: a..b, class: a}\n",
	  "t.yaml:4:44: expected a member path like 'mutex', 'vma.lock' or 'vm->mutex', got 'a..b'" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: 1, type: t, member: a., class: a}\n",
	  "t.yaml:4:44: expected a member path like 'mutex', 'vma.lock' or 'vm->mutex', got 'a.'" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: 1, type: t, member: ->m, class: a}\n",
	  "t.yaml:4:44: expected a member path like 'mutex', 'vma.lock' or 'vm->mutex', got '->m'" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: 1, member: vm->, class: a}\n",
	  "t.yaml:4:35: expected a member path like 'mutex', 'vma.lock' or 'vm->mutex', got 'vm->'" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: 1, member: vm-mutex, class: a}\n",
	  "t.yaml:4:35: expected a member path like 'mutex', 'vma.lock' or 'vm->mutex', got 'vm-mutex'" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: 1, member: m, class: a, key: sb->}\n",
	  "t.yaml:4:53: expected a key path to a string like 'i_sb->s_type->name', got 'sb->'" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: 1, member: m, class: a, key: [name]}\n",
	  "t.yaml:4:53: expected a member path, got a list" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: 1, member: m, class: a, when: {member: i_mode, mask: 0xf000}}\n",
	  "t.yaml:4:54: expected a condition with 'member', 'mask' and 'equals'" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: 1, member: m, class: a, when: {member: i_mode, mask: 0xf000, "
	  "equals: 0x4000, is: dir}}\n",
	  "t.yaml:4:101: unknown key 'is' in a condition: expected one of member, mask, equals" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: 1, member: m, class: a, when: {member: i_mode, mask: 0xfg, "
	  "equals: 0}}\n",
	  "t.yaml:4:77: expected a mask, a number (decimal or 0x hex), got '0xfg'" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: 1, member: m, class: a, when: {member: i_mode, mask: 0xf000, "
	  "equals: 0x10000}}\n",
	  "t.yaml:4:93: expected a value inside the mask 0xf000, got 0x10000: it could never match" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: 1, member: m, class: a, when: {member: a->, mask: 1, equals: 1}}\n",
	  "t.yaml:4:63: expected a member path to an integer like 'i_mode', got 'a->'" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: 1, member: m, class: a, at: start}\n",
	  "t.yaml:4:52: expected 'entry' or 'exit', got 'start'" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: 1, member: m, class: a, at: [entry]}\n",
	  "t.yaml:4:52: expected 'entry' or 'exit', got a list" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: 1, type: t, member: m, class: b}\n",
	  "t.yaml:4:54: unknown class 'b': expected a class defined under classes:" },
	{ "classes:\n  - {name: a}\nlock_args:\n"
	  "  - {function: f, arg: 1, type: t, member: m, class: fs_reclaim}\n",
	  "t.yaml:4:54: expected a class defined under classes:, not fs_reclaim" },
	/* alerts */
	{ "alerts: {actions: [kmsg]}\n", "t.yaml:1:9: expected a list of alerts, got a mapping" },
	{ "alerts:\n  - kmsg\n", "t.yaml:2:5: expected an alert (a mapping), got a string" },
	{ "alerts:\n  - {action: [kmsg]}\n",
	  "t.yaml:2:6: unknown key 'action' in an alert: expected one of kinds, classes, actions, "
	  "exec, exec_timeout, rate_limit" },
	{ "alerts:\n  - {kinds: [circular]}\n",
	  "t.yaml:2:5: expected an alert with 'actions' or 'exec': it would send nothing" },
	{ "alerts:\n  - {actions: []}\n",
	  "t.yaml:2:5: expected an alert with 'actions' or 'exec': it would send nothing" },
	{ "alerts:\n  - {actions: [kmsg, mail]}\n",
	  "t.yaml:2:22: expected action journal, kmsg or json (a command goes under exec:)" },
	{ "alerts:\n  - {actions: [kmsg, kmsg]}\n",
	  "t.yaml:2:22: action 'kmsg' appears twice in the alert's actions" },
	{ "alerts:\n  - {actions: kmsg}\n",
	  "t.yaml:2:15: expected a list of actions, got a string" },
	{ "alerts:\n  - {kinds: [], actions: [kmsg]}\n",
	  "t.yaml:2:13: expected at least one kind (leave 'kinds' out for every kind)" },
	{ "alerts:\n  - {kinds: [circular, deadlock], actions: [kmsg]}\n",
	  "t.yaml:2:24: expected kind circular, reclaim, order or recursive" },
	{ "alerts:\n  - {kinds: [order, order], actions: [kmsg]}\n",
	  "t.yaml:2:21: kind 'order' appears twice in the alert's kinds" },
	{ "alerts:\n  - {classes: [vm->mutex], actions: [kmsg]}\n",
	  "t.yaml:2:16: unknown class 'vm->mutex': expected a class defined under classes: or "
	  "fs_reclaim" },
	{ "alerts:\n  - {classes: [], actions: [kmsg]}\n",
	  "t.yaml:2:15: expected at least one class (leave 'classes' out for any class)" },
	{ "alerts:\n  - {exec: \"\"}\n",
	  "t.yaml:2:12: expected a command line, got an empty string" },
	{ "alerts:\n  - {actions: [json], exec_timeout: 5}\n",
	  "t.yaml:2:37: expected exec_timeout only in an alert with exec" },
	{ "alerts:\n  - {exec: x, exec_timeout: 0}\n",
	  "t.yaml:2:29: expected a time limit in seconds, a number from 1 to 3600" },
	{ "alerts:\n  - {actions: [json], rate_limit: 10}\n",
	  "t.yaml:2:35: expected a rate like 10/min (N/s, N/min or N/hour, N from 1 to 1000000), "
	  "got '10'" },
	{ "alerts:\n  - {actions: [json], rate_limit: 0/min}\n",
	  "t.yaml:2:35: expected a rate like 10/min (N/s, N/min or N/hour, N from 1 to 1000000), "
	  "got '0/min'" },
	{ "alerts:\n  - {actions: [json], rate_limit: 5/day}\n",
	  "t.yaml:2:35: expected a rate like 10/min (N/s, N/min or N/hour, N from 1 to 1000000), "
	  "got '5/day'" },
	{ "alerts:\n  - {actions: [json], rate_limit: 99999999/s}\n",
	  "t.yaml:2:35: expected a rate like 10/min (N/s, N/min or N/hour, N from 1 to 1000000), "
	  "got '99999999/s'" },
	{ "alerts:\n  - {actions: [json], rate_limit: [1/s]}\n",
	  "t.yaml:2:35: expected a rate like 10/min, got a list" },
};

static void test_errors(void **state)
{
	size_t failed = 0;

	/* Every case runs, so one run shows every wrong message. */
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++)
		if (!load_fails(error_cases[i].yaml, error_cases[i].error))
			failed++;
	assert_int_equal(failed, 0);
}

/* --- files ------------------------------------------------------------------ */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void test_load_file(void **state)
{
	char dir[] = "/tmp/lockdepd-rules-XXXXXX";
	char good[PATH_MAX], bad[PATH_MAX];
	struct rules *sentinel = (struct rules *)0x1234, *rules = sentinel;

	assert_non_null(mkdtemp(dir));
	snprintf(good, sizeof(good), "%s/good.yaml", dir);
	snprintf(bad, sizeof(bad), "%s/bad.yaml", dir);
	write_file(good, "classes:\n  - {name: a, match: [\"&a*\"]}\n");
	write_file(bad, "classes:\n  - {name: a, match: [\"&a*\"]}\norder: [b]\n");

	assert_int_equal(rules__load(good, &rules), 0);
	assert_string_equal(rules->path, good);
	assert_string_equal(rules__class_for(rules, "&abc"), "a");
	rules__free(rules);

	rules = sentinel;
	assert_int_equal(rules__load(bad, &rules), -EINVAL);
	assert_ptr_equal(rules, sentinel);
	{
		char expected[PATH_MAX + 128];

		snprintf(expected, sizeof(expected),
			 "%s:3:9: unknown class 'b': expected a class defined under classes: or "
			 "fs_reclaim",
			 bad);
		assert_string_equal(last_error, expected);
	}

	assert_int_equal(rules__load("/nonexistent/rules.yaml", &rules), -ENOENT);
	assert_ptr_equal(rules, sentinel);
	assert_string_equal(last_error, "/nonexistent/rules.yaml: No such file or directory");
	assert_int_equal(rules__load(dir, &rules), -EISDIR);
	assert_ptr_equal(rules, sentinel);

	unlink(good);
	unlink(bad);
	rmdir(dir);
}

static void test_load_all_merges(void **state)
{
	char dir[] = "/tmp/lockdepd-rules-XXXXXX";
	char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX];
	struct rules *rules = NULL;

	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/a.yaml", dir);
	snprintf(b, sizeof(b), "%s/b.yaml", dir);
	snprintf(c, sizeof(c), "%s/c.yaml", dir);
	write_file(a, "classes:\n  - {name: x, match: [\"&x\"]}\norder: [x, fs_reclaim]\n");
	write_file(b, "classes:\n  - {name: y, match: [\"&y\"]}\ntaint_reclaim: [y]\n");
	write_file(c, "classes:\n  - {name: x}\n");

	assert_int_equal(rules_load_all((char *[]){ a, b }, 2, &rules), 0);
	assert_string_equal(rules__class_for(rules, "&x"), "x");
	assert_string_equal(rules__class_for(rules, "&y"), "y");
	assert_true(rules__is_reclaim_tainted(rules, "y"));
	assert_int_equal(rules__order_index(rules, "fs_reclaim"), 1);
	rules__free(rules);

	rules = NULL;
	assert_int_equal(rules_load_all((char *[]){ a, c }, 2, &rules), -EINVAL);
	assert_null(rules);

	/* A file may name the classes of the files before it, not of those after. */
	write_file(c, "allow_nesting: [x]\nlock_args:\n"
		      "  - {function: f, arg: 1, member: m->x, class: y, at: entry}\n");
	assert_int_equal(rules_load_all((char *[]){ a, b, c }, 3, &rules), 0);
	assert_true(rules__allows_nesting(rules, "x"));
	assert_int_equal(rules->nr_lock_args, 1);
	assert_string_equal(rules->lock_args[0].class_name, "y");
	rules__free(rules);
	rules = NULL;
	assert_int_equal(rules_load_all((char *[]){ c, a, b }, 3, &rules), -EINVAL);
	assert_null(rules);

	unlink(a);
	unlink(b);
	unlink(c);
	rmdir(dir);
}

/* --- questions of loaded rules ------------------------------------------------ */

static void test_globs(void **state)
{
	struct rules *rules =
		load_ok("classes:\n"
			"  - {name: gt, match: [\"&gt->*.lock\", \"&uc->[ab]_mutex\"]}\n"
			"  - {name: exact, match: [\"&vm->mutex\"]}\n"
			"  - {name: q, match: [\"lock_?\"]}\n");

	assert_string_equal(rules__class_for(rules, "&gt->irq.lock"), "gt");
	assert_string_equal(rules__class_for(rules, "&gt->a/b.lock"), "gt");
	assert_string_equal(rules__class_for(rules, "&uc->a_mutex"), "gt");
	assert_null(rules__class_for(rules, "&uc->c_mutex"));
	assert_string_equal(rules__class_for(rules, "&vm->mutex"), "exact");
	assert_null(rules__class_for(rules, "&vm->mutex/1"));
	assert_null(rules__class_for(rules, "x&vm->mutex"));
	assert_string_equal(rules__class_for(rules, "lock_1"), "q");
	assert_null(rules__class_for(rules, "lock_12"));
	assert_null(rules__class_for(NULL, "lock_1"));
	assert_null(rules__class_for(rules, NULL));
	rules__free(rules);
}

static void test_suppression_matching(void **state)
{
	struct rules *rules =
		load_ok("classes:\n"
			"  - {name: a}\n  - {name: b}\n  - {name: c}\n"
			"suppress:\n"
			"  - {kind: circular, classes: [a, b], reason: ab}\n"
			"  - {classes: [c], reason: any kind}\n"
			"  - {kind: reclaim, classes: [fs_reclaim, a, c], reason: rc}\n");
	const char *ab[] = { "a", "b" }, *ba[] = { "b", "a" }, *abc[] = { "a", "b", "c" };
	const char *c[] = { "c" }, *a[] = { "a" }, *rc[] = { "c", "fs_reclaim", "a" };
	const struct rules_suppress *s;

	s = rules__suppression_for(rules, FINDING_CIRCULAR, ab, 2);
	assert_non_null(s);
	assert_string_equal(s->reason, "ab");
	/* A set: the cycle may start anywhere. */
	assert_ptr_equal(rules__suppression_for(rules, FINDING_CIRCULAR, ba, 2), s);
	assert_null(rules__suppression_for(rules, FINDING_ORDER, ab, 2));
	assert_null(rules__suppression_for(rules, FINDING_CIRCULAR, abc, 3));
	assert_null(rules__suppression_for(rules, FINDING_CIRCULAR, a, 1));

	for (int kind = 0; kind < FINDING_KIND_MAX; kind++) {
		s = rules__suppression_for(rules, kind, c, 1);
		assert_non_null(s);
		assert_string_equal(s->reason, "any kind");
	}
	s = rules__suppression_for(rules, FINDING_RECLAIM, rc, 3);
	assert_non_null(s);
	assert_string_equal(s->reason, "rc");
	assert_null(rules__suppression_for(rules, FINDING_CIRCULAR, rc, 3));
	assert_null(rules__suppression_for(NULL, FINDING_CIRCULAR, ab, 2));
	rules__free(rules);
}

static void test_alerts(void **state)
{
	struct rules *rules = load_ok("classes:\n  - {name: vm->mutex}\n"
				      "alerts:\n"
				      "  - kinds: [circular, reclaim, order]\n"
				      "    classes: [vm->mutex, fs_reclaim]\n"
				      "    actions: [journal, kmsg, json]\n"
				      "    exec: \"/usr/local/bin/notify-ci --machine x\"\n"
				      "    exec_timeout: 30\n"
				      "    rate_limit: 10/min\n"
				      "  - {actions: [kmsg], rate_limit: 1/s}\n"
				      "  - {exec: true, rate_limit: 1000000/hour}\n"
				      "  - {actions: [], exec: x}\n");
	const struct rules_alert *a = &rules->alerts[0];

	assert_int_equal(rules->nr_alerts, 4);
	assert_int_equal(a->kinds,
			 1u << FINDING_CIRCULAR | 1u << FINDING_RECLAIM | 1u << FINDING_ORDER);
	assert_int_equal(a->nr_classes, 2);
	assert_string_equal(a->classes[0], "vm->mutex");
	assert_string_equal(a->classes[1], "fs_reclaim");
	assert_int_equal(a->actions, RULES_ALERT_JOURNAL | RULES_ALERT_KMSG | RULES_ALERT_JSON);
	assert_string_equal(a->exec, "/usr/local/bin/notify-ci --machine x");
	assert_int_equal(a->exec_timeout, 30);
	assert_int_equal(a->rate_count, 10);
	assert_int_equal(a->rate_period, 60);
	assert_string_equal(a->file, "t.yaml");

	a = &rules->alerts[1];
	assert_int_equal(a->kinds, (1u << FINDING_KIND_MAX) - 1);
	assert_int_equal(a->nr_classes, 0);
	assert_int_equal(a->actions, RULES_ALERT_KMSG);
	assert_null(a->exec);
	assert_int_equal(a->exec_timeout, RULES_ALERT_EXEC_TIMEOUT_DEFAULT);
	assert_int_equal(a->rate_count, 1);
	assert_int_equal(a->rate_period, 1);

	a = &rules->alerts[2];
	assert_int_equal(a->actions, 0);
	assert_string_equal(a->exec, "true");
	assert_int_equal(a->rate_count, 1000000);
	assert_int_equal(a->rate_period, 3600);
	assert_int_equal(rules->alerts[3].rate_count, 0);
	rules__free(rules);
}

static void test_alerts_merge(void **state)
{
	char dir[] = "/tmp/lockdepd-rules-XXXXXX";
	char a[PATH_MAX], b[PATH_MAX];
	struct rules *rules = NULL;

	assert_non_null(mkdtemp(dir));
	snprintf(a, sizeof(a), "%s/a.yaml", dir);
	snprintf(b, sizeof(b), "%s/b.yaml", dir);
	write_file(a, "alerts:\n  - {actions: [kmsg]}\n");
	write_file(b, "alerts:\n  - {exec: x}\n  - {actions: [json]}\n");

	assert_int_equal(rules_load_all((char *[]){ a, b }, 2, &rules), 0);
	assert_int_equal(rules->nr_alerts, 3);
	/* Each alert remembers its own file: exec safety is checked per file. */
	assert_string_equal(rules->alerts[0].file, a);
	assert_string_equal(rules->alerts[1].file, b);
	assert_string_equal(rules->alerts[1].exec, "x");
	assert_int_equal(rules->alerts[2].actions, RULES_ALERT_JSON);
	rules__free(rules);
	unlink(a);
	unlink(b);
	rmdir(dir);
}

static void test_kernel_annotations(void **state)
{
	struct rules *rules = load_ok(
		"novalidate:\n"
		"  - {name: \"&dev->mutex\", site: device_initialize}\n"
		"nested:\n"
		"  - {caller: filename_create, lock: i_rwsem, type: rwsem_write, subclass: 1}\n"
		"  - {caller: lock_two_nondirectories, lock: i_rwsem, type: rwsem, subclass: any}\n"
		"  - {caller: f, lock: \"*\", type: mutex, subclass: 2}\n");

	assert_true(rules__is_novalidate(rules, "&dev->mutex", "device_initialize"));
	assert_false(rules__is_novalidate(rules, "&dev->mutex", "drm_dev_init"));
	assert_false(rules__is_novalidate(rules, "&dev->struct_mutex", "device_initialize"));
	assert_false(rules__is_novalidate(NULL, "&dev->mutex", "device_initialize"));

	/* The member a class name ends in, past its #N and /N. */
	assert_true(rules__has_nested(rules, "&inode->i_rwsem"));
	assert_true(rules__has_nested(rules, "&inode->i_rwsem#2/1"));
	assert_true(rules__has_nested(rules, "vm->mutex")); /* the "*" rule */
	assert_int_equal(rules__nested_subclass(rules, "&inode->i_rwsem", LD_LOCK_RWSEM_WRITE,
						"filename_create"),
			 1);
	assert_int_equal(rules__nested_subclass(rules, "&inode->i_rwsem", LD_LOCK_RWSEM_READ,
						"filename_create"),
			 0);
	assert_int_equal(
		rules__nested_subclass(rules, "&inode->i_rwsem", LD_LOCK_RWSEM_WRITE, "vfs_unlink"),
		0);
	assert_int_equal(rules__nested_subclass(rules, "&sb->i_rwsem_x", LD_LOCK_RWSEM_WRITE,
						"filename_create"),
			 0);
	assert_int_equal(rules__nested_subclass(rules, "&inode->i_rwsem", LD_LOCK_RWSEM_READ,
						"lock_two_nondirectories"),
			 RULES_SUBCLASS_ANY);
	assert_int_equal(rules__nested_subclass(rules, "console_mutex", LD_LOCK_MUTEX, "f"), 2);
	assert_int_equal(rules__nested_subclass(rules, "console_mutex", LD_LOCK_MUTEX, NULL), 0);
	rules__free(rules);
}

static void test_default_rules(void **state)
{
	char *paths[] = { "rules/i915.yaml" };
	struct rules *rules = NULL;

	/* Built in: they load from any directory, and merge with the files given. */
	assert_int_equal(rules_load_with_defaults(NULL, 0, true, &rules), 0);
	assert_non_null(rules);
	assert_true(rules__is_novalidate(rules, "&dev->mutex", "device_initialize"));
	assert_int_equal(rules__nested_subclass(rules, "&inode->i_rwsem", LD_LOCK_RWSEM_WRITE,
						"filename_create"),
			 1);
	/* A keyed class ("#ext4") is still a class of member i_rwsem. */
	assert_int_equal(rules__nested_subclass(rules, "&inode->i_rwsem#ext4", LD_LOCK_RWSEM_WRITE,
						"filename_create"),
			 1);
	/* rules/kernel-hand.yaml: the classes its run-time keys refine. */
	assert_int_equal(rules->nr_classes, 3);
	assert_non_null(rules__class_for(rules, "&inode->i_rwsem"));
	assert_non_null(rules__class_for(rules, "&mapping->invalidate_lock"));
	assert_int_equal(rules->nr_lock_args, 5);
	assert_string_equal(rules->lock_args[4].function, "d_instantiate_new");
	assert_int_equal(rules->lock_args[4].arg, 2);
	assert_string_equal(rules->lock_args[4].when_member, "i_mode");
	assert_string_equal(rules->lock_args[0].function, "inode_init_always");
	assert_string_equal(rules->lock_args[0].key, "i_sb->s_type->name");
	rules__free(rules);

	rules = NULL;
	assert_int_equal(rules_load_with_defaults(paths, 1, true, &rules), 0);
	assert_true(rules__is_novalidate(rules, "&dev->mutex", "device_initialize"));
	assert_non_null(rules__class_for(rules, "&vm->mutex"));
	rules__free(rules);

	rules = NULL;
	assert_int_equal(rules_load_with_defaults(paths, 1, false, &rules), 0);
	assert_false(rules__is_novalidate(rules, "&dev->mutex", "device_initialize"));
	assert_non_null(rules__class_for(rules, "&vm->mutex"));
	rules__free(rules);
}

static void test_free_null(void **state)
{
	rules__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_i915_rules_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_section, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_args_at_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_args_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sections_in_any_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aliases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_all_merges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_globs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_suppression_matching, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alerts_merge, setup, teardown),
		cmocka_unit_test(test_kernel_annotations),
		cmocka_unit_test(test_default_rules),
		cmocka_unit_test(test_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
