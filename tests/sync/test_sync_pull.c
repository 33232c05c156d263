/* Pull and conflicts against the real server: new form versions and central status changes reach
 * the device; a record changed on both sides is merged as PROTOCOL.md 5 says, the loser is kept
 * for review (sync_conflict_list, `syncctl conflicts`) and taking it back reaches the server. */
#define _DEFAULT_SOURCE 1
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cJSON.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync_fixture.h"

typedef struct world {
  fx_device_t dev;
  fx_server_t srv;
  char uuids[8][40];   /* the first records, newest first */
} world_t;

static sync_err_t sync_now(world_t *w, sync_status_t *st, sync_status_cb cb, void *user)
{
  sync_engine_config_t c;
  fx_engine_config(&c, &w->dev, &w->srv, NULL);
  c.pull_page_limit = 2;
  c.on_status = cb;
  c.user_data = user;
  sync_engine_t *e = NULL;
  assert_int_equal(sync_engine_new(&c, &e, NULL, 0), SYNC_OK);
  sync_err_t err = sync_engine_run_once(e);
  if (st)
    sync_engine_status(e, st);
  sync_engine_free(e);
  return err;
}

static int setup(void **state)
{
  world_t *w = calloc(1, sizeof *w);
  if (fx_device_create(&w->dev, 8, 5) != 0 || fx_server_create(&w->srv, &w->dev) != 0)
    return -1;
  sync_store_t *s = NULL;
  sync_record_list_t *list = NULL;
  if (fx_store_open(w->dev.path, &s) != SYNC_OK || sync_record_list(s, NULL, &list) != SYNC_OK)
    return -1;
  for (size_t i = 0; i < 8 && i < sync_record_list_count(list); i++)
    snprintf(w->uuids[i], sizeof w->uuids[i], "%s", sync_record_uuid(sync_record_list_at(list, i)));
  sync_record_list_free(list);
  sync_store_close(s);
  *state = w;
  return sync_now(w, NULL, NULL, NULL) == SYNC_OK ? 0 : -1;
}

static int teardown(void **state)
{
  world_t *w = *state;
  fx_server_destroy(&w->srv);
  fx_device_destroy(&w->dev);
  free(w);
  return 0;
}

/* The device's record as a parsed JSON object (sync_record_to_json); caller deletes. */
static cJSON *device_record(const world_t *w, const char *uuid)
{
  sync_store_t *s = NULL;
  sync_record_t *r = NULL;
  char *json = NULL;
  assert_int_equal(fx_store_open(w->dev.path, &s), SYNC_OK);
  assert_int_equal(sync_record_get(s, uuid, &r), SYNC_OK);
  assert_int_equal(sync_record_to_json(r, &json), SYNC_OK);
  sync_record_free(r);
  sync_store_close(s);
  cJSON *doc = cJSON_Parse(json);
  sync_free(json);
  return doc;
}

static const char *field_text(const cJSON *rec, const char *field)
{
  const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(rec, "payload"), field);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Revises a record on the device with one or two answers changed. */
static void device_revise(const world_t *w, const char *uuid, const char *f1, const char *v1,
                          const char *f2, const char *v2)
{
  cJSON *rec = device_record(w, uuid);
  cJSON *p = cJSON_GetObjectItem(rec, "payload");
  cJSON_DeleteItemFromObject(p, f1);
  cJSON_AddStringToObject(p, f1, v1);
  if (f2) {
    cJSON_DeleteItemFromObject(p, f2);
    cJSON_AddStringToObject(p, f2, v2);
  }
  char *text = cJSON_PrintUnformatted(p);
  sync_store_t *s = NULL;
  assert_int_equal(fx_store_open(w->dev.path, &s), SYNC_OK);
  sync_err_t err = sync_record_revise(s, uuid, text);
  if (err != SYNC_OK)
    fail_msg("revise: %s", sync_store_errmsg(s));
  sync_store_close(s);
  free(text);
  cJSON_Delete(rec);
}

static void central_status(const world_t *w, const char *uuid, const char *status, const char *referral)
{
  int rc = referral ? fx_syncserver(NULL, "record", "set-status", "--db", w->srv.db, uuid, "--status",
                                    status, "--referral", referral, "--by", "siti.rahma", NULL)
                    : fx_syncserver(NULL, "record", "set-status", "--db", w->srv.db, uuid, "--status",
                                    status, "--by", "siti.rahma", NULL);
  assert_int_equal(rc, 0);
}

static cJSON *server_payload(const world_t *w, const char *uuid)
{
  char *out = NULL;
  assert_int_equal(fx_syncserver(&out, "record", "get", "--db", w->srv.db, uuid, NULL), 0);
  cJSON *doc = cJSON_Parse(out);
  free(out);
  return doc;
}

