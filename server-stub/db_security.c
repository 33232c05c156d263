/* The security log (db.h): failed authentication, rate limiting and enrollments, for central
 * staff (`syncserver audit`). Kept apart from the export audit: different columns, and one
 * failed request must never block or fail an export. */
#include "db_internal.h"

#include <string.h>

sync_err_t db_security_event(db_conn_t *c, const char *kind, const char *addr,
                             const char *device_id, const char *reason, int64_t now)
{
  int own = !c->in_txn;
  sync_err_t e = own ? db_begin_write(c) : SYNC_OK;
  if (e != SYNC_OK)
    return e;
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(c->h, "INSERT INTO security_events(at, kind, addr, device_id, reason)"
                                " VALUES (?1, ?2, ?3, ?4, ?5)", -1, &st, NULL) != SQLITE_OK) {
    if (own)
      db_rollback(c);
    return SYNC_ERR_DB;
  }
  sqlite3_bind_int64(st, 1, now);
  sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, addr ? addr : "", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, device_id ? device_id : "", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, reason ? reason : "", -1, SQLITE_STATIC);
  e = db_step_done(st);
  sqlite3_finalize(st);
  if (!own)
    return e;
  if (e != SYNC_OK) {
    db_rollback(c);
    return e;
  }
  return db_commit(c);
}

sync_err_t db_security_list(db_conn_t *c, int limit, db_sec_fn fn, void *ctx)
{
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(c->h, "SELECT id, at, kind, addr, device_id, reason FROM security_events"
                                " ORDER BY id DESC LIMIT ?1", -1, &st, NULL) != SQLITE_OK)
    return SYNC_ERR_DB;
  sqlite3_bind_int64(st, 1, limit > 0 ? limit : -1);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    db_sec_event_t ev = {
      .id = sqlite3_column_int64(st, 0), .at = sqlite3_column_int64(st, 1),
      .kind = (const char *)sqlite3_column_text(st, 2),
      .addr = (const char *)sqlite3_column_text(st, 3),
      .device_id = (const char *)sqlite3_column_text(st, 4),
      .reason = (const char *)sqlite3_column_text(st, 5)};
    if (fn(ctx, &ev) != 0)
      break;
  }
  sync_err_t e = rc == SQLITE_ROW || rc == SQLITE_DONE ? SYNC_OK : db_err(rc);
  sqlite3_finalize(st);
  return e;
}
