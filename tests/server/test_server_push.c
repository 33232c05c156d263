/* The real syncserver: pushes of the golden batches (plain and LZ4), exactly-once receipts,
 * per-change rejections, conflicts with central staff changes, and pull paging. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "server_fixture.h"
#include "test_support.h"

static server_t S;
static device_t DEV, OTHER;
static cJSON *FIRST_RECEIPTS; /* receipts of the first push of push-request-basic.json */

static int group_setup(void **state)
{
  (void)state;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (server_prepare(&S) != 0 || add_device(&S, "Laptop PPA Ponorogo 02", GOLDEN_DEVICE, &DEV) != 0 ||
      add_device(&S, "Tablet Polres Batu", NULL, &OTHER) != 0 || server_start(&S, NULL) != 0)
    return -1;
  return 0;
}

static int group_teardown(void **state)
{
  (void)state;
  cJSON_Delete(FIRST_RECEIPTS);
  assert_int_equal(server_stop(&S, SIGTERM), 0);
  server_cleanup(&S);
  curl_global_cleanup();
  return 0;
}

static cJSON *load_golden(const char *name)
{
  char *t = ts_golden(name, NULL);
  cJSON *j = cJSON_Parse(t);
  free(t);
  assert_non_null(j);
  return j;
}

/* POSTs a push and returns the decoded 200 body. */
static cJSON *push_ok(const device_t *dev, const char *body, size_t len, int flags)
{
  reply_t r;
  assert_int_equal(http_call(&S, "POST", "/v1/push", dev, NULL, body, len, flags, &r), 0);
  if (r.status != 200)
    fprintf(stderr, "push: %ld %s\n", r.status, r.body);
  assert_int_equal(r.status, 200);
  proto_push_resp_t *pr = NULL;
  proto_diag_t d;
  if (proto_push_resp_decode(r.body, r.len, &pr, &d) != SYNC_OK)
    fprintf(stderr, "push response does not decode: %s\n%s\n", d.msg, r.body);
  assert_non_null(pr);
  proto_push_resp_free(pr);
  /* one signature over every receipt, refusals included */
  assert_int_equal(push_response_signed(&S, dev, body, len, r.body, r.len), 1);
  cJSON *j = reply_json(&r);
  reply_free(&r);
  assert_non_null(j);
  return j;
}

static const cJSON *receipt(const cJSON *resp, int i)
{
  return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(resp, "receipts"), i);
}

static const char *str(const cJSON *o, const char *k)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *o, const char *k)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* Compares without the volatile values; takes ownership of both. */
static void assert_same_json(cJSON *got, cJSON *want)
{
  json_strip_volatile(got);
  json_strip_volatile(want);
  if (!cJSON_Compare(got, want, 1)) {
    char *a = cJSON_Print(got), *b = cJSON_Print(want);
    fprintf(stderr, "got:\n%s\nwant:\n%s\n", a, b);
    free(a);
    free(b);
  }
  int same = cJSON_Compare(got, want, 1);
  cJSON_Delete(got);
  cJSON_Delete(want);
  assert_true(same);
}

static long long count(const char *sql)
{
  return db_scalar(&S, sql);
}

/* A one-change push body. */
static char *push1(const device_t *dev, const char *uuid, int rev, int base_rev,
                   const char *base_hlc, const char *hlc, const char *op, const char *payload)
{
  char batch[40];
  make_uuid(batch);
  char *ch = make_change(uuid, rev, base_rev, base_hlc, hlc, op, payload);
  char *body = make_push(dev->id, batch, &ch, 1);
  free(ch);
  return body;
}

/* ---- golden batches ----------------------------------------------------------------------- */

