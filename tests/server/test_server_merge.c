/* In-process: the field-level merge rules of PROTOCOL.md 5, and the request handler driven from
 * memory (no network), as the fuzz target does. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"
#include "server.h"
#include "test_support.h"

#define H_BASE "001732600000000-00000-6f1c2a4e-8b3d-4c71-9a0e-2d5b7c9e1f30"
#define H_DEV "001732650000000-00001-6f1c2a4e-8b3d-4c71-9a0e-2d5b7c9e1f30"
#define H_CEN "001732700000000-00000-0b7e4d2c-1a9f-4e6b-8c3d-5f2a9b1e7c64"

static void assert_payload(const merge_result_t *r, const char *want)
{
  cJSON *a = cJSON_Parse(r->payload), *b = cJSON_Parse(want);
  if (!cJSON_Compare(a, b, 1))
    fprintf(stderr, "got %s\nwant %s\n", r->payload, want);
  assert_true(cJSON_Compare(a, b, 1));
  cJSON_Delete(a);
  cJSON_Delete(b);
}

static void test_merge_of_the_protocol_example_keeps_one_side_changes_and_lists_the_clash(void **state)
{
  (void)state;
  merge_side_t b = {"{\"follow_up_date\":\"2024-12-01\",\"officer_notes\":\"Rujuk ke UPTD PPA.\"}", 0, H_BASE};
  merge_side_t d = {"{\"follow_up_date\":\"2024-12-03\",\"officer_notes\":\"Korban sudah di shelter.\"}", 0, H_DEV};
  merge_side_t c = {"{\"follow_up_date\":\"2024-12-05\",\"officer_notes\":\"Rujuk ke UPTD PPA.\",\"case_status\":\"referred\"}", 0, H_CEN};
  merge_result_t r;
  assert_int_equal(merge_revisions(&b, &d, &c, NULL, NULL, &r), SYNC_OK);
  assert_payload(&r, "{\"follow_up_date\":\"2024-12-05\",\"officer_notes\":\"Korban sudah di shelter.\","
                     "\"case_status\":\"referred\"}");
  assert_int_equal(r.deleted, 0);
  assert_int_equal(r.central_form, 1);
  assert_int_equal(r.n_fields, 1);
  assert_string_equal(r.fields[0].field, "follow_up_date");
  assert_int_equal(r.fields[0].winner, PROTO_SIDE_CENTRAL);
  assert_string_equal(r.fields[0].device_value, "\"2024-12-03\"");
  assert_string_equal(r.fields[0].central_value, "\"2024-12-05\"");
  merge_result_free(&r);
}

static void test_merge_takes_a_value_both_sides_changed_alike_without_a_clash(void **state)
{
  (void)state;
  merge_side_t b = {"{\"a\":1,\"gone\":true}", 0, H_BASE};
  merge_side_t d = {"{\"a\":2}", 0, H_DEV};
  merge_side_t c = {"{\"a\":2,\"gone\":true}", 0, H_CEN};
  merge_result_t r;
  assert_int_equal(merge_revisions(&b, &d, &c, NULL, NULL, &r), SYNC_OK);
  assert_payload(&r, "{\"a\":2}"); /* the device removed "gone", central left it */
  assert_int_equal(r.n_fields, 0);
  merge_result_free(&r);
}

static void test_merge_without_the_base_counts_every_difference_as_a_clash(void **state)
{
  (void)state;
  merge_side_t d = {"{\"a\":1,\"b\":2}", 0, "009999999999999-00000-6f1c2a4e-8b3d-4c71-9a0e-2d5b7c9e1f30"};
  merge_side_t c = {"{\"a\":1,\"b\":3,\"c\":4}", 0, H_CEN};
  merge_result_t r;
  assert_int_equal(merge_revisions(NULL, &d, &c, NULL, NULL, &r), SYNC_OK);
  assert_payload(&r, "{\"a\":1,\"b\":2}"); /* the device is newer: it wins both clashes */
  assert_int_equal(r.central_form, 0);
  assert_int_equal(r.n_fields, 2);
  assert_string_equal(r.fields[0].field, "b");
  assert_string_equal(r.fields[1].field, "c");
  assert_string_equal(r.fields[1].device_value, "null");
  assert_int_equal(r.fields[1].winner, PROTO_SIDE_DEVICE);
  merge_result_free(&r);
}

static int refuse_x(void *ctx, const char *payload, issue_list_t *issues)
{
  (void)ctx;
  if (strstr(payload, "\"x\""))
    issue_list_add(issues, "x", "unknown_field", "no such field");
  return 0;
}

