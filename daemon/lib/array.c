// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/array.h"

#define ARRAY_MIN_CAPACITY 8

int array_grow(void **array, size_t *capacity, size_t need, size_t elem_size, size_t max_capacity)
{
	size_t cap = *capacity ? *capacity : ARRAY_MIN_CAPACITY;
	void *p;

	if (need <= *capacity)
		return 0;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
	if (cap > max_capacity)
		cap = max_capacity;
	if (cap < need || cap > SIZE_MAX / elem_size)
		return -ENOMEM;
	p = realloc(*array, cap * elem_size);
	if (!p)
		return -ENOMEM;
	*array = p;
	*capacity = cap;
	return 0;
}
