/* One change on the wire (PROTOCOL.md 3, common.schema.json change_fields): the checks, the encoder
 * used by the push and pull writers and the push response, and the decoder used by all three. */
#include "codec_internal.h"

#include <stdlib.h>
#include <string.h>

enum {
  CK_UUID, CK_REVISION, CK_BASE_REVISION, CK_BASE_HLC, CK_OP, CK_FORM_ID, CK_FORM_VERSION, CK_HLC,
  CK_STATUS, CK_CREATED_AT, CK_UPDATED_AT, CK_PAYLOAD, CK_SEALED, CK_DEDUP, CK_DEVICE_SIG, CK_ORIGIN,
  CK_AUTHOR, CK_KIND, CK_SEQ, CK_N
};
/* The first CHANGE_PUSHED / CHANGE_CENTRAL / CHANGE_PULLED keys are those of each form. */
static const char *const change_keys[CK_N] = {
  "uuid", "revision", "base_revision", "base_hlc", "op", "form_id", "form_version", "hlc", "status",
  "created_at", "updated_at", "payload", "sealed", "dedup", "device_sig", "origin", "author", "kind", "seq"};
static const char *const op_names[] = {"upsert", "delete"};

static int author_valid(const char *a)
{
  size_t n = a ? utf8_chars(a) : SIZE_MAX;
  return n != SIZE_MAX && n >= 1 && n <= CODEC_MAX_AUTHOR_CHARS;
}

sync_err_t change_check_fields(const proto_change_t *ch, int central, char *errbuf, size_t errlen)
{
  const sync_err_t bad = SYNC_ERR_INVALID_ARG;
  if (!proto_uuid_valid(ch->uuid))
    return codec_errf(errbuf, errlen, bad, "uuid: not a lower-case uuid");
  if (ch->revision < 1 || ch->revision > CODEC_MAX_INT)
    return codec_errf(errbuf, errlen, bad, "revision: must be from 1 to 2^53");
  if (ch->base_revision < 0 || ch->base_revision >= ch->revision)
    return codec_errf(errbuf, errlen, bad, "base_revision: must be from 0 to revision - 1");
  if (ch->base_revision == 0 ? ch->base_hlc[0] != '\0' : !proto_hlc_valid(ch->base_hlc))
    return codec_errf(errbuf, errlen, bad, ch->base_revision == 0
                                             ? "base_hlc: must be empty when base_revision is 0"
                                             : "base_hlc: not an hlc");
  if (ch->op != PROTO_OP_UPSERT && ch->op != PROTO_OP_DELETE)
    return codec_errf(errbuf, errlen, bad, "op: must be PROTO_OP_UPSERT or PROTO_OP_DELETE");
  if (!codec_form_id_valid(ch->form_id))
    return codec_errf(errbuf, errlen, bad, "form_id: not a form id");
  if (ch->form_version < 1)
    return codec_errf(errbuf, errlen, bad, "form_version: must be at least 1");
  if (!proto_hlc_valid(ch->hlc))
    return codec_errf(errbuf, errlen, bad, "hlc: not an hlc");
  if (ch->created_at < 0 || ch->created_at > CODEC_MAX_MS || ch->updated_at < 0 ||
      ch->updated_at > CODEC_MAX_MS)
    return codec_errf(errbuf, errlen, bad, "created_at/updated_at: not a time in ms");
  if (!ch->payload)
    return codec_errf(errbuf, errlen, bad, "payload: missing");
  if (ch->sealed && ch->sealed[0]) {
    if (ch->op == PROTO_OP_DELETE)
      return codec_errf(errbuf, errlen, bad, "sealed: not allowed on a delete");
    if (!codec_sealed_valid(ch->sealed))
      return codec_errf(errbuf, errlen, strnlen(ch->sealed, PROTO_MAX_SEALED + 1) > PROTO_MAX_SEALED
                                          ? SYNC_ERR_TOO_LARGE : bad,
                        "sealed: not base64 of at most %u characters", (unsigned)PROTO_MAX_SEALED);
  }
  if (ch->dedup[0] && !proto_sha256_valid(ch->dedup)) /* the same shape: 64 lower-case hex */
    return codec_errf(errbuf, errlen, bad, "dedup: not 64 lower-case hex digits");
  if (ch->device_sig[0] && (central || !ch->sealed || !ch->sealed[0] ||
                            !codec_signature_valid(ch->device_sig)))
    return codec_errf(errbuf, errlen, bad, "device_sig: only base64 of 64 bytes, on a pushed"
                      " change that carries sealed");
  if (central && (ch->origin != PROTO_ORIGIN_CENTRAL || !author_valid(ch->author)))
    return codec_errf(errbuf, errlen, bad, "origin: must be CENTRAL with an author of 1..128 characters");
  if (!central && (ch->origin != PROTO_ORIGIN_DEVICE || ch->author))
    return codec_errf(errbuf, errlen, bad, "origin: must be DEVICE without an author");
  return SYNC_OK;
}

