// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lock_args member paths through BTF: from a function's argument to the
 * lock, each "->" a pointer the BPF side reads.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>

#include "lib/log.h"
#include "lib/macro.h"
#include "source/live/lock_path.h"

/* Skips typedefs and qualifiers. */
static const struct btf_type *resolve_type(const struct btf *btf, __u32 id, __u32 *ret_id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t))) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (ret_id)
		*ret_id = id;
	return t;
}

/*
 * Finds `name` among the members of a composite, descending into anonymous
 * ones; a bit-field's offset is made odd so that no caller takes it for a
 * whole integer.
 */
static bool find_member(const struct btf *btf, const struct btf_type *t, const char *name,
			size_t name_len, __u32 *ret_bits, __u32 *ret_type)
{
	const struct btf_member *m = btf_members(t);

	for (__u16 i = 0; i < btf_vlen(t); i++, m++) {
		const char *mname = btf__name_by_offset(btf, m->name_off);
		__u32 bits = btf_member_bit_offset(t, i);

		if (mname && *mname) {
			if (strlen(mname) == name_len && strncmp(mname, name, name_len) == 0) {
				*ret_bits = bits | (btf_member_bitfield_size(t, i) ? 1 : 0);
				*ret_type = m->type;
				return true;
			}
			continue;
		}
		const struct btf_type *anon = resolve_type(btf, m->type, NULL);
		__u32 inner_bits, inner_type;

		if (anon && btf_is_composite(anon) &&
		    find_member(btf, anon, name, name_len, &inner_bits, &inner_type)) {
			*ret_bits = bits + inner_bits;
			*ret_type = inner_type;
			return true;
		}
	}
	return false;
}

int btf_member_offset(const struct btf *btf, const char *type, const char *path,
		      unsigned int *ret_offset)
{
	const struct btf_type *t;
	const char *part = path;
	__u32 bits = 0;
	int id;

	id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
	if (id < 0)
		id = btf__find_by_name_kind(btf, type, BTF_KIND_UNION);
	if (id < 0)
		return log_error_errno(-ENOENT, "BTF: no struct %s", type);
	t = resolve_type(btf, (__u32)id, NULL);
	while (*part) {
		size_t len = strcspn(part, ".");
		__u32 member_bits, member_type;

		if (!t || !btf_is_composite(t) ||
		    !find_member(btf, t, part, len, &member_bits, &member_type))
			return log_error_errno(-ENOENT, "BTF: struct %s has no member %.*s (in %s)",
					       type, (int)len, part, path);
		bits += member_bits;
		t = resolve_type(btf, member_type, NULL);
		part += len;
		if (*part == '.')
			part++;
	}
	if (bits % 8)
		return log_error_errno(-EINVAL, "BTF: %s.%s is a bit-field", type, path);
	*ret_offset = bits / 8;
	return 0;
}

static const char *type_name(const struct btf *btf, const struct btf_type *t)
{
	const char *name = t ? btf__name_by_offset(btf, t->name_off) : NULL;

	return name && *name ? name : "(anonymous)";
}

/*
 * Whether t is a lock the probes see: one of the lock structs, or a
 * struct that starts with one (dma_resv starts with its ww_mutex), so
 * that a typo in a path cannot name an int a lock.
 */
static const char *lock_struct_name(const struct btf *btf, const struct btf_type *t)
{
	static const char *const locks[] = { "mutex", "ww_mutex", "rw_semaphore", "spinlock",
					     "raw_spinlock" };

	for (int depth = 0; depth < 4 && t && btf_is_composite(t); depth++) {
		const char *name = type_name(btf, t);

		for (size_t i = 0; i < ARRAY_SIZE(locks); i++)
			if (strcmp(name, locks[i]) == 0)
				return locks[i];
		if (!btf_vlen(t) || btf_member_bit_offset(t, 0) != 0)
			return NULL;
		t = resolve_type(btf, btf_members(t)->type, NULL);
	}
	return NULL;
}

