/* Pull (pull-response.schema.json, PROTOCOL.md 4): the query parameters, the server's page writer,
 * the whole-struct encoder built on it, and the client's strict decoder. Items are in strictly
 * increasing `seq` order both ways. */
#include "codec_internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* ---- query ------------------------------------------------------------------------------------ */

sync_err_t proto_pull_params_parse(const char *cursor, const char *limit,
                                   char cursor_out[PROTO_CURSOR_MAX + 1], int *limit_out,
                                   proto_diag_t *diag)
{
  proto_diag_t local;
  jctx_t c;
  jctx_init(&c, diag, &local);
  if (!cursor_out || !limit_out)
    return jfail_code(&c, PROTO_E_BAD_REQUEST, SYNC_ERR_INVALID_ARG, NULL, "no output");
  cursor_out[0] = '\0';
  *limit_out = PROTO_PULL_DEFAULT_LIMIT;
  if (cursor && !proto_cursor_valid(cursor))
    return jfail(&c, "cursor", "not a cursor (1 to %d of A-Z a-z 0-9 . _ : -)", PROTO_CURSOR_MAX);
  if (limit) {
    int v = 0;
    size_t i = 0;
    for (; limit[i] >= '0' && limit[i] <= '9' && i < 4; i++)
      v = v * 10 + (limit[i] - '0');
    if (i == 0 || limit[i] != '\0' || v < 1 || v > PROTO_PULL_MAX_LIMIT)
      return jfail(&c, "limit", "must be an integer from 1 to %d", PROTO_PULL_MAX_LIMIT);
    *limit_out = v;
  }
  if (cursor)
    memcpy(cursor_out, cursor, strlen(cursor) + 1);
  return SYNC_OK;
}

/* ---- writer ----------------------------------------------------------------------------------- */

struct proto_pull_writer {
  jbuf_t b;          /* the page so far, without the closing part */
  size_t count;
  int64_t last_seq;
  int finished;
};

static const char tail_cursor[] = "],\"next_cursor\":\"";
static const char tail_more[] = "\",\"more\":false}";
/* The closing part with the longest cursor: sizes and budgets count it, so a page never grows
 * past its budget whatever cursor closes it. */
#define PULL_TAIL_MAX (sizeof tail_cursor - 1 + PROTO_CURSOR_MAX + sizeof tail_more - 1)

sync_err_t proto_pull_writer_new(proto_pull_writer_t **out)
{
  if (!out)
    return SYNC_ERR_INVALID_ARG;
  proto_pull_writer_t *w = calloc(1, sizeof *w);
  if (!w) {
    *out = NULL;
    return SYNC_ERR_NOMEM;
  }
  jb_puts(&w->b, "{" CODEC_PROTOCOL_MEMBER ",\"items\":[");
  if (w->b.oom) {
    proto_pull_writer_free(w);
    *out = NULL;
    return SYNC_ERR_NOMEM;
  }
  *out = w;
  return SYNC_OK;
}

/* Top-level keys the schema requires of an embedded definition ("format", "form_id", "version"). */
static int definition_has_keys(const char *text, size_t len)
{
  cJSON *d = cJSON_ParseWithLength(text, len);
  int ok = d && cJSON_GetObjectItemCaseSensitive(d, "format") &&
           cJSON_GetObjectItemCaseSensitive(d, "form_id") &&
           cJSON_GetObjectItemCaseSensitive(d, "version");
  cJSON_Delete(d);
  return ok;
}