/* The payload checks shared by proto_change_check and change_encode. */
static sync_err_t payload_result(const proto_change_t *ch, const json_scan_t *res, char *errbuf,
                                 size_t errlen)
{
  if (res->type != JSON_T_OBJECT)
    return codec_errf(errbuf, errlen, SYNC_ERR_INVALID_ARG, "payload: not a JSON object");
  if (ch->op == PROTO_OP_DELETE && res->members != 0)
    return codec_errf(errbuf, errlen, SYNC_ERR_INVALID_ARG, "payload: must be {} for a delete");
  if (res->out_len > PROTO_MAX_PAYLOAD)
    return codec_errf(errbuf, errlen, SYNC_ERR_TOO_LARGE,
                      "payload: %zu bytes as compact JSON, over the %u-byte cap", res->out_len,
                      (unsigned)PROTO_MAX_PAYLOAD);
  return SYNC_OK;
}

sync_err_t proto_change_check(const proto_change_t *c, char *errbuf, size_t errlen)
{
  json_scan_t res;
  if (!c)
    return codec_errf(errbuf, errlen, SYNC_ERR_INVALID_ARG, "no change");
  sync_err_t rc = change_check_fields(c, c->origin == PROTO_ORIGIN_CENTRAL, errbuf, errlen);
  if (rc)
    return rc;
  if (json_scan(c->payload, strlen(c->payload), CODEC_DEPTH_CHANGE_PAYLOAD, NULL, &res) != 0)
    return codec_errf(errbuf, errlen, SYNC_ERR_INVALID_ARG, "payload: invalid JSON at byte %zu: %s",
                      res.err_pos, res.err);
  return payload_result(c, &res, errbuf, errlen);
}

