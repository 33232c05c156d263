/* A seized device (proto/SECURITY.md 5, 9): given only a store's files (database, -wal, -shm) and
 * not its passphrase, nothing tells who was screened. The store holds a sealed form with a
 * duplicate key, as the server sends it, and records of two people, finalized and hashed for
 * duplicate detection, some acknowledged and some waiting, plus central revisions of them.
 * Searched as raw bytes and through SQLite: the names, dates of birth and sex, the form's dedup
 * key (base64 and raw) and each person's keyed hash (hex and raw) computed from that key, are not
 * there. With the passphrase everything still works: the form loads and validates against its
 * digest, the waiting records carry the right hash to send, revisions kept aside come back.
 * A schema-4 store, which held the key and hashes in clear, is converted when first opened. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "form_seal.h"
#include "store_crypto.h"
#include "store_test.h"
#include "sync/seal.h"

#define KEY_B64_LEN sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)

/* One screened person: the answers that identify them and their hash under the form's key. */
typedef struct person {
  char name[48];        /* as typed */
  char name_n[48];      /* normalised as hashed: lower case */
  char dob[16];         /* YYYY-MM-DD */
  char dob_n[16];       /* normalised: YYYYMMDD */
  char sex[16];
  char *payload;        /* a reference-form sample answering all three */
  unsigned char hash[crypto_generichash_BYTES];
  char hash_hex[65];
} person_t;

typedef struct fixture {
  st_store_t st;
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  char pub[SYNC_SEAL_KEY_B64_LEN + 1], sec[SYNC_SEAL_KEY_B64_LEN + 1];
  unsigned char key[32];
  char key64[KEY_B64_LEN];
  char *form;           /* the sealed form with duplicate_key, as the server publishes it */
  person_t who[2];
} fixture_t;

/* The server's form: the reference form sealed to a central key, hashed on full_name, dob, sex. */
static char *sealed_form(const fixture_t *f)
{
  size_t len = 0;
  char *text = ts_source_file("proto/forms/tppo_screening.v1.json", &len);
  cJSON *form = cJSON_Parse(text);
  free(text);
  assert_non_null(form);
  cJSON *enc = cJSON_AddObjectToObject(form, "encryption");
  cJSON_AddStringToObject(enc, "public_key", f->pub);
  cJSON *clear = cJSON_AddArrayToObject(enc, "clear_fields");
  static const char *const CLEAR[] = {"interview_date", "province", "regency_code", "unit_type",
                                      "unit_type_other", "unit_name", "interpreter_used",
                                      "interpreter_language", "safe_to_talk", "consent"};
  for (size_t i = 0; i < sizeof CLEAR / sizeof CLEAR[0]; i++)
    cJSON_AddItemToArray(clear, cJSON_CreateString(CLEAR[i]));
  cJSON *dk = cJSON_AddObjectToObject(form, "duplicate_key");
  cJSON *fields = cJSON_AddArrayToObject(dk, "fields");
  cJSON_AddItemToArray(fields, cJSON_CreateString("full_name"));
  cJSON_AddItemToArray(fields, cJSON_CreateString("dob"));
  cJSON_AddItemToArray(fields, cJSON_CreateString("sex"));
  cJSON_AddStringToObject(dk, "key", f->key64);
  char *json = cJSON_PrintUnformatted(form);
  cJSON_Delete(form);
  return json;
}

/* A sample with consent and a date of birth (seed), renamed `name`; its dob and sex are the
 * person's. The hash is computed here as SECURITY.md 9 defines it, not by the library. */
