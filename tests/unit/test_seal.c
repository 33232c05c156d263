/* The central side of sealing (sync/seal.h): key pairs, and sync_seal_open() and a kept opener on
 * texts that are not base64, too short, sealed to another key, or that open to something that is
 * no envelope; one opener shared by several threads. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
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
  sync_seal_opener_t *opener = NULL;
  assert_int_equal(sync_seal_opener_new(sec, &opener), SYNC_OK);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *sealed = seal_text(pub, cases[i].text);
    for (int kept = 0; kept < 2; kept++) {
      char *env = (char *)1;
      sync_err_t rc = kept ? sync_seal_opener_open(opener, sealed, &env)
                           : sync_seal_open(sec, sealed, &env);
      if (rc != cases[i].rc)
        fail_msg("case %zu (%s): %s", i, kept ? "opener" : "open", sync_errname(rc));
      if (rc == SYNC_OK)
        assert_string_equal(env, cases[i].text);
      else
        assert_null(env);
      free(env);
    }
    free(sealed);
  }
  sync_seal_opener_free(opener);
}

/* Four threads open their own texts with one opener at the same time. */
#define OPEN_THREADS 4
#define TEXTS_PER_THREAD 50

typedef struct open_job {
  const sync_seal_opener_t *opener;
  char *sealed[TEXTS_PER_THREAD];
  char *opened[TEXTS_PER_THREAD];
  sync_err_t rc[TEXTS_PER_THREAD];
} open_job_t;

static void *open_all(void *arg)
{
  open_job_t *job = arg;
  for (int i = 0; i < TEXTS_PER_THREAD; i++)
    job->rc[i] = sync_seal_opener_open(job->opener, job->sealed[i], &job->opened[i]);
  return NULL;
}

static void test_one_opener_serves_several_threads(void **state)
{
  (void)state;
  char pub[SYNC_SEAL_KEY_B64_LEN + 1], sec[SYNC_SEAL_KEY_B64_LEN + 1];
  assert_int_equal(sync_seal_keypair(pub, sec), SYNC_OK);
  sync_seal_opener_t *opener = NULL;
  assert_int_equal(sync_seal_opener_new(sec, &opener), SYNC_OK);
  static open_job_t jobs[OPEN_THREADS];
  pthread_t threads[OPEN_THREADS];
  char text[200];
  for (int t = 0; t < OPEN_THREADS; t++) {
    jobs[t].opener = opener;
    for (int i = 0; i < TEXTS_PER_THREAD; i++) {
      snprintf(text, sizeof text, "{\"uuid\":\"u%d-%d\",\"form_id\":\"f\",\"form_version\":1,"
               "\"revision\":%d,\"hlc\":\"h\",\"payload\":{\"t\":%d}}", t, i, i, t);
      jobs[t].sealed[i] = seal_text(pub, text);
    }
  }
  for (int t = 0; t < OPEN_THREADS; t++)
    assert_int_equal(pthread_create(&threads[t], NULL, open_all, &jobs[t]), 0);
  for (int t = 0; t < OPEN_THREADS; t++)
    assert_int_equal(pthread_join(threads[t], NULL), 0);
  sync_seal_opener_free(opener);
  for (int t = 0; t < OPEN_THREADS; t++)
    for (int i = 0; i < TEXTS_PER_THREAD; i++) {
      snprintf(text, sizeof text, "{\"uuid\":\"u%d-%d\",\"form_id\":\"f\",\"form_version\":1,"
               "\"revision\":%d,\"hlc\":\"h\",\"payload\":{\"t\":%d}}", t, i, i, t);
      assert_int_equal(jobs[t].rc[i], SYNC_OK);
      assert_string_equal(jobs[t].opened[i], text);
      free(jobs[t].opened[i]);
      free(jobs[t].sealed[i]);
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
  sync_seal_opener_t *opener = (sync_seal_opener_t *)1;
  assert_int_equal(sync_seal_opener_new("AAAA", &opener), SYNC_ERR_INVALID_ARG);
  assert_null(opener);
  assert_int_equal(sync_seal_opener_new(NULL, &opener), SYNC_ERR_INVALID_ARG);
  assert_int_equal(sync_seal_opener_new(sec, NULL), SYNC_ERR_INVALID_ARG);
  assert_int_equal(sync_seal_opener_open(NULL, sealed, &env), SYNC_ERR_INVALID_ARG);
  /* another key pair's secret: the text does not open */
  char pub2[SYNC_SEAL_KEY_B64_LEN + 1], sec2[SYNC_SEAL_KEY_B64_LEN + 1];
  assert_int_equal(sync_seal_keypair(pub2, sec2), SYNC_OK);
  assert_int_equal(sync_seal_opener_new(sec2, &opener), SYNC_OK);
  assert_int_equal(sync_seal_opener_open(opener, sealed, &env), SYNC_ERR_CRYPTO);
  assert_null(env);
  sync_seal_opener_free(opener);
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
    cmocka_unit_test(test_one_opener_serves_several_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
