/* GET /v1/pull?cursor=C&limit=N (PROTOCOL.md 4). server-stub's cursor is the last server_seq
 * covered, in decimal. */
#include "srv_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *query_arg(const srv_request_t *req, const char *name)
{
  for (size_t i = 0; i < req->n_query; i++)
    if (req->query[i].name && strcmp(req->query[i].name, name) == 0)
      return req->query[i].value ? req->query[i].value : "";
  return NULL;
}

/* The server_seq encoded in a cursor; -1 when it is not one of ours. */
static int64_t cursor_seq(const char *cursor)
{
  size_t n = strlen(cursor);
  if (n == 0 || n > 18)
    return -1;
  int64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (cursor[i] < '0' || cursor[i] > '9')
      return -1;
    v = v * 10 + (cursor[i] - '0');
  }
  return v;
}

void handle_pull(srv_t *s, const srv_request_t *req, srv_call_t *call, srv_response_t *r)
{
  char cursor[PROTO_CURSOR_MAX + 1];
  int limit = PROTO_PULL_DEFAULT_LIMIT;
  proto_diag_t diag;
  memset(&diag, 0, sizeof diag);
  sync_err_t bad = proto_pull_params_parse(query_arg(req, "cursor"), query_arg(req, "limit"),
                                           cursor, &limit, &diag);
  if (bad != SYNC_OK) {
    diag.code = PROTO_E_BAD_REQUEST;
    resp_decode_error(r, bad, &diag);
    return;
  }
  int64_t after = 0;
  int after_given = cursor[0] != '\0';
  if (after_given && (after = cursor_seq(cursor)) < 0) {
    resp_error(r, PROTO_E_BAD_REQUEST, "Kursor tarik tidak sah.", "Invalid pull cursor.");
    return;
  }
  proto_pull_writer_t *w = NULL;
  if (proto_pull_writer_new(&w) != SYNC_OK) {
    resp_db_error(r, SYNC_ERR_NOMEM, "pull writer");
    return;
  }
  db_conn_t *c = db_pool_acquire(s->pool);
  if (!c) {
    proto_pull_writer_free(w);
    resp_db_error(r, SYNC_ERR_DB, "no database connection");
    return;
  }
  int64_t next = after;
  int more = 0;
  sync_err_t e = db_pull(c, call->device.device_id, after, after_given, limit, w, &next, &more);
  db_pool_release(s->pool, c);
  if (e != SYNC_OK) {
    proto_pull_writer_free(w);
    resp_db_error(r, e, "pull");
    return;
  }
  char next_text[32];
  snprintf(next_text, sizeof next_text, "%lld", (long long)next);
  char *json = NULL;
  size_t len = 0;
  if (proto_pull_writer_finish(w, next_text, more, &json, &len) != SYNC_OK)
    json = NULL;
  proto_pull_writer_free(w);
  resp_json(r, 200, json, len);
}
