/* The security log (db.h): failed authentication, rate limiting and enrollments, for central
 * staff (`syncserver audit`). Kept apart from the export audit: different columns, and one
 * failed request must never block or fail an export.
 *
 * Anyone can cause the failure kinds (a wrong secret, a wrong code, a wrong staff password), so
 * they must not grow the database without bound (SECURITY.md 2.4):
 * - the same event (kind, network, target, reason) within an hour of a row's first one adds to
 *   that row's count and last time instead of adding a row;
 * - more than SEC_TARGETS_PER_NETWORK distinct rows of one kind from one network within that
 *   hour (a client naming a new device id each time) go into one row with the target "*";
 * - rows whose last event is older than SEC_KEEP_MS are deleted, and the failure kinds keep at
 *   most SEC_MAX_ROWS rows (the oldest go first).
 * Enrollments and re-keys need a code from staff: one row each, kept for SEC_KEEP_MS. */
#include "db_internal.h"

#include <string.h>

#include "netaddr.h"

#define SEC_MERGE_MS (60LL * 60 * 1000)
#define SEC_TARGETS_PER_NETWORK 20
#define SEC_KEEP_MS (90LL * 86400 * 1000)
#define SEC_MAX_ROWS 100000
#define SEC_MANY_TARGETS "more targets from this network within the hour"

/* The kinds an unauthenticated client can cause. */
static int aggregated(const char *kind)
{
  static const char *const kinds[] = {"auth_failure", "rate_limited", "login_limited"};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (strcmp(kind, kinds[i]) == 0)
      return 1;
  return 0;
}

static sync_err_t run(db_conn_t *c, const char *sql, const char *t1, const char *t2,
                      const char *t3, const char *t4, int64_t n, int64_t *out)
{
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(c->h, sql, -1, &st, NULL) != SQLITE_OK)
    return SYNC_ERR_DB;
  const char *t[] = {t1, t2, t3, t4};
  for (int i = 0; i < 4; i++)
    if (t[i])
      sqlite3_bind_text(st, i + 1, t[i], -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, n);
  int rc = sqlite3_step(st);
  if (out)
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_finalize(st);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? SYNC_OK : db_err(rc);
}

/* The row this event adds to (0: none), with the target and reason it goes under. */
static sync_err_t merge_row(db_conn_t *c, const char *kind, const char *prefix,
                            const char **target, const char **reason, int64_t now, int64_t *id)
{
  static const char find[] = "SELECT id FROM security_events WHERE kind = ?1 AND prefix = ?2"
                             " AND device_id = ?3 AND reason = ?4 AND at >= ?5"
                             " ORDER BY at DESC LIMIT 1";
  sync_err_t e = run(c, find, kind, prefix, *target, *reason, now - SEC_MERGE_MS, id);
  if (e != SYNC_OK || *id)
    return e;
  int64_t rows = 0;
  e = run(c, "SELECT count(*) FROM security_events WHERE kind = ?1 AND prefix = ?2"
             " AND at >= ?5", kind, prefix, NULL, NULL, now - SEC_MERGE_MS, &rows);
  if (e != SYNC_OK || rows < SEC_TARGETS_PER_NETWORK)
    return e;
  *target = "*";
  *reason = SEC_MANY_TARGETS;
  return run(c, find, kind, prefix, *target, *reason, now - SEC_MERGE_MS, id);
}

static sync_err_t record(db_conn_t *c, const char *kind, const char *addr, const char *target,
                         const char *reason, int64_t now)
{
  char prefix[NETADDR_PREFIX_MAX];
  netaddr_prefix(addr, prefix);
  int64_t id = 0;
  int agg = aggregated(kind);
  sync_err_t e = agg ? merge_row(c, kind, prefix, &target, &reason, now, &id) : SYNC_OK;
  if (e != SYNC_OK)
    return e;
  sqlite3_stmt *st;
  const char *sql = id ? "UPDATE security_events SET count = count + 1, addr = ?3,"
                         " last_at = max(last_at, ?1) WHERE id = ?7"
                       : "INSERT INTO security_events(at, kind, addr, device_id, reason, prefix,"
                         " count, last_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?1)";
  if (sqlite3_prepare_v2(c->h, sql, -1, &st, NULL) != SQLITE_OK)
    return SYNC_ERR_DB;
  sqlite3_bind_int64(st, 1, now);
  sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, addr, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, target, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, reason, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, prefix, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 7, id);
  e = db_step_done(st);
  sqlite3_finalize(st);
  if (e != SYNC_OK)
    return e;
  e = run(c, "DELETE FROM security_events WHERE last_at < ?5", NULL, NULL, NULL, NULL,
          now - SEC_KEEP_MS, NULL);
  if (e == SYNC_OK && agg && !id)
    e = run(c, "DELETE FROM security_events WHERE kind IN ('auth_failure', 'rate_limited',"
               " 'login_limited') AND id <= (SELECT max(id) FROM security_events) - ?5",
            NULL, NULL, NULL, NULL, SEC_MAX_ROWS, NULL);
  return e;
}

sync_err_t db_security_event(db_conn_t *c, const char *kind, const char *addr,
                             const char *device_id, const char *reason, int64_t now)
{
  int own = !c->in_txn;
  sync_err_t e = own ? db_begin_write(c) : SYNC_OK;
  if (e != SYNC_OK)
    return e;
  e = record(c, kind, addr ? addr : "", device_id ? device_id : "", reason ? reason : "", now);
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
  if (sqlite3_prepare_v2(c->h, "SELECT id, at, kind, addr, device_id, reason, prefix, count,"
                                " last_at FROM security_events ORDER BY last_at DESC, id DESC"
                                " LIMIT ?1", -1, &st, NULL) != SQLITE_OK)
    return SYNC_ERR_DB;
  sqlite3_bind_int64(st, 1, limit > 0 ? limit : -1);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    db_sec_event_t ev = {
      .id = sqlite3_column_int64(st, 0), .at = sqlite3_column_int64(st, 1),
      .kind = (const char *)sqlite3_column_text(st, 2),
      .addr = (const char *)sqlite3_column_text(st, 3),
      .device_id = (const char *)sqlite3_column_text(st, 4),
      .reason = (const char *)sqlite3_column_text(st, 5),
      .prefix = (const char *)sqlite3_column_text(st, 6),
      .count = sqlite3_column_int64(st, 7), .last_at = sqlite3_column_int64(st, 8)};
    if (fn(ctx, &ev) != 0)
      break;
  }
  sync_err_t e = rc == SQLITE_ROW || rc == SQLITE_DONE ? SYNC_OK : db_err(rc);
  sqlite3_finalize(st);
  return e;
}
