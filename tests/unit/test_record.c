/* Records: the draft/final lifecycle, revisions and the outbox, validation failures that write
 * nothing, and listing with filters and paging (sync/record.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_crypto.h"   /* to decrypt a stored revision */
#include "store_internal.h" /* to count rows through the handle's connection */
#include "sync/sync.h"
#include "test_support.h"

/* Backquotes stand for double quotes. */
static const char FORM_A[] =
  "{`format`:1,`form_id`:`screening_lite`,`version`:1,`default_language`:`id`,`languages`:[`id`,`en`],"
  "`title`:{`id`:`Skrining ringkas`,`en`:`Short screening`},"
  "`choice_lists`:{`sex`:[{`name`:`f`,`label`:{`id`:`Perempuan`}},{`name`:`m`,`label`:{`id`:`Laki-laki`}}]},"
  "`sections`:[{`name`:`person`,`label`:{`id`:`Orang`,`en`:`Person`},`fields`:["
  "{`name`:`name`,`type`:`text`,`label`:{`id`:`Nama`,`en`:`Name`},`required`:true},"
  "{`name`:`age`,`type`:`integer`,`label`:{`id`:`Umur`,`en`:`Age`},`required`:true,"
  " `constraint`:`. >= 0 and . <= 120`},"
  "{`name`:`sex`,`type`:`select_one`,`choices`:`sex`,`label`:{`id`:`Jenis kelamin`,`en`:`Sex`}},"
  "{`name`:`regency_code`,`type`:`text`,`label`:{`id`:`Kode kabupaten`,`en`:`Regency code`},"
  " `required`:true,`constraint`:`regex(., '^[0-9]{2}[.][0-9]{2}$')`},"
  "{`name`:`child`,`type`:`calculate`,`calculation`:`${age} < 18`}]}]}";

static const char FORM_B[] =
  "{`format`:1,`form_id`:`followup`,`version`:1,`default_language`:`id`,`languages`:[`id`],"
  "`title`:{`id`:`Tindak lanjut`},`choice_lists`:{},"
  "`sections`:[{`name`:`main`,`label`:{`id`:`Utama`},`fields`:["
  "{`name`:`note`,`type`:`text`,`label`:{`id`:`Catatan`}}]}]}";

static const char COMPLETE[] = "{\"name\":\"Siti Aminah\",\"age\":16,\"regency_code\":\"35.02\"}";

typedef struct fixture {
  char *dir;
  sync_store_t *s;
} fixture_t;

static char *unquote(const char *s)
{
  char *out = strdup(s);
  for (char *p = out; *p; p++)
    if (*p == '`')
      *p = '"';
  return out;
}

static void add_form(sync_store_t *s, const char *quoted)
{
  char *json = unquote(quoted);
  sync_err_t err = sync_form_add(s, json, strlen(json), NULL, NULL);
  if (err)
    fail_msg("form_add: %s: %s", sync_errname(err), sync_store_errmsg(s));
  free(json);
}

/* The decrypted answers of one stored revision (the store encrypts them, store_crypto.h). */
static char *revision_payload(sync_store_t *s, const char *uuid, int revision)
{
  sqlite3_stmt *st;
  char ad[STORE_AD_MAX], *text = NULL;
  assert_int_equal(sqlite3_prepare_v2(s->db, "SELECT payload FROM record_revisions WHERE uuid = ?1"
                                      " AND revision = ?2", -1, &st, NULL), SQLITE_OK);
  sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, revision);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  store_value_ad_int(ad, COL_REVISION_PAYLOAD, uuid, revision);
  assert_int_equal(store_value_decrypt(s, ad, sqlite3_column_blob(st, 0),
                                       (size_t)sqlite3_column_bytes(st, 0), &text, NULL), SYNC_OK);
  sqlite3_finalize(st);
  return text;
}