static void test_golden_push_is_stored_with_increasing_server_seq(void **state)
{
  (void)state;
  size_t len;
  char *body = ts_golden("push-request-basic.json", &len);
  cJSON *resp = push_ok(&DEV, body, len, 0);
  free(body);
  for (int i = 0; i < 3; i++) {
    assert_string_equal(str(receipt(resp, i), "outcome"), "stored");
    assert_true(num(receipt(resp, i), "received_at") > 0);
    if (i)
      assert_true(num(receipt(resp, i), "server_seq") > num(receipt(resp, i - 1), "server_seq"));
  }
  FIRST_RECEIPTS = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(resp, "receipts"), 1);
  assert_same_json(resp, load_golden("push-response-basic.json"));
  assert_int_equal(count("SELECT count(*) FROM record_revisions"), 3);
  assert_int_equal(count("SELECT count(*) FROM records WHERE deleted = 1"), 1);
}

static void test_resent_lz4_batch_gets_the_same_receipts_and_stores_nothing(void **state)
{
  (void)state;
  size_t len;
  char *body = ts_golden("push-request-basic.json", &len);
  long long before = count("SELECT count(*) FROM record_revisions");
  for (int round = 0; round < 2; round++) {
    cJSON *resp = push_ok(&DEV, body, len, REQ_LZ4 | REQ_ACCEPT_LZ4);
    for (int i = 0; i < 3; i++) {
      const cJSON *r = receipt(resp, i), *first = cJSON_GetArrayItem(FIRST_RECEIPTS, i);
      assert_string_equal(str(r, "outcome"), "duplicate");
      assert_true(num(r, "server_seq") == num(first, "server_seq"));
      assert_true(num(r, "received_at") == num(first, "received_at"));
    }
    assert_same_json(resp, load_golden("push-response-duplicate.json"));
  }
  free(body);
  assert_int_equal(count("SELECT count(*) FROM record_revisions"), before);
  assert_int_equal(count("SELECT count(*) FROM records"), 3);
}

static void test_record_get_returns_the_pushed_payload_byte_for_byte(void **state)
{
  (void)state;
  cJSON *req = load_golden("push-request-basic.json");
  const cJSON *ch = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(req, "changes"), 0);
  char *want = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(ch, "payload"));
  char *got = NULL;
  assert_int_equal(run_syncserver(&got, "record", "get", "--db", S.db, str(ch, "uuid"), NULL), 0);
  assert_string_equal(got, want);
  free(got);
  free(want);
  cJSON_Delete(req);
  assert_int_not_equal(run_syncserver(NULL, "record", "get", "--db", S.db,
                                      "00000000-0000-4000-8000-000000000000", NULL), 0);
}

static void test_golden_rejected_batch_stores_only_the_good_change(void **state)
{
  (void)state;
  size_t len;
  char *body = ts_golden("push-request-rejected.json", &len);
  long long before = count("SELECT count(*) FROM record_revisions");
  cJSON *resp = push_ok(&DEV, body, len, REQ_LZ4);
  free(body);
  assert_same_json(resp, load_golden("push-response-rejected.json"));
  assert_int_equal(count("SELECT count(*) FROM record_revisions"), before + 1);
  assert_int_equal(count("SELECT count(*) FROM record_revisions WHERE uuid ="
                         " '8c2f4a6e-1b3d-4e5f-9a7b-0c1d2e3f4a5b'"), 0);
}

/* ---- per-change rejections ----------------------------------------------------------------- */

static void test_same_revision_with_another_hlc_is_invalid_change(void **state)
{
  (void)state;
  char uuid[40], h1[64], h2[64];
  make_uuid(uuid);
  make_hlc(h1, 1732600000000LL, 0, DEV.id);
  make_hlc(h2, 1732600000000LL, 1, DEV.id);
  char *a = push1(&DEV, uuid, 1, 0, NULL, h1, "upsert", "{\"province\":\"35\"}");
  char *b = push1(&DEV, uuid, 1, 0, NULL, h2, "upsert", "{\"province\":\"36\"}");
  cJSON *ra = push_ok(&DEV, a, strlen(a), 0), *rb = push_ok(&DEV, b, strlen(b), 0);
  assert_string_equal(str(receipt(ra, 0), "outcome"), "stored");
  assert_string_equal(str(receipt(rb, 0), "outcome"), "rejected");
  const cJSON *err = cJSON_GetObjectItemCaseSensitive(receipt(rb, 0), "error");
  assert_string_equal(str(err, "code"), "invalid_change");
  cJSON_Delete(ra);
  cJSON_Delete(rb);
  free(a);
  free(b);
  char sql[200];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM record_revisions WHERE uuid = '%s'", uuid);
  assert_int_equal(count(sql), 1);
}

