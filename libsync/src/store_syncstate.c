/* The sync engine's view of a store: its handle with cached statements, transactions, and the
 * sync_state key/value table (store_sync.h), whose secret values are encrypted at rest. */
#include "store_crypto.h"
#include "store_sync.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct store_sync {
  sync_store_t *s;
  sqlite3_stmt *stmts[SST_COUNT_];
};

static const char *const SYNC_SQL[SST_COUNT_] = {
  [SST_OUTBOX_SCAN] =
    "SELECT o.seq, o.op, v.uuid, v.revision, v.form_id, v.form_version, v.hlc, v.payload,"
    " v.written_at, r.created_at, coalesce(p.revision, 0), p.hlc, v.sealed, v.dedup"
    " FROM outbox o"
    " JOIN record_revisions v ON v.id = o.revision_id"
    " JOIN records r ON r.id = v.record_id"
    " LEFT JOIN record_revisions p ON p.id = (SELECT b.id FROM record_revisions b"
    "   WHERE b.record_id = v.record_id AND b.revision < v.revision"
    "   ORDER BY b.revision DESC LIMIT 1)"
    " WHERE o.acked_at IS NULL AND o.failed_at IS NULL AND o.seq > ?1"
    " ORDER BY o.seq",
  [SST_OUTBOX_ACK] =
    "UPDATE outbox SET acked_at = ?2, server_seq = ?3, receipt_time = ?4, receipt_sig = ?5,"
    " attempts = attempts + 1, last_error = NULL WHERE seq = ?1",
  [SST_OUTBOX_FAIL] =
    "UPDATE outbox SET failed_at = ?2, attempts = attempts + 1, last_error = ?3 WHERE seq = ?1",
  [SST_OUTBOX_NOTE_ROW] =
    "UPDATE outbox SET attempts = attempts + 1, last_error = ?2 WHERE seq = ?1",
  [SST_REC_HEAD] =
    "SELECT id, revision, hlc, status FROM records WHERE uuid = ?1",
  [SST_REV_BY_HLC] =
    "SELECT 1 FROM record_revisions WHERE record_id = ?1 AND hlc = ?2 LIMIT 1",
  [SST_PENDING_FOR_RECORD] =
    "SELECT 1 FROM record_revisions v JOIN outbox o ON o.revision_id = v.id"
    " WHERE v.record_id = ?1 AND o.acked_at IS NULL AND o.failed_at IS NULL LIMIT 1",
  [SST_REV_INSERT_REMOTE] =
    "INSERT INTO record_revisions(record_id, uuid, revision, form_id, form_version, hlc, status,"
    " deleted, payload, written_at, origin, sealed, dedup) VALUES(?1, ?2, ?3, ?4, ?5, ?6, 'final',"
    " ?7, ?8, ?9, 'remote', ?10, ?11)",
  /* A new head has answers again: a purged record stops being one (a later purge erases them). */
  [SST_REC_UPDATE_REMOTE] =
    "UPDATE records SET form_id = ?2, form_version = ?3, revision = ?4, hlc = ?5,"
    " status = 'final', updated_at = ?6, deleted = ?7, payload = NULL, purged = 0 WHERE id = ?1",
  [SST_REC_INSERT_REMOTE] =
    "INSERT INTO records(uuid, form_id, form_version, revision, hlc, status, created_at,"
    " updated_at, deleted, payload) VALUES(?1, ?2, ?3, ?4, ?5, 'final', ?6, ?7, ?8, NULL)",
  [SST_ASIDE_HAS] =
    "SELECT 1 FROM remote_pending WHERE hlc = ?1",
  [SST_ASIDE_INSERT] =
    "INSERT OR IGNORE INTO remote_pending(hlc, uuid, revision, base_revision, base_hlc, op,"
    " form_id, form_version, created_at, updated_at, payload, author, received_at, sealed, dedup)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
  [SST_CONFLICT_INSERT] =
    "INSERT OR IGNORE INTO conflicts(uuid, local_revision, remote_revision, losing_hlc, winner,"
    " detected_at, conflict_id, field, device_value, central_value, merged_revision)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
};

sync_err_t store_sync_new(sync_store_t *s, store_sync_t **out)
{
  *out = NULL;
  if (!s)
    return SYNC_ERR_INVALID_ARG;
  store_sync_t *ss = calloc(1, sizeof *ss);
  if (!ss)
    return SYNC_ERR_NOMEM;
  ss->s = s;
  *out = ss;
  return SYNC_OK;
}

void store_sync_free(store_sync_t *ss)
{
  if (!ss)
    return;
  for (int i = 0; i < SST_COUNT_; i++)
    sqlite3_finalize(ss->stmts[i]);
  free(ss);
}

sync_store_t *store_sync_store(store_sync_t *ss)
{
  return ss->s;
}

