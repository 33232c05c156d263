/* Encryption at rest (proto/SECURITY.md 5, sync/store.h): passphrases (wrong, missing, short,
 * changed), the test key derivation cost only where the environment allows it, values that were altered or moved between rows, answers that never reach the files in
 * clear (drafts, finals, secrets, conflict values, revisions kept aside), and the in-place
 * encryption of a schema-2 store. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <unistd.h>

#include "store_test.h"

/* Backquotes stand for double quotes. */
static const char FORM[] =
  "{`format`:1,`form_id`:`visit`,`version`:1,`default_language`:`id`,`languages`:[`id`],"
  "`title`:{`id`:`Kunjungan`},`choice_lists`:{},"
  "`sections`:[{`name`:`main`,`label`:{`id`:`Utama`},`fields`:["
  "{`name`:`name`,`type`:`text`,`label`:{`id`:`Nama`},`required`:true},"
  "{`name`:`note`,`type`:`text`,`label`:{`id`:`Catatan`}}]}]}";

typedef struct fixture {
  char *dir;
  char *path;
} fixture_t;

static int setup(void **state)
{
  fixture_t *f = calloc(1, sizeof *f);
  f->dir = ts_tempdir();
  f->path = ts_path(f->dir, "store.db");
  *state = f;
  return f->dir && f->path ? 0 : -1;
}

static int teardown(void **state)
{
  fixture_t *f = *state;
  ts_rmtree(f->dir);
  free(f->dir);
  free(f->path);
  free(f);
  return 0;
}

static void add_form(sync_store_t *s)
{
  char *json = strdup(FORM);
  for (char *p = json; *p; p++)
    if (*p == '`')
      *p = '"';
  assert_int_equal(sync_form_add(s, json, strlen(json), NULL, NULL), SYNC_OK);
  free(json);
}

static void save(sync_store_t *s, const char *name, sync_record_status_t status, char *uuid)
{
  char payload[160];
  snprintf(payload, sizeof payload, "{\"name\":\"%s\"}", name);
  sync_err_t err = sync_record_create(s, "visit", 0, payload, status, uuid);
  if (err)
    fail_msg("save %s: %s: %s", name, sync_errname(err), sync_store_errmsg(s));
}

static sync_store_t *store_with_form(const fixture_t *f)
{
  sync_store_t *s = st_open(f->path);
  add_form(s);
  return s;
}

/* ---- passphrases ------------------------------------------------------------------------------ */

static void test_wrong_passphrase_is_refused_and_opens_nothing(void **state)
{
  fixture_t *f = *state;
  char uuid[SYNC_UUID_STRLEN + 1];
  sync_store_t *s = store_with_form(f);
  save(s, "Siti", SYNC_STATUS_FINAL, uuid);
  sync_store_close(s);

  s = (sync_store_t *)f;
  assert_int_equal(st_open_with(f->path, "not the passphrase", &s), SYNC_ERR_PASSPHRASE);
  assert_null(s);
  /* A wrong one shorter than the minimum is still "wrong", not "too short": the store exists. */
  assert_int_equal(st_open_with(f->path, "x", &s), SYNC_ERR_PASSPHRASE);
  assert_null(s);
  s = st_open(f->path);
  sync_record_t *r = NULL;
  assert_int_equal(sync_record_get(s, uuid, &r), SYNC_OK);
  assert_non_null(strstr(sync_record_payload(r), "Siti"));
  sync_record_free(r);
  sync_store_close(s);
}

static void test_missing_passphrase_is_refused(void **state)
{
  fixture_t *f = *state;
  sync_store_t *s = (sync_store_t *)f;
  /* Creating without one writes nothing. */
  assert_int_equal(st_open_with(f->path, NULL, &s), SYNC_ERR_PASSPHRASE);
  assert_null(s);
  assert_int_not_equal(access(f->path, F_OK), 0);
  sync_store_close(st_open(f->path));
  assert_int_equal(st_open_with(f->path, NULL, &s), SYNC_ERR_PASSPHRASE);
  assert_null(s);
}

static void test_short_passphrase_is_refused_when_creating(void **state)
{
  fixture_t *f = *state;
  sync_store_t *s = (sync_store_t *)f;
  char short_one[SYNC_PASSPHRASE_MIN];
  memset(short_one, 'a', sizeof short_one - 1);
  short_one[sizeof short_one - 1] = '\0';
  assert_int_equal(st_open_with(f->path, short_one, &s), SYNC_ERR_INVALID_ARG);
  assert_null(s);
  assert_int_equal(access(f->path, F_OK), -1); /* no empty store left behind */
  assert_int_equal(st_open_with(f->path, "", &s), SYNC_ERR_INVALID_ARG);
  /* Exactly the minimum is enough. */
  char enough[SYNC_PASSPHRASE_MIN + 1];
  memset(enough, 'b', sizeof enough - 1);
  enough[sizeof enough - 1] = '\0';
  assert_int_equal(st_open_with(f->path, enough, &s), SYNC_OK);
  sync_store_close(s);
  assert_int_equal(st_open_with(f->path, enough, &s), SYNC_OK);
  sync_store_close(s);
}

