/* Likely duplicates across districts (db.h, SECURITY.md 9): records whose devices computed the
 * same keyed hash of the identifying answers. Candidates come from the dedup index; only head
 * revisions that are not deletions count. */
#include "db_internal.h"

#include <stdio.h>
#include <string.h>

#include "query.h"

static const char DUPES_SQL[] =
  "WITH cand AS (SELECT dedup FROM record_revisions WHERE dedup IS NOT NULL"
  "              GROUP BY dedup HAVING count(DISTINCT uuid) >= 2),"
  " heads AS (SELECT r.* FROM records r WHERE r.dedup IN (SELECT dedup FROM cand)"
  "           AND NOT r.deleted),"
  " grp AS (SELECT dedup FROM heads GROUP BY dedup HAVING count(*) >= 2)"
  " SELECT r.dedup, r.uuid, r.creator_device, d.name, d.unit,"
  "        json_extract(r.payload, '$.province'), json_extract(r.payload, '$.regency_code'),"
  "        json_extract(r.payload, '$.interview_date'), " RQ_FIRST_RECEIVED_SQL " AS first"
  " FROM heads r LEFT JOIN devices d ON d.device_id = r.creator_device"
  " WHERE r.dedup IN (SELECT dedup FROM grp) ORDER BY r.dedup, first, r.uuid";

sync_err_t db_duplicates(db_conn_t *c, db_dupe_fn fn, void *ctx, int64_t *groups)
{
  if (groups)
    *groups = 0;
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(c->h, DUPES_SQL, -1, &st, NULL) != SQLITE_OK)
    return SYNC_ERR_DB;
  char last[PROTO_DEDUP_LEN + 1] = "";
  int rc, stop = 0;
  while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    db_dupe_t d;
    memset(&d, 0, sizeof d);
    db_col_text(st, 0, d.dedup, sizeof d.dedup);
    db_col_text(st, 1, d.uuid, sizeof d.uuid);
    db_col_text(st, 2, d.device_id, sizeof d.device_id);
    db_col_text(st, 3, d.device_name, sizeof d.device_name);
    db_col_text(st, 4, d.device_unit, sizeof d.device_unit);
    db_col_text(st, 5, d.province, sizeof d.province);
    db_col_text(st, 6, d.regency, sizeof d.regency);
    db_col_text(st, 7, d.interview_date, sizeof d.interview_date);
    d.received_at = sqlite3_column_int64(st, 8);
    d.first_of_group = strcmp(last, d.dedup) != 0;
    if (d.first_of_group) {
      snprintf(last, sizeof last, "%s", d.dedup);
      if (groups)
        (*groups)++;
    }
    if (fn)
      stop = fn(ctx, &d) != 0;
  }
  sync_err_t e = stop || rc == SQLITE_DONE ? SYNC_OK : db_err(rc);
  sqlite3_finalize(st);
  return e;
}
