/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Small macros every part uses. */
#ifndef LOCKDEPD_MACRO_H
#define LOCKDEPD_MACRO_H

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
