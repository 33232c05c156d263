/* POST /v1/enroll (SECURITY.md 2, enroll-request / enroll-response schemas): the request a device
 * sends with a one-time code, the credential the server answers with, and the normalisation of a
 * code as typed. */
#include "codec_internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* ^[A-Za-z0-9 -]{1,32}$: the code as typed; normalising it is the server's job. */
static int typed_code_valid(const char *s)
{
  size_t n = s ? strnlen(s, PROTO_ENROLL_CODE_MAX + 1) : 0;
  if (n < 1 || n > PROTO_ENROLL_CODE_MAX)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == ' ' ||
          c == '-'))
      return 0;
  }
  return 1;
}

static int text_ok(const char *s)
{
  size_t n = utf8_chars(s ? s : "");
  return n != SIZE_MAX && n <= CODEC_MAX_NAME_CHARS;
}

sync_err_t proto_enroll_code_normalise(const char *typed, char out[13])
{
  size_t n = 0;
  if (out)
    out[0] = '\0';
  if (!typed || !out)
    return SYNC_ERR_INVALID_ARG;
  for (const char *p = typed; *p; p++) {
    char c = *p;
    if (c == '-' || c == ' ')
      continue;
    if (c >= 'a' && c <= 'z')
      c = (char)(c - 'a' + 'A');
    if (c == 'O')
      c = '0';
    else if (c == 'I' || c == 'L')
      c = '1';
    /* Crockford's alphabet: digits and letters without I, L, O (mapped above) and U. */
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z' && c != 'U')) || n == 12) {
      out[0] = '\0';
      return SYNC_ERR_INVALID_ARG;
    }
    out[n++] = c;
  }
  out[n] = '\0';
  if (n != 12) {
    out[0] = '\0';
    return SYNC_ERR_INVALID_ARG;
  }
  return SYNC_OK;
}

/* ---- request ---------------------------------------------------------------------------------- */

sync_err_t proto_enroll_req_encode(const proto_enroll_req_t *req, char **out_json, size_t *out_len)
{
  jbuf_t b = {0};
  if (out_json)
    *out_json = NULL;
  if (!req || !out_json || (req->protocol != 0 && req->protocol != PROTO_VERSION) ||
      !typed_code_valid(req->code) || !proto_uuid_valid(req->device_id) ||
      (req->signing_key[0] && !codec_key_valid(req->signing_key)))
    return SYNC_ERR_INVALID_ARG;
  jb_puts(&b, "{" CODEC_PROTOCOL_MEMBER ",\"code\":");
  jb_str(&b, req->code);
  jb_key(&b, "device_id", 0);
  jb_str(&b, req->device_id);
  if (req->signing_key[0]) {
    jb_key(&b, "signing_key", 0);
    jb_str(&b, req->signing_key);
  }
  jb_putc(&b, '}');
  return jb_finish(&b, out_json, out_len);
}

static sync_err_t req_fields(jctx_t *c, const cJSON **f, void *msg)
{
  proto_enroll_req_t *req = msg;
  sync_err_t rc = jget_str(c, f[1], "code", typed_code_valid,
                           "code of 1..32 letters, digits, '-', ' '", req->code, sizeof req->code);
  if (rc || (rc = jget_str(c, f[2], "device_id", proto_uuid_valid, "lower-case uuid",
                           req->device_id, sizeof req->device_id)))
    return rc;
  /* Optional: a device that signs its sealed changes (SECURITY.md 4) sends its public key. */
  return f[3] ? jget_str(c, f[3], "signing_key", codec_key_valid, "base64 Ed25519 public key",
                         req->signing_key, sizeof req->signing_key)
              : SYNC_OK;
}

static void req_release(void *msg)
{
  proto_enroll_req_free(msg);
}

sync_err_t proto_enroll_req_decode(const char *json, size_t len, proto_enroll_req_t **out,
                                   proto_diag_t *diag)
{
  static const char *const keys[] = {"protocol", "code", "device_id", "signing_key"};
  static const jmessage_t m = {keys, 4, sizeof(proto_enroll_req_t),
                               offsetof(proto_enroll_req_t, protocol), req_fields, req_release};
  void *msg;
  sync_err_t rc = jdecode_message(&m, json, len, out != NULL, diag, &msg);
  if (out)
    *out = msg;
  return rc;
}

