/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The constructors the tests call most, as expressions: each asserts that
 * construction succeeded (include after cmocka.h).
 */
#ifndef LOCKDEPD_TEST_CONSTRUCTORS_H
#define LOCKDEPD_TEST_CONSTRUCTORS_H

#include "engine/engine.h"
#include "engine/igt.h"
#include "event/gfp.h"
#include "event/symtab.h"

static inline struct symtab *new_symtab(void)
{
	struct symtab *symtab = NULL;

	assert_int_equal(symtab__new(&symtab), 0);
	return symtab;
}

static inline struct gfp_layout *new_gfp_layout(void)
{
	struct gfp_layout *layout = NULL;

	assert_int_equal(gfp_layout__new(&layout), 0);
	return layout;
}

static inline struct gfp_layout *new_default_gfp_layout(void)
{
	struct gfp_layout *layout = NULL;

	assert_int_equal(gfp_layout__new_default(&layout), 0);
	return layout;
}

static inline struct engine *new_engine(const struct rules *rules, struct symtab *symtab)
{
	struct engine *engine = NULL;

	assert_int_equal(engine__new(rules, symtab, &engine), 0);
	return engine;
}

static inline struct igt_tracker *new_igt_tracker(void)
{
	struct igt_tracker *tracker = NULL;

	assert_int_equal(igt_tracker__new(&tracker), 0);
	return tracker;
}

#endif
