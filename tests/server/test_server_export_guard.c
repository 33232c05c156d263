/* Exports and clear values (proto/SECURITY.md "Exports and clear values") on the secure setup:
 * the reference form sealed to a central key with the README's split of clear fields (plus the
 * six acts and their count, so that one calculation reads only clear answers), HTTPS, devices
 * enrolled with one-time codes and a unit. A modified client sends forged clear values (refused
 * per change, with the issues the device shows) and forged sealed values (the server cannot read
 * them; the CSV export neutralises them in every column); a record belongs to its device's
 * enrolled unit whatever its answers say. Honest records still push and export. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "form_def.h"
#include "form_seal.h"
#include "csv_oracle.h"
#include "server_fixture.h"
#include "test_support.h"
#include "tppo_fixture.h"

#define CLEAR_FIELDS                                                                               \
  "interview_date,province,regency_code,unit_type,unit_type_other,unit_name,interpreter_used,"    \
  "interpreter_language,safe_to_talk,consent,case_status,referral_outcome,is_child,"               \
  "result_category,officer_agrees,officer_result,sector,destination_country,act_recruitment,"     \
  "act_transport,act_harbouring,act_sending,act_transfer,act_receipt,act_count"

#define EVIL_NAME "=HYPERLINK(\"http://evil.example/\",\"klik\")"
#define EVIL_UNIT "+Polres Palsu"

static server_t S;
static device_t DEV, OTHER, EVIL;
static char *KEY;                 /* the central key file (syncserver keygen) */
static form_t *FORM;              /* the sealed form as published */
static tppo_gen_t *GEN;

/* ---- set-up ---------------------------------------------------------------------------------- */

static int group_setup(void **state)
{
  (void)state;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  memset(&S, 0, sizeof S);
  if (!(S.dir = ts_tempdir()))
    return -1;
  S.db = ts_path(S.dir, "central.db");
  S.log = ts_path(S.dir, "server.log");
  KEY = ts_path(S.dir, "central.key");
  char *pub = ts_path(S.dir, "central.key.pub");
  char form_file[1024];
  snprintf(form_file, sizeof form_file, "%s/%s", SYNC_SOURCE_DIR, TPPO_V1);
  const char *publish[] = {"form", "publish", "--db", S.db, form_file, "--seal-to", pub,
                           "--clear-fields", CLEAR_FIELDS, "--dedup-fields", "full_name,dob,sex",
                           NULL};
  int rc = run_syncserver(NULL, "init", "--db", S.db, NULL) != 0 ||
           run_syncserver(NULL, "keygen", "--out", KEY, NULL) != 0 ||
           run_syncserver_capture(NULL, NULL, publish) != 0 ||
           !(FORM = published_form_of(&S, NULL, 1)) ||
           ts_make_test_ca(S.dir, NULL) != 0;
  free(pub);
  if (rc)
    return -1;
  S.tls_cert = ts_path(S.dir, "srv.pem");
  S.tls_key = ts_path(S.dir, "srv.key");
  S.cainfo = ts_path(S.dir, "ca.pem");
  if (server_start(&S, NULL) != 0 || strncmp(S.base, "https://", 8) != 0 ||
      add_device_in(&S, "Laptop PPA Ponorogo", "Polres Ponorogo", NULL, &DEV) != 0 ||
      add_device_in(&S, "Tablet Polres Kolaka", "Polres Kolaka", NULL, &OTHER) != 0 ||
      add_device_in(&S, EVIL_NAME, EVIL_UNIT, NULL, &EVIL) != 0)
    return -1;
  GEN = tppo_gen_new(2026, 1);
  return GEN ? 0 : -1;
}

static int group_teardown(void **state)
{
  (void)state;
  tppo_gen_free(GEN);
  form_free(FORM);
  assert_int_equal(server_stop(&S, SIGTERM), 0);
  free((char *)S.tls_cert);
  free((char *)S.tls_key);
  free((char *)S.cainfo);
  free(KEY);
  server_cleanup(&S);
  curl_global_cleanup();
  return 0;
}

/* ---- helpers ------------------------------------------------------------------------------- */

/* The answers of the next sample interview with consent (so every section is answered), as a
 * device's finalize makes them (canonical). */
