/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The benchmark generators' random numbers: xorshift64*, fast, and the
 * same sequence for the same seed on every machine, so a cached input
 * and a regenerated one are the same file.
 */
#ifndef LOCKDEPD_BENCH_RNG_H
#define LOCKDEPD_BENCH_RNG_H

#include <linux/types.h>

static inline __u64 bench_random(__u64 *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dULL;
}

/* A number in [0, n), n > 0. */
static inline unsigned int bench_below(__u64 *state, unsigned int n)
{
	return (unsigned int)((bench_random(state) >> 32) % n);
}

#endif