static void test_change_to_another_devices_record_is_forbidden(void **state)
{
  (void)state;
  char hlc[64];
  make_hlc(hlc, 1732700000000LL, 0, OTHER.id);
  char *body = push1(&OTHER, "3f6b9c1e-2d4a-4b8f-9e7c-1a5d3c8b2f90", 9, 0, NULL, hlc, "upsert",
                     "{\"province\":\"35\"}");
  cJSON *resp = push_ok(&OTHER, body, strlen(body), 0);
  free(body);
  assert_string_equal(str(receipt(resp, 0), "outcome"), "rejected");
  assert_string_equal(str(cJSON_GetObjectItemCaseSensitive(receipt(resp, 0), "error"), "code"),
                      "forbidden");
  cJSON_Delete(resp);
}

static void test_late_older_revision_is_kept_as_history_under_the_newer_head(void **state)
{
  (void)state;
  char uuid[40], h1[64], h3[64], h2[64];
  make_uuid(uuid);
  make_hlc(h1, 1732600000000LL, 0, DEV.id);
  make_hlc(h2, 1732600001000LL, 0, DEV.id);
  make_hlc(h3, 1732600002000LL, 0, DEV.id);
  char *c1 = push1(&DEV, uuid, 1, 0, NULL, h1, "upsert", "{\"province\":\"35\"}");
  char *c3 = push1(&DEV, uuid, 3, 1, h1, h3, "upsert", "{\"province\":\"37\"}");
  char *c2 = push1(&DEV, uuid, 2, 1, h1, h2, "upsert", "{\"province\":\"36\"}");
  char *bodies[] = {c1, c3, c2};
  for (int i = 0; i < 3; i++) {
    cJSON *r = push_ok(&DEV, bodies[i], strlen(bodies[i]), 0);
    assert_string_equal(str(receipt(r, 0), "outcome"), "stored");
    cJSON_Delete(r);
    free(bodies[i]);
  }
  char *payload = NULL;
  assert_int_equal(run_syncserver(&payload, "record", "get", "--db", S.db, uuid, NULL), 0);
  assert_string_equal(payload, "{\"province\":\"37\"}");
  free(payload);
}

/* ---- conflicts ------------------------------------------------------------------------------ */

