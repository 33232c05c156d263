/* Connection admission and deadlines of the HTTP front end (proto/SECURITY.md, "Availability
 * under hostile load"). libmicrohttpd only knows an inactivity timeout, which a client defeats
 * by sending one byte now and then; this module keeps its own table of open connections and
 *
 *   - caps connections per client address, per network (netaddr.h: /24, /64) and in total; a
 *     full group makes room by closing its oldest connection that has proven nothing yet (no
 *     complete request head, or an unauthenticated body still arriving), and refuses the new one
 *     when there is none;
 *   - closes a connection whose request head is not complete `header_timeout_s` after it was
 *     accepted (or after its previous answer, on a kept-alive connection);
 *   - closes a connection whose body arrives slower than `body_min_rate` bytes/s on average once
 *     `body_grace_s` have passed since its head.
 *
 * Closing is shutdown(2) of the socket from a watchdog thread: the connection's own worker
 * thread then sees the end of the stream and closes it as if the client had gone. Entries are
 * removed (under the table's mutex) before libmicrohttpd closes the descriptor, so a descriptor
 * is never shut down after it was reused.
 *
 * Threads: every function may be called from any thread (one mutex); connguard_new starts the
 * watchdog thread and connguard_free stops it.
 */
#ifndef SRV_CONNGUARD_H
#define SRV_CONNGUARD_H

#include <stddef.h>
#include <sys/socket.h>

typedef struct connguard connguard_t;
typedef struct connguard_conn connguard_conn_t;

typedef struct connguard_config {
  int max_connections;   /* open connections in total */
  int per_address;       /* from one client address */
  int per_prefix;        /* from one /24 (IPv4) or /64 (IPv6) */
  int header_timeout_s;  /* a request head must be complete this long after the wait began */
  int body_min_rate;     /* bytes per second a body must average ... */
  int body_grace_s;      /* ... once this long has passed since its head */
} connguard_config_t;

/* NULL when out of memory or the thread cannot start. */
connguard_t *connguard_new(const connguard_config_t *cfg);
/* Stops the watchdog. Call after the HTTP daemon stopped (no callback may run any more). */
void connguard_free(connguard_t *g);

/* At accept: 1 to take the connection (possibly after closing an older one of its group that is
 * still waiting for its head), 0 to refuse it. */
int connguard_admit(connguard_t *g, const struct sockaddr *sa);
/* A connection was opened on socket fd: its entry (NULL when out of memory: not guarded). */
connguard_conn_t *connguard_opened(connguard_t *g, int fd, const struct sockaddr *sa);
/* The connection is being closed; `c` is freed (NULL is ignored). */
void connguard_closed(connguard_t *g, connguard_conn_t *c);
/* Its request head is complete: the body's deadline starts. Until its body is read, a request
 * that is not `authenticated` (a device's push is, once srv_begin checked the credential) may
 * still be closed to make room, like a connection waiting for its head. */
void connguard_head_done(connguard_t *g, connguard_conn_t *c, int authenticated);
/* n more body bytes arrived. */
void connguard_body(connguard_t *g, connguard_conn_t *c, size_t n);
/* The request is read and is being answered: no deadline of this module applies. */
void connguard_busy(connguard_t *g, connguard_conn_t *c);
/* The answer is sent; the kept-alive connection waits for the next head (its deadline starts). */
void connguard_idle(connguard_t *g, connguard_conn_t *c);

#endif
