// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What the live source's two objects (live.c's core, entry_slots.c's entry
 * object) both need of libbpf and the kernel: libbpf's messages, links,
 * program lookup, module BTF, kallsyms, the refusal of an attach mode.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "lib/log.h"
#include "source/live/capture.h"

/* --- libbpf messages ------------------------------------------------------- */

/* libbpf's last warning, quoted when a load fails. */
static char libbpf_last_warning[256];

void live_forget_libbpf_warning(void)
{
	libbpf_last_warning[0] = '\0';
}

int live_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	static char msg[65536];
	char *line, *save = NULL;
	size_t n;

	if (level == LIBBPF_DEBUG && log_get_max_level() < LOG_LEVEL_DEBUG)
		return 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (level == LIBBPF_WARN)
		snprintf(libbpf_last_warning, sizeof(libbpf_last_warning), "%s", msg);
	/* A verifier log is many lines: one message each. */
	for (line = strtok_r(msg, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		log_debug("%s", line);
	return 0;
}

/* --- helpers ------------------------------------------------------------------- */

int live_links_add(struct live *live, struct bpf_link *link)
{
	if (live->nr_links == live->links_capacity) {
		size_t grown = live->links_capacity ? live->links_capacity * 2 : 64;
		struct bpf_link **links = realloc(live->links, grown * sizeof(*links));

		if (!links)
			return -ENOMEM;
		live->links = links;
		live->links_capacity = grown;
	}
	live->links[live->nr_links++] = link;
	return 0;
}

static bool kernel_has_kprobes(void)
{
	const char *tracefs = tracefs_path();
	char path[256];

	if (access("/sys/bus/event_source/devices/kprobe", F_OK) == 0)
		return true;
	if (!tracefs)
		return false;
	snprintf(path, sizeof(path), "%s/kprobe_events", tracefs);
	return access(path, F_OK) == 0;
}

const char *live_mode_name(enum lock_mode mode)
{
	switch (mode) {
	case LOCK_MODE_FENTRY:
		return "fentry";
	case LOCK_MODE_KPROBE:
		return "kprobe";
	default:
		return "none";
	}
}

bool live_is_refusal(enum lock_mode mode, int err)
{
	return err == -EPERM || err == -EACCES || err == -ENOTSUP ||
	       (mode == LOCK_MODE_KPROBE && !kernel_has_kprobes());
}

/* Why the kernel refused a program of that mode, in a few words. */
const char *live_refusal_reason(enum lock_mode mode, int err)
{
	if (mode == LOCK_MODE_FENTRY && (err == -EPERM || err == -EACCES))
		return "BPF trampolines not permitted";
	if (mode == LOCK_MODE_FENTRY && err == -ENOTSUP)
		return "no BPF trampolines in this kernel";
	if (mode == LOCK_MODE_KPROBE && !kernel_has_kprobes())
		return "no kprobe support in this kernel";
	if (err == -EPERM || err == -EACCES)
		return "not permitted";
	if (libbpf_last_warning[0])
		return libbpf_last_warning;
	return strerrordesc_np(-err) ?: "unknown error";
}

/* "fentry EPERM (BPF trampolines not permitted)" into buf. */
void live_describe_failure(enum lock_mode mode, int err, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s (%s)", live_mode_name(mode), probe_errno_name(-err),
		 live_refusal_reason(mode, err));
}

struct bpf_program *live_program(struct bpf_object *obj, const char *name)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, name);

	if (!prog)
		log_error("BPF object %s has no program %s (build mismatch)", bpf_object__name(obj),
			  name);
	return prog;
}

void live_all_autoload_off(struct bpf_object *obj)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj) bpf_program__set_autoload(prog, false);
}

/* The module BTF holding a function, loading module BTFs on first use. */
struct btf *live_module_btf(struct live *live, const char *module)
{
	struct btf *btf;
	char path[128];

	for (size_t i = 0; i < live->nr_modules; i++)
		if (strcmp(live->modules[i].name, module) == 0)
			return live->modules[i].btf;
	snprintf(path, sizeof(path), "/sys/kernel/btf/%s", module);
	if (access(path, F_OK) != 0 || live->nr_modules == MAX_MODULE_BTFS)
		return NULL;
	btf = btf__load_module_btf(module, live->vmlinux_btf);
	if (!btf) {
		log_debug("BTF of module %s: %m", module);
		return NULL;
	}
	snprintf(live->modules[live->nr_modules].name, sizeof(live->modules[0].name), "%s", module);
	live->modules[live->nr_modules++].btf = btf;
	return btf;
}

/*
 * Where a function's BTF lives: vmlinux, or a loaded module (its name into
 * module). NULL when no loaded BTF has it.
 */
const struct btf *live_function_btf(struct live *live, const char *function, char *module,
				    size_t module_len)
{
	struct dirent *de;
	DIR *dir;

	module[0] = '\0';
	if (btf_has_function(live->vmlinux_btf, function))
		return live->vmlinux_btf;
	dir = opendir("/sys/kernel/btf");
	if (!dir)
		return NULL;
	while ((de = readdir(dir))) {
		struct btf *btf;

		if (de->d_name[0] == '.' || strcmp(de->d_name, "vmlinux") == 0)
			continue;
		btf = live_module_btf(live, de->d_name);
		if (btf && btf_has_function(btf, function)) {
			snprintf(module, module_len, "%s", de->d_name);
			closedir(dir);
			return btf;
		}
	}
	closedir(dir);
	return NULL;
}

/* Addresses of some functions from /proc/kallsyms (kretprobes cannot ask the kernel). */
__u64 live_kallsyms_address(const char *function)
{
	char line[512], name[256];
	unsigned long long addr;
	__u64 found = 0;
	char type;
	FILE *f;

	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) == 3 &&
		    strcmp(name, function) == 0 && (type == 't' || type == 'T')) {
			found = addr;
			break;
		}
	}
	fclose(f);
	return found;
}

__u64 live_wakeup_threshold(const struct live *live)
{
	__u64 size = (__u64)(live->opts.ringbuf_mb ? live->opts.ringbuf_mb : DEFAULT_RINGBUF_MB)
		     << 20;

	return size / 4 < 256 * 1024 ? size / 4 : 256 * 1024;
}