static void conflict_scenario(long long device_ms, const char *expect_winner,
                              const char *expect_status)
{
  char uuid[40], h1[64], h2[64];
  make_uuid(uuid);
  make_hlc(h1, 1732600000000LL, 0, DEV.id);
  make_hlc(h2, device_ms, 1, DEV.id);
  char *c1 = push1(&DEV, uuid, 1, 0, NULL, h1, "upsert",
                   "{\"province\":\"35\",\"follow_up_date\":\"2024-12-01\",\"officer_notes\":\"Rujuk ke UPTD PPA.\"}");
  cJSON *r1 = push_ok(&DEV, c1, strlen(c1), 0);
  assert_string_equal(str(receipt(r1, 0), "outcome"), "stored");
  cJSON_Delete(r1);
  free(c1);

  /* Central staff mark the case referred: revision 2, origin central. */
  assert_int_equal(run_syncserver(NULL, "record", "set-status", "--db", S.db, uuid, "--status",
                                  "referred", "--referral", "accepted_by_uptd_ppa", "--by",
                                  "siti.rahma", NULL), 0);

  /* Offline, the device wrote its revision 2 from revision 1. */
  long long conflicts_before = count("SELECT count(*) FROM conflicts");
  char *c2 = push1(&DEV, uuid, 2, 1, h1, h2, "upsert",
                   "{\"province\":\"35\",\"follow_up_date\":\"2024-12-01\",\"officer_notes\":"
                   "\"Korban sudah di shelter.\",\"case_status\":\"closed\"}");
  cJSON *r2 = push_ok(&DEV, c2, strlen(c2), REQ_LZ4);
  const cJSON *rc = receipt(r2, 0);
  assert_string_equal(str(rc, "outcome"), "conflict");
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(rc, "merged");
  const cJSON *cf = cJSON_GetObjectItemCaseSensitive(rc, "conflict");
  assert_int_equal((int)num(m, "revision"), 3);
  assert_int_equal((int)num(m, "base_revision"), 2);
  assert_string_equal(str(m, "base_hlc"), h2);
  assert_string_equal(str(m, "origin"), "central");
  assert_string_equal(str(m, "author"), "system:merge");
  assert_true(strcmp(str(m, "hlc"), h2) > 0);
  const cJSON *mp = cJSON_GetObjectItemCaseSensitive(m, "payload");
  assert_string_equal(str(mp, "officer_notes"), "Korban sudah di shelter."); /* device only */
  assert_string_equal(str(mp, "referral_outcome"), "accepted_by_uptd_ppa"); /* central only */
  assert_string_equal(str(mp, "case_status"), expect_status);               /* both: by HLC */
  assert_int_equal((int)num(cf, "base_revision"), 1);
  assert_string_equal(str(cf, "base_hlc"), h1);
  assert_int_equal((int)num(cf, "central_revision"), 2);
  const cJSON *fields = cJSON_GetObjectItemCaseSensitive(cf, "fields");
  assert_int_equal(cJSON_GetArraySize(fields), 1);
  const cJSON *f0 = cJSON_GetArrayItem(fields, 0);
  assert_string_equal(str(f0, "field"), "case_status");
  assert_string_equal(str(f0, "winner"), expect_winner);
  assert_string_equal(str(f0, "device_value"), "closed");
  assert_string_equal(str(f0, "central_value"), "referred");
  assert_int_equal(count("SELECT count(*) FROM conflicts"), conflicts_before + 1);

  /* The merged revision is the head; both losers are kept. */
  char *payload = NULL;
  assert_int_equal(run_syncserver(&payload, "record", "get", "--db", S.db, uuid, NULL), 0);
  cJSON *head = cJSON_Parse(payload);
  assert_true(cJSON_Compare(head, mp, 1));
  cJSON_Delete(head);
  free(payload);
  char sql[200];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM record_revisions WHERE uuid = '%s'", uuid);
  assert_int_equal(count(sql), 4);

  /* Re-sent: the same receipt, merged revision and conflict again; nothing new. */
  cJSON *r3 = push_ok(&DEV, c2, strlen(c2), 0);
  const cJSON *rd = receipt(r3, 0);
  assert_string_equal(str(rd, "outcome"), "duplicate");
  assert_true(num(rd, "server_seq") == num(rc, "server_seq"));
  assert_true(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(rd, "merged"), m, 1));
  assert_true(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(rd, "conflict"), cf, 1));
  assert_int_equal(count(sql), 4);
  cJSON_Delete(r3);
  cJSON_Delete(r2);
  free(c2);
}

static void test_offline_edit_after_central_status_change_merges_central_newer_wins(void **state)
{
  (void)state;
  conflict_scenario(1732650000000LL, "central", "referred");
}

static void test_offline_edit_after_central_status_change_merges_device_newer_wins(void **state)
{
  (void)state;
  conflict_scenario(4102444800000LL /* 2100 */, "device", "closed");
}

