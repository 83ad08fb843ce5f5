// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Host-side checks of what the live source learns before it attaches:
 * member offsets through BTF (lock_args), the running kernel's gfp layout
 * and task flag values, and the probe table's output. The kernel facts are
 * checked against a second, independent source on this machine (the
 * tracepoint's print fmt, /proc/<pid>/stat), never against constants.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../unit/constructors.h"

#include <bpf/btf.h>

#include "event/gfp.h"
#include "source/live/kernel_info.h"
#include "lockdepd_event.h"
#include "source/live/lock_path.h"
#include "source/live/probe.h"

/* --- btf_member_offset on a BTF built here --------------------------------- */

/*
 * struct inner { int a; int b; };
 * typedef struct inner inner_t;
 * struct outer {
 *	int x;                       // 0
 *	union { int u1; long u2; };  // 8 (anonymous)
 *	const inner_t nested;        // 16, through a qualifier and a typedef
 *	struct { int deep; };        // 24 (anonymous)
 *	int bits : 3;                // 28, a bit-field
 * };
 */
static struct btf *build_btf(void)
{
	struct btf *btf = btf__new_empty();
	int int_id, long_id, inner, inner_t, const_inner, anon_union, anon_struct, outer;

	assert_non_null(btf);
	int_id = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	long_id = btf__add_int(btf, "long", 8, BTF_INT_SIGNED);
	inner = btf__add_struct(btf, "inner", 8);
	btf__add_field(btf, "a", int_id, 0, 0);
	btf__add_field(btf, "b", int_id, 32, 0);
	inner_t = btf__add_typedef(btf, "inner_t", inner);
	const_inner = btf__add_const(btf, inner_t);
	anon_union = btf__add_union(btf, NULL, 8);
	btf__add_field(btf, "u1", int_id, 0, 0);
	btf__add_field(btf, "u2", long_id, 0, 0);
	anon_struct = btf__add_struct(btf, NULL, 4);
	btf__add_field(btf, "deep", int_id, 0, 0);
	outer = btf__add_struct(btf, "outer", 32);
	btf__add_field(btf, "x", int_id, 0, 0);
	btf__add_field(btf, NULL, anon_union, 64, 0);
	btf__add_field(btf, "nested", const_inner, 128, 0);
	btf__add_field(btf, NULL, anon_struct, 192, 0);
	btf__add_field(btf, "bits", int_id, 228, 3);
	assert_true(outer > 0);
	return btf;
}

static void test_member_offset_plain_and_nested(void **state)
{
	struct btf *btf = build_btf();
	unsigned int off = 999;

	assert_int_equal(btf_member_offset(btf, "outer", "x", &off), 0);
	assert_int_equal(off, 0);
	assert_int_equal(btf_member_offset(btf, "outer", "nested", &off), 0);
	assert_int_equal(off, 16);
	/* Dotted path through a const typedef'd struct. */
	assert_int_equal(btf_member_offset(btf, "outer", "nested.b", &off), 0);
	assert_int_equal(off, 20);
	assert_int_equal(btf_member_offset(btf, "inner", "b", &off), 0);
	assert_int_equal(off, 4);
	btf__free(btf);
}

static void test_member_offset_anonymous_members(void **state)
{
	struct btf *btf = build_btf();
	unsigned int off = 999;

	assert_int_equal(btf_member_offset(btf, "outer", "u2", &off), 0);
	assert_int_equal(off, 8);
	assert_int_equal(btf_member_offset(btf, "outer", "deep", &off), 0);
	assert_int_equal(off, 24);
	btf__free(btf);
}

static void test_member_offset_errors_leave_result_untouched(void **state)
{
	struct btf *btf = build_btf();
	unsigned int off = 999;

	assert_int_equal(btf_member_offset(btf, "outer", "nope", &off), -ENOENT);
	assert_int_equal(btf_member_offset(btf, "outer", "nested.c", &off), -ENOENT);
	assert_int_equal(btf_member_offset(btf, "outer", "x.y", &off), -ENOENT);
	assert_int_equal(btf_member_offset(btf, "missing_struct", "x", &off), -ENOENT);
	assert_int_equal(btf_member_offset(btf, "outer", "bits", &off), -EINVAL);
	assert_int_equal(off, 999);
	btf__free(btf);
}

static void test_btf_has_function(void **state)
{
	struct btf *btf = build_btf();
	int proto = btf__add_func_proto(btf, btf__find_by_name(btf, "int"));

	btf__add_func(btf, "do_thing", BTF_FUNC_GLOBAL, proto);
	assert_true(btf_has_function(btf, "do_thing"));
	assert_false(btf_has_function(btf, "outer"));
	assert_false(btf_has_function(btf, "other"));
	assert_false(btf_has_function(NULL, "do_thing"));
	btf__free(btf);
}

/* --- lock_path__resolve on a BTF built here --------------------------------------- */

/*
 * struct mutex { long owner; };                              // 8
 * struct ww_mutex { struct mutex base; void *ctx; };         // 16
 * struct dma_resv { struct ww_mutex lock; };                 // 16
 * struct vm { int pad; struct mutex mutex; };                // mutex at 8
 * struct obj { struct dma_resv _resv; struct dma_resv *resv; int count; };
 * struct vma { struct vm *vm; struct obj *obj; };            // obj at 8
 * struct node { struct node *next; struct mutex lock; };     // lock at 8
 * void unbind(struct vma *vma, int flags);
 * void walk(const struct node *node);
 */
static struct btf *build_lock_btf(void)
{
	struct btf *btf = btf__new_empty();
	int long_id, int_id, void_ptr, mutex, ww, resv, resv_ptr, vm, vm_ptr, obj, obj_ptr, vma;
	int vma_ptr, node, node_ptr, const_node, const_node_ptr, proto;

	assert_non_null(btf);
	long_id = btf__add_int(btf, "long", 8, BTF_INT_SIGNED);
	int_id = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	void_ptr = btf__add_ptr(btf, 0);
	mutex = btf__add_struct(btf, "mutex", 8);
	btf__add_field(btf, "owner", long_id, 0, 0);
	ww = btf__add_struct(btf, "ww_mutex", 16);
	btf__add_field(btf, "base", mutex, 0, 0);
	btf__add_field(btf, "ctx", void_ptr, 64, 0);
	resv = btf__add_struct(btf, "dma_resv", 16);
	btf__add_field(btf, "lock", ww, 0, 0);
	resv_ptr = btf__add_ptr(btf, resv);
	vm = btf__add_struct(btf, "vm", 16);
	btf__add_field(btf, "pad", int_id, 0, 0);
	btf__add_field(btf, "mutex", mutex, 64, 0);
	vm_ptr = btf__add_ptr(btf, vm);
	obj = btf__add_struct(btf, "obj", 32);
	btf__add_field(btf, "_resv", resv, 0, 0);
	btf__add_field(btf, "resv", resv_ptr, 128, 0);
	btf__add_field(btf, "count", int_id, 192, 0);
	obj_ptr = btf__add_ptr(btf, obj);
	vma = btf__add_struct(btf, "vma", 16);
	btf__add_field(btf, "vm", vm_ptr, 0, 0);
	btf__add_field(btf, "obj", obj_ptr, 64, 0);
	vma_ptr = btf__add_ptr(btf, vma);
	/* The pointer first, to the id the struct is about to get: its fields must follow it. */
	node_ptr = btf__add_ptr(btf, (int)btf__type_cnt(btf) + 1);
	node = btf__add_struct(btf, "node", 16);
	btf__add_field(btf, "next", node_ptr, 0, 0);
	btf__add_field(btf, "lock", mutex, 64, 0);
	const_node = btf__add_const(btf, node);
	const_node_ptr = btf__add_ptr(btf, const_node);
	proto = btf__add_func_proto(btf, 0);
	btf__add_func_param(btf, "vma", vma_ptr);
	btf__add_func_param(btf, "flags", int_id);
	btf__add_func(btf, "unbind", BTF_FUNC_GLOBAL, proto);
	proto = btf__add_func_proto(btf, 0);
	btf__add_func_param(btf, "node", const_node_ptr);
	assert_true(btf__add_func(btf, "walk", BTF_FUNC_GLOBAL, proto) > 0);
	return btf;
}

/*
 * An inode-like struct for run-time class keys: inode->i_sb->s_type->name
 * is the filesystem's name, as in the kernel, at offsets of its own.
 */
static void add_key_types(struct btf *btf)
{
	int char_id, str_ptr, tag, fstype, fstype_ptr, sb, sb_ptr, umode, inode, inode_ptr, proto;
	int mutex = btf__find_by_name_kind(btf, "mutex", BTF_KIND_STRUCT);
	int int_id = btf__find_by_name_kind(btf, "int", BTF_KIND_INT);

	char_id = btf__add_int(btf, "char", 1, 0);
	str_ptr = btf__add_ptr(btf, btf__add_const(btf, char_id));
	tag = btf__add_array(btf, int_id, char_id, 8);
	fstype = btf__add_struct(btf, "fstype", 32);
	btf__add_field(btf, "flags", int_id, 0, 0);
	btf__add_field(btf, "name", str_ptr, 64, 0);
	btf__add_field(btf, "tag", tag, 128, 0);
	fstype_ptr = btf__add_ptr(btf, fstype);
	sb = btf__add_struct(btf, "sb", 24);
	btf__add_field(btf, "pad", int_id, 0, 0);
	btf__add_field(btf, "s_type", fstype_ptr, 128, 0);
	sb_ptr = btf__add_ptr(btf, sb);
	umode = btf__add_int(btf, "umode_t", 2, 0);
	inode = btf__add_struct(btf, "inode", 24);
	btf__add_field(btf, "i_mode", umode, 16, 0);
	btf__add_field(btf, "i_flags", int_id, 32, 4);
	btf__add_field(btf, "i_sb", sb_ptr, 64, 0);
	btf__add_field(btf, "i_rwsem", mutex, 128, 0);
	inode_ptr = btf__add_ptr(btf, inode);
	proto = btf__add_func_proto(btf, int_id);
	btf__add_func_param(btf, "sb", sb_ptr);
	btf__add_func_param(btf, "inode", inode_ptr);
	assert_true(btf__add_func(btf, "init_inode", BTF_FUNC_GLOBAL, proto) > 0);
}

static void assert_lock_path(const struct btf *btf, const char *function, const char *type,
			     const char *path, unsigned int nr_derefs, const unsigned int *offsets,
			     const char *arg_type, const char *lock_type)
{
	struct lock_path lp;
	char why[160] = "";

	if (lock_path__resolve(btf, function, 1, type, path, &lp, why, sizeof(why)))
		fail_msg("%s of %s: %s", path, function, why);
	assert_int_equal(lp.nr_derefs, nr_derefs);
	for (unsigned int i = 0; i <= nr_derefs; i++)
		assert_int_equal(lp.offsets[i], offsets[i]);
	assert_string_equal(lp.arg_type, arg_type);
	assert_string_equal(lp.lock_type, lock_type);
}

static void test_lock_path_follows_pointers(void **state)
{
	struct btf *btf = build_lock_btf();

	assert_lock_path(btf, "unbind", NULL, "vm->mutex", 1, (unsigned int[]){ 0, 8 }, "vma",
			 "mutex");
	/* `type` is checked, not needed. */
	assert_lock_path(btf, "unbind", "vma", "vm->mutex", 1, (unsigned int[]){ 0, 8 }, "vma",
			 "mutex");
	/* A struct that starts with a lock is that lock (dma_resv and its ww_mutex). */
	assert_lock_path(btf, "unbind", NULL, "obj->_resv", 1, (unsigned int[]){ 8, 0 }, "vma",
			 "ww_mutex");
	assert_lock_path(btf, "unbind", NULL, "obj->_resv.lock.base", 1, (unsigned int[]){ 8, 0 },
			 "vma", "mutex");
	/* A path ending at a pointer names the lock it points to. */
	assert_lock_path(btf, "unbind", NULL, "obj->resv", 2, (unsigned int[]){ 8, 16, 0 }, "vma",
			 "ww_mutex");
	/* Through a const pointer argument, as many pointers as the BPF side follows. */
	assert_lock_path(btf, "walk", "node", "next->next->next->lock", 3,
			 (unsigned int[]){ 0, 0, 0, 8 }, "node", "mutex");
	btf__free(btf);
}

static void assert_lock_path_fails(const struct btf *btf, const char *function, unsigned int arg,
				   const char *type, const char *path, int want,
				   const char *why_has)
{
	struct lock_path lp = { .nr_derefs = 99 };
	char why[160] = "";

	if (lock_path__resolve(btf, function, arg, type, path, &lp, why, sizeof(why)) != want)
		fail_msg("%s of %s: not %d (%s)", path, function, want, why);
	assert_int_equal(lp.nr_derefs, 99);
	if (!strstr(why, why_has))
		fail_msg("reason '%s' does not say '%s'", why, why_has);
}

static void test_lock_path_errors(void **state)
{
	struct btf *btf = build_lock_btf();

	assert_lock_path_fails(btf, "missing", 1, NULL, "vm->mutex", -ENOENT,
			       "no function missing");
	assert_lock_path_fails(btf, "unbind", 2, NULL, "mutex", -ENOENT,
			       "argument 2 of unbind is not a pointer to a struct");
	assert_lock_path_fails(btf, "unbind", 3, NULL, "mutex", -ENOENT,
			       "unbind has no argument 3");
	assert_lock_path_fails(btf, "unbind", 1, "vm", "vm->mutex", -EINVAL,
			       "argument 1 of unbind is struct vma, not struct vm");
	assert_lock_path_fails(btf, "unbind", 1, NULL, "vm->nope", -ENOENT,
			       "struct vm has no member nope");
	/* "." where the member is a pointer: there is no member inside a pointer. */
	assert_lock_path_fails(btf, "unbind", 1, NULL, "vm.mutex", -ENOENT, "has no member mutex");
	assert_lock_path_fails(btf, "unbind", 1, NULL, "obj->_resv->lock", -EINVAL,
			       "obj->_resv is not a pointer");
	assert_lock_path_fails(btf, "unbind", 1, NULL, "obj->count", -EINVAL,
			       "obj->count is a int, not a lock");
	assert_lock_path_fails(btf, "walk", 1, NULL, "next->next->next->next->lock", -EINVAL,
			       "follows more than 3 pointers");
	btf__free(btf);
}

static void assert_key_path(const struct btf *btf, const char *path, unsigned int nr_derefs,
			    const unsigned int *offsets)
{
	struct lock_path lp;
	char why[160] = "";

	if (lock_path__resolve_key(btf, "init_inode", 2, path, &lp, why, sizeof(why)))
		fail_msg("key %s: %s", path, why);
	assert_int_equal(lp.nr_derefs, nr_derefs);
	for (unsigned int i = 0; i <= nr_derefs; i++)
		assert_int_equal(lp.offsets[i], offsets[i]);
	assert_string_equal(lp.arg_type, "inode");
	assert_string_equal(lp.lock_type, "string");
}

static void assert_key_path_fails(const struct btf *btf, const char *path, int want,
				  const char *why_has)
{
	struct lock_path lp = { .nr_derefs = 99 };
	char why[160] = "";

	if (lock_path__resolve_key(btf, "init_inode", 2, path, &lp, why, sizeof(why)) != want)
		fail_msg("key %s: not %d (%s)", path, want, why);
	assert_int_equal(lp.nr_derefs, 99);
	if (!strstr(why, why_has))
		fail_msg("reason '%s' does not say '%s'", why, why_has);
}

static void test_key_path_leads_to_a_string(void **state)
{
	struct btf *btf = build_lock_btf();

	add_key_types(btf);
	/* A char *: its pointer is read too, the string is where it points. */
	assert_key_path(btf, "i_sb->s_type->name", 3, (unsigned int[]){ 8, 16, 8, 0 });
	/* A char array is the string itself. */
	assert_key_path(btf, "i_sb->s_type->tag", 2, (unsigned int[]){ 8, 16, 16 });
	/* The lock itself resolves as ever beside its key. */
	assert_lock_path_fails(btf, "init_inode", 1, NULL, "s_type", -EINVAL, "not a lock");
	assert_key_path_fails(btf, "i_sb->s_type", -EINVAL,
			      "key i_sb->s_type is a pointer to fstype, not a string");
	assert_key_path_fails(btf, "i_sb->s_type->flags", -EINVAL, "is a int, not a string");
	assert_key_path_fails(btf, "i_rwsem", -EINVAL, "is a mutex, not a string");
	assert_key_path_fails(btf, "i_sb->s_name", -ENOENT, "struct sb has no member s_name");
	assert_key_path_fails(btf, "i_sb.s_type", -ENOENT, "has no member s_type");
	btf__free(btf);
}

/* A `when` condition's member: an integer, its size for the BPF side's read. */
static void test_value_path_leads_to_an_integer(void **state)
{
	struct btf *btf = build_lock_btf();
	struct lock_path lp = { .nr_derefs = 99 };
	char why[160] = "";

	add_key_types(btf);
	assert_int_equal(
		lock_path__resolve_value(btf, "init_inode", 2, "i_mode", &lp, why, sizeof(why)), 0);
	assert_int_equal(lp.nr_derefs, 0);
	assert_int_equal(lp.offsets[0], 2);
	assert_int_equal(lp.value_size, 2);
	assert_string_equal(lp.lock_type, "u16");
	assert_int_equal(lock_path__resolve_value(btf, "init_inode", 2, "i_sb->s_type->flags", &lp,
						  why, sizeof(why)),
			 0);
	assert_int_equal(lp.nr_derefs, 2);
	assert_int_equal(lp.offsets[0], 8);
	assert_int_equal(lp.offsets[1], 16);
	assert_int_equal(lp.offsets[2], 0);
	assert_int_equal(lp.value_size, 4);

	lp.nr_derefs = 99;
	assert_int_equal(
		lock_path__resolve_value(btf, "init_inode", 2, "i_rwsem", &lp, why, sizeof(why)),
		-EINVAL);
	assert_non_null(strstr(why, "i_rwsem is a mutex, not an integer"));
	assert_int_equal(
		lock_path__resolve_value(btf, "init_inode", 2, "i_flags", &lp, why, sizeof(why)),
		-EINVAL);
	assert_non_null(strstr(why, "i_flags is a bit-field"));
	assert_int_equal(
		lock_path__resolve_value(btf, "init_inode", 2, "i_nope", &lp, why, sizeof(why)),
		-ENOENT);
	assert_int_equal(lp.nr_derefs, 99);
	btf__free(btf);
}

/* --- the running kernel's gfp layout ----------------------------------------- */

/* The kmalloc tracepoint's own print fmt, parsed without kernel_info. */
static struct gfp_layout *layout_from_tracefs(void)
{
	const char *root = tracefs_path();
	char path[512], *line = NULL;
	struct gfp_layout *layout = new_gfp_layout();
	size_t cap = 0;
	bool parsed = false;
	FILE *f;

	assert_non_null(root);
	snprintf(path, sizeof(path), "%s/events/kmem/kmalloc/format", root);
	f = fopen(path, "r");
	assert_non_null(f);
	while (getline(&line, &cap, f) > 0)
		if (strncmp(line, "print fmt: ", 11) == 0)
			parsed = gfp_layout__parse_print_fmt(layout, line + 11) == 0;
	fclose(f);
	free(line);
	assert_true(parsed);
	return layout;
}

static void assert_bits_agree(const struct gfp_layout *a, const struct gfp_layout *b)
{
	static const char *const names[] = { "__GFP_IO",
					     "__GFP_FS",
					     "__GFP_DIRECT_RECLAIM",
					     "__GFP_KSWAPD_RECLAIM",
					     "GFP_KERNEL",
					     "GFP_NOFS",
					     "GFP_NOIO",
					     "GFP_ATOMIC",
					     "GFP_NOWAIT" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		__u64 ma = gfp_layout__mask(a, names[i]), mb = gfp_layout__mask(b, names[i]);

		if (ma != mb)
			fail_msg("%s: 0x%llx vs 0x%llx", names[i], (unsigned long long)ma,
				 (unsigned long long)mb);
		assert_true(ma != 0);
	}
}

static void test_gfp_layout_from_btf_matches_tracefs(void **state)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	struct gfp_layout *live = NULL, *fmt = layout_from_tracefs();
	const char *source = NULL;

	assert_non_null(vmlinux);
	assert_int_equal(kernel_read_gfp_layout(vmlinux, &live, &source), 0);
	assert_non_null(source);
	assert_bits_agree(live, fmt);
	/* GFP_KERNEL is what lockdep's rule reads: reclaim, IO and FS. */
	assert_int_equal(gfp_layout__mask(live, "GFP_KERNEL"),
			 gfp_layout__mask(live, "__GFP_DIRECT_RECLAIM") |
				 gfp_layout__mask(live, "__GFP_KSWAPD_RECLAIM") |
				 gfp_layout__mask(live, "__GFP_IO") |
				 gfp_layout__mask(live, "__GFP_FS"));
	gfp_layout__free(live);
	gfp_layout__free(fmt);
	btf__free(vmlinux);
}