sync_err_t store_sync_stmt(store_sync_t *ss, sync_stmt_id_t id, sqlite3_stmt **out)
{
  assert(id < SST_COUNT_);
  if (!ss->stmts[id]) {
    int rc = sqlite3_prepare_v3(ss->s->db, SYNC_SQL[id], -1, SQLITE_PREPARE_PERSISTENT,
                                &ss->stmts[id], NULL);
    if (rc != SQLITE_OK) {
      *out = NULL;
      return store_fail_sqlite(ss->s, rc, "cannot prepare a sync statement");
    }
  }
  *out = ss->stmts[id];
  return SYNC_OK;
}

sync_err_t store_sync_begin(store_sync_t *ss)
{
  return sync_store_begin(ss->s);
}

sync_err_t store_sync_commit(store_sync_t *ss)
{
  return sync_store_commit(ss->s);
}

void store_sync_rollback(store_sync_t *ss)
{
  if (ss->s->in_batch)
    (void)sync_store_rollback(ss->s);
}

/* ---- sync_state ------------------------------------------------------------------------------ */

static sync_err_t prepare(sync_store_t *s, const char *sql, sqlite3_stmt **st)
{
  int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
  return rc == SQLITE_OK ? SYNC_OK : store_fail_sqlite(s, rc, "cannot read or write the sync state");
}

sync_err_t store_state_get(sync_store_t *s, const char *key, char *buf, size_t len)
{
  sqlite3_stmt *st;
  sync_err_t err = prepare(s, "SELECT value FROM sync_state WHERE key = ?1", &st);
  if (err)
    return err;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const unsigned char *v = sqlite3_column_text(st, 0);
    snprintf(buf, len, "%s", v ? (const char *)v : "");
    err = SYNC_OK;
  } else if (rc == SQLITE_DONE) {
    err = SYNC_ERR_NOT_FOUND;
  } else {
    err = store_fail_sqlite(s, rc, "cannot read the sync state");
  }
  sqlite3_finalize(st);
  return err;
}

sync_err_t store_state_get_int(sync_store_t *s, const char *key, int64_t *out)
{
  char buf[32];
  *out = 0;
  sync_err_t err = store_state_get(s, key, buf, sizeof buf);
  if (err == SYNC_ERR_NOT_FOUND)
    return SYNC_OK;
  if (err == SYNC_OK)
    *out = strtoll(buf, NULL, 10);
  return err;
}

sync_err_t store_state_set(sync_store_t *s, const char *key, const char *value)
{
  sqlite3_stmt *st;
  sync_err_t err = store_check_writable(s);
  if (err || (err = prepare(s, "INSERT INTO sync_state(key, value) VALUES(?1, ?2)"
                               " ON CONFLICT(key) DO UPDATE SET value = excluded.value", &st)))
    return err;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SYNC_OK : store_fail_sqlite(s, rc, "cannot write the sync state");
}

sync_err_t store_state_set_int(sync_store_t *s, const char *key, int64_t value)
{
  char buf[32];
  snprintf(buf, sizeof buf, "%" PRId64, value);
  return store_state_set(s, key, buf);
}

sync_err_t store_state_delete(sync_store_t *s, const char *key)
{
  sqlite3_stmt *st;
  sync_err_t err = store_check_writable(s);
  if (err || (err = prepare(s, "DELETE FROM sync_state WHERE key = ?1", &st)))
    return err;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SYNC_OK : store_fail_sqlite(s, rc, "cannot write the sync state");
}

sync_err_t store_state_set_secret(sync_store_t *s, const char *key, const char *value)
{
  sqlite3_stmt *st;
  char ad[STORE_AD_MAX];
  sync_err_t err = store_check_writable(s);
  if (err || (err = prepare(s, "INSERT INTO sync_state(key, value) VALUES(?1, ?2)"
                               " ON CONFLICT(key) DO UPDATE SET value = excluded.value", &st)))
    return err;
  store_value_ad_state(ad, key);
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  if ((err = store_value_bind(s, st, 2, ad, value, (size_t)-1)) != SYNC_OK) {
    sqlite3_finalize(st);
    return err;
  }
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SYNC_OK : store_fail_sqlite(s, rc, "cannot write the sync state");
}

sync_err_t store_state_get_secret(sync_store_t *s, const char *key, char *buf, size_t len)
{
  sqlite3_stmt *st;
  char ad[STORE_AD_MAX];
  sync_err_t err = prepare(s, "SELECT value FROM sync_state WHERE key = ?1", &st);
  if (err)
    return err;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    char *text = NULL;
    size_t n = 0;
    store_value_ad_state(ad, key);
    err = store_value_decrypt(s, ad, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
                              &text, &n);
    if (err == SYNC_OK) {
      snprintf(buf, len, "%s", text);
      sodium_memzero(text, n);
      free(text);
    } else {
      err = store_fail(s, err == SYNC_ERR_NOMEM ? err : SYNC_ERR_CORRUPT,
                       "the stored %s fails authentication (altered or damaged)", key);
    }
  } else if (rc == SQLITE_DONE) {
    err = SYNC_ERR_NOT_FOUND;
  } else {
    err = store_fail_sqlite(s, rc, "cannot read the sync state");
  }
  sqlite3_finalize(st);
  return err;
}