static void test_new_form_version_reaches_the_device(void **state)
{
  world_t *w = *state;
  assert_int_equal(fx_syncserver(NULL, "form", "publish", "--db", w->srv.db, FX_FORM_V2_PATH, NULL), 0);
  sync_status_t st;
  assert_int_equal(sync_now(w, &st, NULL, NULL), SYNC_OK);
  assert_int_equal(st.progress.pulled, 1);
  sync_store_t *s = NULL;
  sync_form_list_t *forms = NULL;
  assert_int_equal(fx_store_open(w->dev.path, &s), SYNC_OK);
  assert_int_equal(sync_form_list(s, &forms), SYNC_OK);
  assert_int_equal(sync_form_list_count(forms), 2);
  assert_int_equal(sync_form_list_version(forms, 1), 2);
  sync_form_list_free(forms);
  /* New records can use it at once. */
  char *def = NULL;
  assert_int_equal(sync_form_get_json(s, FX_FORM_ID, 0, &def), SYNC_OK);
  assert_non_null(strstr(def, "\"version\""));
  sync_free(def);
  sync_store_close(s);
  /* Nothing again on the next run. */
  assert_int_equal(sync_now(w, &st, NULL, NULL), SYNC_OK);
  assert_int_equal(st.progress.pulled, 0);
}

static void test_central_status_and_deletion_reach_the_device_unqueued(void **state)
{
  world_t *w = *state;
  central_status(w, w->uuids[0], "referred", "accepted_by_uptd_ppa");
  assert_int_equal(fx_syncserver(NULL, "record", "delete", "--db", w->srv.db, w->uuids[1], "--by",
                                 "siti.rahma", NULL), 0);
  for (int i = 2; i < 7; i++)
    central_status(w, w->uuids[i], "in_review", NULL);
  fx_outbox_t before, after;
  assert_int_equal(fx_outbox(w->dev.path, &before), 0);
  sync_status_t st;
  assert_int_equal(sync_now(w, &st, NULL, NULL), SYNC_OK);
  assert_int_equal(st.progress.pulled, 7);
  assert_true(st.progress.requests >= 4); /* pages of two */
  assert_int_equal(fx_outbox(w->dev.path, &after), 0);
  assert_int_equal(after.pending + after.acked, before.pending + before.acked);

  cJSON *rec = device_record(w, w->uuids[0]);
  assert_string_equal(field_text(rec, "case_status"), "referred");
  assert_string_equal(field_text(rec, "referral_outcome"), "accepted_by_uptd_ppa");
  assert_int_equal(cJSON_GetObjectItem(rec, "revision")->valueint, 2);
  cJSON *srv = server_payload(w, w->uuids[0]);
  char *a = cJSON_PrintUnformatted(cJSON_GetObjectItem(rec, "payload")), *b = cJSON_PrintUnformatted(srv);
  assert_string_equal(a, b);
  free(a);
  free(b);
  cJSON_Delete(srv);
  cJSON_Delete(rec);
  rec = device_record(w, w->uuids[1]);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(rec, "deleted")));
  cJSON_Delete(rec);
  /* The device can keep working on a record central staff updated. */
  device_revise(w, w->uuids[2], "officer_notes", "Sudah dihubungi lagi.", NULL, NULL);
  assert_int_equal(sync_now(w, &st, NULL, NULL), SYNC_OK);
  assert_int_equal(st.progress.records_done, 1);
  assert_int_equal(st.progress.conflicts, 0);
  char why[256];
  if (fx_verify_exactly_once(w->dev.path, w->srv.db, w->dev.id, why, sizeof why) != 0)
    fail_msg("%s", why);
}

