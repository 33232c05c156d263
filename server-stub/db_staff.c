/* Central staff accounts, dashboard sessions and login attempts (db.h). Writes take the writer
 * mutex like every other write of the server. Login attempts are what the staff login limit
 * counts (staff.h); the policy itself lives there, not here. */
#include "db_internal.h"

#include <stdio.h>
#include <string.h>

#define LOGIN_KEEP_MS (90LL * 86400 * 1000)

/* Runs one prepared write statement (inside the caller's write transaction) and finalizes it. */
static sync_err_t write_one(db_conn_t *c, sqlite3_stmt *st)
{
  sync_err_t e = db_step_done(st);
  sqlite3_finalize(st);
  return e;
}

static sqlite3_stmt *prep(db_conn_t *c, const char *sql)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(c->h, sql, -1, &st, NULL) != SQLITE_OK)
    return NULL;
  return st;
}

/* Runs the write `sql` with ?1 = `text` (inside the caller's write transaction). */
static sync_err_t write_text(db_conn_t *c, const char *sql, const char *text)
{
  sqlite3_stmt *st = prep(c, sql);
  if (!st)
    return SYNC_ERR_DB;
  sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
  return write_one(c, st);
}

/* Runs the write `sql` with ?1 = `v` (inside the caller's write transaction). */
static sync_err_t write_int64(db_conn_t *c, const char *sql, int64_t v)
{
  sqlite3_stmt *st = prep(c, sql);
  if (!st)
    return SYNC_ERR_DB;
  sqlite3_bind_int64(st, 1, v);
  return write_one(c, st);
}

sync_err_t db_staff_add(db_conn_t *c, const char *name, const char *pwhash, int replace)
{
  sync_err_t e = db_begin_write(c);
  if (e != SYNC_OK)
    return e;
  sqlite3_stmt *st = prep(c, replace ? "INSERT INTO staff_users(name, pwhash, created_at)"
                                       " VALUES (?1, ?2, ?3) ON CONFLICT(name) DO UPDATE"
                                       " SET pwhash = excluded.pwhash"
                                     : "INSERT INTO staff_users(name, pwhash, created_at)"
                                       " VALUES (?1, ?2, ?3)");
  if (!st) {
    e = SYNC_ERR_DB;
    goto fail;
  }
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, pwhash, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, db_now_ms());
  if ((e = write_one(c, st)) != SYNC_OK)
    goto fail;
  if (replace &&
      (e = write_text(c, "DELETE FROM staff_sessions WHERE name = ?1", name)) != SYNC_OK)
    goto fail;
  return db_commit(c);
fail:
  db_rollback(c);
  return e;
}

sync_err_t db_staff_get(db_conn_t *c, const char *name, db_staff_t *out)
{
  memset(out, 0, sizeof *out);
  sqlite3_stmt *st = prep(c, "SELECT name, pwhash, created_at, last_login FROM staff_users"
                             " WHERE name = ?1");
  if (!st)
    return SYNC_ERR_DB;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sync_err_t e = SYNC_OK;
  if (rc == SQLITE_ROW) {
    db_col_text(st, 0, out->name, sizeof out->name);
    db_col_text(st, 1, out->pwhash, sizeof out->pwhash);
    out->created_at = sqlite3_column_int64(st, 2);
    out->last_login = sqlite3_column_int64(st, 3);
  } else {
    e = rc == SQLITE_DONE ? SYNC_ERR_NOT_FOUND : db_err(rc);
  }
  sqlite3_finalize(st);
  return e;
}

sync_err_t db_staff_remove(db_conn_t *c, const char *name)
{
  sync_err_t e = db_begin_write(c);
  if (e != SYNC_OK)
    return e;
  if ((e = write_text(c, "DELETE FROM staff_users WHERE name = ?1", name)) != SYNC_OK)
    goto fail;
  if (sqlite3_changes(c->h) == 0) {
    e = SYNC_ERR_NOT_FOUND;
    goto fail;
  }
  if ((e = write_text(c, "DELETE FROM staff_sessions WHERE name = ?1", name)) != SYNC_OK)
    goto fail;
  return db_commit(c);
fail:
  db_rollback(c);
  return e;
}

