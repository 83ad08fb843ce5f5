// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A test listener for the datagram protocols the daemon speaks: the
 * service manager's NOTIFY_SOCKET and journald's native socket. Binds an
 * AF_UNIX datagram socket at PATH and appends every datagram it receives
 * to OUT, each followed by a line "--". Journal fields whose value has a
 * newline use journald's binary framing (NAME\n, 64-bit little-endian
 * length, value, \n): those are rewritten as NAME=value so that tests can
 * grep them. Runs until SIGTERM.
 *
 *   dgram-listen PATH OUT
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

/* Writes one datagram, turning binary-framed fields into NAME=value. */
static void write_datagram(FILE *out, const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t line_len = nl ? (size_t)(nl - (buf + i)) : len - i;
		const char *eq = memchr(buf + i, '=', line_len);

		if (!eq && nl && len - (i + line_len + 1) >= 8) {
			uint64_t value_len = 0;
			size_t start = i + line_len + 1;

			for (int b = 7; b >= 0; b--)
				value_len = value_len << 8 | (unsigned char)buf[start + (size_t)b];
			if (value_len <= len - start - 8) {
				fprintf(out, "%.*s=", (int)line_len, buf + i);
				fwrite(buf + start + 8, 1, value_len, out);
				fputc('\n', out);
				i = start + 8 + value_len + 1;
				continue;
			}
		}
		fwrite(buf + i, 1, line_len, out);
		fputc('\n', out);
		i += line_len + 1;
	}
	fputs("--\n", out);
	fflush(out);
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sigaction act = { .sa_handler = on_term };
	static char buf[1 << 20];
	FILE *out;
	int fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: dgram-listen PATH OUT\n");
		return 2;
	}
	/* No SA_RESTART: SIGTERM must interrupt recv() so the loop sees stop. */
	sigaction(SIGTERM, &act, NULL);
	out = fopen(argv[2], "a");
	if (!out) {
		perror(argv[2]);
		return 1;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	strcpy(sa.sun_path, argv[1]);
	unlink(argv[1]);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror(argv[1]);
		return 1;
	}
	while (!stop) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("recv");
			return 1;
		}
		write_datagram(out, buf, (size_t)n);
	}
	unlink(argv[1]);
	return 0;
}
