/* Helpers shared by the store files: error messages, the statement cache, write transactions,
 * time and the persisted hybrid logical clock (store_internal.h). */
#include "store_internal.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ---- errors ------------------------------------------------------------------------------- */

void store_reset_error(sync_store_t *s, int clear_issues)
{
  s->errmsg[0] = '\0';
  if (clear_issues)
    issue_list_clear(&s->issues);
}

sync_err_t store_fail(sync_store_t *s, sync_err_t err, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->errmsg, sizeof s->errmsg, fmt, ap);
  va_end(ap);
  return err;
}

sync_err_t store_map_sqlite(int rc)
{
  switch (rc & 0xff) {
  case SQLITE_OK:
  case SQLITE_DONE:
  case SQLITE_ROW:
    return SYNC_OK;
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return SYNC_ERR_BUSY;
  case SQLITE_NOMEM:
    return SYNC_ERR_NOMEM;
  case SQLITE_IOERR:
  case SQLITE_FULL:
  case SQLITE_CANTOPEN:
  case SQLITE_PROTOCOL:
  case SQLITE_PERM:
    return SYNC_ERR_IO;
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
    return SYNC_ERR_CORRUPT;
  case SQLITE_READONLY:
    return SYNC_ERR_READ_ONLY;
  case SQLITE_TOOBIG:
    return SYNC_ERR_TOO_LARGE;
  default:
    return SYNC_ERR_DB;
  }
}

sync_err_t store_fail_sqlite(sync_store_t *s, int rc, const char *what)
{
  int ext = s->db ? sqlite3_extended_errcode(s->db) : rc;
  /* The connection's code may be stale (a reset after a step reports the step's code); trust
   * the primary code we were given and use the extended one only when it agrees. */
  if ((ext & 0xff) != (rc & 0xff))
    ext = rc;
  return store_fail(s, store_map_sqlite(rc), "%s: %s (SQLite error %d: %s)", what,
                    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc), ext, sqlite3_errstr(ext));
}

sync_err_t store_fail_issues(sync_store_t *s, sync_err_t err)
{
  size_t n = s->issues.count;
  if (n == 0)
    return store_fail(s, err, "%s", sync_strerror(err));
  if (err == SYNC_ERR_JSON)
    return store_fail(s, err, "the answers are not a valid JSON object: %s", s->issues.items[0].message);
  char *p = s->errmsg, *end = s->errmsg + sizeof s->errmsg;
  int w = snprintf(p, (size_t)(end - p), "%zu %s failed validation: ", n, n == 1 ? "answer" : "answers");
  p += w;
  for (size_t i = 0; i < n; i++) {
    const issue_t *it = &s->issues.items[i];
    char item[200];
    snprintf(item, sizeof item, "%s%s (%s)", i ? ", " : "", it->field[0] ? it->field : "(record)",
             it->code);
    /* Keep room for the "and N more" tail. */
    if (strlen(item) + 24 >= (size_t)(end - p)) {
      snprintf(p, (size_t)(end - p), " and %zu more", n - i);
      break;
    }
    memcpy(p, item, strlen(item) + 1);
    p += strlen(item);
  }
  return err;
}

sync_err_t store_check_writable(sync_store_t *s)
{
  if (s->read_only)
    return store_fail(s, SYNC_ERR_READ_ONLY, "the store is open read-only");
  if (s->in_batch && s->batch_err != SYNC_OK)
    return store_fail(s, s->batch_err,
                      "the batch was rolled back after an earlier error; end it with "
                      "sync_store_rollback() (or commit, which reports the error)");
  return SYNC_OK;
}

/* ---- statements --------------------------------------------------------------------------- */

static const char *const STMT_SQL[STMT_COUNT_] = {
#define STORE_STMT_SQL_(id, sql) sql,
  STORE_STMT_TABLE(STORE_STMT_SQL_)
#undef STORE_STMT_SQL_
};

sync_err_t store_stmt(sync_store_t *s, store_stmt_id_t id, sqlite3_stmt **out)
{
  assert(id < STMT_COUNT_);
  if (!s->stmts[id]) {
    int rc = sqlite3_prepare_v3(s->db, STMT_SQL[id], -1, SQLITE_PREPARE_PERSISTENT, &s->stmts[id], NULL);
    if (rc != SQLITE_OK) {
      *out = NULL;
      return store_fail_sqlite(s, rc, "cannot prepare a statement");
    }
  }
  *out = s->stmts[id];
  return SYNC_OK;
}

void store_stmts_finalize(sync_store_t *s)
{
  for (int i = 0; i < STMT_COUNT_; i++) {
    sqlite3_finalize(s->stmts[i]);
    s->stmts[i] = NULL;
  }
}

int store_step_done(sqlite3_stmt *st)
{
  int rc = sqlite3_step(st);
  int rrc = sqlite3_reset(st);
  if (rc == SQLITE_ROW)
    rc = rrc == SQLITE_OK ? SQLITE_DONE : rrc;
  return rc;
}

/* Runs one cached statement that takes no parameters. */
static int run(sync_store_t *s, store_stmt_id_t id)
{
  sqlite3_stmt *st;
  if (store_stmt(s, id, &st) != SYNC_OK)
    return sqlite3_errcode(s->db) ? sqlite3_errcode(s->db) : SQLITE_ERROR;
  return store_step_done(st);
}

/* ---- write transactions ------------------------------------------------------------------- */