static int setup(void **state)
{
  fixture_t *f = calloc(1, sizeof *f);
  f->dir = ts_tempdir();
  char *path = ts_path(f->dir, "records.db");
  sync_store_opts_t o;
  sync_store_opts_init(&o);
  o.passphrase = "kunci rahasia kantor";
  o.kdf = SYNC_KDF_TEST;
  if (sync_store_open(path, &o, &f->s) != SYNC_OK)
    return -1;
  free(path);
  add_form(f->s, FORM_A);
  add_form(f->s, FORM_B);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture_t *f = *state;
  sync_store_close(f->s);
  ts_rmtree(f->dir);
  free(f->dir);
  free(f);
  return 0;
}

static long long sql_int(sync_store_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static long long sql_int(sync_store_t *s, const char *fmt, ...)
{
  char sql[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(sql, sizeof sql, fmt, ap);
  va_end(ap);
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
    fail_msg("%s: %s", sql, sqlite3_errmsg(s->db));
  long long v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  return v;
}

static void create_ok(sync_store_t *s, const char *form, const char *payload, sync_record_status_t status,
                      char *uuid)
{
  sync_err_t err = sync_record_create(s, form, 0, payload, status, uuid);
  if (err)
    fail_msg("create: %s: %s", sync_errname(err), sync_store_errmsg(s));
}

static sync_record_t *get(sync_store_t *s, const char *uuid)
{
  sync_record_t *r = NULL;
  sync_err_t err = sync_record_get(s, uuid, &r);
  if (err)
    fail_msg("get %s: %s: %s", uuid, sync_errname(err), sync_store_errmsg(s));
  return r;
}

/* The payload's value of `key` as JSON text ("" when absent). */
static void payload_value(const sync_record_t *r, const char *key, char *out, size_t len)
{
  cJSON *o = cJSON_Parse(sync_record_payload(r));
  assert_non_null(o);
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  char *text = v ? cJSON_PrintUnformatted(v) : NULL;
  snprintf(out, len, "%s", text ? text : "");
  free(text);
  cJSON_Delete(o);
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

static void test_draft_is_updated_then_finalized_into_the_outbox(void **state)
{
  fixture_t *f = *state;
  sync_store_t *s = f->s;
  char uuid[SYNC_UUID_STRLEN + 1], v[64];

  /* A draft may lack required answers. */
  create_ok(s, "screening_lite", "{\"name\":\"Siti\"}", SYNC_STATUS_DRAFT, uuid);
  assert_int_equal(strlen(uuid), SYNC_UUID_STRLEN);
  sync_record_t *r = get(s, uuid);
  assert_int_equal(sync_record_status(r), SYNC_STATUS_DRAFT);
  assert_int_equal(sync_record_revision(r), 1);
  assert_string_equal(sync_record_form_id(r), "screening_lite");
  assert_int_equal(sync_record_form_version(r), 1);
  assert_int_equal(sync_record_deleted(r), 0);
  assert_true(sync_record_created_at(r) > 0);
  assert_int_equal(sync_record_created_at(r), sync_record_updated_at(r));
  char hlc1[128];
  snprintf(hlc1, sizeof hlc1, "%s", sync_record_hlc(r));
  int64_t created = sync_record_created_at(r);
  assert_int_equal(sync_record_delivery(r), SYNC_DELIVERY_LOCAL);
  sync_record_free(r);
  /* Drafts never leave the device. */
  assert_int_equal(sql_int(s, "SELECT count(*) FROM outbox"), 0);
  assert_int_equal(sql_int(s, "SELECT count(*) FROM record_revisions"), 0);

  assert_int_equal(sync_record_update(s, uuid, "{\"name\":\"Siti Aminah\",\"age\":16}"), SYNC_OK);
  r = get(s, uuid);
  assert_int_equal(sync_record_revision(r), 2);
  payload_value(r, "name", v, sizeof v);
  assert_string_equal(v, "\"Siti Aminah\"");
  assert_true(strcmp(hlc1, sync_record_hlc(r)) < 0);
  sync_record_free(r);

  /* Finalizing an incomplete draft fails and changes nothing. */
  assert_int_equal(sync_record_finalize(s, uuid), SYNC_ERR_VALIDATION);
  assert_int_equal(sync_store_issue_count(s), 1);
  assert_string_equal(sync_store_issue_field(s, 0), "regency_code");
  assert_string_equal(sync_store_issue_code(s, 0), "required");
  r = get(s, uuid);
  assert_int_equal(sync_record_revision(r), 2);
  assert_int_equal(sync_record_status(r), SYNC_STATUS_DRAFT);
  sync_record_free(r);
  assert_int_equal(sql_int(s, "SELECT count(*) FROM outbox"), 0);

  assert_int_equal(sync_record_update(s, uuid, COMPLETE), SYNC_OK);
  assert_int_equal(sync_record_finalize(s, uuid), SYNC_OK);
  assert_int_equal(sync_store_issue_count(s), 0);
  assert_string_equal(sync_store_errmsg(s), "");
  r = get(s, uuid);
  assert_int_equal(sync_record_status(r), SYNC_STATUS_FINAL);
  assert_int_equal(sync_record_revision(r), 4);
  assert_int_equal(sync_record_created_at(r), created);
  assert_true(sync_record_updated_at(r) >= created);
  payload_value(r, "child", v, sizeof v); /* computed by the library */
  assert_string_equal(v, "true");
  assert_int_equal(sync_record_delivery(r), SYNC_DELIVERY_PENDING);
  assert_int_equal(sync_record_receipt_time(r), 0);
  sync_record_free(r);
  assert_int_equal(sql_int(s, "SELECT count(*) FROM record_revisions WHERE uuid = '%s' AND revision = 4 "
                              "AND status = 'final' AND deleted = 0", uuid), 1);
  assert_int_equal(sql_int(s, "SELECT count(*) FROM outbox WHERE uuid = '%s' AND revision = 4 "
                              "AND op = 'upsert' AND acked_at IS NULL", uuid), 1);
  assert_int_equal(sql_int(s, "SELECT count(*) FROM outbox"), 1);
}

static void test_final_record_cannot_be_updated_discarded_or_refinalized(void **state)
{
  fixture_t *f = *state;
  sync_store_t *s = f->s;
  char uuid[SYNC_UUID_STRLEN + 1];
  create_ok(s, "screening_lite", COMPLETE, SYNC_STATUS_FINAL, uuid);
  assert_int_equal(sync_record_update(s, uuid, COMPLETE), SYNC_ERR_STATE);
  assert_non_null(strstr(sync_store_errmsg(s), "sync_record_revise"));
  assert_int_equal(sync_record_discard(s, uuid), SYNC_ERR_STATE);
  assert_int_equal(sync_record_finalize(s, uuid), SYNC_ERR_STATE);
  sync_record_t *r = get(s, uuid);
  assert_int_equal(sync_record_revision(r), 1);
  sync_record_free(r);
  assert_int_equal(sql_int(s, "SELECT count(*) FROM outbox"), 1);
  assert_int_equal(sql_int(s, "SELECT count(*) FROM record_revisions WHERE revision = 1"), 1);
}

static void test_revise_writes_a_new_revision_and_queues_it(void **state)
{
  fixture_t *f = *state;
  sync_store_t *s = f->s;
  char uuid[SYNC_UUID_STRLEN + 1], v[64], hlc1[128];
  create_ok(s, "screening_lite", COMPLETE, SYNC_STATUS_FINAL, uuid);
  sync_record_t *r = get(s, uuid);
  snprintf(hlc1, sizeof hlc1, "%s", sync_record_hlc(r));
  sync_record_free(r);

  assert_int_equal(sync_record_revise(s, uuid, "{\"name\":\"Siti Aminah\",\"age\":19,\"regency_code\":\"74.04\"}"),
                   SYNC_OK);
  r = get(s, uuid);
  assert_int_equal(sync_record_revision(r), 2);
  assert_int_equal(sync_record_status(r), SYNC_STATUS_FINAL);
  assert_true(strcmp(hlc1, sync_record_hlc(r)) < 0);
  payload_value(r, "child", v, sizeof v);
  assert_string_equal(v, "false");
  sync_record_free(r);

  /* Both revisions are kept, and queued in order. */
  assert_int_equal(sql_int(s, "SELECT count(*) FROM record_revisions WHERE uuid = '%s'", uuid), 2);
  assert_int_equal(sql_int(s, "SELECT group_concat(revision, ',') = '1,2' FROM "
                              "(SELECT revision FROM outbox WHERE uuid = '%s' ORDER BY seq)", uuid), 1);
  char *first = revision_payload(s, uuid, 1);
  assert_non_null(strstr(first, "35.02"));
  free(first);

  /* An invalid revision is refused and writes nothing. */
  assert_int_equal(sync_record_revise(s, uuid, "{\"name\":\"Siti\",\"age\":19}"), SYNC_ERR_VALIDATION);
  r = get(s, uuid);
  assert_int_equal(sync_record_revision(r), 2);
  sync_record_free(r);
  assert_int_equal(sql_int(s, "SELECT count(*) FROM outbox"), 2);

  /* A draft is not revised, it is updated. */
  char draft[SYNC_UUID_STRLEN + 1];
  create_ok(s, "screening_lite", "{}", SYNC_STATUS_DRAFT, draft);
  assert_int_equal(sync_record_revise(s, draft, COMPLETE), SYNC_ERR_STATE);
}

static void test_delete_writes_a_tombstone_revision(void **state)
{
  fixture_t *f = *state;
  sync_store_t *s = f->s;
  char uuid[SYNC_UUID_STRLEN + 1], draft[SYNC_UUID_STRLEN + 1];
  create_ok(s, "screening_lite", COMPLETE, SYNC_STATUS_FINAL, uuid);
  assert_int_equal(sync_record_delete(s, uuid), SYNC_OK);
  sync_record_t *r = get(s, uuid);
  assert_int_equal(sync_record_deleted(r), 1);
  assert_int_equal(sync_record_revision(r), 2);
  assert_string_equal(sync_record_payload(r), "{}");
  sync_record_free(r);
  assert_int_equal(sql_int(s, "SELECT count(*) FROM outbox WHERE uuid = '%s' AND revision = 2 "
                              "AND op = 'delete'", uuid), 1);
  assert_int_equal(sql_int(s, "SELECT count(*) FROM record_revisions WHERE uuid = '%s' AND revision = 2 "
                              "AND deleted = 1", uuid), 1);
  char *tomb = revision_payload(s, uuid, 2);
  assert_string_equal(tomb, "{}");
  free(tomb);

  assert_int_equal(sync_record_delete(s, uuid), SYNC_ERR_STATE);
  assert_int_equal(sync_record_revise(s, uuid, COMPLETE), SYNC_ERR_STATE);

  create_ok(s, "screening_lite", "{}", SYNC_STATUS_DRAFT, draft);
  assert_int_equal(sync_record_delete(s, draft), SYNC_ERR_STATE);
  assert_non_null(strstr(sync_store_errmsg(s), "sync_record_discard"));
}

static void test_discard_removes_a_draft_for_good(void **state)
{
  fixture_t *f = *state;
  sync_store_t *s = f->s;
  char uuid[SYNC_UUID_STRLEN + 1];
  create_ok(s, "screening_lite", "{\"name\":\"Wayan\"}", SYNC_STATUS_DRAFT, uuid);
  assert_int_equal(sync_record_discard(s, uuid), SYNC_OK);
  sync_record_t *r = (sync_record_t *)s;
  assert_int_equal(sync_record_get(s, uuid, &r), SYNC_ERR_NOT_FOUND);
  assert_null(r);
  assert_int_equal(sync_record_discard(s, uuid), SYNC_ERR_NOT_FOUND);
  assert_int_equal(sql_int(s, "SELECT count(*) FROM records"), 0);
  assert_int_equal(sql_int(s, "SELECT count(*) FROM outbox"), 0);
}

/* ---- validation --------------------------------------------------------------------------- */

static int has_issue(sync_store_t *s, const char *field, const char *code)
{
  for (size_t i = 0; i < sync_store_issue_count(s); i++)
    if (strcmp(sync_store_issue_field(s, i), field) == 0 && strcmp(sync_store_issue_code(s, i), code) == 0)
      return 1;
  return 0;
}

static void test_validation_failure_writes_nothing_and_lists_every_field(void **state)
{
  fixture_t *f = *state;
  sync_store_t *s = f->s;
  char uuid[SYNC_UUID_STRLEN + 1] = "unchanged";
  const char *bad = "{\"age\":200,\"regency_code\":\"Ponorogo\",\"foo\":1}";
  assert_int_equal(sync_record_create(s, "screening_lite", 0, bad, SYNC_STATUS_FINAL, uuid), SYNC_ERR_VALIDATION);
  assert_string_equal(uuid, "");
  assert_int_equal(sync_store_issue_count(s), 4);
  assert_true(has_issue(s, "name", "required"));
  assert_true(has_issue(s, "age", "constraint"));
  assert_true(has_issue(s, "regency_code", "constraint"));
  assert_true(has_issue(s, "foo", "unknown_field"));
  for (size_t i = 0; i < 4; i++)
    assert_true(strlen(sync_store_issue_message(s, i)) > 0);
  assert_null(sync_store_issue_field(s, 4));

  const char *msg = sync_store_errmsg(s);
  assert_non_null(strstr(msg, "4 answers failed validation: "));
  assert_non_null(strstr(msg, "name (required)"));
  assert_non_null(strstr(msg, "age (constraint)"));
  assert_non_null(strstr(msg, "regency_code (constraint)"));
  assert_non_null(strstr(msg, "foo (unknown_field)"));

  char *json = NULL;
  assert_int_equal(sync_store_issues_json(s, &json), SYNC_OK);
  cJSON *arr = cJSON_Parse(json);
  assert_true(cJSON_IsArray(arr));
  assert_int_equal(cJSON_GetArraySize(arr), 4);
  const cJSON *first = cJSON_GetArrayItem(arr, 0);
  assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(first, "field")));
  assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(first, "code")));
  assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(first, "message")));
  cJSON_Delete(arr);
  sync_free(json);

  /* Nothing reached the file: no record, no revision, no outbox entry, no clock tick. */
  assert_int_equal(sql_int(s, "SELECT count(*) FROM records"), 0);
  assert_int_equal(sql_int(s, "SELECT count(*) FROM record_revisions"), 0);
  assert_int_equal(sql_int(s, "SELECT count(*) FROM outbox"), 0);
  assert_int_equal(sql_int(s, "SELECT count(*) FROM meta WHERE key = 'hlc'"), 0);

  /* A draft is only checked for structure: the same answers fail on type and unknown field. */
  assert_int_equal(sync_record_create(s, "screening_lite", 0, "{\"age\":\"old\",\"foo\":1}", SYNC_STATUS_DRAFT, NULL),
                   SYNC_ERR_VALIDATION);
  assert_int_equal(sync_store_issue_count(s), 2);
  assert_true(has_issue(s, "age", "type"));
  assert_true(has_issue(s, "foo", "unknown_field"));
  assert_non_null(strstr(sync_store_errmsg(s), "2 answers failed validation: "));

  /* Malformed JSON is its own error. */
  assert_int_equal(sync_record_create(s, "screening_lite", 0, "{\"name\":", SYNC_STATUS_DRAFT, NULL), SYNC_ERR_JSON);
  assert_non_null(strstr(sync_store_errmsg(s), "not a valid JSON object"));
  assert_int_equal(sql_int(s, "SELECT count(*) FROM records"), 0);

  /* A later success clears the issues. */
  create_ok(s, "screening_lite", "{}", SYNC_STATUS_DRAFT, NULL);
  assert_int_equal(sync_store_issue_count(s), 0);
  assert_string_equal(sync_store_errmsg(s), "");
}