static void test_gfp_layout_without_btf_uses_tracefs(void **state)
{
	struct gfp_layout *live = NULL, *fmt = layout_from_tracefs();
	const char *source = NULL;

	assert_int_equal(kernel_read_gfp_layout(NULL, &live, &source), 0);
	assert_string_equal(source, "tracefs kmem/kmalloc print fmt");
	assert_bits_agree(live, fmt);
	gfp_layout__free(live);
	gfp_layout__free(fmt);
}

/* --- task flags ---------------------------------------------------------------- */

static bool stat_flags_of_comm(const char *prefix, unsigned long *ret_flags)
{
	struct dirent *de;
	bool found = false;
	DIR *proc = opendir("/proc");

	assert_non_null(proc);
	while (!found && (de = readdir(proc))) {
		char path[300], buf[1024], *close;
		size_t n;
		FILE *f;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		close = strrchr(buf, ')');
		if (!close || strncmp(strchr(buf, '(') + 1, prefix, strlen(prefix)) != 0)
			continue;
		found = sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %lu", ret_flags) == 1;
	}
	closedir(proc);
	return found;
}

static bool single_bit(__u32 v)
{
	return v && !(v & (v - 1));
}

static void test_task_flags_match_kswapd(void **state)
{
	struct task_flag_values v;
	unsigned long kswapd_flags;

	assert_int_equal(kernel_read_task_flags(&v), 0);
	assert_true(single_bit(v.memalloc) && single_bit(v.memalloc_nofs) &&
		    single_bit(v.memalloc_noio) && single_bit(v.kswapd));
	assert_int_equal(
		__builtin_popcount(v.memalloc | v.memalloc_nofs | v.memalloc_noio | v.kswapd), 4);
	assert_non_null(strstr(v.source, "checked"));
	if (!stat_flags_of_comm("kswapd", &kswapd_flags))
		fail_msg("no kswapd thread on this machine: the check has nothing to compare with");
	assert_true((kswapd_flags & v.memalloc) && (kswapd_flags & v.kswapd));
	assert_false(kswapd_flags & (v.memalloc_nofs | v.memalloc_noio));
}

