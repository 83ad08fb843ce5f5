/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Telling the service manager how the daemon is doing (sd_notify(3)):
 * READY=1 once the sources are attached, STATUS= lines, WATCHDOG=1 pings,
 * RELOADING=1 then READY=1 around a reload, STOPPING=1 on the way out.
 * Outside a Type=notify unit (no NOTIFY_SOCKET) every call is a no-op.
 *
 * With libsystemd the messages go through sd_notify(); the static guest
 * build (-DLOCKDEPD_NO_SYSTEMD) has no libsystemd and speaks the protocol
 * itself: one datagram to the AF_UNIX socket named by $NOTIFY_SOCKET (a
 * path, or "@name" for the abstract namespace), and $WATCHDOG_USEC /
 * $WATCHDOG_PID for the watchdog. notify_socket_send() is that sender,
 * compiled in both builds so that it is tested on the host too.
 */
#ifndef LOCKDEPD_NOTIFY_H
#define LOCKDEPD_NOTIFY_H

#include <linux/types.h>

/* Each returns 1 when sent, 0 when there is no manager to tell, or -errno. */
int notify_ready(const char *status);
int notify_reloading(void);
int notify_stopping(void);
int notify_status(const char *status);
int notify_watchdog(void);

/* The watchdog interval the manager expects pings within, in microseconds; 0: none. */
__u64 notify_watchdog_usec(void);

/* Sends message as one datagram to the socket at address (see above). 1 or -errno. */
int notify_socket_send(const char *address, const char *message);

#endif