static void make_person(const fixture_t *f, person_t *p, const char *name, uint64_t seed)
{
  size_t len = 0;
  char *form = ts_source_file("proto/forms/tppo_screening.v1.json", &len), err[256];
  sample_gen_t *g = sample_gen_new(form, len, seed, err, sizeof err);
  assert_non_null(g);
  cJSON *found = NULL;
  for (int i = 0; i < 200 && !found; i++) {
    char *text = sample_gen_next(g);
    cJSON *j = cJSON_Parse(text);
    free(text);
    const char *consent = cJSON_GetStringValue(cJSON_GetObjectItem(j, "consent"));
    if (consent && strcmp(consent, "yes") == 0 && cJSON_GetStringValue(cJSON_GetObjectItem(j, "dob")) &&
        cJSON_GetStringValue(cJSON_GetObjectItem(j, "sex")))
      found = j;
    else
      cJSON_Delete(j);
  }
  sample_gen_free(g);
  free(form);
  assert_non_null(found);
  cJSON_DeleteItemFromObject(found, "full_name");
  cJSON_AddStringToObject(found, "full_name", name);
  snprintf(p->name, sizeof p->name, "%s", name);
  for (size_t i = 0; i <= strlen(name); i++)
    p->name_n[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
  snprintf(p->dob, sizeof p->dob, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(found, "dob")));
  snprintf(p->sex, sizeof p->sex, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(found, "sex")));
  size_t n = 0;
  for (const char *c = p->dob; *c; c++)
    if (*c != '-')
      p->dob_n[n++] = *c;
  p->dob_n[n] = '\0';
  p->payload = cJSON_PrintUnformatted(found);
  cJSON_Delete(found);
  char msg[160];
  int m = snprintf(msg, sizeof msg, "%s\x1f%s\x1f%s", p->name_n, p->dob_n, p->sex);
  crypto_generichash(p->hash, sizeof p->hash, (const unsigned char *)msg, (size_t)m, f->key,
                     sizeof f->key);
  sodium_bin2hex(p->hash_hex, sizeof p->hash_hex, p->hash, sizeof p->hash);
}

static int setup(void **state)
{
  fixture_t *f = calloc(1, sizeof *f);
  char rnd[9], name[48];
  unsigned char r[4];
  assert_int_equal(sync_seal_keypair(f->pub, f->sec), SYNC_OK);
  randombytes_buf(f->key, sizeof f->key);
  sodium_bin2base64(f->key64, sizeof f->key64, f->key, sizeof f->key, sodium_base64_VARIANT_ORIGINAL);
  f->form = sealed_form(f);
  randombytes_buf(r, sizeof r);
  sodium_bin2hex(rnd, sizeof rnd, r, sizeof r);
  snprintf(name, sizeof name, "Dewi Kartika Q%s", rnd);
  make_person(f, &f->who[0], name, 71);
  snprintf(name, sizeof name, "Budi Santoso Q%s", rnd);
  make_person(f, &f->who[1], name, 72);
  st_store_open(&f->st);
  st_enroll(f->st.s, f->sk);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture_t *f = *state;
  st_store_close(&f->st);
  for (int i = 0; i < 2; i++)
    free(f->who[i].payload);
  free(f->form);
  free(f);
  return 0;
}

/* ---- looking at the files without the passphrase ---------------------------------------------- */

/* 1 if any file of the store's folder holds these bytes. */
static int files_hold(const char *dir, const void *needle, size_t n)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  int found = 0, files = 0;
  assert_non_null(d);
  while (!found && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char *path = ts_path(dir, e->d_name);
    files++;
    found = ts_file_holds(path, needle, n);
    free(path);
  }
  closedir(d);
  assert_true(files >= 1);
  return found;
}

/* 1 if any value of any table, read through SQLite without the passphrase, holds the bytes (a
 * value spread over overflow pages is found here even when a page boundary splits it). */
static int sqlite_holds(const char *path, const void *needle, size_t n)
{
  sqlite3 *db;
  sqlite3_stmt *tables, *rows;
  int found = 0;
  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'", -1,
                                      &tables, NULL), SQLITE_OK);
  while (!found && sqlite3_step(tables) == SQLITE_ROW) {
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", (const char *)sqlite3_column_text(tables, 0));
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &rows, NULL), SQLITE_OK);
    while (!found && sqlite3_step(rows) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(rows) && !found; c++) {
        const unsigned char *v = sqlite3_column_blob(rows, c);
        size_t len = (size_t)sqlite3_column_bytes(rows, c);
        found = ts_bytes_hold(v, len, needle, n);
      }
    }
    sqlite3_finalize(rows);
  }
  sqlite3_finalize(tables);
  sqlite3_close(db);
  return found;
}

/* Fails naming what the seized store gives away. */
static void assert_not_in_store(const fixture_t *f, const char *what, const void *needle, size_t n)
{
  if (files_hold(f->st.dir, needle, n))
    fail_msg("a file of the store holds %s", what);
  if (sqlite_holds(f->st.path, needle, n))
    fail_msg("a value in the store holds %s", what);
}

static void assert_text_not_in_store(const fixture_t *f, const char *what, const char *text)
{
  assert_not_in_store(f, what, text, strlen(text));
}

/* Every identifying value of both people, the key and the hashes: nowhere. The same scans find
 * what is meant to be clear (a record's uuid), so a miss is not the scan's fault. */
