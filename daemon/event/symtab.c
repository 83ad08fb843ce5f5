// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The symbol table: an open-addressing hash map from address to name, a
 * second one from name to address (so interning is stable and a name read
 * from a binary trace is found again by the text parser), and optionally a
 * sorted copy of kallsyms that answers for addresses nobody named yet.
 *
 * Names are copied into a string pool of large chunks: a trace names tens of
 * thousands of addresses and a malloc each would dominate loading.
 *
 * kallsyms naming rules (what `%pS` and lockdep print):
 *  - an address exactly at a data symbol (d D b B r R ...) is that symbol,
 *    bare, because a static lock's class is named by its symbol;
 *  - an address inside code (t T w W) is "func+0xoff/0xlen", len being the
 *    distance to the next symbol, and " [module]" follows for module code;
 *  - anything else (heap, an address past the last symbol, inside data) has
 *    no name: a heap lock must not be named after the percpu symbol that
 *    happens to sit below it.
 * Lookups through kallsyms are cached, misses too, since live capture asks
 * for the same lock addresses over and over.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/array.h"
#include "lib/hashmap.h"
#include "lib/log.h"
#include "event/symtab.h"

#define SYNTHETIC_SLOTS	  (1u << 20) /* 8 MiB of synthetic range, 8 bytes apart */
#define SYNTHETIC_STRIDE  8
#define KALLSYMS_LINE_MAX 1024

/* A name, interned once: the first address it was given, then its bytes. */
struct name_entry {
	__u64 addr;
	char name[];
};

struct ksym {
	__u64 addr;
	const char *name;
	const char *module; /* NULL for the kernel image */
	unsigned int seq; /* file order, to break ties between aliases */
	char type;
};

struct symtab {
	struct arena pool; /* names, and kallsyms' names and modules */
	/* addr -> the pooled name, or &cached_miss; address 0 lives outside. */
	struct hmap by_addr;
	const char *zero_name; /* the name of address 0, if anyone gave it one */
	/* hash_string(name) -> struct name_entry * */
	struct hmap by_name;

	struct ksym *ksyms;
	size_t nr_ksyms;
};

/* An address kallsyms was asked about and does not name. */
static const char cached_miss[] = "";

static const char *pool_strdup(struct symtab *symtab, const char *s)
{
	return arena_strdup(&symtab->pool, s);
}

int symtab__new(struct symtab **ret)
{
	struct symtab *symtab = calloc(1, sizeof(*symtab));

	if (!symtab)
		return -ENOMEM;
	*ret = symtab;
	return 0;
}

void symtab__free(struct symtab *symtab)
{
	if (!symtab)
		return;
	arena_free(&symtab->pool);
	hmap_free(&symtab->by_addr);
	hmap_free(&symtab->by_name);
	free(symtab->ksyms);
	free(symtab);
}

/* --- address map ------------------------------------------------------- */

/* The name of addr (NULL: a cached miss) in *ret_name; false if never asked. */
static bool addr_get(const struct symtab *symtab, __u64 addr, const char **ret_name)
{
	struct hmap_slot *slot = hmap_find(&symtab->by_addr, addr, NULL, NULL);
	const char *name;

	if (!slot)
		return false;
	name = (const char *)(uintptr_t)slot->value;
	*ret_name = name == cached_miss ? NULL : name;
	return true;
}

/* Sets the name of addr (NULL: a cached miss). name must be pooled. */
static int addr_set(struct symtab *symtab, __u64 addr, const char *name)
{
	__u64 value = (uintptr_t)(name ? name : cached_miss);
	struct hmap_slot *slot;

	if (addr == 0) {
		symtab->zero_name = name;
		return 0;
	}
	slot = hmap_find(&symtab->by_addr, addr, NULL, NULL);
	if (slot) {
		slot->value = value;
		return 0;
	}
	return hmap_insert(&symtab->by_addr, addr, value);
}

/* --- name map ---------------------------------------------------------- */

static bool name_entry_eq(__u64 value, const void *wanted)
{
	return strcmp(((const struct name_entry *)(uintptr_t)value)->name, wanted) == 0;
}

static struct name_entry *name_find(const struct symtab *symtab, const char *name, __u64 hash)
{
	struct hmap_slot *slot = hmap_find(&symtab->by_name, hash, name_entry_eq, name);

	return slot ? (struct name_entry *)(uintptr_t)slot->value : NULL;
}

