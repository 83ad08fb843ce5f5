/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The status socket: a Unix stream socket in the runtime directory that
 * answers one request line a connection, without ever blocking the loop it
 * runs in. It knows nothing of what it serves: the answer to a request comes
 * from reply(), into a buffer that is then sent as fast as the client reads.
 * A client has STATUS_SOCKET_TIMEOUT seconds to ask and read; a busy socket
 * (all connections taken) closes new ones, and the client may retry.
 */
#ifndef LOCKDEPD_STATUS_SOCKET_H
#define LOCKDEPD_STATUS_SOCKET_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#define STATUS_SOCKET_CONNECTIONS 16
#define STATUS_SOCKET_TIMEOUT	  10.0

struct status_socket;

/* Writes the answer to request (its line, without the newline) to out. */
typedef void (*status_reply_fn)(const char *request, FILE *out, void *ctx);

/*
 * Listens on path (mode 0600, replacing a socket left by a dead daemon) and
 * adds itself to epoll_fd: the listening socket with the data tag_listen,
 * connection i with tag_connection + i. 0 or a negative errno, logged.
 */
int status_socket__listen(const char *path, int epoll_fd, __u64 tag_listen, __u64 tag_connection,
			  status_reply_fn reply, void *ctx, struct status_socket **ret);
/* Closes every connection and removes the socket. NULL is a no-op. */
void status_socket__free(struct status_socket *sock);

const char *status_socket__path(const struct status_socket *sock);
/* The loop saw tag_listen: takes the new connections. */
void status_socket__accept(struct status_socket *sock);
/* The loop saw tag_connection + index: reads, answers, sends. */
void status_socket__handle(struct status_socket *sock, size_t index);
/* Closes the connections whose time is up; the earliest deadline left, or 0 for none. */
double status_socket__expire(struct status_socket *sock, double now);

#endif
