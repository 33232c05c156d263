/* Body limits of the HTTP front end (proto/SECURITY.md, "Availability under hostile load"):
 * how much of a request body may be buffered, decided from the request head before any of it
 * is read. Only a device's push, whose credential srv_begin has already checked, may be as
 * large as the protocol allows (PROTO_MAX_BODY_WIRE); every other body (enrollment, dashboard
 * forms) is an unauthenticated client's and gets `unauth_max` bytes, taken from one budget
 * shared by all of them, so that no number of connections can make the server hold more than
 * `budget` bytes for clients that have proven nothing.
 * Threads: any thread; the budget is one atomic counter.
 */
#ifndef SRV_BODYLIMIT_H
#define SRV_BODYLIMIT_H

#include <stdatomic.h>
#include <stddef.h>

#include "server.h"

typedef struct bodylimit {
  size_t unauth_max;     /* bytes of one unauthenticated body */
  size_t budget;         /* bytes of all unauthenticated bodies together */
  atomic_size_t used;
} bodylimit_t;

void bodylimit_init(bodylimit_t *b, size_t unauth_max, size_t budget);
/* 1 when the call's body comes from a client that has not authenticated (every route but push). */
int bodylimit_unauthenticated(const srv_call_t *call);
/* The largest body the call may send. */
size_t bodylimit_of(const bodylimit_t *b, const srv_call_t *call);
/* Reserves n bytes of the budget: 0, or -1 (nothing reserved) when it would be overspent. */
int bodylimit_take(bodylimit_t *b, size_t n);
void bodylimit_give(bodylimit_t *b, size_t n);

/* The answers, both with Connection: close: 413 naming `limit`, and 503 server_busy with
 * Retry-After when the budget is spent. A dashboard form gets plain text, the API its JSON error. */
void bodylimit_too_large(const srv_call_t *call, size_t limit, srv_response_t *r);
void bodylimit_busy(const srv_call_t *call, srv_response_t *r);

#endif
