/* Sealing at finalize (proto/SECURITY.md 4, 9; sync/record.h): a record of an encrypted form keeps
 * only its clear part readable once final, the full answers sealed to the central key beside it;
 * sealed records cannot be revised but can be deleted; the outbox hands the engine the clear
 * part, the sealed text and the dedup hash. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "store_crypto.h"
#include "store_test.h"
#include "sync/seal.h"

typedef struct fixture {
  st_store_t st;
  char pub[SYNC_SEAL_KEY_B64_LEN + 1];
  char sec[SYNC_SEAL_KEY_B64_LEN + 1];
  char marker[32];
} fixture_t;

/* The reference form's context fields (consent and the fields kept without consent): a sealed
 * form must keep them clear (FORMS.md "Encryption"). */
static const char *const CLEAR[] = {"interview_date", "province", "regency_code", "unit_type",
                                    "unit_type_other", "unit_name", "interpreter_used",
                                    "interpreter_language", "safe_to_talk", "consent"};

/* The reference form made encrypted (clear: the context fields) with a duplicate key. */
static void make_encrypted(cJSON *form, void *ctx)
{
  const fixture_t *f = ctx;
  cJSON *enc = cJSON_AddObjectToObject(form, "encryption");
  cJSON_AddStringToObject(enc, "public_key", f->pub);
  cJSON *clear = cJSON_AddArrayToObject(enc, "clear_fields");
  for (size_t i = 0; i < sizeof CLEAR / sizeof CLEAR[0]; i++)
    cJSON_AddItemToArray(clear, cJSON_CreateString(CLEAR[i]));
  unsigned char key[32];
  char key64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
  randombytes_buf(key, sizeof key);
  sodium_bin2base64(key64, sizeof key64, key, sizeof key, sodium_base64_VARIANT_ORIGINAL);
  cJSON *dk = cJSON_AddObjectToObject(form, "duplicate_key");
  cJSON *fields = cJSON_AddArrayToObject(dk, "fields");
  cJSON_AddItemToArray(fields, cJSON_CreateString("full_name"));
  cJSON_AddItemToArray(fields, cJSON_CreateString("sex"));
  cJSON_AddStringToObject(dk, "key", key64);
}

