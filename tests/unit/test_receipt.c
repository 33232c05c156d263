/* Signed receipts (proto/SECURITY.md 7, sync/receipt.h): the newest receipt of a record as a
 * document that verifies on its own, and refusing altered documents, other keys and non-receipts;
 * a store checks a document against its enrolled server key, never the document's own. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store_test.h"
#include "sync/receipt.h"

typedef struct fixture {
  st_store_t st;
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  char uuid[SYNC_UUID_STRLEN + 1];
} fixture_t;

static int setup(void **state)
{
  fixture_t *f = calloc(1, sizeof *f);
  st_store_open(&f->st);
  assert_int_equal(sync_form_add(f->st.s, ST_VISIT_FORM, strlen(ST_VISIT_FORM), NULL, NULL), SYNC_OK);
  st_enroll(f->st.s, f->sk);
  assert_int_equal(sync_record_create(f->st.s, "visit", 0, "{\"name\":\"Siti\"}", SYNC_STATUS_FINAL, f->uuid),
                   SYNC_OK);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture_t *f = *state;
  st_store_close(&f->st);
  free(f);
  return 0;
}

/* The record's receipt document, parsed. */
static cJSON *receipt_doc(const fixture_t *f, char **text)
{
  char *json = NULL;
  sync_err_t err = sync_record_receipt(f->st.s, f->uuid, &json);
  if (err)
    fail_msg("receipt: %s: %s", sync_errname(err), sync_store_errmsg(f->st.s));
  cJSON *doc = cJSON_Parse(json);
  assert_non_null(doc);
  if (text)
    *text = json;
  else
    sync_free(json);
  return doc;
}

static char *print(const cJSON *doc)
{
  return cJSON_PrintUnformatted(doc);
}

static void test_record_without_receipt_has_none(void **state)
{
  fixture_t *f = *state;
  char *json = (char *)f;
  assert_int_equal(sync_record_receipt(f->st.s, f->uuid, &json), SYNC_ERR_NOT_FOUND);
  assert_null(json);
  assert_int_equal(sync_record_receipt(f->st.s, "not-a-uuid", &json), SYNC_ERR_INVALID_ARG);
  assert_int_equal(sync_record_receipt(f->st.s, f->uuid, NULL), SYNC_ERR_INVALID_ARG);
}

static void test_newest_receipt_is_a_document_that_verifies(void **state)
{
  fixture_t *f = *state;
  st_ack_all(f->st.s, f->sk, 1732500000000LL);
  assert_int_equal(sync_record_revise(f->st.s, f->uuid, "{\"name\":\"Siti Aminah\"}"), SYNC_OK);
  st_ack_all(f->st.s, f->sk, 1732600000000LL);

  char *text = NULL;
  cJSON *doc = receipt_doc(f, &text);
  assert_string_equal(cJSON_GetObjectItem(doc, "kind")->valuestring, "libsync-receipt");
  assert_string_equal(cJSON_GetObjectItem(doc, "server_id")->valuestring, ST_SERVER_ID);
  assert_string_equal(cJSON_GetObjectItem(doc, "device_id")->valuestring, sync_store_device_id(f->st.s));
  assert_string_equal(cJSON_GetObjectItem(doc, "uuid")->valuestring, f->uuid);
  assert_int_equal(cJSON_GetObjectItem(doc, "revision")->valueint, 2);
  assert_true(cJSON_GetObjectItem(doc, "received_at")->valuedouble == 1732600000000.0);
  assert_int_equal(strlen(cJSON_GetObjectItem(doc, "signature")->valuestring), 88);
  /* Its place in the push response (st_ack_all: 2 receipts before it, 3 after) and its path. */
  assert_int_equal(cJSON_GetObjectItem(doc, "leaf_index")->valueint, 2);
  assert_int_equal(cJSON_GetObjectItem(doc, "leaf_count")->valueint, 6);
  const cJSON *path = cJSON_GetObjectItem(doc, "path");
  assert_int_equal(cJSON_GetArraySize(path), 3);
  for (int i = 0; i < 3; i++) {
    const char *h = cJSON_GetArrayItem(path, i)->valuestring;
    assert_int_equal(strlen(h), 64);
    assert_int_equal(strspn(h, "0123456789abcdef"), 64);
  }
  char key[128];
  assert_int_equal(store_state_get(f->st.s, STATE_RECEIPT_KEY, key, sizeof key), SYNC_OK);
  assert_string_equal(cJSON_GetObjectItem(doc, "receipt_key")->valuestring, key);

  assert_int_equal(sync_receipt_verify(text, NULL), SYNC_OK);
  assert_int_equal(sync_receipt_verify(text, key), SYNC_OK);
  sync_free(text);
  cJSON_Delete(doc);
}