static void assert_seized_store_reveals_no_identity(const fixture_t *f, const char *uuid)
{
  char quoted[24];
  assert_true(files_hold(f->st.dir, uuid, strlen(uuid)));
  assert_true(sqlite_holds(f->st.path, uuid, strlen(uuid)));
  assert_text_not_in_store(f, "the dedup key (base64)", f->key64);
  assert_not_in_store(f, "the dedup key (raw)", f->key, sizeof f->key);
  for (int i = 0; i < 2; i++) {
    const person_t *p = &f->who[i];
    assert_text_not_in_store(f, "a name", p->name);
    assert_text_not_in_store(f, "a normalised name", p->name_n);
    assert_text_not_in_store(f, "a date of birth", p->dob);
    assert_text_not_in_store(f, "a normalised date of birth", p->dob_n);
    snprintf(quoted, sizeof quoted, "\"%s\"", p->sex);
    assert_text_not_in_store(f, "a sex answer", quoted);
    assert_text_not_in_store(f, "a keyed hash (hex)", p->hash_hex);
    assert_not_in_store(f, "a keyed hash (raw)", p->hash, sizeof p->hash);
  }
}

/* ---- building the store as a device in the field does ------------------------------------------ */

/* The form arrives from the server (a pull): stored, and its digest agrees with the announced one;
 * a second delivery changes nothing. */
static void receive_form(sync_store_t *s, const char *form)
{
  unsigned char d[crypto_hash_sha256_BYTES];
  char sha[65], warning[256];
  crypto_hash_sha256(d, (const unsigned char *)form, strlen(form)); /* already minified */
  sodium_bin2hex(sha, sizeof sha, d, sizeof d);
  store_sync_t *ss = NULL;
  form_applied_t out;
  assert_int_equal(store_sync_new(s, &ss), SYNC_OK);
  for (int round = 0; round < 2; round++) {
    assert_int_equal(store_sync_begin(ss), SYNC_OK);
    assert_int_equal(store_apply_form(ss, "tppo_screening", 1, sha, form, &out, warning, sizeof warning),
                     SYNC_OK);
    assert_int_equal(store_sync_commit(ss), SYNC_OK);
    if (warning[0])
      fail_msg("form from the server: %s", warning);
    assert_int_equal(out.added, round == 0);
    assert_int_equal(out.replaced, 0);
  }
  store_sync_free(ss);
}

/* The hashes the engine would send for the waiting rows, by uuid. */
typedef struct sent {
  size_t n;
  char uuid[8][PROTO_UUID_LEN + 1];
  char dedup[8][PROTO_DEDUP_LEN + 1];
} sent_t;

static int collect(void *ctx, const outbox_row_t *row)
{
  sent_t *s = ctx;
  if (s->n == 8)
    return -1;
  snprintf(s->uuid[s->n], sizeof s->uuid[0], "%s", row->change.uuid);
  snprintf(s->dedup[s->n], sizeof s->dedup[0], "%s", row->change.dedup);
  s->n++;
  return 0;
}

static const char *sent_dedup(sync_store_t *st, sent_t *s, const char *uuid)
{
  store_sync_t *ss = NULL;
  memset(s, 0, sizeof *s);
  assert_int_equal(store_sync_new(st, &ss), SYNC_OK);
  assert_int_equal(store_outbox_scan(ss, 0, collect, s), SYNC_OK);
  store_sync_free(ss);
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->uuid[i], uuid) == 0)
      return s->dedup[i];
  fail_msg("record %s is not waiting to be sent", uuid);
  return NULL;
}

