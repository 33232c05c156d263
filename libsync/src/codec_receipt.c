/* Push response (push-response.schema.json, PROTOCOL.md 3.2 and 5): one receipt per change, with
 * the per-outcome rules of the schema checked both ways, so the server cannot send what a client
 * refuses; and the one response signature over the Merkle root of every receipt (SECURITY.md 7),
 * always present. The codec checks its form only: the engine verifies it (receipt_leaves.h). */
#include "codec_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const outcome_names[] = {"stored", "duplicate", "conflict", "rejected"};
static const char *const side_names[] = {"device", "central"};

/* ---- encoding --------------------------------------------------------------------------------- */

/* The codes a rejected receipt may carry, and codes this library does not know: a client accepts
 * those (a newer server, PROTOCOL.md 6), so an encoder may pass one on with its code_text. */
static int rejection_code_ok(proto_errcode_t code)
{
  return code == PROTO_E_UNKNOWN_FORM || code == PROTO_E_INVALID_CHANGE ||
         code == PROTO_E_FORBIDDEN || code == PROTO_E_UNKNOWN;
}

static sync_err_t conflict_encode(jbuf_t *b, const proto_conflict_t *cf)
{
  json_scan_t res;
  if (!proto_uuid_valid(cf->conflict_id) || cf->base_revision < 0 ||
      cf->base_revision > CODEC_MAX_INT || cf->central_revision < 1 ||
      cf->central_revision > CODEC_MAX_INT || !proto_hlc_valid(cf->central_hlc) ||
      (cf->base_hlc[0] && !proto_hlc_valid(cf->base_hlc)) || (cf->n_fields && !cf->fields))
    return SYNC_ERR_INVALID_ARG;
  jb_puts(b, "{\"conflict_id\":");
  jb_str(b, cf->conflict_id);
  jb_key(b, "base_revision", 0);
  jb_i64(b, cf->base_revision);
  jb_key(b, "base_hlc", 0);
  if (cf->base_hlc[0])
    jb_str(b, cf->base_hlc);
  else
    jb_puts(b, "null");
  jb_key(b, "central_revision", 0);
  jb_i64(b, cf->central_revision);
  jb_key(b, "central_hlc", 0);
  jb_str(b, cf->central_hlc);
  jb_puts(b, ",\"fields\":[");
  for (size_t i = 0; i < cf->n_fields; i++) {
    const proto_conflict_field_t *fl = &cf->fields[i];
    if (!codec_conflict_field_valid(fl->field) ||
        (fl->winner != PROTO_SIDE_DEVICE && fl->winner != PROTO_SIDE_CENTRAL))
      return SYNC_ERR_INVALID_ARG;
    jb_puts(b, i ? ",{\"field\":" : "{\"field\":");
    jb_str(b, fl->field);
    jb_key(b, "winner", 0);
    jb_str(b, side_names[fl->winner - 1]);
    jb_key(b, "device_value", 0);
    if (jb_json(b, fl->device_value ? fl->device_value : "null", CODEC_DEPTH_CONFLICT_VALUE, &res))
      return b->oom ? SYNC_ERR_NOMEM : SYNC_ERR_INVALID_ARG;
    jb_key(b, "central_value", 0);
    if (jb_json(b, fl->central_value ? fl->central_value : "null", CODEC_DEPTH_CONFLICT_VALUE, &res))
      return b->oom ? SYNC_ERR_NOMEM : SYNC_ERR_INVALID_ARG;
    jb_putc(b, '}');
  }
  jb_puts(b, "]}");
  return SYNC_OK;
}

