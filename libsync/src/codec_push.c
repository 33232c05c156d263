/* Push request (push-request.schema.json, PROTOCOL.md 3): the incremental writer the engine feeds
 * from its outbox, the whole-struct encoder built on it, and the server's strict decoder with the
 * batch rules of 3.1 that need no database. */
#include "codec_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- writer ----------------------------------------------------------------------------------- */

struct proto_push_writer {
  jbuf_t b;          /* the body so far, without the closing "]}" */
  size_t count;
  int finished;
};

#define PUSH_TAIL_LEN 2 /* "]}" */

sync_err_t proto_push_writer_new(const char *device_id, const char *batch_id,
                                 proto_push_writer_t **out)
{
  if (!out)
    return SYNC_ERR_INVALID_ARG;
  *out = NULL;
  if (!proto_uuid_valid(device_id) || !proto_uuid_valid(batch_id))
    return SYNC_ERR_INVALID_ARG;
  proto_push_writer_t *w = calloc(1, sizeof *w);
  if (!w)
    return SYNC_ERR_NOMEM;
  jb_reserve(&w->b, 4096);
  jb_puts(&w->b, "{" CODEC_PROTOCOL_MEMBER ",\"device_id\":\"");
  jb_puts(&w->b, device_id);
  jb_puts(&w->b, "\",\"batch_id\":\"");
  jb_puts(&w->b, batch_id);
  jb_puts(&w->b, "\",\"changes\":[");
  if (w->b.oom) {
    proto_push_writer_free(w);
    return SYNC_ERR_NOMEM;
  }
  *out = w;
  return SYNC_OK;
}

sync_err_t proto_push_writer_add(proto_push_writer_t *w, const proto_change_t *c, size_t budget,
                                 char *errbuf, size_t errlen)
{
  if (errbuf && errlen)
    errbuf[0] = '\0';
  if (!w || !c)
    return codec_errf(errbuf, errlen, SYNC_ERR_INVALID_ARG, "no writer or change");
  if (w->finished || w->b.oom)
    return codec_errf(errbuf, errlen, SYNC_ERR_STATE, "writer already finished or failed");
  if (w->count >= PROTO_MAX_CHANGES)
    return codec_errf(errbuf, errlen, SYNC_ERR_TOO_LARGE, "batch holds %d changes",
                      PROTO_MAX_CHANGES);
  size_t mark = w->b.len;
  if (w->count > 0)
    jb_putc(&w->b, ',');
  sync_err_t rc = change_encode(&w->b, c, CHANGE_PUSHED, 0, CODEC_DEPTH_CHANGE_PAYLOAD, errbuf, errlen);
  if (rc != SYNC_OK) {
    jb_truncate(&w->b, mark);
    if (rc == SYNC_ERR_NOMEM) {
      w->b.oom = 0; /* the content up to mark is intact; let the caller retry or finish */
      return codec_errf(errbuf, errlen, rc, "out of memory");
    }
    return SYNC_ERR_INVALID_ARG; /* never sendable, whatever the batch (errbuf has the detail) */
  }
  size_t size = w->b.len + PUSH_TAIL_LEN;
  if (w->count > 0 && ((budget > 0 && size > budget) || size > PROTO_MAX_BODY)) {
    jb_truncate(&w->b, mark);
    return codec_errf(errbuf, errlen, SYNC_ERR_TOO_LARGE, "batch full at %zu bytes",
                      mark + PUSH_TAIL_LEN);
  }
  w->count++;
  return SYNC_OK;
}

size_t proto_push_writer_count(const proto_push_writer_t *w)
{
  return w ? w->count : 0;
}

size_t proto_push_writer_size(const proto_push_writer_t *w)
{
  return w && !w->finished ? w->b.len + PUSH_TAIL_LEN : 0;
}

sync_err_t proto_push_writer_finish(proto_push_writer_t *w, char **out_json, size_t *out_len)
{
  if (out_json)
    *out_json = NULL;
  if (!w || !out_json)
    return SYNC_ERR_INVALID_ARG;
  if (w->finished || w->count == 0)
    return SYNC_ERR_STATE;
  w->finished = 1;
  jb_puts(&w->b, "]}");
  return jb_finish(&w->b, out_json, out_len);
}

void proto_push_writer_free(proto_push_writer_t *w)
{
  if (!w)
    return;
  jb_free(&w->b);
  free(w);
}

sync_err_t proto_push_req_encode(const proto_push_req_t *req, char **out_json, size_t *out_len)
{
  proto_push_writer_t *w = NULL;
  if (out_json)
    *out_json = NULL;
  if (!req || !out_json || (req->protocol != 0 && req->protocol != PROTO_VERSION) ||
      req->n_changes == 0 || !req->changes)
    return SYNC_ERR_INVALID_ARG;
  sync_err_t rc = proto_push_writer_new(req->device_id, req->batch_id, &w);
  for (size_t i = 0; rc == SYNC_OK && i < req->n_changes; i++)
    rc = proto_push_writer_add(w, &req->changes[i], 0, NULL, 0);
  if (rc == SYNC_OK)
    rc = proto_push_writer_finish(w, out_json, out_len);
  proto_push_writer_free(w);
  return rc;
}

