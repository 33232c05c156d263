/* Sealed envelopes v2 end to end (proto/SECURITY.md 4) in the secure setup: the reference form
 * published sealed (form publish trains its compression dictionary), the device enrolled with a
 * one-time code, HTTPS. Records an officer finalizes are sealed on the device with the form's
 * dictionary, the server stores the very same text, and central opens it to exactly the answers
 * the device sealed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cJSON.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seal_v2.h"
#include "sync/seal.h"
#include "sync_fixture.h"
#include "test_support.h"

/* The text in column 0 of `sql` (one row, one ?1 text parameter) in database `path`; caller
 * frees. */
static char *query_text(const char *path, const char *sql, const char *param)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  if (param)
    sqlite3_bind_text(st, 1, param, -1, SQLITE_STATIC);
  char *out = NULL;
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    out = strdup((const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

/* The published definition's dictionary id (0 when it has none). */
static uint32_t published_dictionary(const char *definition)
{
  cJSON *def = cJSON_Parse(definition);
  const cJSON *id = cJSON_GetObjectItem(cJSON_GetObjectItem(def, "encryption"), "dictionary_id");
  uint32_t out = cJSON_IsNumber(id) ? (uint32_t)id->valuedouble : 0;
  cJSON_Delete(def);
  return out;
}

static void test_a_record_sealed_on_the_device_opens_byte_identical_centrally(void **state)
{
  (void)state;
  enum { N = 30 };
  fx_device_t dev;
  fx_server_t srv;
  cJSON *kept = cJSON_CreateObject();
  assert_int_equal(fx_world_create(&dev, &srv, FX_SECURE, N, 41, kept), 0);
  sync_status_t st;
  assert_int_equal(fx_sync_once(&dev, &srv, &st), SYNC_OK);
  assert_int_equal(st.pending, 0);
  char why[512] = "";
  if (fx_verify_export(&srv, kept, why, sizeof why) != 0)
    fail_msg("central's export: %s", why);

  /* the definition as the device got it by pull (the server's copy keeps the duplicate key) */
  sync_store_t *store = NULL;
  char *definition = NULL;
  assert_int_equal(fx_store_open(dev.path, &store), SYNC_OK);
  assert_int_equal(sync_form_get_json(store, FX_FORM_ID, 1, &definition), SYNC_OK);
  sync_store_close(store);
  uint32_t dict_id = published_dictionary(definition);
  assert_true(dict_id != 0);   /* form publish --seal-to trained one */
  size_t keylen = 0;
  char *keyfile = ts_read_file(srv.seal_key, &keylen);   /* syncserver keygen's JSON */
  cJSON *key = cJSON_Parse(keyfile);
  sync_seal_opener_t *opener = NULL;
  assert_int_equal(sync_seal_opener_new(cJSON_GetStringValue(cJSON_GetObjectItem(key, "secret_key")),
                                        &opener), SYNC_OK);
  cJSON_Delete(key);
  free(keyfile);

  size_t raw_total = 0, sealed_total = 0;
  for (const cJSON *k = kept->child; k; k = k->next) {
    char *on_device = query_text(dev.path, "SELECT sealed FROM record_revisions WHERE uuid = ?1"
                                 " AND sealed IS NOT NULL ORDER BY revision DESC LIMIT 1",
                                 k->string);
    char *on_server = query_text(srv.db, "SELECT r.sealed FROM record_revisions r JOIN"
                                 " record_keys k ON k.server_seq = r.server_seq WHERE k.uuid = ?1"
                                 " AND r.sealed IS NOT NULL", k->string);
    assert_non_null(on_device);
    assert_non_null(on_server);
    assert_string_equal(on_device, on_server);   /* the same bytes, carried as they were */

    /* a v2 text, compressed with the form's dictionary */
    unsigned char raw[8192];
    size_t n = 0;
    assert_int_equal(sodium_base642bin(raw, sizeof raw, on_server, strlen(on_server), NULL, &n,
                                       NULL, sodium_base64_VARIANT_ORIGINAL), 0);
    assert_true(seal_v2_looks(raw, n));
    assert_int_equal(raw[1], SEAL_COMP_ZSTD);
    assert_int_equal((uint32_t)raw[2] | (uint32_t)raw[3] << 8 | (uint32_t)raw[4] << 16 |
                     (uint32_t)raw[5] << 24, dict_id);

    /* opened centrally: exactly the answers the officer saved, no more, no less */
    char *answers = NULL;
    assert_int_equal(sync_seal_opener_open_record(opener, definition, strlen(definition),
                                                  k->string, on_server, &answers), SYNC_OK);
    cJSON *opened = cJSON_Parse(answers);
    if (!cJSON_Compare(opened, k, 1))
      fail_msg("record %s opens to %s", k->string, answers);
    char *saved = cJSON_PrintUnformatted(k);
    assert_string_equal(answers, saved);   /* byte for byte */
    raw_total += strlen(saved);
    sealed_total += n;
    free(saved);
    cJSON_Delete(opened);
    sync_free(answers);
    free(on_device);
    free(on_server);
  }
  /* compression pays: the sealed bytes are well under the answers' own JSON */
  assert_true(sealed_total * 4 < raw_total);
  sync_seal_opener_free(opener);
  sync_free(definition);
  cJSON_Delete(kept);
  fx_device_destroy(&dev);
  fx_server_destroy(&srv);
}

int main(void)
{
  if (sodium_init() < 0)
    return 1;
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_a_record_sealed_on_the_device_opens_byte_identical_centrally),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