static sync_err_t form_item_encode(jbuf_t *b, const proto_pull_item_t *it, char *errbuf,
                                   size_t errlen)
{
  const proto_form_item_t *f = &it->form;
  json_scan_t res;
  unsigned char hash[crypto_hash_sha256_BYTES];
  char hex[PROTO_SHA256_LEN + 1];
  if (!codec_form_id_valid(f->form_id) || f->version < 1 || !proto_sha256_valid(f->sha256) ||
      !f->definition)
    return codec_errf(errbuf, errlen, SYNC_ERR_INVALID_ARG, "form item: bad form_id, version, sha256 "
                      "or definition");
  jb_puts(b, "{\"kind\":\"form\",\"seq\":");
  jb_i64(b, it->seq);
  jb_puts(b, ",\"form_id\":");
  jb_str(b, f->form_id);
  jb_key(b, "version", 0);
  jb_i64(b, f->version);
  jb_key(b, "sha256", 0);
  jb_str(b, f->sha256);
  jb_key(b, "definition", 0);
  size_t start = b->len;
  if (jb_json(b, f->definition, CODEC_DEPTH_CHANGE_PAYLOAD, &res) != 0)
    return b->oom ? SYNC_ERR_NOMEM
                  : codec_errf(errbuf, errlen, SYNC_ERR_INVALID_ARG,
                               "definition: invalid JSON at byte %zu: %s", res.err_pos, res.err);
  if (res.type != JSON_T_OBJECT || res.out_len > PROTO_MAX_FORM_DEF ||
      !definition_has_keys(b->p + start, res.out_len))
    return codec_errf(errbuf, errlen, SYNC_ERR_INVALID_ARG,
                      "definition: not an object with format, form_id and version of at most %u "
                      "bytes", (unsigned)PROTO_MAX_FORM_DEF);
  if (sodium_init() < 0)
    return SYNC_ERR_INTERNAL;
  crypto_hash_sha256(hash, (const unsigned char *)b->p + start, res.out_len);
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  if (strcmp(hex, f->sha256) != 0)
    return codec_errf(errbuf, errlen, SYNC_ERR_INVALID_ARG,
                      "sha256: not the hash of the definition's compact text (%s)", hex);
  jb_putc(b, '}');
  return b->oom ? SYNC_ERR_NOMEM : SYNC_OK;
}

/* `budget` 0 means none at all (the whole-struct encoder). */
static sync_err_t writer_add(proto_pull_writer_t *w, const proto_pull_item_t *item, size_t budget,
                             char *errbuf, size_t errlen)
{
  if (errbuf && errlen)
    errbuf[0] = '\0';
  if (!w || !item)
    return codec_errf(errbuf, errlen, SYNC_ERR_INVALID_ARG, "no writer or item");
  if (w->finished || w->b.oom)
    return codec_errf(errbuf, errlen, SYNC_ERR_STATE, "writer already finished or failed");
  if (w->count >= PROTO_PULL_MAX_LIMIT)
    return codec_errf(errbuf, errlen, SYNC_ERR_TOO_LARGE, "page holds %d items",
                      PROTO_PULL_MAX_LIMIT);
  if (item->seq < 1 || item->seq > CODEC_MAX_INT || item->seq <= w->last_seq)
    return codec_errf(errbuf, errlen, SYNC_ERR_INVALID_ARG,
                      "seq: %lld is not after the previous item's %lld", (long long)item->seq,
                      (long long)w->last_seq);
  size_t mark = w->b.len;
  sync_err_t rc;
  if (w->count > 0)
    jb_putc(&w->b, ',');
  if (item->kind == PROTO_ITEM_FORM)
    rc = form_item_encode(&w->b, item, errbuf, errlen);
  else if (item->kind == PROTO_ITEM_RECORD)
    rc = change_encode(&w->b, &item->record, CHANGE_PULLED, item->seq, CODEC_DEPTH_CHANGE_PAYLOAD,
                       errbuf, errlen);
  else
    rc = codec_errf(errbuf, errlen, SYNC_ERR_INVALID_ARG, "kind: neither FORM nor RECORD");
  if (rc != SYNC_OK) {
    jb_truncate(&w->b, mark);
    w->b.oom = 0;
    return rc == SYNC_ERR_NOMEM || rc == SYNC_ERR_INTERNAL ? rc : SYNC_ERR_INVALID_ARG;
  }
  size_t size = w->b.len + PULL_TAIL_MAX;
  if (w->count > 0 && ((budget > 0 && size > budget) || size > PROTO_MAX_BODY)) {
    jb_truncate(&w->b, mark);
    return codec_errf(errbuf, errlen, SYNC_ERR_TOO_LARGE, "page full at %zu bytes",
                      mark + PULL_TAIL_MAX);
  }
  w->count++;
  w->last_seq = item->seq;
  return SYNC_OK;
}

