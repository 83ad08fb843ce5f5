/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The learned class hierarchy as a Graphviz picture: `lockdepd graph`, and
 * any part that holds an engine (the status server) calls graph_write().
 *
 * What is drawn. Top-down: a dependency A -> B puts A (held) above B
 * (taken), so the outermost locks come first. fs_reclaim is a dashed
 * diamond, the pseudo-lock it is; an unclassified class is dotted. Each
 * edge says how often it was seen and the function of the acquisition that
 * first made it (for -> fs_reclaim, the allocation); a taint the rules
 * primed and nothing has shown yet is dashed. The edges of every reported
 * cycle (circular and reclaim findings) are red, and no other edge is; the
 * edge that closed a cycle does not rank its classes, so the hierarchy
 * reads as learned and the inversion points back up. The edge of an order
 * breach or of a recursion is dark orange. Suppressed findings are drawn
 * as plain edges. Classes whose first acquisition site is module code
 * ("func+0x1c/0x80 [i915]") are boxed in one cluster per module.
 *
 * Large graphs stay readable by drawing at most max_classes classes, the
 * nearest ones first, with a note at the top saying how many of how many
 * are drawn and which; a drawn class with dependencies to classes left out
 * says how many:
 *  - finding N: that finding's classes and their direct neighbours, and
 *    only that finding's edges highlighted;
 *  - class NAME: that class and its direct neighbours;
 *  - otherwise the whole graph when it has at most max_classes classes;
 *    beyond that the classes of the reported findings (whole findings, in
 *    report order, as long as they fit; the first one always) and those
 *    within GRAPH_PRUNE_DISTANCE dependencies of them, either direction;
 *    with no finding, the first classes learned.
 */
#ifndef LOCKDEPD_GRAPH_H
#define LOCKDEPD_GRAPH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct engine;
struct symtab;

enum graph_format {
	GRAPH_DOT, /* the DOT text, written here */
	GRAPH_SVG, /* rendered from it by Graphviz's library (libgvc) */
};

#define GRAPH_MAX_CLASSES    300
#define GRAPH_UNLIMITED	     SIZE_MAX
#define GRAPH_PRUNE_DISTANCE 2
#define GRAPH_FANOUT	     8

struct graph_opts {
	enum graph_format format;
	size_t finding; /* 1-based in report order (suppressed ones skipped); 0: none */
	const char *class_name; /* a class whose neighbourhood alone is drawn; NULL: none */
	size_t max_classes; /* 0: GRAPH_MAX_CLASSES; GRAPH_UNLIMITED never prunes */
};

/*
 * Writes engine's graph to out. 0; -ENOENT for a finding or class the
 * graph does not have, -EINVAL for finding and class_name both set,
 * -ENOTSUP for svg in a build without Graphviz, -EIO when out fails, or
 * -ENOMEM; each logged in one line. Nothing is written on error, except
 * what out already took when it failed.
 */
int graph_write(FILE *out, const struct engine *engine, struct symtab *symtab,
		const struct graph_opts *opts);

/*
 * Renders a DOT text (what graph_write() writes as GRAPH_DOT) as SVG to out,
 * for a caller that got the DOT from elsewhere (`status --graph`, from the
 * daemon). 0; -EINVAL when Graphviz cannot read or lay it out, -ENOTSUP
 * without Graphviz, -EIO, -ENOMEM; each logged.
 */
int graph_render_svg(FILE *out, const char *dot);

#endif