static cJSON *honest_answers(void)
{
  for (int tries = 0; tries < 50; tries++) {
    char *text = tppo_gen_next(GEN, NULL, NULL);
    assert_non_null(text);
    cJSON *doc = cJSON_Parse(text);
    free(text);
    const cJSON *consent = cJSON_GetObjectItemCaseSensitive(doc, "consent");
    if (cJSON_IsString(consent) && strcmp(consent->valuestring, "yes") == 0 &&
        cJSON_GetObjectItemCaseSensitive(doc, "act_count"))
      return doc;
    cJSON_Delete(doc);
  }
  fail_msg("the sample generator gave no consented interview");
  return NULL;
}

static void set_str(cJSON *doc, const char *key, const char *value)
{
  cJSON_DeleteItemFromObjectCaseSensitive(doc, key);
  cJSON_AddStringToObject(doc, key, value);
}

static void set_num(cJSON *doc, const char *key, double value)
{
  cJSON_DeleteItemFromObjectCaseSensitive(doc, key);
  cJSON_AddNumberToObject(doc, key, value);
}

/* Pushes revision `revision` of record `uuid` as a (possibly modified) client does: the full
 * `answers` sealed to the form's key, their clear part (or `clear`, when not NULL) as payload.
 * Returns the push response (HTTP 200 asserted). */
static cJSON *push_record(const device_t *dev, const char *uuid, int revision,
                          const cJSON *answers, const cJSON *clear)
{
  static long long clock_ms = 1764547200000LL;   /* 2025-12-01 */
  char *full = cJSON_PrintUnformatted(answers);
  proto_change_t c;
  memset(&c, 0, sizeof c);
  snprintf(c.uuid, sizeof c.uuid, "%s", uuid);
  c.revision = revision;
  c.op = PROTO_OP_UPSERT;
  snprintf(c.form_id, sizeof c.form_id, "tppo_screening");
  c.form_version = 1;
  char hlc[64];
  make_hlc(hlc, ++clock_ms, 0, dev->id);
  memcpy(c.hlc, hlc, sizeof c.hlc - 1);
  c.created_at = c.updated_at = clock_ms;
  c.origin = PROTO_ORIGIN_DEVICE;
  if (clear)
    c.payload = cJSON_PrintUnformatted(clear);
  else
    assert_int_equal(form_clear_part(FORM, full, strlen(full), &c.payload), SYNC_OK);
  assert_int_equal(form_seal(FORM, uuid, full, strlen(full), &c.sealed), SYNC_OK);
  assert_int_equal(form_dedup_hash(FORM, full, strlen(full), c.dedup), SYNC_OK);
  proto_push_writer_t *w = NULL;
  char batch[40], err[256], *json = NULL;
  size_t len = 0;
  make_uuid(batch);
  assert_int_equal(proto_push_writer_new(dev->id, batch, &w), SYNC_OK);
  assert_int_equal(proto_push_writer_add(w, &c, 0, err, sizeof err), SYNC_OK);
  assert_int_equal(proto_push_writer_finish(w, &json, &len), SYNC_OK);
  proto_push_writer_free(w);
  reply_t r;
  assert_int_equal(http_call(&S, "POST", "/v1/push", dev, NULL, json, len, REQ_LZ4 | REQ_ACCEPT_LZ4,
                             &r), 0);
  assert_int_equal(r.status, 200);
  cJSON *resp = reply_json(&r);
  assert_non_null(resp);
  reply_free(&r);
  free(json);
  free(c.payload);
  free(c.sealed);
  free(full);
  return resp;
}

static const cJSON *first_receipt(const cJSON *resp)
{
  return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(resp, "receipts"), 0);
}

static const char *outcome(const cJSON *resp)
{
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(first_receipt(resp), "outcome");
  return cJSON_IsString(o) ? o->valuestring : "";
}

static const char *error_code(const cJSON *resp)
{
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(first_receipt(resp), "error");
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
  return cJSON_IsString(code) ? code->valuestring : "";
}

/* The code of the refusal's issue for `field`, "" when the refusal does not name it. */
static const char *issue_for(const cJSON *resp, const char *field)
{
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(first_receipt(resp), "error");
  const cJSON *it;
  cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(e, "issues")) {
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(it, "field");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(it, "code");
    if (cJSON_IsString(f) && strcmp(f->valuestring, field) == 0 && cJSON_IsString(c))
      return c->valuestring;
  }
  return "";
}

static long long stored(const char *uuid)
{
  char sql[200];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM records WHERE uuid = '%s'", uuid);
  return db_scalar(&S, sql);
}

