/* The real syncserver's life: SIGTERM (and SIGKILL) during a stream of pushes never loses an
 * acknowledged change, a restart on the same database keeps server_seq increasing, and the admin
 * commands guard the database. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <signal.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server_fixture.h"
#include "test_support.h"

#define BATCH 25
#define MAX_ACKED 100000

typedef struct stream {
  server_t *s;
  device_t *dev;
  atomic_int stop;
  pthread_mutex_t lock;
  char (*acked)[40];
  int n_acked;
  long long max_seq;
  int batches;
} stream_t;

static void *pusher(void *arg)
{
  stream_t *st = arg;
  long long ms = 1732600000000LL;
  while (!atomic_load(&st->stop)) {
    char *changes[BATCH];
    char uuids[BATCH][40];
    for (int i = 0; i < BATCH; i++) {
      char hlc[64];
      make_uuid(uuids[i]);
      make_hlc(hlc, ms++, 0, st->dev->id);
      changes[i] = make_change(uuids[i], 1, 0, NULL, hlc, "upsert",
                               "{\"province\":\"35\",\"officer_notes\":\"Catatan uji penghentian.\"}");
    }
    char batch[40];
    make_uuid(batch);
    char *body = make_push(st->dev->id, batch, changes, BATCH);
    for (int i = 0; i < BATCH; i++)
      free(changes[i]);
    reply_t r;
    int rc = http_call(st->s, "POST", "/v1/push", st->dev, NULL, body, strlen(body), REQ_LZ4, &r);
    free(body);
    if (rc != 0 || r.status != 200) {
      reply_free(&r);
      if (rc != 0)
        break; /* the server is gone */
      continue;
    }
    /* Acknowledged: these must survive whatever happens next. */
    cJSON *j = reply_json(&r);
    const cJSON *rec;
    pthread_mutex_lock(&st->lock);
    cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(j, "receipts")) {
      const cJSON *u = cJSON_GetObjectItemCaseSensitive(rec, "uuid");
      const cJSON *seq = cJSON_GetObjectItemCaseSensitive(rec, "server_seq");
      if (st->n_acked < MAX_ACKED && cJSON_IsString(u))
        snprintf(st->acked[st->n_acked++], 40, "%s", u->valuestring);
      if (cJSON_IsNumber(seq) && (long long)seq->valuedouble > st->max_seq)
        st->max_seq = (long long)seq->valuedouble;
    }
    st->batches++;
    pthread_mutex_unlock(&st->lock);
    cJSON_Delete(j);
    reply_free(&r);
  }
  return NULL;
}