static sync_err_t receipt_encode(jbuf_t *b, const proto_receipt_t *r)
{
  int rejected = r->outcome == PROTO_OUTCOME_REJECTED;
  if (!proto_uuid_valid(r->uuid) || r->revision < 1 || r->revision > CODEC_MAX_INT ||
      r->outcome < PROTO_OUTCOME_STORED || r->outcome > PROTO_OUTCOME_REJECTED)
    return SYNC_ERR_INVALID_ARG;
  if (rejected ? !r->error || !rejection_code_ok(r->error->code) || r->merged || r->conflict
               : r->error || r->server_seq < 1 || r->server_seq > CODEC_MAX_INT ||
                   r->received_at < 0 || r->received_at > CODEC_MAX_MS)
    return SYNC_ERR_INVALID_ARG;
  if (!r->merged != !r->conflict || (r->outcome == PROTO_OUTCOME_CONFLICT && !r->merged) ||
      (r->outcome == PROTO_OUTCOME_STORED && r->merged))
    return SYNC_ERR_INVALID_ARG;
  jb_puts(b, "{\"uuid\":");
  jb_str(b, r->uuid);
  jb_key(b, "revision", 0);
  jb_i64(b, r->revision);
  jb_key(b, "outcome", 0);
  jb_str(b, outcome_names[r->outcome - 1]);
  sync_err_t rc = SYNC_OK;
  if (rejected) {
    jb_puts(b, ",\"error\":{");
    if ((rc = error_encode_obj(b, r->error)))
      return rc;
    jb_putc(b, '}');
  } else {
    jb_key(b, "server_seq", 0);
    jb_i64(b, r->server_seq);
    jb_key(b, "received_at", 0);
    jb_i64(b, r->received_at);
  }
  if (r->merged) {
    jb_key(b, "merged", 0);
    if ((rc = change_encode(b, r->merged, CHANGE_CENTRAL, 0, CODEC_DEPTH_MERGED_PAYLOAD, NULL, 0)))
      return rc == SYNC_ERR_NOMEM ? rc : SYNC_ERR_INVALID_ARG;
    jb_key(b, "conflict", 0);
    if ((rc = conflict_encode(b, r->conflict)))
      return rc;
  }
  jb_putc(b, '}');
  return SYNC_OK;
}

sync_err_t proto_receipt_encode(const proto_receipt_t *r, char **out_json, size_t *out_len)
{
  jbuf_t b = {0};
  *out_json = NULL;
  sync_err_t rc = receipt_encode(&b, r);
  if (rc != SYNC_OK) {
    jb_free(&b);
    return rc;
  }
  return jb_finish(&b, out_json, out_len); /* SYNC_ERR_NOMEM when the buffer ran out */
}

sync_err_t proto_push_resp_encode(const proto_push_resp_t *resp, char **out_json, size_t *out_len)
{
  jbuf_t b = {0};
  sync_err_t rc = SYNC_OK;
  if (out_json)
    *out_json = NULL;
  if (!resp || !out_json || (resp->protocol != 0 && resp->protocol != PROTO_VERSION) ||
      !proto_uuid_valid(resp->batch_id) || resp->server_time < 0 ||
      resp->server_time > CODEC_MAX_MS || resp->n_receipts < 1 ||
      resp->n_receipts > PROTO_MAX_CHANGES || !resp->receipts)
    return SYNC_ERR_INVALID_ARG;
  if (!codec_signature_valid(resp->signature))
    return SYNC_ERR_INVALID_ARG;
  jb_puts(&b, "{" CODEC_PROTOCOL_MEMBER ",\"batch_id\":");
  jb_str(&b, resp->batch_id);
  jb_key(&b, "server_time", 0);
  jb_i64(&b, resp->server_time);
  jb_puts(&b, ",\"receipts\":[");
  for (size_t i = 0; rc == SYNC_OK && i < resp->n_receipts; i++) {
    if (i)
      jb_putc(&b, ',');
    rc = receipt_encode(&b, &resp->receipts[i]);
  }
  jb_putc(&b, ']');
  jb_key(&b, "signature", 0);
  jb_str(&b, resp->signature);
  jb_putc(&b, '}');
  if (rc == SYNC_OK && b.oom)
    rc = SYNC_ERR_NOMEM;
  if (rc != SYNC_OK) {
    jb_free(&b);
    return rc;
  }
  return jb_finish(&b, out_json, out_len);
}

