/* The export audit table (db.h). The append-only file next to the database is written by
 * export.c; this is the queryable copy. */
#include "db_internal.h"

#include <string.h>

sync_err_t db_audit_begin(db_conn_t *c, const char *by, const char *format, const char *filter,
                          const char *output, int64_t now, int64_t *id)
{
  *id = 0;
  sync_err_t e = db_begin_write(c);
  if (e != SYNC_OK)
    return e;
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(c->h, "INSERT INTO export_audit(started_at, by, format, filter, output,"
                                " outcome) VALUES (?1, ?2, ?3, ?4, ?5, 'started')", -1, &st,
                         NULL) != SQLITE_OK) {
    db_rollback(c);
    return SYNC_ERR_DB;
  }
  sqlite3_bind_int64(st, 1, now);
  sqlite3_bind_text(st, 2, by, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, format, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, filter, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, output, -1, SQLITE_STATIC);
  e = db_step_done(st);
  sqlite3_finalize(st);
  if (e == SYNC_OK) {
    *id = sqlite3_last_insert_rowid(c->h);
    return db_commit(c);
  }
  db_rollback(c);
  return e;
}

sync_err_t db_audit_finish(db_conn_t *c, int64_t id, int ok, int64_t records, const char *detail,
                           int64_t now)
{
  sync_err_t e = db_begin_write(c);
  if (e != SYNC_OK)
    return e;
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(c->h, "UPDATE export_audit SET finished_at = ?2, records = ?3,"
                                " outcome = ?4, detail = ?5 WHERE id = ?1", -1, &st,
                         NULL) != SQLITE_OK) {
    db_rollback(c);
    return SYNC_ERR_DB;
  }
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, now);
  sqlite3_bind_int64(st, 3, records);
  sqlite3_bind_text(st, 4, ok ? "ok" : "failed", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, detail ? detail : "", -1, SQLITE_STATIC);
  e = db_step_done(st);
  sqlite3_finalize(st);
  if (e == SYNC_OK && sqlite3_changes(c->h) == 0)
    e = SYNC_ERR_NOT_FOUND;
  if (e != SYNC_OK) {
    db_rollback(c);
    return e;
  }
  return db_commit(c);
}

sync_err_t db_audit_list(db_conn_t *c, int limit, db_audit_fn fn, void *ctx)
{
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(c->h, "SELECT id, started_at, finished_at, by, format, filter, output,"
                                " records, outcome, detail FROM export_audit ORDER BY id DESC"
                                " LIMIT ?1", -1, &st, NULL) != SQLITE_OK)
    return SYNC_ERR_DB;
  sqlite3_bind_int64(st, 1, limit > 0 ? limit : -1);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    db_audit_t a;
    memset(&a, 0, sizeof a);
    a.id = sqlite3_column_int64(st, 0);
    a.started_at = sqlite3_column_int64(st, 1);
    a.finished_at = sqlite3_column_int64(st, 2);
    db_col_text(st, 3, a.by, sizeof a.by);
    db_col_text(st, 4, a.format, sizeof a.format);
    a.filter = (const char *)sqlite3_column_text(st, 5);
    a.output = (const char *)sqlite3_column_text(st, 6);
    a.records = sqlite3_column_int64(st, 7);
    db_col_text(st, 8, a.outcome, sizeof a.outcome);
    a.detail = (const char *)sqlite3_column_text(st, 9);
    if (fn(ctx, &a) != 0)
      break;
  }
  sync_err_t e = rc == SQLITE_ROW || rc == SQLITE_DONE ? SYNC_OK : db_err(rc);
  sqlite3_finalize(st);
  return e;
}
