/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Subcommands of the lockdepd CLI, one file each (cmd_<name>.c). Each
 * returns the process exit status (lib/exit_status.h).
 */
#ifndef LOCKDEPD_CMD_H
#define LOCKDEPD_CMD_H

#include "lib/exit_status.h"

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
