/* The store's data key (store_crypto.h, proto/SECURITY.md 5): made at creation, wrapped under a
 * key derived from the passphrase (Argon2id13), unwrapped at every open, re-wrapped by
 * sync_store_change_passphrase(). The test cost (SYNC_KDF_TEST) only where the environment allows
 * it (sync_store_test_kdf_allowed); a key found wrapped at less than the interactive cost is
 * re-wrapped at the interactive cost when the test cost is not allowed. */
#include "store_crypto.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SALT_LEN crypto_pwhash_SALTBYTES
#define WRAP_NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define WRAPPED_LEN (WRAP_NONCE_LEN + STORE_DEK_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES)
#define KDF_PREFIX "argon2id13:"
/* A file can ask for any cost; refuse costs no legitimate store has, so a crafted file cannot make
 * an open allocate gigabytes. */
#define KDF_MAX_OPS 16ULL
#define KDF_MAX_MEM ((size_t)1 << 30)
#define KDF_TEXT_MAX 160
#define WRAPPED_TEXT_MAX 160

int sync_store_test_kdf_allowed(void)
{
  const char *v = getenv(SYNC_ALLOW_TEST_KDF_ENV);
  return v && strcmp(v, "1") == 0;
}

static int kdf_params(sync_kdf_strength_t kdf, unsigned long long *ops, size_t *mem)
{
  switch (kdf) {
  case SYNC_KDF_INTERACTIVE:
    *ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    *mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    return 0;
  case SYNC_KDF_MODERATE:
    *ops = crypto_pwhash_OPSLIMIT_MODERATE;
    *mem = crypto_pwhash_MEMLIMIT_MODERATE;
    return 0;
  case SYNC_KDF_TEST:
    *ops = crypto_pwhash_OPSLIMIT_MIN;
    *mem = crypto_pwhash_MEMLIMIT_MIN;
    return 0;
  }
  return -1;
}

/* The cost of `kdf` into *ops and *mem, or SYNC_ERR_INVALID_ARG (errmsg set): an unknown strength,
 * or the test cost where it is not allowed. */
static sync_err_t kdf_check(sync_store_t *s, sync_kdf_strength_t kdf, unsigned long long *ops,
                            size_t *mem)
{
  if (kdf == SYNC_KDF_TEST && !sync_store_test_kdf_allowed())
    return store_fail(s, SYNC_ERR_INVALID_ARG, "the test key derivation cost gives no real "
                      "protection: it is allowed only where %s=1 (test suites)",
                      SYNC_ALLOW_TEST_KDF_ENV);
  if (kdf_params(kdf, ops, mem) != 0)
    return store_fail(s, SYNC_ERR_INVALID_ARG, "unknown key derivation strength %d", (int)kdf);
  return SYNC_OK;
}

/* The KEK into kek (sodium_malloc'd by the caller). */
static sync_err_t derive(sync_store_t *s, const char *passphrase, const unsigned char *salt,
                         unsigned long long ops, size_t mem, unsigned char *kek)
{
  if (crypto_pwhash(kek, STORE_DEK_LEN, passphrase, strlen(passphrase), salt, ops, mem,
                    crypto_pwhash_ALG_ARGON2ID13) != 0)
    return store_fail(s, SYNC_ERR_NOMEM, "not enough memory to derive the key from the passphrase "
                      "(Argon2id needs %zu KiB)", mem / 1024);
  return SYNC_OK;
}

static sync_err_t wrap_ad(sync_store_t *s, char *ad, size_t len)
{
  char device[UUID_TEXT_LEN + 1];
  sync_err_t err = store_meta_get(s, "device_id", device, sizeof device);
  if (err == SYNC_ERR_NOT_FOUND)
    return store_fail(s, SYNC_ERR_CORRUPT, "the store has no device id");
  if (err == SYNC_OK)
    snprintf(ad, len, "libsync-store-key:%s", device);
  return err;
}

