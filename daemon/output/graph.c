// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The class graph as DOT, and as SVG through libgvc. What is drawn and how
 * large graphs are pruned is described in graph.h.
 *
 * The DOT is written here: it is a small text format, and writing it keeps
 * the static guest build free of Graphviz. Names are quoted and escaped
 * (class names hold '>', '&', '-', quotes), and every node and edge is one
 * line, for tests and scripts to read.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "event/symtab.h"
#include "lib/arena.h"
#include "lib/array.h"
#include "lib/hashmap.h"
#include "lib/log.h"
#include "output/graph.h"

#ifndef LOCKDEPD_NO_GRAPHVIZ
#include <graphviz/gvc.h>
#endif

#define NO_DIST		  UINT32_MAX
#define FUNCTION_NAME_MAX 256

enum edge_mark {
	MARK_NONE,
	MARK_OTHER, /* an order breach or a recursion */
	MARK_CYCLE,
};

struct gnode {
	const char *name;
	const char *module; /* NULL: the kernel image, or not known */
	__u32 dist; /* from the classes the drawing is centred on */
	__u32 hidden; /* dependencies to classes not drawn */
	bool unclassified;
	bool module_known; /* decided by the first site seen taking the class */
	bool drawn;
	bool in_cycle;
};

struct gedge {
	__u32 from, to;
	struct dependency dep;
	enum edge_mark mark;
	bool closing; /* closed a highlighted cycle: does not rank */
};

struct graph {
	const struct engine *engine;
	struct symtab *symtab;
	struct gnode *nodes;
	size_t nr_nodes;
	struct gedge *edges;
	size_t nr_edges, cap_edges;
	/* Undirected neighbours, node i's in adj[adj_start[i] .. adj_start[i + 1]). */
	__u32 *adj_start, *adj;
	struct hmap by_name; /* hash of a class name -> node index + 1 */
	struct hmap by_pair; /* from << 32 | to -> edge index + 1 */
	const char **modules;
	size_t nr_modules, cap_modules;
	struct arena arena;
	size_t nr_drawn;
	size_t nr_findings; /* reported ones */
	char note[256];
};

struct name_key {
	const struct graph *graph;
	const char *name;
};

static bool node_name_eq(__u64 value, const void *wanted)
{
	const struct name_key *key = wanted;

	return strcmp(key->graph->nodes[value - 1].name, key->name) == 0;
}

static __u32 node_find(const struct graph *graph, const char *name)
{
	struct name_key key = { graph, name };
	struct hmap_slot *slot = hmap_find(&graph->by_name, hash_string(name), node_name_eq, &key);

	return slot ? (__u32)(slot->value - 1) : UINT32_MAX;
}

static __u64 pair_key(__u32 from, __u32 to)
{
	return (__u64)from << 32 | to;
}

static struct gedge *edge_find(const struct graph *graph, const char *from, const char *to)
{
	__u32 f = node_find(graph, from), t = node_find(graph, to);
	struct hmap_slot *slot;

	if (f == UINT32_MAX || t == UINT32_MAX)
		return NULL;
	slot = hmap_find(&graph->by_pair, pair_key(f, t), NULL, NULL);
	return slot ? &graph->edges[slot->value - 1] : NULL;
}

/* The module of module code, named by " [i915]" at the end of its symbol. */
static const char *module_of(struct graph *graph, __u64 ip)
{
	const char *name = ip ? symtab__lookup(graph->symtab, ip) : NULL;
	const char *open = name ? strrchr(name, '[') : NULL;
	const char *module;
	size_t len;

	if (!open || open == name || open[-1] != ' ')
		return NULL;
	module = open + 1;
	len = strlen(module);
	if (len < 2 || module[len - 1] != ']')
		return NULL;
	len--;
	for (size_t i = 0; i < graph->nr_modules; i++)
		if (strncmp(graph->modules[i], module, len) == 0 && !graph->modules[i][len])
			return graph->modules[i];
	if (array_reserve(&graph->modules, &graph->cap_modules, graph->nr_modules + 1))
		return NULL;
	graph->modules[graph->nr_modules] = arena_strndup(&graph->arena, module, len);
	return graph->modules[graph->nr_modules] ? graph->modules[graph->nr_modules++] : NULL;
}