/* --- tracefs ---------------------------------------------------------------------- */

static void test_tracepoint_exists(void **state)
{
	assert_true(tracepoint_exists("kmem", "kmalloc"));
	assert_true(tracepoint_exists("vmscan", "mm_shrink_slab_start"));
	assert_false(tracepoint_exists("kmem", "no_such_event"));
}

/* --- the probe table ------------------------------------------------------------------ */

static char *print_to_string(const struct probe_table *table, bool json)
{
	struct probe_report_info info = { .kernel_release = "6.1.0-test",
					  .lock_attach = "fentry",
					  .gfp_source = "BTF" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	if (json)
		probe_table__print_json(table, &info, f);
	else
		probe_table__print_text(table, &info, f);
	fclose(f);
	return buf;
}

static struct probe_table *sample_table(void)
{
	struct probe_table *t = NULL;
	struct probe_point *p;

	assert_int_equal(probe_table__new(&t), 0);
	p = probe_table__add(t, "mutex_lock", PROBE_GROUP_LOCK, true, "acquisitions are missed");
	probe_point__set(p, PROBE_KIND_FEXIT, PROBE_ATTACHED, 0, NULL);
	p = probe_table__add(t, "mutex_unlock", PROBE_GROUP_LOCK, true, "releases are missed");
	probe_point__set(p, PROBE_KIND_FENTRY, PROBE_ATTACHED, 0, NULL);
	p = probe_table__add(t, "kmem:kmalloc", PROBE_GROUP_ALLOC, false, "kmalloc \"unseen\"");
	probe_point__set(p, PROBE_KIND_TRACEPOINT, PROBE_REFUSED, -EPERM, NULL);
	p = probe_table__add(t, "i915_gem_shrinker_scan", PROBE_GROUP_DRIVER, false, "cost");
	snprintf(p->module, sizeof(p->module), "i915");
	probe_point__set(p, PROBE_KIND_FENTRY, PROBE_MODULE_ABSENT, 0, "%s", "i915");
	return t;
}

static void test_probe_table_essential(void **state)
{
	struct probe_table *t = sample_table();

	assert_true(probe_table__essential_attached(t));
	assert_int_equal(probe_table__attached(t, PROBE_GROUP_LOCK), 2);
	assert_int_equal(probe_table__attached(t, PROBE_GROUP_ALLOC), 0);
	probe_point__set(probe_table__find(t, "mutex_unlock"), PROBE_KIND_FENTRY, PROBE_REFUSED,
			 -EPERM, "fentry EPERM (BPF trampolines not permitted)");
	assert_false(probe_table__essential_attached(t));
	probe_table__free(t);
}

static void test_probe_table_json_lines(void **state)
{
	struct probe_table *t = sample_table();
	char *out = print_to_string(t, true);

	assert_non_null(strstr(out,
			       "{\"probe\":\"mutex_lock\",\"group\":\"lock\",\"kind\":\"fexit\","
			       "\"target\":\"mutex_lock\",\"module\":null,\"status\":\"attached\","
			       "\"errno\":0,\"error\":null,\"detail\":null,\"essential\":true,"
			       "\"cost\":\"acquisitions are missed\"}\n"));
	assert_non_null(strstr(out, "\"probe\":\"kmem:kmalloc\",\"group\":\"alloc\",\"kind\":"
				    "\"tracepoint\",\"target\":\"kmem:kmalloc\",\"module\":null,"
				    "\"status\":\"refused\",\"errno\":1,\"error\":\"EPERM\""));
	/* Quotes in a cost are escaped. */
	assert_non_null(strstr(out, "\"cost\":\"kmalloc \\\"unseen\\\"\""));
	assert_non_null(strstr(out, "\"module\":\"i915\",\"status\":\"module not loaded\""));
	assert_non_null(strstr(out,
			       "{\"summary\":{\"kernel\":\"6.1.0-test\",\"lock_attach\":"
			       "\"fentry\",\"lock_probes\":true,\"attached\":2,\"probes\":4,"));
	free(out);
	probe_table__free(t);
}

static void test_probe_table_text(void **state)
{
	struct probe_table *t = sample_table();
	char *out = print_to_string(t, false);

	assert_non_null(strstr(out, "kernel:      6.1.0-test\n"));
	assert_non_null(strstr(out, "mutex_lock              lock      attached via fexit\n"));
	assert_non_null(strstr(out, "kmem:kmalloc            alloc     refused: EPERM\n"));
	/* A point that is not attached says what that costs; an attached one does not. */
	assert_non_null(strstr(out, "cost: kmalloc \"unseen\"\n"));
	assert_null(strstr(out, "cost: acquisitions are missed"));
	assert_non_null(strstr(out, "module not loaded: i915\n"));
	free(out);
	probe_table__free(t);
}

static void test_probe_defs_are_consistent(void **state)
{
	const struct lock_probe_def *defs;
	bool seen_acquire = false;
	size_t nr;

	defs = probe_lock_defs(&nr);
	assert_true(nr >= 19);
	for (size_t i = 0; i < nr; i++) {
		bool at_exit = defs[i].kretprobe_prog != NULL;
		bool acquire;

		assert_non_null(defs[i].fentry_prog);
		assert_non_null(defs[i].kprobe_prog);
		assert_non_null(defs[i].cost);
		acquire = strcmp(defs[i].kprobe_prog, "kp_release") &&
			  strcmp(defs[i].kprobe_prog, "kp_ww_release") &&
			  strcmp(defs[i].kprobe_prog, "kp_init");
		/* Releases and inits come before every acquire (attach order). */
		if (acquire)
			seen_acquire = true;
		else
			assert_false(seen_acquire);
		/* A result read at exit is fexit and a kretprobe; all else is seen at entry. */
		assert_memory_equal(defs[i].fentry_prog, at_exit ? "fx_" : "fe_", 3);
	}
	assert_true(seen_acquire);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_member_offset_plain_and_nested),
		cmocka_unit_test(test_member_offset_anonymous_members),
		cmocka_unit_test(test_member_offset_errors_leave_result_untouched),
		cmocka_unit_test(test_btf_has_function),
		cmocka_unit_test(test_lock_path_follows_pointers),
		cmocka_unit_test(test_lock_path_errors),
		cmocka_unit_test(test_key_path_leads_to_a_string),
		cmocka_unit_test(test_value_path_leads_to_an_integer),
		cmocka_unit_test(test_gfp_layout_from_btf_matches_tracefs),
		cmocka_unit_test(test_gfp_layout_without_btf_uses_tracefs),
		cmocka_unit_test(test_task_flags_match_kswapd),
		cmocka_unit_test(test_tracepoint_exists),
		cmocka_unit_test(test_probe_table_essential),
		cmocka_unit_test(test_probe_table_json_lines),
		cmocka_unit_test(test_probe_table_text),
		cmocka_unit_test(test_probe_defs_are_consistent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
