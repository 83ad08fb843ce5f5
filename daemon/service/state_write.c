// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Writing the saved graph's records (format in state.h), streamed straight
 * from the engine: no second copy of a graph that may have millions of
 * dependencies. Every string goes through json_write_string(), so a name
 * that is no UTF-8 is written as the array of its bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "engine/engine.h"
#include "engine/finding.h"
#include "event/event.h"
#include "event/symtab.h"
#include "lib/hashmap.h"
#include "lib/json.h"
#include "service/state.h"
#include "service/state_internal.h"

/*
 * A stack is written once, before the first dependency that uses it, and
 * referred to by number. The engine interns stacks, so the frames pointer
 * is the stack's identity: stack_ids maps it to its number.
 */
static __u32 stack_id(struct hmap *stack_ids, const __u64 *frames, bool *ret_new)
{
	__u64 key = (__u64)(uintptr_t)frames;
	struct hmap_slot *slot = hmap_find(stack_ids, key, NULL, NULL);
	__u32 id;

	if (slot) {
		*ret_new = false;
		return (__u32)slot->value;
	}
	id = (__u32)stack_ids->count + 1;
	if (hmap_insert(stack_ids, key, id))
		return 0;
	*ret_new = true;
	return id;
}

/* A code address by name ("func+0x1c/0x80"), or "0x..." when nothing names it. */
static void write_code_address(FILE *f, struct symtab *symtab, __u64 addr)
{
	const char *name = addr ? symtab__lookup(symtab, addr) : NULL;

	if (name && *name)
		json_write_string(f, name);
	else
		fprintf(f, "\"0x%llx\"", (unsigned long long)addr);
}

static int write_stack(FILE *f, struct hmap *stack_ids, struct symtab *symtab,
		       const struct lock_site *site, __u32 *ret_id)
{
	bool is_new = false;
	__u32 id;

	*ret_id = 0;
	if (!site->nr_stack)
		return 0;
	id = stack_id(stack_ids, site->stack, &is_new);
	if (!id)
		return -ENOMEM;
	if (is_new) {
		fprintf(f, "{\"stack\":%u,\"frames\":[", id);
		for (__u32 i = 0; i < site->nr_stack; i++) {
			if (i)
				fputc(',', f);
			write_code_address(f, symtab, site->stack[i]);
		}
		fputs("]}\n", f);
	}
	*ret_id = id;
	return 0;
}

static void write_site(FILE *f, const char *key, const struct lock_site *site, __u32 stack,
		       struct symtab *symtab)
{
	fprintf(f, ",\"%s\":{\"lock\":\"0x%llx\",\"ip\":", key, (unsigned long long)site->lock);
	write_code_address(f, symtab, site->ip);
	fprintf(f, ",\"type\":\"%s\",\"trylock\":%s", ld_lock_type_name(site->lock_type) ?: "mutex",
		site->trylock ? "true" : "false");
	if (stack)
		fprintf(f, ",\"stack\":%u", stack);
	fputc('}', f);
}

static int write_dependency(FILE *f, struct hmap *stack_ids, struct symtab *symtab,
			    const struct dependency *dep)
{
	__u32 held_stack, acquired_stack;
	int err;

	if (dep->primed) {
		fputs("{\"dep\":[", f);
		json_write_string(f, dep->from);
		fputc(',', f);
		json_write_string(f, dep->to);
		fputs("],\"primed\":true}\n", f);
		return 0;
	}
	err = write_stack(f, stack_ids, symtab, &dep->held, &held_stack);
	if (!err)
		err = write_stack(f, stack_ids, symtab, &dep->acquired, &acquired_stack);
	if (err)
		return err;
	fputs("{\"dep\":[", f);
	json_write_string(f, dep->from);
	fputc(',', f);
	json_write_string(f, dep->to);
	fprintf(f, "],\"count\":%llu,\"pid\":%u,\"comm\":", (unsigned long long)dep->count,
		dep->pid);
	json_write_string(f, dep->comm ? dep->comm : "");
	fprintf(f, ",\"time_ns\":%llu,\"test\":", (unsigned long long)dep->time_ns);
	json_write_string(f, dep->test);
	fputs(",\"reclaim_kind\":", f);
	json_write_string(f, dep->reclaim_kind);
	write_site(f, "held", &dep->held, held_stack, symtab);
	write_site(f, "acquired", &dep->acquired, acquired_stack, symtab);
	fputs("}\n", f);
	return 0;
}

static void write_finding(FILE *f, const struct finding *finding)
{
	fputs("{\"finding\":", f);
	json_write_string(f, finding_kind_name(finding->kind));
	fputs(",\"classes\":[", f);
	for (__u32 i = 0; i < finding->nr_classes; i++) {
		if (i)
			fputc(',', f);
		json_write_string(f, finding->classes[i]);
	}
	fprintf(f, "],\"count\":%llu,\"test\":", (unsigned long long)finding->count);
	json_write_string(f, finding->test);
	fprintf(f, ",\"suppressed\":%s}\n", finding->suppressed ? "true" : "false");
}

static void write_header(FILE *f, const struct state_meta *meta)
{
	char created[32];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "{\"lockdepd_state\":%d,\"created\":\"%s\",\"host\":", STATE_VERSION, created);
	json_write_string(f, meta && meta->host ? meta->host : NULL);
	fputs(",\"kernel\":", f);
	json_write_string(f, meta && meta->kernel_release ? meta->kernel_release : NULL);
	fputs("}\n", f);
}

int state_write(FILE *f, const struct engine *engine, struct symtab *symtab,
		const struct state_meta *meta)
{
	size_t nr_classes = engine__nr_classes(engine);
	size_t nr_deps = engine__nr_dependencies(engine);
	size_t nr_findings = engine__nr_findings(engine);
	struct hmap stack_ids = {};
	int err = 0;

	write_header(f, meta);
	for (size_t i = 0; i < nr_classes; i++) {
		bool unclassified = false;
		const char *name = engine__class(engine, i, &unclassified);

		fputs("{\"class\":", f);
		json_write_string(f, name);
		fputs(unclassified ? ",\"unclassified\":true}\n" : "}\n", f);
	}
	for (size_t i = 0; i < nr_deps && !err; i++) {
		struct dependency dep;

		err = engine__dependency(engine, i, &dep);
		if (!err)
			err = write_dependency(f, &stack_ids, symtab, &dep);
	}
	for (size_t i = 0; i < nr_findings && !err; i++)
		write_finding(f, engine__finding(engine, i));
	fprintf(f, "{\"end\":{\"classes\":%zu,\"dependencies\":%zu,\"findings\":%zu}}\n",
		nr_classes, nr_deps, nr_findings);
	hmap_free(&stack_ids);
	return err;
}
