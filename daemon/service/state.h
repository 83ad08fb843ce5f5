/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The saved graph: what an engine learned, kept across restarts, crashes
 * and reboots, and merged across machines.
 *
 * Format (version STATE_VERSION): JSON lines, one record per line, so that
 * `grep` and `jq` read it and a truncated file is detected at once.
 *
 *   {"lockdepd_state":2,"created":"2026-11-24T22:19:05Z","host":"ci-7",
 *    "kernel":"6.1.0-56-amd64"}
 *   {"class":"vm->mutex"}
 *   {"class":"unclassified@foo","unclassified":true}
 *   {"class":[255,97,128]}
 *   {"stack":1,"frames":["mutex_lock+0x1c","i915_vma_pin_ww+0x40"]}
 *   {"dep":["vm->mutex","fs_reclaim"],"count":3,"pid":120,"comm":"gem_exec",
 *    "time_ns":0,"test":"igt@gem_exec@basic","reclaim_kind":null,
 *    "held":{"lock":"0xffff8880aa000010","ip":"i915_vma_pin_ww+0x1c",
 *            "type":"mutex","trylock":false,"stack":1},
 *    "acquired":{"lock":"0x0","ip":"i915_vma_bind+0x44","type":"mutex",
 *                "trylock":false,"stack":2}}
 *   {"dep":["fs_reclaim","vm->mutex"],"primed":true}
 *   {"finding":"reclaim","classes":["fs_reclaim","vm->mutex"],"count":1,
 *    "test":"igt@gem_exec@basic"}
 *   {"end":{"classes":3,"dependencies":2,"findings":1}}
 *
 * The header comes first and the end record last, with the record counts:
 * anything else is a corrupt file. Code addresses (ips, stack frames) are
 * stored as symbol names, since addresses differ between boots and
 * machines, and come back as the symtab's interned names; an address no
 * symbol named is kept as "0x..." and lock instances always are. Stacks
 * are stored once and referred to by number. Dependencies are in the order
 * they were first seen: importing them in that order rebuilds the same
 * graph and finds the same findings; the finding records then restore the
 * counts. Keys a reader does not know are ignored, so a version adds keys
 * freely; a change that older readers would misread bumps the version, and
 * a file newer than the reader is refused, never misread.
 *
 * Names and other strings are written by json_write_string() (lib/json.h):
 * a JSON string when they are UTF-8, else the array of their bytes
 * ("\xff" "a\x80" above), so that they come back byte for byte. Version 1
 * wrote those bytes as \u0080-\u00ff escapes, which any JSON reader reads
 * as the characters U+0080-U+00FF: a version 1 file is read while no string
 * in it holds such a character, and refused otherwise.
 *
 * Writes are atomic: a temporary file in the same directory, fsync, rename
 * over the old file, fsync of the directory. A crash leaves the old state
 * or the new one, never half of one.
 */
#ifndef LOCKDEPD_STATE_H
#define LOCKDEPD_STATE_H

#include <stddef.h>
#include <linux/types.h>

struct engine;
struct symtab;

#define STATE_VERSION	2
#define STATE_FILE_NAME "state.jsonl"

struct state_meta {
	const char *host; /* NULL: not recorded */
	const char *kernel_release; /* NULL: not recorded */
};

/* What a state file held. */
struct state_info {
	unsigned int version;
	char host[256];
	char kernel_release[128];
	char created[32];
	__u64 classes;
	__u64 dependencies;
	__u64 findings;
	__u64 findings_restored; /* findings the loading engine holds too */
};

/*
 * Writes engine's graph to path atomically (see above). 0, or -errno
 * logged naming the file.
 */
int state_save(const char *path, const struct engine *engine, struct symtab *symtab,
	       const struct state_meta *meta);

/*
 * Imports a state file into engine (normally a fresh one; several files
 * into one engine merge them). Returns 0; -ENOENT when there is no file
 * (nothing logged); -EINVAL for a corrupt file and -EPROTONOSUPPORT for one
 * of a newer version, with "path:line: what is wrong" in ret_error (size
 * error_len) and nothing logged, for the caller to say what it does about
 * it in one line (the engine may then hold part of the file: discard it);
 * another -errno, logged. ret_info may be NULL.
 */
int state_load(const char *path, struct engine *engine, struct symtab *symtab,
	       struct state_info *ret_info, char *ret_error, size_t error_len);

/*
 * Moves a bad state file aside as "<path>.corrupt-<UTC time>", the name
 * written to ret_moved (size len). 0 or -errno.
 */
int state_quarantine(const char *path, char *ret_moved, size_t len);

#endif
