// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Reading the running kernel's facts the probes depend on. Nothing here is
 * assumed when the kernel can be asked; where it cannot (the PF_* macros),
 * the assumption is checked against what the kernel shows.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "event/gfp.h"
#include "source/live/kernel_info.h"
#include "lib/log.h"

#ifndef PR_SET_IO_FLUSHER
#define PR_SET_IO_FLUSHER 57
#define PR_GET_IO_FLUSHER 58
#endif

int kernel_read_release(char *buf, size_t len)
{
	struct utsname u;

	if (uname(&u) < 0)
		return log_error_errno(-errno, "uname: %m");
	if ((size_t)snprintf(buf, len, "%s", u.release) >= len)
		return -ENOSPC;
	return 0;
}

/* --- tracefs ------------------------------------------------------------- */

static bool has_events(const char *dir)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/events", dir);
	return access(path, F_OK) == 0;
}

const char *tracefs_path(void)
{
	static const char *const candidates[] = { "/sys/kernel/tracing",
						  "/sys/kernel/debug/tracing" };

	for (size_t i = 0; i < 2; i++)
		if (has_events(candidates[i]))
			return candidates[i];
	/* libbpf finds tracepoint ids there: mount it where it looks first. */
	if (mount("nodev", candidates[0], "tracefs", 0, NULL) == 0) {
		log_info("mounted tracefs on %s", candidates[0]);
		if (has_events(candidates[0]))
			return candidates[0];
	}
	log_debug("no tracefs at %s or %s, and mounting it failed: %m", candidates[0],
		  candidates[1]);
	errno = ENOENT;
	return NULL;
}

int tracepoint_exists(const char *category, const char *name)
{
	const char *root = tracefs_path();
	char path[512];

	if (!root)
		return 0;
	snprintf(path, sizeof(path), "%s/events/%s/%s", root, category, name);
	return access(path, F_OK) == 0;
}

/* --- gfp ------------------------------------------------------------------ */

/* The `print fmt:` text of a tracepoint, malloc'ed, or NULL with errno set. */
static char *read_print_fmt(const char *category, const char *name)
{
	const char *root = tracefs_path();
	char path[512], *line = NULL, *fmt = NULL;
	size_t cap = 0;
	FILE *f;

	if (!root)
		return NULL;
	snprintf(path, sizeof(path), "%s/events/%s/%s/format", root, category, name);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, "print fmt: ", 11) == 0) {
			fmt = strdup(line + 11);
			break;
		}
	}
	fclose(f);
	free(line);
	if (!fmt)
		errno = ENOENT;
	return fmt;
}

static bool is_single_bit(__u64 mask)
{
	return mask && !(mask & (mask - 1));
}

/* "___GFP_DIRECT_RECLAIM_BIT" -> "__GFP_DIRECT_RECLAIM"; false for other names. */
static bool gfp_bit_name(const char *enumerator, char *buf, size_t len)
{
	size_t n = strlen(enumerator);

	if (strncmp(enumerator, "___GFP_", 7) != 0 || n < 12 ||
	    strcmp(enumerator + n - 4, "_BIT") != 0)
		return false;
	if (strstr(enumerator, "LAST") || strstr(enumerator, "UNUSED"))
		return false;
	if (n - 5 >= len)
		return false;
	memcpy(buf, enumerator + 1, n - 5);
	buf[n - 5] = '\0';
	return true;
}

/* Adds the __GFP_* bits of BTF's ___GFP_*_BIT enum; 0 when there is none. */
static int add_btf_gfp_bits(const struct btf *btf, struct gfp_layout *layout)
{
	__u32 nr = btf__type_cnt(btf);
	int added = 0;

	for (__u32 id = 1; id < nr; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_enum *e;
		char name[64];

		if (!btf_is_enum(t))
			continue;
		e = btf_enum(t);
		if (btf_vlen(t) == 0 ||
		    strcmp(btf__name_by_offset(btf, e->name_off), "___GFP_DMA_BIT") != 0)
			continue;
		for (__u16 i = 0; i < btf_vlen(t); i++, e++) {
			if (!gfp_bit_name(btf__name_by_offset(btf, e->name_off), name,
					  sizeof(name)))
				continue;
			if (e->val < 0 || e->val > 63)
				continue;
			int err = gfp_layout__add(layout, name, 1ull << e->val);

			if (err && err != -EEXIST)
				return err;
			added++;
		}
		break;
	}
	return added;
}

