/* Crash safety: a child process saves records (single durable saves and batches, plus revisions)
 * and reports each one on a pipe only after libsync said SYNC_OK; the parent kills it with SIGKILL
 * at a random moment, reopens the store and checks that every acknowledged write is there and
 * intact, and that nothing is half-written: integrity_check passes, every final record has its
 * revision rows and exactly one outbox entry per revision, and every payload is exactly what the
 * child meant to save (payloads are derived from a sequence number stored in them).
 *
 * Environment: LIBSYNC_CRASH_ITERATIONS (default 200), LIBSYNC_CRASH_SECONDS (time bound, default
 * 60), LIBSYNC_CRASH_SEED (default: time; printed so a failure can be replayed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cJSON.h>
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store_crypto.h"   /* decrypting stored revisions */
#include "store_internal.h" /* the handle's SQLite connection, for the structural checks */
#include "sync/sync.h"
#include "test_support.h"

/* Every open passes the passphrase (Argon2id at test cost: see store.h). */
static sync_err_t open_store(const char *path, sync_store_t **s)
{
  sync_store_opts_t o;
  sync_store_opts_init(&o);
  o.passphrase = "kunci rahasia kantor";
  o.kdf = SYNC_KDF_TEST;
  return sync_store_open(path, &o, s);
}

static const char FORM[] =
  "{\"format\":1,\"form_id\":\"crash\",\"version\":1,\"default_language\":\"id\",\"languages\":[\"id\"],"
  "\"title\":{\"id\":\"Uji crash\"},\"choice_lists\":{},"
  "\"sections\":[{\"name\":\"main\",\"label\":{\"id\":\"Utama\"},\"fields\":["
  "{\"name\":\"seq\",\"type\":\"integer\",\"label\":{\"id\":\"No\"},\"required\":true},"
  "{\"name\":\"edit\",\"type\":\"integer\",\"label\":{\"id\":\"Edit\"},\"required\":true},"
  "{\"name\":\"name\",\"type\":\"text\",\"label\":{\"id\":\"Nama\"},\"required\":true},"
  "{\"name\":\"village\",\"type\":\"text\",\"label\":{\"id\":\"Desa\"}},"
  "{\"name\":\"age\",\"type\":\"integer\",\"label\":{\"id\":\"Umur\"},\"constraint\":\". >= 0 and . < 120\"},"
  "{\"name\":\"consent\",\"type\":\"yes_no\",\"label\":{\"id\":\"Setuju\"}},"
  "{\"name\":\"notes\",\"type\":\"text\",\"label\":{\"id\":\"Catatan\"}},"
  "{\"name\":\"adult\",\"type\":\"calculate\",\"calculation\":\"${age} >= 18\"}]}]}";

/* ---- payloads derivable from (seq, edit) -------------------------------------------------- */

static const char *const WORDS[] = { "korban", "perekrutan", "agen", "paspor", "kapal", "gaji",
                                     "utang", "ancaman", "penampungan", "Malaysia", "Batam", "ABK" };

static void make_payload(long seq, int edit, char *buf, size_t len)
{
  char notes[512];
  size_t n = 0;
  int words = 10 + (int)(seq % 40);
  for (int i = 0; i < words && n + 16 < sizeof notes; i++)
    n += (size_t)snprintf(notes + n, sizeof notes - n, "%s%s", i ? " " : "",
                          WORDS[(size_t)(seq * 7 + i * 3 + edit) % (sizeof WORDS / sizeof WORDS[0])]);
  snprintf(buf, len,
           "{\"seq\":%ld,\"edit\":%d,\"name\":\"Orang %ld\",\"village\":\"Desa %ld\",\"age\":%ld,"
           "\"consent\":%s,\"notes\":\"%s\"}",
           seq, edit, seq, seq % 97, (seq + edit) % 90, seq % 3 ? "true" : "false", notes);
}

/* The canonical payload the store must hold for (seq, edit): the answers plus `adult`. */
static cJSON *expected_payload(long seq, int edit)
{
  char buf[1024];
  make_payload(seq, edit, buf, sizeof buf);
  cJSON *o = cJSON_Parse(buf);
  cJSON_AddBoolToObject(o, "adult", (seq + edit) % 90 >= 18);
  return o;
}

/* ---- the child ---------------------------------------------------------------------------- */

