/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Subcommands of the lockdepd CLI, one file each (cmd_<name>.c). Each
 * returns the process exit status: 0 success / nothing found, 1 findings,
 * 2 bad input or usage (printed as one line naming the file or argument).
 */
#ifndef LOCKDEPD_CMD_H
#define LOCKDEPD_CMD_H

#define EXIT_FINDINGS  1
#define EXIT_BAD_INPUT 2

int cmd_report(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_rules(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_record(int argc, char **argv);
/* The daemon (service/service.h), live or with --replay TRACE. */
int cmd_run(int argc, char **argv);
/* run's usage, without "Usage: lockdepd ": the one text, for --help too. */
extern const char cmd_run_usage[];
int cmd_status(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_graph(int argc, char **argv);

#endif
