/* The server's form is the form, and no refused record is stranded (issue 10; PROTOCOL.md 2.3,
 * sync/record.h "refused"), against the real server in the secure setup: the reference form
 * published sealed with the README's command, the device enrolled with a one-time code, over
 * HTTPS with a CA and key pin made at test time. The device starts as an app does, with its own
 * (bundled, unsealed) copy of tppo_screening v1, and saves interviews before its first sync. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sample.h"
#include "sync_fixture.h"
#include "test_support.h"

/* The README's publish command (README.md "The central server"). */
#define README_CLEAR "interview_date,province,regency_code,result_category,is_child"

typedef struct world {
  fx_server_t srv;
  fx_device_t dev;
  char *key, *pub, *ca, *pin;
} world_t;

/* Reads a file made by make-test-ca.sh, without its newline. */
static char *read_line(const char *path)
{
  size_t len = 0;
  char *t = ts_read_file(path, &len);
  assert_non_null(t);
  while (len && (t[len - 1] == '\n' || t[len - 1] == '\r'))
    t[--len] = '\0';
  return t;
}

/* A central key pair, `definition` published sealed to it with the README's split, `serve` on
 * HTTPS, and a device store holding its own copy of the reference form, not enrolled yet. */
static void world_new(world_t *w, const char *definition)
{
  memset(w, 0, sizeof *w);
  assert_int_equal(fx_server_new(&w->srv), 0);
  w->key = ts_path(w->srv.dir, "central.key");
  w->pub = ts_path(w->srv.dir, "central.key.pub");
  assert_int_equal(fx_syncserver(NULL, "keygen", "--out", w->key, NULL), 0);
  assert_int_equal(fx_syncserver(NULL, "form", "publish", "--db", w->srv.db, definition,
                                 "--seal-to", w->pub, "--clear-fields", README_CLEAR,
                                 "--dedup-fields", "full_name,dob,sex", NULL), 0);
  char *out = NULL;
  char *const ca_argv[] = {(char *)"/bin/sh", (char *)SYNC_SOURCE_DIR "/tests/support/make-test-ca.sh",
                           w->srv.dir, NULL};
  assert_int_equal(fx_run(&out, ca_argv), 0);
  free(out);
  char *cert = ts_path(w->srv.dir, "srv.pem"), *key = ts_path(w->srv.dir, "srv.key");
  char *pin_file = ts_path(w->srv.dir, "pin.txt");
  w->ca = ts_path(w->srv.dir, "ca.pem");
  w->pin = read_line(pin_file);
  free(pin_file);
  w->srv.tls_cert = cert;
  w->srv.tls_key = key;
  assert_int_equal(fx_server_start(&w->srv), 0);
  assert_int_equal(fx_device_new(&w->dev), 0);
  sync_store_t *s = NULL;
  size_t len = 0;
  char *bundled = ts_read_file(FX_FORM_PATH, &len);
  assert_int_equal(fx_store_open(w->dev.path, &s), SYNC_OK);
  assert_int_equal(sync_form_add(s, bundled, len, NULL, NULL), SYNC_OK);
  sync_store_close(s);
  free(bundled);
}

static void world_enroll(world_t *w)
{
  char why[512] = "";
  if (fx_enroll(&w->srv, w->dev.path, w->ca, w->pin, why, sizeof why) != SYNC_OK)
    fail_msg("enroll over https: %s", why);
}

static void world_free(world_t *w)
{
  free((char *)w->srv.tls_cert);
  free((char *)w->srv.tls_key);
  w->srv.tls_cert = w->srv.tls_key = NULL;
  fx_device_destroy(&w->dev);
  fx_server_destroy(&w->srv);
  free(w->key);
  free(w->pub);
  free(w->ca);
  free(w->pin);
}

