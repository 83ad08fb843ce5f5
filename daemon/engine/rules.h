/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Rule files (YAML, parsed with libyaml): lock class names, reclaim taints,
 * the documented lock hierarchy, nesting allowances and suppressions. The
 * engine reads the loaded rules; nothing here knows about events.
 *
 *   classes:
 *     - name: vm->mutex
 *       match: ["&vm->mutex"]            # init names or static symbols, globs allowed
 *   taint_reclaim: [vm->mutex]
 *   order: [dma_resv, vm->mutex, obj->vma_lock]
 *   allow_nesting: []
 *   suppress:
 *     - {kind: circular, classes: [A, B], reason: "tracked upstream"}
 *   alerts:
 *     - {kinds: [circular], classes: [vm->mutex], actions: [journal, kmsg],
 *        exec: "/usr/local/bin/notify-ci", exec_timeout: 10, rate_limit: 10/min}
 *
 * Unknown keys are errors: a typo must not silently disable a rule.
 */
#ifndef LOCKDEPD_RULES_H
#define LOCKDEPD_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/finding.h"

struct rules_class {
	char *name;
	char **match;
	size_t nr_match;
};

struct rules_suppress {
	int kind; /* enum finding_kind, or -1 for any */
	char **classes; /* the finding's classes, as a set */
	size_t nr_classes;
	char *reason;
};

/*
 * Naming a lock from a function argument through BTF, for locks whose init
 * says too little (lockdep subclasses) or was never seen (a driver loaded
 * before lockdepd): argument `arg` (1-based) of `function` points to a
 * struct (`type`, when given, must be the one BTF says it is) and
 * `member`, a path of "." and "->" steps from it, is a lock of class
 * `class_name`; a path ending at a pointer means the lock it points to.
 * `subclass_arg`, when non-zero, is the argument holding lockdep's
 * subclass (the class becomes "class_name/N" for N > 0).
 *
 * At the function's return (the default) the rule is an init: the
 * function initialised the lock. At its entry (`at: entry`) it names only
 * a lock that no init named, since any other function only uses the lock.
 *
 * `key`, a member path from the same argument to a string, is a run-time
 * class key (lockdep_set_class()): the string read there when the rule
 * fires refines the class to "class_name#string", as lockdep keys an
 * inode's i_rwsem by its filesystem type (key: i_sb->s_type->name).
 * `when`, a member path from the argument to an integer, a mask and a
 * value, makes the rule fire only when (integer & mask) == value: a
 * directory's inode (when: {member: i_mode, mask: 0xf000, equals: 0x4000}).
 *
 *   lock_args:
 *     - {function: i915_address_space_init, arg: 1, type: i915_address_space,
 *        member: mutex, class: vm->mutex, subclass_arg: 2}
 *     - {function: i915_vma_unbind, arg: 1, member: vm->mutex, class: vm->mutex,
 *        at: entry}
 */
struct rules_lock_arg {
	char *function;
	unsigned int arg;
	char *type;
	char *member;
	char *class_name;
	unsigned int subclass_arg;
	bool at_entry;
	char *key; /* a member path to a string, or NULL */
	char *when_member; /* a member path to an integer, or NULL */
	unsigned long long when_mask;
	unsigned long long when_equals;
};

/*
 * Lockdep annotations that a production kernel compiles away. The kernel's
 * own are in rules/kernel.yaml, generated from its source and loaded by
 * default (rules_load_defaults()).
 *
 *   novalidate:    # lockdep_set_novalidate_class(): lockdep never validates it
 *     - {name: "&dev->mutex", site: device_initialize}
 *   nested:        # a _nested() call's subclass, known only by its caller now
 *     - {caller: filename_create, lock: i_rwsem, type: rwsem_write, subclass: 1}
 *     - {caller: lock_two_nondirectories, lock: i_rwsem, type: rwsem_write,
 *        subclass: any}
 *
 * novalidate names a lock by its init name (a glob) and the function that
 * inits it: such a lock is held like any other, but no dependency ever
 * starts or ends at it, and it is never recursion, as in lockdep.
 * nested: a lock whose class ends in member `lock` ("&inode->i_rwsem" ends
 * in i_rwsem; "*" is any), taken as `type` (mutex, rwsem_read, rwsem_write,
 * rwsem for both) by function `caller`, is lockdep subclass N: class
 * "<class>/N". `any` says the caller nests such locks on purpose in ways
 * a call site cannot tell apart (several subclasses, one computed at run
 * time, a nest_lock): they may nest in their own class there.
 */
struct rules_novalidate {
	char *name; /* init name, a glob */
	char *site; /* the function that inits the lock */
};

#define RULES_SUBCLASS_ANY (-1)

struct rules_nested {
	char *caller;
	char *lock; /* the last member of the class name, or "*" */
	unsigned int lock_types; /* 1u << enum ld_lock_type */
	int subclass; /* 1..7, or RULES_SUBCLASS_ANY */
};

