/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Seconds on the monotonic clock: deadlines and intervals, immune to date changes. */
#ifndef LOCKDEPD_CLOCK_H
#define LOCKDEPD_CLOCK_H

#include <time.h>

static inline double now_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
