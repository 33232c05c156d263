/* The central side of sealing (sync/seal.h): key pairs, and sync_seal_open() on texts that are
 * not base64, too short, sealed to another key, or that open to something that is no envelope. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "sync/seal.h"

/* base64 of crypto_box_seal(text) to the public key `pub_b64`. */
static char *seal_text(const char *pub_b64, const char *text)
{
  unsigned char pk[32];
  size_t n = 0;
  assert_int_equal(sodium_base642bin(pk, sizeof pk, pub_b64, strlen(pub_b64), NULL, &n, NULL,
                                     sodium_base64_VARIANT_ORIGINAL), 0);
  assert_int_equal(n, 32);
  size_t clen = strlen(text) + crypto_box_SEALBYTES;
  unsigned char *c = malloc(clen);
  assert_non_null(c);
  assert_int_equal(crypto_box_seal(c, (const unsigned char *)text, strlen(text), pk), 0);
  size_t blen = sodium_base64_ENCODED_LEN(clen, sodium_base64_VARIANT_ORIGINAL);
  char *b64 = malloc(blen);
  assert_non_null(b64);
  sodium_bin2base64(b64, blen, c, clen, sodium_base64_VARIANT_ORIGINAL);
  free(c);
  return b64;
}

static void test_keypair_gives_matching_distinct_keys(void **state)
{
  (void)state;
  char pub[SYNC_SEAL_KEY_B64_LEN + 1], sec[SYNC_SEAL_KEY_B64_LEN + 1];
  char pub2[SYNC_SEAL_KEY_B64_LEN + 1], sec2[SYNC_SEAL_KEY_B64_LEN + 1];
  assert_int_equal(sync_seal_keypair(pub, sec), SYNC_OK);
  assert_int_equal(sync_seal_keypair(pub2, sec2), SYNC_OK);
  assert_int_equal(strlen(pub), SYNC_SEAL_KEY_B64_LEN);
  assert_int_equal(pub[SYNC_SEAL_KEY_B64_LEN - 1], '=');
  assert_string_not_equal(pub, pub2);
  assert_string_not_equal(sec, sec2);
  /* the public key is the one the secret key implies */
  unsigned char sk[32], pk[32];
  char derived[SYNC_SEAL_KEY_B64_LEN + 1];
  assert_int_equal(sodium_base642bin(sk, 32, sec, strlen(sec), NULL, NULL, NULL,
                                     sodium_base64_VARIANT_ORIGINAL), 0);
  assert_int_equal(crypto_scalarmult_base(pk, sk), 0);
  sodium_bin2base64(derived, sizeof derived, pk, 32, sodium_base64_VARIANT_ORIGINAL);
  assert_string_equal(derived, pub);
  assert_int_equal(sync_seal_keypair(NULL, sec), SYNC_ERR_INVALID_ARG);
}