static void write_all(int fd, const char *s)
{
  size_t len = strlen(s);
  while (len > 0) {
    ssize_t w = write(fd, s, len);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      _exit(3);
    s += w;
    len -= (size_t)w;
  }
}

typedef struct made {
  char uuid[SYNC_UUID_STRLEN + 1];
  long seq;
  int edit;
} made_t;

/* Saves until killed. Reports "C seq uuid" / "R seq uuid edit" after each acknowledged write.
 * Exit codes: 2 = a libsync call failed (message on stderr), 3 = pipe error. */
static void child_main(const char *path, int fd, int batched, long seq, unsigned seed)
{
  sync_store_t *s = NULL;
  if (open_store(path, &s) != SYNC_OK)
    _exit(2);
  if (sync_form_add(s, FORM, strlen(FORM), NULL, NULL) != SYNC_OK) {
    fprintf(stderr, "child form_add: %s\n", sync_store_errmsg(s));
    _exit(2);
  }
  made_t *made = NULL;
  size_t nmade = 0, cap = 0;
  char payload[1024], line[128];
  for (;;) {
    int n = batched ? 1 + (int)(rand_r(&seed) % 60) : 1;
    if (nmade + (size_t)n > cap) {
      cap = (cap + (size_t)n) * 2;
      made = realloc(made, cap * sizeof *made);
      if (!made)
        _exit(2);
    }
    if (batched && sync_store_begin(s) != SYNC_OK)
      goto failed;
    for (int i = 0; i < n; i++) {
      made_t *m = &made[nmade + (size_t)i];
      m->seq = seq++;
      m->edit = 0;
      make_payload(m->seq, 0, payload, sizeof payload);
      if (sync_record_create(s, "crash", 1, payload, SYNC_STATUS_FINAL, m->uuid) != SYNC_OK)
        goto failed;
    }
    if (batched && sync_store_commit(s) != SYNC_OK)
      goto failed;
    for (int i = 0; i < n; i++) {
      snprintf(line, sizeof line, "C %ld %s\n", made[nmade].seq, made[nmade].uuid);
      write_all(fd, line);
      nmade++;
    }
    /* Now and then a new revision of an earlier record. */
    if (rand_r(&seed) % 4 == 0) {
      made_t *m = &made[(size_t)rand_r(&seed) % nmade];
      make_payload(m->seq, m->edit + 1, payload, sizeof payload);
      if (sync_record_revise(s, m->uuid, payload) != SYNC_OK)
        goto failed;
      m->edit++;
      snprintf(line, sizeof line, "R %ld %s %d\n", m->seq, m->uuid, m->edit);
      write_all(fd, line);
    }
  }
failed:
  fprintf(stderr, "child: %s: %s\n", sync_errname(SYNC_ERR_INTERNAL), sync_store_errmsg(s));
  _exit(2);
}

/* ---- the parent's checks ------------------------------------------------------------------ */

typedef struct acked {
  made_t *items;
  size_t count, cap;
} acked_t;

static void acked_put(acked_t *a, const char *uuid, long seq, int edit)
{
  for (size_t i = a->count; i-- > 0 && a->items[i].seq >= seq - 100000;) {
    if (a->items[i].seq == seq) {
      if (edit > a->items[i].edit)
        a->items[i].edit = edit;
      return;
    }
  }
  if (a->count == a->cap) {
    a->cap = a->cap ? a->cap * 2 : 1024;
    a->items = realloc(a->items, a->cap * sizeof *a->items);
    assert_non_null(a->items);
  }
  made_t *m = &a->items[a->count++];
  assert_int_equal(strlen(uuid), SYNC_UUID_STRLEN);
  memcpy(m->uuid, uuid, SYNC_UUID_STRLEN + 1);
  m->seq = seq;
  m->edit = edit;
}

static long long sql_int(sync_store_t *s, const char *sql)
{
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
    fail_msg("%s: %s", sql, sqlite3_errmsg(s->db));
  long long v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  return v;
}

