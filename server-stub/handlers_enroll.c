/* POST /v1/enroll (SECURITY.md 2): a one-time code for the device's own credential. No
 * Authorization; a refused code is a failed authentication (logged, audited, rate-limited) and
 * never says whether it was unknown, used, expired or made for another device. A code creates a
 * new device or re-keys the one device it was made for; the device_id in the request chooses
 * nothing else. The device's signing public key, when sent, is stored with a certificate by the
 * receipt key (SECURITY.md 4). */
#include "device_sig.h"
#include "srv_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static void refuse(srv_t *s, const srv_request_t *req, const char *device_id, const char *why,
                   srv_response_t *r)
{
  db_conn_t *c = db_pool_acquire(s->pool);
  if (c) {
    auth_failure(s, c, req, device_id, why, 1);
    db_pool_release(s->pool, c);
  }
  resp_error(r, PROTO_E_INVALID_ENROLLMENT_CODE, NULL, NULL);
}

void handle_enroll(srv_t *s, const srv_request_t *req, const char *json, size_t len,
                   srv_response_t *r)
{
  proto_enroll_req_t *er = NULL;
  proto_diag_t diag;
  memset(&diag, 0, sizeof diag);
  sync_err_t e = proto_enroll_req_decode(json, len, &er, &diag);
  if (e != SYNC_OK) {
    resp_decode_error(r, e, &diag);
    return;
  }
  snprintf(r->device_id, sizeof r->device_id, "%s", er->device_id);
  char code[13];
  if (proto_enroll_code_normalise(er->code, code) != SYNC_OK) {
    refuse(s, req, er->device_id, "malformed enrollment code", r);
    proto_enroll_req_free(er);
    return;
  }
  unsigned char code_hash[32], secret_hash[32];
  crypto_hash_sha256(code_hash, (const unsigned char *)code, strlen(code));
  sodium_memzero(code, sizeof code);

  proto_enroll_resp_t out;
  memset(&out, 0, sizeof out);
  db_enrolled_t got;
  db_device_t *dev = &got.device;
  db_conn_t *c = NULL;
  if (auth_new_secret(out.secret, secret_hash) != 0) {
    resp_error(r, PROTO_E_INTERNAL, NULL, NULL);
    goto done;
  }
  if (!(c = db_pool_acquire(s->pool))) {
    resp_db_error(r, SYNC_ERR_DB, "no database connection");
    goto done;
  }
  int64_t now = db_now_ms();
  db_enroll_key_t key;
  memset(&key, 0, sizeof key);
  if (er->signing_key[0]) {
    snprintf(key.signing_key, sizeof key.signing_key, "%s", er->signing_key);
    if (devsig_cert_sign(s->keys.receipt_sk, er->device_id, key.signing_key, now, key.cert) !=
        SYNC_OK) {
      resp_error(r, PROTO_E_INTERNAL, NULL, NULL);
      goto done;
    }
  }
  e = db_enroll_use(c, code_hash, er->device_id, secret_hash, er->signing_key[0] ? &key : NULL,
                    req->addr, now, &got);
  if (e == SYNC_ERR_AUTH || e == SYNC_ERR_STATE) {
    db_pool_release(s->pool, c);
    c = NULL;
    refuse(s, req, er->device_id, e == SYNC_ERR_AUTH ? "unknown, used or expired enrollment code"
                                  : "enrollment code not made for this device", r);
    goto done;
  }
  if (e != SYNC_OK) {
    resp_db_error(r, e, db_errmsg(c));
    goto done;
  }
  out.protocol = PROTO_VERSION;
  snprintf(out.device_id, sizeof out.device_id, "%s", dev->device_id);
  out.name = dev->name;
  out.unit = dev->unit;
  snprintf(out.server_id, sizeof out.server_id, "%s", s->server_id);
  snprintf(out.receipt_key, sizeof out.receipt_key, "%s", s->keys.receipt_pk);
  out.credential_expires_at = dev->credential_expires_at;
  out.server_time = now;
  char *body = NULL;
  size_t body_len = 0;
  if (proto_enroll_resp_encode(&out, &body, &body_len) != SYNC_OK)
    body = NULL;
  resp_json(r, 200, body, body_len);
  char q1[80], q2[600];
  char who[2 * DB_NAME_MAX + 4];
  snprintf(who, sizeof who, "%s%s%s", dev->name, dev->unit[0] ? " / " : "", dev->unit);
  char q3[2 * DB_BY_MAX + 8];
  log_event(LOG_INFO, got.rekeyed ? "rekeyed" : "enrolled", "addr=%s device=%s name=%s by=%s",
            log_quote(req->addr ? req->addr : "-", q1, sizeof q1), dev->device_id,
            log_quote(who, q2, sizeof q2), log_quote(got.created_by, q3, sizeof q3));
done:
  if (c)
    db_pool_release(s->pool, c);
  sodium_memzero(out.secret, sizeof out.secret);
  proto_enroll_req_free(er);
}