/* A class's module is that of the first site seen taking it (a primed taint has none). */
static void node_note_site(struct graph *graph, struct gnode *node, __u64 ip)
{
	if (!ip || node->module_known || strcmp(node->name, FS_RECLAIM_CLASS) == 0)
		return;
	node->module_known = true;
	node->module = module_of(graph, ip);
}

static int load_nodes(struct graph *graph)
{
	graph->nr_nodes = engine__nr_classes(graph->engine);
	graph->nodes = calloc(graph->nr_nodes ? graph->nr_nodes : 1, sizeof(*graph->nodes));
	if (!graph->nodes)
		return -ENOMEM;
	for (size_t i = 0; i < graph->nr_nodes; i++) {
		struct gnode *node = &graph->nodes[i];

		node->name = engine__class(graph->engine, i, &node->unclassified);
		node->dist = NO_DIST;
		if (node_find(graph, node->name) != UINT32_MAX)
			continue;
		if (hmap_insert(&graph->by_name, hash_string(node->name), i + 1))
			return -ENOMEM;
	}
	return 0;
}

static int load_edges(struct graph *graph)
{
	size_t nr_deps = engine__nr_dependencies(graph->engine);

	for (size_t i = 0; i < nr_deps; i++) {
		struct gedge edge = {};

		if (engine__dependency(graph->engine, i, &edge.dep))
			break;
		edge.from = node_find(graph, edge.dep.from);
		edge.to = node_find(graph, edge.dep.to);
		if (edge.from == UINT32_MAX || edge.to == UINT32_MAX ||
		    hmap_find(&graph->by_pair, pair_key(edge.from, edge.to), NULL, NULL))
			continue;
		if (array_reserve(&graph->edges, &graph->cap_edges, graph->nr_edges + 1) ||
		    hmap_insert(&graph->by_pair, pair_key(edge.from, edge.to), graph->nr_edges + 1))
			return -ENOMEM;
		node_note_site(graph, &graph->nodes[edge.from], edge.dep.held.ip);
		node_note_site(graph, &graph->nodes[edge.to], edge.dep.acquired.ip);
		graph->edges[graph->nr_edges++] = edge;
	}
	return 0;
}

static int load_adjacency(struct graph *graph)
{
	__u32 *fill;

	graph->adj_start = calloc(graph->nr_nodes + 1, sizeof(*graph->adj_start));
	graph->adj = calloc(2 * graph->nr_edges + 1, sizeof(*graph->adj));
	fill = calloc(graph->nr_nodes + 1, sizeof(*fill));
	if (!graph->adj_start || !graph->adj || !fill) {
		free(fill);
		return -ENOMEM;
	}
	for (size_t i = 0; i < graph->nr_edges; i++) {
		const struct gedge *edge = &graph->edges[i];

		if (edge->from == edge->to)
			continue;
		graph->adj_start[edge->from + 1]++;
		graph->adj_start[edge->to + 1]++;
	}
	for (size_t i = 0; i < graph->nr_nodes; i++)
		graph->adj_start[i + 1] += graph->adj_start[i];
	for (size_t i = 0; i < graph->nr_edges; i++) {
		const struct gedge *edge = &graph->edges[i];

		if (edge->from == edge->to)
			continue;
		graph->adj[graph->adj_start[edge->from] + fill[edge->from]++] = edge->to;
		graph->adj[graph->adj_start[edge->to] + fill[edge->to]++] = edge->from;
	}
	free(fill);
	return 0;
}

static void mark_finding(struct graph *graph, const struct finding *finding)
{
	bool cycle = finding->kind == FINDING_CIRCULAR || finding->kind == FINDING_RECLAIM;

	if (!cycle) {
		for (__u32 i = 0; i < finding->nr_edges; i++) {
			struct gedge *edge =
				edge_find(graph, finding->edges[i]->from, finding->edges[i]->to);

			if (edge && edge->mark == MARK_NONE)
				edge->mark = MARK_OTHER;
		}
		return;
	}
	for (__u32 i = 0; i < finding->nr_classes; i++) {
		const char *from = finding->classes[i];
		const char *to = finding->classes[(i + 1) % finding->nr_classes];
		struct gedge *edge = edge_find(graph, from, to);
		__u32 node = node_find(graph, from);

		if (node != UINT32_MAX)
			graph->nodes[node].in_cycle = true;
		if (!edge)
			continue;
		edge->mark = MARK_CYCLE;
		if (i == finding->nr_classes - 1)
			edge->closing = true;
	}
}

