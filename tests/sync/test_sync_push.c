/* Push against the real server: every record arrives exactly once and byte for byte, receipts
 * are kept on the device, progress tells the truth, credentials, passphrases and URLs are
 * checked, enrollment works over https with a pinned key and through syncctl. */
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

#include <signal.h>

#include "store_sync.h"
#include "sync_fixture.h"
#include "test_support.h"

typedef struct recorder {
  int calls;
  int went_backwards;
  int64_t last_done;
  sync_status_t last;
  int saw_pushing, saw_pulling;
  /* records added by the callback while the push runs */
  const char *store_path;
  size_t add_during;
  int added;
} recorder_t;

static void record_status(const sync_status_t *st, void *user)
{
  recorder_t *r = user;
  r->calls++;
  if (st->progress.records_done < r->last_done)
    r->went_backwards = 1;
  r->last_done = st->progress.records_done;
  r->saw_pushing |= st->state == SYNC_STATE_PUSHING;
  r->saw_pulling |= st->state == SYNC_STATE_PULLING;
  r->last = *st;
  if (r->add_during && !r->added && st->state == SYNC_STATE_PUSHING && st->progress.records_done > 0) {
    r->added = 1;
    assert_int_equal(fx_add_records(r->store_path, r->add_during, 777), 0);
  }
}

static size_t test_n(void)
{
  return (size_t)fx_env_long("SYNC_TEST_N", fx_sanitized() ? 600 : 2000);
}