/* ---- the signed text (SECURITY.md 7) ------------------------------------------------------------ */

sync_err_t proto_receipt_signed_text(const char *server_id, const char *device_id, const char *uuid,
                                     int64_t revision, const char *hlc, int64_t server_seq,
                                     int64_t received_at, char *buf, size_t len)
{
  if (!buf || !proto_uuid_valid(server_id) || !proto_uuid_valid(device_id) ||
      !proto_uuid_valid(uuid) || !proto_hlc_valid(hlc) || revision < 1 || revision > CODEC_MAX_INT ||
      server_seq < 1 || server_seq > CODEC_MAX_INT || received_at < 0 || received_at > CODEC_MAX_MS)
    return SYNC_ERR_INVALID_ARG;
  int n = snprintf(buf, len, "libsync-receipt-v2\n%s\n%s\n%s\n%lld\n%s\n%lld\n%lld", server_id,
                   device_id, uuid, (long long)revision, hlc, (long long)server_seq,
                   (long long)received_at);
  if (n < 0 || (size_t)n >= len) {
    if (len > 0)
      buf[0] = '\0';
    return SYNC_ERR_TOO_LARGE;
  }
  return SYNC_OK;
}

/* ---- decoding --------------------------------------------------------------------------------- */

enum { RK_UUID, RK_REVISION, RK_OUTCOME, RK_SERVER_SEQ, RK_RECEIVED_AT, RK_MERGED, RK_CONFLICT,
       RK_ERROR, RK_N };
static const char *const receipt_keys[RK_N] = {"uuid", "revision", "outcome", "server_seq",
                                               "received_at", "merged", "conflict", "error"};

static sync_err_t field_decode(jctx_t *c, const cJSON *obj, proto_conflict_field_t *out)
{
  static const char *const keys[] = {"field", "winner", "device_value", "central_value"};
  const cJSON *f[4];
  int winner;
  sync_err_t rc;
  if ((rc = jfields(c, obj, NULL, keys, 4, f)) ||
      (rc = jget_str(c, f[0], "field", codec_conflict_field_valid, "field name", out->field,
                     sizeof out->field)) ||
      (rc = jget_enum(c, f[1], "winner", side_names, 2, &winner)) ||
      (rc = jget_json(c, f[2], "device_value", 0, PROTO_MAX_PAYLOAD, &out->device_value)))
    return rc;
  out->winner = winner == 0 ? PROTO_SIDE_DEVICE : PROTO_SIDE_CENTRAL;
  return jget_json(c, f[3], "central_value", 0, PROTO_MAX_PAYLOAD, &out->central_value);
}

static sync_err_t conflict_decode(jctx_t *c, const cJSON *obj, proto_conflict_t *out)
{
  static const char *const keys[] = {"conflict_id", "base_revision", "base_hlc",
                                     "central_revision", "central_hlc", "fields"};
  const cJSON *f[6];
  size_t n, i = 0;
  sync_err_t rc = jfields(c, obj, "conflict", keys, 6, f);
  if (rc)
    return rc;
  size_t mark = jpath_key(c, "conflict");
  if ((rc = jget_str(c, f[0], "conflict_id", proto_uuid_valid, "lower-case uuid", out->conflict_id,
                     sizeof out->conflict_id)) ||
      (rc = jget_int(c, f[1], "base_revision", 0, CODEC_MAX_INT, &out->base_revision)))
    goto done;
  if (!f[2])
    rc = jfail(c, "base_hlc", "missing");
  else if (!cJSON_IsNull(f[2]))
    rc = jget_str(c, f[2], "base_hlc", proto_hlc_valid, "valid hlc or null", out->base_hlc,
                  sizeof out->base_hlc);
  if (rc ||
      (rc = jget_int(c, f[3], "central_revision", 1, CODEC_MAX_INT, &out->central_revision)) ||
      (rc = jget_str(c, f[4], "central_hlc", proto_hlc_valid, "valid hlc", out->central_hlc,
                     sizeof out->central_hlc)) ||
      (rc = jget_array(c, f[5], "fields", 0, SIZE_MAX, 0, &n)))
    goto done;
  if (n && !(out->fields = calloc(n, sizeof *out->fields))) {
    rc = jfail_code(c, PROTO_E_INTERNAL, SYNC_ERR_NOMEM, NULL, "out of memory");
    goto done;
  }
  out->n_fields = n;
  size_t m2 = jpath_key(c, "fields");
  for (const cJSON *e = f[5]->child; e && rc == SYNC_OK; e = e->next, i++) {
    size_t m3 = jpath_index(c, i);
    rc = field_decode(c, e, &out->fields[i]);
    jpath_pop(c, m3);
  }
  jpath_pop(c, m2);
done:
  jpath_pop(c, mark);
  return rc;
}

