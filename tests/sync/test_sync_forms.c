/* The server's form is the form, and no refused record is stranded (issue 10; PROTOCOL.md 2.3,
 * sync/record.h "refused"), against the real server in the secure setup: the reference form
 * published sealed (with the split the README once showed), the device enrolled with a one-time code, over
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

#include "sync_fixture.h"
#include "test_support.h"

/* The split the README's publish command once had, without consent and the fields kept without
 * consent: `form publish` adds them (FORMS.md "Encryption"), so records are not stranded. */
#define README_CLEAR "interview_date,province,regency_code,result_category,is_child"

/* A central key pair, `definition` published sealed to it with README_CLEAR, `serve` on
 * HTTPS, and a device store holding its own copy of the reference form, not enrolled yet. */
static void world_new(fx_server_t *srv, fx_device_t *dev, const char *definition)
{
  assert_int_equal(fx_server_new(srv), 0);
  srv->seal_key = ts_path(srv->dir, "central.key");
  char *pub = ts_path(srv->dir, "central.key.pub");
  assert_int_equal(fx_syncserver(NULL, "keygen", "--out", srv->seal_key, NULL), 0);
  assert_int_equal(fx_syncserver(NULL, "form", "publish", "--db", srv->db, definition,
                                 "--seal-to", pub, "--clear-fields", README_CLEAR,
                                 "--dedup-fields", FX_DEDUP_FIELDS, NULL), 0);
  free(pub);
  assert_int_equal(fx_server_use_tls(srv), 0);
  assert_int_equal(fx_server_start(srv), 0);
  assert_int_equal(fx_device_new(dev), 0);
  sync_store_t *s = NULL;
  size_t len = 0;
  char *bundled = ts_read_file(FX_FORM_PATH, &len);
  assert_int_equal(fx_store_open(dev->path, &s), SYNC_OK);
  assert_int_equal(sync_form_add(s, bundled, len, NULL, NULL), SYNC_OK);
  sync_store_close(s);
  free(bundled);
}

static void world_enroll(fx_server_t *srv, const fx_device_t *dev)
{
  char why[512] = "";
  if (fx_enroll(srv, dev->path, srv->ca_file, srv->pin, why, sizeof why) != SYNC_OK)
    fail_msg("enroll over https: %s", why);
}

/* Every saved answer in `kept` (uuid -> answers) is in central's export with the private key. */
static void assert_exported(const fx_server_t *srv, const cJSON *kept)
{
  char why[512] = "";
  if (fx_verify_export(srv, kept, why, sizeof why) != 0)
    fail_msg("central's export: %s", why);
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
  fx_server_t srv;
  fx_device_t dev;
  world_new(&srv, &dev, FX_FORM_PATH);
  enum { N = 6 };
  cJSON *kept = cJSON_CreateObject();
  assert_int_equal(fx_add_records_kept(dev.path, N, 17, kept), 0);
  world_enroll(&srv, &dev);

  sync_status_t st;
  assert_int_equal(fx_sync_once(&dev, &srv, &st), SYNC_OK);
  assert_int_equal(st.refused, 0);
  assert_int_equal(st.pending, 0);
  assert_delivered(dev.path, N);
  assert_exported(&srv, kept);
  sync_store_t *s = NULL;
  assert_int_equal(fx_store_open(dev.path, &s), SYNC_OK);
  sync_store_stats_t stats;
  assert_int_equal(sync_store_stats(s, &stats), SYNC_OK);
  assert_int_equal(stats.outbox_refused, 0);
  assert_int_equal(stats.outbox_pending, 0);
  for (const cJSON *k = kept->child; k; k = k->next) {
    sync_record_t *rec = NULL;
    assert_int_equal(sync_record_get(s, k->string, &rec), SYNC_OK);
    assert_int_equal(sync_record_delivery(rec), SYNC_DELIVERY_DELIVERED);
    assert_int_equal(sync_record_sealed(rec), 1);
    sync_record_free(rec);
  }
  cJSON_Delete(kept);

  /* The app adds its bundled form at every start: the server's stays the form. */
  size_t len = 0;
  char *bundled = ts_read_file(FX_FORM_PATH, &len);
  assert_int_equal(sync_form_add(s, bundled, len, NULL, NULL), SYNC_OK);
  free(bundled);
  assert_int_equal(fx_add_records(dev.path, 1, 99), 0);
  sync_record_list_t *all = NULL;
  sync_query_t q;
  sync_query_init(&q);
  q.limit = 1;
  assert_int_equal(sync_record_list(s, &q, &all), SYNC_OK);
  assert_int_equal(sync_record_sealed(sync_record_list_at(all, 0)), 1);
  sync_record_list_free(all);
  sync_store_close(s);
  assert_int_equal(fx_sync_once(&dev, &srv, &st), SYNC_OK);
  assert_delivered(dev.path, N + 1);
  fx_device_destroy(&dev);
  fx_server_destroy(&srv);
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
  fx_server_t srv;
  fx_device_t dev;
  char *dir = ts_tempdir();
  char *central = closed_unit_types_form(dir);
  world_new(&srv, &dev, central);
  world_enroll(&srv, &dev);

  /* The interview, finalized offline with the bundled form: unit type "other". */
  sync_store_t *s = NULL;
  assert_int_equal(fx_store_open(dev.path, &s), SYNC_OK);
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
  assert_int_equal(fx_sync_once(&dev, &srv, &st), SYNC_OK);
  assert_int_equal(st.refused, 1);
  assert_int_equal(st.pending, 0);
  /* syncctl says so in its exit status and its counts, and lists why. */
  char *out = NULL;
  assert_int_equal(fx_syncctl(&out, "--store", dev.path, "sync", "--json", "--ca-file", srv.ca_file,
                              "--pin", srv.pin, NULL), 3);
  cJSON *summary = cJSON_Parse(out);
  free(out);
  assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(summary, "refused")), 1);
  assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(summary, "pending")), 0);
  cJSON_Delete(summary);
  assert_int_equal(fx_syncctl(&out, "--store", dev.path, "record", "refused", NULL), 0);
  if (!strstr(out, uuid) || !strstr(out, "Jenis unit"))
    fail_msg("record refused: %s", out);
  free(out);
  assert_int_equal(fx_store_open(dev.path, &s), SYNC_OK);
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
  assert_int_equal(fx_syncctl(&out, "--store", dev.path, "sync", "--ca-file", srv.ca_file, "--pin",
                              srv.pin, NULL), 0);
  free(out);
  assert_delivered(dev.path, 1);
  cJSON *kept = cJSON_CreateObject();
  cJSON_AddItemToObject(kept, uuid, a);
  assert_exported(&srv, kept);
  cJSON_Delete(kept);
  free(central);
  ts_rmtree(dir);
  free(dir);
  fx_device_destroy(&dev);
  fx_server_destroy(&srv);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_records_made_with_the_bundled_form_reach_a_sealed_server),
    cmocka_unit_test(test_a_refused_record_is_explained_corrected_and_delivered),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