/* Issue 10, item 11: a central status change and an unrelated device edit merge with nothing to
 * review: the receipt lists no field and the server keeps no (empty) conflict row; a re-send gets
 * the same receipt back. */
static void test_unrelated_offline_edit_merges_without_a_conflict_row(void **state)
{
  (void)state;
  char uuid[40], h1[64], h2[64];
  make_uuid(uuid);
  make_hlc(h1, 1732600000000LL, 0, DEV.id);
  make_hlc(h2, 1732650000000LL, 1, DEV.id);
  char *c1 = push1(&DEV, uuid, 1, 0, NULL, h1, "upsert",
                   "{\"province\":\"35\",\"officer_notes\":\"Rujuk ke UPTD PPA.\"}");
  cJSON_Delete(push_ok(&DEV, c1, strlen(c1), 0));
  free(c1);
  assert_int_equal(run_syncserver(NULL, "record", "set-status", "--db", S.db, uuid, "--status",
                                  "referred", "--by", "siti.rahma", NULL), 0);
  long long conflicts_before = count("SELECT count(*) FROM conflicts");
  char *c2 = push1(&DEV, uuid, 2, 1, h1, h2, "upsert",
                   "{\"province\":\"35\",\"officer_notes\":\"Korban sudah di shelter.\"}");
  cJSON *r2 = push_ok(&DEV, c2, strlen(c2), 0);
  const cJSON *rc = receipt(r2, 0);
  assert_string_equal(str(rc, "outcome"), "conflict");
  const cJSON *mp = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rc, "merged"),
                                                     "payload");
  assert_string_equal(str(mp, "officer_notes"), "Korban sudah di shelter.");
  assert_string_equal(str(mp, "case_status"), "referred");
  const cJSON *cf = cJSON_GetObjectItemCaseSensitive(rc, "conflict");
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cf, "fields")), 0);
  assert_int_equal((int)num(cf, "central_revision"), 2);
  assert_int_equal(count("SELECT count(*) FROM conflicts"), conflicts_before);
  assert_int_equal(count("SELECT count(*) FROM conflicts WHERE fields = '[]'"), 0);

  cJSON *r3 = push_ok(&DEV, c2, strlen(c2), 0);
  const cJSON *rd = receipt(r3, 0);
  assert_string_equal(str(rd, "outcome"), "duplicate");
  assert_true(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(rd, "merged"),
                            cJSON_GetObjectItemCaseSensitive(rc, "merged"), 1));
  assert_true(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(rd, "conflict"), cf, 1));
  assert_int_equal(count("SELECT count(*) FROM conflicts"), conflicts_before);
  cJSON_Delete(r3);
  cJSON_Delete(r2);
  free(c2);
}

/* Issue 10, item 11: a central delete against a device revision is one record-level conflict
 * (`$deleted`), the same one in the receipt (what the device stores) and in the server's row. */