void proto_enroll_req_free(proto_enroll_req_t *req)
{
  free(req);
}

/* ---- response --------------------------------------------------------------------------------- */

sync_err_t proto_enroll_resp_encode(const proto_enroll_resp_t *resp, char **out_json, size_t *out_len)
{
  jbuf_t b = {0};
  if (out_json)
    *out_json = NULL;
  if (!resp || !out_json || (resp->protocol != 0 && resp->protocol != PROTO_VERSION) ||
      !proto_uuid_valid(resp->device_id) || !codec_secret_valid(resp->secret) ||
      !text_ok(resp->name) || !text_ok(resp->unit) || !proto_uuid_valid(resp->server_id) ||
      !codec_key_valid(resp->receipt_key) || resp->credential_expires_at < 0 ||
      resp->credential_expires_at > CODEC_MAX_MS || resp->server_time < 0 ||
      resp->server_time > CODEC_MAX_MS)
    return SYNC_ERR_INVALID_ARG;
  jb_puts(&b, "{" CODEC_PROTOCOL_MEMBER ",\"device_id\":");
  jb_str(&b, resp->device_id);
  jb_key(&b, "secret", 0);
  jb_str(&b, resp->secret);
  jb_key(&b, "name", 0);
  jb_str(&b, resp->name ? resp->name : "");
  jb_key(&b, "unit", 0);
  jb_str(&b, resp->unit ? resp->unit : "");
  jb_key(&b, "server_id", 0);
  jb_str(&b, resp->server_id);
  jb_key(&b, "receipt_key", 0);
  jb_str(&b, resp->receipt_key);
  jb_key(&b, "credential_expires_at", 0);
  jb_i64(&b, resp->credential_expires_at);
  jb_key(&b, "server_time", 0);
  jb_i64(&b, resp->server_time);
  jb_putc(&b, '}');
  return jb_finish(&b, out_json, out_len);
}

static sync_err_t resp_fields(jctx_t *c, const cJSON **f, void *msg)
{
  proto_enroll_resp_t *r = msg;
  sync_err_t rc;
  if ((rc = jget_str(c, f[1], "device_id", proto_uuid_valid, "lower-case uuid", r->device_id,
                     sizeof r->device_id)) ||
      (rc = jget_str(c, f[2], "secret", codec_secret_valid, "base64url secret (43 characters)",
                     r->secret, sizeof r->secret)) ||
      (rc = jget_strdup(c, f[3], "name", 0, CODEC_MAX_NAME_CHARS, &r->name)) ||
      (rc = jget_strdup(c, f[4], "unit", 0, CODEC_MAX_NAME_CHARS, &r->unit)) ||
      (rc = jget_str(c, f[5], "server_id", proto_uuid_valid, "lower-case uuid", r->server_id,
                     sizeof r->server_id)) ||
      (rc = jget_str(c, f[6], "receipt_key", codec_key_valid, "base64 Ed25519 public key",
                     r->receipt_key, sizeof r->receipt_key)) ||
      (rc = jget_int(c, f[7], "credential_expires_at", 0, CODEC_MAX_MS,
                     &r->credential_expires_at)))
    return rc;
  return jget_int(c, f[8], "server_time", 0, CODEC_MAX_MS, &r->server_time);
}

static void resp_release(void *msg)
{
  proto_enroll_resp_free(msg);
}

sync_err_t proto_enroll_resp_decode(const char *json, size_t len, proto_enroll_resp_t **out,
                                    proto_diag_t *diag)
{
  static const char *const keys[] = {"protocol", "device_id", "secret", "name", "unit",
                                     "server_id", "receipt_key", "credential_expires_at",
                                     "server_time"};
  static const jmessage_t m = {keys, 9, sizeof(proto_enroll_resp_t),
                               offsetof(proto_enroll_resp_t, protocol), resp_fields, resp_release};
  void *msg;
  sync_err_t rc = jdecode_message(&m, json, len, out != NULL, diag, &msg);
  if (out)
    *out = msg;
  return rc;
}

void proto_enroll_resp_free(proto_enroll_resp_t *resp)
{
  if (!resp)
    return;
  free(resp->name);
  free(resp->unit);
  sodium_memzero(resp->secret, sizeof resp->secret); /* the device credential */
  free(resp);
}
