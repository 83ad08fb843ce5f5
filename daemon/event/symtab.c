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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "event/symtab.h"

#define POOL_CHUNK	  (64 * 1024)
#define MAP_MIN_CAPACITY  64
#define SYNTHETIC_SLOTS	  (1u << 20) /* 8 MiB of synthetic range, 8 bytes apart */
#define SYNTHETIC_STRIDE  8
#define KALLSYMS_LINE_MAX 1024

struct pool_chunk {
	struct pool_chunk *next;
	size_t used;
	size_t size;
	char data[];
};

/* addr -> name; name NULL is a cached kallsyms miss. addr 0 lives outside. */
struct addr_slot {
	__u64 addr;
	const char *name;
};

/* name -> addr, keyed by the pooled string. */
struct name_slot {
	const char *name;
	__u64 hash;
	__u64 addr;
};

struct ksym {
	__u64 addr;
	const char *name;
	const char *module; /* NULL for the kernel image */
	unsigned int seq; /* file order, to break ties between aliases */
	char type;
};

struct symtab {
	struct pool_chunk *pool;

	struct addr_slot *addrs;
	size_t addr_capacity; /* power of two */
	size_t addr_count;
	const char *zero_name; /* the name of address 0, if anyone gave it one */

	struct name_slot *names;
	size_t name_capacity;
	size_t name_count;

	struct ksym *ksyms;
	size_t nr_ksyms;
};

static __u64 hash_addr(__u64 addr)
{
	addr ^= addr >> 33;
	addr *= 0xff51afd7ed558ccdULL;
	addr ^= addr >> 33;
	addr *= 0xc4ceb9fe1a85ec53ULL;
	addr ^= addr >> 33;
	return addr;
}