static void test_messages_follow_the_store_language(void **state)
{
  fixture_t *f = *state;
  sync_store_t *s = f->s;
  char id_msg[256];
  assert_int_equal(sync_record_create(s, "screening_lite", 0, "{}", SYNC_STATUS_FINAL, NULL), SYNC_ERR_VALIDATION);
  snprintf(id_msg, sizeof id_msg, "%s", sync_store_issue_message(s, 0));
  assert_int_equal(sync_store_set_language(s, "en"), SYNC_OK);
  assert_int_equal(sync_record_create(s, "screening_lite", 0, "{}", SYNC_STATUS_FINAL, NULL), SYNC_ERR_VALIDATION);
  assert_string_not_equal(sync_store_issue_message(s, 0), id_msg);
}

static void test_stored_payload_is_canonical(void **state)
{
  fixture_t *f = *state;
  sync_store_t *s = f->s;
  char uuid[SYNC_UUID_STRLEN + 1], v[64];
  /* Keys out of order, an unanswered question, a calculated value sent by the caller. */
  create_ok(s, "screening_lite",
            "{\"regency_code\":\"35.02\",\"sex\":\"\",\"child\":false,\"age\":12,\"name\":\"Ani\"}",
            SYNC_STATUS_FINAL, uuid);
  sync_record_t *r = get(s, uuid);
  payload_value(r, "sex", v, sizeof v);
  assert_string_equal(v, "");
  payload_value(r, "child", v, sizeof v);
  assert_string_equal(v, "true");
  const char *p = sync_record_payload(r);
  assert_true(strstr(p, "\"name\"") < strstr(p, "\"age\""));
  assert_true(strstr(p, "\"age\"") < strstr(p, "\"regency_code\""));
  /* The revision row holds the same canonical text. */
  char *stored = revision_payload(s, uuid, 1);
  assert_string_equal(stored, p);
  free(stored);
  sync_record_free(r);
}