static void test_central_delete_against_an_offline_edit_is_one_conflict(void **state)
{
  (void)state;
  char uuid[40], h1[64], h2[64];
  make_uuid(uuid);
  make_hlc(h1, 1732600000000LL, 0, DEV.id);
  make_hlc(h2, 1732650000000LL, 1, DEV.id);
  const char *answers = "{\"province\":\"35\",\"regency_code\":\"35.02\",\"sex\":\"f\","
                        "\"nationality\":\"IDN\",\"sector\":\"fishing\",\"officer_notes\":\"a\"}";
  char *c1 = push1(&DEV, uuid, 1, 0, NULL, h1, "upsert", answers);
  cJSON_Delete(push_ok(&DEV, c1, strlen(c1), 0));
  free(c1);
  assert_int_equal(run_syncserver(NULL, "record", "delete", "--db", S.db, uuid, "--by",
                                  "siti.rahma", NULL), 0);
  long long conflicts_before = count("SELECT count(*) FROM conflicts");
  char *c2 = push1(&DEV, uuid, 2, 1, h1, h2, "upsert",
                   "{\"province\":\"35\",\"regency_code\":\"35.02\",\"sex\":\"f\","
                   "\"nationality\":\"IDN\",\"sector\":\"fishing\",\"officer_notes\":\"b\"}");
  cJSON *r2 = push_ok(&DEV, c2, strlen(c2), 0);
  const cJSON *rc = receipt(r2, 0);
  assert_string_equal(str(rc, "outcome"), "conflict");
  assert_string_equal(str(cJSON_GetObjectItemCaseSensitive(rc, "merged"), "op"), "delete");
  const cJSON *fields =
    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rc, "conflict"), "fields");
  assert_int_equal(cJSON_GetArraySize(fields), 1);
  const cJSON *f0 = cJSON_GetArrayItem(fields, 0);
  assert_string_equal(str(f0, "field"), "$deleted");
  assert_string_equal(str(f0, "winner"), "central");
  assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(f0, "device_value")));
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f0, "central_value")));
  assert_int_equal(count("SELECT count(*) FROM conflicts"), conflicts_before + 1);
  /* central staff see the set the device stores */
  char *rows = NULL;
  assert_int_equal(run_syncserver(&rows, "conflicts", "--db", S.db, "--json", NULL), 0);
  cJSON *list = cJSON_Parse(rows);
  free(rows);
  const cJSON *it, *mine = NULL;
  cJSON_ArrayForEach(it, list)
    if (strcmp(str(it, "uuid"), uuid) == 0) {
      assert_null(mine);
      mine = it;
    }
  assert_non_null(mine);
  assert_true(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(mine, "fields"), fields, 1));
  cJSON_Delete(list);
  /* the device's answers are kept, not lost */
  char sql[256];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM record_revisions WHERE uuid = '%s' AND"
           " json_extract(payload, '$.officer_notes') = 'b'", uuid);
  assert_int_equal(count(sql), 1);
  cJSON_Delete(r2);
  free(c2);
}

static void test_set_status_refuses_fields_the_form_lacks_unless_forced(void **state)
{
  (void)state;
  assert_int_equal(run_syncserver(NULL, "form", "publish", "--db", S.db,
                                  SYNC_SERVER_TEST_DATA "/mini_form.v1.json", NULL), 0);
  char uuid[40], h1[64], batch[40];
  make_uuid(uuid);
  make_uuid(batch);
  make_hlc(h1, 1732600000000LL, 0, DEV.id);
  char *ch = make_change(uuid, 1, 0, NULL, h1, "upsert", "{\"province\":\"35\"}");
  char *at = strstr(ch, "tppo_screening");
  assert_non_null(at);
  memmove(at, "mini", 4);
  memmove(at + 4, at + strlen("tppo_screening"), strlen(at + strlen("tppo_screening")) + 1);
  char *body = make_push(DEV.id, batch, &ch, 1);
  cJSON *r = push_ok(&DEV, body, strlen(body), 0);
  assert_string_equal(str(receipt(r, 0), "outcome"), "stored");
  cJSON_Delete(r);
  free(body);
  free(ch);
  /* The mini form has no case_status: refused, nothing written, unless forced. */
  long long before = count("SELECT count(*) FROM record_revisions");
  assert_int_equal(run_syncserver(NULL, "record", "set-status", "--db", S.db, uuid, "--status",
                                  "referred", "--by", "siti.rahma", NULL), 1);
  assert_int_equal(count("SELECT count(*) FROM record_revisions"), before);
  assert_int_equal(run_syncserver(NULL, "record", "set-status", "--db", S.db, uuid, "--status",
                                  "referred", "--by", "siti.rahma", "--force", NULL), 0);
  assert_int_equal(count("SELECT count(*) FROM record_revisions"), before + 1);
  assert_int_equal(run_syncserver(NULL, "record", "set-status", "--db", S.db,
                                  "00000000-0000-4000-8000-000000000000", "--status", "x", "--by",
                                  "a", NULL), 1);
  assert_int_equal(run_syncserver(NULL, "record", "set-status", "--db", S.db, uuid, NULL), 2);
}