sync_err_t change_encode(jbuf_t *b, const proto_change_t *ch, change_form_t form, int64_t seq,
                         int payload_depth, char *errbuf, size_t errlen)
{
  json_scan_t res;
  sync_err_t rc = change_check_fields(ch, form != CHANGE_PUSHED, errbuf, errlen);
  if (rc)
    return rc;
  jb_putc(b, '{');
  if (form == CHANGE_PULLED) {
    if (seq < 1 || seq > CODEC_MAX_INT)
      return codec_errf(errbuf, errlen, SYNC_ERR_INVALID_ARG, "seq: must be from 1 to 2^53");
    jb_puts(b, "\"kind\":\"record\",\"seq\":");
    jb_i64(b, seq);
    jb_putc(b, ',');
  }
  /* uuid, hlc and form_id were checked against their patterns: nothing to escape. */
  jb_puts(b, "\"uuid\":\"");
  jb_put(b, ch->uuid, PROTO_UUID_LEN);
  jb_puts(b, "\",\"revision\":");
  jb_i64(b, ch->revision);
  jb_puts(b, ",\"base_revision\":");
  jb_i64(b, ch->base_revision);
  if (ch->base_revision == 0) {
    jb_puts(b, ",\"base_hlc\":null");
  } else {
    jb_puts(b, ",\"base_hlc\":\"");
    jb_put(b, ch->base_hlc, PROTO_HLC_LEN);
    jb_putc(b, '"');
  }
  jb_puts(b, ch->op == PROTO_OP_DELETE ? ",\"op\":\"delete\",\"form_id\":\""
                                       : ",\"op\":\"upsert\",\"form_id\":\"");
  jb_puts(b, ch->form_id);
  jb_puts(b, "\",\"form_version\":");
  jb_i64(b, ch->form_version);
  jb_puts(b, ",\"hlc\":\"");
  jb_put(b, ch->hlc, PROTO_HLC_LEN);
  jb_puts(b, "\",\"status\":\"final\",\"created_at\":");
  jb_i64(b, ch->created_at);
  jb_puts(b, ",\"updated_at\":");
  jb_i64(b, ch->updated_at);
  jb_puts(b, ",\"payload\":");
  if (jb_json(b, ch->payload, payload_depth, &res) != 0) {
    if (b->oom)
      return SYNC_ERR_NOMEM;
    return codec_errf(errbuf, errlen, SYNC_ERR_INVALID_ARG, "payload: invalid JSON at byte %zu: %s",
                      res.err_pos, res.err);
  }
  if ((rc = payload_result(ch, &res, errbuf, errlen)))
    return rc;
  /* Checked above: base64 and hex need no escaping. */
  if (ch->sealed && ch->sealed[0]) {
    jb_puts(b, ",\"sealed\":\"");
    jb_puts(b, ch->sealed);
    jb_putc(b, '"');
  }
  if (ch->dedup[0]) {
    jb_puts(b, ",\"dedup\":\"");
    jb_put(b, ch->dedup, PROTO_DEDUP_LEN);
    jb_putc(b, '"');
  }
  if (ch->device_sig[0]) {
    jb_puts(b, ",\"device_sig\":\"");
    jb_put(b, ch->device_sig, PROTO_SIG_B64_LEN);
    jb_putc(b, '"');
  }
  if (form != CHANGE_PUSHED) {
    jb_puts(b, ",\"origin\":\"central\",\"author\":");
    if (jb_str(b, ch->author) != 0)
      return codec_errf(errbuf, errlen, SYNC_ERR_INVALID_ARG, "author: not valid UTF-8");
  }
  jb_putc(b, '}');
  return b->oom ? SYNC_ERR_NOMEM : SYNC_OK;
}

/* Optional "sealed": base64 text, never on a delete; over the cap is body_too_large. */
static sync_err_t decode_sealed(jctx_t *c, const cJSON *it, proto_change_t *out)
{
  if (!it)
    return SYNC_OK;
  if (out->op == PROTO_OP_DELETE)
    return jfail(c, "sealed", "not allowed on a delete");
  if (!cJSON_IsString(it) || !it->valuestring)
    return jfail(c, "sealed", "expected string");
  size_t n = strnlen(it->valuestring, PROTO_MAX_SEALED + 1);
  if (n > PROTO_MAX_SEALED)
    return jfail_code(c, PROTO_E_BODY_TOO_LARGE, SYNC_ERR_TOO_LARGE, "sealed",
                      "longer than %u characters", (unsigned)PROTO_MAX_SEALED);
  if (!codec_sealed_valid(it->valuestring))
    return jfail(c, "sealed", "not padded standard base64");
  if (!(out->sealed = strdup(it->valuestring)))
    return jfail_code(c, PROTO_E_INTERNAL, SYNC_ERR_NOMEM, "sealed", "out of memory");
  return SYNC_OK;
}