/* The clear part of `answers` as a cJSON object to forge. */
static cJSON *clear_of(const cJSON *answers)
{
  char *full = cJSON_PrintUnformatted(answers), *clear = NULL;
  assert_int_equal(form_clear_part(FORM, full, strlen(full), &clear), SYNC_OK);
  cJSON *doc = cJSON_Parse(clear);
  free(full);
  free(clear);
  return doc;
}

/* What a spreadsheet would run: = + - @ TAB CR or full-width = + - @ first. */
static int runs_as_formula(const char *s)
{
  const unsigned char *u = (const unsigned char *)s;
  if (u[0] && strchr("=+-@\t\r", u[0]))
    return 1;
  return u[0] == 0xEF && u[1] == 0xBC &&
         (u[2] == 0x9D || u[2] == 0x8B || u[2] == 0x8D || u[2] == 0xA0);
}

/* "-5", "12.5": a number a spreadsheet reads as a number. */
static int plain_number(const char *s)
{
  const char *p = s + (*s == '-');
  size_t digits = strspn(p, "0123456789");
  if (!digits)
    return 0;
  p += digits;
  if (*p == '.' && strspn(p + 1, "0123456789"))
    p += 1 + strspn(p + 1, "0123456789");
  return *p == '\0';
}

/* `syncserver export` of the sealed form with the central key, CSV; `extra` NULL-terminated. */
static char *export_csv(const char *extra)
{
  char *out = ts_path(S.dir, "guard.csv");
  const char *args[] = {"export", "--db", S.db, "--by", "tester.pusat", "--private-key", KEY,
                        "--out", out, extra, NULL};
  assert_int_equal(run_syncserver_argv(NULL, args, NULL), 0);
  char *text = ts_read_file(out, NULL);
  remove(out);
  free(out);
  assert_non_null(text);
  return text;
}

/* ---- tests --------------------------------------------------------------------------------- */

/* Clear values the server can read are checked as strictly as the device checks them: a choice
 * outside the list, an impossible date, a code that breaks its pattern, an answer to a question
 * that is not asked; each named in the per-change refusal, nothing stored. The honest record
 * passes. */
static void test_push_refuses_unknown_choice_bad_date_bad_pattern(void **state)
{
  (void)state;
  cJSON *answers = honest_answers();
  char uuid[40];
  make_uuid(uuid);
  cJSON *forged = clear_of(answers);
  set_str(forged, "province", "=HYPERLINK(\"http://evil.example/\")");
  set_str(forged, "interview_date", "2026-02-30");
  set_str(forged, "regency_code", "@SUM(1+1)");
  set_str(forged, "unit_type", "polres");
  set_str(forged, "unit_type_other", "-2+3");   /* asked only when unit_type is other */
  cJSON *resp = push_record(&DEV, uuid, 1, answers, forged);
  assert_string_equal(outcome(resp), "rejected");
  assert_string_equal(error_code(resp), "invalid_change");
  assert_string_equal(issue_for(resp, "province"), "choice");
  assert_string_equal(issue_for(resp, "interview_date"), "type");
  assert_string_equal(issue_for(resp, "regency_code"), "constraint");
  assert_string_equal(issue_for(resp, "unit_type_other"), "not_relevant");
  assert_int_equal(stored(uuid), 0);
  cJSON_Delete(resp);
  cJSON_Delete(forged);

  /* A well-formed code of another province breaks the pattern's second half. */
  forged = clear_of(answers);
  set_str(forged, "regency_code", strcmp(cJSON_GetObjectItem(answers, "province")->valuestring,
                                         "35") == 0 ? "74.04" : "35.02");
  resp = push_record(&DEV, uuid, 1, answers, forged);
  assert_string_equal(outcome(resp), "rejected");
  assert_string_equal(issue_for(resp, "regency_code"), "constraint");
  assert_string_equal(issue_for(resp, "province"), "");
  cJSON_Delete(resp);
  cJSON_Delete(forged);

  /* The honest record (its sealed answers absent from the payload, so required sealed answers
   * are missing there) is stored. */
  resp = push_record(&DEV, uuid, 1, answers, NULL);
  assert_string_equal(outcome(resp), "stored");
  assert_int_equal(stored(uuid), 1);
  cJSON_Delete(resp);
  cJSON_Delete(answers);
}

/* A calculated value whose inputs are all clear is recomputed and a forged one refused; one whose
 * inputs are sealed cannot be recomputed and must at least be a plain value. */
