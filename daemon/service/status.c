// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The daemon's status: the STATUS= line for the service manager, and the
 * answers of the status socket (status_socket.c) that `lockdepd status`
 * asks: text, JSON or the class graph as DOT.
 *
 * The protocol is one line from the client, "text", "json" or "graph", and
 * the answer until the daemon closes. An answer that starts with "error: "
 * is one line saying why there is no answer; none of the three starts so.
 * The graph goes out as DOT only: SVG is laid out by the client, so that
 * a large picture never holds up the loop that drains the ring buffer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "output/alert.h"
#include "output/graph.h"
#include "output/report.h"
#include "service/daemon.h"
#include "service/notify.h"
#include "service/state.h"

/* --- status ------------------------------------------------------------------ */

/* The chain cache's line, false when the source has none (a replay, --all-events). */
bool status_chain_line(const struct service *svc, char *buf, size_t len)
{
	struct live_stats stats;

	if (!svc->source || !svc->source->ops->live_stats || !svc->source->chain_fn)
		return false;
	svc->source->ops->live_stats(svc->source, &stats);
	live_stats_chain_line(&stats, buf, len);
	return true;
}

__u64 status_source_lost(const struct service *svc)
{
	if (svc->source && svc->source->ops->lost)
		return svc->source->ops->lost(svc->source);
	return 0;
}

void status_line(struct service *svc, char *buf, size_t len)
{
	struct engine_stats stats;

	engine__stats(svc->engine, &stats);
	snprintf(buf, len,
		 "%llu classes, %llu dependencies, %llu findings (%llu suppressed), %llu lost "
		 "events%s",
		 (unsigned long long)stats.classes, (unsigned long long)stats.dependencies,
		 (unsigned long long)stats.findings, (unsigned long long)stats.suppressed,
		 (unsigned long long)(stats.lost_events + status_source_lost(svc)),
		 svc->source_done
			 ? (svc->opts->replay_path ? "; replay finished" : "; source ended")
			 : "");
}

void status_update(struct service *svc, bool force)
{
	char status[256];

	status_line(svc, status, sizeof(status));
	if (!force && strcmp(status, svc->last_status) == 0)
		return;
	snprintf(svc->last_status, sizeof(svc->last_status), "%s", status);
	notify_status(status);
}

static void print_rule_paths(FILE *out, const struct service *svc, bool json)
{
	for (size_t i = 0; i < svc->opts->nr_rule_paths; i++) {
		if (json) {
			if (i)
				fputc(',', out);
			json_write_string(out, svc->opts->rule_paths[i]);
		} else {
			fprintf(out, "%s%s", i ? ", " : "", svc->opts->rule_paths[i]);
		}
	}
}

static void status_text(struct service *svc, FILE *out)
{
	const struct report_opts opts = { .format = REPORT_TEXT,
					  .kernel_release = svc->stdout_opts.kernel_release };
	double now = now_monotonic();
	struct engine_stats stats;
	struct alert_stats alerts;
	const char *test = engine__current_test(svc->engine);
	char line[256];

	engine__stats(svc->engine, &stats);
	alerter__stats(svc->alerter, &alerts);
	fprintf(out, "lockdepd: pid %d, up %.0f s, %s%s\n", (int)getpid(), now - svc->started,
		svc->source->description,
		svc->source_done ? (svc->source_failed ? " (stopped by bad input)" : " (finished)")
				 : "");
	fprintf(out, "rules: ");
	if (svc->opts->nr_rule_paths)
		print_rule_paths(out, svc, false);
	else
		fprintf(out, "none");
	fprintf(out, " (%llu reloads, %llu failed)\n", (unsigned long long)svc->reloads,
		(unsigned long long)svc->reload_failures);
	if (svc->state_path[0])
		fprintf(out, "state: %s (%llu saves, %llu failed, %llu findings restored)\n",
			svc->state_path, (unsigned long long)svc->saves,
			(unsigned long long)svc->save_failures,
			(unsigned long long)svc->restored_findings);
	fprintf(out, "test: %s\n", test ? test : "none known");
	fprintf(out,
		"graph: %llu classes, %llu dependencies, %llu findings (%llu suppressed), "
		"%llu events, %llu lost events, %llu unpaired releases, "
		"%llu locks whose init was not seen\n",
		(unsigned long long)stats.classes, (unsigned long long)stats.dependencies,
		(unsigned long long)stats.findings, (unsigned long long)stats.suppressed,
		(unsigned long long)stats.events,
		(unsigned long long)(stats.lost_events + status_source_lost(svc)),
		(unsigned long long)stats.unpaired_releases,
		(unsigned long long)stats.locks_without_init);
	if (status_chain_line(svc, line, sizeof(line)))
		fprintf(out, "%s\n", line);
	fprintf(out,
		"alerts: %llu journal, %llu kmsg, %llu json, %llu exec (%llu failed, %llu "
		"killed), %llu rate-limited, %llu errors\n",
		(unsigned long long)alerts.journal, (unsigned long long)alerts.kmsg,
		(unsigned long long)alerts.json, (unsigned long long)alerts.exec_started,
		(unsigned long long)alerts.exec_failed, (unsigned long long)alerts.exec_killed,
		(unsigned long long)alerts.rate_limited, (unsigned long long)alerts.errors);
	for (size_t i = 0; i < engine__nr_findings(svc->engine); i++) {
		const struct finding *finding = engine__finding(svc->engine, i);

		if (!finding->suppressed)
			report_finding(out, &opts, finding, svc->symtab);
	}
}

