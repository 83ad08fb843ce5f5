// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lockdepd status: asks the running daemon, over the status socket in its
 * runtime directory, for a summary and the findings so far. The daemon
 * builds the answer (text, or one JSON document); this side only carries
 * it to stdout. Exit 0 when the daemon answered, 2 when there is none.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "lib/log.h"
#include "output/report.h"
#include "service/service.h"

/* The daemon answers from its loop; a loaded one may take a moment. */
#define STATUS_TIMEOUT_SEC 10

static void usage(FILE *out)
{
	fprintf(out, "Usage: lockdepd status [--format text|json] [--runtime-dir DIR]\n");
}

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
		return log_error_errno(-errno, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return log_error_errno(err, "no lockdepd answering on %s: %s", sa.sun_path,
				       strerror(-err));
	}
	*ret_fd = fd;
	return 0;
}

static int ask(int fd, const char *request, const char *dir)
{
	char buf[65536];
	size_t len = strlen(request);

	if (send(fd, request, len, MSG_NOSIGNAL) != (ssize_t)len)
		return log_error_errno(-errno, "%s/%s: %s", dir, SERVICE_SOCKET_NAME,
				       strerror(errno));
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return log_error_errno(-errno, "%s/%s: %s", dir, SERVICE_SOCKET_NAME,
					       errno == EAGAIN ? "no answer in time"
							       : strerror(errno));
		if (n == 0)
			break;
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return log_error_errno(-EIO, "stdout: %s", strerror(errno));
	}
	return fflush(stdout) == 0 ? 0 : -EIO;
}

int cmd_status(int argc, char **argv)
{
	static const struct option options[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "runtime-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *dir = getenv("RUNTIME_DIRECTORY");
	const char *request = "text\n";
	enum report_format format;
	int fd = -1, opt;
	int status = EXIT_BAD_INPUT;

	if (!dir || !*dir || strchr(dir, ':'))
		dir = SERVICE_RUNTIME_DIR_DEFAULT;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "f:d:h", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			if (report_format_parse(optarg, &format))
				return EXIT_BAD_INPUT;
			request = format == REPORT_JSON ? "json\n" : "text\n";
			break;
		case 'd':
			dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_BAD_INPUT;
		}
	}
	if (optind != argc) {
		log_error("status: unexpected argument '%s'", argv[optind]);
		return EXIT_BAD_INPUT;
	}
	if (connect_status(dir, &fd))
		return EXIT_BAD_INPUT;
	if (ask(fd, request, dir) == 0)
		status = 0;
	close(fd);
	return status;
}
