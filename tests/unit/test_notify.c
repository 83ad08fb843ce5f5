// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The service manager notifications (daemon/service/notify.c), against a datagram
 * socket standing in for systemd: the messages through the build's path
 * (libsystemd here), and the hand-written sender the static guest build
 * uses, with path and abstract addresses.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "service/notify.h"

static char dir[PATH_MAX];
static char sock_path[PATH_MAX + 32];
static int sock = -1;

static int setup(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 2 };

	snprintf(dir, sizeof(dir), "/tmp/lockdepd-notify-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(sock_path, sizeof(sock_path), "%s/notify", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	sock = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(sock >= 0);
	assert_int_equal(bind(sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setenv("NOTIFY_SOCKET", sock_path, 1);
	return 0;
}

static int teardown(void **state)
{
	close(sock);
	unlink(sock_path);
	rmdir(dir);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return 0;
}

static void expect_message(int fd, const char *expected)
{
	char buf[2048];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, expected);
}

static void test_messages(void **state)
{
	char buf[2048];
	ssize_t n;

	assert_int_equal(notify_ready("3 classes, 2 dependencies"), 1);
	expect_message(sock, "READY=1\nSTATUS=3 classes, 2 dependencies");
	/* A newline would start a bogus assignment: STATUS= stays one line. */
	assert_int_equal(notify_status("two\nlines"), 1);
	expect_message(sock, "STATUS=two lines");
	assert_int_equal(notify_watchdog(), 1);
	expect_message(sock, "WATCHDOG=1");
	assert_int_equal(notify_stopping(), 1);
	expect_message(sock, "STOPPING=1");
	assert_int_equal(notify_reloading(), 1);
	n = recv(sock, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_int_equal(strncmp(buf, "RELOADING=1\nMONOTONIC_USEC=", 27), 0);
	assert_true(strtoull(buf + 27, NULL, 10) > 0);
	assert_int_equal(notify_ready(NULL), 1);
	expect_message(sock, "READY=1");
}

static void test_no_manager(void **state)
{
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(notify_ready("x"), 0);
	assert_int_equal(notify_watchdog(), 0);
}

static void test_hand_written_sender(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 2 };
	char name[64], address[80];
	int abstract;

	assert_int_equal(notify_socket_send(sock_path, "READY=1\nSTATUS=by hand"), 1);
	expect_message(sock, "READY=1\nSTATUS=by hand");

	/* "@name": the abstract namespace, no NUL at the end of the address. */
	snprintf(name, sizeof(name), "lockdepd-test-%d", (int)getpid());
	memcpy(sa.sun_path + 1, name, strlen(name));
	abstract = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(abstract >= 0);
	assert_int_equal(
		bind(abstract, (struct sockaddr *)&sa,
		     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name))),
		0);
	setsockopt(abstract, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	snprintf(address, sizeof(address), "@%s", name);
	assert_int_equal(notify_socket_send(address, "WATCHDOG=1"), 1);
	expect_message(abstract, "WATCHDOG=1");
	close(abstract);

	assert_int_equal(notify_socket_send("vsock:2:1234", "READY=1"), -EAFNOSUPPORT);
	assert_int_equal(notify_socket_send("relative/path", "READY=1"), -EAFNOSUPPORT);
	assert_int_equal(notify_socket_send("@", "READY=1"), -EAFNOSUPPORT);
	assert_int_equal(notify_socket_send("/nonexistent/notify", "READY=1"), -ENOENT);
}

static void test_watchdog(void **state)
{
	char pid[32];

	unsetenv("WATCHDOG_USEC");
	assert_int_equal(notify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "30000000", 1);
	assert_int_equal(notify_watchdog_usec(), 30000000);
	/* The pings are asked of one process: not of another that inherited the variables. */
	setenv("WATCHDOG_PID", "1", 1);
	assert_int_equal(notify_watchdog_usec(), 0);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	assert_int_equal(notify_watchdog_usec(), 30000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_manager, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hand_written_sender, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watchdog, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
