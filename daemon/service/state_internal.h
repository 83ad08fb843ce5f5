/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What state_file.c (the atomic save) needs of state_write.c (the
 * records). Nothing outside service/state*.c includes it.
 */
#ifndef LOCKDEPD_STATE_INTERNAL_H
#define LOCKDEPD_STATE_INTERNAL_H

#include <stdio.h>

struct engine;
struct symtab;
struct state_meta;

/* Writes engine's graph to f, header to end record (format in state.h). 0 or -errno. */
int state_write(FILE *f, const struct engine *engine, struct symtab *symtab,
		const struct state_meta *meta);

#endif