static void test_device_deletion_against_central_edit_is_one_record_level_conflict(void **state)
{
  (void)state;
  merge_side_t b = {"{\"a\":1}", 0, H_BASE};
  merge_side_t d = {"{}", 1, H_DEV};
  merge_side_t c = {"{\"a\":1,\"case_status\":\"referred\"}", 0, H_CEN};
  merge_result_t r;
  assert_int_equal(merge_revisions(&b, &d, &c, NULL, NULL, &r), SYNC_OK);
  assert_int_equal(r.deleted, 1);
  assert_string_equal(r.payload, "{}");
  assert_int_equal(r.n_fields, 1);
  assert_string_equal(r.fields[0].field, "$deleted");
  assert_int_equal(r.fields[0].winner, PROTO_SIDE_DEVICE);
  assert_string_equal(r.fields[0].device_value, "true");
  assert_string_equal(r.fields[0].central_value, "false");
  merge_result_free(&r);
}

/* Issue 10, item 11: one central delete against one device revision of a full interview gave
 * one conflict per answer (86); it is one record-level conflict. */
static void test_central_delete_against_a_device_revision_lists_only_deleted(void **state)
{
  (void)state;
  char base[4096] = "{", dev[4096] = "{";
  for (int i = 0; i < 86; i++) {
    char kv[48];
    snprintf(kv, sizeof kv, "%s\"q%02d\":%d", i ? "," : "", i, i);
    strcat(base, kv);
    snprintf(kv, sizeof kv, "%s\"q%02d\":%d", i ? "," : "", i, i == 7 ? 700 : i);
    strcat(dev, kv);
  }
  strcat(base, "}");
  strcat(dev, "}");
  merge_side_t b = {base, 0, H_BASE};
  merge_side_t d = {dev, 0, H_DEV};
  merge_side_t c = {"{}", 1, H_CEN};
  merge_result_t r;
  assert_int_equal(merge_revisions(&b, &d, &c, NULL, NULL, &r), SYNC_OK);
  assert_int_equal(r.deleted, 1);
  assert_int_equal(r.n_fields, 1);
  assert_string_equal(r.fields[0].field, "$deleted");
  assert_int_equal(r.fields[0].winner, PROTO_SIDE_CENTRAL);
  assert_string_equal(r.fields[0].device_value, "false");
  assert_string_equal(r.fields[0].central_value, "true");
  merge_result_free(&r);
}

/* A central status change and a device edit of other answers: merged, nothing to review. */
static void test_central_status_and_an_unrelated_device_edit_have_no_conflicting_field(void **state)
{
  (void)state;
  merge_side_t b = {"{\"a\":1,\"notes\":\"x\"}", 0, H_BASE};
  merge_side_t d = {"{\"a\":1,\"notes\":\"y\"}", 0, H_DEV};
  merge_side_t c = {"{\"a\":1,\"notes\":\"x\",\"case_status\":\"referred\"}", 0, H_CEN};
  merge_result_t r;
  assert_int_equal(merge_revisions(&b, &d, &c, refuse_x, NULL, &r), SYNC_OK);
  assert_payload(&r, "{\"a\":1,\"notes\":\"y\",\"case_status\":\"referred\"}");
  assert_int_equal(r.n_fields, 0);
  merge_result_free(&r);
}

static void test_undelete_against_a_deleting_side_takes_the_living_payload_whole(void **state)
{
  (void)state;
  /* Base deleted; the device revived it (newer) while central deleted again. */
  merge_side_t b = {"{}", 1, H_BASE};
  merge_side_t d = {"{\"a\":1}", 0, "009999999999999-00000-6f1c2a4e-8b3d-4c71-9a0e-2d5b7c9e1f30"};
  merge_side_t c = {"{}", 1, H_CEN};
  merge_result_t r;
  assert_int_equal(merge_revisions(&b, &d, &c, NULL, NULL, &r), SYNC_OK);
  assert_int_equal(r.deleted, 0);
  assert_payload(&r, "{\"a\":1}");
  merge_result_free(&r);

  /* No base: deletion and edit clash; the newer (central delete) wins; $deleted is listed. */
  merge_side_t d2 = {"{\"a\":1}", 0, H_DEV};
  assert_int_equal(merge_revisions(NULL, &d2, &c, NULL, NULL, &r), SYNC_OK);
  assert_int_equal(r.deleted, 1);
  assert_string_equal(r.fields[0].field, "$deleted");
  assert_int_equal(r.fields[0].winner, PROTO_SIDE_CENTRAL);
  assert_string_equal(r.fields[0].device_value, "false");
  assert_string_equal(r.fields[0].central_value, "true");
  merge_result_free(&r);
}