/* ---- pull ----------------------------------------------------------------------------------- */

static cJSON *pull(const device_t *dev, const char *cursor, int limit)
{
  char path[200];
  if (cursor)
    snprintf(path, sizeof path, "/v1/pull?cursor=%s&limit=%d", cursor, limit);
  else
    snprintf(path, sizeof path, "/v1/pull?limit=%d", limit);
  reply_t r;
  assert_int_equal(http_call(&S, "GET", path, dev, NULL, NULL, 0, REQ_ACCEPT_LZ4, &r), 0);
  assert_int_equal(r.status, 200);
  proto_pull_resp_t *p = NULL;
  proto_diag_t d;
  if (proto_pull_resp_decode(r.body, r.len, &p, &d) != SYNC_OK)
    fprintf(stderr, "pull response does not decode: %s\n", d.msg);
  assert_non_null(p);
  proto_pull_resp_free(p);
  cJSON *j = reply_json(&r);
  reply_free(&r);
  return j;
}

static void test_pull_pages_by_cursor_with_forms_and_central_revisions_only(void **state)
{
  (void)state;
  device_t P;
  assert_int_equal(add_device(&S, "Laptop Polres Ponorogo", NULL, &P), 0);
  char uuids[4][40];
  for (int i = 0; i < 4; i++) {
    char hlc[64];
    make_uuid(uuids[i]);
    make_hlc(hlc, 1732600000000LL + i, 0, P.id);
    char *b = push1(&P, uuids[i], 1, 0, NULL, hlc, "upsert", "{\"province\":\"35\"}");
    cJSON_Delete(push_ok(&P, b, strlen(b), 0));
    free(b);
  }
  assert_int_equal(publish_form_version(&S, 2), 0);
  for (int i = 0; i < 2; i++)
    assert_int_equal(run_syncserver(NULL, "record", "set-status", "--db", S.db, uuids[i],
                                    "--status", "referred", "--by", "siti.rahma", NULL), 0);
  assert_int_equal(run_syncserver(NULL, "record", "delete", "--db", S.db, uuids[2], "--by",
                                  "admin.pusat", NULL), 0);
  assert_int_equal(publish_form_version(&S, 3), 0);

  /* Forms v1, v2, v3 + 3 central revisions = 6 items, in seq order, two per page. */
  const char *kinds_want[] = {"form", "form", "record", "record", "record", "form"};
  char cursor[64] = "";
  int n = 0, pages = 0, deletes = 0;
  double last_seq = 0;
  for (;;) {
    cJSON *page = pull(&P, cursor[0] ? cursor : NULL, 2);
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(page, "items");
    const cJSON *it;
    cJSON_ArrayForEach(it, items) {
      assert_true(n < 6);
      assert_string_equal(str(it, "kind"), kinds_want[n]);
      assert_true(num(it, "seq") > last_seq);
      last_seq = num(it, "seq");
      if (strcmp(str(it, "kind"), "record") == 0) {
        assert_string_equal(str(it, "origin"), "central");
        assert_int_equal((int)num(it, "revision"), 2);
        assert_int_equal((int)num(it, "base_revision"), 1);
        if (strcmp(str(it, "op"), "delete") == 0) {
          deletes++;
          assert_string_equal(str(it, "uuid"), uuids[2]);
          assert_string_equal(str(it, "author"), "admin.pusat");
        } else {
          assert_string_equal(str(it, "author"), "siti.rahma");
          const cJSON *p = cJSON_GetObjectItemCaseSensitive(it, "payload");
          assert_string_equal(str(p, "case_status"), "referred");
          assert_string_equal(str(p, "province"), "35");
        }
      }
      n++;
    }
    pages++;
    snprintf(cursor, sizeof cursor, "%s", str(page, "next_cursor"));
    int more = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(page, "more"));
    cJSON_Delete(page);
    if (!more)
      break;
    assert_true(pages < 10);
  }
  assert_int_equal(n, 6);
  assert_int_equal(pages, 3);
  assert_int_equal(deletes, 1);

  /* Nothing new: no items, the cursor comes back unchanged. */
  cJSON *empty = pull(&P, cursor, 100);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(empty, "items")), 0);
  assert_string_equal(str(empty, "next_cursor"), cursor);
  assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(empty, "more")));
  cJSON_Delete(empty);

  /* Another device sees the forms but none of P's records. */
  cJSON *other = pull(&OTHER, NULL, 500);
  const cJSON *it;
  cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(other, "items")) {
    for (int i = 0; i < 4; i++)
      assert_string_not_equal(str(it, "uuid"), uuids[i]);
  }
  cJSON_Delete(other);

  /* The device's own pushes never come back. */
  cJSON *all = pull(&DEV, NULL, 500);
  cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(all, "items")) {
    if (strcmp(str(it, "kind"), "record") == 0)
      assert_string_equal(str(it, "origin"), "central");
  }
  cJSON_Delete(all);
}

