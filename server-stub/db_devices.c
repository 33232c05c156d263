/* Devices: credential lookup, revocation, last seen, listings (db.h). Devices are created by
 * enrollment (db_enroll.c). */
#include "db_internal.h"

#include <string.h>

#define DEV_COLUMNS                                                                                \
  "device_id, name, unit, secret_sha256, status, created_at, revoked_at, last_seen_at,"            \
  " records_received, credential_expires_at, signing_key"

static void read_device(sqlite3_stmt *st, db_device_t *d)
{
  memset(d, 0, sizeof *d);
  db_col_text(st, 0, d->device_id, sizeof d->device_id);
  db_col_text(st, 1, d->name, sizeof d->name);
  db_col_text(st, 2, d->unit, sizeof d->unit);
  const void *hash = sqlite3_column_blob(st, 3);
  if (hash && sqlite3_column_bytes(st, 3) == (int)sizeof d->secret_sha256)
    memcpy(d->secret_sha256, hash, sizeof d->secret_sha256);
  const unsigned char *status = sqlite3_column_text(st, 4);
  d->revoked = status && strcmp((const char *)status, "revoked") == 0;
  d->created_at = sqlite3_column_int64(st, 5);
  d->revoked_at = sqlite3_column_int64(st, 6);
  d->last_seen_at = sqlite3_column_int64(st, 7);
  d->records_received = sqlite3_column_int64(st, 8);
  d->credential_expires_at = sqlite3_column_int64(st, 9);
  db_col_text(st, 10, d->signing_key, sizeof d->signing_key);
}

sync_err_t db_device_get(db_conn_t *c, const char *device_id, db_device_t *out)
{
  sqlite3_stmt *st = db_stmt(c, ST_DEV_GET,
                             "SELECT " DEV_COLUMNS " FROM devices WHERE device_id = ?1");
  if (!st)
    return SYNC_ERR_DB;
  sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sync_err_t e = SYNC_OK;
  if (rc == SQLITE_ROW)
    read_device(st, out);
  else
    e = rc == SQLITE_DONE ? SYNC_ERR_NOT_FOUND : db_err(rc);
  sqlite3_reset(st);
  return e;
}

sync_err_t db_device_revoke(db_conn_t *c, const char *device_id)
{
  sqlite3_stmt *st = db_stmt(c, ST_DEV_REVOKE,
                             "UPDATE devices SET status = 'revoked',"
                             " revoked_at = coalesce(revoked_at, ?2) WHERE device_id = ?1");
  if (!st)
    return SYNC_ERR_DB;
  sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, db_now_ms());
  sync_err_t e = db_step_done(st);
  if (e == SYNC_OK && sqlite3_changes(c->h) == 0)
    e = SYNC_ERR_NOT_FOUND;
  return e;
}

sync_err_t db_device_touch(db_conn_t *c, const char *device_id, int64_t now)
{
  sync_err_t e = db_begin_write(c);
  if (e != SYNC_OK)
    return e;
  sqlite3_stmt *st = db_stmt(c, ST_DEV_TOUCH,
                             "UPDATE devices SET last_seen_at = ?2 WHERE device_id = ?1");
  if (!st) {
    db_rollback(c);
    return SYNC_ERR_DB;
  }
  sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, now);
  if ((e = db_step_done(st)) != SYNC_OK) {
    db_rollback(c);
    return e;
  }
  return db_commit(c);
}

sync_err_t db_device_list(db_conn_t *c, db_device_fn fn, void *ctx)
{
  sqlite3_stmt *st = db_stmt(c, ST_DEV_LIST,
                             "SELECT " DEV_COLUMNS " FROM devices ORDER BY created_at, device_id");
  if (!st)
    return SYNC_ERR_DB;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    db_device_t d;
    read_device(st, &d);
    if (fn(ctx, &d) != 0)
      break;
  }
  sync_err_t e = rc == SQLITE_ROW || rc == SQLITE_DONE ? SYNC_OK : db_err(rc);
  sqlite3_reset(st);
  return e;
}

sync_err_t db_device_activity(db_conn_t *c, db_activity_fn fn, void *ctx)
{
  sqlite3_stmt *st;
  const char *sql =
    "SELECT " DEV_COLUMNS ","
    " (SELECT max(b.received_at) FROM push_batches b WHERE b.device_id = d.device_id),"
    " (SELECT count(*) FROM conflicts x WHERE x.reviewed_at IS NULL AND EXISTS"
    "   (SELECT 1 FROM record_keys k WHERE k.uuid = x.uuid AND k.source = d.device_id))"
    " FROM devices d ORDER BY d.created_at, d.device_id";
  if (sqlite3_prepare_v2(c->h, sql, -1, &st, NULL) != SQLITE_OK)
    return SYNC_ERR_DB;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    db_device_activity_t a;
    memset(&a, 0, sizeof a);
    read_device(st, &a.d);
    a.last_push_at = sqlite3_column_int64(st, 11);
    a.pending_conflicts = sqlite3_column_int64(st, 12);
    if (fn(ctx, &a) != 0)
      break;
  }
  sync_err_t e = rc == SQLITE_ROW || rc == SQLITE_DONE ? SYNC_OK : db_err(rc);
  sqlite3_finalize(st);
  return e;
}
