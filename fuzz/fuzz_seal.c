/* libFuzzer target: sync_seal_open() (the export's opener of sealed answers) with a fixed test
 * key. Input starting with '!' is sealed to the test key first, so that the envelope check sees
 * arbitrary plaintext that passed the MAC; any other input is the sealed text itself (the seed
 * corpus holds real texts sealed to this key). Invariants: one of the documented codes; an opened
 * envelope is returned exactly as it was sealed and is a JSON object. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "sync/seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The secret key is bytes 0x42..0x61; its public key is
 * D0ZEt7OUEa88E4O2zwefyTyGlVr6nDlKEDuYtcWkbhU= (fuzz/corpus/seal was sealed to it). */
static const char SECRET[] = "QkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGE=";

/* base64 of crypto_box_seal(m) to the test key; NULL when out of memory. */
static char *seal_to_test_key(const uint8_t *m, size_t mlen)
{
  static unsigned char pk[crypto_box_PUBLICKEYBYTES];
  static int have_pk;
  if (!have_pk) {
    unsigned char sk[crypto_box_SECRETKEYBYTES];
    if (sodium_init() < 0 ||
        sodium_base642bin(sk, sizeof sk, SECRET, sizeof SECRET - 1, NULL, NULL, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        crypto_scalarmult_base(pk, sk) != 0)
      abort();
    have_pk = 1;
  }
  size_t clen = mlen + crypto_box_SEALBYTES;
  unsigned char *c = malloc(clen);
  size_t blen = sodium_base64_ENCODED_LEN(clen, sodium_base64_VARIANT_ORIGINAL);
  char *b64 = c ? malloc(blen) : NULL;
  if (b64) {
    if (crypto_box_seal(c, m, mlen, pk) != 0)
      abort();
    sodium_bin2base64(b64, blen, c, clen, sodium_base64_VARIANT_ORIGINAL);
  }
  free(c);
  return b64;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  int plaintext = size > 0 && data[0] == '!';
  char *text;
  if (plaintext) {
    text = seal_to_test_key(data + 1, size - 1);
  } else {
    text = malloc(size + 1);
    if (text) {
      memcpy(text, data, size);
      text[size] = '\0';
    }
  }
  if (!text)
    return 0;
  char *env = (char *)1;
  sync_err_t rc = sync_seal_open(SECRET, text, &env);
  switch (rc) {
  case SYNC_OK: {
    if (!env)
      abort();
    size_t n = strlen(env);
    if (plaintext && (n != size - 1 || memcmp(env, data + 1, n) != 0))
      abort();
    cJSON *root = cJSON_ParseWithLength(env, n);
    if (!cJSON_IsObject(root))
      abort();
    cJSON_Delete(root);
    break;
  }
  case SYNC_ERR_CRYPTO:
  case SYNC_ERR_STATE:   /* a text that reads as v2 (fuzz_seal_v2 covers those) */
  case SYNC_ERR_INVALID_ARG:
  case SYNC_ERR_JSON:
  case SYNC_ERR_TOO_LARGE:
  case SYNC_ERR_NOMEM:
    if (env)
      abort();
    if (plaintext && rc != SYNC_ERR_JSON && rc != SYNC_ERR_NOMEM && rc != SYNC_ERR_TOO_LARGE)
      abort();   /* sealed to the right key: only the envelope check may refuse it */
    break;
  default:
    abort();
  }
  free(env);
  free(text);
  return 0;
}
