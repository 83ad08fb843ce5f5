/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The process exit status every command and the daemon end with, which CI
 * scripts read: 0 success and nothing found, 1 findings, 2 bad input or
 * usage (said in one line naming the file or argument).
 */
#ifndef LOCKDEPD_EXIT_STATUS_H
#define LOCKDEPD_EXIT_STATUS_H

#define EXIT_FINDINGS  1
#define EXIT_BAD_INPUT 2

#endif