static void test_records_listing_shows_each_record_once(void **state)
{
  (void)state;
  char *out = NULL;
  assert_int_equal(run_syncserver(&out, "records", "--db", S.db, "--json", NULL), 0);
  cJSON *arr = cJSON_Parse(out);
  free(out);
  assert_int_equal(cJSON_GetArraySize(arr), (int)count("SELECT count(*) FROM records"));
  const cJSON *first = cJSON_GetArrayItem(arr, 0);
  assert_true(proto_uuid_valid(str(first, "uuid")));
  assert_true(num(first, "server_seq") > 0);
  cJSON_Delete(arr);
  assert_int_equal(run_syncserver(&out, "records", "--db", S.db, "--json", "--limit", "2",
                                  "--form", "tppo_screening", NULL), 0);
  arr = cJSON_Parse(out);
  free(out);
  assert_int_equal(cJSON_GetArraySize(arr), 2);
  cJSON_Delete(arr);
  assert_int_equal(run_syncserver(&out, "device", "list", "--db", S.db, "--json", NULL), 0);
  arr = cJSON_Parse(out);
  free(out);
  const cJSON *d;
  int found = 0;
  cJSON_ArrayForEach(d, arr) {
    if (strcmp(str(d, "device_id"), GOLDEN_DEVICE) == 0) {
      found = 1;
      assert_true(num(d, "records_received") >= 4);
      assert_true(num(d, "last_seen_at") > 0);
    }
  }
  assert_true(found);
  cJSON_Delete(arr);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_golden_push_is_stored_with_increasing_server_seq),
    cmocka_unit_test(test_resent_lz4_batch_gets_the_same_receipts_and_stores_nothing),
    cmocka_unit_test(test_record_get_returns_the_pushed_payload_byte_for_byte),
    cmocka_unit_test(test_golden_rejected_batch_stores_only_the_good_change),
    cmocka_unit_test(test_same_revision_with_another_hlc_is_invalid_change),
    cmocka_unit_test(test_change_to_another_devices_record_is_forbidden),
    cmocka_unit_test(test_late_older_revision_is_kept_as_history_under_the_newer_head),
    cmocka_unit_test(test_offline_edit_after_central_status_change_merges_central_newer_wins),
    cmocka_unit_test(test_offline_edit_after_central_status_change_merges_device_newer_wins),
    cmocka_unit_test(test_pull_pages_by_cursor_with_forms_and_central_revisions_only),
    cmocka_unit_test(test_unrelated_offline_edit_merges_without_a_conflict_row),
    cmocka_unit_test(test_central_delete_against_an_offline_edit_is_one_conflict),
    cmocka_unit_test(test_set_status_refuses_fields_the_form_lacks_unless_forced),
    cmocka_unit_test(test_records_listing_shows_each_record_once),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