static sync_err_t decode_fields(jctx_t *c, const cJSON **f, change_form_t form, proto_change_t *out,
                                int64_t *seq)
{
  sync_err_t rc;
  int idx;
  int64_t v;
  if (form == CHANGE_PULLED &&
      ((rc = jget_enum(c, f[CK_KIND], "kind", (const char *const[]){"record"}, 1, &idx)) ||
       (rc = jget_int(c, f[CK_SEQ], "seq", 1, CODEC_MAX_INT, seq))))
    return rc;
  if ((rc = jget_str(c, f[CK_UUID], "uuid", proto_uuid_valid, "lower-case uuid", out->uuid,
                     sizeof out->uuid)) ||
      (rc = jget_int(c, f[CK_REVISION], "revision", 1, CODEC_MAX_INT, &out->revision)) ||
      (rc = jget_int(c, f[CK_BASE_REVISION], "base_revision", 0, CODEC_MAX_INT,
                     &out->base_revision)))
    return rc;
  if (out->base_revision >= out->revision)
    return jfail(c, "base_revision", "must be less than revision (%lld)", (long long)out->revision);
  const cJSON *bh = f[CK_BASE_HLC];
  if (!bh)
    return jfail(c, "base_hlc", "missing");
  if (out->base_revision == 0 && !cJSON_IsNull(bh))
    return jfail(c, "base_hlc", "must be null when base_revision is 0");
  if (out->base_revision > 0 &&
      (rc = jget_str(c, bh, "base_hlc", proto_hlc_valid, "valid hlc", out->base_hlc, sizeof out->base_hlc)))
    return rc;
  if ((rc = jget_enum(c, f[CK_OP], "op", op_names, 2, &idx)))
    return rc;
  out->op = idx == 0 ? PROTO_OP_UPSERT : PROTO_OP_DELETE;
  if ((rc = jget_str(c, f[CK_FORM_ID], "form_id", codec_form_id_valid, "form id", out->form_id,
                     sizeof out->form_id)) ||
      (rc = jget_int(c, f[CK_FORM_VERSION], "form_version", 1, INT32_MAX, &v)))
    return rc;
  out->form_version = (int)v;
  if ((rc = jget_str(c, f[CK_HLC], "hlc", proto_hlc_valid, "valid hlc", out->hlc, sizeof out->hlc)) ||
      (rc = jget_enum(c, f[CK_STATUS], "status", (const char *const[]){"final"}, 1, &idx)) ||
      (rc = jget_int(c, f[CK_CREATED_AT], "created_at", 0, CODEC_MAX_MS, &out->created_at)) ||
      (rc = jget_int(c, f[CK_UPDATED_AT], "updated_at", 0, CODEC_MAX_MS, &out->updated_at)))
    return rc;
  if ((rc = jget_payload(c, f[CK_PAYLOAD], "payload", out->op == PROTO_OP_DELETE, &out->payload)) ||
      (rc = decode_sealed(c, f[CK_SEALED], out)))
    return rc;
  if (f[CK_DEDUP] && (rc = jget_str(c, f[CK_DEDUP], "dedup", proto_sha256_valid,
                                    "64-digit lower-case hex hash", out->dedup, sizeof out->dedup)))
    return rc;
  if (f[CK_DEVICE_SIG]) {
    if (form != CHANGE_PUSHED || !out->sealed)
      return jfail(c, "device_sig", "only on a pushed change that carries sealed");
    if ((rc = jget_str(c, f[CK_DEVICE_SIG], "device_sig", codec_signature_valid,
                       "base64 Ed25519 signature", out->device_sig, sizeof out->device_sig)))
      return rc;
  }
  out->origin = PROTO_ORIGIN_DEVICE;
  if (form == CHANGE_PUSHED)
    return SYNC_OK;
  out->origin = PROTO_ORIGIN_CENTRAL;
  if ((rc = jget_enum(c, f[CK_ORIGIN], "origin", (const char *const[]){"central"}, 1, &idx)))
    return rc;
  return jget_strdup(c, f[CK_AUTHOR], "author", 1, CODEC_MAX_AUTHOR_CHARS, &out->author);
}

sync_err_t change_decode(jctx_t *c, const cJSON *obj, const char *key, change_form_t form,
                         proto_change_t *out, int64_t *seq)
{
  const cJSON *f[CK_N] = {0};
  memset(out, 0, sizeof *out);
  sync_err_t rc = jfields(c, obj, key, change_keys, (size_t)form, f);
  if (rc)
    return rc;
  size_t mark = key ? jpath_key(c, key) : c->plen;
  rc = decode_fields(c, f, form, out, seq);
  jpath_pop(c, mark);
  return rc;
}

void change_clear(proto_change_t *ch)
{
  free(ch->payload);
  free(ch->sealed);
  free(ch->author);
  ch->payload = NULL;
  ch->sealed = NULL;
  ch->author = NULL;
}