/* Adds the composite names of a print-fmt layout, checking its single bits agree. */
static int add_composites(struct gfp_layout *layout, const struct gfp_layout *from_fmt)
{
	for (size_t i = 0; i < gfp_layout__count(from_fmt); i++) {
		const char *name;
		__u64 mask, mine;
		int err;

		gfp_layout__entry(from_fmt, i, &name, &mask);
		mine = gfp_layout__mask(layout, name);
		if (is_single_bit(mask)) {
			if (mine && mine != mask)
				return log_error_errno(
					-EPROTO,
					"gfp: BTF says %s=0x%llx, kmem/kmalloc's print fmt says 0x%llx",
					name, (unsigned long long)mine, (unsigned long long)mask);
			if (mine)
				continue;
		} else if (mine) {
			continue;
		}
		err = gfp_layout__add(layout, name, mask);
		if (err && err != -EEXIST)
			return err;
	}
	return 0;
}

int kernel_read_gfp_layout(const struct btf *vmlinux_btf, struct gfp_layout **ret_layout,
			   const char **ret_source)
{
	struct gfp_layout *layout = NULL, *from_fmt = NULL;
	const char *source;
	char *fmt = NULL;
	int nr_btf = 0, err;

	if (gfp_layout__new(&layout) || gfp_layout__new(&from_fmt)) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (vmlinux_btf) {
		nr_btf = add_btf_gfp_bits(vmlinux_btf, layout);
		if (nr_btf < 0) {
			err = nr_btf;
			goto cleanup;
		}
	}
	fmt = read_print_fmt("kmem", "kmalloc");
	if (fmt && gfp_layout__parse_print_fmt(from_fmt, fmt) == 0) {
		err = add_composites(layout, from_fmt);
		if (err)
			goto cleanup;
		source = nr_btf ? "BTF enum ___GFP_*_BIT + tracefs kmem/kmalloc print fmt"
				: "tracefs kmem/kmalloc print fmt";
	} else if (nr_btf) {
		source =
			"BTF enum ___GFP_*_BIT (no composite names: kmem/kmalloc format unreadable)";
	} else {
		err = log_error_errno(
			-ENOENT,
			"gfp: the kernel's BTF has no ___GFP_*_BIT enum and tracefs events/kmem/kmalloc/format is unreadable");
		goto cleanup;
	}
	if (!gfp_layout__mask(layout, "__GFP_FS") ||
	    !gfp_layout__mask(layout, "__GFP_DIRECT_RECLAIM")) {
		err = log_error_errno(
			-EPROTO,
			"gfp: the kernel's layout (%s) lacks __GFP_FS or __GFP_DIRECT_RECLAIM",
			source);
		goto cleanup;
	}
	*ret_layout = layout;
	layout = NULL;
	if (ret_source)
		*ret_source = source;
	err = 0;
cleanup:
	gfp_layout__free(layout);
	gfp_layout__free(from_fmt);
	free(fmt);
	return err;
}

/* --- task flags ------------------------------------------------------------ */

/*
 * include/linux/sched.h, unchanged for these four from Linux 4.12 (when
 * PF_MEMALLOC_NOFS arrived) to 6.18.
 */
#define TABLE_PF_MEMALLOC      0x00000800u
#define TABLE_PF_KSWAPD	       0x00020000u
#define TABLE_PF_MEMALLOC_NOFS 0x00040000u
#define TABLE_PF_MEMALLOC_NOIO 0x00080000u