/* The reported finding number n (1-based), or NULL. */
static const struct finding *reported_finding(const struct engine *engine, size_t n)
{
	for (size_t i = 0, seen = 0; i < engine__nr_findings(engine); i++) {
		const struct finding *finding = engine__finding(engine, i);

		if (!finding->suppressed && ++seen == n)
			return finding;
	}
	return NULL;
}

/*
 * Selection: seeds are drawn first (dist 0), then their neighbours by
 * breadth-first search up to depth, while fewer than max are drawn.
 */
struct selection {
	__u32 *queue;
	size_t head, tail;
	size_t max;
};

/* Whether node was drawn only now. */
static bool draw(struct graph *graph, struct selection *sel, __u32 node, __u32 dist)
{
	if (graph->nodes[node].drawn)
		return false;
	graph->nodes[node].drawn = true;
	graph->nodes[node].dist = dist;
	sel->queue[sel->tail++] = node;
	graph->nr_drawn++;
	return true;
}

/* A finding's classes, whole, if they fit (or nothing is drawn yet). */
static void draw_finding(struct graph *graph, struct selection *sel, const struct finding *finding)
{
	size_t new_nodes = 0;

	for (__u32 i = 0; i < finding->nr_classes; i++) {
		__u32 node = node_find(graph, finding->classes[i]);

		new_nodes += node != UINT32_MAX && !graph->nodes[node].drawn;
	}
	if (graph->nr_drawn && graph->nr_drawn + new_nodes > sel->max)
		return;
	for (__u32 i = 0; i < finding->nr_classes; i++) {
		__u32 node = node_find(graph, finding->classes[i]);

		if (node != UINT32_MAX)
			draw(graph, sel, node, 0);
	}
}

/*
 * Each drawn class brings in at most GRAPH_FANOUT neighbours not drawn yet
 * (seed_fanout for a seed when not 0): a class taken under thousands of
 * others would otherwise fill the picture with one row.
 */
static void draw_neighbours(struct graph *graph, struct selection *sel, __u32 depth,
			    size_t seed_fanout)
{
	while (sel->head < sel->tail && graph->nr_drawn < sel->max) {
		__u32 node = sel->queue[sel->head++];
		__u32 dist = graph->nodes[node].dist;
		size_t fanout = !dist && seed_fanout ? seed_fanout : GRAPH_FANOUT;
		size_t added = 0;

		if (dist >= depth)
			continue;
		for (__u32 i = graph->adj_start[node];
		     i < graph->adj_start[node + 1] && graph->nr_drawn < sel->max && added < fanout;
		     i++)
			added += draw(graph, sel, graph->adj[i], dist + 1);
	}
}

/* fs_reclaim is always a class: with no dependency it only says nothing allocated. */
static bool reclaim_alone(const struct graph *graph, __u32 node)
{
	return graph->adj_start[node] == graph->adj_start[node + 1] &&
	       strcmp(graph->nodes[node].name, FS_RECLAIM_CLASS) == 0;
}