static sync_err_t sync_once(world_t *w, sync_status_t *st)
{
  sync_engine_config_t c;
  fx_engine_config(&c, &w->dev, &w->srv, NULL);
  c.ca_file = w->ca;
  c.pinned_pubkey = w->pin;
  sync_engine_t *e = NULL;
  char why[512] = "";
  sync_err_t err = sync_engine_new(&c, &e, why, sizeof why);
  if (err != SYNC_OK)
    fail_msg("engine: %s: %s", sync_errname(err), why);
  err = sync_engine_run_once(e);
  sync_engine_status(e, st);
  sync_engine_free(e);
  return err;
}

/* The record's answers as the device saved them (before any sync seals them). */
static cJSON *saved_answers(sync_store_t *s, const char *uuid)
{
  sync_record_t *rec = NULL;
  assert_int_equal(sync_record_get(s, uuid, &rec), SYNC_OK);
  assert_int_equal(sync_record_sealed(rec), 0);
  cJSON *a = cJSON_Parse(sync_record_payload(rec));
  sync_record_free(rec);
  assert_non_null(a);
  return a;
}

/* Every saved answer of `uuid` is in central's export made with the private key. */
static void assert_exported(const world_t *w, const char *uuid, const cJSON *answers)
{
  char *out = NULL;
  assert_int_equal(fx_syncserver(&out, "export", "--db", w->srv.db, "--by", "test", "--format",
                                 "jsonl", "--private-key", w->key, NULL), 0);
  cJSON *row = NULL;
  for (char *line = out; line && *line && !row;) {
    char *end = strchr(line, '\n');
    cJSON *j = cJSON_ParseWithLength(line, end ? (size_t)(end - line) : strlen(line));
    const char *u = cJSON_GetStringValue(cJSON_GetObjectItem(j, "uuid"));
    if (u && strcmp(u, uuid) == 0)
      row = j;
    else
      cJSON_Delete(j);
    line = end ? end + 1 : NULL;
  }
  if (!row)
    fail_msg("record %s is not in the export", uuid);
  for (const cJSON *a = answers->child; a; a = a->next) {
    const cJSON *got = cJSON_GetObjectItemCaseSensitive(row, a->string);
    if (!got || !cJSON_Compare(a, got, 1)) {
      char *want = cJSON_PrintUnformatted(a), *have = got ? cJSON_PrintUnformatted(got) : NULL;
      fail_msg("record %s: export has %s = %s, the device saved %s", uuid, a->string,
               have ? have : "(nothing)", want);
    }
  }
  cJSON_Delete(row);
  free(out);
}

static void assert_delivered(const char *store_path, size_t n)
{
  fx_outbox_t ob;
  assert_int_equal(fx_outbox(store_path, &ob), 0);
  assert_int_equal(ob.pending, 0);
  assert_int_equal(ob.failed, 0);
  assert_int_equal(ob.acked, n);
}

/* The app's case: interviews finalized with the bundled form before the first pull reach the
 * sealed server in the first sync, sealed under the server's definition, and central reads every
 * answer; the bundled form, added again at the next start, does not displace the server's. */
