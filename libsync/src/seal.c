/* The central office's side of sealing, sync/seal.h (proto/SECURITY.md 4): key pairs and opening
 * sealed texts. Devices seal with form_seal() (form_seal.c). */
#include "sync/seal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <sodium.h>

#include "seal_open.h"
#include "sync/record.h"

/* A base64 text longer than this cannot be a sealed payload the library made (payload limit,
 * envelope fields, base64 growth); refusing it early bounds the work on hostile input. */
#define SEAL_MAX_B64 (2u * SYNC_MAX_PAYLOAD + 4096u)

sync_err_t sync_seal_keypair(char public_b64[SYNC_SEAL_KEY_B64_LEN + 1],
                             char secret_b64[SYNC_SEAL_KEY_B64_LEN + 1])
{
  if (!public_b64 || !secret_b64)
    return SYNC_ERR_INVALID_ARG;
  if (sodium_init() < 0)
    return SYNC_ERR_CRYPTO;
  unsigned char pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
  if (crypto_box_keypair(pk, sk) != 0)
    return SYNC_ERR_CRYPTO;
  sodium_bin2base64(public_b64, SYNC_SEAL_KEY_B64_LEN + 1, pk, sizeof pk,
                    sodium_base64_VARIANT_ORIGINAL);
  sodium_bin2base64(secret_b64, SYNC_SEAL_KEY_B64_LEN + 1, sk, sizeof sk,
                    sodium_base64_VARIANT_ORIGINAL);
  sodium_memzero(sk, sizeof sk);
  return SYNC_OK;
}

/* base64 (standard, padded) of exactly 32 bytes. */
static int key_from_b64(const char *b64, unsigned char key[32])
{
  size_t n = 0;
  const char *end = NULL;
  return sodium_base642bin(key, 32, b64, strlen(b64), NULL, &n, &end,
                           sodium_base64_VARIANT_ORIGINAL) == 0 && *end == '\0' && n == 32 ? 0 : -1;
}

/* The envelope has exactly these members, once each, with these types. */
static int envelope_ok(const cJSON *root)
{
  static const char *const keys[] = { "uuid", "form_id", "form_version", "revision", "hlc",
                                      "payload" };
  unsigned seen = 0;
  if (!cJSON_IsObject(root))
    return 0;
  for (const cJSON *m = root->child; m; m = m->next) {
    size_t k = 0;
    while (k < 6 && strcmp(keys[k], m->string) != 0)
      k++;
    if (k == 6 || (seen & (1u << k)))
      return 0;
    seen |= 1u << k;
    int ok;
    if (k == 5)
      ok = cJSON_IsObject(m);
    else if (k == 2 || k == 3)   /* form_version, revision: integers >= 0 */
      ok = cJSON_IsNumber(m) && m->valuedouble >= 0 && m->valuedouble <= 9007199254740992.0 &&
           floor(m->valuedouble) == m->valuedouble;
    else
      ok = cJSON_IsString(m);
    if (!ok)
      return 0;
  }
  return seen == 0x3f;
}

struct sync_seal_opener {
  unsigned char sk[crypto_box_SECRETKEYBYTES];
  unsigned char pk[crypto_box_PUBLICKEYBYTES];
};

/* The key, and the public key derived from it once. 0, or the error. */
static sync_err_t opener_init(sync_seal_opener_t *o, const char *secret_b64)
{
  if (!secret_b64 || key_from_b64(secret_b64, o->sk))
    return SYNC_ERR_INVALID_ARG;
  return crypto_scalarmult_base(o->pk, o->sk) == 0 ? SYNC_OK : SYNC_ERR_CRYPTO;
}

sync_err_t sync_seal_opener_new(const char *secret_b64, sync_seal_opener_t **out)
{
  if (!out)
    return SYNC_ERR_INVALID_ARG;
  *out = NULL;
  if (sodium_init() < 0)
    return SYNC_ERR_CRYPTO;
  sync_seal_opener_t *o = sodium_malloc(sizeof *o);
  if (!o)
    return SYNC_ERR_NOMEM;
  sync_err_t rc = opener_init(o, secret_b64);
  if (rc != SYNC_OK) {
    sodium_free(o);
    return rc;
  }
  *out = o;
  return SYNC_OK;
}