static void test_record_to_json_holds_every_attribute(void **state)
{
  fixture_t *f = *state;
  sync_store_t *s = f->s;
  char uuid[SYNC_UUID_STRLEN + 1];
  create_ok(s, "screening_lite", COMPLETE, SYNC_STATUS_FINAL, uuid);
  sync_record_t *r = get(s, uuid);
  char *json = NULL;
  assert_int_equal(sync_record_to_json(r, &json), SYNC_OK);
  cJSON *o = cJSON_Parse(json);
  assert_non_null(o);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "uuid")->valuestring, uuid);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "form_id")->valuestring, "screening_lite");
  assert_int_equal(cJSON_GetObjectItemCaseSensitive(o, "form_version")->valueint, 1);
  assert_int_equal(cJSON_GetObjectItemCaseSensitive(o, "revision")->valueint, 1);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "hlc")->valuestring, sync_record_hlc(r));
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "status")->valuestring, "final");
  assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o, "deleted")));
  assert_true(cJSON_GetObjectItemCaseSensitive(o, "created_at")->valuedouble ==
              (double)sync_record_created_at(r));
  const cJSON *payload = cJSON_GetObjectItemCaseSensitive(o, "payload");
  assert_true(cJSON_IsObject(payload));
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(payload, "name")->valuestring, "Siti Aminah");
  cJSON_Delete(o);
  sync_free(json);
  sync_record_free(r);
}

