// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sd_notify(3) from the daemon: through libsystemd, or by hand without it. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#ifndef LOCKDEPD_NO_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "service/notify.h"

int notify_socket_send(const char *address, const char *message)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(address);
	socklen_t sa_len;
	ssize_t n;
	int fd;

	if (len < 2 || len >= sizeof(sa.sun_path) || (address[0] != '/' && address[0] != '@'))
		return -EAFNOSUPPORT; /* vsock: and other transports are not spoken here */
	memcpy(sa.sun_path, address, len);
	if (address[0] == '@') {
		/* Abstract namespace: a leading NUL, and no trailing one counted. */
		sa.sun_path[0] = '\0';
		sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	} else {
		sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	n = sendto(fd, message, strlen(message), MSG_NOSIGNAL, (struct sockaddr *)&sa, sa_len);
	if (n < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	close(fd);
	return 1;
}

static int notify(const char *message)
{
#ifndef LOCKDEPD_NO_SYSTEMD
	return sd_notify(0, message);
#else
	const char *address = getenv("NOTIFY_SOCKET");

	if (!address || !*address)
		return 0;
	return notify_socket_send(address, message);
#endif
}

/* STATUS= is one line: a newline would end it and start a bogus assignment. */
static void one_line(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

int notify_ready(const char *status)
{
	char message[1024];

	if (!status)
		return notify("READY=1");
	snprintf(message, sizeof(message), "READY=1\nSTATUS=%s", status);
	one_line(message + strlen("READY=1\n"));
	return notify(message);
}

int notify_reloading(void)
{
	char message[128];
	struct timespec ts;

	/* systemd 253+ wants the time the reload started, to match it with READY=1. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(message, sizeof(message), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL +
			 (unsigned long long)ts.tv_nsec / 1000);
	return notify(message);
}

int notify_stopping(void)
{
	return notify("STOPPING=1");
}

int notify_status(const char *status)
{
	char message[1024];

	snprintf(message, sizeof(message), "STATUS=%s", status);
	one_line(message);
	return notify(message);
}

int notify_watchdog(void)
{
	return notify("WATCHDOG=1");
}

__u64 notify_watchdog_usec(void)
{
#ifndef LOCKDEPD_NO_SYSTEMD
	uint64_t usec = 0;

	return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
#else
	const char *value = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	unsigned long long usec;
	char *end;

	if (!value || !*value)
		return 0;
	/* The pings are asked of one process: not of a child that inherited the variables. */
	if (pid && *pid && strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	usec = strtoull(value, &end, 10);
	return *end ? 0 : usec;
#endif
}
