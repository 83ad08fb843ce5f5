// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>

#include "lib/hashmap.h"

#define HMAP_MIN_CAPACITY 16

static void hmap_place(struct hmap_slot *slots, size_t mask, unsigned int shift, __u64 key,
		       __u64 value)
{
	size_t i = hmap_home(key, shift);

	while (slots[i].value)
		i = (i + 1) & mask;
	slots[i].key = key;
	slots[i].value = value;
}

static int hmap_grow(struct hmap *map)
{
	size_t capacity = map->slots ? (map->mask + 1) * 2 : HMAP_MIN_CAPACITY;
	unsigned int shift = 64 - __builtin_ctzll(capacity);
	struct hmap_slot *slots = calloc(capacity, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	if (map->slots)
		for (size_t i = 0; i <= map->mask; i++)
			if (map->slots[i].value)
				hmap_place(slots, capacity - 1, shift, map->slots[i].key,
					   map->slots[i].value);
	free(map->slots);
	map->slots = slots;
	map->mask = capacity - 1;
	map->shift = shift;
	return 0;
}

int hmap_insert(struct hmap *map, __u64 key, __u64 value)
{
	if (!map->slots || (map->count + 1) * 2 > map->mask + 1) {
		int err = hmap_grow(map);

		if (err)
			return err;
	}
	hmap_place(map->slots, map->mask, map->shift, key, value);
	map->count++;
	return 0;
}

void hmap_remove(struct hmap *map, struct hmap_slot *slot)
{
	size_t hole = slot - map->slots;
	size_t i = hole;

	for (;;) {
		size_t home;

		i = (i + 1) & map->mask;
		if (!map->slots[i].value)
			break;
		home = hmap_home(map->slots[i].key, map->shift);
		/* Entry i may move into the hole unless its home lies in (hole, i]. */
		if (hole <= i ? (home <= hole || home > i) : (home <= hole && home > i)) {
			map->slots[hole] = map->slots[i];
			hole = i;
		}
	}
	map->slots[hole].key = 0;
	map->slots[hole].value = 0;
	map->count--;
}

void hmap_free(struct hmap *map)
{
	free(map->slots);
	map->slots = NULL;
	map->mask = 0;
	map->shift = 0;
	map->count = 0;
}