static void check_integrity(sync_store_t *s)
{
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  const char *res = (const char *)sqlite3_column_text(st, 0);
  if (strcmp(res, "ok") != 0)
    fail_msg("integrity_check: %s", res);
  sqlite3_finalize(st);
  assert_int_equal(sql_int(s, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
}

/* Every record is complete: revision rows 1..revision, one outbox entry per revision, no drafts,
 * distinct clock values, and the persisted clock is not behind any record. */
static void check_structure(sync_store_t *s)
{
  assert_int_equal(sql_int(s, "SELECT count(*) FROM records WHERE status != 'final' OR deleted != 0"), 0);
  assert_int_equal(sql_int(s, "SELECT count(*) FROM records r WHERE revision != "
                              "(SELECT count(*) FROM record_revisions v WHERE v.record_id = r.id)"), 0);
  assert_int_equal(sql_int(s, "SELECT count(*) FROM records r WHERE NOT EXISTS (SELECT 1 FROM "
                              "record_revisions v WHERE v.record_id = r.id AND v.revision = r.revision "
                              "AND v.uuid = r.uuid AND v.hlc = r.hlc AND r.payload IS NULL)"), 0);
  assert_int_equal(sql_int(s, "SELECT count(*) FROM record_revisions v WHERE NOT EXISTS (SELECT 1 FROM "
                              "outbox o WHERE o.revision_id = v.id AND o.uuid = v.uuid "
                              "AND o.revision = v.revision AND o.op = 'upsert')"), 0);
  assert_int_equal(sql_int(s, "SELECT count(*) FROM outbox o WHERE NOT EXISTS (SELECT 1 FROM "
                              "record_revisions v WHERE v.id = o.revision_id)"), 0);
  assert_int_equal(sql_int(s, "SELECT count(*) - count(DISTINCT revision_id) FROM outbox"), 0);
  assert_int_equal(sql_int(s, "SELECT count(*) - count(DISTINCT hlc) FROM record_revisions"), 0);
  assert_int_equal(sql_int(s, "SELECT count(*) FROM record_revisions WHERE substr(hlc, 1, 21) > "
                              "(SELECT value FROM meta WHERE key = 'hlc')"), 0);
}

/* Every revision of every record whose seq is >= from holds exactly the payload for its edit
 * (decrypted with the handle's key: a torn or misplaced value would fail authentication). */
static void check_payloads(sync_store_t *s, long from)
{
  sqlite3_stmt *st;
  const char *sql = "SELECT v.uuid, v.revision, v.payload FROM record_revisions v";
  assert_int_equal(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL), SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *uuid = (const char *)sqlite3_column_text(st, 0);
    int revision = sqlite3_column_int(st, 1);
    char ad[STORE_AD_MAX], *text = NULL;
    store_value_ad_int(ad, COL_REVISION_PAYLOAD, uuid, revision);
    if (store_value_decrypt(s, ad, sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
                            &text, NULL) != SYNC_OK)
      fail_msg("record %s revision %d: payload fails authentication", uuid, revision);
    cJSON *got = cJSON_Parse(text);
    if (!got)
      fail_msg("record %s revision %d: payload does not parse", uuid, revision);
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(got, "seq");
    const cJSON *edit = cJSON_GetObjectItemCaseSensitive(got, "edit");
    assert_true(cJSON_IsNumber(seq) && cJSON_IsNumber(edit));
    if ((long)seq->valuedouble >= from) {
      assert_int_equal(edit->valueint, revision - 1);
      cJSON *want = expected_payload((long)seq->valuedouble, edit->valueint);
      if (!cJSON_Compare(want, got, 1))
        fail_msg("record %s revision %d: payload differs: %s", uuid, revision, text);
      cJSON_Delete(want);
    }
    cJSON_Delete(got);
    free(text);
  }
  sqlite3_finalize(st);
}

/* Every acknowledged write from index `from` on is in the store, at least at its edit. */
static void check_acked(sync_store_t *s, const acked_t *a, size_t from)
{
  for (size_t i = from; i < a->count; i++) {
    const made_t *m = &a->items[i];
    sync_record_t *r = NULL;
    sync_err_t err = sync_record_get(s, m->uuid, &r);
    if (err)
      fail_msg("acknowledged record %s (seq %ld) is missing: %s", m->uuid, m->seq, sync_errname(err));
    assert_true(sync_record_revision(r) >= m->edit + 1);
    cJSON *got = cJSON_Parse(sync_record_payload(r));
    assert_non_null(got);
    assert_int_equal((long)cJSON_GetObjectItemCaseSensitive(got, "seq")->valuedouble, m->seq);
    cJSON_Delete(got);
    sync_record_free(r);
  }
}

static long env_long(const char *name, long def)
{
  const char *v = getenv(name);
  return v && *v ? strtol(v, NULL, 10) : def;
}

static double now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs one child for `delay_ms`, kills it, returns its acknowledged writes in `a`. */
static void run_child(const char *path, int batched, long first_seq, unsigned seed, int delay_ms, acked_t *a)
{
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    child_main(path, fds[1], batched, first_seq, seed);
    _exit(4);
  }
  close(fds[1]);
  struct timespec d = { delay_ms / 1000, (long)(delay_ms % 1000) * 1000000L };
  while (nanosleep(&d, &d) != 0 && errno == EINTR) {
  }
  kill(pid, SIGKILL);

  FILE *in = fdopen(fds[0], "r");
  assert_non_null(in);
  char line[256], uuid[64], kind;
  long seq;
  int edit;
  while (fgets(line, sizeof line, in)) {
    if (strchr(line, '\n') == NULL)
      break; /* a torn last line cannot happen (writes < PIPE_BUF are atomic); ignore it anyway */
    edit = 0;
    if (sscanf(line, "%c %ld %63s %d", &kind, &seq, uuid, &edit) < 3)
      fail_msg("bad line from child: %s", line);
    acked_put(a, uuid, seq, kind == 'R' ? edit : 0);
  }
  fclose(in);
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
    fail_msg("the child ended on its own (status 0x%x): it failed before it was killed", status);
}