static void test_concurrent_edits_merge_and_the_loser_can_be_taken_back(void **state)
{
  world_t *w = *state;
  const char *u = w->uuids[3];
  /* Offline on the device, then on the server: central is later, so central wins case_status. */
  device_revise(w, u, "case_status", "in_review", "officer_notes", "Korban sudah di shelter.");
  central_status(w, u, "referred", NULL);
  sync_status_t st;
  assert_int_equal(sync_now(w, &st, NULL, NULL), SYNC_OK);
  assert_int_equal(st.progress.conflicts, 1);

  cJSON *rec = device_record(w, u);
  assert_string_equal(field_text(rec, "case_status"), "referred");             /* central won */
  assert_string_equal(field_text(rec, "officer_notes"), "Korban sudah di shelter."); /* device only */
  assert_int_equal(cJSON_GetObjectItem(rec, "revision")->valueint, 3);
  cJSON *srv = server_payload(w, u);
  char *a = cJSON_PrintUnformatted(cJSON_GetObjectItem(rec, "payload")), *b = cJSON_PrintUnformatted(srv);
  assert_string_equal(a, b); /* converged */
  free(a);
  free(b);
  cJSON_Delete(srv);
  cJSON_Delete(rec);

  sync_store_t *s = NULL;
  sync_conflict_list_t *list = NULL;
  assert_int_equal(fx_store_open(w->dev.path, &s), SYNC_OK);
  assert_int_equal(sync_conflict_list(s, u, 0, &list), SYNC_OK);
  assert_int_equal(sync_conflict_list_count(list), 1);
  assert_string_equal(sync_conflict_field(list, 0), "case_status");
  assert_string_equal(sync_conflict_winner(list, 0), "central");
  assert_string_equal(sync_conflict_device_value(list, 0), "\"in_review\"");
  assert_string_equal(sync_conflict_central_value(list, 0), "\"referred\"");
  assert_int_equal(sync_conflict_merged_revision(list, 0), 3);
  assert_int_equal(sync_conflict_resolved_at(list, 0), 0);
  long long id = sync_conflict_id(list, 0);
  sync_conflict_list_free(list);
  sync_store_stats_t stats;
  assert_int_equal(sync_store_stats(s, &stats), SYNC_OK);
  assert_int_equal(stats.conflicts, 1);
  sync_store_close(s);

  /* The same through syncctl. */
  char *out = NULL;
  assert_int_equal(fx_syncctl(&out, "--store", w->dev.path, "conflicts", NULL), 0);
  assert_non_null(strstr(out, "case_status"));
  assert_non_null(strstr(out, "\"in_review\""));
  free(out);
  assert_int_equal(fx_syncctl(&out, "--store", w->dev.path, "--json", "conflicts", NULL), 0);
  cJSON *arr = cJSON_Parse(out);
  free(out);
  assert_int_equal(cJSON_GetArraySize(arr), 1);
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "device_value")->valuestring, "in_review");
  cJSON_Delete(arr);

  /* Take the device's value back: a new revision goes to the server. */
  char idtext[32];
  snprintf(idtext, sizeof idtext, "%lld", id);
  assert_int_equal(fx_syncctl(NULL, "--store", w->dev.path, "conflicts", "resolve", idtext, "take-loser", NULL), 0);
  assert_int_equal(fx_syncctl(NULL, "--store", w->dev.path, "conflicts", "resolve", idtext, "accept", NULL), 1);
  fx_outbox_t ob;
  assert_int_equal(fx_outbox(w->dev.path, &ob), 0);
  assert_int_equal(ob.pending, 1);
  assert_int_equal(fx_syncctl(&out, "--store", w->dev.path, "sync", "--server", w->srv.url,
                              "--allow-http-loopback", NULL), 0);
  assert_non_null(strstr(out, "pushed 1 of 1"));
  free(out);
  srv = server_payload(w, u);
  assert_string_equal(cJSON_GetObjectItem(srv, "case_status")->valuestring, "in_review");
  cJSON_Delete(srv);
  assert_int_equal(fx_syncctl(&out, "--store", w->dev.path, "conflicts", NULL), 0);
  assert_non_null(strstr(out, "no open conflicts"));
  free(out);
  assert_int_equal(fx_syncctl(&out, "--store", w->dev.path, "conflicts", "--all", NULL), 0);
  assert_non_null(strstr(out, "resolved"));
  free(out);

  /* Now the device is later: it wins, and the central value is the one kept for review. */
  central_status(w, w->uuids[4], "closed", NULL);
  device_revise(w, w->uuids[4], "case_status", "in_review", NULL, NULL);
  assert_int_equal(sync_now(w, &st, NULL, NULL), SYNC_OK);
  assert_int_equal(st.progress.conflicts, 1);
  rec = device_record(w, w->uuids[4]);
  assert_string_equal(field_text(rec, "case_status"), "in_review");
  cJSON_Delete(rec);
  assert_int_equal(fx_store_open(w->dev.path, &s), SYNC_OK);
  assert_int_equal(sync_conflict_list(s, w->uuids[4], 0, &list), SYNC_OK);
  assert_int_equal(sync_conflict_list_count(list), 1);
  assert_string_equal(sync_conflict_winner(list, 0), "device");
  assert_string_equal(sync_conflict_central_value(list, 0), "\"closed\"");
  assert_int_equal(sync_conflict_resolve(s, sync_conflict_id(list, 0), SYNC_CONFLICT_ACCEPT_MERGED), SYNC_OK);
  assert_int_equal(sync_conflict_resolve(s, sync_conflict_id(list, 0), SYNC_CONFLICT_ACCEPT_MERGED), SYNC_ERR_STATE);
  sync_conflict_list_free(list);
  sync_store_close(s);
}

/* A revision written while the sync runs, after its push: the central change pulled next must
 * wait (the device still has something to push) and the next push merges the two. */
typedef struct revise_ctx {
  world_t *w;
  const char *uuid;
  int done;
} revise_ctx_t;

