/* Retention and emergency wipe (proto/SECURITY.md 8, sync/store.h): records delivered with
 * verified receipts older than the retention lose their answers and sealed text, others are kept;
 * a wiped store leaves no file behind and a new store takes its place. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <unistd.h>

#include "store_test.h"

#define DAY_MS (24LL * 3600 * 1000)

typedef struct fixture {
  st_store_t st;
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
} fixture_t;

static int setup(void **state)
{
  fixture_t *f = calloc(1, sizeof *f);
  st_store_open(&f->st);
  assert_int_equal(sync_form_add(f->st.s, ST_VISIT_FORM, strlen(ST_VISIT_FORM), NULL, NULL), SYNC_OK);
  st_enroll(f->st.s, f->sk);
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

static void save(sync_store_t *s, const char *name, sync_record_status_t status, char *uuid)
{
  char payload[128];
  snprintf(payload, sizeof payload, "{\"name\":\"%s\"}", name);
  assert_int_equal(sync_record_create(s, "visit", 0, payload, status, uuid), SYNC_OK);
}

static sync_record_t *get(sync_store_t *s, const char *uuid)
{
  sync_record_t *r = NULL;
  assert_int_equal(sync_record_get(s, uuid, &r), SYNC_OK);
  return r;
}

static void test_retention_is_stored_and_zero_by_default(void **state)
{
  fixture_t *f = *state;
  int days = -1;
  int64_t n = -1;
  assert_int_equal(sync_store_retention_days(f->st.s, &days), SYNC_OK);
  assert_int_equal(days, 0);
  /* Retention 0 keeps everything, however old. */
  save(f->st.s, "Old", SYNC_STATUS_FINAL, NULL);
  st_ack_all(f->st.s, f->sk, 1000);
  assert_int_equal(sync_store_purge(f->st.s, 0, &n), SYNC_OK);
  assert_int_equal(n, 0);
  assert_int_equal(sync_store_set_retention_days(f->st.s, -1), SYNC_ERR_INVALID_ARG);
  assert_int_equal(sync_store_set_retention_days(f->st.s, 30), SYNC_OK);
  sync_store_close(f->st.s);
  f->st.s = st_open(f->st.path);
  assert_int_equal(sync_store_retention_days(f->st.s, &days), SYNC_OK);
  assert_int_equal(days, 30);
}

static void test_old_verified_records_are_purged_young_ones_kept(void **state)
{
  fixture_t *f = *state;
  char old[SYNC_UUID_STRLEN + 1], young[SYNC_UUID_STRLEN + 1], draft[SYNC_UUID_STRLEN + 1];
  char pending[SYNC_UUID_STRLEN + 1], marker[32], sql[200];
  int64_t now = store_now_ms(), n = -1;
  st_marker(marker);
  assert_int_equal(sync_store_set_retention_days(f->st.s, 30), SYNC_OK);
  save(f->st.s, marker, SYNC_STATUS_FINAL, old);
  assert_int_equal(sync_record_revise(f->st.s, old, "{\"name\":\"second revision\"}"), SYNC_OK);
  st_ack_all(f->st.s, f->sk, now - 31 * DAY_MS);
  save(f->st.s, "Young", SYNC_STATUS_FINAL, young);
  st_ack_all(f->st.s, f->sk, now - 29 * DAY_MS);
  save(f->st.s, "Draft", SYNC_STATUS_DRAFT, draft);
  save(f->st.s, "Never sent", SYNC_STATUS_FINAL, pending);
  /* As if the record were sealed and hashed: purge erases both. */
  snprintf(sql, sizeof sql, "UPDATE record_revisions SET sealed = 'c2VhbGVk', dedup = 'ab' WHERE uuid = '%s'", old);
  st_raw_int(f->st.path, sql);

  assert_int_equal(sync_store_purge(f->st.s, now, &n), SYNC_OK);
  assert_int_equal(n, 1);
  sync_record_t *r = get(f->st.s, old);
  assert_int_equal(sync_record_purged(r), 1);
  assert_string_equal(sync_record_payload(r), "{}");
  assert_int_equal(sync_record_delivery(r), SYNC_DELIVERY_DELIVERED); /* the proof stays */
  assert_true(sync_record_receipt_time(r) > 0);
  char *json = NULL;
  assert_int_equal(sync_record_to_json(r, &json), SYNC_OK);
  assert_non_null(strstr(json, "\"purged\":true"));
  sync_free(json);
  sync_record_free(r);
  /* Every revision lost its answers; the receipts are kept; nothing of them is left in the files. */
  snprintf(sql, sizeof sql, "SELECT count(*) FROM outbox WHERE uuid = '%s' AND receipt_sig IS NOT NULL", old);
  assert_int_equal(st_raw_int(f->st.path, sql), 2);
  snprintf(sql, sizeof sql, "SELECT count(*) FROM record_revisions WHERE uuid = '%s' AND length(payload) = %d"
           " AND sealed IS NULL AND dedup IS NULL", old, 2 + 41);
  assert_int_equal(st_raw_int(f->st.path, sql), 2); /* an encrypted "{}" */
  assert_false(st_dir_contains(f->st.dir, marker));
  assert_int_equal(sync_record_revise(f->st.s, old, "{\"name\":\"again\"}"), SYNC_ERR_STATE);

  r = get(f->st.s, young);
  assert_int_equal(sync_record_purged(r), 0);
  assert_string_equal(sync_record_payload(r), "{\"name\":\"Young\"}");
  sync_record_free(r);
  r = get(f->st.s, draft);
  assert_string_equal(sync_record_payload(r), "{\"name\":\"Draft\"}");
  sync_record_free(r);
  r = get(f->st.s, pending);
  assert_int_equal(sync_record_purged(r), 0);
  sync_record_free(r);

  /* Later, the young one's turn comes; purging again changes nothing else. */
  assert_int_equal(sync_store_purge(f->st.s, now + 2 * DAY_MS, &n), SYNC_OK);
  assert_int_equal(n, 1);
  assert_int_equal(sync_store_purge(f->st.s, now + 2 * DAY_MS, &n), SYNC_OK);
  assert_int_equal(n, 0);
}