static void test_records_made_with_the_bundled_form_reach_a_sealed_server(void **state)
{
  (void)state;
  world_t w;
  world_new(&w, FX_FORM_PATH);
  enum { N = 6 };
  assert_int_equal(fx_add_records(w.dev.path, N, 17), 0);
  world_enroll(&w);

  sync_store_t *s = NULL;
  assert_int_equal(fx_store_open(w.dev.path, &s), SYNC_OK);
  sync_record_list_t *list = NULL;
  assert_int_equal(sync_record_list(s, NULL, &list), SYNC_OK);
  assert_int_equal(sync_record_list_count(list), N);
  char uuids[N][SYNC_UUID_STRLEN + 1];
  cJSON *answers[N];
  for (size_t i = 0; i < N; i++) {
    snprintf(uuids[i], sizeof uuids[i], "%s", sync_record_uuid(sync_record_list_at(list, i)));
    answers[i] = saved_answers(s, uuids[i]);
  }
  sync_record_list_free(list);
  sync_store_close(s);

  sync_status_t st;
  assert_int_equal(sync_once(&w, &st), SYNC_OK);
  assert_delivered(w.dev.path, N);
  assert_int_equal(fx_store_open(w.dev.path, &s), SYNC_OK);
  sync_store_stats_t stats;
  assert_int_equal(sync_store_stats(s, &stats), SYNC_OK);
  assert_int_equal(stats.outbox_refused, 0);
  assert_int_equal(stats.outbox_pending, 0);
  for (size_t i = 0; i < N; i++) {
    sync_record_t *rec = NULL;
    assert_int_equal(sync_record_get(s, uuids[i], &rec), SYNC_OK);
    assert_int_equal(sync_record_delivery(rec), SYNC_DELIVERY_DELIVERED);
    assert_int_equal(sync_record_sealed(rec), 1);
    sync_record_free(rec);
    assert_exported(&w, uuids[i], answers[i]);
    cJSON_Delete(answers[i]);
  }

  /* The app adds its bundled form at every start: the server's stays the form. */
  size_t len = 0;
  char *bundled = ts_read_file(FX_FORM_PATH, &len);
  assert_int_equal(sync_form_add(s, bundled, len, NULL, NULL), SYNC_OK);
  free(bundled);
  assert_int_equal(fx_add_records(w.dev.path, 1, 99), 0);
  sync_record_list_t *all = NULL;
  sync_query_t q;
  sync_query_init(&q);
  q.limit = 1;
  assert_int_equal(sync_record_list(s, &q, &all), SYNC_OK);
  assert_int_equal(sync_record_sealed(sync_record_list_at(all, 0)), 1);
  sync_record_list_free(all);
  sync_store_close(s);
  assert_int_equal(sync_once(&w, &st), SYNC_OK);
  assert_delivered(w.dev.path, N + 1);
  world_free(&w);
}

/* The reference form as central publishes it in the second test: the same id and version, but
 * without the unit type "other" (central's list is closed). Written into dir; caller frees. */
static char *closed_unit_types_form(const char *dir)
{
  size_t len = 0;
  char *text = ts_read_file(FX_FORM_PATH, &len);
  cJSON *f = cJSON_Parse(text);
  free(text);
  cJSON *types = cJSON_GetObjectItem(cJSON_GetObjectItem(f, "choice_lists"), "unit_types");
  for (int i = cJSON_GetArraySize(types) - 1; i >= 0; i--)
    if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(types, i), "name")),
               "other") == 0)
      cJSON_DeleteItemFromArray(types, i);
  char *path = ts_path(dir, "central-form.json");
  char *out = cJSON_PrintUnformatted(f);
  assert_int_equal(fx_write_file(path, out), 0);
  free(out);
  cJSON_Delete(f);
  return path;
}

/* A record whose answer the server's form does not take: refused on the device, said in plain
 * Indonesian with the question's label, not sent again as it is; corrected by the officer, it is
 * delivered, and central reads the corrected answer. */
