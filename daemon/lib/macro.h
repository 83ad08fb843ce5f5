/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Small macros every part uses. */
#ifndef LOCKDEPD_MACRO_H
#define LOCKDEPD_MACRO_H

#include <stdlib.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p)
{
	free(*(void **)p);
}

/* A pointer freed when it goes out of scope, as systemd's _cleanup_free_. */
#define _cleanup_free_ __attribute__((cleanup(freep)))

#endif
