/* The server's own keys in meta (db.h, SECURITY.md 1): the Ed25519 pair that signs receipts and
 * the duplicate-detection key copied into forms that declare duplicate_key. Made once, when the
 * schema reaches version 3 (`init`, or the first open of an older database by `serve`). */
#include "db_internal.h"

#include <sodium.h>
#include <string.h>

#define B64_64 89   /* base64 of 64 bytes, with NUL */

static void b64(char *out, size_t outlen, const unsigned char *bin, size_t n)
{
  sodium_bin2base64(out, outlen, bin, n, sodium_base64_VARIANT_ORIGINAL);
}

sync_err_t db_keys_create(db_conn_t *c)
{
  char have[B64_64];
  if (db_meta_get(c, "receipt_secret_key", have, sizeof have) == SYNC_OK)
    return SYNC_OK;
  if (sodium_init() < 0)
    return SYNC_ERR_CRYPTO;
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES], dk[32];
  char pk64[PROTO_KEY_B64_LEN + 1], sk64[B64_64], dk64[PROTO_KEY_B64_LEN + 1];
  crypto_sign_keypair(pk, sk);
  randombytes_buf(dk, sizeof dk);
  b64(pk64, sizeof pk64, pk, sizeof pk);
  b64(sk64, sizeof sk64, sk, sizeof sk);
  b64(dk64, sizeof dk64, dk, sizeof dk);
  sync_err_t e = db_meta_set(c, "receipt_public_key", pk64);
  if (e == SYNC_OK)
    e = db_meta_set(c, "receipt_secret_key", sk64);
  if (e == SYNC_OK)
    e = db_meta_set(c, "dedup_key", dk64);
  sodium_memzero(sk, sizeof sk);
  sodium_memzero(sk64, sizeof sk64);
  sodium_memzero(dk, sizeof dk);
  return e;
}

static int unb64(const char *text, unsigned char *bin, size_t n)
{
  size_t got = 0;
  return sodium_base642bin(bin, n, text, strlen(text), NULL, &got, NULL,
                           sodium_base64_VARIANT_ORIGINAL) == 0 && got == n ? 0 : -1;
}

sync_err_t db_keys_get(db_conn_t *c, db_keys_t *out)
{
  memset(out, 0, sizeof *out);
  char sk64[B64_64];
  sync_err_t e;
  if ((e = db_meta_get(c, "receipt_secret_key", sk64, sizeof sk64)) != SYNC_OK ||
      (e = db_meta_get(c, "receipt_public_key", out->receipt_pk, sizeof out->receipt_pk)) ||
      (e = db_meta_get(c, "dedup_key", out->dedup_key_b64, sizeof out->dedup_key_b64)))
    goto done;
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], derived[crypto_sign_PUBLICKEYBYTES];
  /* The public key must be the secret key's own: a mismatch would sign what no one can check. */
  if (unb64(sk64, out->receipt_sk, sizeof out->receipt_sk) != 0 ||
      unb64(out->receipt_pk, pk, sizeof pk) != 0 ||
      unb64(out->dedup_key_b64, out->dedup_key, sizeof out->dedup_key) != 0 ||
      crypto_sign_ed25519_sk_to_pk(derived, out->receipt_sk) != 0 ||
      sodium_memcmp(pk, derived, sizeof pk) != 0)
    e = SYNC_ERR_CORRUPT;
done:
  sodium_memzero(sk64, sizeof sk64);
  if (e != SYNC_OK)
    db_keys_wipe(out);
  return e == SYNC_ERR_NOT_FOUND ? SYNC_ERR_CORRUPT : e;
}

void db_keys_wipe(db_keys_t *k)
{
  sodium_memzero(k, sizeof *k);
}