static __u64 hash_name(const char *name)
{
	__u64 h = 0xcbf29ce484222325ULL;

	for (; *name; name++) {
		h ^= (unsigned char)*name;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static const char *pool_strdup(struct symtab *symtab, const char *s)
{
	size_t len = strlen(s) + 1;
	struct pool_chunk *chunk = symtab->pool;
	char *copy;

	if (!chunk || chunk->size - chunk->used < len) {
		size_t size = len > POOL_CHUNK ? len : POOL_CHUNK;

		chunk = malloc(sizeof(*chunk) + size);
		if (!chunk)
			return NULL;
		chunk->next = symtab->pool;
		chunk->used = 0;
		chunk->size = size;
		symtab->pool = chunk;
	}
	copy = chunk->data + chunk->used;
	memcpy(copy, s, len);
	chunk->used += len;
	return copy;
}

struct symtab *symtab__new(void)
{
	struct symtab *symtab = calloc(1, sizeof(*symtab));

	if (!symtab)
		errno = ENOMEM;
	return symtab;
}

void symtab__free(struct symtab *symtab)
{
	if (!symtab)
		return;
	while (symtab->pool) {
		struct pool_chunk *next = symtab->pool->next;

		free(symtab->pool);
		symtab->pool = next;
	}
	free(symtab->addrs);
	free(symtab->names);
	free(symtab->ksyms);
	free(symtab);
}

/* --- address map ------------------------------------------------------- */

static struct addr_slot *addr_find(const struct symtab *symtab, __u64 addr)
{
	size_t mask = symtab->addr_capacity - 1;

	if (!symtab->addr_capacity)
		return NULL;
	for (size_t i = hash_addr(addr) & mask;; i = (i + 1) & mask) {
		struct addr_slot *slot = &symtab->addrs[i];

		if (slot->addr == addr)
			return slot;
		if (slot->addr == 0)
			return NULL;
	}
}

static void addr_insert_new(struct addr_slot *slots, size_t capacity, __u64 addr, const char *name)
{
	size_t mask = capacity - 1;
	size_t i = hash_addr(addr) & mask;

	while (slots[i].addr != 0)
		i = (i + 1) & mask;
	slots[i].addr = addr;
	slots[i].name = name;
}

static int addr_grow(struct symtab *symtab)
{
	size_t capacity = symtab->addr_capacity ? symtab->addr_capacity * 2 : MAP_MIN_CAPACITY;
	struct addr_slot *slots = calloc(capacity, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < symtab->addr_capacity; i++)
		if (symtab->addrs[i].addr)
			addr_insert_new(slots, capacity, symtab->addrs[i].addr,
					symtab->addrs[i].name);
	free(symtab->addrs);
	symtab->addrs = slots;
	symtab->addr_capacity = capacity;
	return 0;
}

/* Sets the name of addr (NULL: a cached miss). name must be pooled. */
static int addr_set(struct symtab *symtab, __u64 addr, const char *name)
{
	struct addr_slot *slot;
	int err;

	if (addr == 0) {
		symtab->zero_name = name;
		return 0;
	}
	slot = addr_find(symtab, addr);
	if (slot) {
		slot->name = name;
		return 0;
	}
	/* Keep the load factor under 1/2 so probe chains stay short. */
	if ((symtab->addr_count + 1) * 2 > symtab->addr_capacity) {
		err = addr_grow(symtab);
		if (err)
			return err;
	}
	addr_insert_new(symtab->addrs, symtab->addr_capacity, addr, name);
	symtab->addr_count++;
	return 0;
}

/* --- name map ---------------------------------------------------------- */

static struct name_slot *name_find(const struct symtab *symtab, const char *name, __u64 hash)
{
	size_t mask = symtab->name_capacity - 1;

	if (!symtab->name_capacity)
		return NULL;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		struct name_slot *slot = &symtab->names[i];

		if (!slot->name)
			return NULL;
		if (slot->hash == hash && strcmp(slot->name, name) == 0)
			return slot;
	}
}

static void name_insert_new(struct name_slot *slots, size_t capacity, const struct name_slot *entry)
{
	size_t mask = capacity - 1;
	size_t i = entry->hash & mask;

	while (slots[i].name)
		i = (i + 1) & mask;
	slots[i] = *entry;
}

static int name_grow(struct symtab *symtab)
{
	size_t capacity = symtab->name_capacity ? symtab->name_capacity * 2 : MAP_MIN_CAPACITY;
	struct name_slot *slots = calloc(capacity, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < symtab->name_capacity; i++)
		if (symtab->names[i].name)
			name_insert_new(slots, capacity, &symtab->names[i]);
	free(symtab->names);
	symtab->names = slots;
	symtab->name_capacity = capacity;
	return 0;
}

/* Remembers the first address a name was given; later ones do not move it. */
static int name_remember(struct symtab *symtab, const char *pooled, __u64 hash, __u64 addr)
{
	struct name_slot entry = { .name = pooled, .hash = hash, .addr = addr };
	int err;

	if (name_find(symtab, pooled, hash))
		return 0;
	if ((symtab->name_count + 1) * 2 > symtab->name_capacity) {
		err = name_grow(symtab);
		if (err)
			return err;
	}
	name_insert_new(symtab->names, symtab->name_capacity, &entry);
	symtab->name_count++;
	return 0;
}

/* --- public map API ---------------------------------------------------- */

int symtab__add(struct symtab *symtab, __u64 addr, const char *name)
{
	__u64 hash = hash_name(name);
	struct name_slot *known = name_find(symtab, name, hash);
	const char *pooled = known ? known->name : pool_strdup(symtab, name);
	int err;

	if (!pooled)
		return -ENOMEM;
	err = addr_set(symtab, addr, pooled);
	if (err)
		return err;
	return name_remember(symtab, pooled, hash, addr);
}

static bool addr_in_use(const struct symtab *symtab, __u64 addr)
{
	struct addr_slot *slot = addr_find(symtab, addr);

	return slot && slot->name;
}

__u64 symtab__intern(struct symtab *symtab, const char *name)
{
	__u64 hash = hash_name(name);
	struct name_slot *known = name_find(symtab, name, hash);
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
	if (symtab->nr_ksyms == *capacity) {
		size_t grown = *capacity ? *capacity * 2 : 4096;
		struct ksym *ksyms = realloc(symtab->ksyms, grown * sizeof(*ksyms));

		if (!ksyms)
			return -ENOMEM;
		symtab->ksyms = ksyms;
		*capacity = grown;
	}
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
		return log_error_errno(-errno, "%s: %s", path, strerror(errno));
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
	struct addr_slot *slot;
	char buf[KALLSYMS_LINE_MAX];
	const char *pooled = NULL;

	if (addr == 0)
		return symtab->zero_name;
	slot = addr_find(symtab, addr);
	if (slot)
		return slot->name;
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

static int addr_slot_cmp(const void *a, const void *b)
{
	const struct addr_slot *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int symtab__for_each(struct symtab *symtab, symtab_visit_fn fn, void *ctx)
{
	struct addr_slot *sorted;
	size_t n = 0;
	int err = 0;

	sorted = malloc((symtab->addr_count + 1) * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	if (symtab->zero_name)
		sorted[n++] = (struct addr_slot){ 0, symtab->zero_name };
	for (size_t i = 0; i < symtab->addr_capacity; i++)
		if (symtab->addrs[i].addr && symtab->addrs[i].name)
			sorted[n++] = symtab->addrs[i];
	qsort(sorted, n, sizeof(*sorted), addr_slot_cmp);
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
