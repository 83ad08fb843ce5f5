/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * An arena: stable storage for things that live as long as their owner
 * (interned names, stacks, findings). Allocations are 8-byte aligned, never
 * move and are freed all at once; a malloc each would dominate loading a
 * trace that names tens of thousands of things.
 */
#ifndef LOCKDEPD_ARENA_H
#define LOCKDEPD_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head; /* the chunk small allocations come from */
};

/* NULL when out of memory. */
void *arena_alloc(struct arena *arena, size_t size);
/* A NUL-terminated copy of the first len bytes of s. */
char *arena_strndup(struct arena *arena, const char *s, size_t len);
char *arena_strdup(struct arena *arena, const char *s);
/* Frees every allocation; the arena can be used again. */
void arena_free(struct arena *arena);

#endif