/* Wraps `dek` under `passphrase` with a fresh salt and writes key_kdf and key_wrapped. */
static sync_err_t wrap_and_store(sync_store_t *s, const char *passphrase, sync_kdf_strength_t kdf,
                                 const unsigned char *dek)
{
  unsigned long long ops;
  size_t mem;
  unsigned char salt[SALT_LEN], wrapped[WRAPPED_LEN];
  char ad[80], salt64[sodium_base64_ENCODED_LEN(SALT_LEN, sodium_base64_VARIANT_ORIGINAL)];
  char kdf_text[KDF_TEXT_MAX], wrapped64[sodium_base64_ENCODED_LEN(WRAPPED_LEN, sodium_base64_VARIANT_ORIGINAL)];
  if (!passphrase || strlen(passphrase) < SYNC_PASSPHRASE_MIN)
    return store_fail(s, SYNC_ERR_INVALID_ARG, "the passphrase must be at least %d bytes long",
                      SYNC_PASSPHRASE_MIN);
  sync_err_t err = kdf_check(s, kdf, &ops, &mem);
  if (err == SYNC_OK)
    err = wrap_ad(s, ad, sizeof ad);
  if (err)
    return err;
  unsigned char *kek = sodium_malloc(STORE_DEK_LEN);
  if (!kek)
    return store_fail(s, SYNC_ERR_NOMEM, "out of memory");
  randombytes_buf(salt, sizeof salt);
  if ((err = derive(s, passphrase, salt, ops, mem, kek)) == SYNC_OK) {
    randombytes_buf(wrapped, WRAP_NONCE_LEN);
    crypto_aead_xchacha20poly1305_ietf_encrypt(wrapped + WRAP_NONCE_LEN, NULL, dek, STORE_DEK_LEN,
                                               (const unsigned char *)ad, strlen(ad), NULL, wrapped,
                                               kek);
    sodium_bin2base64(salt64, sizeof salt64, salt, sizeof salt, sodium_base64_VARIANT_ORIGINAL);
    sodium_bin2base64(wrapped64, sizeof wrapped64, wrapped, sizeof wrapped,
                      sodium_base64_VARIANT_ORIGINAL);
    snprintf(kdf_text, sizeof kdf_text, KDF_PREFIX "%llu:%zu:%s", ops, mem, salt64);
    err = store_meta_set(s, "key_kdf", kdf_text);
    if (err == SYNC_OK)
      err = store_meta_set(s, "key_wrapped", wrapped64);
  }
  sodium_free(kek);
  return err;
}

/* Parses key_kdf. */
static int parse_kdf(const char *text, unsigned long long *ops, size_t *mem, unsigned char *salt)
{
  if (strncmp(text, KDF_PREFIX, strlen(KDF_PREFIX)) != 0)
    return -1;
  const char *p = text + strlen(KDF_PREFIX);
  char *end;
  errno = 0;
  unsigned long long o = strtoull(p, &end, 10);
  if (errno || end == p || *end != ':')
    return -1;
  p = end + 1;
  unsigned long long m = strtoull(p, &end, 10);
  if (errno || end == p || *end != ':')
    return -1;
  size_t salt_len = 0;
  if (o < crypto_pwhash_OPSLIMIT_MIN || o > KDF_MAX_OPS || m < crypto_pwhash_MEMLIMIT_MIN ||
      m > KDF_MAX_MEM ||
      sodium_base642bin(salt, SALT_LEN, end + 1, strlen(end + 1), NULL, &salt_len, NULL,
                        sodium_base64_VARIANT_ORIGINAL) != 0 || salt_len != SALT_LEN)
    return -1;
  *ops = o;
  *mem = (size_t)m;
  return 0;
}

/* Unwraps the file's DEK with `passphrase` into dek (sodium_malloc'd by the caller); *weak 1 when
 * the file wraps it at less than the interactive cost. */
static sync_err_t unwrap(sync_store_t *s, const char *passphrase, unsigned char *dek, int *weak)
{
  char kdf_text[KDF_TEXT_MAX], wrapped64[WRAPPED_TEXT_MAX], ad[80];
  unsigned char salt[SALT_LEN], wrapped[WRAPPED_LEN];
  unsigned long long ops;
  size_t mem, wrapped_len = 0;
  if (!passphrase)
    return store_fail(s, SYNC_ERR_PASSPHRASE, "the store is encrypted: a passphrase is needed");
  sync_err_t err = store_meta_get(s, "key_kdf", kdf_text, sizeof kdf_text);
  if (err == SYNC_OK)
    err = store_meta_get(s, "key_wrapped", wrapped64, sizeof wrapped64);
  if (err == SYNC_ERR_NOT_FOUND)
    return store_fail(s, SYNC_ERR_CORRUPT, "the store has no data key (wiped or damaged)");
  if (err)
    return err;
  if (parse_kdf(kdf_text, &ops, &mem, salt) != 0 ||
      sodium_base642bin(wrapped, sizeof wrapped, wrapped64, strlen(wrapped64), NULL, &wrapped_len,
                        NULL, sodium_base64_VARIANT_ORIGINAL) != 0 || wrapped_len != WRAPPED_LEN)
    return store_fail(s, SYNC_ERR_CORRUPT, "the store's data key is damaged (wiped or altered)");
  if ((err = wrap_ad(s, ad, sizeof ad)) != SYNC_OK)
    return err;
  unsigned char *kek = sodium_malloc(STORE_DEK_LEN);
  if (!kek)
    return store_fail(s, SYNC_ERR_NOMEM, "out of memory");
  if ((err = derive(s, passphrase, salt, ops, mem, kek)) == SYNC_OK &&
      crypto_aead_xchacha20poly1305_ietf_decrypt(dek, NULL, NULL, wrapped + WRAP_NONCE_LEN,
                                                 WRAPPED_LEN - WRAP_NONCE_LEN,
                                                 (const unsigned char *)ad, strlen(ad), wrapped,
                                                 kek) != 0)
    err = store_fail(s, SYNC_ERR_PASSPHRASE, "wrong passphrase");
  sodium_free(kek);
  *weak = ops < crypto_pwhash_OPSLIMIT_INTERACTIVE || mem < crypto_pwhash_MEMLIMIT_INTERACTIVE;
  return err;
}

