/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Growable arrays: the one helper that makes room in them.
 *
 *	if (array_reserve(&table->points, &table->cap_points, table->nr_points + 1))
 *		return -ENOMEM;
 *
 * array_reserve(array, capacity, need) makes *array hold at least need
 * elements of its type, doubling (from 8) so that appends cost O(1)
 * amortised. capacity may be any unsigned integer type; growing past what
 * it can count fails. Returns 0 or -ENOMEM; on failure *array and
 * *capacity are unchanged, and the array is still valid.
 */
#ifndef LOCKDEPD_ARRAY_H
#define LOCKDEPD_ARRAY_H

#include <stddef.h>

int array_grow(void **array, size_t *capacity, size_t need, size_t elem_size, size_t max_capacity);

#define array_reserve(array, capacity, need)                                                 \
	({                                                                                   \
		size_t need_ = (need);                                                       \
		int err_ = 0;                                                                \
		if (__builtin_expect(need_ > *(capacity), 0)) {                              \
			size_t cap_ = *(capacity);                                           \
			err_ = array_grow((void **)(array), &cap_, need_, sizeof(**(array)), \
					  (size_t)(__typeof__(*(capacity)))-1);              \
			if (!err_)                                                           \
				*(capacity) = (__typeof__(*(capacity)))cap_;                 \
		}                                                                            \
		err_;                                                                        \
	})

#endif
