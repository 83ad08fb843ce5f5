/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where a lock_args rule's lock is, worked out through BTF before the BPF
 * programs load: from a function argument, along a member path of "." and
 * "->" steps, to a lock. The BPF side then only adds offsets and follows
 * pointers (lockdepd_entry.bpf.c).
 */
#ifndef LOCKDEPD_LOCK_PATH_H
#define LOCKDEPD_LOCK_PATH_H

#include <stddef.h>

#include "lockdepd_bpf.h"

struct btf;

/*
 * The lock is at: address = argument; for each of the nr_derefs first
 * offsets, address = *(void **)(address + offset); then address + the last
 * offset.
 */
struct lock_path {
	unsigned int nr_derefs;
	unsigned int offsets[LD_LOCKARG_MAX_DEREFS + 1];
	char arg_type[64]; /* the struct the argument points to */
	char lock_type[32]; /* the lock's own struct: mutex, rw_semaphore, ... */
	unsigned int value_size; /* an integer's bytes, for lock_path__resolve_value() */
};

/*
 * Resolves `path` from argument `arg` (1-based) of `function` in btf.
 * `type`, when not NULL, is the struct the caller expects the argument to
 * point to. 0, or -ENOENT / -EINVAL with a one-line reason in `why`
 * (nothing logged: the probe table reports it); ret untouched on failure.
 */
int lock_path__resolve(const struct btf *btf, const char *function, unsigned int arg,
		       const char *type, const char *path, struct lock_path *ret, char *why,
		       size_t why_len);

/*
 * Resolves a run-time class key: `path` from argument `arg` of `function`
 * to a string, a char * or a char array. ret's offsets then lead to the
 * string's first byte (lock_type "string"). 0, or -ENOENT / -EINVAL with
 * why set; ret untouched on failure.
 */
int lock_path__resolve_key(const struct btf *btf, const char *function, unsigned int arg,
			   const char *path, struct lock_path *ret, char *why, size_t why_len);

/*
 * Resolves a `when` condition's member: `path` from argument `arg` of
 * `function` to an integer or enum of 1, 2, 4 or 8 bytes (value_size).
 * 0, or -ENOENT / -EINVAL with why set; ret untouched on failure.
 */
int lock_path__resolve_value(const struct btf *btf, const char *function, unsigned int arg,
			     const char *path, struct lock_path *ret, char *why, size_t why_len);

/*
 * The byte offset of a member path ("mutex", "vma.lock") inside struct or
 * union `type`, walking anonymous members and typedefs. 0 or -ENOENT
 * (logged naming the type and the part of the path not found).
 */
int btf_member_offset(const struct btf *btf, const char *type, const char *path,
		      unsigned int *ret_offset);

#endif
