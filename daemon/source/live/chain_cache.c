// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The chain cache's user-space half: what the engine has learned (its
 * engine_chain_fn facts), written into the probes' maps, so that an
 * acquisition the engine has already fed in its chain, and its release,
 * stay in the kernel (include/lockdepd_chain.h, bpf/lockdepd_common.h).
 *
 * The probes decide from the maps alone; this side only ever adds what
 * the engine said after feeding the event that taught it. A fact written
 * late costs a record that could have stayed in the kernel, never a
 * finding. What was written is remembered here, so that a fact costs a
 * system call once. A full map turns the cache off for good (the probes
 * then send everything), said once in the log and in the counters.
 */
#include <errno.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib/log.h"
#include "lockdepd.skel.h"
#include "lockdepd_entry.skel.h"
#include "source/live/capture.h"
#include "source/live/live.h"

static void chain_cache_full(struct live *live, const char *map, int err)
{
	if (live->core->bss->chain_cache_full)
		return;
	live->core->bss->chain_cache_full = 1;
	if (live->entry)
		live->entry->bss->chain_cache_full = 1;
	log_warning("chain cache: %s: %s; every acquisition is sent from now on", map,
		    err == -E2BIG ? "full" : strerror(-err));
}

/* Writes key -> value into map unless written already; false once the cache is off. */
static bool chain_map_put(struct live *live, struct bpf_map *map, struct hmap *written, __u64 key,
			  __u32 value)
{
	struct hmap_slot *slot = hmap_find(written, key, NULL, NULL);
	__u8 one = 1;
	int err;

	if (slot && slot->value == (__u64)value + 1)
		return true;
	if (bpf_map__value_size(map) == sizeof(one))
		err = bpf_map_update_elem(bpf_map__fd(map), &key, &one, BPF_ANY);
	else
		err = bpf_map_update_elem(bpf_map__fd(map), &key, &value, BPF_ANY);
	if (err) {
		chain_cache_full(live, bpf_map__name(map), -errno);
		return false;
	}
	if (slot)
		slot->value = (__u64)value + 1;
	else if (hmap_insert(written, key, (__u64)value + 1))
		return false;
	return true;
}

static void chain_map_clear(struct bpf_map *map, struct hmap *written)
{
	for (size_t i = 0; written->slots && i <= written->mask; i++)
		if (written->slots[i].value)
			bpf_map_delete_elem(bpf_map__fd(map), &written->slots[i].key);
	hmap_free(written);
}

/* The tasks' memos of classes and known chains are out of date (lockdepd_common.h). */
static void chain_gen_bump(struct live *live)
{
	__u32 zero = 0;
	__u64 gen = 0;
	int fd = bpf_map__fd(live->core->maps.chain_gen);

	/*
	 * Not atomic with the probes' increments, but adding 2^32 still takes
	 * it past every value it ever had, which is all a memo compares.
	 */
	if (bpf_map_lookup_elem(fd, &zero, &gen) == 0) {
		gen += 1ull << 32;
		bpf_map_update_elem(fd, &zero, &gen, BPF_ANY);
	}
}

void live__chain_fact(enum engine_chain_fact fact, __u64 key, __u32 class_id, void *ctx)
{
	struct live *live = ctx;
	struct hmap_slot *slot;

	if (!live->opts.chain_cache || !live->core || live->core->bss->chain_cache_full)
		return;
	switch (fact) {
	case ENGINE_CHAIN_KNOWN:
		chain_map_put(live, live->core->maps.known_chains, &live->chains_written, key, 0);
		break;
	case ENGINE_CHAIN_IDENT:
		chain_map_put(live, live->core->maps.ident_classes, &live->idents_written, key,
			      class_id);
		break;
	case ENGINE_CHAIN_FORGET:
		slot = hmap_find(&live->idents_written, key, NULL, NULL);
		if (!slot)
			break;
		bpf_map_delete_elem(bpf_map__fd(live->core->maps.ident_classes), &key);
		hmap_remove(&live->idents_written, slot);
		chain_gen_bump(live);
		break;
	case ENGINE_CHAIN_RESET:
		chain_map_clear(live->core->maps.known_chains, &live->chains_written);
		chain_map_clear(live->core->maps.ident_classes, &live->idents_written);
		chain_gen_bump(live);
		break;
	}
}

void live_chain_free(struct live *live)
{
	hmap_free(&live->chains_written);
	hmap_free(&live->idents_written);
}