/* key must be absent (`absent`) or present, per the receipt's outcome. */
static sync_err_t presence(jctx_t *c, const cJSON *it, const char *key, int required,
                           proto_outcome_t outcome)
{
  if (required && !it)
    return jfail(c, key, "missing (outcome %s)", outcome_names[outcome - 1]);
  if (!required && it)
    return jfail(c, key, "not allowed with outcome %s", outcome_names[outcome - 1]);
  return SYNC_OK;
}

static sync_err_t receipt_fields(jctx_t *c, const cJSON **f, proto_receipt_t *r)
{
  int idx;
  sync_err_t rc;
  if ((rc = jget_str(c, f[RK_UUID], "uuid", proto_uuid_valid, "lower-case uuid", r->uuid,
                     sizeof r->uuid)) ||
      (rc = jget_int(c, f[RK_REVISION], "revision", 1, CODEC_MAX_INT, &r->revision)) ||
      (rc = jget_enum(c, f[RK_OUTCOME], "outcome", outcome_names, 4, &idx)))
    return rc;
  proto_outcome_t o = r->outcome = (proto_outcome_t)(idx + 1);
  int rej = o == PROTO_OUTCOME_REJECTED, conf = o == PROTO_OUTCOME_CONFLICT;
  int merge = conf || (o == PROTO_OUTCOME_DUPLICATE && (f[RK_MERGED] || f[RK_CONFLICT]));
  if ((rc = presence(c, f[RK_SERVER_SEQ], "server_seq", !rej, o)) ||
      (rc = presence(c, f[RK_RECEIVED_AT], "received_at", !rej, o)) ||
      (rc = presence(c, f[RK_MERGED], "merged", merge, o)) ||
      (rc = presence(c, f[RK_CONFLICT], "conflict", merge, o)) ||
      (rc = presence(c, f[RK_ERROR], "error", rej, o)))
    return rc;
  if (!rej && ((rc = jget_int(c, f[RK_SERVER_SEQ], "server_seq", 1, CODEC_MAX_INT, &r->server_seq)) ||
               (rc = jget_int(c, f[RK_RECEIVED_AT], "received_at", 0, CODEC_MAX_MS,
                              &r->received_at))))
    return rc;
  if (merge) {
    if (!(r->merged = calloc(1, sizeof *r->merged)) || !(r->conflict = calloc(1, sizeof *r->conflict)))
      return jfail_code(c, PROTO_E_INTERNAL, SYNC_ERR_NOMEM, NULL, "out of memory");
    if ((rc = change_decode(c, f[RK_MERGED], "merged", CHANGE_CENTRAL, r->merged, NULL)) ||
        (rc = conflict_decode(c, f[RK_CONFLICT], r->conflict)))
      return rc;
  }
  if (rej) {
    if (!(r->error = calloc(1, sizeof *r->error)))
      return jfail_code(c, PROTO_E_INTERNAL, SYNC_ERR_NOMEM, NULL, "out of memory");
    if ((rc = error_decode_obj(c, f[RK_ERROR], "error", r->error)))
      return rc;
    if (!rejection_code_ok(r->error->code)) {
      size_t mark = jpath_key(c, "error");
      rc = jfail(c, "code", "must be unknown_form, invalid_change or forbidden in a receipt");
      jpath_pop(c, mark);
    }
  }
  return rc;
}

