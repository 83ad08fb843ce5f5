// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "service/status_socket.h"

#define REQUEST_MAX 64

struct connection {
	int fd; /* -1: a free slot */
	char request[REQUEST_MAX];
	size_t request_len;
	char *reply;
	size_t reply_len;
	size_t reply_sent;
	double deadline;
};

struct status_socket {
	int listen_fd;
	int epoll_fd;
	__u64 tag_connection;
	status_reply_fn reply;
	void *ctx;
	struct connection connections[STATUS_SOCKET_CONNECTIONS];
	char path[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
};

int status_socket__listen(const char *path, int epoll_fd, __u64 tag_listen, __u64 tag_connection,
			  status_reply_fn reply, void *ctx, struct status_socket **ret)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag_listen };
	struct status_socket *sock;
	int err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return log_error_errno(-ENAMETOOLONG, "%s: path too long for a socket", path);
	sock = calloc(1, sizeof(*sock));
	if (!sock)
		return log_error_errno(-ENOMEM, "%s: %m", path);
	*sock = (struct status_socket){
		.epoll_fd = epoll_fd, .tag_connection = tag_connection, .reply = reply, .ctx = ctx
	};
	for (size_t i = 0; i < STATUS_SOCKET_CONNECTIONS; i++)
		sock->connections[i].fd = -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	sock->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sock->listen_fd < 0) {
		err = log_error_errno(-errno, "status socket: %m");
		free(sock);
		return err;
	}
	/* A socket left by a daemon that died without cleaning up. */
	unlink(path);
	if (bind(sock->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0600) < 0 || listen(sock->listen_fd, STATUS_SOCKET_CONNECTIONS) < 0 ||
	    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, sock->listen_fd, &ev) < 0) {
		err = log_error_errno(-errno, "%s: %m", path);
		close(sock->listen_fd);
		unlink(path);
		free(sock);
		return err;
	}
	snprintf(sock->path, sizeof(sock->path), "%s", path);
	*ret = sock;
	return 0;
}

static void connection_close(struct status_socket *sock, struct connection *conn)
{
	if (conn->fd < 0)
		return;
	epoll_ctl(sock->epoll_fd, EPOLL_CTL_DEL, conn->fd, NULL);
	close(conn->fd);
	free(conn->reply);
	*conn = (struct connection){ .fd = -1 };
}

void status_socket__free(struct status_socket *sock)
{
	if (!sock)
		return;
	for (size_t i = 0; i < STATUS_SOCKET_CONNECTIONS; i++)
		connection_close(sock, &sock->connections[i]);
	epoll_ctl(sock->epoll_fd, EPOLL_CTL_DEL, sock->listen_fd, NULL);
	close(sock->listen_fd);
	unlink(sock->path);
	free(sock);
}

const char *status_socket__path(const struct status_socket *sock)
{
	return sock->path;
}

void status_socket__accept(struct status_socket *sock)
{
	for (;;) {
		int fd = accept4(sock->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct connection *conn = NULL;
		struct epoll_event ev = { .events = EPOLLIN };

		if (fd < 0)
			return;
		for (size_t i = 0; i < STATUS_SOCKET_CONNECTIONS && !conn; i++)
			if (sock->connections[i].fd < 0)
				conn = &sock->connections[i];
		if (!conn) {
			close(fd);
			continue;
		}
		*conn = (struct connection){ .fd = fd,
					     .deadline = now_monotonic() + STATUS_SOCKET_TIMEOUT };
		ev.data.u64 = sock->tag_connection + (size_t)(conn - sock->connections);
		if (epoll_ctl(sock->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
			connection_close(sock, conn);
	}
}

static void build_reply(struct status_socket *sock, struct connection *conn)
{
	FILE *out = open_memstream(&conn->reply, &conn->reply_len);

	if (!out)
		return;
	conn->request[conn->request_len] = '\0';
	conn->request[strcspn(conn->request, "\r\n")] = '\0';
	sock->reply(conn->request, out, sock->ctx);
	fclose(out);
}

/* Writes what the socket takes; true when the whole reply is out. */
static bool send_reply(struct connection *conn)
{
	while (conn->reply_sent < conn->reply_len) {
		ssize_t n = send(conn->fd, conn->reply + conn->reply_sent,
				 conn->reply_len - conn->reply_sent, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return false;
		if (n < 0)
			return true; /* the client went away: nothing more to do */
		conn->reply_sent += (size_t)n;
	}
	return true;
}

/* Reads what there is of the request; true once it is whole (a newline, EOF or full). */
static bool read_request(struct connection *conn, bool *ret_failed)
{
	for (;;) {
		ssize_t n = recv(conn->fd, conn->request + conn->request_len,
				 sizeof(conn->request) - 1 - conn->request_len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*ret_failed = errno != EAGAIN;
			return false;
		}
		conn->request_len += (size_t)n;
		if (n == 0 || memchr(conn->request, '\n', conn->request_len) ||
		    conn->request_len == sizeof(conn->request) - 1)
			return true;
	}
}

void status_socket__handle(struct status_socket *sock, size_t index)
{
	struct connection *conn;
	struct epoll_event ev = { .events = EPOLLOUT };
	bool failed = false;

	if (index >= STATUS_SOCKET_CONNECTIONS || sock->connections[index].fd < 0)
		return;
	conn = &sock->connections[index];
	if (conn->reply) {
		if (send_reply(conn))
			connection_close(sock, conn);
		return;
	}
	if (!read_request(conn, &failed)) {
		if (failed)
			connection_close(sock, conn);
		return;
	}
	build_reply(sock, conn);
	if (!conn->reply || send_reply(conn)) {
		connection_close(sock, conn);
		return;
	}
	ev.data.u64 = sock->tag_connection + index;
	epoll_ctl(sock->epoll_fd, EPOLL_CTL_MOD, conn->fd, &ev);
}

double status_socket__expire(struct status_socket *sock, double now)
{
	double earliest = 0;

	for (size_t i = 0; i < STATUS_SOCKET_CONNECTIONS; i++) {
		struct connection *conn = &sock->connections[i];

		if (conn->fd >= 0 && conn->deadline <= now)
			connection_close(sock, conn);
		if (conn->fd >= 0 && (!earliest || conn->deadline < earliest))
			earliest = conn->deadline;
	}
	return earliest;
}