/* The name's entry, made (with addr as its first address) if it is new. */
static struct name_entry *name_enter(struct symtab *symtab, const char *name, __u64 hash,
				     __u64 addr)
{
	struct name_entry *entry = name_find(symtab, name, hash);
	size_t len = strlen(name) + 1;

	if (entry)
		return entry;
	entry = arena_alloc(&symtab->pool, sizeof(*entry) + len);
	if (!entry)
		return NULL;
	entry->addr = addr;
	memcpy(entry->name, name, len);
	if (hmap_insert(&symtab->by_name, hash, (uintptr_t)entry))
		return NULL;
	return entry;
}

/* --- public map API ---------------------------------------------------- */

int symtab__add(struct symtab *symtab, __u64 addr, const char *name)
{
	struct name_entry *entry = name_enter(symtab, name, hash_string(name), addr);

	if (!entry)
		return -ENOMEM;
	return addr_set(symtab, addr, entry->name);
}

static bool addr_in_use(const struct symtab *symtab, __u64 addr)
{
	const char *name;

	return addr_get(symtab, addr, &name) && name;
}

__u64 symtab__intern(struct symtab *symtab, const char *name)
{
	__u64 hash = hash_string(name);
	struct name_entry *known = name_find(symtab, name, hash);
	__u64 slot;

	/* A name whose address was renamed since is interned afresh. */
	if (known && symtab__lookup(symtab, known->addr) == known->name)
		return known->addr;
	/*
	 * Derive the address from the name so that the same name tends to get
	 * the same address in different symtabs too (merged traces agree);
	 * probe past addresses other names already took.
	 */
	slot = hash % SYNTHETIC_SLOTS;
	for (size_t tries = 0; tries < SYNTHETIC_SLOTS; tries++) {
		__u64 addr = SYMTAB_SYNTHETIC_BASE + slot * SYNTHETIC_STRIDE;

		if (addr_in_use(symtab, addr)) {
			slot = (slot + 1) % SYNTHETIC_SLOTS;
			continue;
		}
		if (symtab__add(symtab, addr, name))
			return 0;
		if (known)
			known->addr = addr;
		return addr;
	}
	return 0;
}

/* --- kallsyms ---------------------------------------------------------- */