static void test_altered_receipt_does_not_verify(void **state)
{
  fixture_t *f = *state;
  st_ack_all(f->st.s, f->sk, 1732500000000LL);
  static const char *const fields[] = { "revision", "server_seq", "received_at" };
  for (size_t i = 0; i < 3; i++) {
    cJSON *doc = receipt_doc(f, NULL);
    cJSON *it = cJSON_GetObjectItem(doc, fields[i]);
    cJSON_SetNumberValue(it, it->valuedouble + 1);
    char *text = print(doc);
    assert_int_equal(sync_receipt_verify(text, NULL), SYNC_ERR_CRYPTO);
    free(text);
    cJSON_Delete(doc);
  }
  /* Another record's uuid, or another device. */
  cJSON *doc = receipt_doc(f, NULL);
  cJSON_ReplaceItemInObject(doc, "uuid", cJSON_CreateString("00000000-0000-4000-8000-000000000000"));
  char *text = print(doc);
  assert_int_equal(sync_receipt_verify(text, NULL), SYNC_ERR_CRYPTO);
  free(text);
  cJSON_Delete(doc);
  doc = receipt_doc(f, NULL);
  cJSON_ReplaceItemInObject(doc, "device_id", cJSON_CreateString(ST_SERVER_ID));
  text = print(doc);
  assert_int_equal(sync_receipt_verify(text, NULL), SYNC_ERR_CRYPTO);
  free(text);
  cJSON_Delete(doc);
  /* Another place in the tree, another leaf count, an altered or shortened path. */
  static const char *const places[] = { "leaf_index", "leaf_count" };
  for (size_t i = 0; i < 2; i++) {
    doc = receipt_doc(f, NULL);
    cJSON *it = cJSON_GetObjectItem(doc, places[i]);
    cJSON_SetNumberValue(it, it->valuedouble + 1);
    text = print(doc);
    assert_int_equal(sync_receipt_verify(text, NULL), SYNC_ERR_CRYPTO);
    free(text);
    cJSON_Delete(doc);
  }
  for (int i = 0; i < 3; i++) {
    doc = receipt_doc(f, NULL);
    cJSON *path = cJSON_GetObjectItem(doc, "path");
    char hex[65];
    snprintf(hex, sizeof hex, "%s", cJSON_GetArrayItem(path, i)->valuestring);
    hex[63] = hex[63] == '0' ? '1' : '0';
    cJSON_ReplaceItemInArray(path, i, cJSON_CreateString(hex));
    text = print(doc);
    assert_int_equal(sync_receipt_verify(text, NULL), SYNC_ERR_CRYPTO);
    free(text);
    cJSON_DeleteItemFromArray(path, i);
    text = print(doc);
    assert_int_equal(sync_receipt_verify(text, NULL), SYNC_ERR_CRYPTO);
    free(text);
    cJSON_Delete(doc);
  }
}

static void test_receipt_of_another_key_is_refused(void **state)
{
  fixture_t *f = *state;
  st_ack_all(f->st.s, f->sk, 1732500000000LL);
  char *text = NULL;
  cJSON *doc = receipt_doc(f, &text);
  /* The document's own key is not the server's the officer expects. */
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  char pk64[sodium_base64_ENCODED_LEN(crypto_sign_PUBLICKEYBYTES, sodium_base64_VARIANT_ORIGINAL)];
  crypto_sign_keypair(pk, sk);
  sodium_bin2base64(pk64, sizeof pk64, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);
  assert_int_equal(sync_receipt_verify(text, pk64), SYNC_ERR_CRYPTO);
  /* Swapping the key inside the document breaks the signature. */
  cJSON_ReplaceItemInObject(doc, "receipt_key", cJSON_CreateString(pk64));
  char *swapped = print(doc);
  assert_int_equal(sync_receipt_verify(swapped, NULL), SYNC_ERR_CRYPTO);
  free(swapped);
  cJSON_Delete(doc);
  sync_free(text);

  /* A receipt the engine stored with a bad signature still comes out, and does not verify. */
  assert_int_equal(sync_record_revise(f->st.s, f->uuid, "{\"name\":\"B\"}"), SYNC_OK);
  st_ack_all(f->st.s, NULL, 1732600000000LL);
  doc = receipt_doc(f, &text);
  assert_int_equal(cJSON_GetObjectItem(doc, "revision")->valueint, 2);
  assert_int_equal(sync_receipt_verify(text, NULL), SYNC_ERR_CRYPTO);
  cJSON_Delete(doc);
  sync_free(text);
}

/* A forger makes a key pair of their own and a receipt signed with it: self-consistent, so the
 * document alone "verifies"; against the server key the store was enrolled with it does not. */