/* The struct argument arg (1-based) of function points to; NULL with why set. */
static const struct btf_type *argument_struct(const struct btf *btf, const char *function,
					      unsigned int arg, char *why, size_t why_len)
{
	const struct btf_type *t;
	int id = btf__find_by_name_kind(btf, function, BTF_KIND_FUNC);

	if (id < 0) {
		snprintf(why, why_len, "no function %s in BTF", function);
		return NULL;
	}
	t = btf__type_by_id(btf, btf__type_by_id(btf, (__u32)id)->type);
	if (!t || !btf_is_func_proto(t) || arg < 1 || arg > btf_vlen(t)) {
		snprintf(why, why_len, "%s has no argument %u", function, arg);
		return NULL;
	}
	t = resolve_type(btf, btf_params(t)[arg - 1].type, NULL);
	if (t && btf_is_ptr(t))
		t = resolve_type(btf, t->type, NULL);
	else
		t = NULL;
	if (!t || !btf_is_composite(t)) {
		snprintf(why, why_len, "argument %u of %s is not a pointer to a struct", arg,
			 function);
		return NULL;
	}
	return t;
}

/*
 * Walks `path` from struct t, filling lp's pointer offsets: on success *t
 * is the type at the end of the path and the result its bit offset from
 * the last pointer; -ENOENT / -EINVAL with why set.
 */
static long walk_member_path(const struct btf *btf, const struct btf_type **t, const char *path,
			     struct lock_path *lp, char *why, size_t why_len)
{
	const char *part = path;
	__u32 bits = 0;

	for (;;) {
		size_t len = strcspn(part, ".-");
		__u32 member_bits, member_type;

		if (!*t || !btf_is_composite(*t) ||
		    !find_member(btf, *t, part, len, &member_bits, &member_type)) {
			snprintf(why, why_len, "struct %s has no member %.*s (in %s)",
				 type_name(btf, *t), (int)len, part, path);
			return -ENOENT;
		}
		bits += member_bits;
		*t = resolve_type(btf, member_type, NULL);
		part += len;
		if (!*part)
			return bits;
		if (*part == '.') {
			part++;
			continue;
		}
		if (part[0] != '-' || part[1] != '>') {
			snprintf(why, why_len, "bad member path %s", path);
			return -EINVAL;
		}
		if (!*t || !btf_is_ptr(*t) || bits % 8) {
			snprintf(why, why_len, "%.*s is not a pointer (in %s)", (int)(part - path),
				 path, path);
			return -EINVAL;
		}
		if (lp->nr_derefs == LD_LOCKARG_MAX_DEREFS) {
			snprintf(why, why_len, "%s follows more than %d pointers", path,
				 LD_LOCKARG_MAX_DEREFS);
			return -EINVAL;
		}
		part += 2;
		lp->offsets[lp->nr_derefs++] = bits / 8;
		bits = 0;
		*t = resolve_type(btf, (*t)->type, NULL);
	}
}

/* Whether t is char (signed or not) once typedefs and qualifiers are gone. */
static bool is_char(const struct btf_type *t)
{
	return t && btf_is_int(t) && t->size == 1 && !(btf_int_encoding(t) & BTF_INT_BOOL);
}

/*
 * From argument arg (1-based) of function, which must point to struct
 * `type` when that is given, along path: lp's pointer offsets filled, *t
 * the type reached, the bit offset from the last pointer returned (whole
 * bytes: a bit-field is an error), or -ENOENT / -EINVAL with why set.
 */
static long walk_from_argument(const struct btf *btf, const char *function, unsigned int arg,
			       const char *type, const char *path, struct lock_path *lp,
			       const struct btf_type **t, char *why, size_t why_len)
{
	long bits;

	*t = argument_struct(btf, function, arg, why, why_len);
	if (!*t)
		return -ENOENT;
	snprintf(lp->arg_type, sizeof(lp->arg_type), "%s", type_name(btf, *t));
	if (type && strcmp(type, lp->arg_type) != 0) {
		snprintf(why, why_len, "argument %u of %s is struct %s, not struct %s", arg,
			 function, lp->arg_type, type);
		return -EINVAL;
	}
	bits = walk_member_path(btf, t, path, lp, why, why_len);
	if (bits >= 0 && bits % 8) {
		snprintf(why, why_len, "%s is a bit-field", path);
		return -EINVAL;
	}
	return bits;
}