sync_err_t proto_pull_writer_add(proto_pull_writer_t *w, const proto_pull_item_t *item,
                                 size_t budget, char *errbuf, size_t errlen)
{
  return writer_add(w, item, budget ? budget : PROTO_PULL_PAGE_BYTES, errbuf, errlen);
}

size_t proto_pull_writer_count(const proto_pull_writer_t *w)
{
  return w ? w->count : 0;
}

/* Upper bound: the page so far closed with the longest possible cursor. */
size_t proto_pull_writer_size(const proto_pull_writer_t *w)
{
  return w && !w->finished ? w->b.len + PULL_TAIL_MAX : 0;
}

sync_err_t proto_pull_writer_finish(proto_pull_writer_t *w, const char *next_cursor, int more,
                                    char **out_json, size_t *out_len)
{
  if (out_json)
    *out_json = NULL;
  if (!w || !out_json || !proto_cursor_valid(next_cursor))
    return SYNC_ERR_INVALID_ARG;
  if (w->finished)
    return SYNC_ERR_STATE;
  w->finished = 1;
  jb_puts(&w->b, tail_cursor);
  jb_puts(&w->b, next_cursor);
  jb_puts(&w->b, more ? "\",\"more\":true}" : tail_more);
  return jb_finish(&w->b, out_json, out_len);
}

void proto_pull_writer_free(proto_pull_writer_t *w)
{
  if (!w)
    return;
  jb_free(&w->b);
  free(w);
}

sync_err_t proto_pull_resp_encode(const proto_pull_resp_t *resp, char **out_json, size_t *out_len)
{
  proto_pull_writer_t *w = NULL;
  if (out_json)
    *out_json = NULL;
  if (!resp || !out_json || (resp->protocol != 0 && resp->protocol != PROTO_VERSION) ||
      (resp->n_items && !resp->items))
    return SYNC_ERR_INVALID_ARG;
  sync_err_t rc = proto_pull_writer_new(&w);
  for (size_t i = 0; rc == SYNC_OK && i < resp->n_items; i++)
    rc = writer_add(w, &resp->items[i], 0, NULL, 0);
  if (rc == SYNC_OK)
    rc = proto_pull_writer_finish(w, resp->next_cursor, resp->more, out_json, out_len);
  proto_pull_writer_free(w);
  return rc;
}

/* ---- decoder ---------------------------------------------------------------------------------- */

static sync_err_t form_item_decode(jctx_t *c, const cJSON *obj, proto_pull_item_t *it)
{
  static const char *const keys[] = {"kind", "seq", "form_id", "version", "sha256", "definition"};
  static const char *const required[] = {"format", "form_id", "version"};
  const cJSON *f[6];
  int64_t v;
  int idx;
  sync_err_t rc;
  proto_form_item_t *fi = &it->form;
  if ((rc = jfields(c, obj, NULL, keys, 6, f)) ||
      (rc = jget_enum(c, f[0], "kind", (const char *const[]){"form"}, 1, &idx)) ||
      (rc = jget_int(c, f[1], "seq", 1, CODEC_MAX_INT, &it->seq)) ||
      (rc = jget_str(c, f[2], "form_id", codec_form_id_valid, "form id", fi->form_id,
                     sizeof fi->form_id)) ||
      (rc = jget_int(c, f[3], "version", 1, INT32_MAX, &v)) ||
      (rc = jget_str(c, f[4], "sha256", proto_sha256_valid, "lower-case SHA-256", fi->sha256,
                     sizeof fi->sha256)))
    return rc;
  fi->version = (int)v;
  if (cJSON_IsObject(f[5]))
    for (size_t k = 0; k < 3; k++)
      if (!cJSON_GetObjectItemCaseSensitive(f[5], required[k])) {
        size_t mark = jpath_key(c, "definition");
        rc = jfail(c, required[k], "missing");
        jpath_pop(c, mark);
        return rc;
      }
  return jget_json(c, f[5], "definition", 1, PROTO_MAX_FORM_DEF, &fi->definition);
}