/* One JSON document: {"daemon":{...},"summary":{...},"alerts":{...},"findings":[...]}. */
static void status_json(struct service *svc, FILE *out)
{
	const struct report_opts opts = { .format = REPORT_JSON };
	struct engine_stats stats;
	struct alert_stats alerts;
	bool first = true;

	engine__stats(svc->engine, &stats);
	alerter__stats(svc->alerter, &alerts);
	fprintf(out, "{\"daemon\":{\"pid\":%d,\"uptime_s\":%.3f,\"source\":", (int)getpid(),
		now_monotonic() - svc->started);
	json_write_string(out, svc->source->description);
	fprintf(out, ",\"source_done\":%s,\"source_failed\":%s,\"rules\":[",
		svc->source_done ? "true" : "false", svc->source_failed ? "true" : "false");
	print_rule_paths(out, svc, true);
	fputs("],\"state\":", out);
	json_write_string(out, svc->state_path[0] ? svc->state_path : NULL);
	fputs(",\"current_test\":", out);
	json_write_string(out, engine__current_test(svc->engine));
	json_write_u64_member(out, "reloads", svc->reloads);
	json_write_u64_member(out, "reload_failures", svc->reload_failures);
	json_write_u64_member(out, "saves", svc->saves);
	json_write_u64_member(out, "save_failures", svc->save_failures);
	json_write_u64_member(out, "findings_restored", svc->restored_findings);
	json_write_u64_member(out, "kmsg_lines", svc->kmsg_lines);
	if (svc->source->ops->live_stats && svc->source->chain_fn) {
		struct live_stats live;

		svc->source->ops->live_stats(svc->source, &live);
		fputs(",\"chain_cache\":{\"full\":", out);
		fputs(live.chain_full ? "true" : "false", out);
		json_write_u64_member(out, "acquisitions_kept", live.chain_acquires);
		json_write_u64_member(out, "releases_kept", live.chain_releases);
		json_write_u64_member(out, "allocations_kept", live.chain_allocs);
		json_write_u64_member(out, "held_records", live.chain_held_records);
		json_write_u64_member(out, "chains_known", live.chain_keys);
		fputc('}', out);
	}
	fputs("},\"summary\":", out);
	/* Records the ring buffer dropped count as lost too. */
	stats.lost_events += status_source_lost(svc);
	json_write_stats(out, &stats);
	fputs(",\"alerts\":{\"findings\":", out);
	fprintf(out, "%llu", (unsigned long long)alerts.findings);
	json_write_u64_member(out, "journal", alerts.journal);
	json_write_u64_member(out, "kmsg", alerts.kmsg);
	json_write_u64_member(out, "json", alerts.json);
	json_write_u64_member(out, "exec_started", alerts.exec_started);
	json_write_u64_member(out, "exec_failed", alerts.exec_failed);
	json_write_u64_member(out, "exec_killed", alerts.exec_killed);
	json_write_u64_member(out, "rate_limited", alerts.rate_limited);
	json_write_u64_member(out, "errors", alerts.errors);
	fputs("},\"findings\":[", out);
	for (size_t i = 0; i < engine__nr_findings(svc->engine); i++) {
		char *one = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&one, &len);

		if (!f)
			continue;
		report_finding(f, &opts, engine__finding(svc->engine, i), svc->symtab);
		fclose(f);
		/* report_finding() ends each object with a newline: the array wants commas. */
		if (len && one[len - 1] == '\n')
			len--;
		if (!first)
			fputc(',', out);
		fwrite(one, 1, len, out);
		first = false;
		free(one);
	}
	fputs("]}\n", out);
}

/* The same picture `lockdepd graph` draws of a state file of this daemon. */
static void status_graph(struct service *svc, FILE *out)
{
	const struct graph_opts opts = { .format = GRAPH_DOT };
	char *dot = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&dot, &len);
	int err;

	if (!mem) {
		fprintf(out, "error: graph: out of memory\n");
		return;
	}
	err = graph_write(mem, svc->engine, svc->symtab, &opts);
	if (fclose(mem) && !err)
		err = -ENOMEM;
	if (err) {
		errno = -err;
		fprintf(out, "error: graph: %m\n");
	} else {
		fwrite(dot, 1, len, out);
	}
	free(dot);
}

void status_reply(const char *request, FILE *out, void *ctx)
{
	struct service *svc = ctx;

	if (strcmp(request, "json") == 0)
		status_json(svc, out);
	else if (strcmp(request, "text") == 0)
		status_text(svc, out);
	else if (strcmp(request, "graph") == 0)
		status_graph(svc, out);
	else
		fprintf(out, "error: unknown request '%s' (expected text, json or graph)\n",
			request);
}
