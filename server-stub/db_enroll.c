/* Enrollment codes and their redemption (db.h, SECURITY.md 2). Only SHA-256 of the normalised
 * code is stored. A code is bound when it is made: to a new device, or to the one existing device
 * it re-keys; redeeming checks the code and its binding, marks it used and creates or re-keys the
 * device in one transaction, so a code can never enrol two devices, even when two requests race,
 * and nothing an enroll request says can reach a device the code was not made for. */
#include "db_internal.h"

#include <stdio.h>
#include <string.h>

#define DAY_MS 86400000LL

/* Runs one prepared statement with the given bindings done by the caller; finalizes it. */
static sync_err_t exec_done(sqlite3_stmt *st)
{
  sync_err_t e = db_step_done(st);
  sqlite3_finalize(st);
  return e;
}

sync_err_t db_enroll_code_store(db_conn_t *c, const unsigned char code_sha256[32],
                                const db_enroll_code_t *code)
{
  sync_err_t e = db_begin_write(c);
  if (e != SYNC_OK)
    return e;
  sqlite3_stmt *st = NULL;
  db_device_t dev;
  if (code->device_id[0] && (e = db_device_get(c, code->device_id, &dev)) != SYNC_OK)
    goto fail;
  if (sqlite3_prepare_v2(c->h, "INSERT INTO enroll_codes(code_sha256, name, unit, created_at,"
                                " expires_at, valid_days, device_id, created_by)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, nullif(?7, ''), ?8)", -1, &st,
                         NULL) != SQLITE_OK) {
    e = SYNC_ERR_DB;
    goto fail;
  }
  sqlite3_bind_blob(st, 1, code_sha256, 32, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, code->name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, code->unit, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, code->created_at);
  sqlite3_bind_int64(st, 5, code->expires_at);
  sqlite3_bind_int(st, 6, code->valid_days);
  sqlite3_bind_text(st, 7, code->device_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 8, code->created_by, -1, SQLITE_STATIC);
  e = exec_done(st);
  st = NULL;
  if (e != SYNC_OK)
    goto fail;
  return db_commit(c);
fail:
  sqlite3_finalize(st);
  db_rollback(c);
  return e;
}

sync_err_t db_enroll_code_add(db_conn_t *c, const unsigned char code_sha256[32], const char *name,
                              const char *unit, int64_t now, int64_t expires_at, int valid_days)
{
  db_enroll_code_t code;
  memset(&code, 0, sizeof code);
  snprintf(code.name, sizeof code.name, "%s", name);
  snprintf(code.unit, sizeof code.unit, "%s", unit ? unit : "");
  code.created_at = now;
  code.expires_at = expires_at;
  code.valid_days = valid_days;
  return db_enroll_code_store(c, code_sha256, &code);
}

sync_err_t db_enroll_code_list(db_conn_t *c, db_enroll_fn fn, void *ctx)
{
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(c->h, "SELECT name, unit, created_at, expires_at, used_at, valid_days,"
                               " used_by, device_id, created_by"
                               " FROM enroll_codes ORDER BY created_at DESC",
                         -1, &st, NULL) != SQLITE_OK)
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
    db_col_text(st, 7, e.device_id, sizeof e.device_id);
    db_col_text(st, 8, e.created_by, sizeof e.created_by);
    if (fn(ctx, &e) != 0)
      break;
  }
  sync_err_t e = rc == SQLITE_ROW || rc == SQLITE_DONE ? SYNC_OK : db_err(rc);
  sqlite3_finalize(st);
  return e;
}

/* Why a code that did not redeem was refused: SYNC_ERR_AUTH (unknown, used or expired) or
 * SYNC_ERR_STATE (valid, but not for this device). */
static sync_err_t refusal(db_conn_t *c, const unsigned char code_sha256[32], int64_t now)
{
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(c->h, "SELECT 1 FROM enroll_codes WHERE code_sha256 = ?1"
                                " AND used_at IS NULL AND expires_at > ?2", -1, &st,
                         NULL) != SQLITE_OK)
    return SYNC_ERR_DB;
  sqlite3_bind_blob(st, 1, code_sha256, 32, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, now);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? SYNC_ERR_STATE : rc == SQLITE_DONE ? SYNC_ERR_AUTH : db_err(rc);
}

/* The device's current signing key (NULL when it sent none) and, for a key, its certified row in
 * device_keys: the history that lets revisions signed under an earlier key verify after a re-key. */
