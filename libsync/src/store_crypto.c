/* Encrypted values of the store (store_crypto.h): XChaCha20-Poly1305 under the data key, with
 * associated data that binds each value to its row. */
#include "store_crypto.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES

void store_value_ad(char ad[STORE_AD_MAX], const char *column, const char *uuid, const char *place)
{
  snprintf(ad, STORE_AD_MAX, "%s:%s:%s", column, uuid, place);
}

void store_value_ad_int(char ad[STORE_AD_MAX], const char *column, const char *uuid, int64_t place)
{
  snprintf(ad, STORE_AD_MAX, "%s:%s:%" PRId64, column, uuid, place);
}

void store_value_ad_state(char ad[STORE_AD_MAX], const char *key)
{
  snprintf(ad, STORE_AD_MAX, "sync_state:%s", key);
}

sync_err_t store_value_encrypt(const sync_store_t *s, const char *ad, const char *text, size_t len,
                               unsigned char **blob, size_t *blob_len)
{
  assert(s->dek);
  size_t n = len + STORE_VALUE_OVERHEAD;
  unsigned char *b = malloc(n);
  *blob = NULL;
  if (!b)
    return SYNC_ERR_NOMEM;
  b[0] = STORE_VALUE_VERSION;
  randombytes_buf(b + 1, NONCE_LEN);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(b + 1 + NONCE_LEN, &clen, (const unsigned char *)text,
                                             len, (const unsigned char *)ad, strlen(ad), NULL,
                                             b + 1, s->dek);
  assert(clen == len + TAG_LEN);
  *blob = b;
  *blob_len = n;
  return SYNC_OK;
}

sync_err_t store_value_decrypt(const sync_store_t *s, const char *ad, const void *blob,
                               size_t blob_len, char **text, size_t *len)
{
  assert(s->dek);
  const unsigned char *b = blob;
  *text = NULL;
  if (!b || blob_len < STORE_VALUE_OVERHEAD || b[0] != STORE_VALUE_VERSION)
    return SYNC_ERR_CRYPTO;
  size_t n = blob_len - STORE_VALUE_OVERHEAD;
  char *t = malloc(n + 1);
  if (!t)
    return SYNC_ERR_NOMEM;
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)t, &mlen, NULL, b + 1 + NONCE_LEN,
                                                 blob_len - 1 - NONCE_LEN, (const unsigned char *)ad,
                                                 strlen(ad), b + 1, s->dek) != 0) {
    free(t);
    return SYNC_ERR_CRYPTO;
  }
  t[mlen] = '\0';
  *text = t;
  if (len)
    *len = (size_t)mlen;
  return SYNC_OK;
}

sync_err_t store_value_bind(sync_store_t *s, sqlite3_stmt *st, int idx, const char *ad,
                            const char *text, size_t len)
{
  unsigned char *blob;
  size_t blob_len;
  if (len == (size_t)-1)
    len = strlen(text);
  if (store_value_encrypt(s, ad, text, len, &blob, &blob_len) != SYNC_OK)
    return store_fail(s, SYNC_ERR_NOMEM, "out of memory encrypting the answers");
  /* SQLite frees the blob when done with it, also when binding fails. */
  int rc = sqlite3_bind_blob64(st, idx, blob, blob_len, free);
  return rc == SQLITE_OK ? SYNC_OK : store_fail_sqlite(s, rc, "cannot bind an encrypted value");
}

sync_err_t store_value_column(sync_store_t *s, sqlite3_stmt *st, int col, const char *ad,
                              const char *uuid, const char *what, char **text, size_t *len)
{
  *text = NULL;
  /* A value stored in clear (TEXT) is refused like a forged one: v3 stores hold only BLOBs. */
  if (sqlite3_column_type(st, col) != SQLITE_BLOB)
    return store_fail(s, SYNC_ERR_CORRUPT, "record %s: the stored %s are not encrypted (store damaged "
                      "or altered)", uuid, what);
  const void *blob = sqlite3_column_blob(st, col);
  size_t n = (size_t)sqlite3_column_bytes(st, col);
  sync_err_t err = store_value_decrypt(s, ad, blob, n, text, len);
  if (err == SYNC_ERR_NOMEM)
    return store_fail(s, err, "out of memory decrypting record %s", uuid);
  if (err)
    return store_fail(s, SYNC_ERR_CORRUPT, "record %s: the stored %s fail authentication (altered, "
                      "moved from another row, or damaged)", uuid, what);
  return SYNC_OK;
}

sync_err_t store_value_bind_opt(sync_store_t *s, sqlite3_stmt *st, int idx, const char *ad,
                                const char *text)
{
  if (!text || !*text) {
    int rc = sqlite3_bind_null(st, idx);
    return rc == SQLITE_OK ? SYNC_OK : store_fail_sqlite(s, rc, "cannot bind an encrypted value");
  }
  return store_value_bind(s, st, idx, ad, text, (size_t)-1);
}

sync_err_t store_value_column_opt(sync_store_t *s, sqlite3_stmt *st, int col, const char *ad,
                                  const char *uuid, const char *what, char *buf, size_t len)
{
  buf[0] = '\0';
  if (sqlite3_column_type(st, col) == SQLITE_NULL)
    return SYNC_OK;
  char *text = NULL;
  size_t n = 0;
  sync_err_t err = store_value_column(s, st, col, ad, uuid, what, &text, &n);
  if (err)
    return err;
  if (n < len)
    memcpy(buf, text, n + 1);
  else
    err = store_fail(s, SYNC_ERR_CORRUPT, "record %s: the stored %s are too long (store damaged)",
                     uuid, what);
  sodium_memzero(text, n);
  free(text);
  return err;
}

/* Updating a row the select has passed is safe in SQLite (cursors re-seek by rowid, which the
 * update does not change), and an encrypted row no longer matches the select. */
sync_err_t store_value_encrypt_in_place(sync_store_t *s, const store_clear_column_t *c)
{
  sqlite3_stmt *sel = NULL, *upd = NULL;
  int rc = sqlite3_prepare_v2(s->db, c->select, -1, &sel, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(s->db, c->update, -1, &upd, NULL);
  sync_err_t err = SYNC_OK;
  if (rc != SQLITE_OK) {
    err = store_fail_sqlite(s, rc, "cannot encrypt the store");
    goto done;
  }
  while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
    char ad[STORE_AD_MAX];
    const char *uuid = (const char *)sqlite3_column_text(sel, 1);
    const char *place = (const char *)sqlite3_column_text(sel, 2);
    if (c->column)
      store_value_ad(ad, c->column, uuid ? uuid : "", place ? place : "");
    else
      store_value_ad_state(ad, place ? place : "");
    const char *text = (const char *)sqlite3_column_text(sel, 3);
    sqlite3_bind_int64(upd, 1, sqlite3_column_int64(sel, 0));
    if ((err = store_value_bind(s, upd, 2, ad, text, (size_t)sqlite3_column_bytes(sel, 3))) != SYNC_OK)
      goto done;
    if ((rc = store_step_done(upd)) != SQLITE_DONE) {
      err = store_fail_sqlite(s, rc, "cannot encrypt the store");
      goto done;
    }
  }
  if (rc != SQLITE_DONE)
    err = store_fail_sqlite(s, rc, "cannot encrypt the store");
done:
  sqlite3_finalize(sel);
  sqlite3_finalize(upd);
  return err;
}
