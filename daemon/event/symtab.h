/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Names for kernel addresses. Every address an event uses (lock, ip, site,
 * fn, stack frame) is named through one symtab:
 *  - a binary trace carries symbol records, added here as they are read;
 *  - a text trace names code by symbol ("mutex_lock+0x1c"): the text parser
 *    interns each distinct name at a synthetic address (symtab__intern), so
 *    the engine only ever sees addresses and text -> binary -> text is exact;
 *  - live capture resolves from /proc/kallsyms (modules included) on demand.
 * A name is what gets printed for that exact address: "func+0x1c/0x80",
 * "func+0x1c", "func", or a data symbol ("console_lock") for a static lock.
 */
#ifndef LOCKDEPD_SYMTAB_H
#define LOCKDEPD_SYMTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct symtab;

/* Synthetic addresses for interned names sit in this otherwise unused range. */
#define SYMTAB_SYNTHETIC_BASE 0xffffffffff800000ULL

/* 0 or -ENOMEM, *ret untouched on failure. */
int symtab__new(struct symtab **ret);
void symtab__free(struct symtab *symtab);

/* Records the name of one exact address (replacing an earlier one). 0 or -ENOMEM. */
int symtab__add(struct symtab *symtab, __u64 addr, const char *name);

/*
 * The name of an exact address, resolving through kallsyms when loaded and
 * caching the result; NULL when nothing names it. The string lives as long
 * as the symtab.
 */
const char *symtab__lookup(struct symtab *symtab, __u64 addr);

/* A stable address for a name: the same name gives the same address. 0 on ENOMEM. */
__u64 symtab__intern(struct symtab *symtab, const char *name);

/*
 * Loads a kallsyms-format file ("ffffffffc0a01000 t name [module]") so that
 * lookups of unknown addresses resolve to "func+0xoff/0xlen" for code and
 * to the exact symbol for data (static locks). Returns 0 or a negative errno
 * (logged with the path).
 */
int symtab__load_kallsyms(struct symtab *symtab, const char *path);

/* Visits every (address, name) pair recorded so far, in address order. */
typedef int (*symtab_visit_fn)(__u64 addr, const char *name, void *ctx);
int symtab__for_each(struct symtab *symtab, symtab_visit_fn fn, void *ctx);

/*
 * The function part of a name ("mutex_lock+0x1c/0x80" -> "mutex_lock") into
 * buf. Returns the length, or -ENOSPC.
 */
int symbol_function_name(const char *name, char *buf, size_t len);

#endif