static void test_receipt_verify_trusts_the_enrolled_key_not_the_document(void **state)
{
  fixture_t *f = *state;
  st_ack_all(f->st.s, f->sk, 1732500000000LL);
  char *genuine = NULL, *forged = NULL, enrolled[128];
  cJSON_Delete(receipt_doc(f, &genuine));
  assert_int_equal(store_state_get(f->st.s, STATE_RECEIPT_KEY, enrolled, sizeof enrolled), SYNC_OK);

  fixture_t forger = { 0 };
  st_store_open(&forger.st);
  assert_int_equal(sync_form_add(forger.st.s, ST_VISIT_FORM, strlen(ST_VISIT_FORM), NULL, NULL),
                   SYNC_OK);
  st_enroll(forger.st.s, forger.sk); /* the forger's own "server" key, same server id */
  assert_int_equal(sync_record_create(forger.st.s, "visit", 0, "{\"name\":\"Siti\"}",
                                      SYNC_STATUS_FINAL, forger.uuid), SYNC_OK);
  st_ack_all(forger.st.s, forger.sk, 1732500000000LL);
  cJSON_Delete(receipt_doc(&forger, &forged));
  st_store_close(&forger.st);

  /* The attack: the document's own key vouches for it. */
  assert_int_equal(sync_receipt_verify(forged, NULL), SYNC_OK);
  /* The store trusts only its enrolled key: the forgery fails and says which key it used. */
  assert_int_equal(sync_store_receipt_verify(f->st.s, forged), SYNC_ERR_CRYPTO);
  assert_non_null(strstr(sync_store_errmsg(f->st.s), enrolled));
  assert_int_equal(sync_receipt_verify(forged, enrolled), SYNC_ERR_CRYPTO);
  /* Legitimate use: the server's own receipt verifies against the enrolled key. */
  assert_int_equal(sync_store_receipt_verify(f->st.s, genuine), SYNC_OK);
  assert_string_equal(sync_store_errmsg(f->st.s), "");
  assert_int_equal(sync_store_receipt_verify(f->st.s, "{not json"), SYNC_ERR_JSON);
  assert_int_equal(sync_store_receipt_verify(NULL, genuine), SYNC_ERR_INVALID_ARG);

  /* A store that was never enrolled has no key to trust: it refuses rather than falling back. */
  st_store_t bare;
  st_store_open(&bare);
  assert_int_equal(sync_store_receipt_verify(bare.s, genuine), SYNC_ERR_NOT_ENROLLED);
  assert_non_null(strstr(sync_store_errmsg(bare.s), "not enrolled"));
  st_store_close(&bare);
  sync_free(genuine);
  sync_free(forged);
}

static void test_what_is_not_a_receipt_is_refused(void **state)
{
  fixture_t *f = *state;
  st_ack_all(f->st.s, f->sk, 1732500000000LL);
  assert_int_equal(sync_receipt_verify(NULL, NULL), SYNC_ERR_INVALID_ARG);
  assert_int_equal(sync_receipt_verify("{not json", NULL), SYNC_ERR_JSON);
  assert_int_equal(sync_receipt_verify("[]", NULL), SYNC_ERR_INVALID_ARG);
  static const char *const drop[] = { "kind", "server_id", "signature", "receipt_key", "revision",
                                      "hlc", "leaf_index", "leaf_count", "path" };
  for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++) {
    cJSON *doc = receipt_doc(f, NULL);
    cJSON_DeleteItemFromObject(doc, drop[i]);
    char *text = print(doc);
    assert_int_equal(sync_receipt_verify(text, NULL), SYNC_ERR_INVALID_ARG);
    free(text);
    cJSON_Delete(doc);
  }
  cJSON *doc = receipt_doc(f, NULL);
  cJSON_ReplaceItemInObject(doc, "signature", cJSON_CreateString("not base64!"));
  char *text = print(doc);
  assert_int_equal(sync_receipt_verify(text, NULL), SYNC_ERR_INVALID_ARG);
  free(text);
  cJSON_ReplaceItemInObject(doc, "revision", cJSON_CreateNumber(1.5));
  text = print(doc);
  assert_int_equal(sync_receipt_verify(text, NULL), SYNC_ERR_INVALID_ARG);
  free(text);
  cJSON_Delete(doc);
  /* A path that is not hex hashes, a leaf outside the tree. */
  doc = receipt_doc(f, NULL);
  cJSON_ReplaceItemInArray(cJSON_GetObjectItem(doc, "path"), 0, cJSON_CreateString("zz"));
  text = print(doc);
  assert_int_equal(sync_receipt_verify(text, NULL), SYNC_ERR_INVALID_ARG);
  free(text);
  cJSON_Delete(doc);
  doc = receipt_doc(f, NULL);
  cJSON_SetNumberValue(cJSON_GetObjectItem(doc, "leaf_index"), 6);
  text = print(doc);
  assert_int_equal(sync_receipt_verify(text, NULL), SYNC_ERR_INVALID_ARG);
  free(text);
  cJSON_Delete(doc);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_record_without_receipt_has_none, setup, teardown),
    cmocka_unit_test_setup_teardown(test_newest_receipt_is_a_document_that_verifies, setup, teardown),
    cmocka_unit_test_setup_teardown(test_altered_receipt_does_not_verify, setup, teardown),
    cmocka_unit_test_setup_teardown(test_receipt_of_another_key_is_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_receipt_verify_trusts_the_enrolled_key_not_the_document,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(test_what_is_not_a_receipt_is_refused, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