static int select_nodes(struct graph *graph, const struct graph_opts *opts)
{
	struct selection sel = {
		.max = opts->max_classes ? opts->max_classes : GRAPH_MAX_CLASSES,
	};
	const struct finding *selected = NULL;
	size_t total = graph->nr_nodes;

	for (size_t i = 0; i < engine__nr_findings(graph->engine); i++)
		graph->nr_findings += !engine__finding(graph->engine, i)->suppressed;
	if (opts->finding) {
		selected = reported_finding(graph->engine, opts->finding);
		if (!selected)
			return log_error_errno(-ENOENT,
					       "--finding %zu: the graph has %zu finding%s",
					       opts->finding, graph->nr_findings,
					       graph->nr_findings == 1 ? "" : "s");
		mark_finding(graph, selected);
	} else {
		for (size_t i = 0; i < engine__nr_findings(graph->engine); i++) {
			const struct finding *finding = engine__finding(graph->engine, i);

			if (!finding->suppressed)
				mark_finding(graph, finding);
		}
	}

	if (!opts->finding && !opts->class_name && total <= sel.max) {
		for (size_t i = 0; i < total; i++) {
			graph->nodes[i].drawn = !reclaim_alone(graph, (__u32)i);
			graph->nr_drawn += graph->nodes[i].drawn;
		}
		return 0;
	}

	sel.queue = calloc(total ? total : 1, sizeof(*sel.queue));
	if (!sel.queue)
		return -ENOMEM;
	if (selected) {
		draw_finding(graph, &sel, selected);
		draw_neighbours(graph, &sel, 1, 0);
		snprintf(graph->note, sizeof(graph->note),
			 "finding %zu and its neighbours: %zu of %zu classes", opts->finding,
			 graph->nr_drawn, total);
	} else if (opts->class_name) {
		__u32 node = node_find(graph, opts->class_name);

		if (node == UINT32_MAX) {
			free(sel.queue);
			return log_error_errno(-ENOENT, "--class %s: no such class in the graph",
					       opts->class_name);
		}
		draw(graph, &sel, node, 0);
		draw_neighbours(graph, &sel, 1, SIZE_MAX);
		snprintf(graph->note, sizeof(graph->note),
			 "%s and its neighbours: %zu of %zu classes", opts->class_name,
			 graph->nr_drawn, total);
	} else if (graph->nr_findings) {
		for (size_t i = 0; i < engine__nr_findings(graph->engine); i++) {
			const struct finding *finding = engine__finding(graph->engine, i);

			if (!finding->suppressed)
				draw_finding(graph, &sel, finding);
		}
		draw_neighbours(graph, &sel, GRAPH_PRUNE_DISTANCE, 0);
		snprintf(graph->note, sizeof(graph->note),
			 "pruned to the %zu of %zu classes nearest the findings (within %d "
			 "dependencies); --class NAME or --finding N draws another part",
			 graph->nr_drawn, total, GRAPH_PRUNE_DISTANCE);
	} else {
		for (size_t i = 0; i < total && graph->nr_drawn < sel.max; i++)
			if (!reclaim_alone(graph, (__u32)i))
				draw(graph, &sel, (__u32)i, 0);
		snprintf(graph->note, sizeof(graph->note),
			 "pruned to the first %zu of %zu classes learned; --class NAME draws "
			 "another part",
			 graph->nr_drawn, total);
	}
	free(sel.queue);

	for (size_t i = 0; i < graph->nr_edges; i++) {
		const struct gedge *edge = &graph->edges[i];
		struct gnode *from = &graph->nodes[edge->from], *to = &graph->nodes[edge->to];

		if (from->drawn && !to->drawn)
			from->hidden++;
		else if (to->drawn && !from->drawn)
			to->hidden++;
	}
	return 0;
}

/* --- DOT ------------------------------------------------------------------- */

/* "&name;" or "&#38;": Graphviz would read it as an entity in a label. */
static bool looks_like_entity(const char *s)
{
	size_t n = 1;

	while (s[n] == '#' || (s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'z') ||
	       (s[n] >= 'A' && s[n] <= 'Z'))
		n++;
	return n > 1 && s[n] == ';';
}

/* Length of the valid UTF-8 sequence at s, 0 if it is not one. */
static size_t utf8_length(const unsigned char *s)
{
	size_t n = s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;

	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * Text for a DOT double-quoted string: '"' and '\' escaped, control bytes
 * and invalid UTF-8 (which Graphviz refuses) as '?'.
 */
static void dot_text(FILE *out, const char *s, bool label)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		size_t n;

		if (*p == '"' || *p == '\\') {
			fputc('\\', out);
			fputc(*p, out);
		} else if (*p == '&' && label && looks_like_entity((const char *)p)) {
			fputs("&amp;", out);
		} else if (*p < 0x20 || *p == 0x7f) {
			fputc('?', out);
		} else if (*p < 0x80) {
			fputc(*p, out);
		} else if ((n = utf8_length(p))) {
			fwrite(p, 1, n, out);
			p += n - 1;
		} else {
			fputc('?', out);
		}
	}
}

static void dot_id(FILE *out, const char *name)
{
	fputc('"', out);
	dot_text(out, name, false);
	fputc('"', out);
}

/* The function of the acquisition that first made the edge, or "". */
static void edge_function(struct graph *graph, const struct dependency *dep, char *buf, size_t len)
{
	__u64 ip = dep->acquired.ip	    ? dep->acquired.ip
		   : dep->acquired.nr_stack ? dep->acquired.stack[0]
					    : 0;
	const char *name = ip ? symtab__lookup(graph->symtab, ip) : NULL;

	buf[0] = '\0';
	if (name) {
		if (symbol_function_name(name, buf, len) < 0)
			buf[0] = '\0';
	} else if (ip) {
		snprintf(buf, len, "0x%llx", (unsigned long long)ip);
	}
}