static void test_key_is_wrapped_in_meta_as_documented(void **state)
{
  fixture_t *f = *state;
  sync_store_close(st_open(f->path));
  char *kdf = st_raw_text(f->path, "SELECT value FROM meta WHERE key = 'key_kdf'");
  char *wrapped = st_raw_text(f->path, "SELECT value FROM meta WHERE key = 'key_wrapped'");
  assert_non_null(kdf);
  assert_non_null(wrapped);
  char expect[64];
  snprintf(expect, sizeof expect, "argon2id13:%llu:%zu:", (unsigned long long)crypto_pwhash_OPSLIMIT_MIN,
           (size_t)crypto_pwhash_MEMLIMIT_MIN);
  assert_memory_equal(kdf, expect, strlen(expect));
  assert_int_equal(strlen(kdf + strlen(expect)), 24); /* base64 of a 16-byte salt */
  assert_int_equal(strlen(wrapped), 96);              /* base64 of nonce24 + key32 + tag16 */
  free(kdf);
  free(wrapped);
  assert_int_equal(st_raw_int(f->path, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
}

/* The cost a store's key_kdf names: "argon2id13:<ops>:<mem>:" into out. */
static void kdf_prefix(char *out, size_t len, unsigned long long ops, size_t mem)
{
  snprintf(out, len, "argon2id13:%llu:%zu:", ops, mem);
}

static int key_kdf_starts_with(const char *path, const char *prefix)
{
  char *kdf = st_raw_text(path, "SELECT value FROM meta WHERE key = 'key_kdf'");
  assert_non_null(kdf);
  int yes = strncmp(kdf, prefix, strlen(prefix)) == 0;
  free(kdf);
  return yes;
}

/* ctest runs this program with SYNC_ALLOW_TEST_KDF=1; this test takes it away and gives it back. */
static void test_test_kdf_is_refused_without_the_switch(void **state)
{
  fixture_t *f = *state;
  char test_cost[64], interactive[64];
  kdf_prefix(test_cost, sizeof test_cost, crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN);
  kdf_prefix(interactive, sizeof interactive, crypto_pwhash_OPSLIMIT_INTERACTIVE,
             crypto_pwhash_MEMLIMIT_INTERACTIVE);
  sync_store_t *s = NULL;

  /* A test fixture (switch on) makes a store at the test cost. */
  assert_int_equal(setenv(SYNC_ALLOW_TEST_KDF_ENV, "1", 1), 0);
  assert_int_equal(sync_store_test_kdf_allowed(), 1);
  s = st_open(f->path);
  add_form(s);
  save(s, "Wayan", SYNC_STATUS_DRAFT, NULL);
  sync_store_close(s);
  assert_true(key_kdf_starts_with(f->path, test_cost));

  /* Switch off ("0" is off too): creating at the test cost is refused and leaves no file. */
  assert_int_equal(setenv(SYNC_ALLOW_TEST_KDF_ENV, "0", 1), 0);
  assert_int_equal(sync_store_test_kdf_allowed(), 0);
  assert_int_equal(unsetenv(SYNC_ALLOW_TEST_KDF_ENV), 0);
  assert_int_equal(sync_store_test_kdf_allowed(), 0);
  char *fresh = ts_path(f->dir, "fresh.db");
  assert_int_equal(st_open_with(fresh, ST_PASSPHRASE, &s), SYNC_ERR_INVALID_ARG);
  assert_null(s);
  assert_int_not_equal(access(fresh, F_OK), 0);

  /* The existing test-cost store still opens (its data is not stranded), read-only without a
   * write, and a read-write open re-wraps its key at the interactive cost. */
  sync_store_opts_t o;
  sync_store_opts_init(&o);
  o.passphrase = ST_PASSPHRASE;
  o.read_only = 1;
  assert_int_equal(sync_store_open(f->path, &o, &s), SYNC_OK);
  sync_store_close(s);
  assert_true(key_kdf_starts_with(f->path, test_cost));
  o.read_only = 0;
  assert_int_equal(sync_store_open(f->path, &o, &s), SYNC_OK);
  /* A passphrase change cannot bring the test cost back; a real cost is accepted. */
  assert_int_equal(sync_store_change_passphrase(s, ST_PASSPHRASE, "new passphrase 2", SYNC_KDF_TEST),
                   SYNC_ERR_INVALID_ARG);
  assert_non_null(strstr(sync_store_errmsg(s), SYNC_ALLOW_TEST_KDF_ENV));
  sync_store_close(s);
  assert_true(key_kdf_starts_with(f->path, interactive));
  sync_store_stats_t st;
  assert_int_equal(sync_store_open(f->path, &o, &s), SYNC_OK); /* same passphrase, same data */
  assert_int_equal(sync_store_stats(s, &st), SYNC_OK);
  assert_int_equal(st.drafts, 1);
  sync_store_close(s);

  /* With the switch on again the test cost is accepted as before. */
  assert_int_equal(setenv(SYNC_ALLOW_TEST_KDF_ENV, "1", 1), 0);
  assert_int_equal(st_open_with(fresh, ST_PASSPHRASE, &s), SYNC_OK);
  assert_int_equal(sync_store_change_passphrase(s, ST_PASSPHRASE, "new passphrase 2", SYNC_KDF_TEST),
                   SYNC_OK);
  sync_store_close(s);
  assert_true(key_kdf_starts_with(fresh, test_cost));
  free(fresh);
}

/* The switch back on after a test that takes it away, even when that test failed. */
static int teardown_switch(void **state)
{
  setenv(SYNC_ALLOW_TEST_KDF_ENV, "1", 1);
  return teardown(state);
}

static void test_change_passphrase_rewraps_the_key_only(void **state)
{
  fixture_t *f = *state;
  char uuid[SYNC_UUID_STRLEN + 1];
  sync_store_t *s = store_with_form(f);
  save(s, "Wayan", SYNC_STATUS_FINAL, uuid);
  char *before = st_raw_text(f->path, "SELECT hex(payload) FROM record_revisions");
  char *salt_before = st_raw_text(f->path, "SELECT value FROM meta WHERE key = 'key_kdf'");

  assert_int_equal(sync_store_change_passphrase(s, "wrong old passphrase", "new passphrase 2", SYNC_KDF_TEST),
                   SYNC_ERR_PASSPHRASE);
  assert_int_equal(sync_store_change_passphrase(s, ST_PASSPHRASE, "short", SYNC_KDF_TEST), SYNC_ERR_INVALID_ARG);
  assert_int_equal(sync_store_change_passphrase(s, ST_PASSPHRASE, NULL, SYNC_KDF_TEST), SYNC_ERR_INVALID_ARG);
  assert_int_equal(sync_store_change_passphrase(s, ST_PASSPHRASE, "new passphrase 2", SYNC_KDF_TEST),
                   SYNC_OK);
  /* The handle goes on working with the same data key. */
  save(s, "Made after the change", SYNC_STATUS_DRAFT, NULL);
  sync_store_close(s);

  char *after = st_raw_text(f->path, "SELECT hex(payload) FROM record_revisions");
  char *salt_after = st_raw_text(f->path, "SELECT value FROM meta WHERE key = 'key_kdf'");
  assert_string_equal(before, after); /* records are not re-encrypted */
  assert_string_not_equal(salt_before, salt_after);
  free(before);
  free(after);
  free(salt_before);
  free(salt_after);

  assert_int_equal(st_open_with(f->path, ST_PASSPHRASE, &s), SYNC_ERR_PASSPHRASE);
  assert_int_equal(st_open_with(f->path, "new passphrase 2", &s), SYNC_OK);
  sync_record_t *r = NULL;
  assert_int_equal(sync_record_get(s, uuid, &r), SYNC_OK);
  assert_non_null(strstr(sync_record_payload(r), "Wayan"));
  sync_record_free(r);
  sync_store_stats_t st;
  assert_int_equal(sync_store_stats(s, &st), SYNC_OK);
  assert_int_equal(st.drafts, 1);
  sync_store_close(s);
}

/* ---- altered and moved values ------------------------------------------------------------------ */

/* Flips one byte in the middle of the BLOB selected by `where` in table.column. */
static void flip_byte(const char *path, const char *table, const char *column, const char *where)
{
  sqlite3 *db;
  sqlite3_stmt *st;
  char sql[256];
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  snprintf(sql, sizeof sql, "SELECT rowid, %s FROM %s WHERE %s", column, table, where);
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  int64_t rowid = sqlite3_column_int64(st, 0);
  int n = sqlite3_column_bytes(st, 1);
  assert_int_equal(sqlite3_column_type(st, 1), SQLITE_BLOB);
  unsigned char *blob = malloc((size_t)n);
  memcpy(blob, sqlite3_column_blob(st, 1), (size_t)n);
  sqlite3_finalize(st);
  blob[n / 2] ^= 0x01;
  snprintf(sql, sizeof sql, "UPDATE %s SET %s = ?1 WHERE rowid = ?2", table, column);
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  sqlite3_bind_blob(st, 1, blob, n, free);
  sqlite3_bind_int64(st, 2, rowid);
  assert_int_equal(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

static void expect_corrupt(sync_store_t *s, const char *uuid)
{
  sync_record_t *r = (sync_record_t *)s;
  assert_int_equal(sync_record_get(s, uuid, &r), SYNC_ERR_CORRUPT);
  assert_null(r);
  assert_non_null(strstr(sync_store_errmsg(s), uuid));
  sync_record_list_t *list = NULL;
  assert_int_equal(sync_record_list(s, NULL, &list), SYNC_ERR_CORRUPT);
  assert_null(list);
  assert_non_null(strstr(sync_store_errmsg(s), uuid));
}

static void test_altered_value_is_corrupt_naming_the_record(void **state)
{
  fixture_t *f = *state;
  char fin[SYNC_UUID_STRLEN + 1], draft[SYNC_UUID_STRLEN + 1], where[96];
  sync_store_t *s = store_with_form(f);
  save(s, "Final", SYNC_STATUS_FINAL, fin);
  save(s, "Draft", SYNC_STATUS_DRAFT, draft);
  sync_store_close(s);

  snprintf(where, sizeof where, "uuid = '%s'", fin);
  flip_byte(f->path, "record_revisions", "payload", where);
  s = st_open(f->path);
  expect_corrupt(s, fin);
  sync_record_t *r = NULL;
  assert_int_equal(sync_record_get(s, draft, &r), SYNC_OK); /* the others stay readable */
  sync_record_free(r);
  sync_store_close(s);

  snprintf(where, sizeof where, "uuid = '%s'", draft);
  flip_byte(f->path, "records", "payload", where);
  s = st_open(f->path);
  assert_int_equal(sync_record_get(s, draft, &r), SYNC_ERR_CORRUPT);
  assert_non_null(strstr(sync_store_errmsg(s), draft));
  assert_int_equal(sync_record_update(s, draft, "{\"name\":\"x\"}"), SYNC_ERR_CORRUPT);
  sync_store_close(s);
}

static void test_value_moved_to_another_row_fails_authentication(void **state)
{
  fixture_t *f = *state;
  char a[SYNC_UUID_STRLEN + 1], b[SYNC_UUID_STRLEN + 1], sql[256];
  sync_store_t *s = store_with_form(f);
  save(s, "Ani", SYNC_STATUS_FINAL, a);
  save(s, "Budi", SYNC_STATUS_FINAL, b);
  assert_int_equal(sync_record_revise(s, a, "{\"name\":\"Ani revised\"}"), SYNC_OK);
  sync_store_close(s);

  /* Revision 1 of record a copied over revision 2 of the same record: the revision differs. */
  snprintf(sql, sizeof sql, "UPDATE record_revisions SET payload = (SELECT payload FROM record_revisions"
           " WHERE uuid = '%s' AND revision = 1) WHERE uuid = '%s' AND revision = 2", a, a);
  st_raw_int(f->path, sql);
  s = st_open(f->path);
  expect_corrupt(s, a);

  /* Record b's answers copied to record c's row, both at revision 1: only the uuid differs. */
  char c[SYNC_UUID_STRLEN + 1];
  save(s, "Citra", SYNC_STATUS_FINAL, c);
  sync_store_close(s);
  snprintf(sql, sizeof sql, "UPDATE record_revisions SET payload = (SELECT payload FROM record_revisions"
           " WHERE uuid = '%s') WHERE uuid = '%s'", b, c);
  st_raw_int(f->path, sql);
  s = st_open(f->path);
  sync_record_t *rc = (sync_record_t *)s;
  assert_int_equal(sync_record_get(s, c, &rc), SYNC_ERR_CORRUPT);
  assert_null(rc);
  assert_non_null(strstr(sync_store_errmsg(s), c));
  sync_record_t *r = NULL;
  assert_int_equal(sync_record_get(s, b, &r), SYNC_OK);
  sync_record_free(r);
  sync_store_close(s);
}

/* ---- nothing in clear ------------------------------------------------------------------------- */


static void test_marker_never_reaches_the_files_for_a_plain_form(void **state)
{
  fixture_t *f = *state;
  char marker[32], uuid[SYNC_UUID_STRLEN + 1];
  st_marker(marker);
  sync_store_t *s = st_open(f->path);
  st_add_reference_form(s, NULL, NULL);
  char *payload = st_marker_payload(marker, 7);
  sync_err_t err = sync_record_create(s, "tppo_screening", 1, payload, SYNC_STATUS_DRAFT, uuid);
  if (err)
    fail_msg("draft: %s", sync_store_errmsg(s));
  assert_false(st_dir_contains(f->dir, marker));
  assert_int_equal(sync_record_update(s, uuid, payload), SYNC_OK);
  assert_false(st_dir_contains(f->dir, marker));
  err = sync_record_finalize(s, uuid);
  if (err)
    fail_msg("finalize: %s", sync_store_errmsg(s));
  assert_false(st_dir_contains(f->dir, marker));

  /* Through the API the answers are there, and the form is not sealed. */
  sync_record_t *r = NULL;
  assert_int_equal(sync_record_get(s, uuid, &r), SYNC_OK);
  assert_non_null(strstr(sync_record_payload(r), marker));
  assert_int_equal(sync_record_sealed(r), 0);
  sync_record_free(r);
  sync_store_close(s);
  assert_false(st_dir_contains(f->dir, marker));
  /* The test can see the marker when it is in a file (it is not blind). */
  st_raw_int(f->path, "CREATE TABLE probe(x TEXT)");
  char sql[96];
  snprintf(sql, sizeof sql, "INSERT INTO probe VALUES('%s')", marker);
  st_raw_int(f->path, sql);
  assert_true(st_dir_contains(f->dir, marker));
  free(payload);
}

static void test_secret_state_is_encrypted_and_bound_to_its_key(void **state)
{
  fixture_t *f = *state;
  char marker[32], buf[64];
  st_marker(marker);
  sync_store_t *s = st_open(f->path);
  assert_int_equal(store_state_set_secret(s, STATE_SECRET, marker), SYNC_OK);
  assert_false(st_dir_contains(f->dir, marker));
  assert_int_equal(store_state_get_secret(s, STATE_SECRET, buf, sizeof buf), SYNC_OK);
  assert_string_equal(buf, marker);
  assert_int_equal(store_state_get_secret(s, "absent", buf, sizeof buf), SYNC_ERR_NOT_FOUND);
  sync_store_close(s);

  /* Moved under another key, it no longer opens. */
  st_raw_int(f->path, "INSERT INTO sync_state(key, value) SELECT 'other_secret', value FROM sync_state"
                      " WHERE key = 'credential_secret'");
  s = st_open(f->path);
  assert_int_equal(store_state_get_secret(s, "other_secret", buf, sizeof buf), SYNC_ERR_CORRUPT);
  sync_store_close(s);
  flip_byte(f->path, "sync_state", "value", "key = 'credential_secret'");
  s = st_open(f->path);
  assert_int_equal(store_state_get_secret(s, STATE_SECRET, buf, sizeof buf), SYNC_ERR_CORRUPT);
  sync_store_close(s);
}

/* A conflict receipt whose merged revision the device must keep aside (it still has the record's
 * revision pending): both the conflict values and the kept-aside answers are encrypted. */
static void test_conflict_values_and_aside_revisions_are_encrypted(void **state)
{
  fixture_t *f = *state;
  char marker[32], uuid[SYNC_UUID_STRLEN + 1], central[96], merged_payload[128], hlc[80];
  st_marker(marker);
  sync_store_t *s = store_with_form(f);
  save(s, "Device name", SYNC_STATUS_FINAL, uuid);
  sync_record_t *r = NULL;
  assert_int_equal(sync_record_get(s, uuid, &r), SYNC_OK);
  snprintf(hlc, sizeof hlc, "%015lld-00000-%s", (long long)store_now_ms() + 1000, ST_SERVER_ID);
  assert_int_equal(strlen(hlc), PROTO_HLC_LEN);

  snprintf(central, sizeof central, "\"%s\"", marker);
  snprintf(merged_payload, sizeof merged_payload, "{\"name\":\"%s\"}", marker);
  proto_change_t merged = { .revision = 2, .base_revision = 1, .op = PROTO_OP_UPSERT,
                            .form_version = 1, .created_at = sync_record_created_at(r),
                            .updated_at = store_now_ms(), .payload = merged_payload,
                            .origin = PROTO_ORIGIN_CENTRAL, .author = "system:merge" };
  snprintf(merged.uuid, sizeof merged.uuid, "%s", uuid);
  snprintf(merged.base_hlc, sizeof merged.base_hlc, "%s", sync_record_hlc(r));
  snprintf(merged.form_id, sizeof merged.form_id, "visit");
  memcpy(merged.hlc, hlc, PROTO_HLC_LEN);
  proto_conflict_field_t field = { .field = "name", .winner = PROTO_SIDE_CENTRAL,
                                   .device_value = "\"Device name\"", .central_value = central };
  proto_conflict_t conflict = { .conflict_id = "0b3c6c1e-1111-4a2b-8c3d-222233334444",
                                .base_revision = 0, .central_revision = 1, .fields = &field,
                                .n_fields = 1 };
  memcpy(conflict.central_hlc, hlc, PROTO_HLC_LEN);
  proto_receipt_t receipt = { .revision = 1, .outcome = PROTO_OUTCOME_CONFLICT, .server_seq = 9,
                              .received_at = store_now_ms(), .merged = &merged, .conflict = &conflict };
  snprintf(receipt.uuid, sizeof receipt.uuid, "%s", uuid);

  store_sync_t *ss = NULL;
  int64_t added = 0;
  apply_result_t res;
  assert_int_equal(store_sync_new(s, &ss), SYNC_OK);
  assert_int_equal(store_sync_begin(ss), SYNC_OK);
  assert_int_equal(store_apply_conflict(ss, &receipt, sync_record_hlc(r), &added, &res), SYNC_OK);
  assert_int_equal(store_sync_commit(ss), SYNC_OK);
  assert_int_equal(added, 1);
  assert_int_equal(res, APPLY_ASIDE);
  assert_int_equal(st_raw_int(f->path, "SELECT count(*) FROM remote_pending"), 1);
  assert_false(st_dir_contains(f->dir, marker));

  sync_conflict_list_t *list = NULL;
  assert_int_equal(sync_conflict_list(s, uuid, 0, &list), SYNC_OK);
  assert_int_equal(sync_conflict_list_count(list), 1);
  assert_string_equal(sync_conflict_central_value(list, 0), central);
  assert_string_equal(sync_conflict_device_value(list, 0), "\"Device name\"");
  sync_conflict_list_free(list);

  /* Once the device's revision is acknowledged, the kept-aside revision becomes the head. */
  st_ack_all(s, NULL, store_now_ms());
  int64_t applied = 0;
  assert_int_equal(store_sync_begin(ss), SYNC_OK);
  assert_int_equal(store_apply_recheck_aside(ss, &applied), SYNC_OK);
  assert_int_equal(store_sync_commit(ss), SYNC_OK);
  assert_int_equal(applied, 1);
  store_sync_free(ss);
  sync_record_free(r);
  assert_int_equal(sync_record_get(s, uuid, &r), SYNC_OK);
  assert_int_equal(sync_record_revision(r), 2);
  assert_string_equal(sync_record_payload(r), merged_payload);
  sync_record_free(r);
  sync_store_close(s);
  assert_false(st_dir_contains(f->dir, marker));
}

/* ---- schema 2 (plaintext) to 3 ------------------------------------------------------------------ */

/* The schema of the previous release (store_schema.c versions 1 and 2), as it created stores. */
static const char SCHEMA_V2_STORE[] =
  "PRAGMA journal_mode = WAL;"
  "CREATE TABLE meta(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);"
  "CREATE TABLE forms(form_id TEXT NOT NULL, version INTEGER NOT NULL CHECK (version >= 1),"
  "  definition TEXT NOT NULL, sha256 TEXT NOT NULL, title TEXT NOT NULL,"
  "  default_language TEXT NOT NULL, added_at INTEGER NOT NULL, PRIMARY KEY (form_id, version));"
  "CREATE TABLE records(id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, form_id TEXT NOT NULL,"
  "  form_version INTEGER NOT NULL, revision INTEGER NOT NULL CHECK (revision >= 1),"
  "  hlc TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('draft', 'final')),"
  "  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
  "  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),"
  "  payload TEXT CHECK ((payload IS NOT NULL) = (status = 'draft')),"
  "  FOREIGN KEY (form_id, form_version) REFERENCES forms(form_id, version));"
  "CREATE INDEX records_by_updated ON records(updated_at);"
  "CREATE INDEX records_by_form ON records(form_id, updated_at);"
  "CREATE INDEX records_by_status ON records(status, deleted, updated_at);"
  "CREATE TABLE record_revisions(id INTEGER PRIMARY KEY, record_id INTEGER NOT NULL REFERENCES records(id),"
  "  uuid TEXT NOT NULL, revision INTEGER NOT NULL CHECK (revision >= 1), form_id TEXT NOT NULL,"
  "  form_version INTEGER NOT NULL, hlc TEXT NOT NULL,"
  "  status TEXT NOT NULL CHECK (status IN ('draft', 'final')),"
  "  deleted INTEGER NOT NULL CHECK (deleted IN (0, 1)), payload TEXT NOT NULL,"
  "  written_at INTEGER NOT NULL,"
  "  origin TEXT NOT NULL DEFAULT 'local' CHECK (origin IN ('local', 'remote')),"
  "  UNIQUE (record_id, revision));"
  "CREATE TABLE outbox(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  revision_id INTEGER NOT NULL UNIQUE REFERENCES record_revisions(id), uuid TEXT NOT NULL,"
  "  revision INTEGER NOT NULL, op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),"
  "  created_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,"
  "  acked_at INTEGER, server_seq INTEGER, receipt_time INTEGER);"
  "CREATE INDEX outbox_pending ON outbox(seq) WHERE acked_at IS NULL;"
  "CREATE TABLE sync_state(key TEXT PRIMARY KEY NOT NULL, value);"
  "CREATE TABLE conflicts(id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, local_revision INTEGER,"
  "  remote_revision INTEGER, losing_hlc TEXT, losing_payload TEXT,"
  "  winner TEXT NOT NULL CHECK (winner IN ('local', 'remote')), detected_at INTEGER NOT NULL,"
  "  resolved_at INTEGER);"
  "CREATE INDEX conflicts_open ON conflicts(uuid) WHERE resolved_at IS NULL;"
  "ALTER TABLE outbox ADD COLUMN failed_at INTEGER;"
  "ALTER TABLE conflicts ADD COLUMN conflict_id TEXT;"
  "ALTER TABLE conflicts ADD COLUMN field TEXT;"
  "ALTER TABLE conflicts ADD COLUMN device_value TEXT;"
  "ALTER TABLE conflicts ADD COLUMN central_value TEXT;"
  "ALTER TABLE conflicts ADD COLUMN merged_revision INTEGER;"
  "ALTER TABLE conflicts ADD COLUMN resolution TEXT;"
  "CREATE UNIQUE INDEX conflicts_by_id_field ON conflicts(conflict_id, field);"
  "CREATE INDEX conflicts_by_time ON conflicts(detected_at);"
  "CREATE TABLE remote_pending(hlc TEXT PRIMARY KEY NOT NULL, uuid TEXT NOT NULL,"
  "  revision INTEGER NOT NULL, base_revision INTEGER NOT NULL, base_hlc TEXT,"
  "  op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')), form_id TEXT NOT NULL,"
  "  form_version INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
  "  payload TEXT NOT NULL, author TEXT, received_at INTEGER NOT NULL);"
  "PRAGMA application_id = 1280530766;"
  "PRAGMA user_version = 2;";

#define V2_DEVICE "11111111-2222-4333-8444-555555555555"
#define V2_DRAFT "aaaaaaaa-0000-4000-8000-000000000001"
#define V2_FINAL "aaaaaaaa-0000-4000-8000-000000000002"
#define V2_LARGE "aaaaaaaa-0000-4000-8000-000000000004" /* answers larger than a page */
#define V2_HLC "001700000000000-00000-" V2_DEVICE

/* A schema-2 store as the previous release left it: a draft, a final record, a revision kept
 * aside, a conflict and the credential, all in clear, each holding the marker. */
static void make_v2_store(const char *path, const char *marker)
{
  sqlite3 *db;
  char *form = strdup(FORM), sql[4096];
  for (char *p = form; *p; p++)
    if (*p == '`')
      *p = '"';
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, SCHEMA_V2_STORE, NULL, NULL, NULL), SQLITE_OK);
  snprintf(sql, sizeof sql,
           "INSERT INTO meta VALUES('device_id', '" V2_DEVICE "'), ('created_at', '1700000000000'),"
           " ('hlc', '001700000000000-00001');"
           "INSERT INTO forms VALUES('visit', 1, '%s', 'x', '{}', 'id', 1);"
           "INSERT INTO records VALUES(1, '" V2_DRAFT "', 'visit', 1, 1, '" V2_HLC "', 'draft', 1, 1, 0,"
           " '{\"name\":\"draft %s\"}');"
           "INSERT INTO records VALUES(2, '" V2_FINAL "', 'visit', 1, 1, '" V2_HLC "', 'final', 1, 1, 0, NULL);"
           "INSERT INTO records VALUES(3, '" V2_LARGE "', 'visit', 1, 1, '" V2_HLC "', 'draft', 1, 1, 0,"
           " '{\"name\":\"large\",\"note\":\"' || printf('%%.*c', 9000, 'x') || '%s\"}');"
           "INSERT INTO record_revisions VALUES(1, 2, '" V2_FINAL "', 1, 'visit', 1, '" V2_HLC "', 'final',"
           " 0, '{\"name\":\"final %s\"}', 1, 'local');"
           "INSERT INTO outbox(revision_id, uuid, revision, op, created_at) VALUES(1, '" V2_FINAL "', 1, 'upsert', 1);"
           "INSERT INTO remote_pending VALUES('001700000000001-00000-" V2_DEVICE "', '" V2_FINAL "', 2, 1,"
           " '" V2_HLC "', 'upsert', 'visit', 1, 1, 2, '{\"name\":\"aside %s\"}', 'staff', 3);"
           "INSERT INTO conflicts(uuid, local_revision, remote_revision, winner, detected_at, conflict_id,"
           " field, device_value, central_value, merged_revision) VALUES('" V2_FINAL "', 1, 1, 'remote', 1,"
           " 'cccccccc-0000-4000-8000-000000000003', 'name', '\"device %s\"', '\"central\"', 2);"
           "INSERT INTO sync_state VALUES('credential_secret', 'secret-%s');",
           form, marker, marker, marker, marker, marker, marker);
  free(form);
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
    fail_msg("v2 fixture: %s", msg);
  sqlite3_close(db);
}

static void test_schema2_store_is_encrypted_in_place(void **state)
{
  fixture_t *f = *state;
  char marker[32], buf[96];
  st_marker(marker);
  make_v2_store(f->path, marker);
  assert_true(st_dir_contains(f->dir, marker)); /* the fixture really is in clear */

  sync_store_t *s = (sync_store_t *)f;
  /* The upgrade makes the key: a short passphrase is refused and changes nothing. */
  assert_int_equal(st_open_with(f->path, "short", &s), SYNC_ERR_INVALID_ARG);
  assert_int_equal(st_raw_int(f->path, "PRAGMA user_version"), 2);
  s = st_open(f->path);
  assert_int_equal(sync_store_schema_version(s), STORE_SCHEMA_VERSION);
  assert_string_equal(sync_store_device_id(s), V2_DEVICE);
  assert_false(st_dir_contains(f->dir, marker));

  sync_record_t *r = NULL;
  snprintf(buf, sizeof buf, "{\"name\":\"draft %s\"}", marker);
  assert_int_equal(sync_record_get(s, V2_DRAFT, &r), SYNC_OK);
  assert_string_equal(sync_record_payload(r), buf);
  sync_record_free(r);
  assert_int_equal(sync_record_get(s, V2_LARGE, &r), SYNC_OK);
  assert_int_equal(strlen(sync_record_payload(r)), strlen("{\"name\":\"large\",\"note\":\"\"}") + 9000 + strlen(marker));
  assert_non_null(strstr(sync_record_payload(r), marker));
  sync_record_free(r);
  snprintf(buf, sizeof buf, "{\"name\":\"final %s\"}", marker);
  assert_int_equal(sync_record_get(s, V2_FINAL, &r), SYNC_OK);
  assert_string_equal(sync_record_payload(r), buf);
  sync_record_free(r);
  sync_conflict_list_t *list = NULL;
  assert_int_equal(sync_conflict_list(s, NULL, 0, &list), SYNC_OK);
  assert_int_equal(sync_conflict_list_count(list), 1);
  snprintf(buf, sizeof buf, "\"device %s\"", marker);
  assert_string_equal(sync_conflict_device_value(list, 0), buf);
  sync_conflict_list_free(list);
  assert_int_equal(store_state_get_secret(s, STATE_SECRET, buf, sizeof buf), SYNC_OK);
  assert_memory_equal(buf, "secret-", 7);
  assert_string_equal(buf + 7, marker);
  /* The draft can be finalized and the store keeps working. */
  assert_int_equal(sync_record_finalize(s, V2_DRAFT), SYNC_OK);
  sync_store_close(s);
  assert_false(st_dir_contains(f->dir, marker));

  /* From now on it takes that passphrase. */
  assert_int_equal(st_open_with(f->path, "another passphrase", &s), SYNC_ERR_PASSPHRASE);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_wrong_passphrase_is_refused_and_opens_nothing, setup, teardown),
    cmocka_unit_test_setup_teardown(test_missing_passphrase_is_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_short_passphrase_is_refused_when_creating, setup, teardown),
    cmocka_unit_test_setup_teardown(test_key_is_wrapped_in_meta_as_documented, setup, teardown),
    cmocka_unit_test_setup_teardown(test_change_passphrase_rewraps_the_key_only, setup, teardown),
    cmocka_unit_test_setup_teardown(test_test_kdf_is_refused_without_the_switch, setup,
                                    teardown_switch),
    cmocka_unit_test_setup_teardown(test_altered_value_is_corrupt_naming_the_record, setup, teardown),
    cmocka_unit_test_setup_teardown(test_value_moved_to_another_row_fails_authentication, setup, teardown),
    cmocka_unit_test_setup_teardown(test_marker_never_reaches_the_files_for_a_plain_form, setup, teardown),
    cmocka_unit_test_setup_teardown(test_secret_state_is_encrypted_and_bound_to_its_key, setup, teardown),
    cmocka_unit_test_setup_teardown(test_conflict_values_and_aside_revisions_are_encrypted, setup, teardown),
    cmocka_unit_test_setup_teardown(test_schema2_store_is_encrypted_in_place, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
