/* The export's opener of sealed records (server-stub/export_open.c, export_sealed.h; SECURITY.md
 * 4), in process: v1 texts (what databases written before the v2 envelope hold) and v2 texts
 * with and without the form's dictionary open for their record and are overlaid with the clear
 * part; a text of another record, or compressed with a dictionary the opener was not given, is
 * refused with a reason. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "export_sealed.h"
#include "seal_v2.h"
#include "sync/seal.h"
#include "test_support.h"

#define UUID "0190a0b2-7c4e-7d21-9f3a-5b1c2d3e4f60"
#define SEALED_ANSWERS "{\"province\":\"35\",\"full_name\":\"Dewi Rina\",\"story\":\"kerja 12\"}"
#define CLEAR "{\"province\":\"36\",\"case_status\":\"referred\"}"

typedef struct world {
  unsigned char pk[32];
  sync_seal_opener_t *opener;
  seal_dict_t *dict;
} world_t;

static int setup(void **state)
{
  world_t *w = calloc(1, sizeof *w);
  char pub[SYNC_SEAL_KEY_B64_LEN + 1], sec[SYNC_SEAL_KEY_B64_LEN + 1];
  assert_int_equal(sync_seal_keypair(pub, sec), SYNC_OK);
  assert_int_equal(sodium_base642bin(w->pk, 32, pub, strlen(pub), NULL, NULL, NULL,
                                     sodium_base64_VARIANT_ORIGINAL), 0);
  assert_int_equal(sync_seal_opener_new(sec, &w->opener), SYNC_OK);
  size_t len = 0;
  char *golden = ts_golden("envelope/sealed-v2.json", &len);
  cJSON *doc = cJSON_Parse(golden);
  assert_int_equal(seal_dict_from_b64(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "dictionary")),
                                      &w->dict), SYNC_OK);
  cJSON_Delete(doc);
  free(golden);
  *state = w;
  return 0;
}

static int teardown(void **state)
{
  world_t *w = *state;
  sync_seal_opener_free(w->opener);
  seal_dict_free(w->dict);
  free(w);
  return 0;
}

static char *b64(const unsigned char *p, size_t n)
{
  size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
  char *s = malloc(cap);
  sodium_bin2base64(s, cap, p, n, sodium_base64_VARIANT_ORIGINAL);
  return s;
}

static char *seal_v1(const world_t *w, const char *uuid)
{
  char env[512];
  snprintf(env, sizeof env, "{\"uuid\":\"%s\",\"form_id\":\"tppo_screening\",\"form_version\":1,"
           "\"revision\":1,\"hlc\":\"h\",\"payload\":%s}", uuid, SEALED_ANSWERS);
  unsigned char c[1024];
  assert_int_equal(crypto_box_seal(c, (const unsigned char *)env, strlen(env), w->pk), 0);
  return b64(c, strlen(env) + crypto_box_SEALBYTES);
}

static char *seal_v2(const world_t *w, const char *uuid, const seal_dict_t *d)
{
  seal_ident_t id = { uuid, "tppo_screening", 1 };
  unsigned char *out = NULL;
  size_t n = 0;
  assert_int_equal(seal_v2_seal(w->pk, &id, d, NULL, SEALED_ANSWERS, strlen(SEALED_ANSWERS), &out,
                                &n), SYNC_OK);
  char *text = b64(out, n);
  free(out);
  return text;
}

/* Opens `sealed` as record UUID's; the answers printed, or NULL with why. */
static char *open_as_export(const world_t *w, const char *sealed, const seal_dict_t *d,
                            char *why, size_t whylen)
{
  exp_stored_t rec = { UUID, "tppo_screening", 1, CLEAR, strlen(CLEAR), sealed };
  exp_opened_t st;
  memset(&st, 0, sizeof st);
  why[0] = '\0';
  cJSON *answers = export_open_sealed_dict(w->opener, d, &rec, &st, why, whylen);
  if (!answers)
    return NULL;
  assert_int_equal(st.sealed_left, 0);
  char *text = cJSON_PrintUnformatted(answers);
  cJSON_Delete(answers);
  return text;
}

/* sealed answers, with the clear part's newer province and the central field */
#define EXPORTED "{\"full_name\":\"Dewi Rina\",\"story\":\"kerja 12\",\"province\":\"36\"," \
                 "\"case_status\":\"referred\"}"

static void test_v1_and_v2_texts_open_for_their_record(void **state)
{
  world_t *w = *state;
  char why[300];
  char *texts[] = { seal_v1(w, UUID), seal_v2(w, UUID, NULL), seal_v2(w, UUID, w->dict) };
  for (size_t i = 0; i < 3; i++) {
    char *out = open_as_export(w, texts[i], w->dict, why, sizeof why);
    if (!out)
      fail_msg("text %zu: %s", i, why);
    assert_string_equal(out, EXPORTED);
    free(out);
  }
  /* export_open_sealed (no dictionary) opens what needs none */
  exp_stored_t rec = { UUID, "tppo_screening", 1, CLEAR, strlen(CLEAR), texts[1] };
  exp_opened_t st;
  memset(&st, 0, sizeof st);
  cJSON *answers = export_open_sealed(w->opener, &rec, &st, why, sizeof why);
  assert_non_null(answers);
  cJSON_Delete(answers);
  for (size_t i = 0; i < 3; i++)
    free(texts[i]);
}

static void test_a_text_of_another_record_or_dictionary_is_refused(void **state)
{
  world_t *w = *state;
  char why[300];
  const char *other = "0190a0b2-7c4e-7d21-9f3a-5b1c2d3e4f61";
  char *texts[] = { seal_v1(w, other), seal_v2(w, other, NULL), seal_v2(w, other, w->dict) };
  for (size_t i = 0; i < 3; i++) {
    assert_null(open_as_export(w, texts[i], w->dict, why, sizeof why));
    assert_non_null(strstr(why, "copied from another record"));
    free(texts[i]);
  }
  char *with_dict = seal_v2(w, UUID, w->dict);
  assert_null(open_as_export(w, with_dict, NULL, why, sizeof why));
  assert_non_null(strstr(why, "dictionary"));
  free(with_dict);
}

int main(void)
{
  if (sodium_init() < 0)
    return 1;
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_v1_and_v2_texts_open_for_their_record, setup, teardown),
    cmocka_unit_test_setup_teardown(test_a_text_of_another_record_or_dictionary_is_refused, setup,
                                    teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