/* rules_alert.actions */
#define RULES_ALERT_JOURNAL (1u << 0) /* a structured journal entry */
#define RULES_ALERT_KMSG    (1u << 1) /* one KERN_WARNING line in the kernel log */
#define RULES_ALERT_JSON    (1u << 2) /* a JSON line appended to the alerts file */

#define RULES_ALERT_EXEC_TIMEOUT_DEFAULT 10 /* seconds */

/*
 * Where the service sends a new finding (suppressed ones never alert). A
 * finding alerts through every rule it matches: its kind is in `kinds`
 * and, when `classes` is not empty, one of its classes is listed there.
 */
struct rules_alert {
	unsigned int kinds; /* 1u << enum finding_kind; every kind when the key is absent */
	char **classes; /* none: any finding */
	size_t nr_classes;
	unsigned int actions; /* RULES_ALERT_* */
	char *exec; /* a /bin/sh command line run with the finding on stdin, or NULL */
	unsigned int exec_timeout; /* seconds before the command is killed */
	unsigned int rate_count; /* at most rate_count alerts per rate_period; 0: no limit */
	unsigned int rate_period; /* seconds */
	char *file; /* the rules file it comes from: exec rules are checked against it */
};

struct rules {
	char *path;
	struct rules_class *classes;
	size_t nr_classes;
	char **taint_reclaim;
	size_t nr_taint_reclaim;
	char **order; /* outermost first; may contain "fs_reclaim" */
	size_t nr_order;
	char **allow_nesting;
	size_t nr_allow_nesting;
	struct rules_suppress *suppress;
	size_t nr_suppress;
	struct rules_lock_arg *lock_args;
	size_t nr_lock_args;
	struct rules_novalidate *novalidate;
	size_t nr_novalidate;
	struct rules_nested *nested;
	size_t nr_nested;
	struct rules_alert *alerts;
	size_t nr_alerts;
};

/*
 * Loads and validates a rules file. On error logs one line
 * "path:line:column: what was expected" and returns -EINVAL (or -errno for
 * I/O), leaving *ret_rules untouched.
 */
int rules__load(const char *path, struct rules **ret_rules);
/* The same from memory; `name` stands for the path in messages. */
int rules__load_buffer(const char *name, const char *buf, size_t len, struct rules **ret_rules);
/*
 * rules__load() of a file that comes after `earlier` (the files before it,
 * merged; NULL for none): its class references may also name their classes.
 */
int rules__load_after(const char *path, const struct rules *earlier, struct rules **ret_rules);
int rules__load_buffer_after(const char *name, const char *buf, size_t len,
			     const struct rules *earlier, struct rules **ret_rules);
void rules__free(struct rules *rules);
/* Moves everything of `more` into `rules`; a class defined twice is an error. */
int rules__merge(struct rules *rules, struct rules *more);
/* Loads several files into one set (NULL when nr_paths is 0). */
int rules_load_all(char **paths, size_t nr_paths, struct rules **ret_rules);
/*
 * What `report`, `run` and `merge` judge with: the default rules
 * (rules/kernel.yaml, generated, and rules/kernel-hand.yaml, both built
 * into the binary) and then each file after them, or with
 * defaults false (--no-default-rules) the files alone, as rules_load_all().
 */
int rules_load_with_defaults(char **paths, size_t nr_paths, bool defaults,
			     struct rules **ret_rules);
/* The name messages give the built-in rules. */
#define RULES_DEFAULT_NAME	"rules/kernel.yaml (built in)"
#define RULES_DEFAULT_HAND_NAME "rules/kernel-hand.yaml (built in)"

/* The canonical class for a lock name or static symbol, or NULL. */
const char *rules__class_for(const struct rules *rules, const char *lock_name);
/*
 * Whether a lock_args rule refines class_name by a run-time key: its init
 * name alone then does not say which class a lock is.
 */
bool rules__class_is_keyed(const struct rules *rules, const char *class_name);
/* Position of a class in the declared order, or -1. */
int rules__order_index(const struct rules *rules, const char *class_name);
bool rules__allows_nesting(const struct rules *rules, const char *class_name);
bool rules__is_reclaim_tainted(const struct rules *rules, const char *class_name);
/* Whether the lock inited as init_name by function site is never validated. */
bool rules__is_novalidate(const struct rules *rules, const char *init_name, const char *site);
/* Whether any nested rule may apply to locks of this class. */
bool rules__has_nested(const struct rules *rules, const char *class_name);
/*
 * The subclass of an acquisition of class_name, as lock_type (enum
 * ld_lock_type), by function caller: 0 when no rule says, N, or
 * RULES_SUBCLASS_ANY.
 */
int rules__nested_subclass(const struct rules *rules, const char *class_name,
			   unsigned int lock_type, const char *caller);
/* The suppression matching a finding (kind and class set), or NULL. */
const struct rules_suppress *rules__suppression_for(const struct rules *rules, int kind,
						    const char *const *classes, size_t nr_classes);

#endif