static long long server_scalar(const fx_server_t *s, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  long long v = -1;
  if (sqlite3_open_v2(s->db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

typedef fx_world_t world_t;

static int setup(void **state)
{
  return fx_world_setup(state, 0, 1);
}

static int teardown(void **state)
{
  return fx_world_teardown(state);
}

static void verify(const world_t *w)
{
  char why[512] = "";
  int rc = fx_verify_exactly_once(w->dev.path, w->srv.db, w->dev.id, why, sizeof why);
  if (rc != 0)
    fail_msg("not exactly once: %s", why);
}

static void test_push_delivers_every_record_exactly_once_byte_identical(void **state)
{
  world_t *w = *state;
  size_t n = test_n();
  assert_int_equal(fx_add_records(w->dev.path, n, 42), 0);
  int64_t bytes = fx_outbox_payload_bytes(w->dev.path);

  recorder_t rec = {0};
  sync_engine_config_t c;
  fx_engine_config(&c, &w->dev, &w->srv, NULL);
  c.on_status = record_status;
  c.user_data = &rec;
  sync_engine_t *e = NULL;
  char err[256];
  assert_int_equal(sync_engine_new(&c, &e, err, sizeof err), SYNC_OK);
  int64_t t0 = fx_now_ms();
  assert_int_equal(sync_engine_run_once(e), SYNC_OK);
  int64_t ms = fx_now_ms() - t0;
  sync_status_t st;
  sync_engine_status(e, &st);
  sync_engine_free(e);

  verify(w);
  assert_int_equal(server_scalar(&w->srv, "SELECT count(*) FROM records"), (long long)n);
  /* Progress: the truth, and the last report is the final count. */
  assert_int_equal(st.progress.records_done, (int64_t)n);
  assert_int_equal(st.progress.records_total, (int64_t)n);
  assert_int_equal(st.progress.bytes_done, bytes);
  assert_int_equal(st.progress.bytes_total, bytes);
  assert_int_equal(st.pending, 0);
  assert_int_equal(st.state, SYNC_STATE_IDLE);
  assert_int_equal(st.last_error, SYNC_OK);
  assert_true(st.last_success_ms > 0);
  assert_int_equal(rec.last.progress.records_done, (int64_t)n);
  assert_int_equal(rec.last.state, SYNC_STATE_IDLE);
  assert_false(rec.went_backwards);
  assert_true(rec.saw_pushing && rec.saw_pulling);
  /* LZ4 on the wire: well under the JSON size. Batches of up to 500 changes. */
  assert_true(st.progress.wire_bytes_sent < bytes / 2);
  assert_true(st.progress.requests >= 1 + (int64_t)(n + 499) / 500 + 1);
  print_message("pushed %zu records in %lld ms: %lld requests, %lld bytes JSON, %lld on the wire\n",
                n, (long long)ms, (long long)st.progress.requests, (long long)bytes,
                (long long)st.progress.wire_bytes_sent);

  /* The device's own counters agree. */
  sync_store_t *s = NULL;
  sync_store_stats_t stats;
  assert_int_equal(fx_store_open(w->dev.path, &s), SYNC_OK);
  assert_int_equal(sync_store_stats(s, &stats), SYNC_OK);
  assert_int_equal(stats.outbox_pending, 0);
  assert_int_equal(stats.outbox_acked, (int64_t)n);
  assert_true(stats.last_sync_ms > 0);
  /* `syncserver record get` returns the device's bytes. */
  sync_record_list_t *list = NULL;
  sync_query_t q;
  sync_query_init(&q);
  q.limit = 3;
  assert_int_equal(sync_record_list(s, &q, &list), SYNC_OK);
  for (size_t i = 0; i < sync_record_list_count(list); i++) {
    const sync_record_t *r = sync_record_list_at(list, i);
    char *out = NULL;
    assert_int_equal(fx_syncserver(&out, "record", "get", "--db", w->srv.db, sync_record_uuid(r), NULL), 0);
    assert_string_equal(out, sync_record_payload(r));
    free(out);
    /* The device shows each record as delivered, with the server's receipt time. */
    assert_int_equal(sync_record_delivery(r), SYNC_DELIVERY_DELIVERED);
    assert_true(sync_record_receipt_time(r) > 0);
    assert_string_equal(sync_record_refusal(r), "");
  }
  sync_record_list_free(list);
  sync_store_close(s);

  /* A second run has nothing to push: one pull request and no whoami. */
  assert_int_equal(sync_engine_new(&c, &e, err, sizeof err), SYNC_OK);
  assert_int_equal(sync_engine_run_once(e), SYNC_OK);
  sync_engine_status(e, &st);
  sync_engine_free(e);
  assert_int_equal(st.progress.records_total, 0);
  assert_int_equal(st.progress.requests, 1);
  verify(w);
}

static void test_push_revisions_and_deletions_fast_forward_on_the_server(void **state)
{
  world_t *w = *state;
  assert_int_equal(fx_add_records(w->dev.path, 20, 7), 0);
  sync_engine_config_t c;
  fx_engine_config(&c, &w->dev, &w->srv, NULL);
  sync_engine_t *e = NULL;
  assert_int_equal(sync_engine_new(&c, &e, NULL, 0), SYNC_OK);
  assert_int_equal(sync_engine_run_once(e), SYNC_OK);

  /* Revise five records twice (offline: two pending revisions each), delete three. */
  sync_store_t *s = NULL;
  sync_record_list_t *list = NULL;
  sync_query_t q;
  sync_query_init(&q);
  q.limit = 8;
  assert_int_equal(fx_store_open(w->dev.path, &s), SYNC_OK);
  assert_int_equal(sync_record_list(s, &q, &list), SYNC_OK);
  assert_int_equal(sync_record_list_count(list), 8);
  for (size_t i = 0; i < 5; i++) {
    const sync_record_t *r = sync_record_list_at(list, i);
    for (int k = 0; k < 2; k++)
      assert_int_equal(sync_record_revise(s, sync_record_uuid(r), sync_record_payload(r)), SYNC_OK);
  }
  for (size_t i = 5; i < 8; i++)
    assert_int_equal(sync_record_delete(s, sync_record_uuid(sync_record_list_at(list, i))), SYNC_OK);
  sync_record_list_free(list);
  sync_store_close(s);

  assert_int_equal(sync_engine_run_once(e), SYNC_OK);
  sync_status_t st;
  sync_engine_status(e, &st);
  sync_engine_free(e);
  assert_int_equal(st.progress.records_done, 13);
  verify(w);
  /* Fast-forwards only: no merge, no conflict; heads carry the device's numbers. */
  char *out = NULL;
  assert_int_equal(fx_syncserver(&out, "conflicts", "--db", w->srv.db, "--json", NULL), 0);
  cJSON *conflicts = cJSON_Parse(out);
  free(out);
  assert_int_equal(cJSON_GetArraySize(conflicts), 0);
  cJSON_Delete(conflicts);
  assert_int_equal(fx_syncserver(&out, "records", "--db", w->srv.db, "--json", NULL), 0);
  cJSON *records = cJSON_Parse(out);
  free(out);
  int rev3 = 0, deleted = 0;
  const cJSON *r;
  cJSON_ArrayForEach(r, records) {
    rev3 += cJSON_GetObjectItem(r, "revision")->valueint == 3;
    deleted += cJSON_IsTrue(cJSON_GetObjectItem(r, "deleted"));
    assert_string_equal(cJSON_GetObjectItem(r, "origin")->valuestring, "device");
  }
  cJSON_Delete(records);
  assert_int_equal(rev3, 5);
  assert_int_equal(deleted, 3);
}

static void test_progress_counts_records_saved_while_pushing(void **state)
{
  world_t *w = *state;
  size_t n = fx_sanitized() ? 300 : 1200;
  assert_int_equal(fx_add_records(w->dev.path, n, 11), 0);
  recorder_t rec = {.store_path = w->dev.path, .add_during = 40};
  /* 60 ms each way: every batch outlasts the 100 ms report throttle. */
  netproxy_opts_t po;
  netproxy_opts_init(&po);
  po.latency_ms = 60;
  fx_proxy_t proxy;
  assert_int_equal(fx_proxy_start(&proxy, &po, w->srv.port), 0);
  sync_engine_config_t c;
  fx_engine_config(&c, &w->dev, &w->srv, proxy.url);
  c.batch_initial_bytes = 8192; /* several batches, so the callback runs mid-push */
  c.batch_max_bytes = 32768;
  c.on_status = record_status;
  c.user_data = &rec;
  sync_engine_t *e = NULL;
  assert_int_equal(sync_engine_new(&c, &e, NULL, 0), SYNC_OK);
  assert_int_equal(sync_engine_run_once(e), SYNC_OK);
  sync_status_t st;
  sync_engine_status(e, &st);
  sync_engine_free(e);
  fx_proxy_stop(&proxy);
  assert_true(rec.added);
  assert_int_equal(st.progress.records_total, (int64_t)n + 40);
  assert_int_equal(st.progress.records_done, (int64_t)n + 40);
  assert_int_equal(st.pending, 0);
  verify(w);
}

/* Replaces the store's secret with a well-formed wrong one. */
static void set_wrong_secret(const char *store_path)
{
  sync_store_t *s = NULL;
  assert_int_equal(fx_store_open(store_path, &s), SYNC_OK);
  assert_int_equal(store_state_set_secret(s, STATE_SECRET, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                   SYNC_OK);
  sync_store_close(s);
}

static void test_refused_credential_is_reported_in_plain_words(void **state)
{
  world_t *w = *state;
  assert_int_equal(fx_add_records(w->dev.path, 5, 3), 0);
  set_wrong_secret(w->dev.path);
  sync_engine_config_t c;
  fx_engine_config(&c, &w->dev, &w->srv, NULL);
  c.language = "id";
  sync_engine_t *e = NULL;
  assert_int_equal(sync_engine_new(&c, &e, NULL, 0), SYNC_OK);
  assert_int_equal(sync_engine_run_once(e), SYNC_ERR_AUTH);
  sync_status_t st;
  sync_engine_status(e, &st);
  sync_engine_free(e);
  assert_int_equal(st.state, SYNC_STATE_ERROR);
  assert_int_equal(st.last_error, SYNC_ERR_AUTH);
  assert_non_null(strstr(st.message, "kredensial tidak dikenal"));
  assert_int_equal(st.progress.requests, 1); /* not retried */
  fx_outbox_t ob;
  assert_int_equal(fx_outbox(w->dev.path, &ob), 0);
  assert_int_equal(ob.pending, 5);
  assert_int_equal(ob.acked, 0);
}

static void test_plain_http_is_refused_except_to_loopback(void **state)
{
  world_t *w = *state;
  static const struct { const char *url; int allow; sync_err_t want; } cases[] = {
    {"http://10.1.2.3:8080", 1, SYNC_ERR_INVALID_ARG},
    {"http://127.0.0.1.example.com", 1, SYNC_ERR_INVALID_ARG},
    {"http://127.0.0.1@example.com", 1, SYNC_ERR_INVALID_ARG},
    {"http://127.0.0.1:8080", 0, SYNC_ERR_INVALID_ARG},
    {"ftp://127.0.0.1/", 1, SYNC_ERR_INVALID_ARG},
    {"not a url", 1, SYNC_ERR_INVALID_ARG},
    {"http://127.0.0.1:8080/", 1, SYNC_OK},
    {"http://localhost:8080", 1, SYNC_OK},
    {"http://[::1]:8080", 1, SYNC_OK},
    {"https://pusat.example.id", 0, SYNC_OK},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sync_engine_config_t c;
    fx_engine_config(&c, &w->dev, &w->srv, cases[i].url);
    c.allow_plain_http_loopback = cases[i].allow;
    sync_engine_t *e = NULL;
    char err[256] = "";
    sync_err_t got = sync_engine_new(&c, &e, err, sizeof err);
    if (got != cases[i].want)
      fail_msg("%s (allow %d): got %s (%s)", cases[i].url, cases[i].allow, sync_errname(got), err);
    if (got != SYNC_OK)
      assert_true(err[0] != '\0');
    sync_engine_free(e);
  }
  sync_engine_config_t c;
  fx_engine_config(&c, &w->dev, &w->srv, "http://10.1.2.3");
  char err[256];
  sync_engine_t *e = NULL;
  assert_int_equal(sync_engine_new(&c, &e, err, sizeof err), SYNC_ERR_INVALID_ARG);
  assert_null(e);
  assert_non_null(strstr(err, "plain http:// is refused"));
  /* The enrolled URL is the default, and goes through the same check. */
  fx_engine_config(&c, &w->dev, &w->srv, NULL);
  c.server_url = NULL;
  assert_int_equal(sync_engine_new(&c, &e, err, sizeof err), SYNC_OK);
  sync_engine_free(e);
  c.allow_plain_http_loopback = 0;
  assert_int_equal(sync_engine_new(&c, &e, err, sizeof err), SYNC_ERR_INVALID_ARG);
  /* No passphrase, or a wrong one: the store stays shut. */
  fx_engine_config(&c, &w->dev, &w->srv, NULL);
  c.store_passphrase = NULL;
  assert_int_equal(sync_engine_new(&c, &e, err, sizeof err), SYNC_ERR_INVALID_ARG);
  c.store_passphrase = "not the passphrase";
  assert_int_equal(sync_engine_new(&c, &e, err, sizeof err), SYNC_ERR_PASSPHRASE);
  assert_null(e);
  /* A store that was never enrolled cannot sync. */
  fx_device_t other;
  assert_int_equal(fx_device_create(&other, 1, 2), 0);
  fx_engine_config(&c, &other, &w->srv, NULL);
  assert_int_equal(sync_engine_new(&c, &e, err, sizeof err), SYNC_ERR_NOT_ENROLLED);
  assert_null(e);
  assert_non_null(strstr(err, "not enrolled"));
  fx_device_destroy(&other);
}

static void test_syncctl_enrolls_syncs_and_reports_in_json(void **state)
{
  world_t *w = *state;
  assert_int_equal(fx_add_records(w->dev.path, 25, 8), 0);
  /* Enrolling again with a code made for this device (passphrase from a file, not the
   * environment). */
  char *pass = ts_path(w->dev.dir, "pass.txt");
  assert_int_equal(fx_write_file(pass, FX_PASSPHRASE "\n"), 0);
  unsetenv("SYNC_PASSPHRASE");
  char code[16], *out = NULL;
  assert_int_equal(fx_rekey_code(&w->srv, w->dev.id, code, sizeof code), 0);
  assert_int_equal(fx_syncctl(&out, "--store", w->dev.path, "--json", "enroll", "--server", w->srv.url,
                              "--code", code, "--allow-http-loopback", "--passphrase-file", pass, NULL), 0);
  cJSON *j = cJSON_Parse(out);
  free(out);
  assert_non_null(j);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
  assert_string_equal(cJSON_GetObjectItem(j, "device_id")->valuestring, w->dev.id);
  assert_string_equal(cJSON_GetObjectItem(j, "unit")->valuestring, "Polres Ponorogo");
  assert_null(cJSON_GetObjectItem(j, "secret"));
  cJSON_Delete(j);
  /* Without any passphrase and no terminal: refused, nothing opened. */
  assert_int_equal(fx_syncctl(NULL, "--store", w->dev.path, "status", NULL), 1);
  setenv("SYNC_PASSPHRASE", FX_PASSPHRASE, 1);
  /* The same code a second time: refused in plain words. */
  assert_int_equal(fx_syncctl(&out, "--store", w->dev.path, "--json", "--lang", "en", "enroll",
                              "--server", w->srv.url, "--code", code, "--allow-http-loopback", NULL), 1);
  j = cJSON_Parse(out);
  free(out);
  assert_string_equal(cJSON_GetObjectItem(j, "error")->valuestring, "SYNC_ERR_AUTH");
  assert_non_null(strstr(cJSON_GetObjectItem(j, "message")->valuestring, "already used"));
  cJSON_Delete(j);

  assert_int_equal(fx_syncctl(&out, "--store", w->dev.path, "--json", "sync", NULL), 0);
  j = cJSON_Parse(out);
  free(out);
  assert_non_null(j);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
  assert_int_equal(cJSON_GetObjectItem(j, "pushed")->valueint, 25);
  assert_int_equal(cJSON_GetObjectItem(j, "pending")->valueint, 0);
  assert_true(cJSON_GetObjectItem(j, "requests")->valueint >= 3);
  cJSON_Delete(j);
  assert_int_equal(fx_syncctl(&out, "--store", w->dev.path, "--json", "status", NULL), 0);
  j = cJSON_Parse(out);
  free(out);
  assert_int_equal(cJSON_GetObjectItem(j, "outbox_pending")->valueint, 0);
  assert_int_equal(cJSON_GetObjectItem(j, "outbox_acked")->valueint, 25);
  assert_true(cJSON_IsString(cJSON_GetObjectItem(j, "last_sync")));
  cJSON_Delete(j);
  assert_int_equal(fx_syncctl(&out, "--store", w->dev.path, "--json", "enrollment", NULL), 0);
  j = cJSON_Parse(out);
  free(out);
  assert_string_equal(cJSON_GetObjectItem(j, "server_url")->valuestring, w->srv.url);
  assert_true(cJSON_GetObjectItem(j, "credential_expires_at")->valuedouble > 0);
  cJSON_Delete(j);
  verify(w);

  /* A refused credential: exit 1 and the plain-words reason (Bahasa Indonesia by default). */
  set_wrong_secret(w->dev.path);
  assert_int_equal(fx_add_records(w->dev.path, 1, 9), 0);
  assert_int_equal(fx_syncctl(&out, "--store", w->dev.path, "--json", "sync", NULL), 1);
  j = cJSON_Parse(out);
  free(out);
  assert_false(cJSON_IsTrue(cJSON_GetObjectItem(j, "ok")));
  assert_string_equal(cJSON_GetObjectItem(j, "error")->valuestring, "SYNC_ERR_AUTH");
  assert_non_null(strstr(cJSON_GetObjectItem(j, "message")->valuestring, "kredensial tidak dikenal"));
  cJSON_Delete(j);
  /* Plain http to another host is refused before anything is sent or saved. */
  assert_int_equal(fx_enroll_code(&w->srv, code, sizeof code), 0);
  assert_int_equal(fx_syncctl(NULL, "--store", w->dev.path, "enroll", "--server", "http://10.9.9.9:8080",
                              "--code", code, NULL), 1);
  assert_int_equal(fx_syncctl(&out, "--store", w->dev.path, "--json", "enrollment", NULL), 0);
  assert_non_null(strstr(out, w->srv.url));
  free(out);
  free(pass);
}

static sync_err_t run_with(const world_t *w, const char *ca, const char *pin, sync_status_t *st)
{
  sync_engine_config_t c;
  fx_engine_config(&c, &w->dev, &w->srv, NULL);
  c.allow_plain_http_loopback = 0;
  c.ca_file = ca;
  c.pinned_pubkey = pin;
  c.max_attempts = 1;
  sync_engine_t *e = NULL;
  char err[256];
  if (sync_engine_new(&c, &e, err, sizeof err) != SYNC_OK)
    fail_msg("engine: %s", err);
  sync_err_t rc = sync_engine_run_once(e);
  sync_engine_status(e, st);
  sync_engine_free(e);
  return rc;
}

static void test_https_trusts_only_the_given_ca_and_pinned_key(void **state)
{
  world_t *w = *state;
  char *pin = NULL;
  assert_int_equal(ts_make_test_ca(w->srv.dir, &pin), 0);
  char *ca = ts_path(w->srv.dir, "ca.pem"), *cert = ts_path(w->srv.dir, "srv.pem");
  char *key = ts_path(w->srv.dir, "srv.key");
  fx_server_kill(&w->srv, SIGKILL);
  w->srv.tls_cert = cert;
  w->srv.tls_key = key;
  assert_int_equal(fx_server_start(&w->srv), 0);
  assert_int_equal(strncmp(w->srv.url, "https://", 8), 0);
  assert_int_equal(fx_add_records(w->dev.path, 10, 5), 0);
  sync_status_t st;
  char why[512];

  /* Enrolling over https: an unknown CA or a wrong pin is refused, nothing saved; then it works. */
  assert_int_equal(fx_enroll(&w->srv, w->dev.path, NULL, NULL, why, sizeof why), SYNC_ERR_CRYPTO);
  assert_non_null(strstr(why, "identity could not be verified"));
  assert_int_equal(fx_enroll(&w->srv, w->dev.path, ca, "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                             why, sizeof why), SYNC_ERR_CRYPTO);
  if (fx_enroll(&w->srv, w->dev.path, ca, pin, why, sizeof why) != SYNC_OK)
    fail_msg("enroll over https: %s", why);

  /* The system store does not know the test CA: refused, said in plain words, nothing sent. */
  assert_int_equal(run_with(w, NULL, NULL, &st), SYNC_ERR_CRYPTO);
  assert_non_null(strstr(st.message, "identity could not be verified"));
  assert_int_equal(st.pending, 10);
  /* A pin that does not match is refused even with the right CA. */
  assert_int_equal(run_with(w, ca, "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", &st), SYNC_ERR_CRYPTO);
  /* The right CA and pin: everything arrives. */
  assert_int_equal(run_with(w, ca, pin, &st), SYNC_OK);
  assert_int_equal(st.progress.records_done, 10);
  verify(w);
  w->srv.tls_cert = w->srv.tls_key = NULL;
  free(ca);
  free(cert);
  free(key);
  free(pin);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_push_delivers_every_record_exactly_once_byte_identical, setup, teardown),
    cmocka_unit_test_setup_teardown(test_push_revisions_and_deletions_fast_forward_on_the_server, setup, teardown),
    cmocka_unit_test_setup_teardown(test_progress_counts_records_saved_while_pushing, setup, teardown),
    cmocka_unit_test_setup_teardown(test_refused_credential_is_reported_in_plain_words, setup, teardown),
    cmocka_unit_test_setup_teardown(test_plain_http_is_refused_except_to_loopback, setup, teardown),
    cmocka_unit_test_setup_teardown(test_https_trusts_only_the_given_ca_and_pinned_key, setup, teardown),
    cmocka_unit_test_setup_teardown(test_syncctl_enrolls_syncs_and_reports_in_json, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