static void revise_when_pulling(const sync_status_t *st, void *user)
{
  revise_ctx_t *r = user;
  if (st->state == SYNC_STATE_PULLING && !r->done) {
    r->done = 1;
    device_revise(r->w, r->uuid, "officer_notes", "Catatan baru dari lapangan.", NULL, NULL);
  }
}

static void test_central_change_waits_while_the_device_has_a_pending_revision(void **state)
{
  world_t *w = *state;
  const char *u = w->uuids[5];
  central_status(w, u, "referred", "accepted_by_dinsos");
  revise_ctx_t ctx = {w, u, 0};
  sync_status_t st;
  assert_int_equal(sync_now(w, &st, revise_when_pulling, &ctx), SYNC_OK);
  assert_true(ctx.done);
  /* Kept aside: the device still shows its own head. */
  cJSON *rec = device_record(w, u);
  assert_null(field_text(rec, "case_status"));
  assert_string_equal(field_text(rec, "officer_notes"), "Catatan baru dari lapangan.");
  cJSON_Delete(rec);
  /* The next push meets the central head: merged, both changes kept, nothing conflicting. */
  assert_int_equal(sync_now(w, &st, NULL, NULL), SYNC_OK);
  assert_int_equal(st.progress.records_done, 1);
  assert_int_equal(st.progress.conflicts, 0);
  rec = device_record(w, u);
  assert_string_equal(field_text(rec, "case_status"), "referred");
  assert_string_equal(field_text(rec, "officer_notes"), "Catatan baru dari lapangan.");
  cJSON *srv = server_payload(w, u);
  char *a = cJSON_PrintUnformatted(cJSON_GetObjectItem(rec, "payload")), *b = cJSON_PrintUnformatted(srv);
  assert_string_equal(a, b);
  free(a);
  free(b);
  cJSON_Delete(srv);
  cJSON_Delete(rec);
  sqlite3 *db = NULL;
  sqlite3_stmt *q = NULL;
  assert_int_equal(sqlite3_open_v2(w->dev.path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM remote_pending", -1, &q, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(q), SQLITE_ROW);
  assert_int_equal(sqlite3_column_int(q, 0), 0);
  sqlite3_finalize(q);
  sqlite3_close(db);
}

/* Cancelled after the first page: the cursor stored with that page is where the next run goes
 * on, so nothing is fetched twice and nothing is missed. */
static void cancel_after_first_page(const sync_status_t *st, void *user)
{
  sync_engine_t **e = user;
  if (st->progress.pulled >= 2 && *e)
    sync_engine_cancel(*e);
}

static void test_interrupted_pull_resumes_from_the_stored_cursor(void **state)
{
  world_t *w = *state;
  for (int i = 0; i < 6; i++)
    central_status(w, w->uuids[i], "in_review", NULL);
  sync_engine_t *e = NULL;
  sync_engine_config_t c;
  fx_engine_config(&c, &w->dev, &w->srv, NULL);
  c.pull_page_limit = 2;
  c.on_status = cancel_after_first_page;
  c.user_data = &e;
  /* Reports are throttled: a slow link makes every page outlast the throttle. */
  netproxy_opts_t po;
  netproxy_opts_init(&po);
  po.latency_ms = 60;
  fx_proxy_t proxy;
  assert_int_equal(fx_proxy_start(&proxy, &po, w->srv.port), 0);
  c.server_url = proxy.url;
  assert_int_equal(sync_engine_new(&c, &e, NULL, 0), SYNC_OK);
  assert_int_equal(sync_engine_run_once(e), SYNC_ERR_CANCELLED);
  sync_status_t st;
  sync_engine_status(e, &st);
  assert_int_equal(st.progress.pulled, 2);
  sync_engine_t *keep = e;
  e = NULL; /* no more cancelling */
  assert_int_equal(sync_engine_run_once(keep), SYNC_OK);
  sync_engine_status(keep, &st);
  sync_engine_free(keep);
  fx_proxy_stop(&proxy);
  assert_int_equal(st.progress.pulled, 4);
  for (int i = 0; i < 6; i++) {
    cJSON *rec = device_record(w, w->uuids[i]);
    assert_string_equal(field_text(rec, "case_status"), "in_review");
    cJSON_Delete(rec);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_new_form_version_reaches_the_device, setup, teardown),
    cmocka_unit_test_setup_teardown(test_central_status_and_deletion_reach_the_device_unqueued, setup, teardown),
    cmocka_unit_test_setup_teardown(test_concurrent_edits_merge_and_the_loser_can_be_taken_back, setup, teardown),
    cmocka_unit_test_setup_teardown(test_central_change_waits_while_the_device_has_a_pending_revision, setup, teardown),
    cmocka_unit_test_setup_teardown(test_interrupted_pull_resumes_from_the_stored_cursor, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