static void test_open_accepts_exactly_an_envelope(void **state)
{
  (void)state;
  char pub[SYNC_SEAL_KEY_B64_LEN + 1], sec[SYNC_SEAL_KEY_B64_LEN + 1];
  assert_int_equal(sync_seal_keypair(pub, sec), SYNC_OK);
  static const char ok[] = "{\"uuid\":\"u\",\"form_id\":\"f\",\"form_version\":1,\"revision\":2,"
                           "\"hlc\":\"h\",\"payload\":{\"a\":[1,\"x\"]}}";
  struct { const char *text; sync_err_t rc; } cases[] = {
    { ok, SYNC_OK },
    { "{\"uuid\":\"u\",\"form_id\":\"f\",\"form_version\":1,\"revision\":2,\"hlc\":\"h\"}",
      SYNC_ERR_JSON },   /* no payload */
    { "{\"uuid\":\"u\",\"form_id\":\"f\",\"form_version\":1,\"revision\":2,\"hlc\":\"h\","
      "\"payload\":{},\"extra\":1}", SYNC_ERR_JSON },
    { "{\"uuid\":\"u\",\"uuid\":\"u\",\"form_id\":\"f\",\"form_version\":1,\"revision\":2,"
      "\"hlc\":\"h\",\"payload\":{}}", SYNC_ERR_JSON },
    { "{\"uuid\":1,\"form_id\":\"f\",\"form_version\":1,\"revision\":2,\"hlc\":\"h\","
      "\"payload\":{}}", SYNC_ERR_JSON },
    { "{\"uuid\":\"u\",\"form_id\":\"f\",\"form_version\":1.5,\"revision\":2,\"hlc\":\"h\","
      "\"payload\":{}}", SYNC_ERR_JSON },
    { "{\"uuid\":\"u\",\"form_id\":\"f\",\"form_version\":1,\"revision\":-2,\"hlc\":\"h\","
      "\"payload\":{}}", SYNC_ERR_JSON },
    { "{\"uuid\":\"u\",\"form_id\":\"f\",\"form_version\":1,\"revision\":1e300,\"hlc\":\"h\","
      "\"payload\":{}}", SYNC_ERR_JSON },
    { "{\"uuid\":\"u\",\"form_id\":\"f\",\"form_version\":1,\"revision\":2,\"hlc\":\"h\","
      "\"payload\":[]}", SYNC_ERR_JSON },
    { "{\"uuid\":\"u\",\"form_id\":\"f\",\"form_version\":1,\"revision\":2,\"hlc\":\"h\","
      "\"payload\":{}} x", SYNC_ERR_JSON },
    { "not json", SYNC_ERR_JSON },
    { "", SYNC_ERR_JSON },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *sealed = seal_text(pub, cases[i].text);
    char *env = (char *)1;
    sync_err_t rc = sync_seal_open(sec, sealed, &env);
    if (rc != cases[i].rc)
      fail_msg("case %zu: %s", i, sync_errname(rc));
    if (rc == SYNC_OK)
      assert_string_equal(env, cases[i].text);
    else
      assert_null(env);
    free(env);
    free(sealed);
  }
}

static void test_open_refuses_bad_text_and_bad_keys(void **state)
{
  (void)state;
  char pub[SYNC_SEAL_KEY_B64_LEN + 1], sec[SYNC_SEAL_KEY_B64_LEN + 1];
  assert_int_equal(sync_seal_keypair(pub, sec), SYNC_OK);
  char *env = (char *)1;
  assert_int_equal(sync_seal_open(sec, "not base64!", &env), SYNC_ERR_INVALID_ARG);
  assert_null(env);
  assert_int_equal(sync_seal_open(sec, "", &env), SYNC_ERR_INVALID_ARG);   /* too short */
  assert_int_equal(sync_seal_open(sec, "AAAA", &env), SYNC_ERR_INVALID_ARG);
  char *sealed = seal_text(pub, "{}");
  char *nl = malloc(strlen(sealed) + 2);
  assert_non_null(nl);
  strcpy(nl, sealed);
  strcat(nl, "\n");
  assert_int_equal(sync_seal_open(sec, nl, &env), SYNC_ERR_INVALID_ARG);
  free(nl);
  assert_int_equal(sync_seal_open("AAAA", sealed, &env), SYNC_ERR_INVALID_ARG);
  assert_int_equal(sync_seal_open(NULL, sealed, &env), SYNC_ERR_INVALID_ARG);
  assert_int_equal(sync_seal_open(sec, NULL, &env), SYNC_ERR_INVALID_ARG);
  assert_int_equal(sync_seal_open(sec, sealed, NULL), SYNC_ERR_INVALID_ARG);
  /* cut short: a valid base64 text that lost its last block */
  sealed[strlen(sealed) - 4] = '\0';
  assert_int_equal(sync_seal_open(sec, sealed, &env), SYNC_ERR_CRYPTO);
  assert_null(env);
  free(sealed);
}

int main(void)
{
  if (sodium_init() < 0)
    return 1;
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_keypair_gives_matching_distinct_keys),
    cmocka_unit_test(test_open_accepts_exactly_an_envelope),
    cmocka_unit_test(test_open_refuses_bad_text_and_bad_keys),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