static bool ksym_is_code(char type)
{
	return type == 't' || type == 'T' || type == 'w' || type == 'W';
}

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Index of the first symbol whose address is > addr. */
static size_t ksym_upper_bound(const struct symtab *symtab, __u64 addr)
{
	size_t lo = 0, hi = symtab->nr_ksyms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (symtab->ksyms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Formats the kallsyms name of addr into buf; false when it has none. */
static bool ksym_resolve(const struct symtab *symtab, __u64 addr, char *buf, size_t len)
{
	size_t after = ksym_upper_bound(symtab, addr);
	size_t first;
	const struct ksym *sym;
	__u64 size;

	if (after == 0 || after == symtab->nr_ksyms)
		return false;
	/* The first symbol of the run of symbols at the containing address. */
	first = after - 1;
	while (first > 0 && symtab->ksyms[first - 1].addr == symtab->ksyms[after - 1].addr)
		first--;
	if (symtab->ksyms[first].addr == addr) {
		for (size_t i = first; i < after; i++) {
			if (!ksym_is_code(symtab->ksyms[i].type)) {
				snprintf(buf, len, "%s", symtab->ksyms[i].name);
				return true;
			}
		}
	}
	sym = &symtab->ksyms[first];
	if (!ksym_is_code(sym->type))
		return false;
	size = symtab->ksyms[after].addr - sym->addr;
	if (sym->module)
		snprintf(buf, len, "%s+0x%llx/0x%llx [%s]", sym->name,
			 (unsigned long long)(addr - sym->addr), (unsigned long long)size,
			 sym->module);
	else
		snprintf(buf, len, "%s+0x%llx/0x%llx", sym->name,
			 (unsigned long long)(addr - sym->addr), (unsigned long long)size);
	return true;
}

static int ksyms_append(struct symtab *symtab, size_t *capacity, const struct ksym *sym)
{
	if (array_reserve(&symtab->ksyms, capacity, symtab->nr_ksyms + 1))
		return -ENOMEM;
	symtab->ksyms[symtab->nr_ksyms++] = *sym;
	return 0;
}

/* One "ffffffff81000000 T _stext [module]" line; 1 if kept, 0 if skipped. */
static int ksyms_parse_line(struct symtab *symtab, size_t *capacity, char *line, const char *path,
			    unsigned int lineno)
{
	char *end, *type, *name, *module;
	struct ksym sym = { 0 };
	int err;

	sym.addr = strtoull(line, &end, 16);
	if (end == line || (*end != ' ' && *end != '\t'))
		return log_error_errno(-EINVAL, "%s:%u: expected 'ADDRESS TYPE NAME [MODULE]'",
				       path, lineno);
	type = strtok(end, " \t\n");
	name = strtok(NULL, " \t\n");
	module = strtok(NULL, " \t\n");
	if (!type || !name || type[1])
		return log_error_errno(-EINVAL, "%s:%u: expected 'ADDRESS TYPE NAME [MODULE]'",
				       path, lineno);
	/* Absolute and undefined symbols are not places in the kernel. */
	if (*type == 'a' || *type == 'A' || *type == 'U' || *type == 'u' || sym.addr == 0)
		return 0;
	sym.type = *type;
	sym.seq = (unsigned int)symtab->nr_ksyms;
	sym.name = pool_strdup(symtab, name);
	if (!sym.name)
		return -ENOMEM;
	if (module) {
		size_t mlen = strlen(module);

		if (module[0] == '[' && mlen > 2 && module[mlen - 1] == ']')
			module[mlen - 1] = '\0', module++;
		sym.module = pool_strdup(symtab, module);
		if (!sym.module)
			return -ENOMEM;
	}
	err = ksyms_append(symtab, capacity, &sym);
	return err ? err : 1;
}

int symtab__load_kallsyms(struct symtab *symtab, const char *path)
{
	char line[KALLSYMS_LINE_MAX];
	size_t capacity = symtab->nr_ksyms, before = symtab->nr_ksyms;
	unsigned int lineno = 0, lines = 0;
	FILE *f;
	int err = 0;

	f = fopen(path, "re");
	if (!f)
		return log_error_errno(-errno, "%s: %m", path);
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (line[0] == '\n' || line[0] == '\0')
			continue;
		lines++;
		err = ksyms_parse_line(symtab, &capacity, line, path, lineno);
		if (err < 0)
			goto cleanup;
	}
	err = 0;
	if (ferror(f)) {
		err = log_error_errno(-EIO, "%s: read error", path);
		goto cleanup;
	}
	if (lines > 0 && symtab->nr_ksyms == before) {
		err = log_error_errno(
			-EPERM, "%s: every address is zero (kptr_restrict hides them; run as root)",
			path);
		goto cleanup;
	}
	qsort(symtab->ksyms, symtab->nr_ksyms, sizeof(*symtab->ksyms), ksym_cmp);
cleanup:
	/* All or nothing: a half-read file would name addresses wrongly. */
	if (err)
		symtab->nr_ksyms = before;
	fclose(f);
	return err;
}

const char *symtab__lookup(struct symtab *symtab, __u64 addr)
{
	char buf[KALLSYMS_LINE_MAX];
	const char *pooled = NULL;

	if (addr == 0)
		return symtab->zero_name;
	if (addr_get(symtab, addr, &pooled))
		return pooled;
	if (!symtab->nr_ksyms)
		return NULL;
	if (ksym_resolve(symtab, addr, buf, sizeof(buf))) {
		pooled = pool_strdup(symtab, buf);
		if (!pooled)
			return NULL;
	}
	/* Caching is best effort: without memory we just resolve again later. */
	addr_set(symtab, addr, pooled);
	return pooled;
}

/* --- iteration and helpers --------------------------------------------- */

struct named_addr {
	__u64 addr;
	const char *name;
};

static int named_addr_cmp(const void *a, const void *b)
{
	const struct named_addr *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int symtab__for_each(struct symtab *symtab, symtab_visit_fn fn, void *ctx)
{
	const struct hmap *map = &symtab->by_addr;
	struct named_addr *sorted;
	size_t n = 0;
	int err = 0;

	sorted = malloc((map->count + 1) * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	if (symtab->zero_name)
		sorted[n++] = (struct named_addr){ 0, symtab->zero_name };
	for (size_t i = 0; map->slots && i <= map->mask; i++) {
		const char *name = (const char *)(uintptr_t)map->slots[i].value;

		if (name && name != cached_miss)
			sorted[n++] = (struct named_addr){ map->slots[i].key, name };
	}
	qsort(sorted, n, sizeof(*sorted), named_addr_cmp);
	for (size_t i = 0; i < n && !err; i++)
		err = fn(sorted[i].addr, sorted[i].name, ctx);
	free(sorted);
	return err;
}

int symbol_function_name(const char *name, char *buf, size_t len)
{
	size_t n = strcspn(name, "+ ");

	if (n >= len)
		return -ENOSPC;
	memcpy(buf, name, n);
	buf[n] = '\0';
	return (int)n;
}