/* A central revision of record uuid (the clear part, a sealed text, the person's hash). */
static apply_result_t central_revision(sync_store_t *s, const char *uuid, const person_t *p,
                                       int64_t offset_ms)
{
  sync_record_t *r = NULL;
  assert_int_equal(sync_record_get(s, uuid, &r), SYNC_OK);
  proto_change_t c = { .revision = sync_record_revision(r) + 1,
                       .base_revision = sync_record_revision(r), .op = PROTO_OP_UPSERT,
                       .form_version = 1, .created_at = sync_record_created_at(r),
                       .updated_at = store_now_ms(), .payload = (char *)sync_record_payload(r),
                       .sealed = "c2VhbGVkIGJ5IGNlbnRyYWw=", .origin = PROTO_ORIGIN_CENTRAL,
                       .author = "siti.rahma" };
  snprintf(c.uuid, sizeof c.uuid, "%s", uuid);
  snprintf(c.form_id, sizeof c.form_id, "tppo_screening");
  snprintf(c.base_hlc, sizeof c.base_hlc, "%s", sync_record_hlc(r));
  char hlc[80];
  snprintf(hlc, sizeof hlc, "%015lld-00000-%s", (long long)store_now_ms() + offset_ms, ST_SERVER_ID);
  assert_int_equal(strlen(hlc), PROTO_HLC_LEN);
  memcpy(c.hlc, hlc, PROTO_HLC_LEN + 1);
  snprintf(c.dedup, sizeof c.dedup, "%s", p->hash_hex);
  store_sync_t *ss = NULL;
  apply_result_t res = APPLY_INVALID;
  char why[256] = "";
  assert_int_equal(store_sync_new(s, &ss), SYNC_OK);
  assert_int_equal(store_sync_begin(ss), SYNC_OK);
  assert_int_equal(store_apply_remote(ss, &c, &res, why, sizeof why), SYNC_OK);
  assert_int_equal(store_sync_commit(ss), SYNC_OK);
  store_sync_free(ss);
  sync_record_free(r);
  if (res == APPLY_INVALID)
    fail_msg("central revision refused: %s", why);
  return res;
}

/* Records as officers make them: person 0 screened twice (a draft finalized, then again), person 1
 * once; all three sent and acknowledged; person 0 screened a third time, waiting; central revises
 * person 1's record (a new head) and person 0's waiting one (kept aside). uuids: [0] the waiting
 * record, [1] person 1's. */
static void screen(fixture_t *f, char uuids[2][SYNC_UUID_STRLEN + 1])
{
  sync_store_t *s = f->st.s;
  char first[SYNC_UUID_STRLEN + 1], twin[SYNC_UUID_STRLEN + 1];
  sent_t sent;
  receive_form(s, f->form);
  assert_int_equal(sync_record_create(s, "tppo_screening", 1, f->who[0].payload, SYNC_STATUS_DRAFT,
                                      first), SYNC_OK);
  assert_int_equal(sync_record_finalize(s, first), SYNC_OK);
  assert_int_equal(sync_record_create(s, "tppo_screening", 1, f->who[0].payload, SYNC_STATUS_FINAL,
                                      twin), SYNC_OK);
  assert_int_equal(sync_record_create(s, "tppo_screening", 1, f->who[1].payload, SYNC_STATUS_FINAL,
                                      uuids[1]), SYNC_OK);
  /* What the engine sends: the right hash for each, equal for the same person. */
  assert_string_equal(sent_dedup(s, &sent, first), f->who[0].hash_hex);
  assert_string_equal(sent_dedup(s, &sent, twin), f->who[0].hash_hex);
  assert_string_equal(sent_dedup(s, &sent, uuids[1]), f->who[1].hash_hex);
  st_ack_all(s, f->sk, store_now_ms());
  assert_int_equal(sync_record_create(s, "tppo_screening", 1, f->who[0].payload, SYNC_STATUS_FINAL,
                                      uuids[0]), SYNC_OK);
  assert_int_equal(central_revision(s, uuids[1], &f->who[1], 1000), APPLY_HEAD);
  assert_int_equal(central_revision(s, uuids[0], &f->who[0], 2000), APPLY_ASIDE);
  assert_int_equal(st_raw_int(f->st.path, "SELECT count(*) FROM remote_pending WHERE dedup IS NOT NULL"), 1);
  assert_int_equal(st_raw_int(f->st.path, "SELECT count(*) FROM record_revisions"
                                          " WHERE dedup IS NOT NULL AND origin = 'remote'"), 1);
}

/* With the passphrase: the form loads and hashes as the server does, the waiting record carries
 * its hash, the revision kept aside comes back once the device's is acknowledged. */
