// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the state file reader: any bytes must load or be
 * refused with a message, never crash, leak or read out of bounds. What
 * loads is saved and loaded again, which must succeed: the writer writes
 * nothing its reader refuses (names that are no UTF-8 included).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/engine.h"
#include "event/symtab.h"
#include "lib/log.h"
#include "service/state.h"

static void discard_log(enum log_level level, const char *msg, void *ctx)
{
	(void)level;
	(void)msg;
	(void)ctx;
}

static char dir[] = "/tmp/fuzz-state-XXXXXX";

static void remove_dir(void)
{
	rmdir(dir);
}

/* Loads path into a fresh engine: state_load()'s return. */
static int load(const char *path, struct engine **ret_engine, struct symtab **ret_symtab)
{
	struct symtab *symtab = NULL;
	struct engine *engine = NULL;
	char error[512];
	int err;

	if (symtab__new(&symtab) || engine__new(NULL, symtab, &engine))
		abort();
	err = state_load(path, engine, symtab, NULL, error, sizeof(error));
	*ret_engine = engine;
	*ret_symtab = symtab;
	return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char input[64], saved[sizeof(dir) + 16];
	struct engine *engine, *again;
	struct symtab *symtab, *symtab_again;
	int fd, err;

	log_set_sink(discard_log, NULL);
	if (dir[sizeof(dir) - 2] == 'X') {
		if (!mkdtemp(dir))
			abort();
		atexit(remove_dir);
	}
	fd = memfd_create("state", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(input, sizeof(input), "/proc/self/fd/%d", fd);
	err = load(input, &engine, &symtab);
	close(fd);
	if (err == 0) {
		snprintf(saved, sizeof(saved), "%s/state.jsonl", dir);
		if (state_save(saved, engine, symtab, NULL))
			abort();
		if (load(saved, &again, &symtab_again))
			abort();
		unlink(saved);
		engine__free(again);
		symtab__free(symtab_again);
	}
	engine__free(engine);
	symtab__free(symtab);
	return 0;
}