static int count_missing(const server_t *s, stream_t *st)
{
  sqlite3 *h;
  assert_int_equal(sqlite3_open_v2(s->db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_stmt *q;
  assert_int_equal(sqlite3_prepare_v2(h, "SELECT count(*) FROM record_keys WHERE uuid = ?1",
                                      -1, &q, NULL), SQLITE_OK);
  int missing = 0;
  for (int i = 0; i < st->n_acked; i++) {
    sqlite3_bind_text(q, 1, st->acked[i], -1, SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_ROW || sqlite3_column_int(q, 0) != 1)
      missing++;
    sqlite3_reset(q);
  }
  sqlite3_finalize(q);
  sqlite3_close(h);
  return missing;
}

static void stop_during_push_stream(int sig, int expect_status)
{
  server_t s;
  device_t dev;
  assert_int_equal(server_prepare(&s), 0);
  assert_int_equal(add_device(&s, "Laptop", NULL, &dev), 0);
  assert_int_equal(server_start(&s, NULL), 0);

  stream_t st = {.s = &s, .dev = &dev};
  pthread_mutex_init(&st.lock, NULL);
  st.acked = calloc(MAX_ACKED, sizeof *st.acked);
  pthread_t t[2];
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&t[i], NULL, pusher, &st), 0);
  /* Let the stream run, then stop the server in the middle of it. */
  for (int waited = 0; waited < 3000; waited++) { /* up to 30 s on a busy machine */
    struct timespec d = {0, 10 * 1000000L};
    nanosleep(&d, NULL);
    pthread_mutex_lock(&st.lock);
    int b = st.batches;
    pthread_mutex_unlock(&st.lock);
    if (b >= 6)
      break;
  }
  assert_int_equal(server_stop(&s, sig), expect_status);
  atomic_store(&st.stop, 1);
  for (int i = 0; i < 2; i++)
    pthread_join(t[i], NULL);
  assert_true(st.n_acked >= 6 * BATCH);
  long long seq_before = st.max_seq;

  /* Restart on the same database: everything acknowledged is there, and the counter goes on. */
  assert_int_equal(server_start(&s, NULL), 0);
  assert_int_equal(count_missing(&s, &st), 0);
  char uuid[40], hlc[64], batch[40];
  make_uuid(uuid);
  make_uuid(batch);
  make_hlc(hlc, 1800000000000LL, 0, dev.id);
  char *ch = make_change(uuid, 1, 0, NULL, hlc, "upsert", NULL);
  char *body = make_push(dev.id, batch, &ch, 1);
  reply_t r;
  assert_int_equal(http_call(&s, "POST", "/v1/push", &dev, NULL, body, strlen(body), 0, &r), 0);
  assert_int_equal(r.status, 200);
  cJSON *j = reply_json(&r);
  const cJSON *rec = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "receipts"), 0);
  long long seq_after = (long long)cJSON_GetObjectItemCaseSensitive(rec, "server_seq")->valuedouble;
  assert_true(seq_after > seq_before);
  cJSON_Delete(j);
  reply_free(&r);
  free(body);
  free(ch);
  assert_int_equal(server_stop(&s, SIGTERM), 0);
  if (sig == SIGTERM) {
    char *log = ts_read_file(s.log, NULL);
    assert_non_null(strstr(log, "event=stopped"));
    free(log);
  }
  free(st.acked);
  pthread_mutex_destroy(&st.lock);
  server_cleanup(&s);
}

static void test_sigterm_during_pushes_loses_no_acknowledged_change(void **state)
{
  (void)state;
  stop_during_push_stream(SIGTERM, 0);
}

static void test_sigkill_during_pushes_loses_no_acknowledged_change(void **state)
{
  (void)state;
  stop_during_push_stream(SIGKILL, 128 + SIGKILL);
}