sync_err_t store_write_begin(sync_store_t *s, store_undo_t undo)
{
  s->write_savepoint = s->in_batch && undo == UNDO_SAVEPOINT;
  if (s->in_batch && !s->write_savepoint)
    return SYNC_OK;
  int rc = run(s, s->in_batch ? STMT_SAVEPOINT : STMT_BEGIN);
  if (rc != SQLITE_DONE)
    return store_fail_sqlite(s, rc, s->in_batch ? "cannot open a savepoint" : "cannot start a write");
  if (!s->in_batch)
    s->tx_hlc_loaded = 0;
  return SYNC_OK;
}

void store_write_abandon_batch(sync_store_t *s)
{
  if (!sqlite3_get_autocommit(s->db))
    (void)run(s, STMT_ROLLBACK);
}

sync_err_t store_write_end(sync_store_t *s, int ok, sync_err_t err)
{
  int rc;
  if (ok) {
    if (s->in_batch && !s->write_savepoint)
      return SYNC_OK;
    rc = run(s, s->in_batch ? STMT_RELEASE : STMT_COMMIT);
    if (rc == SQLITE_DONE)
      return SYNC_OK;
    err = store_fail_sqlite(s, rc, "cannot commit the write");
  }
  assert(err != SYNC_OK);
  if (s->in_batch) {
    if (s->write_savepoint && !sqlite3_get_autocommit(s->db) &&
        (run(s, STMT_ROLLBACK_TO) != SQLITE_DONE || run(s, STMT_RELEASE) != SQLITE_DONE))
      store_write_abandon_batch(s); /* cannot undo this write alone: give up the whole batch */
    if (sqlite3_get_autocommit(s->db)) {
      /* The batch is gone: SQLite rolled it back (I/O error, disk full, out of memory) or the
       * failed write could not be undone alone. It can only end now, and commit says so. */
      s->batch_err = err;
      store_form_cache_flush(s);
      size_t len = strlen(s->errmsg);
      snprintf(s->errmsg + len, sizeof s->errmsg - len, "; the whole batch was rolled back");
    }
    return err;
  }
  if (!sqlite3_get_autocommit(s->db))
    (void)run(s, STMT_ROLLBACK);
  return err;
}

/* ---- time --------------------------------------------------------------------------------- */

int64_t store_now_ms(void)
{
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
    return 0;
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (H. Hinnant's days_from_civil). */
static int32_t days_from_civil(int y, unsigned m, unsigned d)
{
  y -= m <= 2;
  int era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (int32_t)(era * 146097 + (int)doe - 719468);
}

int32_t store_today_days(void)
{
  time_t now = time(NULL);
  struct tm tm;
  if (!localtime_r(&now, &tm))
    return (int32_t)(now / 86400);
  return days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday);
}

/* ---- meta and the clock ------------------------------------------------------------------- */

sync_err_t store_meta_get(sync_store_t *s, const char *key, char *buf, size_t len)
{
  sqlite3_stmt *st;
  sync_err_t err = store_stmt(s, STMT_META_GET, &st);
  if (err)
    return err;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const unsigned char *v = sqlite3_column_text(st, 0);
    snprintf(buf, len, "%s", v ? (const char *)v : "");
    sqlite3_reset(st);
    return SYNC_OK;
  }
  rc = sqlite3_reset(st);
  if (rc != SQLITE_OK)
    return store_fail_sqlite(s, rc, "cannot read the store's metadata");
  return SYNC_ERR_NOT_FOUND; /* not an error for every caller: no errmsg */
}

sync_err_t store_meta_set(sync_store_t *s, const char *key, const char *value)
{
  sqlite3_stmt *st;
  sync_err_t err = store_stmt(s, STMT_META_SET, &st);
  if (err)
    return err;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
  int rc = store_step_done(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE)
    return store_fail_sqlite(s, rc, "cannot write the store's metadata");
  return SYNC_OK;
}

sync_err_t store_hlc_persist(sync_store_t *s)
{
  char state[HLC_STATE_LEN + 1];
  if (hlc_format_state(s->hlc, state, sizeof state) != 0)
    return store_fail(s, SYNC_ERR_INTERNAL, "cannot format the clock state");
  sync_err_t err = store_meta_set(s, "hlc", state);
  if (err == SYNC_OK)
    s->tx_hlc_dirty = 0;
  return err;
}

sync_err_t store_hlc_stamp(sync_store_t *s, char out[HLC_TEXT_MAX])
{
  assert(!sqlite3_get_autocommit(s->db));
  /* Another handle (or process) may have written since our last stamp: start from the newer of
   * its persisted clock and ours. Inside a batch we hold the write lock, so once is enough. */
  if (!s->tx_hlc_loaded) {
    char state[HLC_STATE_LEN + 1];
    hlc_t stored;
    sync_err_t err = store_meta_get(s, "hlc", state, sizeof state);
    if (err == SYNC_OK && hlc_parse(state, &stored, NULL) == 0 && hlc_compare(stored, s->hlc) > 0)
      s->hlc = stored;
    else if (err != SYNC_OK && err != SYNC_ERR_NOT_FOUND)
      return err;
    s->tx_hlc_loaded = 1;
  }
  hlc_t ts = hlc_tick(&s->hlc, store_now_ms());
  if (hlc_format(ts, s->device_id, out, HLC_TEXT_MAX) != 0)
    return store_fail(s, SYNC_ERR_INTERNAL, "cannot format the record timestamp");
  /* A batch persists the clock once, in its commit (sync_store_commit); the clock only moves
   * forward, so a write rolled back to its savepoint needs nothing undone. */
  if (s->in_batch) {
    s->tx_hlc_dirty = 1;
    return SYNC_OK;
  }
  return store_hlc_persist(s);
}