static void test_kill_9_never_loses_an_acknowledged_record(void **state)
{
  (void)state;
  long iterations = env_long("LIBSYNC_CRASH_ITERATIONS", 200);
  double seconds = (double)env_long("LIBSYNC_CRASH_SECONDS", 60);
  unsigned seed = (unsigned)env_long("LIBSYNC_CRASH_SEED", (long)time(NULL));
  printf("crash test: seed %u (LIBSYNC_CRASH_SEED), up to %ld iterations or %.0f s\n", seed, iterations, seconds);

  char *dir = ts_tempdir();
  char *path = ts_path(dir, "crash.db");
  acked_t acked = { NULL, 0, 0 };
  double start = now_s();
  long it;
  size_t revisions_acked = 0;
  for (it = 0; it < iterations && now_s() - start < seconds; it++) {
    int batched = (int)(it % 2);
    int delay_ms = 3 + (int)(rand_r(&seed) % 120);
    size_t before = acked.count;
    long first_seq = (it + 1) * 1000000L;
    run_child(path, batched, first_seq, rand_r(&seed), delay_ms, &acked);

    sync_store_t *s = NULL;
    sync_err_t err = open_store(path, &s);
    if (err)
      fail_msg("iteration %ld: reopening after kill -9: %s", it, sync_errname(err));
    check_integrity(s);
    check_structure(s);
    check_payloads(s, first_seq);
    check_acked(s, &acked, before);
    /* A write made but not yet acknowledged when the kill came may be there or not (it is
     * complete either way, as checked above); an acknowledged one is never missing. */
    assert_true(sql_int(s, "SELECT count(*) FROM records") >= (long long)acked.count);
    sync_store_close(s);
  }

  /* A last look at everything acknowledged over the whole run. */
  sync_store_t *s = NULL;
  assert_int_equal(open_store(path, &s), SYNC_OK);
  check_integrity(s);
  check_structure(s);
  check_payloads(s, 0);
  check_acked(s, &acked, 0);
  for (size_t i = 0; i < acked.count; i++)
    revisions_acked += (size_t)acked.items[i].edit;
  sync_store_stats_t st;
  assert_int_equal(sync_store_stats(s, &st), SYNC_OK);
  assert_true(st.finals >= (int64_t)acked.count);
  assert_true(st.outbox_pending >= (int64_t)(acked.count + revisions_acked));
  printf("crash test: %ld kills in %.1f s; %zu records and %zu revisions acknowledged, all present; "
         "%lld records in the store, %lld outbox entries\n",
         it, now_s() - start, acked.count, revisions_acked, (long long)st.finals, (long long)st.outbox_pending);
  sync_store_close(s);
  assert_true(it > 0);
  free(acked.items);
  ts_rmtree(dir);
  free(dir);
  free(path);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_kill_9_never_loses_an_acknowledged_record),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
