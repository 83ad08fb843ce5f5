// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lockdepd status: asks the running daemon, over the status socket in its
 * runtime directory, for a summary and the findings so far. The daemon
 * builds the answer (text, or one JSON document); this side only carries
 * it to stdout. Exit 0 when the daemon answered, 2 when there is none.
 */
#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd.h"
#include "lib/atomic_file.h"
#include "lib/log.h"
#include "lib/macro.h"
#include "output/graph.h"
#include "output/report.h"
#include "service/service.h"

/* The daemon answers from its loop; a loaded one may take a moment. */
#define STATUS_TIMEOUT_SEC 10

static int connect_status(const char *dir, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = STATUS_TIMEOUT_SEC };
	int fd;

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir, SERVICE_SOCKET_NAME) >=
	    (int)sizeof(sa.sun_path))
		return log_error_errno(-ENAMETOOLONG, "%s/%s: path too long for a socket", dir,
				       SERVICE_SOCKET_NAME);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return log_error_errno(-errno, "socket: %m");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return log_error_errno(err, "no lockdepd answering on %s: %m", sa.sun_path);
	}
	*ret_fd = fd;
	return 0;
}

/* Sends the request and copies the whole answer to out. */
static int ask(int fd, const char *request, const char *dir, FILE *out)
{
	char buf[65536];
	size_t len = strlen(request);

	if (send(fd, request, len, MSG_NOSIGNAL) != (ssize_t)len)
		return log_error_errno(-errno, "%s/%s: %m", dir, SERVICE_SOCKET_NAME);
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return log_error_errno(-ETIMEDOUT, "%s/%s: no answer in time", dir,
					       SERVICE_SOCKET_NAME);
		if (n < 0)
			return log_error_errno(-errno, "%s/%s: %m", dir, SERVICE_SOCKET_NAME);
		if (n == 0)
			break;
		if (fwrite(buf, 1, (size_t)n, out) != (size_t)n)
			return log_error_errno(-EIO, "writing the answer: %m");
	}
	return fflush(out) == 0 ? 0 : log_error_errno(-EIO, "writing the answer: %m");
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t len = strlen(s), suffix_len = strlen(suffix);

	return len >= suffix_len && strcmp(s + len - suffix_len, suffix) == 0;
}

struct dot_text {
	const char *dot;
	size_t len;
	bool svg;
};

static int dot_text_write(FILE *out, void *ctx)
{
	const struct dot_text *text = ctx;

	if (text->svg)
		return graph_render_svg(out, text->dot);
	return fwrite(text->dot, 1, text->len, out) == text->len ? 0 : -EIO;
}

/* The daemon's graph into path ("-": stdout), SVG when path ends in .svg. */
static int write_graph(const char *path, const char *dot, size_t len)
{
	struct dot_text text = { dot, len, has_suffix(path, ".svg") };
	int err;

	if (strcmp(path, "-") != 0)
		return atomic_file_write(path, dot_text_write, &text, 0);
	err = dot_text_write(stdout, &text);
	if (!err && fflush(stdout))
		err = -EIO;
	return err == -EIO ? log_error_errno(err, "stdout: %m") : err;
}

static int ask_graph(int fd, const char *dir, const char *path)
{
	char *answer = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&answer, &len);
	int err;

	if (!mem)
		return log_error_errno(-ENOMEM, "graph: %m");
	err = ask(fd, "graph\n", dir, mem);
	if (fclose(mem) && !err)
		err = log_error_errno(-ENOMEM, "graph: %m");
	if (!err && strncmp(answer, "error: ", 7) == 0)
		err = log_error_errno(-EIO, "%s/%s: %.*s", dir, SERVICE_SOCKET_NAME,
				      (int)strcspn(answer + 7, "\n"), answer + 7);
	else if (!err && strncmp(answer, "digraph", 7) != 0)
		err = log_error_errno(-EPROTO, "%s/%s: the daemon sent no graph", dir,
				      SERVICE_SOCKET_NAME);
	if (!err)
		err = write_graph(path, answer, len);
	free(answer);
	return err;
}

int cmd_status(int argc, char **argv)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "runtime-dir", required_argument, NULL, 'd' },
		{ "graph", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct cli cli = {
		.name = "status",
		.usage = "status [--format text|json] [--runtime-dir DIR]\n"
			 "       lockdepd status --graph FILE [--runtime-dir DIR]\n"
			 "\n"
			 "  --graph FILE  the daemon's class graph, as `lockdepd graph` draws it:\n"
			 "                SVG when FILE ends in .svg, else DOT; - for stdout",
	};
	const char *dir = getenv("RUNTIME_DIRECTORY");
	const char *request = "text\n";
	const char *graph_path = NULL;
	bool format_given = false;
	enum report_format format;
	int fd = -1, opt;
	int status = EXIT_BAD_INPUT;

	if (!dir || !*dir || strchr(dir, ':'))
		dir = SERVICE_RUNTIME_DIR_DEFAULT;
	while ((opt = cli_getopt(&cli, argc, argv, "f:d:g:h", options)) >= 0) {
		switch (opt) {
		case 'f':
			if (report_format_parse(optarg, &format))
				return EXIT_BAD_INPUT;
			request = format == REPORT_JSON ? "json\n" : "text\n";
			format_given = true;
			break;
		case 'g':
			graph_path = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		}
	}
	if (opt == CLI_STOP)
		return cli.status;
	if (cli_no_operand(&cli, argc, argv))
		return EXIT_BAD_INPUT;
	if (graph_path && format_given) {
		log_error("status: --graph takes its format from FILE (.svg or DOT), not --format");
		return EXIT_BAD_INPUT;
	}
	if (connect_status(dir, &fd))
		return EXIT_BAD_INPUT;
	if ((graph_path ? ask_graph(fd, dir, graph_path) : ask(fd, request, dir, stdout)) == 0)
		status = 0;
	close(fd);
	return status;
}