static int setup(void **state)
{
  fixture_t *f = calloc(1, sizeof *f);
  assert_int_equal(sync_seal_keypair(f->pub, f->sec), SYNC_OK);
  st_marker(f->marker);
  st_store_open(&f->st);
  st_add_reference_form(f->st.s, make_encrypted, f);
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

static void check_clear_only(const char *payload)
{
  cJSON *o = cJSON_Parse(payload);
  assert_true(cJSON_IsObject(o));
  assert_true(cJSON_GetArraySize(o) >= 1);
  for (const cJSON *it = o->child; it; it = it->next) {
    size_t i = 0;
    while (i < sizeof CLEAR / sizeof CLEAR[0] && strcmp(it->string, CLEAR[i]) != 0)
      i++;
    if (i == sizeof CLEAR / sizeof CLEAR[0])
      fail_msg("the readable answers hold '%s', which is not a clear field", it->string);
  }
  cJSON_Delete(o);
}

static char *sealed_text(const fixture_t *f, const char *uuid, int revision)
{
  char sql[160];
  snprintf(sql, sizeof sql, "SELECT sealed FROM record_revisions WHERE uuid = '%s' AND revision = %d",
           uuid, revision);
  return st_raw_text(f->st.path, sql);
}

static void test_marker_test_encrypted_form(void **state)
{
  fixture_t *f = *state;
  char uuid[SYNC_UUID_STRLEN + 1];
  char *payload = st_marker_payload(f->marker, 11);
  sync_err_t err = sync_record_create(f->st.s, "tppo_screening", 1, payload, SYNC_STATUS_DRAFT, uuid);
  if (err)
    fail_msg("draft: %s", sync_store_errmsg(f->st.s));
  assert_false(st_dir_contains(f->st.dir, f->marker));
  sync_record_t *r = NULL;
  assert_int_equal(sync_record_get(f->st.s, uuid, &r), SYNC_OK);
  assert_non_null(strstr(sync_record_payload(r), f->marker)); /* a draft is readable */
  assert_int_equal(sync_record_sealed(r), 0);
  sync_record_free(r);

  err = sync_record_finalize(f->st.s, uuid);
  if (err)
    fail_msg("finalize: %s", sync_store_errmsg(f->st.s));
  assert_false(st_dir_contains(f->st.dir, f->marker));

  assert_int_equal(sync_record_get(f->st.s, uuid, &r), SYNC_OK);
  assert_int_equal(sync_record_sealed(r), 1);
  assert_null(strstr(sync_record_payload(r), f->marker));
  check_clear_only(sync_record_payload(r));
  char *json = NULL;
  assert_int_equal(sync_record_to_json(r, &json), SYNC_OK);
  assert_non_null(strstr(json, "\"sealed\":true"));
  assert_non_null(strstr(json, "\"purged\":false"));
  sync_free(json);
  sync_record_free(r);
  /* The draft's answers are gone from the records row. */
  char sql[128];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM records WHERE uuid = '%s' AND payload IS NULL", uuid);
  assert_int_equal(st_raw_int(f->st.path, sql), 1);

  /* Central staff open the sealed text with the private key and find the full answers. */
  char *sealed = sealed_text(f, uuid, 2);
  assert_non_null(sealed);
  char *definition = NULL, *answers = NULL;
  assert_int_equal(sync_form_get_json(f->st.s, "tppo_screening", 1, &definition), SYNC_OK);
  sync_seal_opener_t *opener = NULL;
  assert_int_equal(sync_seal_opener_new(f->sec, &opener), SYNC_OK);
  assert_int_equal(sync_seal_opener_open_record(opener, definition, strlen(definition), uuid,
                                                sealed, &answers), SYNC_OK);
  cJSON *opened = cJSON_Parse(answers);
  assert_string_equal(cJSON_GetObjectItem(opened, "full_name")->valuestring, f->marker);
  cJSON_Delete(opened);
  sync_free(answers);
  /* The text is bound to its record: under another uuid it does not open. */
  assert_int_equal(sync_seal_opener_open_record(opener, definition, strlen(definition),
                                                "0190a0b2-0000-7000-8000-00000000ffff", sealed,
                                                &answers), SYNC_ERR_CRYPTO);
  assert_null(answers);
  sync_seal_opener_free(opener);
  /* Another key cannot open it. */
  char other_pub[SYNC_SEAL_KEY_B64_LEN + 1], other_sec[SYNC_SEAL_KEY_B64_LEN + 1];
  assert_int_equal(sync_seal_keypair(other_pub, other_sec), SYNC_OK);
  assert_int_equal(sync_seal_opener_new(other_sec, &opener), SYNC_OK);
  assert_int_equal(sync_seal_opener_open_record(opener, definition, strlen(definition), uuid,
                                                sealed, &answers), SYNC_ERR_CRYPTO);
  sync_seal_opener_free(opener);
  sync_free(definition);
  free(sealed);
  free(payload);
}

static void test_create_final_seals_and_stores_the_dedup_hash(void **state)
{
  fixture_t *f = *state;
  char uuid[SYNC_UUID_STRLEN + 1], sql[160];
  char *payload = st_marker_payload(f->marker, 12);
  assert_int_equal(sync_record_create(f->st.s, "tppo_screening", 1, payload, SYNC_STATUS_FINAL, uuid), SYNC_OK);
  assert_false(st_dir_contains(f->st.dir, f->marker));
  sync_record_t *r = NULL;
  assert_int_equal(sync_record_get(f->st.s, uuid, &r), SYNC_OK);
  assert_int_equal(sync_record_sealed(r), 1);
  check_clear_only(sync_record_payload(r));
  sync_record_free(r);
  /* The hash is in the file only encrypted (SECURITY.md 9): 64 hex digits under the data key. */
  snprintf(sql, sizeof sql, "SELECT count(*) FROM record_revisions WHERE uuid = '%s'"
           " AND typeof(dedup) = 'blob' AND length(dedup) = 64 + %d", uuid, STORE_VALUE_OVERHEAD);
  assert_int_equal(st_raw_int(f->st.path, sql), 1);

  /* The engine gets the clear part, the sealed text and the hash. */
  store_sync_t *ss = NULL;
  st_pending_t p = { 0 };
  assert_int_equal(store_sync_new(f->st.s, &ss), SYNC_OK);
  assert_int_equal(store_outbox_scan(ss, 0, st_collect, &p), SYNC_OK);
  assert_int_equal(p.n, 1);
  store_sync_free(ss);
  free(payload);
}

/* Outbox callback: checks the one change against the stored revision. */
typedef struct scan_check {
  const fixture_t *f;
  int rows;
} scan_check_t;

static int check_change(void *ctx, const outbox_row_t *row)
{
  scan_check_t *c = ctx;
  const proto_change_t *ch = &row->change;
  c->rows++;
  assert_non_null(ch->sealed);
  char *stored = sealed_text(c->f, ch->uuid, (int)ch->revision);
  assert_string_equal(ch->sealed, stored);
  free(stored);
  assert_int_equal(strlen(ch->dedup), 64);
  assert_int_equal(strlen(ch->payload), row->payload_len);
  check_clear_only(ch->payload);
  return 0;
}

static void test_outbox_scan_gives_clear_part_sealed_and_dedup(void **state)
{
  fixture_t *f = *state;
  char *payload = st_marker_payload(f->marker, 13);
  assert_int_equal(sync_record_create(f->st.s, "tppo_screening", 1, payload, SYNC_STATUS_FINAL, NULL), SYNC_OK);
  store_sync_t *ss = NULL;
  scan_check_t c = { f, 0 };
  assert_int_equal(store_sync_new(f->st.s, &ss), SYNC_OK);
  assert_int_equal(store_outbox_scan(ss, 0, check_change, &c), SYNC_OK);
  assert_int_equal(c.rows, 1);
  store_sync_free(ss);
  free(payload);
}

static void test_sealed_record_cannot_be_revised_but_can_be_deleted(void **state)
{
  fixture_t *f = *state;
  char uuid[SYNC_UUID_STRLEN + 1];
  char *payload = st_marker_payload(f->marker, 14);
  assert_int_equal(sync_record_create(f->st.s, "tppo_screening", 1, payload, SYNC_STATUS_FINAL, uuid), SYNC_OK);
  assert_int_equal(sync_record_revise(f->st.s, uuid, payload), SYNC_ERR_STATE);
  assert_non_null(strstr(sync_store_errmsg(f->st.s), "sealed for the central office"));
  assert_non_null(strstr(sync_store_errmsg(f->st.s), uuid));
  assert_int_equal(sync_record_delete(f->st.s, uuid), SYNC_OK);
  sync_record_t *r = NULL;
  assert_int_equal(sync_record_get(f->st.s, uuid, &r), SYNC_OK);
  assert_int_equal(sync_record_deleted(r), 1);
  assert_string_equal(sync_record_payload(r), "{}");
  sync_record_free(r);
  char *tomb = sealed_text(f, uuid, 2);
  assert_null(tomb); /* a tombstone carries no sealed text */
  free(payload);
}

/* The dedup hashes the engine would send, in outbox order. */
typedef struct dedup_seen {
  char dedup[4][PROTO_DEDUP_LEN + 1];
  size_t n;
} dedup_seen_t;

static int collect_dedup(void *ctx, const outbox_row_t *row)
{
  dedup_seen_t *d = ctx;
  if (d->n == 4)
    return -1;
  snprintf(d->dedup[d->n++], sizeof d->dedup[0], "%s", row->change.dedup);
  return 0;
}

static void test_plain_form_with_duplicate_key_gets_dedup_only(void **state)
{
  fixture_t *f = *state;
  static const char form[] =
    "{\"format\":1,\"form_id\":\"intake\",\"version\":1,\"default_language\":\"id\",\"languages\":[\"id\"],"
    "\"title\":{\"id\":\"Penerimaan\"},\"choice_lists\":{},"
    "\"sections\":[{\"name\":\"main\",\"label\":{\"id\":\"Utama\"},\"fields\":["
    "{\"name\":\"full_name\",\"type\":\"text\",\"label\":{\"id\":\"Nama\"}}]}],"
    "\"duplicate_key\":{\"fields\":[\"full_name\"],\"key\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"}}";
  char a[SYNC_UUID_STRLEN + 1], b[SYNC_UUID_STRLEN + 1], c[SYNC_UUID_STRLEN + 1], sql[256];
  assert_int_equal(sync_form_add(f->st.s, form, strlen(form), NULL, NULL), SYNC_OK);
  assert_int_equal(sync_record_create(f->st.s, "intake", 1, "{\"full_name\":\"Siti  Aminah\"}", SYNC_STATUS_FINAL, a),
                   SYNC_OK);
  assert_int_equal(sync_record_create(f->st.s, "intake", 1, "{\"full_name\":\"siti aminah\"}", SYNC_STATUS_FINAL, b),
                   SYNC_OK);
  assert_int_equal(sync_record_create(f->st.s, "intake", 1, "{}", SYNC_STATUS_FINAL, c), SYNC_OK);
  snprintf(sql, sizeof sql, "SELECT count(*) FROM record_revisions WHERE uuid IN ('%s', '%s')"
           " AND typeof(dedup) = 'blob' AND sealed IS NULL", a, b);
  assert_int_equal(st_raw_int(f->st.path, sql), 2); /* encrypted in the file */
  snprintf(sql, sizeof sql, "SELECT count(*) FROM record_revisions WHERE uuid = '%s' AND dedup IS NULL", c);
  assert_int_equal(st_raw_int(f->st.path, sql), 1); /* unanswered: no hash */
  dedup_seen_t seen = { .n = 0 };
  store_sync_t *ss = NULL;
  assert_int_equal(store_sync_new(f->st.s, &ss), SYNC_OK);
  assert_int_equal(store_outbox_scan(ss, 0, collect_dedup, &seen), SYNC_OK);
  store_sync_free(ss);
  assert_int_equal(seen.n, 3);
  assert_int_equal(strlen(seen.dedup[0]), 64);
  assert_string_equal(seen.dedup[0], seen.dedup[1]); /* same person, same hash */
  assert_string_equal(seen.dedup[2], ""); /* sent without one */
  sync_record_t *r = NULL;
  assert_int_equal(sync_record_get(f->st.s, a, &r), SYNC_OK);
  assert_int_equal(sync_record_sealed(r), 0);
  assert_int_equal(sync_record_revise(f->st.s, a, "{\"full_name\":\"Siti A.\"}"), SYNC_OK);
  sync_record_free(r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_marker_test_encrypted_form, setup, teardown),
    cmocka_unit_test_setup_teardown(test_create_final_seals_and_stores_the_dedup_hash, setup, teardown),
    cmocka_unit_test_setup_teardown(test_outbox_scan_gives_clear_part_sealed_and_dedup, setup, teardown),
    cmocka_unit_test_setup_teardown(test_sealed_record_cannot_be_revised_but_can_be_deleted, setup, teardown),
    cmocka_unit_test_setup_teardown(test_plain_form_with_duplicate_key_gets_dedup_only, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
