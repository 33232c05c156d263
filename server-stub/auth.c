/* Device credentials (PROTOCOL.md 1.4, SECURITY.md 2): "Authorization: Device <id>:<secret>",
 * the server keeping only SHA-256(secret) and comparing in constant time; revoked and expired
 * credentials; failed attempts logged, audited and rate-limited per client address and network. */
#include "srv_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "errors.h"
#include "log.h"

int auth_new_secret(char secret[PROTO_SECRET_LEN + 1], unsigned char sha256[32])
{
  unsigned char raw[32];
  if (sodium_init() < 0)
    return -1;
  randombytes_buf(raw, sizeof raw);
  sodium_bin2base64(secret, PROTO_SECRET_LEN + 1, raw, sizeof raw,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw, sizeof raw);
  auth_hash_secret(secret, sha256);
  return strlen(secret) == PROTO_SECRET_LEN ? 0 : -1;
}

void auth_hash_secret(const char *secret, unsigned char sha256[32])
{
  crypto_hash_sha256(sha256, (const unsigned char *)secret, strlen(secret));
}

auth_result_t auth_check(db_conn_t *c, const char *header, int64_t now, db_device_t *dev,
                         char *why, size_t whylen)
{
  char device_id[PROTO_UUID_LEN + 1] = "", secret[PROTO_SECRET_LEN + 1] = "";
  memset(dev, 0, sizeof *dev);
  if (!header) {
    snprintf(why, whylen, "no Authorization header");
    return AUTH_UNAUTHORIZED;
  }
  if (proto_auth_parse(header, device_id, secret) != SYNC_OK) {
    snprintf(why, whylen, "malformed Authorization header");
    return AUTH_UNAUTHORIZED;
  }
  unsigned char given[32];
  auth_hash_secret(secret, given);
  sodium_memzero(secret, sizeof secret);

  sync_err_t e = db_device_get(c, device_id, dev);
  if (e != SYNC_OK && e != SYNC_ERR_NOT_FOUND) {
    snprintf(why, whylen, "database: %s", db_errmsg(c));
    return AUTH_FAILED;
  }
  /* Compare even for an unknown device, so both paths take the same time. */
  static const unsigned char nothing[32];
  int match = sodium_memcmp(given, e == SYNC_OK ? dev->secret_sha256 : nothing, 32) == 0;
  if (e == SYNC_ERR_NOT_FOUND) {
    snprintf(why, whylen, "unknown device %s", device_id);
    memset(dev, 0, sizeof *dev);
    snprintf(dev->device_id, sizeof dev->device_id, "%s", device_id);
    return AUTH_UNAUTHORIZED;
  }
  if (!match) {
    snprintf(why, whylen, "wrong secret for device %s", device_id);
    return AUTH_UNAUTHORIZED;
  }
  if (dev->revoked) {
    snprintf(why, whylen, "device %s is revoked", device_id);
    return AUTH_REVOKED;
  }
  if (dev->credential_expires_at > 0 && now >= dev->credential_expires_at) {
    snprintf(why, whylen, "credential of device %s expired", device_id);
    return AUTH_EXPIRED;
  }
  return AUTH_OK;
}

static const char *scope_text(ratelimit_scope_t scope)
{
  switch (scope) {
  case RATELIMIT_ADDR: return "address";
  case RATELIMIT_PREFIX: return "network";
  case RATELIMIT_OVERFLOW: return "overflow";
  default: return "";
  }
}

void auth_failure(srv_t *s, db_conn_t *c, const srv_request_t *req, const char *device_id,
                  const char *reason, int counted)
{
  const char *addr = req->addr ? req->addr : "-";
  int64_t now = db_now_ms();
  ratelimit_count_t n = {0};
  if (counted)
    ratelimit_fail(s->auth_limit, addr, now, &n);
  /* The device id and the path are the client's words (the id is not verified here): quoted. */
  char q1[80], q2[200], q3[80], q4[280];
  log_event(LOG_WARN, "auth_failure",
            "addr=%s device=%s path=%s reason=%s failures=%d network_failures=%d",
            log_quote(addr, q1, sizeof q1),
            log_quote(device_id && *device_id ? device_id : "-", q3, sizeof q3),
            log_quote(req->path ? req->path : "-", q4, sizeof q4), log_quote(reason, q2, sizeof q2),
            n.addr, n.prefix);
  /* The audit write is best effort: a locked database must not turn a 401 into a 500. */
  db_security_event(c, "auth_failure", addr, device_id, reason, now);
  if (n.blocked != RATELIMIT_NONE) {
    char why[128];
    if (n.blocked == RATELIMIT_OVERFLOW)
      snprintf(why, sizeof why, "failure table full: %d failed authentications from networks"
               " without an entry within 10 minutes", n.overflow);
    else
      snprintf(why, sizeof why, "%d failed authentications from this %s within 10 minutes",
               n.blocked == RATELIMIT_ADDR ? n.addr : n.prefix, scope_text(n.blocked));
    log_event(LOG_WARN, "rate_limited", "addr=%s scope=%s failures=%d", q1,
              scope_text(n.blocked), n.blocked == RATELIMIT_ADDR ? n.addr
                                     : n.blocked == RATELIMIT_PREFIX ? n.prefix : n.overflow);
    db_security_event(c, "rate_limited", addr, device_id, why, now);
  }
}

int auth_rate_limited(srv_t *s, const srv_request_t *req, srv_response_t *r)
{
  int wait = ratelimit_blocked(s->auth_limit, req->addr ? req->addr : "-", db_now_ms());
  if (!wait)
    return 0;
  resp_retry(r, PROTO_E_RATE_LIMITED, wait);
  snprintf(r->detail, sizeof r->detail, "too many failed authentications from this network");
  return 1;
}