static void test_unknown_form_and_oversized_payload_are_refused(void **state)
{
  fixture_t *f = *state;
  sync_store_t *s = f->s;
  assert_int_equal(sync_record_create(s, "nope", 0, "{}", SYNC_STATUS_DRAFT, NULL), SYNC_ERR_NOT_FOUND);
  assert_non_null(strstr(sync_store_errmsg(s), "nope"));
  assert_int_equal(sync_record_create(s, "screening_lite", 9, "{}", SYNC_STATUS_DRAFT, NULL), SYNC_ERR_NOT_FOUND);

  size_t n = SYNC_MAX_PAYLOAD + 64;
  char *big = malloc(n + 1);
  memset(big, ' ', n);
  memcpy(big, "{\"name\":\"", 9);
  big[n - 2] = '"';
  big[n - 1] = '}';
  big[n] = '\0';
  assert_int_equal(sync_record_create(s, "screening_lite", 0, big, SYNC_STATUS_DRAFT, NULL), SYNC_ERR_TOO_LARGE);
  free(big);
  assert_int_equal(sql_int(s, "SELECT count(*) FROM records"), 0);
}

/* ---- listing ------------------------------------------------------------------------------ */

/* 25 finals and 5 drafts of form A, 5 finals of form B; updated_at = rowid seconds. */
static void populate(sync_store_t *s)
{
  assert_int_equal(sync_store_begin(s), SYNC_OK);
  for (int i = 0; i < 25; i++)
    create_ok(s, "screening_lite", COMPLETE, SYNC_STATUS_FINAL, NULL);
  for (int i = 0; i < 5; i++)
    create_ok(s, "screening_lite", "{\"name\":\"draft\"}", SYNC_STATUS_DRAFT, NULL);
  for (int i = 0; i < 5; i++)
    create_ok(s, "followup", "{\"note\":\"ok\"}", SYNC_STATUS_FINAL, NULL);
  assert_int_equal(sync_store_commit(s), SYNC_OK);
  assert_int_equal(sqlite3_exec(s->db, "UPDATE records SET updated_at = rowid * 1000", NULL, NULL, NULL), SQLITE_OK);
}