sync_err_t db_staff_list(db_conn_t *c, db_staff_fn fn, void *ctx)
{
  sqlite3_stmt *st = prep(c, "SELECT u.name, u.created_at, u.last_login,"
                             " (SELECT count(*) FROM staff_sessions s WHERE s.name = u.name"
                             "  AND s.expires_at > ?1) FROM staff_users u ORDER BY u.name");
  if (!st)
    return SYNC_ERR_DB;
  sqlite3_bind_int64(st, 1, db_now_ms());
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    db_staff_t s;
    memset(&s, 0, sizeof s);
    db_col_text(st, 0, s.name, sizeof s.name);
    s.created_at = sqlite3_column_int64(st, 1);
    s.last_login = sqlite3_column_int64(st, 2);
    s.sessions = sqlite3_column_int64(st, 3);
    if (fn(ctx, &s) != 0)
      break;
  }
  sync_err_t e = rc == SQLITE_ROW || rc == SQLITE_DONE ? SYNC_OK : db_err(rc);
  sqlite3_finalize(st);
  return e;
}

sync_err_t db_session_add(db_conn_t *c, const unsigned char token_sha256[32], const char *name,
                          int64_t now, int64_t expires_at, const char *peer)
{
  sync_err_t e = db_begin_write(c);
  if (e != SYNC_OK)
    return e;
  if ((e = write_int64(c, "DELETE FROM staff_sessions WHERE expires_at <= ?1", now)) != SYNC_OK)
    goto fail;
  sqlite3_stmt *st = prep(c, "INSERT INTO staff_sessions(token_sha256, name, created_at, expires_at,"
                             " peer) VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!st) {
    e = SYNC_ERR_DB;
    goto fail;
  }
  sqlite3_bind_blob(st, 1, token_sha256, 32, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, now);
  sqlite3_bind_int64(st, 4, expires_at);
  sqlite3_bind_text(st, 5, peer ? peer : "", -1, SQLITE_STATIC);
  if ((e = write_one(c, st)) != SYNC_OK)
    goto fail;
  if (!(st = prep(c, "UPDATE staff_users SET last_login = ?2 WHERE name = ?1"))) {
    e = SYNC_ERR_DB;
    goto fail;
  }
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, now);
  if ((e = write_one(c, st)) != SYNC_OK)
    goto fail;
  return db_commit(c);
fail:
  db_rollback(c);
  return e;
}

sync_err_t db_session_get(db_conn_t *c, const unsigned char token_sha256[32], int64_t now,
                          char name[DB_STAFF_NAME_MAX + 1])
{
  name[0] = '\0';
  sqlite3_stmt *st = prep(c, "SELECT s.name FROM staff_sessions s JOIN staff_users u"
                             " ON u.name = s.name WHERE s.token_sha256 = ?1 AND s.expires_at > ?2");
  if (!st)
    return SYNC_ERR_DB;
  sqlite3_bind_blob(st, 1, token_sha256, 32, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, now);
  int rc = sqlite3_step(st);
  sync_err_t e = SYNC_OK;
  if (rc == SQLITE_ROW)
    db_col_text(st, 0, name, DB_STAFF_NAME_MAX + 1);
  else
    e = rc == SQLITE_DONE ? SYNC_ERR_NOT_FOUND : db_err(rc);
  sqlite3_finalize(st);
  return e;
}

sync_err_t db_session_delete(db_conn_t *c, const unsigned char token_sha256[32])
{
  sync_err_t e = db_begin_write(c);
  if (e != SYNC_OK)
    return e;
  sqlite3_stmt *st = prep(c, "DELETE FROM staff_sessions WHERE token_sha256 = ?1");
  if (!st) {
    db_rollback(c);
    return SYNC_ERR_DB;
  }
  sqlite3_bind_blob(st, 1, token_sha256, 32, SQLITE_STATIC);
  if ((e = write_one(c, st)) != SYNC_OK) {
    db_rollback(c);
    return e;
  }
  return db_commit(c);
}

