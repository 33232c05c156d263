/* GET /v1/forms and GET /v1/forms/{form_id}/{version} (PROTOCOL.md 2.3). */
#include "srv_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void handle_forms_list(srv_t *s, const srv_request_t *req, srv_call_t *call, srv_response_t *r)
{
  (void)req;
  (void)call;
  db_conn_t *c = db_pool_acquire(s->pool);
  if (!c) {
    resp_db_error(r, SYNC_ERR_DB, "no database connection");
    return;
  }
  proto_forms_list_t l;
  sync_err_t e = db_forms_list(c, &l);
  db_pool_release(s->pool, c);
  if (e != SYNC_OK) {
    resp_db_error(r, e, "forms list");
    return;
  }
  char *json = NULL;
  size_t len = 0;
  if (proto_forms_list_encode(&l, &json, &len) != SYNC_OK)
    json = NULL;
  db_forms_list_free(&l);
  resp_json(r, 200, json, len);
}

/* 1 if an If-None-Match header names this ETag (or is "*"). */
static int etag_matches(const char *inm, const char *etag)
{
  if (!inm)
    return 0;
  if (strcmp(inm, "*") == 0)
    return 1;
  return strstr(inm, etag) != NULL;
}

void handle_form_get(srv_t *s, const srv_request_t *req, srv_call_t *call, srv_response_t *r)
{
  db_conn_t *c = db_pool_acquire(s->pool);
  if (!c) {
    resp_db_error(r, SYNC_ERR_DB, "no database connection");
    return;
  }
  char *definition = NULL;
  char sha[PROTO_SHA256_LEN + 1];
  sync_err_t e = db_form_get(c, call->form_id, call->form_version, &definition, sha);
  db_pool_release(s->pool, c);
  if (e == SYNC_ERR_NOT_FOUND) {
    char id[200], en[200];
    snprintf(id, sizeof id, "Server tidak mengenal formulir %s versi %d.", call->form_id,
             call->form_version);
    snprintf(en, sizeof en, "The server does not know form %s version %d.", call->form_id,
             call->form_version);
    resp_error(r, PROTO_E_UNKNOWN_FORM, id, en);
    return;
  }
  if (e != SYNC_OK) {
    resp_db_error(r, e, "form fetch");
    return;
  }
  snprintf(r->etag, sizeof r->etag, "\"%s\"", sha);
  if (etag_matches(srv_header(req, "If-None-Match"), r->etag)) {
    free(definition);
    r->status = 304;
    return;
  }
  resp_json(r, 200, definition, strlen(definition));
}