sync_err_t proto_push_resp_decode(const char *json, size_t len, proto_push_resp_t **out,
                                  proto_diag_t *diag)
{
  static const char *const keys[] = {"protocol", "batch_id", "server_time", "receipts", "signature"};
  const cJSON *f[5];
  proto_diag_t local;
  jctx_t c;
  cJSON *root = NULL;
  proto_push_resp_t *resp = NULL;
  size_t n = 0, i = 0;

  jctx_init(&c, diag, &local);
  if (!out)
    return jfail_code(&c, PROTO_E_BAD_REQUEST, SYNC_ERR_INVALID_ARG, NULL, "no output");
  *out = NULL;
  void *msg;
  sync_err_t rc = jdecode_begin(&c, json, len, 5, &root, sizeof *resp, &msg);
  if (rc)
    return rc;
  resp = msg;
  if ((rc = jprotocol(&c, root, &resp->protocol)) || (rc = jfields(&c, root, NULL, keys, 5, f)) ||
      (rc = jget_str(&c, f[1], "batch_id", proto_uuid_valid, "lower-case uuid", resp->batch_id,
                     sizeof resp->batch_id)) ||
      (rc = jget_int(&c, f[2], "server_time", 0, CODEC_MAX_MS, &resp->server_time)) ||
      (rc = jget_array(&c, f[3], "receipts", 1, PROTO_MAX_CHANGES, 1, &n)))
    goto fail;
  if (!(resp->receipts = calloc(n, sizeof *resp->receipts))) {
    rc = jfail_code(&c, PROTO_E_INTERNAL, SYNC_ERR_NOMEM, NULL, "out of memory");
    goto fail;
  }
  resp->n_receipts = n;
  size_t mark = jpath_key(&c, "receipts");
  for (const cJSON *e = f[3]->child; e && rc == SYNC_OK; e = e->next, i++) {
    const cJSON *rf[RK_N];
    size_t m2 = jpath_index(&c, i);
    if (!(rc = jfields(&c, e, NULL, receipt_keys, RK_N, rf)))
      rc = receipt_fields(&c, rf, &resp->receipts[i]);
    jpath_pop(&c, m2);
  }
  jpath_pop(&c, mark);
  if (rc)
    goto fail;
  if (!f[4])
    rc = jfail(&c, "signature", "missing (every receipt is signed, SECURITY.md 7)");
  else
    rc = jget_str(&c, f[4], "signature", codec_signature_valid,
                  "base64 Ed25519 signature (88 characters)", resp->signature,
                  sizeof resp->signature);
  if (rc)
    goto fail;
  cJSON_Delete(root);
  jctx_done(&c);
  *out = resp;
  return SYNC_OK;
fail:
  proto_push_resp_free(resp);
  cJSON_Delete(root);
  jctx_done(&c);
  return rc;
}

void proto_push_resp_free(proto_push_resp_t *resp)
{
  if (!resp)
    return;
  for (size_t i = 0; resp->receipts && i < resp->n_receipts; i++) {
    proto_receipt_t *r = &resp->receipts[i];
    if (r->merged) {
      change_clear(r->merged);
      free(r->merged);
    }
    if (r->conflict) {
      for (size_t k = 0; r->conflict->fields && k < r->conflict->n_fields; k++) {
        free(r->conflict->fields[k].device_value);
        free(r->conflict->fields[k].central_value);
      }
      free(r->conflict->fields);
      free(r->conflict);
    }
    proto_error_free(r->error);
  }
  free(resp->receipts);
  free(resp);
}