/* ---- decoder ---------------------------------------------------------------------------------- */

typedef struct order_key {
  const char *uuid;
  size_t index;
} order_key_t;

static int order_cmp(const void *a, const void *b)
{
  const order_key_t *x = a, *y = b;
  int c = strcmp(x->uuid, y->uuid);
  if (c != 0)
    return c;
  return x->index < y->index ? -1 : x->index > y->index;
}

/* (uuid, revision) unique and revisions of one record increasing, in O(n log n). */
static sync_err_t check_order(jctx_t *c, const proto_push_req_t *req)
{
  size_t n = req->n_changes;
  order_key_t *keys = malloc(n * sizeof *keys);
  sync_err_t rc = SYNC_OK;
  if (!keys)
    return jfail_code(c, PROTO_E_INTERNAL, SYNC_ERR_NOMEM, NULL, "out of memory");
  for (size_t i = 0; i < n; i++) {
    keys[i].uuid = req->changes[i].uuid;
    keys[i].index = i;
  }
  qsort(keys, n, sizeof *keys, order_cmp);
  for (size_t k = 1; k < n && rc == SYNC_OK; k++) {
    const proto_change_t *prev = &req->changes[keys[k - 1].index];
    const proto_change_t *cur = &req->changes[keys[k].index];
    if (strcmp(prev->uuid, cur->uuid) != 0 || cur->revision > prev->revision)
      continue;
    size_t mark = jpath_key(c, "changes");
    jpath_index(c, keys[k].index);
    rc = cur->revision == prev->revision
           ? jfail(c, "revision", "record %s revision %lld appears twice (also changes[%zu])",
                   cur->uuid, (long long)cur->revision, keys[k - 1].index)
           : jfail(c, "revision", "record %s revision %lld comes after revision %lld (changes[%zu])",
                   cur->uuid, (long long)cur->revision, (long long)prev->revision,
                   keys[k - 1].index);
    jpath_pop(c, mark);
  }
  free(keys);
  return rc;
}

sync_err_t proto_push_req_decode(const char *json, size_t len, proto_push_req_t **out,
                                 proto_diag_t *diag)
{
  static const char *const keys[] = {"protocol", "device_id", "batch_id", "changes"};
  const cJSON *f[4];
  proto_diag_t local;
  jctx_t c;
  cJSON *root = NULL;
  proto_push_req_t *req = NULL;
  size_t n = 0, i = 0;

  jctx_init(&c, diag, &local);
  if (!out)
    return jfail_code(&c, PROTO_E_BAD_REQUEST, SYNC_ERR_INVALID_ARG, NULL, "no output");
  *out = NULL;
  void *msg;
  sync_err_t rc = jdecode_begin(&c, json, len, 4, &root, sizeof *req, &msg);
  if (rc)
    return rc;
  req = msg;
  if ((rc = jprotocol(&c, root, &req->protocol)) || (rc = jfields(&c, root, NULL, keys, 4, f)) ||
      (rc = jget_str(&c, f[1], "device_id", proto_uuid_valid, "lower-case uuid", req->device_id,
                     sizeof req->device_id)) ||
      (rc = jget_str(&c, f[2], "batch_id", proto_uuid_valid, "lower-case uuid", req->batch_id,
                     sizeof req->batch_id)) ||
      (rc = jget_array(&c, f[3], "changes", 1, PROTO_MAX_CHANGES, 1, &n)))
    goto fail;
  if (!(req->changes = calloc(n, sizeof *req->changes))) {
    rc = jfail_code(&c, PROTO_E_INTERNAL, SYNC_ERR_NOMEM, NULL, "out of memory");
    goto fail;
  }
  req->n_changes = n;
  size_t mark = jpath_key(&c, "changes");
  for (const cJSON *e = f[3]->child; e && rc == SYNC_OK; e = e->next, i++) {
    size_t m2 = jpath_index(&c, i);
    rc = change_decode(&c, e, NULL, CHANGE_PUSHED, &req->changes[i], NULL);
    jpath_pop(&c, m2);
  }
  jpath_pop(&c, mark);
  if (rc || (rc = check_order(&c, req)))
    goto fail;
  cJSON_Delete(root);
  jctx_done(&c);
  *out = req;
  return SYNC_OK;
fail:
  proto_push_req_free(req);
  cJSON_Delete(root);
  jctx_done(&c);
  return rc;
}

void proto_push_req_free(proto_push_req_t *req)
{
  if (!req)
    return;
  for (size_t i = 0; req->changes && i < req->n_changes; i++)
    change_clear(&req->changes[i]);
  free(req->changes);
  free(req);
}