void sync_seal_opener_free(sync_seal_opener_t *opener)
{
  sodium_free(opener);   /* NULL-safe; wipes before it frees */
}

sync_err_t sync_seal_open(const char *secret_b64, const char *sealed_b64, char **out_envelope)
{
  if (!out_envelope)
    return SYNC_ERR_INVALID_ARG;
  *out_envelope = NULL;
  if (sodium_init() < 0)
    return SYNC_ERR_CRYPTO;
  sync_seal_opener_t o;   /* one text: no need for guarded memory, wiped below */
  sync_err_t rc = opener_init(&o, secret_b64);
  if (rc == SYNC_OK)
    rc = sync_seal_opener_open(&o, sealed_b64, out_envelope);
  sodium_memzero(&o, sizeof o);
  return rc;
}

/* Decrypts and checks a sealed text: *text the envelope (NUL-terminated), *root its tree. */
static sync_err_t open_envelope(const sync_seal_opener_t *opener, const char *sealed_b64,
                                char **text, cJSON **root)
{
  *text = NULL;
  *root = NULL;
  if (!opener || !sealed_b64)
    return SYNC_ERR_INVALID_ARG;
  size_t b64_len = strlen(sealed_b64);
  if (b64_len > SEAL_MAX_B64)
    return SYNC_ERR_TOO_LARGE;
  sync_err_t rc = SYNC_OK;
  size_t clen = 0;
  const char *end = NULL;
  unsigned char *c = malloc(b64_len / 4 * 3 + 3);
  char *m = NULL;
  if (!c) {
    rc = SYNC_ERR_NOMEM;
  } else if (sodium_base642bin(c, b64_len / 4 * 3 + 3, sealed_b64, b64_len, NULL, &clen, &end,
                               sodium_base64_VARIANT_ORIGINAL) != 0 ||
             *end != '\0' || clen < crypto_box_SEALBYTES) {
    rc = SYNC_ERR_INVALID_ARG;
  } else if (!(m = malloc(clen - crypto_box_SEALBYTES + 1))) {
    rc = SYNC_ERR_NOMEM;
  } else if (crypto_box_seal_open((unsigned char *)m, c, clen, opener->pk, opener->sk) != 0) {
    rc = SYNC_ERR_CRYPTO;
  }
  free(c);
  if (rc != SYNC_OK) {
    free(m);
    return rc;
  }
  size_t mlen = clen - crypto_box_SEALBYTES;
  m[mlen] = '\0';
  const char *pend = NULL;
  cJSON *tree = memchr(m, '\0', mlen) ? NULL : cJSON_ParseWithLengthOpts(m, mlen, &pend, 0);
  if (!tree || (size_t)(pend - m) != mlen || !envelope_ok(tree)) {
    cJSON_Delete(tree);
    sodium_memzero(m, mlen);
    free(m);
    return SYNC_ERR_JSON;
  }
  *text = m;
  *root = tree;
  return SYNC_OK;
}

sync_err_t sync_seal_opener_open(const sync_seal_opener_t *opener, const char *sealed_b64,
                                 char **out_envelope)
{
  if (!out_envelope)
    return SYNC_ERR_INVALID_ARG;
  cJSON *root;
  sync_err_t rc = open_envelope(opener, sealed_b64, out_envelope, &root);
  cJSON_Delete(root);
  return rc;
}

sync_err_t seal_open_envelope(const sync_seal_opener_t *opener, const char *sealed_b64,
                              cJSON **out)
{
  char *text;
  sync_err_t rc = open_envelope(opener, sealed_b64, &text, out);
  if (text) {
    sodium_memzero(text, strlen(text));
    free(text);
  }
  return rc;
}