static void test_a_value_that_does_not_fit_the_winning_form_loses(void **state)
{
  (void)state;
  merge_side_t b = {"{\"a\":1}", 0, H_BASE};
  merge_side_t d = {"{\"a\":1,\"x\":5}", 0, H_DEV};       /* x exists only in the device's form */
  merge_side_t c = {"{\"a\":2}", 0, H_CEN};              /* central is newer: its form wins */
  merge_result_t r;
  assert_int_equal(merge_revisions(&b, &d, &c, refuse_x, NULL, &r), SYNC_OK);
  assert_payload(&r, "{\"a\":2}");
  assert_int_equal(r.n_fields, 1);
  assert_string_equal(r.fields[0].field, "x");
  assert_int_equal(r.fields[0].winner, PROTO_SIDE_CENTRAL);
  assert_string_equal(r.fields[0].device_value, "5");
  merge_result_free(&r);
}

static void test_a_value_both_sides_hold_is_no_conflict_even_if_it_does_not_fit(void **state)
{
  (void)state;
  merge_side_t b = {"{\"a\":1,\"x\":5}", 0, H_BASE};
  merge_side_t d = {"{\"a\":3,\"x\":5}", 0, H_DEV};
  merge_side_t c = {"{\"a\":2,\"x\":5}", 0, H_CEN};
  merge_result_t r;
  assert_int_equal(merge_revisions(&b, &d, &c, refuse_x, NULL, &r), SYNC_OK);
  assert_int_equal(r.n_fields, 1);   /* a, not x: both sides hold the same x */
  assert_string_equal(r.fields[0].field, "a");
  merge_result_free(&r);
}

/* ---- the handler from memory -------------------------------------------------------------- */

static void test_handler_answers_health_and_refuses_while_stopping(void **state)
{
  (void)state;
  char *dir = ts_tempdir();
  char *db = ts_path(dir, "h.db");
  srv_config_t cfg = {.db_path = db, .db_flags = DB_OPEN_FAST, .pool_size = 2};
  srv_t *s = NULL;
  char err[256];
  assert_int_equal(srv_open(&cfg, &s, err, sizeof err), SYNC_OK);
  srv_request_t req = {.method = "GET", .path = "/v1/health"};
  srv_response_t resp;
  srv_handle(s, &req, &resp);
  assert_int_equal(resp.status, 200);
  assert_non_null(strstr(resp.body, srv_server_id(s)));
  srv_response_clear(&resp);

  srv_kv_t hdr[] = {{"Authorization", "Device 6f1c2a4e-8b3d-4c71-9a0e-2d5b7c9e1f30:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
                    {"Content-Type", "application/json"}};
  srv_request_t push = {.method = "POST", .path = "/v1/push", .headers = hdr, .n_headers = 2,
                        .body = "{}", .body_len = 2};
  srv_handle(s, &push, &resp);
  assert_int_equal(resp.status, 401);
  assert_int_equal(resp.www_authenticate, 1);
  srv_response_clear(&resp);

  srv_set_stopping(s, 1);
  srv_handle(s, &req, &resp);
  assert_int_equal(resp.status, 503);
  assert_true(resp.retry_after > 0);
  assert_int_equal(resp.close, 1);
  assert_non_null(strstr(resp.body, "server_busy"));
  srv_response_clear(&resp);
  srv_close(s);
  ts_rmtree(dir);
  free(db);
  free(dir);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_merge_of_the_protocol_example_keeps_one_side_changes_and_lists_the_clash),
    cmocka_unit_test(test_merge_takes_a_value_both_sides_changed_alike_without_a_clash),
    cmocka_unit_test(test_merge_without_the_base_counts_every_difference_as_a_clash),
    cmocka_unit_test(test_device_deletion_against_central_edit_is_one_record_level_conflict),
    cmocka_unit_test(test_central_delete_against_a_device_revision_lists_only_deleted),
    cmocka_unit_test(test_central_status_and_an_unrelated_device_edit_have_no_conflicting_field),
    cmocka_unit_test(test_a_value_both_sides_hold_is_no_conflict_even_if_it_does_not_fit),
    cmocka_unit_test(test_undelete_against_a_deleting_side_takes_the_living_payload_whole),
    cmocka_unit_test(test_a_value_that_does_not_fit_the_winning_form_loses),
    cmocka_unit_test(test_handler_answers_health_and_refuses_while_stopping),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