/* A key wrapped at the test cost in a process that does not allow it (a store made by a test
 * build, or before the switch existed): re-wrapped at the interactive cost under the same
 * passphrase. Best effort, so that such a store never becomes unopenable: on failure the
 * transaction rolls back, the open goes on and the next read-write open tries again. */
static void strengthen(sync_store_t *s, const char *passphrase)
{
  sync_err_t err = store_write_begin(s, UNDO_SAVEPOINT);
  if (err == SYNC_OK) {
    err = wrap_and_store(s, passphrase, SYNC_KDF_INTERACTIVE, s->dek);
    store_write_end(s, err == SYNC_OK, err);
  }
  store_reset_error(s, 0);
}

sync_err_t store_key_create(sync_store_t *s, const char *passphrase, sync_kdf_strength_t kdf)
{
  store_key_forget(s);
  if (!(s->dek = sodium_malloc(STORE_DEK_LEN)))
    return store_fail(s, SYNC_ERR_NOMEM, "out of memory");
  randombytes_buf(s->dek, STORE_DEK_LEN);
  sync_err_t err = wrap_and_store(s, passphrase, kdf, s->dek);
  if (err)
    store_key_forget(s);
  return err;
}

sync_err_t store_key_unlock(sync_store_t *s, const char *passphrase)
{
  store_key_forget(s);
  unsigned char *dek = sodium_malloc(STORE_DEK_LEN);
  if (!dek)
    return store_fail(s, SYNC_ERR_NOMEM, "out of memory");
  int weak = 0;
  sync_err_t err = unwrap(s, passphrase, dek, &weak);
  if (err) {
    sodium_free(dek);
    return err;
  }
  s->dek = dek;
  if (weak && !s->read_only && !sync_store_test_kdf_allowed())
    strengthen(s, passphrase);
  return SYNC_OK;
}

void store_key_forget(sync_store_t *s)
{
  sodium_free(s->dek); /* zeroes it; NULL is a no-op */
  s->dek = NULL;
}

sync_err_t sync_store_change_passphrase(sync_store_t *store, const char *old_passphrase,
                                        const char *new_passphrase, sync_kdf_strength_t kdf)
{
  unsigned long long ops;
  size_t mem;
  if (!store)
    return SYNC_ERR_INVALID_ARG;
  store_reset_error(store, 0);
  sync_err_t err = store_check_writable(store);
  if (err)
    return err;
  if (!new_passphrase || strlen(new_passphrase) < SYNC_PASSPHRASE_MIN)
    return store_fail(store, SYNC_ERR_INVALID_ARG, "the new passphrase must be at least %d bytes long",
                      SYNC_PASSPHRASE_MIN);
  if ((err = kdf_check(store, kdf, &ops, &mem)) != SYNC_OK)
    return err;
  int weak = 0;
  unsigned char *old = sodium_malloc(STORE_DEK_LEN);
  if (!old)
    return store_fail(store, SYNC_ERR_NOMEM, "out of memory");
  if ((err = store_write_begin(store, UNDO_SAVEPOINT)) == SYNC_OK) {
    /* Inside the transaction: the old passphrase must open the key as the file holds it now. */
    if ((err = unwrap(store, old_passphrase, old, &weak)) == SYNC_OK &&
        sodium_memcmp(old, store->dek, STORE_DEK_LEN) != 0)
      err = store_fail(store, SYNC_ERR_CORRUPT, "the store's data key changed under this handle");
    if (err == SYNC_OK)
      err = wrap_and_store(store, new_passphrase, kdf, store->dek);
    err = store_write_end(store, err == SYNC_OK, err);
  }
  sodium_free(old);
  return err;
}