static void write_node(FILE *out, const struct gnode *node, const char *indent)
{
	bool reclaim = strcmp(node->name, FS_RECLAIM_CLASS) == 0;

	fputs(indent, out);
	dot_id(out, node->name);
	fputs(" [label=\"", out);
	dot_text(out, node->name, true);
	if (reclaim)
		fputs("\\n(pseudo-lock)", out);
	if (node->hidden)
		fprintf(out, "\\n+%u not drawn", node->hidden);
	fputc('"', out);
	if (reclaim)
		fputs(", shape=diamond, style=\"dashed,filled\", fillcolor=\"#eeeeee\"", out);
	else
		fprintf(out, ", style=\"rounded%s%s\"", node->unclassified ? ",dotted" : "",
			node->in_cycle ? ",filled" : "");
	if (node->in_cycle)
		fprintf(out, ", penwidth=2%s", reclaim ? "" : ", fillcolor=\"#ffe8e8\"");
	fputs("];\n", out);
}

static void write_edge(FILE *out, struct graph *graph, const struct gedge *edge)
{
	const struct dependency *dep = &edge->dep;
	char function[FUNCTION_NAME_MAX];

	fputc('\t', out);
	dot_id(out, dep->from);
	fputs(" -> ", out);
	dot_id(out, dep->to);
	if (dep->primed) {
		fputs(" [label=\"taint_reclaim\\n(rules)\", style=dashed", out);
	} else {
		edge_function(graph, dep, function, sizeof(function));
		fprintf(out, " [label=\"%llu×", (unsigned long long)dep->count);
		if (function[0]) {
			fputc(' ', out);
			dot_text(out, function, true);
		}
		if (dep->reclaim_kind) {
			fputs("\\n(", out);
			dot_text(out, dep->reclaim_kind, true);
			fputc(')', out);
		}
		fputc('"', out);
	}
	if (edge->mark == MARK_CYCLE)
		fputs(", color=red, fontcolor=red, penwidth=2", out);
	else if (edge->mark == MARK_OTHER)
		fputs(", color=darkorange, fontcolor=darkorange, penwidth=2", out);
	if (edge->closing)
		fputs(", constraint=false", out);
	fputs("];\n", out);
}

static void write_dot(FILE *out, struct graph *graph)
{
	size_t drawn_edges = 0;

	for (size_t i = 0; i < graph->nr_edges; i++)
		drawn_edges += graph->nodes[graph->edges[i].from].drawn &&
			       graph->nodes[graph->edges[i].to].drawn;
	fputs("digraph lockdepd {\n", out);
	fprintf(out,
		"\tgraph [rankdir=TB, newrank=true, labelloc=t, fontname=\"Helvetica\", fontsize=12, "
		"label=\"lockdepd: %zu class%s, %zu dependenc%s, %zu finding%s",
		graph->nr_nodes, graph->nr_nodes == 1 ? "" : "es", graph->nr_edges,
		graph->nr_edges == 1 ? "y" : "ies", graph->nr_findings,
		graph->nr_findings == 1 ? "" : "s");
	if (graph->note[0]) {
		fputs("\\n", out);
		dot_text(out, graph->note, true);
	}
	fprintf(out, "\"];\n");
	fputs("\tnode [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11];\n", out);
	fputs("\tedge [fontname=\"Helvetica\", fontsize=9];\n", out);
	fprintf(out, "\t/* %zu classes and %zu dependencies drawn */\n", graph->nr_drawn,
		drawn_edges);

	for (size_t m = 0; m < graph->nr_modules; m++) {
		bool open = false;

		for (size_t i = 0; i < graph->nr_nodes; i++) {
			const struct gnode *node = &graph->nodes[i];

			if (!node->drawn || node->module != graph->modules[m])
				continue;
			if (!open) {
				fprintf(out, "\tsubgraph \"cluster_%zu\" {\n\t\tlabel=\"[", m);
				dot_text(out, graph->modules[m], true);
				fputs("]\";\n\t\tstyle=dashed;\n\t\tcolor=grey;\n", out);
				open = true;
			}
			write_node(out, node, "\t\t");
		}
		if (open)
			fputs("\t}\n", out);
	}
	for (size_t i = 0; i < graph->nr_nodes; i++)
		if (graph->nodes[i].drawn && !graph->nodes[i].module)
			write_node(out, &graph->nodes[i], "\t");
	for (size_t i = 0; i < graph->nr_edges; i++)
		if (graph->nodes[graph->edges[i].from].drawn &&
		    graph->nodes[graph->edges[i].to].drawn)
			write_edge(out, graph, &graph->edges[i]);
	fputs("}\n", out);
}

