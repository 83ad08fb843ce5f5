/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The hash map every part uses: 64-bit keys to 64-bit values, open
 * addressing with linear probing, grown at half full, deleted by backward
 * shift (no tombstones, so probe sequences stay short).
 *
 * A key is the whole key for integer keys (an address, a pid, a pair of
 * ids packed in 64 bits) and a 64-bit hash for anything longer (a string,
 * a stack), whose lookups pass an equality test on the value: two keys may
 * then share a hash, and hmap_find() walks on until eq() says yes. A value
 * of 0 marks an empty slot, so values are pointers or ids plus one.
 *
 * hmap_find() is inline because the engine's hot path is a lookup; the
 * rest happens when something is new and lives in hashmap.c.
 */
#ifndef LOCKDEPD_HASHMAP_H
#define LOCKDEPD_HASHMAP_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct hmap_slot {
	__u64 key;
	__u64 value;
};

struct hmap {
	struct hmap_slot *slots;
	size_t mask; /* capacity - 1; capacity is a power of two */
	unsigned int shift; /* 64 - log2(capacity) */
	size_t count;
};

/* value is a slot's value; wanted is what the caller passed to hmap_find(). */
typedef bool (*hmap_eq_fn)(__u64 value, const void *wanted);

/* Adds key -> value (value != 0) for a key known to be absent. 0 or -ENOMEM. */
int hmap_insert(struct hmap *map, __u64 key, __u64 value);
/* Removes the entry in slot, a slot hmap_find() returned. */
void hmap_remove(struct hmap *map, struct hmap_slot *slot);
/* Frees the slots; the map is empty and usable again. */
void hmap_free(struct hmap *map);

/*
 * A key's first slot: Fibonacci hashing, the top bits of the key times
 * 2^64 / phi. One multiply, and strided keys (lock addresses, id pairs)
 * still spread over the whole table.
 */
static inline size_t hmap_home(__u64 key, unsigned int shift)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> shift);
}

/* The slot holding key (and, with eq, the value eq accepts), or NULL. */
static inline __attribute__((always_inline)) struct hmap_slot *
hmap_find(const struct hmap *map, __u64 key, hmap_eq_fn eq, const void *wanted)
{
	if (!map->slots)
		return NULL;
	for (size_t i = hmap_home(key, map->shift);; i = (i + 1) & map->mask) {
		struct hmap_slot *slot = &map->slots[i];

		if (!slot->value)
			return NULL;
		if (slot->key == key && (!eq || eq(slot->value, wanted)))
			return slot;
	}
}

/* A full mix of 64 bits (MurmurHash3's finaliser), for seeds and keys that need one. */
static inline __u64 hash_mix64(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* FNV-1a over len bytes, started from seed. */
static inline __u64 hash_bytes(const void *data, size_t len, __u64 seed)
{
	const unsigned char *p = data;
	__u64 h = 0xcbf29ce484222325ULL ^ seed;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static inline __u64 hash_string(const char *s)
{
	return hash_bytes(s, strlen(s), 0);
}

#endif