static void test_push_refuses_forged_calculated(void **state)
{
  (void)state;
  cJSON *answers = honest_answers();
  double acts = cJSON_GetObjectItem(answers, "act_count")->valuedouble;
  char uuid[40];
  make_uuid(uuid);
  cJSON *forged = clear_of(answers);
  set_num(forged, "act_count", acts + 3);
  cJSON *resp = push_record(&DEV, uuid, 1, answers, forged);
  assert_string_equal(outcome(resp), "rejected");
  assert_string_equal(issue_for(resp, "act_count"), "calculated");
  cJSON_Delete(resp);
  cJSON_Delete(forged);

  forged = clear_of(answers);
  set_str(forged, "act_count", "=1+1");
  resp = push_record(&DEV, uuid, 1, answers, forged);
  assert_string_equal(issue_for(resp, "act_count"), "calculated");
  cJSON_Delete(resp);
  cJSON_Delete(forged);

  /* is_child reads the sealed date of birth: not recomputable, so only its shape is judged. */
  forged = clear_of(answers);
  cJSON_DeleteItemFromObjectCaseSensitive(forged, "is_child");
  cJSON_AddItemToObject(forged, "is_child", cJSON_CreateStringArray((const char *[]){"1"}, 1));
  set_str(forged, "result_category", "baris\nkedua");
  resp = push_record(&DEV, uuid, 1, answers, forged);
  assert_string_equal(outcome(resp), "rejected");
  assert_string_equal(issue_for(resp, "is_child"), "type");
  assert_string_equal(issue_for(resp, "result_category"), "type");
  assert_string_equal(issue_for(resp, "act_count"), "");
  assert_int_equal(stored(uuid), 0);
  cJSON_Delete(resp);
  cJSON_Delete(forged);

  resp = push_record(&DEV, uuid, 1, answers, NULL);
  assert_string_equal(outcome(resp), "stored");
  cJSON_Delete(resp);
  cJSON_Delete(answers);
}

/* Every CSV cell a spreadsheet would run is neutralised: forged sealed answers in select_one,
 * date, text and integer columns (the server cannot read them at push), a calculated clear value
 * the server cannot recompute, the device's name and unit; a negative number in an integer
 * column stays a number; the honest record exports as it was sent. */
