/* Device credentials (PROTOCOL.md 1.4): "Authorization: Device <device_id>:<secret>", the server
 * keeping only SHA-256(secret) and comparing in constant time. */
#include "srv_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

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

auth_result_t auth_check(db_conn_t *c, const char *header, db_device_t *dev, char *why,
                         size_t whylen)
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
  return AUTH_OK;
}
