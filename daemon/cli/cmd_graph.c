// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lockdepd graph: the learned class hierarchy as Graphviz (DOT or SVG),
 * from a trace replayed through the engine as `report` does it, or from a
 * saved graph (a state file, as `merge` loads it). What is drawn, and how
 * a large graph is pruned, is output/graph.h's. Exit 0 once written, 2 for
 * bad input or usage (one line); the output file is then not left behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd.h"
#include "engine/engine.h"
#include "engine/rules.h"
#include "event/symtab.h"
#include "lib/atomic_file.h"
#include "lib/log.h"
#include "output/graph.h"
#include "service/state.h"
#include "source/trace/trace.h"

#define STATE_MAGIC "{\"lockdepd_state\""

/* 1 for a state file, 0 for anything else (a trace), or -errno logged. */
static int is_state_file(const char *path)
{
	char head[sizeof(STATE_MAGIC) - 1];
	FILE *file;
	size_t n;

	if (strcmp(path, "-") == 0)
		return 0;
	file = fopen(path, "re");
	if (!file)
		return log_error_errno(-errno, "%s: %m", path);
	n = fread(head, 1, sizeof(head), file);
	fclose(file);
	return n == sizeof(head) && memcmp(head, STATE_MAGIC, sizeof(head)) == 0;
}

static int load_trace(const char *path, struct engine *engine, struct symtab *symtab)
{
	struct trace_reader *reader = NULL;
	int err;

	err = trace_reader__open(path, symtab, &reader);
	if (err)
		return err;
	err = engine__set_gfp_layout(engine, trace_reader__gfp_layout(reader));
	if (!err)
		err = trace_reader__replay(reader, engine__replay_event, engine);
	trace_reader__free(reader);
	return err;
}

static int load_state(const char *path, struct engine *engine, struct symtab *symtab)
{
	char error[1024];
	int err = state_load(path, engine, symtab, NULL, error, sizeof(error));

	if (err == -ENOENT)
		return log_error_errno(err, "%s: %m", path);
	if (err == -EINVAL || err == -EPROTONOSUPPORT)
		return log_error_errno(err, "%s", error);
	return err;
}

static int parse_count(const char *option, const char *arg, size_t *ret)
{
	char *end;
	unsigned long long value;

	errno = 0;
	value = strtoull(arg, &end, 10);
	if (!*arg || *end || errno || arg[0] == '-' || value > SIZE_MAX / 2)
		return log_error_errno(-EINVAL, "%s: expected a number, got '%s'", option, arg);
	*ret = (size_t)value;
	return 0;
}

struct graph_output {
	const struct engine *engine;
	struct symtab *symtab;
	const struct graph_opts *opts;
};

static int graph_output_write(FILE *out, void *ctx)
{
	const struct graph_output *g = ctx;

	return graph_write(out, g->engine, g->symtab, g->opts);
}

/* The graph to output, written whole or not at all: an error keeps the old file. */
static int write_output(const char *output, const struct engine *engine, struct symtab *symtab,
			const struct graph_opts *opts)
{
	struct graph_output g = { engine, symtab, opts };

	if (!output)
		return graph_write(stdout, engine, symtab, opts);
	return atomic_file_write(output, graph_output_write, &g, 0);
}

int cmd_graph(int argc, char **argv)
{
	static const struct option options[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "no-default-rules", no_argument, NULL, 'D' },
		{ "finding", required_argument, NULL, 'n' },
		{ "class", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "max-classes", required_argument, NULL, 'm' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct cli cli = {
		.name = "graph",
		.usage = "graph [--rules FILE]... [--no-default-rules]\n"
			 "                      [--finding N | --class NAME] [--format dot|svg]\n"
			 "                      [--max-classes N] [-o FILE] TRACE|STATE",
	};
	struct graph_opts opts = { .max_classes = GRAPH_MAX_CLASSES };
	struct engine *engine = NULL;
	struct symtab *symtab = NULL;
	struct rules *rules = NULL;
	const char *output = NULL, *path;
	int status = EXIT_BAD_INPUT;
	int opt, state;

	while ((opt = cli_getopt(&cli, argc, argv, "r:n:c:f:m:o:h", options)) >= 0) {
		switch (opt) {
		case 'n':
			if (parse_count("--finding", optarg, &opts.finding))
				goto cleanup;
			if (!opts.finding) {
				log_error("--finding: findings are numbered from 1");
				goto cleanup;
			}
			break;
		case 'c':
			opts.class_name = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "svg") == 0) {
				opts.format = GRAPH_SVG;
			} else if (strcmp(optarg, "dot") == 0) {
				opts.format = GRAPH_DOT;
			} else {
				log_error("--format: expected dot or svg, got '%s'", optarg);
				goto cleanup;
			}
			break;
		case 'm':
			if (parse_count("--max-classes", optarg, &opts.max_classes))
				goto cleanup;
			if (!opts.max_classes)
				opts.max_classes = GRAPH_UNLIMITED;
			break;
		case 'o':
			output = optarg;
			break;
		}
	}
	if (opt == CLI_STOP) {
		status = cli.status;
		goto cleanup;
	}
	path = cli_one_operand(&cli, argc, argv, "TRACE or STATE", true);
	if (!path)
		goto cleanup;
	if (opts.finding && opts.class_name) {
		log_error("graph: give --finding or --class, not both");
		goto cleanup;
	}

	state = is_state_file(path);
	if (state < 0 || cli_rules__load(&cli.rules, true, &rules))
		goto cleanup;
	if (symtab__new(&symtab) || engine__new(rules, symtab, &engine)) {
		log_error_errno(-ENOMEM, "engine: %m");
		goto cleanup;
	}
	if (state ? load_state(path, engine, symtab) : load_trace(path, engine, symtab))
		goto cleanup;
	if (write_output(output, engine, symtab, &opts))
		goto cleanup;
	status = 0;
cleanup:
	engine__free(engine);
	symtab__free(symtab);
	rules__free(rules);
	cli_rules__fini(&cli.rules);
	return status;
}
