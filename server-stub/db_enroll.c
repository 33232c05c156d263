/* Enrollment codes and their redemption (db.h, SECURITY.md 2). Only SHA-256 of the normalised
 * code is stored; redeeming checks, marks and (re-)creates the device in one transaction, so a
 * code can never enrol two devices, even when two requests race. */
#include "db_internal.h"

#include <stdio.h>
#include <string.h>

#define DAY_MS 86400000LL

sync_err_t db_enroll_code_add(db_conn_t *c, const unsigned char code_sha256[32], const char *name,
                              const char *unit, int64_t now, int64_t expires_at, int valid_days)
{
  sync_err_t e = db_begin_write(c);
  if (e != SYNC_OK)
    return e;
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(c->h, "INSERT INTO enroll_codes(code_sha256, name, unit, created_at,"
                                " expires_at, valid_days) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st,
                         NULL) != SQLITE_OK) {
    db_rollback(c);
    return SYNC_ERR_DB;
  }
  sqlite3_bind_blob(st, 1, code_sha256, 32, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, unit ? unit : "", -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, now);
  sqlite3_bind_int64(st, 5, expires_at);
  sqlite3_bind_int(st, 6, valid_days);
  e = db_step_done(st);
  sqlite3_finalize(st);
  if (e != SYNC_OK) {
    db_rollback(c);
    return e;
  }
  return db_commit(c);
}

sync_err_t db_enroll_code_list(db_conn_t *c, db_enroll_fn fn, void *ctx)
{
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(c->h, "SELECT name, unit, created_at, expires_at, used_at, valid_days,"
                                " used_by FROM enroll_codes ORDER BY created_at DESC", -1, &st,
                         NULL) != SQLITE_OK)
    return SYNC_ERR_DB;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    db_enroll_code_t e;
    memset(&e, 0, sizeof e);
    db_col_text(st, 0, e.name, sizeof e.name);
    db_col_text(st, 1, e.unit, sizeof e.unit);
    e.created_at = sqlite3_column_int64(st, 2);
    e.expires_at = sqlite3_column_int64(st, 3);
    e.used_at = sqlite3_column_int64(st, 4);
    e.valid_days = sqlite3_column_int(st, 5);
    db_col_text(st, 6, e.used_by, sizeof e.used_by);
    if (fn(ctx, &e) != 0)
      break;
  }
  sync_err_t e = rc == SQLITE_ROW || rc == SQLITE_DONE ? SYNC_OK : db_err(rc);
  sqlite3_finalize(st);
  return e;
}

/* Runs one prepared statement with the given bindings done by the caller; finalizes it. */
static sync_err_t exec_done(sqlite3_stmt *st)
{
  sync_err_t e = db_step_done(st);
  sqlite3_finalize(st);
  return e;
}

sync_err_t db_enroll_redeem(db_conn_t *c, const unsigned char code_sha256[32],
                            const char *device_id, const unsigned char secret_sha256[32],
                            const char *addr, int64_t now, db_device_t *out)
{
  memset(out, 0, sizeof *out);
  sync_err_t e = db_begin_write(c);
  if (e != SYNC_OK)
    return e;
  sqlite3_stmt *st = NULL;
  char name[DB_NAME_MAX + 1], unit[DB_NAME_MAX + 1];
  /* Marking the code used is the check: exactly one unused, unexpired row changes. */
  if (sqlite3_prepare_v2(c->h, "UPDATE enroll_codes SET used_at = ?2, used_by = ?3"
                                " WHERE code_sha256 = ?1 AND used_at IS NULL AND expires_at > ?2"
                                " RETURNING name, unit, valid_days", -1, &st, NULL) != SQLITE_OK) {
    e = SYNC_ERR_DB;
    goto fail;
  }
  sqlite3_bind_blob(st, 1, code_sha256, 32, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, now);
  sqlite3_bind_text(st, 3, device_id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    e = rc == SQLITE_DONE ? SYNC_ERR_AUTH : db_err(rc);
    goto fail;
  }
  db_col_text(st, 0, name, sizeof name);
  db_col_text(st, 1, unit, sizeof unit);
  int64_t expires = now + (int64_t)sqlite3_column_int(st, 2) * DAY_MS;
  sqlite3_finalize(st);
  st = NULL;

  if (sqlite3_prepare_v2(c->h, "INSERT INTO devices(device_id, name, unit, secret_sha256,"
                                " created_at, credential_expires_at)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                                " ON CONFLICT(device_id) DO UPDATE SET name = excluded.name,"
                                " unit = excluded.unit, secret_sha256 = excluded.secret_sha256,"
                                " status = 'active', revoked_at = NULL,"
                                " credential_expires_at = excluded.credential_expires_at", -1, &st,
                         NULL) != SQLITE_OK) {
    e = SYNC_ERR_DB;
    goto fail;
  }
  sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, unit, -1, SQLITE_STATIC);
  sqlite3_bind_blob(st, 4, secret_sha256, 32, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, now);
  sqlite3_bind_int64(st, 6, expires);
  e = exec_done(st);
  st = NULL;
  char reason[2 * DB_NAME_MAX + 16];
  snprintf(reason, sizeof reason, "%s%s%s", name, unit[0] ? " / " : "", unit);
  if (e != SYNC_OK ||
      (e = db_security_event(c, "enrolled", addr, device_id, reason, now)) != SYNC_OK ||
      (e = db_device_get(c, device_id, out)) != SYNC_OK)
    goto fail;
  return db_commit(c);
fail:
  sqlite3_finalize(st);
  db_rollback(c);
  return e;
}