static sync_err_t item_decode(jctx_t *c, const cJSON *obj, proto_pull_item_t *it)
{
  static const char *const kinds[] = {"form", "record"};
  int kind;
  sync_err_t rc;
  if (!cJSON_IsObject(obj))
    return jfail(c, NULL, "expected object");
  if ((rc = jget_enum(c, cJSON_GetObjectItemCaseSensitive(obj, "kind"), "kind", kinds, 2, &kind)))
    return rc;
  if (kind == 0) {
    it->kind = PROTO_ITEM_FORM;
    return form_item_decode(c, obj, it);
  }
  it->kind = PROTO_ITEM_RECORD;
  return change_decode(c, obj, NULL, CHANGE_PULLED, &it->record, &it->seq);
}

sync_err_t proto_pull_resp_decode(const char *json, size_t len, proto_pull_resp_t **out,
                                  proto_diag_t *diag)
{
  static const char *const keys[] = {"protocol", "items", "next_cursor", "more"};
  const cJSON *f[4];
  proto_diag_t local;
  jctx_t c;
  cJSON *root = NULL;
  proto_pull_resp_t *resp = NULL;
  size_t n = 0, i = 0;

  jctx_init(&c, diag, &local);
  if (!out)
    return jfail_code(&c, PROTO_E_BAD_REQUEST, SYNC_ERR_INVALID_ARG, NULL, "no output");
  *out = NULL;
  void *msg;
  sync_err_t rc = jdecode_begin(&c, json, len, 4, &root, sizeof *resp, &msg);
  if (rc)
    return rc;
  resp = msg;
  if ((rc = jprotocol(&c, root, &resp->protocol)) || (rc = jfields(&c, root, NULL, keys, 4, f)) ||
      (rc = jget_array(&c, f[1], "items", 0, PROTO_PULL_MAX_LIMIT, 1, &n)))
    goto fail;
  if (n && !(resp->items = calloc(n, sizeof *resp->items))) {
    rc = jfail_code(&c, PROTO_E_INTERNAL, SYNC_ERR_NOMEM, NULL, "out of memory");
    goto fail;
  }
  resp->n_items = n;
  size_t mark = jpath_key(&c, "items");
  for (const cJSON *e = f[1]->child; e && rc == SYNC_OK; e = e->next, i++) {
    size_t m2 = jpath_index(&c, i);
    rc = item_decode(&c, e, &resp->items[i]);
    if (rc == SYNC_OK && i > 0 && resp->items[i].seq <= resp->items[i - 1].seq)
      rc = jfail(&c, "seq", "%lld is not after the previous item's %lld",
                 (long long)resp->items[i].seq, (long long)resp->items[i - 1].seq);
    jpath_pop(&c, m2);
  }
  jpath_pop(&c, mark);
  if (rc ||
      (rc = jget_str(&c, f[2], "next_cursor", proto_cursor_valid, "cursor", resp->next_cursor,
                     sizeof resp->next_cursor)) ||
      (rc = jget_bool(&c, f[3], "more", &resp->more)))
    goto fail;
  cJSON_Delete(root);
  jctx_done(&c);
  *out = resp;
  return SYNC_OK;
fail:
  proto_pull_resp_free(resp);
  cJSON_Delete(root);
  jctx_done(&c);
  return rc;
}

void proto_pull_resp_free(proto_pull_resp_t *resp)
{
  if (!resp)
    return;
  for (size_t i = 0; resp->items && i < resp->n_items; i++) {
    free(resp->items[i].form.definition);
    change_clear(&resp->items[i].record);
  }
  free(resp->items);
  free(resp);
}