static void test_export_guards_every_column(void **state)
{
  (void)state;
  cJSON *honest = honest_answers(), *forged = honest_answers();
  char uuid_honest[40], uuid_forged[40], uuid_evil[40], uuid_wide[40];
  make_uuid(uuid_honest);
  make_uuid(uuid_forged);
  make_uuid(uuid_evil);
  make_uuid(uuid_wide);
  set_str(honest, "full_name", "Siti Rahayu, \"Ayu\"");
  cJSON *resp = push_record(&DEV, uuid_honest, 1, honest, NULL);
  assert_string_equal(outcome(resp), "stored");
  cJSON_Delete(resp);

  set_str(forged, "sex", "@SUM(1+1)*cmd|' /C calc'!A0");             /* select_one, sealed */
  set_str(forged, "dob", "-2+3+cmd|' /C calc'!A0");                  /* date, sealed */
  set_str(forged, "full_name", "=HYPERLINK(\"http://evil.example/\",\"Siti\")");   /* text */
  set_str(forged, "phone", "+6281234567890");                        /* text, not a number */
  set_num(forged, "estimated_age", -5);                              /* integer: a number */
  set_str(forged, "is_child", "=HYPERLINK(\"http://evil.example/\")");   /* clear calculated */
  resp = push_record(&DEV, uuid_forged, 1, forged, NULL);
  assert_string_equal(outcome(resp), "stored");   /* the server cannot judge these */
  cJSON_Delete(resp);

  cJSON *wide = honest_answers();
  set_str(wide, "officer_notes", "\xef\xbc\x9d" "1+1");              /* full-width = */
  set_str(wide, "job_actual", "\tcmd");
  set_str(wide, "estimated_age", "-5+1");                            /* integer column, text */
  resp = push_record(&DEV, uuid_wide, 1, wide, NULL);
  assert_string_equal(outcome(resp), "stored");
  cJSON_Delete(resp);

  cJSON *evil = honest_answers();
  resp = push_record(&EVIL, uuid_evil, 1, evil, NULL);
  assert_string_equal(outcome(resp), "stored");
  cJSON_Delete(resp);

  for (int m = 0; m < 2; m++) {   /* choice names, then Indonesian labels */
    char *text = export_csv(m == 0 ? "--codes" : NULL);
    csv_t c = csv_parse(text);
    free(text);
    /* Nothing anywhere, header included, starts a formula; numbers only in numeric columns. */
    for (size_t r = 0; r < c.n_rows; r++)
      for (size_t k = 0; k < c.n_cells[r]; k++) {
        const char *v = c.rows[r][k];
        if (runs_as_formula(v) && !plain_number(v))
          fail_msg("row %zu column %s runs as a formula: %s", r, c.rows[0][k], v);
      }
    size_t f = csv_row_of(&c, uuid_forged), w = csv_row_of(&c, uuid_wide), e = csv_row_of(&c, uuid_evil);
    size_t h = csv_row_of(&c, uuid_honest);
    assert_string_equal(csv_cell(&c, f, "sex"), "'@SUM(1+1)*cmd|' /C calc'!A0");   /* no label */
    assert_string_equal(csv_cell(&c, f, "dob"), "'-2+3+cmd|' /C calc'!A0");
    assert_string_equal(csv_cell(&c, f, "full_name"),
                        "'=HYPERLINK(\"http://evil.example/\",\"Siti\")");
    assert_string_equal(csv_cell(&c, f, "phone"), "'+6281234567890");
    assert_string_equal(csv_cell(&c, f, "estimated_age"), "-5");   /* still a number */
    assert_string_equal(csv_cell(&c, f, "is_child"), "'=HYPERLINK(\"http://evil.example/\")");
    assert_string_equal(csv_cell(&c, w, "officer_notes"), "'\xef\xbc\x9d" "1+1");
    assert_string_equal(csv_cell(&c, w, "job_actual"), "'\tcmd");
    assert_string_equal(csv_cell(&c, w, "estimated_age"), "'-5+1");
    assert_string_equal(csv_cell(&c, e, "device_name"), "'" EVIL_NAME);
    assert_string_equal(csv_cell(&c, e, "device_unit"), "'" EVIL_UNIT);
    /* The honest record is exported as sent. */
    assert_string_equal(csv_cell(&c, h, "interview_date"),
                        cJSON_GetObjectItem(honest, "interview_date")->valuestring);
    char acts[16];
    snprintf(acts, sizeof acts, "%d", (int)cJSON_GetObjectItem(honest, "act_count")->valuedouble);
    assert_string_equal(csv_cell(&c, h, "act_count"), acts);
    assert_string_equal(csv_cell(&c, h, "device_unit"), "Polres Ponorogo");
    assert_string_equal(csv_cell(&c, h, "full_name"), "Siti Rahayu, \"Ayu\"");
    csv_free(&c);
  }
  cJSON_Delete(honest);
  cJSON_Delete(forged);
  cJSON_Delete(wide);
  cJSON_Delete(evil);
}

/* A record belongs to the unit of the device that made it: the export's device_unit is the
 * enrolled unit whatever the record's unit_name answer says, and a device of another unit cannot
 * take the record over by sending a revision of it. */
static void test_record_unit_is_device_unit(void **state)
{
  (void)state;
  cJSON *answers = honest_answers();
  set_str(answers, "unit_name", "Polres Kolaka");   /* the officer's answer names another unit */
  char uuid[40];
  make_uuid(uuid);
  cJSON *resp = push_record(&DEV, uuid, 1, answers, NULL);
  assert_string_equal(outcome(resp), "stored");
  cJSON_Delete(resp);

  set_str(answers, "unit_name", "Polres Kolaka (diambil alih)");
  resp = push_record(&OTHER, uuid, 2, answers, NULL);
  assert_string_equal(outcome(resp), "rejected");
  assert_string_equal(error_code(resp), "forbidden");
  cJSON_Delete(resp);

  char *text = export_csv("--codes");
  csv_t c = csv_parse(text);
  free(text);
  size_t r = csv_row_of(&c, uuid);
  assert_string_equal(csv_cell(&c, r, "device_id"), DEV.id);
  assert_string_equal(csv_cell(&c, r, "device_name"), "Laptop PPA Ponorogo");
  assert_string_equal(csv_cell(&c, r, "device_unit"), "Polres Ponorogo");
  assert_string_equal(csv_cell(&c, r, "unit_name"), "Polres Kolaka");   /* revision 1 stays */
  assert_string_equal(csv_cell(&c, r, "revision"), "1");
  csv_free(&c);
  cJSON_Delete(answers);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_push_refuses_unknown_choice_bad_date_bad_pattern),
    cmocka_unit_test(test_push_refuses_forged_calculated),
    cmocka_unit_test(test_export_guards_every_column),
    cmocka_unit_test(test_record_unit_is_device_unit),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