/* --- SVG ------------------------------------------------------------------- */

#ifndef LOCKDEPD_NO_GRAPHVIZ
static int graphviz_message(char *msg)
{
	size_t len = strlen(msg);

	while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		len--;
	if (len)
		log_error("graphviz: %.*s", (int)len, msg);
	return 0;
}

int graph_render_svg(FILE *out, const char *dot)
{
	GVC_t *gvc;
	Agraph_t *g = NULL;
	char *data = NULL;
	unsigned int len = 0;
	bool laid_out = false;
	int err = 0;

	agseterr(AGERR);
	agseterrf(graphviz_message);
	gvc = gvContext();
	if (!gvc)
		return log_error_errno(-ENOMEM, "graphviz: cannot create a context");
	g = agmemread(dot);
	if (!g) {
		err = log_error_errno(-EINVAL, "graphviz: cannot read the graph");
		goto cleanup;
	}
	if (gvLayout(gvc, g, "dot")) {
		err = log_error_errno(-EINVAL, "graphviz: the dot layout failed");
		goto cleanup;
	}
	laid_out = true;
	if (gvRenderData(gvc, g, "svg", &data, &len) || !data) {
		err = log_error_errno(-EINVAL, "graphviz: cannot render svg");
		goto cleanup;
	}
	if (fwrite(data, 1, len, out) != len)
		err = -EIO;
cleanup:
	if (data)
		gvFreeRenderData(data);
	if (laid_out)
		gvFreeLayout(gvc, g);
	if (g)
		agclose(g);
	gvFreeContext(gvc);
	return err;
}
#else
int graph_render_svg(FILE *out, const char *dot)
{
	return log_error_errno(-ENOTSUP, "svg needs graphviz; use --format dot");
}
#endif

static void graph_free(struct graph *graph)
{
	free(graph->nodes);
	free(graph->edges);
	free(graph->adj_start);
	free(graph->adj);
	free(graph->modules);
	hmap_free(&graph->by_name);
	hmap_free(&graph->by_pair);
	arena_free(&graph->arena);
}

int graph_write(FILE *out, const struct engine *engine, struct symtab *symtab,
		const struct graph_opts *opts)
{
	struct graph graph = { .engine = engine, .symtab = symtab };
	FILE *mem = NULL;
	char *dot = NULL;
	size_t dot_len = 0;
	int err;

	if (opts->finding && opts->class_name)
		return log_error_errno(-EINVAL, "--finding and --class: give one of them");
#ifdef LOCKDEPD_NO_GRAPHVIZ
	if (opts->format == GRAPH_SVG)
		return graph_render_svg(out, NULL);
#endif
	err = load_nodes(&graph);
	if (!err)
		err = load_edges(&graph);
	if (!err)
		err = load_adjacency(&graph);
	if (err) {
		log_error_errno(err, "graph: %m");
		goto cleanup;
	}
	err = select_nodes(&graph, opts);
	if (err)
		goto cleanup;

	mem = open_memstream(&dot, &dot_len);
	if (!mem) {
		err = log_error_errno(-errno, "graph: %m");
		goto cleanup;
	}
	write_dot(mem, &graph);
	err = fclose(mem) ? log_error_errno(-ENOMEM, "graph: %m") : 0;
	mem = NULL;
	if (err)
		goto cleanup;

	errno = 0;
	if (opts->format == GRAPH_SVG)
		err = graph_render_svg(out, dot);
	else if (fwrite(dot, 1, dot_len, out) != dot_len)
		err = -EIO;
	if (!err && fflush(out))
		err = -EIO;
	if (err == -EIO)
		err = log_error_errno(errno ? -errno : err, "graph: cannot write: %m");
cleanup:
	if (mem)
		fclose(mem);
	free(dot);
	graph_free(&graph);
	return err;
}