static void legitimate_use_works(fixture_t *f, const char *waiting)
{
  sync_store_t *s = f->st.s;
  sent_t sent;
  const form_t *form = NULL;
  char hash[65];
  assert_int_equal(store_form_get(s, "tppo_screening", 1, &form, NULL), SYNC_OK);
  assert_int_equal(form_dedup_hash(form, f->who[0].payload, strlen(f->who[0].payload), hash), SYNC_OK);
  assert_string_equal(hash, f->who[0].hash_hex);
  char *def = NULL;
  assert_int_equal(sync_form_get_json(s, "tppo_screening", 1, &def), SYNC_OK);
  assert_string_equal(def, f->form); /* the definition reads back as the server sent it */
  sync_free(def);
  assert_string_equal(sent_dedup(s, &sent, waiting), f->who[0].hash_hex);
  st_ack_all(s, f->sk, store_now_ms());
  store_sync_t *ss = NULL;
  int64_t applied = 0;
  assert_int_equal(store_sync_new(s, &ss), SYNC_OK);
  assert_int_equal(store_sync_begin(ss), SYNC_OK);
  assert_int_equal(store_apply_recheck_aside(ss, &applied), SYNC_OK);
  assert_int_equal(store_sync_commit(ss), SYNC_OK);
  store_sync_free(ss);
  assert_int_equal(applied, 1);
}

static void test_seized_store_reveals_no_identity(void **state)
{
  fixture_t *f = *state;
  char uuids[2][SYNC_UUID_STRLEN + 1];
  screen(f, uuids);
  assert_seized_store_reveals_no_identity(f, uuids[0]); /* while the store is open */
  sync_store_close(f->st.s);
  assert_seized_store_reveals_no_identity(f, uuids[0]); /* and once it is closed */
  f->st.s = st_open(f->st.path);
  legitimate_use_works(f, uuids[0]);
}

/* ---- schema 4 to 5 ------------------------------------------------------------------------------ */

/* Runs one statement with up to two text parameters on the file through a connection of its own. */
static void raw_exec(const char *path, const char *sql, const char *a, const char *b)
{
  sqlite3 *db;
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    fail_msg("%s: %s", sql, sqlite3_errmsg(db));
  if (a)
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
  if (b)
    sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
  assert_int_equal(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

/* The same store as schema 4 left it: the definition and every hash in clear (the tables are the
 * same in both versions). `other` is person 1's record; every other hashed row is person 0's. */
static void make_schema4(const fixture_t *f, const char *other)
{
  raw_exec(f->st.path, "UPDATE forms SET definition = ?1", f->form, NULL);
  raw_exec(f->st.path, "UPDATE record_revisions SET dedup = ?1 WHERE dedup IS NOT NULL AND uuid <> ?2",
           f->who[0].hash_hex, other);
  raw_exec(f->st.path, "UPDATE record_revisions SET dedup = ?1 WHERE dedup IS NOT NULL AND uuid = ?2",
           f->who[1].hash_hex, other);
  raw_exec(f->st.path, "UPDATE remote_pending SET dedup = ?1", f->who[0].hash_hex, NULL);
  raw_exec(f->st.path, "PRAGMA user_version = 4", NULL, NULL);
}

static void test_schema4_store_is_converted_at_first_open(void **state)
{
  fixture_t *f = *state;
  char uuids[2][SYNC_UUID_STRLEN + 1];
  screen(f, uuids);
  sync_store_close(f->st.s);
  f->st.s = NULL;
  make_schema4(f, uuids[1]);
  assert_true(files_hold(f->st.dir, f->key64, strlen(f->key64))); /* the fixture really is clear */
  assert_true(sqlite_holds(f->st.path, f->who[0].hash_hex, 64));

  /* A wrong passphrase converts nothing. */
  sync_store_t *s = NULL;
  assert_int_equal(st_open_with(f->st.path, "not the passphrase", &s), SYNC_ERR_PASSPHRASE);
  assert_null(s);
  assert_int_equal(st_raw_int(f->st.path, "PRAGMA user_version"), 4);

  f->st.s = st_open(f->st.path);
  assert_int_equal(sync_store_schema_version(f->st.s), 5);
  assert_int_equal(st_raw_int(f->st.path, "SELECT count(*) FROM forms WHERE typeof(definition) = 'blob'"), 1);
  assert_int_equal(st_raw_int(f->st.path, "SELECT count(*) FROM record_revisions"
                                          " WHERE typeof(dedup) = 'text'"), 0);
  assert_int_equal(st_raw_int(f->st.path, "SELECT count(*) FROM remote_pending"
                                          " WHERE typeof(dedup) = 'blob'"), 1);
  assert_seized_store_reveals_no_identity(f, uuids[0]);
  legitimate_use_works(f, uuids[0]);
  sync_store_close(f->st.s);
  assert_seized_store_reveals_no_identity(f, uuids[0]);
  f->st.s = st_open(f->st.path);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_seized_store_reveals_no_identity, setup, teardown),
    cmocka_unit_test_setup_teardown(test_schema4_store_is_converted_at_first_open, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