static void test_a_refused_record_is_explained_corrected_and_delivered(void **state)
{
  (void)state;
  world_t w;
  char *dir = ts_tempdir();
  char *central = closed_unit_types_form(dir);
  world_new(&w, central);
  world_enroll(&w);

  /* The interview, finalized offline with the bundled form: unit type "other". */
  sync_store_t *s = NULL;
  assert_int_equal(fx_store_open(w.dev.path, &s), SYNC_OK);
  cJSON *a = cJSON_Parse(
    "{\"interview_date\":\"2026-05-11\",\"province\":\"35\",\"regency_code\":\"35.02\","
    "\"unit_type\":\"other\",\"unit_type_other\":\"Posko desa\",\"unit_name\":\"Posko Sooko\","
    "\"interpreter_used\":false,\"safe_to_talk\":true,\"consent\":\"no\"}");
  char *payload = cJSON_PrintUnformatted(a);
  char uuid[SYNC_UUID_STRLEN + 1];
  assert_int_equal(sync_record_create(s, FX_FORM_ID, 1, payload, SYNC_STATUS_FINAL, uuid), SYNC_OK);
  free(payload);
  sync_store_close(s);

  sync_status_t st;
  assert_int_equal(sync_once(&w, &st), SYNC_OK);
  assert_int_equal(st.refused, 1);
  assert_int_equal(st.pending, 0);
  /* syncctl says so in its exit status and its counts, and lists why. */
  char *out = NULL;
  assert_int_equal(fx_syncctl(&out, "--store", w.dev.path, "sync", "--json", "--ca-file", w.ca,
                              "--pin", w.pin, NULL), 3);
  cJSON *summary = cJSON_Parse(out);
  free(out);
  assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(summary, "refused")), 1);
  assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(summary, "pending")), 0);
  cJSON_Delete(summary);
  assert_int_equal(fx_syncctl(&out, "--store", w.dev.path, "record", "refused", NULL), 0);
  if (!strstr(out, uuid) || !strstr(out, "Jenis unit"))
    fail_msg("record refused: %s", out);
  free(out);
  assert_int_equal(fx_store_open(w.dev.path, &s), SYNC_OK);
  sync_record_t *rec = NULL;
  assert_int_equal(sync_record_get(s, uuid, &rec), SYNC_OK);
  assert_int_equal(sync_record_delivery(rec), SYNC_DELIVERY_REFUSED);
  const char *why = sync_record_refusal(rec);
  if (!strstr(why, "Jenis unit") || !strstr(why, "Perbaiki") || strstr(why, "unit_type") ||
      strstr(why, "choice"))
    fail_msg("refusal not in plain Indonesian with the question's label: %s", why);
  sync_record_free(rec);
  sync_store_stats_t stats;
  assert_int_equal(sync_store_stats(s, &stats), SYNC_OK);
  assert_int_equal(stats.outbox_refused, 1);
  assert_int_equal(stats.outbox_pending, 0);
  /* The issues name the answer to correct, in the store's language. */
  assert_int_equal(sync_record_refusal_issues(s, uuid), SYNC_OK);
  assert_int_equal(sync_store_issue_count(s), 1);
  assert_string_equal(sync_store_issue_field(s, 0), "unit_type");
  assert_string_equal(sync_store_issue_code(s, 0), "choice");
  /* Sending it again as it is cannot work: said, and nothing changes. */
  assert_int_equal(sync_record_resend(s, uuid), SYNC_ERR_VALIDATION);
  assert_string_equal(sync_store_issue_field(s, 0), "unit_type");
  /* In English too. */
  assert_int_equal(sync_store_set_language(s, "en"), SYNC_OK);
  assert_int_equal(sync_record_get(s, uuid, &rec), SYNC_OK);
  if (!strstr(sync_record_refusal(rec), "Correct these answers"))
    fail_msg("refusal in English: %s", sync_record_refusal(rec));
  sync_record_free(rec);

  /* The officer corrects it: the refusal is superseded and the record delivered. */
  cJSON_ReplaceItemInObject(a, "unit_type", cJSON_CreateString("polres"));
  cJSON_DeleteItemFromObject(a, "unit_type_other");
  payload = cJSON_PrintUnformatted(a);
  assert_int_equal(sync_record_revise(s, uuid, payload), SYNC_OK);
  free(payload);
  assert_int_equal(sync_store_stats(s, &stats), SYNC_OK);
  assert_int_equal(stats.outbox_refused, 0);
  assert_int_equal(stats.outbox_pending, 1);
  sync_store_close(s);
  assert_int_equal(fx_syncctl(&out, "--store", w.dev.path, "sync", "--ca-file", w.ca, "--pin",
                              w.pin, NULL), 0);
  free(out);
  assert_delivered(w.dev.path, 1);
  assert_exported(&w, uuid, a);
  cJSON_Delete(a);
  free(central);
  ts_rmtree(dir);
  free(dir);
  world_free(&w);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_records_made_with_the_bundled_form_reach_a_sealed_server),
    cmocka_unit_test(test_a_refused_record_is_explained_corrected_and_delivered),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