static sync_err_t login_failures(db_conn_t *c, const char *name, const char *prefix,
                                 int64_t since, db_login_failures_t *f)
{
  memset(f, 0, sizeof *f);
  /* won: the last success of this name from this network; the pair counts only after it */
  sqlite3_stmt *st = prep(c, "WITH won AS (SELECT coalesce(max(at), 0) AS t FROM staff_logins"
                             "  WHERE name = ?1 AND prefix = ?2 AND ok = 1)"
                             " SELECT (SELECT count(*) FROM staff_logins, won WHERE name = ?1"
                             "  AND prefix = ?2 AND ok = 0 AND at >= ?3 AND at > won.t),"
                             " (SELECT coalesce(max(at), 0) FROM staff_logins, won WHERE name = ?1"
                             "  AND prefix = ?2 AND ok = 0 AND at >= ?3 AND at > won.t),"
                             " (SELECT count(*) FROM staff_logins WHERE name = ?1 AND ok = 0"
                             "  AND at >= ?3),"
                             " (SELECT count(*) FROM staff_logins WHERE prefix = ?2 AND ok = 0"
                             "  AND at >= ?3),"
                             " (SELECT coalesce(max(at), 0) FROM staff_logins WHERE prefix = ?2"
                             "  AND ok = 0 AND at >= ?3),"
                             " (SELECT t FROM won) > 0");
  if (!st)
    return SYNC_ERR_DB;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, since);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    f->pair = sqlite3_column_int(st, 0);
    f->pair_last = sqlite3_column_int64(st, 1);
    f->name = sqlite3_column_int(st, 2);
    f->network = sqlite3_column_int(st, 3);
    f->network_last = sqlite3_column_int64(st, 4);
    f->familiar = sqlite3_column_int(st, 5);
  }
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? SYNC_OK : db_err(rc);
}

sync_err_t db_login_begin(db_conn_t *c, const char *name, const char *peer, const char *prefix,
                          int64_t now, int64_t since, db_login_gate_fn gate,
                          db_login_failures_t *f, int64_t *id, int *wait)
{
  *id = 0;
  *wait = 0;
  sync_err_t e = db_begin_write(c);
  if (e != SYNC_OK)
    return e;
  if ((e = login_failures(c, name, prefix, since, f)) != SYNC_OK)
    goto fail;
  if ((*wait = gate(f, now)) > 0) {
    db_rollback(c);
    return SYNC_OK;
  }
  sqlite3_stmt *st = prep(c, "INSERT INTO staff_logins(at, name, peer, prefix, ok, reason)"
                             " VALUES (?1, ?2, ?3, ?4, 0, 'checking')");
  if (!st) {
    e = SYNC_ERR_DB;
    goto fail;
  }
  sqlite3_bind_int64(st, 1, now);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, peer ? peer : "", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, prefix, -1, SQLITE_STATIC);
  if ((e = write_one(c, st)) != SYNC_OK)
    goto fail;
  *id = sqlite3_last_insert_rowid(c->h);
  return db_commit(c);
fail:
  db_rollback(c);
  return e;
}

sync_err_t db_login_done(db_conn_t *c, int64_t id, int ok, const char *reason, int64_t now)
{
  sync_err_t e = db_begin_write(c);
  if (e != SYNC_OK)
    return e;
  sqlite3_stmt *st = prep(c, "UPDATE staff_logins SET ok = ?2, reason = ?3 WHERE id = ?1");
  if (!st) {
    e = SYNC_ERR_DB;
    goto fail;
  }
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int(st, 2, ok ? 1 : 0);
  sqlite3_bind_text(st, 3, reason ? reason : "", -1, SQLITE_STATIC);
  if ((e = write_one(c, st)) != SYNC_OK)
    goto fail;
  if ((e = write_int64(c, "DELETE FROM staff_logins WHERE at < ?1", now - LOGIN_KEEP_MS)) !=
      SYNC_OK)
    goto fail;
  return db_commit(c);
fail:
  db_rollback(c);
  return e;
}