static sync_record_list_t *list(sync_store_t *s, const sync_query_t *q)
{
  sync_record_list_t *l = NULL;
  sync_err_t err = sync_record_list(s, q, &l);
  if (err)
    fail_msg("list: %s: %s", sync_errname(err), sync_store_errmsg(s));
  return l;
}

static void test_list_filters_by_form_status_and_date(void **state)
{
  fixture_t *f = *state;
  sync_store_t *s = f->s;
  populate(s);
  sync_query_t q;
  sync_record_list_t *l;

  l = list(s, NULL);
  assert_int_equal(sync_record_list_total(l), 35);
  assert_int_equal(sync_record_list_count(l), 35);
  /* Newest update first. */
  for (size_t i = 1; i < sync_record_list_count(l); i++)
    assert_true(sync_record_updated_at(sync_record_list_at(l, i - 1)) >
                sync_record_updated_at(sync_record_list_at(l, i)));
  assert_null(sync_record_list_at(l, 35));
  sync_record_list_free(l);

  sync_query_init(&q);
  q.form_id = "screening_lite";
  l = list(s, &q);
  assert_int_equal(sync_record_list_total(l), 30);
  sync_record_list_free(l);

  q.status_mask = SYNC_STATUS_FINAL;
  l = list(s, &q);
  assert_int_equal(sync_record_list_total(l), 25);
  for (size_t i = 0; i < sync_record_list_count(l); i++) {
    assert_int_equal(sync_record_status(sync_record_list_at(l, i)), SYNC_STATUS_FINAL);
    assert_string_equal(sync_record_form_id(sync_record_list_at(l, i)), "screening_lite");
  }
  sync_record_list_free(l);

  sync_query_init(&q);
  q.status_mask = SYNC_STATUS_DRAFT;
  l = list(s, &q);
  assert_int_equal(sync_record_list_total(l), 5);
  sync_record_list_free(l);

  sync_query_init(&q);
  q.status_mask = SYNC_STATUS_DRAFT | SYNC_STATUS_FINAL;
  q.form_id = "followup";
  q.form_version = 1;
  l = list(s, &q);
  assert_int_equal(sync_record_list_total(l), 5);
  sync_record_list_free(l);
  q.form_version = 2;
  l = list(s, &q);
  assert_int_equal(sync_record_list_total(l), 0);
  assert_int_equal(sync_record_list_count(l), 0);
  sync_record_list_free(l);

  /* [5 s, 10 s): rowids 5..9. */
  sync_query_init(&q);
  q.updated_from_ms = 5000;
  q.updated_to_ms = 10000;
  l = list(s, &q);
  assert_int_equal(sync_record_list_total(l), 5);
  assert_int_equal(sync_record_updated_at(sync_record_list_at(l, 0)), 9000);
  assert_int_equal(sync_record_updated_at(sync_record_list_at(l, 4)), 5000);
  sync_record_list_free(l);

  sync_query_init(&q);
  q.status_mask = 4;
  assert_int_equal(sync_record_list(s, &q, &l), SYNC_ERR_INVALID_ARG);
  assert_null(l);
}