static sync_err_t store_key(db_conn_t *c, const char *device_id, const db_enroll_key_t *key,
                            int64_t now)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(c->h, "UPDATE devices SET signing_key = ?2 WHERE device_id = ?1", -1,
                         &st, NULL) != SQLITE_OK)
    return SYNC_ERR_DB;
  sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
  if (key)
    sqlite3_bind_text(st, 2, key->signing_key, -1, SQLITE_STATIC);
  sync_err_t e = exec_done(st);
  if (e != SYNC_OK || !key)
    return e;
  if (sqlite3_prepare_v2(c->h, "INSERT OR REPLACE INTO device_keys(device_id, signing_key,"
                                " enrolled_at, cert) VALUES (?1, ?2, ?3, ?4)", -1, &st,
                         NULL) != SQLITE_OK)
    return SYNC_ERR_DB;
  sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, key->signing_key, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, now);
  sqlite3_bind_text(st, 4, key->cert, -1, SQLITE_STATIC);
  return exec_done(st);
}

sync_err_t db_enroll_use(db_conn_t *c, const unsigned char code_sha256[32], const char *device_id,
                         const unsigned char secret_sha256[32], const db_enroll_key_t *key,
                         const char *addr, int64_t now, db_enrolled_t *out)
{
  memset(out, 0, sizeof *out);
  sync_err_t e = db_begin_write(c);
  if (e != SYNC_OK)
    return e;
  sqlite3_stmt *st = NULL;
  char name[DB_NAME_MAX + 1], unit[DB_NAME_MAX + 1];
  /* Marking the code used is the check: exactly one unused, unexpired row changes, and only
   * when the code is for this device: bound to it, or for a new device and the id is unknown
   * (a device row is never deleted; revoking keeps it). */
  if (sqlite3_prepare_v2(c->h, "UPDATE enroll_codes SET used_at = ?2, used_by = ?3"
                                " WHERE code_sha256 = ?1 AND used_at IS NULL AND expires_at > ?2"
                                " AND (enroll_codes.device_id = ?3"
                                "      OR (enroll_codes.device_id IS NULL AND NOT EXISTS"
                                "          (SELECT 1 FROM devices d WHERE d.device_id = ?3)))"
                                " RETURNING name, unit, valid_days,"
                                " coalesce(enroll_codes.device_id, ''), created_by", -1, &st,
                         NULL) != SQLITE_OK) {
    e = SYNC_ERR_DB;
    goto fail;
  }
  sqlite3_bind_blob(st, 1, code_sha256, 32, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, now);
  sqlite3_bind_text(st, 3, device_id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    e = rc == SQLITE_DONE ? refusal(c, code_sha256, now) : db_err(rc);
    goto fail;
  }
  db_col_text(st, 0, name, sizeof name);
  db_col_text(st, 1, unit, sizeof unit);
  int64_t expires = now + (int64_t)sqlite3_column_int(st, 2) * DAY_MS;
  /* (not "device_id IS NOT NULL": SQLite 3.40 answers 1 for a NULL column in RETURNING) */
  const unsigned char *bound = sqlite3_column_text(st, 3);
  out->rekeyed = bound && *bound;
  db_col_text(st, 4, out->created_by, sizeof out->created_by);
  sqlite3_finalize(st);
  st = NULL;

  /* A new device is an INSERT (an existing id fails it, never overwritten); a re-key replaces
   * the secret of the code's own device, so the old secret stops working with this commit (the
   * device is read back below: a missing one fails the transaction). */
  if (sqlite3_prepare_v2(c->h, out->rekeyed
                                 ? "UPDATE devices SET name = ?2, unit = ?3, secret_sha256 = ?4,"
                                   " status = 'active', revoked_at = NULL,"
                                   " credential_expires_at = ?6 WHERE device_id = ?1"
                                 : "INSERT INTO devices(device_id, name, unit, secret_sha256,"
                                   " created_at, credential_expires_at)"
                                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st,
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
  if (e != SYNC_OK || (e = store_key(c, device_id, key, now)) != SYNC_OK)
    goto fail;
  char reason[2 * DB_NAME_MAX + DB_BY_MAX + 80];
  snprintf(reason, sizeof reason, "%s%s%s; code by %s%s", name, unit[0] ? " / " : "", unit,
           out->created_by[0] ? out->created_by : "(not recorded)",
           out->rekeyed ? "; old secret revoked" : "");
  if ((e = db_security_event(c, out->rekeyed ? "rekeyed" : "enrolled", addr, device_id, reason,
                             now)) != SYNC_OK ||
      (e = db_device_get(c, device_id, &out->device)) != SYNC_OK)
    goto fail;
  return db_commit(c);
fail:
  sqlite3_finalize(st);
  db_rollback(c);
  return e;
}

sync_err_t db_enroll_redeem(db_conn_t *c, const unsigned char code_sha256[32],
                            const char *device_id, const unsigned char secret_sha256[32],
                            const char *addr, int64_t now, db_device_t *out)
{
  db_enrolled_t got;
  sync_err_t e = db_enroll_use(c, code_sha256, device_id, secret_sha256, NULL, addr, now, &got);
  *out = got.device;
  return e;
}
