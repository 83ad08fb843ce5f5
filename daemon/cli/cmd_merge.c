// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lockdepd merge: combines saved graphs from several machines or boots
 * into one, the way a fleet of CI machines is analysed together. Each
 * dependency is imported as if it had just been seen, so an inversion
 * whose two halves ran on different machines is found here. Prints every
 * finding of the merged graph (those only the merge could see are marked),
 * writes the merged state with -o. Exit 0 no findings, 1 findings, 2 bad
 * input (a state file that cannot be read, named in one line).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd.h"
#include "engine/engine.h"
#include "lib/log.h"
#include "output/report.h"
#include "engine/rules.h"
#include "service/state.h"
#include "event/symtab.h"

/* The kernel all inputs share, or NULL when they differ or none says. */
static const char *common_kernel(char (*kernels)[128], size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (strcmp(kernels[i], kernels[0]) != 0)
			return NULL;
	return n && kernels[0][0] ? kernels[0] : NULL;
}

static int load_inputs(char **paths, size_t n, struct engine *engine, struct symtab *symtab,
		       char (*kernels)[128], __u64 *ret_not_remade)
{
	*ret_not_remade = 0;
	for (size_t i = 0; i < n; i++) {
		struct state_info info;
		char error[1024];
		int err = state_load(paths[i], engine, symtab, &info, error, sizeof(error));

		if (err == -ENOENT)
			return log_error_errno(err, "%s: No such file or directory", paths[i]);
		if (err == -EINVAL || err == -EPROTONOSUPPORT)
			return log_error_errno(err, "%s", error);
		if (err)
			return err;
		snprintf(kernels[i], sizeof(kernels[i]), "%s", info.kernel_release);
		*ret_not_remade += info.findings - info.findings_restored;
		log_debug("%s: %llu classes, %llu dependencies, %llu findings from %s", paths[i],
			  (unsigned long long)info.classes, (unsigned long long)info.dependencies,
			  (unsigned long long)info.findings, info.host[0] ? info.host : "?");
	}
	return 0;
}

static unsigned long print_findings(const struct engine *engine, const struct report_opts *opts,
				    struct symtab *symtab, unsigned long *ret_new)
{
	unsigned long printed = 0;

	*ret_new = 0;
	for (size_t i = 0; i < engine__nr_findings(engine); i++) {
		const struct finding *finding = engine__finding(engine, i);
		bool is_new = !engine__finding_restored(engine, i);

		if (finding->suppressed)
			continue;
		if (is_new && opts->format == REPORT_TEXT)
			printf("\nlockdepd merge: found only by merging: its dependencies were "
			       "seen in different state files\n");
		report_finding(stdout, opts, finding, symtab);
		printed++;
		*ret_new += is_new;
	}
	return printed;
}

int cmd_merge(int argc, char **argv)
{
	static const struct option options[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct cli cli = {
		.name = "merge",
		.usage = "merge [--rules FILE]... [--format text|json] [-o STATE] STATE...",
	};
	struct report_opts opts = {};
	struct state_meta meta = { .host = "merged" };
	struct engine_stats stats;
	struct engine *engine = NULL;
	struct symtab *symtab = NULL;
	struct rules *rules = NULL;
	char(*kernels)[128] = NULL;
	size_t nr_inputs;
	const char *output = NULL;
	unsigned long printed, new_findings;
	__u64 not_remade = 0;
	int status = EXIT_BAD_INPUT;
	int opt;

	while ((opt = cli_getopt(&cli, argc, argv, "r:f:o:h", options)) >= 0) {
		switch (opt) {
		case 'f':
			if (report_format_parse(optarg, &opts.format))
				goto cleanup;
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
	nr_inputs = (size_t)(argc - optind);
	if (!nr_inputs) {
		log_error("merge: expected at least one STATE file");
		cli_usage(&cli, false);
		goto cleanup;
	}
	kernels = calloc(nr_inputs, sizeof(*kernels));
	if (!kernels || cli_rules__load(&cli.rules, false, &rules))
		goto cleanup;
	if (symtab__new(&symtab) || engine__new(rules, symtab, &engine)) {
		log_error_errno(-ENOMEM, "engine: %m");
		goto cleanup;
	}
	if (load_inputs(argv + optind, nr_inputs, engine, symtab, kernels, &not_remade))
		goto cleanup;
	opts.kernel_release = common_kernel(kernels, nr_inputs);
	meta.kernel_release = opts.kernel_release;
	printed = print_findings(engine, &opts, symtab, &new_findings);
	engine__stats(engine, &stats);
	if (output && state_save(output, engine, symtab, &meta))
		goto cleanup;
	fprintf(stderr,
		"lockdepd: merged %zu state files: %llu classes, %llu dependencies, %lu "
		"findings (%lu found only by the merge, %llu suppressed)\n",
		nr_inputs, (unsigned long long)stats.classes,
		(unsigned long long)stats.dependencies, printed, new_findings,
		(unsigned long long)stats.suppressed);
	/* Orders and suppressions come from rules: a state file holds none. */
	if (not_remade)
		fprintf(stderr,
			"lockdepd: %llu findings of the inputs were not made again: they need the "
			"rules the machines ran with (--rules)\n",
			(unsigned long long)not_remade);
	status = printed ? EXIT_FINDINGS : 0;
cleanup:
	engine__free(engine);
	symtab__free(symtab);
	rules__free(rules);
	free(kernels);
	cli_rules__fini(&cli.rules);
	return status;
}