static void test_list_pages_with_a_total(void **state)
{
  fixture_t *f = *state;
  sync_store_t *s = f->s;
  populate(s);
  sync_query_t q;
  sync_query_init(&q);
  q.form_id = "screening_lite";
  q.status_mask = SYNC_STATUS_FINAL;
  q.limit = 10;

  int64_t seen_last = INT64_MAX;
  size_t seen = 0;
  for (q.offset = 0; q.offset < 30; q.offset += 10) {
    sync_record_list_t *l = list(s, &q);
    assert_int_equal(sync_record_list_total(l), 25);
    assert_int_equal(sync_record_list_count(l), q.offset < 20 ? 10 : 5);
    for (size_t i = 0; i < sync_record_list_count(l); i++) {
      int64_t u = sync_record_updated_at(sync_record_list_at(l, i));
      assert_true(u < seen_last); /* pages do not overlap */
      seen_last = u;
      seen++;
    }
    sync_record_list_free(l);
  }
  assert_int_equal(seen, 25);

  q.offset = 100;
  sync_record_list_t *l = list(s, &q);
  assert_int_equal(sync_record_list_count(l), 0);
  assert_int_equal(sync_record_list_total(l), 25);
  sync_record_list_free(l);
}

static void test_list_leaves_out_tombstones_unless_asked(void **state)
{
  fixture_t *f = *state;
  sync_store_t *s = f->s;
  char uuid[SYNC_UUID_STRLEN + 1];
  create_ok(s, "screening_lite", COMPLETE, SYNC_STATUS_FINAL, uuid);
  create_ok(s, "screening_lite", COMPLETE, SYNC_STATUS_FINAL, NULL);
  assert_int_equal(sync_record_delete(s, uuid), SYNC_OK);
  sync_query_t q;
  sync_query_init(&q);
  sync_record_list_t *l = list(s, &q);
  assert_int_equal(sync_record_list_total(l), 1);
  sync_record_list_free(l);
  q.include_deleted = 1;
  l = list(s, &q);
  assert_int_equal(sync_record_list_total(l), 2);
  assert_int_equal(sync_record_deleted(sync_record_list_at(l, 0)), 1); /* the newest write */
  sync_record_list_free(l);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_draft_is_updated_then_finalized_into_the_outbox, setup, teardown),
    cmocka_unit_test_setup_teardown(test_final_record_cannot_be_updated_discarded_or_refinalized, setup, teardown),
    cmocka_unit_test_setup_teardown(test_revise_writes_a_new_revision_and_queues_it, setup, teardown),
    cmocka_unit_test_setup_teardown(test_delete_writes_a_tombstone_revision, setup, teardown),
    cmocka_unit_test_setup_teardown(test_discard_removes_a_draft_for_good, setup, teardown),
    cmocka_unit_test_setup_teardown(test_validation_failure_writes_nothing_and_lists_every_field, setup, teardown),
    cmocka_unit_test_setup_teardown(test_messages_follow_the_store_language, setup, teardown),
    cmocka_unit_test_setup_teardown(test_stored_payload_is_canonical, setup, teardown),
    cmocka_unit_test_setup_teardown(test_record_to_json_holds_every_attribute, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unknown_form_and_oversized_payload_are_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_list_filters_by_form_status_and_date, setup, teardown),
    cmocka_unit_test_setup_teardown(test_list_pages_with_a_total, setup, teardown),
    cmocka_unit_test_setup_teardown(test_list_leaves_out_tombstones_unless_asked, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