static void test_restart_keeps_server_seq_increasing_across_forms_and_records(void **state)
{
  (void)state;
  server_t s;
  assert_int_equal(server_prepare(&s), 0);
  long long first = db_scalar(&s, "SELECT max(seq) FROM forms");
  assert_true(first >= 1);
  assert_int_equal(publish_form_version(&s, 2), 0);
  long long second = db_scalar(&s, "SELECT max(seq) FROM forms");
  assert_true(second > first);
  device_t dev;
  assert_int_equal(add_device(&s, "Laptop", NULL, &dev), 0);
  for (int round = 0; round < 2; round++) {
    assert_int_equal(server_start(&s, NULL), 0);
    char uuid[40], hlc[64], batch[40];
    make_uuid(uuid);
    make_uuid(batch);
    make_hlc(hlc, 1732600000000LL + round, 0, dev.id);
    char *ch = make_change(uuid, 1, 0, NULL, hlc, "upsert", NULL);
    char *body = make_push(dev.id, batch, &ch, 1);
    reply_t r;
    assert_int_equal(http_call(&s, "POST", "/v1/push", &dev, NULL, body, strlen(body), 0, &r), 0);
    assert_int_equal(r.status, 200);
    free(body);
    free(ch);
    reply_free(&r);
    assert_int_equal(server_stop(&s, SIGTERM), 0);
  }
  assert_int_equal(db_scalar(&s, "SELECT count(DISTINCT server_seq) FROM record_revisions"), 2);
  assert_true(db_scalar(&s, "SELECT min(server_seq) FROM record_revisions") > second);
  assert_int_equal(db_scalar(&s, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'last_seq'"),
                   db_scalar(&s, "SELECT max(server_seq) FROM record_revisions"));
  server_cleanup(&s);
}

static void test_admin_commands_guard_the_database(void **state)
{
  (void)state;
  server_t s;
  assert_int_equal(server_prepare(&s), 0);
  /* init twice is harmless; the server id stays. */
  char *a = NULL, *b = NULL;
  assert_int_equal(run_syncserver(&a, "init", "--db", s.db, NULL), 0);
  assert_int_equal(run_syncserver(&b, "init", "--db", s.db, NULL), 0);
  assert_string_equal(a, b);
  free(a);
  free(b);
  /* A missing database is not created by admin commands. */
  char *missing = ts_path(s.dir, "nope.db");
  assert_int_equal(run_syncserver(NULL, "device", "list", "--db", missing, NULL), 1);
  free(missing);
  /* The same form version again: a no-op; other content under it: refused. */
  assert_int_equal(run_syncserver(NULL, "form", "publish", "--db", s.db,
                                  SYNC_SERVER_TEST_DATA "/server_form.v1.json", NULL), 0);
  assert_int_equal(run_syncserver(NULL, "form", "publish", "--db", s.db,
                                  SYNC_SOURCE_DIR "/tests/server/data/mini_form.v1.json", NULL), 0);
  char *bad = ts_path(s.dir, "bad.json");
  FILE *f = fopen(bad, "w");
  fputs("{\"format\": 1, \"form_id\": \"x\"", f);
  fclose(f);
  assert_int_equal(run_syncserver(NULL, "form", "publish", "--db", s.db, bad, NULL), 1);
  free(bad);
  assert_int_equal(db_scalar(&s, "SELECT count(*) FROM forms"), 2);
  /* Devices: a code made for an enrolled id re-keys it (one row, the new code's name), secrets
   * stored only as hashes, revoke of nobody fails. */
  device_t d1, d;
  assert_int_equal(add_device(&s, "One", GOLDEN_DEVICE, &d1), 0);
  const char *rekey[] = {"--device", GOLDEN_DEVICE, "--by", "test", NULL};
  char code[32];
  assert_int_equal(enroll_code(&s, "Two", rekey, code), 0);
  assert_int_equal(server_start(&s, NULL), 0);
  assert_int_equal(enroll_device(&s, code, GOLDEN_DEVICE, &d), 200);
  assert_int_equal(server_stop(&s, SIGTERM), 0);
  assert_string_not_equal(d1.secret, d.secret);
  assert_int_equal(db_scalar(&s, "SELECT count(*) FROM devices WHERE name = 'Two'"), 1);
  assert_int_equal(db_scalar(&s, "SELECT count(*) FROM devices"), 1);
  assert_int_equal(strlen(d.secret), 43);
  char sql[200];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM devices WHERE instr(CAST(secret_sha256 AS TEXT),"
                            " '%s') > 0", d.secret);
  assert_int_equal(db_scalar(&s, sql), 0);
  assert_int_equal(db_scalar(&s, "SELECT length(secret_sha256) FROM devices"), 32);
  assert_int_equal(run_syncserver(NULL, "device", "revoke", "--db", s.db,
                                  "00000000-0000-4000-8000-000000000000", NULL), 1);
  assert_int_equal(run_syncserver(NULL, "device", "revoke", "--db", s.db, d.id, NULL), 0);
  assert_int_equal(db_scalar(&s, "SELECT count(*) FROM devices WHERE status = 'revoked'"), 1);
  /* Usage errors. */
  assert_int_equal(run_syncserver(NULL, "bogus", NULL), 2);
  assert_int_equal(run_syncserver(NULL, "enroll", "create", "--db", s.db, NULL), 2);
  assert_int_equal(run_syncserver(NULL, "device", "add", "--db", s.db, "--name", "x", NULL), 2);
  assert_int_equal(run_syncserver(NULL, "records", "--db", s.db, "--frobnicate", "1", NULL), 2);
  assert_int_equal(run_syncserver(NULL, "serve", "--db", s.db, "--listen", "nonsense", NULL), 1);
  /* A file that is not a server database is refused. */
  char *other = ts_path(s.dir, "other.txt");
  f = fopen(other, "w");
  fputs("hello, this is not SQLite at all, just text that is long enough to look like a header",
        f);
  fclose(f);
  assert_int_equal(run_syncserver(NULL, "stats", "--db", other, NULL), 1);
  free(other);
  server_cleanup(&s);
}

int main(void)
{
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_sigterm_during_pushes_loses_no_acknowledged_change),
    cmocka_unit_test(test_sigkill_during_pushes_loses_no_acknowledged_change),
    cmocka_unit_test(test_restart_keeps_server_seq_increasing_across_forms_and_records),
    cmocka_unit_test(test_admin_commands_guard_the_database),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