/* Field 9 (flags) of /proc/<pid>/stat for a pid, or -errno. */
static int read_stat_flags(const char *pid, __u32 *ret_flags, char *comm, size_t comm_len)
{
	char path[64], buf[1024], *close, *p;
	unsigned long flags;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strchr(buf, '(');
	close = strrchr(buf, ')');
	if (!p || !close || close < p)
		return -EINVAL;
	if (comm) {
		size_t len = (size_t)(close - p - 1);

		if (len >= comm_len)
			len = comm_len - 1;
		memcpy(comm, p + 1, len);
		comm[len] = '\0';
	}
	/* After ") ": state ppid pgrp session tty_nr tpgid flags */
	if (sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return -EINVAL;
	*ret_flags = (__u32)flags;
	return 0;
}

/* The flags of every kswapd thread must show PF_MEMALLOC|PF_KSWAPD. */
static int check_kswapd(__u32 memalloc, __u32 kswapd, int *ret_checked)
{
	int checked = 0;
	struct dirent *de;
	DIR *proc;

	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while ((de = readdir(proc))) {
		char comm[32];
		__u32 flags;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		if (read_stat_flags(de->d_name, &flags, comm, sizeof(comm)) < 0)
			continue;
		if (strncmp(comm, "kswapd", 6) != 0)
			continue;
		checked++;
		if ((flags & (memalloc | kswapd)) != (memalloc | kswapd)) {
			closedir(proc);
			return log_error_errno(
				-EPROTO,
				"task flags: %s (pid %s) has flags 0x%x, without PF_MEMALLOC 0x%x or PF_KSWAPD 0x%x: the kernel's PF_* values differ from lockdepd's table",
				comm, de->d_name, flags, memalloc, kswapd);
		}
	}
	closedir(proc);
	*ret_checked = checked;
	return 0;
}

/* An ordinary thread (kthreadd, ourselves) carries none of the four. */
static int check_ordinary(const char *pid, __u32 all)
{
	char comm[32];
	__u32 flags;

	if (read_stat_flags(pid, &flags, comm, sizeof(comm)) < 0)
		return 0;
	if (flags & all)
		return log_error_errno(
			-EPROTO,
			"task flags: %s (pid %s) has flags 0x%x, overlapping the memalloc bits 0x%x: the kernel's PF_* values differ from lockdepd's table",
			comm, pid, flags, all);
	return 0;
}

/*
 * PR_SET_IO_FLUSHER sets PF_MEMALLOC_NOIO (and PF_LOCAL_THROTTLE) on the
 * calling thread. 1 checked, 0 not permitted, -EPROTO contradicted.
 */
static int check_io_flusher(__u32 noio)
{
	char self[32];
	__u32 flags;
	int was, err;

	was = prctl(PR_GET_IO_FLUSHER, 0, 0, 0, 0);
	if (was < 0 || prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0) < 0)
		return 0;
	snprintf(self, sizeof(self), "self/task/%d", (int)gettid());
	err = read_stat_flags(self, &flags, NULL, 0);
	prctl(PR_SET_IO_FLUSHER, was, 0, 0, 0);
	if (err < 0)
		return 0;
	if (!(flags & noio))
		return log_error_errno(
			-EPROTO,
			"task flags: PR_SET_IO_FLUSHER left flags 0x%x without PF_MEMALLOC_NOIO 0x%x: the kernel's PF_* values differ from lockdepd's table",
			flags, noio);
	return 1;
}

int kernel_read_task_flags(struct task_flag_values *ret_values)
{
	struct task_flag_values v = {
		.memalloc = TABLE_PF_MEMALLOC,
		.memalloc_nofs = TABLE_PF_MEMALLOC_NOFS,
		.memalloc_noio = TABLE_PF_MEMALLOC_NOIO,
		.kswapd = TABLE_PF_KSWAPD,
	};
	__u32 all = v.memalloc | v.memalloc_nofs | v.memalloc_noio | v.kswapd;
	int kswapds = 0, noio, err;

	err = check_kswapd(v.memalloc, v.kswapd, &kswapds);
	if (err == -EPROTO)
		return err;
	err = check_ordinary("2", all);
	if (!err)
		err = check_ordinary("self", all);
	if (err)
		return err;
	noio = check_io_flusher(v.memalloc_noio);
	if (noio < 0)
		return noio;
	snprintf(
		v.source, sizeof(v.source),
		"Linux 4.12-6.18 table; checked: %s, kthreadd and self%s; PF_MEMALLOC_NOFS unchecked",
		kswapds ? "kswapd's MEMALLOC|KSWAPD" : "no kswapd thread found",
		noio ? ", PR_SET_IO_FLUSHER's NOIO" : " (NOIO unchecked: no CAP_SYS_RESOURCE)");
	*ret_values = v;
	return 0;
}
