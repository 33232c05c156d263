/* Per-route body limits and the unauthenticated memory budget (bodylimit.h). */
#include "bodylimit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srv_internal.h"

#define BUSY_RETRY_S 5

void bodylimit_init(bodylimit_t *b, size_t unauth_max, size_t budget)
{
  b->unauth_max = unauth_max;
  b->budget = budget;
  atomic_init(&b->used, 0);
}

int bodylimit_unauthenticated(const srv_call_t *call)
{
  return call->route != ROUTE_PUSH;
}

size_t bodylimit_of(const bodylimit_t *b, const srv_call_t *call)
{
  return bodylimit_unauthenticated(call) ? b->unauth_max : (size_t)PROTO_MAX_BODY_WIRE;
}

int bodylimit_take(bodylimit_t *b, size_t n)
{
  size_t cur = atomic_load(&b->used);
  do {
    if (n > b->budget - cur)
      return -1;
  } while (!atomic_compare_exchange_weak(&b->used, &cur, cur + n));
  return 0;
}

void bodylimit_give(bodylimit_t *b, size_t n)
{
  atomic_fetch_sub(&b->used, n);
}

static void plain(srv_response_t *r, int status, const char *text)
{
  free(r->body);
  r->body = strdup(text);
  r->body_len = r->body ? strlen(text) : 0;
  r->status = status;
  r->content_type = "text/plain; charset=utf-8";
  r->html = 1;
}

void bodylimit_too_large(const srv_call_t *call, size_t limit, srv_response_t *r)
{
  char id[160], en[160];
  snprintf(id, sizeof id, "Kiriman terlalu besar (maksimum %zu byte).", limit);
  snprintf(en, sizeof en, "Request body too large (at most %zu bytes).", limit);
  if (call->route == ROUTE_DASHBOARD) {
    char text[340];
    snprintf(text, sizeof text, "%s / %s\n", id, en);
    plain(r, 413, text);
  } else {
    resp_error(r, PROTO_E_BODY_TOO_LARGE, id, en);
  }
  snprintf(r->detail, sizeof r->detail, "body over %zu bytes", limit);
  r->close = 1;
}

void bodylimit_busy(const srv_call_t *call, srv_response_t *r)
{
  if (call->route == ROUTE_DASHBOARD) {
    plain(r, 503, "Server sibuk, coba lagi sebentar lagi. / Server busy, try again shortly.\n");
    r->retry_after = BUSY_RETRY_S;
  } else {
    resp_retry(r, PROTO_E_SERVER_BUSY, BUSY_RETRY_S);
  }
  snprintf(r->detail, sizeof r->detail, "unauthenticated body budget spent");
  r->close = 1;
}