static void test_records_with_bad_or_missing_signatures_are_kept(void **state)
{
  fixture_t *f = *state;
  char forged[SYNC_UUID_STRLEN + 1], unsigned_[SYNC_UUID_STRLEN + 1], refused[SYNC_UUID_STRLEN + 1];
  char bad_path[SYNC_UUID_STRLEN + 1];
  int64_t now = store_now_ms(), n = -1;
  assert_int_equal(sync_store_set_retention_days(f->st.s, 1), SYNC_OK);
  save(f->st.s, "Forged", SYNC_STATUS_FINAL, forged);
  st_ack_all(f->st.s, NULL, now - 10 * DAY_MS); /* signed with another key */
  save(f->st.s, "Unsigned", SYNC_STATUS_FINAL, unsigned_);
  st_ack_all(f->st.s, f->sk, now - 10 * DAY_MS);
  char sql[320];
  snprintf(sql, sizeof sql, "UPDATE outbox SET receipt_sig = NULL WHERE uuid = '%s'", unsigned_);
  st_raw_int(f->st.path, sql);
  /* A good signature over a tree the record's proof does not lead to: one hex digit of the first
   * path hash ("<index>/<count>/<hash>,...") changed. */
  save(f->st.s, "Bad path", SYNC_STATUS_FINAL, bad_path);
  st_ack_all(f->st.s, f->sk, now - 10 * DAY_MS);
  snprintf(sql, sizeof sql, "UPDATE outbox SET receipt_sig = substr(receipt_sig, 1, 10) ||"
           " (CASE substr(receipt_sig, 11, 1) WHEN '0' THEN '1' ELSE '0' END) ||"
           " substr(receipt_sig, 12) WHERE uuid = '%s'", bad_path);
  st_raw_int(f->st.path, sql);
  /* A record whose newest revision the server refused is never purged either. */
  save(f->st.s, "Refused", SYNC_STATUS_FINAL, refused);
  st_ack_all(f->st.s, f->sk, now - 10 * DAY_MS);
  assert_int_equal(sync_record_revise(f->st.s, refused, "{\"name\":\"Refused 2\"}"), SYNC_OK);
  snprintf(sql, sizeof sql, "UPDATE outbox SET failed_at = 1, last_error = 'no' WHERE uuid = '%s'"
           " AND revision = 2", refused);
  st_raw_int(f->st.path, sql);

  assert_int_equal(sync_store_purge(f->st.s, now, &n), SYNC_OK);
  assert_int_equal(n, 0);
  const char *uuids[] = { forged, unsigned_, refused, bad_path };
  for (size_t i = 0; i < 4; i++) {
    sync_record_t *r = get(f->st.s, uuids[i]);
    assert_int_equal(sync_record_purged(r), 0);
    assert_string_not_equal(sync_record_payload(r), "{}");
    sync_record_free(r);
  }

  /* Without the server's key nothing can be verified, so nothing is purged. */
  assert_int_equal(store_state_delete(f->st.s, STATE_RECEIPT_KEY), SYNC_OK);
  save(f->st.s, "Good", SYNC_STATUS_FINAL, NULL);
  st_ack_all(f->st.s, f->sk, now - 10 * DAY_MS);
  assert_int_equal(sync_store_purge(f->st.s, now, &n), SYNC_OK);
  assert_int_equal(n, 0);
}

/* ---- wipe --------------------------------------------------------------------------------------- */

static void test_wipe_removes_every_file_and_a_new_store_follows(void **state)
{
  fixture_t *f = *state;
  save(f->st.s, "Siti", SYNC_STATUS_FINAL, NULL);
  char device[SYNC_UUID_STRLEN + 1];
  snprintf(device, sizeof device, "%s", sync_store_device_id(f->st.s));
  sync_store_close(f->st.s);
  f->st.s = NULL;
  /* Leave a -wal file behind, as a killed app would. */
  char *wal = ts_path(f->st.dir, "store.db-wal");
  FILE *fp = fopen(wal, "wb");
  fputs("left over", fp);
  fclose(fp);

  assert_int_equal(sync_store_wipe(f->st.path), SYNC_OK);
  assert_int_not_equal(access(f->st.path, F_OK), 0);
  assert_int_not_equal(access(wal, F_OK), 0);
  char *shm = ts_path(f->st.dir, "store.db-shm");
  assert_int_not_equal(access(shm, F_OK), 0);
  free(shm);
  free(wal);
  /* Wiping nothing is fine. */
  assert_int_equal(sync_store_wipe(f->st.path), SYNC_OK);
  assert_int_equal(sync_store_wipe(NULL), SYNC_ERR_INVALID_ARG);

  f->st.s = st_open(f->st.path);
  assert_string_not_equal(sync_store_device_id(f->st.s), device);
  sync_store_stats_t st;
  assert_int_equal(sync_store_stats(f->st.s, &st), SYNC_OK);
  assert_int_equal(st.forms + st.finals + st.drafts, 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_retention_is_stored_and_zero_by_default, setup, teardown),
    cmocka_unit_test_setup_teardown(test_old_verified_records_are_purged_young_ones_kept, setup, teardown),
    cmocka_unit_test_setup_teardown(test_records_with_bad_or_missing_signatures_are_kept, setup, teardown),
    cmocka_unit_test_setup_teardown(test_wipe_removes_every_file_and_a_new_store_follows, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
