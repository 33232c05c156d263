/* The enrollment the sync engine works with (engine_internal.h, SECURITY.md 2 and 7): the device
 * credential, the server's identity and its receipt-signing key, all read from the store where
 * sync_enroll() put them, and the check of every receipt's signature. */
#include "engine_internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sync_err_t not_enrolled(char *errbuf, size_t errlen, const char *why)
{
  if (errbuf && errlen)
    snprintf(errbuf, errlen, "this store is not enrolled with a server (%s): enrol it first "
             "with an enrollment code (sync_enroll, 'syncctl enroll')", why);
  return SYNC_ERR_NOT_ENROLLED;
}

/* A plain sync_state value; NOT_FOUND when absent or empty. */
static sync_err_t state(sync_store_t *s, const char *key, char *buf, size_t len)
{
  sync_err_t err = store_state_get(s, key, buf, len);
  return err == SYNC_OK && !buf[0] ? SYNC_ERR_NOT_FOUND : err;
}

sync_err_t engine_load_credential(sync_engine_t *e, char **server_url, char *errbuf, size_t errlen)
{
  char id[PROTO_UUID_LEN + 2], secret[PROTO_SECRET_LEN + 2], key[PROTO_KEY_B64_LEN + 2];
  char url[1024], auth[128];
  sync_err_t err;
  *server_url = NULL;
  if ((err = state(e->store, STATE_DEVICE_ID, id, sizeof id)) != SYNC_OK ||
      (err = store_state_get_secret(e->store, STATE_SECRET, secret, sizeof secret)) != SYNC_OK ||
      (err = state(e->store, STATE_SERVER_ID, e->server_id, sizeof e->server_id)) != SYNC_OK ||
      (err = state(e->store, STATE_RECEIPT_KEY, key, sizeof key)) != SYNC_OK ||
      (err = state(e->store, STATE_SERVER_URL, url, sizeof url)) != SYNC_OK) {
    sodium_memzero(secret, sizeof secret);
    if (err != SYNC_ERR_NOT_FOUND) {
      if (errbuf && errlen)
        snprintf(errbuf, errlen, "cannot read the enrollment: %s", sync_store_errmsg(e->store));
      return err;
    }
    return not_enrolled(errbuf, errlen, "no credential");
  }
  /* The credential is bound to this store's device: one copied from another store is refused. */
  if (strcmp(id, sync_store_device_id(e->store)) != 0) {
    sodium_memzero(secret, sizeof secret);
    return not_enrolled(errbuf, errlen, "the credential belongs to another device");
  }
  size_t klen = 0;
  if (sodium_base642bin(e->receipt_key, sizeof e->receipt_key, key, strlen(key), NULL, &klen, NULL,
                        sodium_base64_VARIANT_ORIGINAL) != 0 || klen != sizeof e->receipt_key) {
    sodium_memzero(secret, sizeof secret);
    return not_enrolled(errbuf, errlen, "the stored receipt key is not an Ed25519 public key");
  }
  err = proto_auth_format(id, secret, auth, sizeof auth);
  sodium_memzero(secret, sizeof secret);
  if (err != SYNC_OK) {
    sodium_memzero(auth, sizeof auth);
    return not_enrolled(errbuf, errlen, "the stored credential is malformed");
  }
  memcpy(e->device_id, id, sizeof e->device_id); /* equal to the store's: PROTO_UUID_LEN + NUL */
  snprintf(e->auth_header, sizeof e->auth_header, "Authorization: %s", auth);
  sodium_memzero(auth, sizeof auth);
  if (!(*server_url = strdup(url)))
    return SYNC_ERR_NOMEM;
  return SYNC_OK;
}

int engine_receipt_signed(const sync_engine_t *e, const proto_receipt_t *r, const char *hlc)
{
  char text[512];
  unsigned char sig[crypto_sign_BYTES];
  size_t slen = 0;
  if (!r->signature[0] ||
      sodium_base642bin(sig, sizeof sig, r->signature, strlen(r->signature), NULL, &slen, NULL,
                        sodium_base64_VARIANT_ORIGINAL) != 0 || slen != sizeof sig)
    return 0;
  if (proto_receipt_signed_text(e->server_id, e->device_id, r->uuid, r->revision, hlc,
                                r->server_seq, r->received_at, text, sizeof text) != SYNC_OK)
    return 0;
  return crypto_sign_verify_detached(sig, (const unsigned char *)text, strlen(text),
                                     e->receipt_key) == 0;
}