int lock_path__resolve(const struct btf *btf, const char *function, unsigned int arg,
		       const char *type, const char *path, struct lock_path *ret, char *why,
		       size_t why_len)
{
	struct lock_path lp = { 0 };
	const struct btf_type *t;
	const char *lock;
	long bits;

	bits = walk_from_argument(btf, function, arg, type, path, &lp, &t, why, why_len);
	if (bits < 0)
		return (int)bits;
	/* A path ending at a pointer means the lock it points to (obj->base.resv). */
	if (t && btf_is_ptr(t) && lp.nr_derefs < LD_LOCKARG_MAX_DEREFS) {
		lp.offsets[lp.nr_derefs++] = (unsigned int)bits / 8;
		bits = 0;
		t = resolve_type(btf, t->type, NULL);
	}
	lock = lock_struct_name(btf, t);
	if (!lock) {
		snprintf(why, why_len, "%s is a %s, not a lock", path,
			 t ? type_name(btf, t) : "void");
		return -EINVAL;
	}
	lp.offsets[lp.nr_derefs] = (unsigned int)bits / 8;
	snprintf(lp.lock_type, sizeof(lp.lock_type), "%s", lock);
	*ret = lp;
	return 0;
}

int lock_path__resolve_key(const struct btf *btf, const char *function, unsigned int arg,
			   const char *path, struct lock_path *ret, char *why, size_t why_len)
{
	struct lock_path lp = { 0 };
	const struct btf_type *t;
	long bits;

	bits = walk_from_argument(btf, function, arg, NULL, path, &lp, &t, why, why_len);
	if (bits < 0)
		return (int)bits;
	if (t && btf_is_ptr(t) && is_char(resolve_type(btf, t->type, NULL))) {
		/* A char *: the string is where it points. */
		if (lp.nr_derefs == LD_LOCKARG_MAX_DEREFS) {
			snprintf(why, why_len, "%s follows more than %d pointers", path,
				 LD_LOCKARG_MAX_DEREFS);
			return -EINVAL;
		}
		lp.offsets[lp.nr_derefs++] = (unsigned int)bits / 8;
		bits = 0;
	} else if (!(t && btf_is_array(t) &&
		     is_char(resolve_type(btf, btf_array(t)->type, NULL)))) {
		bool ptr = t && btf_is_ptr(t);

		snprintf(why, why_len, "key %s is a %s%s, not a string", path,
			 ptr ? "pointer to " : "",
			 t ? type_name(btf, ptr ? resolve_type(btf, t->type, NULL) : t) : "void");
		return -EINVAL;
	}
	lp.offsets[lp.nr_derefs] = (unsigned int)bits / 8;
	snprintf(lp.lock_type, sizeof(lp.lock_type), "string");
	*ret = lp;
	return 0;
}

int lock_path__resolve_value(const struct btf *btf, const char *function, unsigned int arg,
			     const char *path, struct lock_path *ret, char *why, size_t why_len)
{
	struct lock_path lp = { 0 };
	const struct btf_type *t;
	long bits;

	bits = walk_from_argument(btf, function, arg, NULL, path, &lp, &t, why, why_len);
	if (bits < 0)
		return (int)bits;
	if (!t || !(btf_is_int(t) || btf_is_enum(t) || btf_is_enum64(t)) ||
	    (t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8)) {
		snprintf(why, why_len, "%s is a %s, not an integer", path,
			 t ? type_name(btf, t) : "void");
		return -EINVAL;
	}
	lp.offsets[lp.nr_derefs] = (unsigned int)bits / 8;
	lp.value_size = t->size;
	snprintf(lp.lock_type, sizeof(lp.lock_type), "u%u", t->size * 8);
	*ret = lp;
	return 0;
}
