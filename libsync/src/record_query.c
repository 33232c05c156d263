/* Listing records with filters and paging (sync/record.h: sync_query_t, sync_record_list).
 *
 * The SQL is assembled from the filters that are set, so each query can use the index that fits
 * (records_by_form, records_by_status, records_by_updated). Listings are interactive and rare
 * next to saves, so these statements are prepared per call rather than cached.
 */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUERY_DEFAULT_LIMIT 100
#define QUERY_MAX_LIMIT 10000

struct sync_record_list {
  sync_record_t **items;
  size_t count;
  int64_t total;
};

void sync_query_init(sync_query_t *query)
{
  if (!query)
    return;
  memset(query, 0, sizeof *query);
}

/* Appends the WHERE clause of `q` to sql; parameters are numbered by filter, see bind_filters. */
static void where_clause(const sync_query_t *q, char *sql, size_t len)
{
  size_t n = strlen(sql);
  unsigned both = SYNC_STATUS_DRAFT | SYNC_STATUS_FINAL;
  snprintf(sql + n, len - n, " WHERE 1%s%s%s%s%s%s",
           q->form_id ? " AND form_id = ?1" : "",
           q->form_version > 0 ? " AND form_version = ?2" : "",
           q->status_mask && (q->status_mask & both) != both ? " AND status = ?3" : "",
           q->include_deleted ? "" : " AND deleted = 0",
           q->updated_from_ms > 0 ? " AND updated_at >= ?4" : "",
           q->updated_to_ms > 0 ? " AND updated_at < ?5" : "");
}

static void bind_filters(sqlite3_stmt *st, const sync_query_t *q)
{
  if (q->form_id)
    sqlite3_bind_text(st, 1, q->form_id, -1, SQLITE_STATIC);
  if (q->form_version > 0)
    sqlite3_bind_int(st, 2, q->form_version);
  sqlite3_bind_text(st, 3, q->status_mask & SYNC_STATUS_FINAL ? "final" : "draft", -1, SQLITE_STATIC);
  if (q->updated_from_ms > 0)
    sqlite3_bind_int64(st, 4, q->updated_from_ms);
  if (q->updated_to_ms > 0)
    sqlite3_bind_int64(st, 5, q->updated_to_ms);
}

static sync_err_t prepare(sync_store_t *s, const char *sql, const sync_query_t *q, sqlite3_stmt **st)
{
  int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
  if (rc != SQLITE_OK)
    return store_fail_sqlite(s, rc, "cannot list the records");
  bind_filters(*st, q);
  return SYNC_OK;
}

static sync_err_t count_matches(sync_store_t *s, const sync_query_t *q, int64_t *total)
{
  char sql[512] = "SELECT count(*) FROM records";
  sqlite3_stmt *st;
  where_clause(q, sql, sizeof sql);
  sync_err_t err = prepare(s, sql, q, &st);
  if (err)
    return err;
  int rc = sqlite3_step(st);
  *total = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  int frc = sqlite3_finalize(st);
  if (rc != SQLITE_ROW)
    return store_fail_sqlite(s, frc != SQLITE_OK ? frc : rc, "cannot count the records");
  return SYNC_OK;
}

static sync_err_t fetch_page(sync_store_t *s, const sync_query_t *q, size_t limit, sync_record_list_t *list)
{
  char sql[1024] = "SELECT " STORE_RECORD_COLUMNS " FROM records r";
  sqlite3_stmt *st;
  where_clause(q, sql, sizeof sql);
  size_t n = strlen(sql);
  /* Newest first; the clock breaks ties within one millisecond. */
  snprintf(sql + n, sizeof sql - n, " ORDER BY r.updated_at DESC, r.hlc DESC LIMIT ?6 OFFSET ?7");
  sync_err_t err = prepare(s, sql, q, &st);
  if (err)
    return err;
  sqlite3_bind_int64(st, 6, (sqlite3_int64)limit);
  sqlite3_bind_int64(st, 7, q->offset > INT64_MAX ? INT64_MAX : (sqlite3_int64)q->offset);
  list->items = calloc(limit, sizeof *list->items);
  int rc = SQLITE_NOMEM;
  if (list->items) {
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && list->count < limit) {
      /* Each record's answers are decrypted here; one that fails stops the listing (CORRUPT,
       * naming it) rather than hiding a tampered record. */
      if ((err = record_from_row(s, st, &list->items[list->count])) != SYNC_OK)
        break;
      list->count++;
    }
  }
  int frc = sqlite3_finalize(st);
  if (err)
    return err;
  if (rc == SQLITE_NOMEM)
    return store_fail(s, SYNC_ERR_NOMEM, "out of memory listing the records");
  if (rc != SQLITE_DONE)
    return store_fail_sqlite(s, frc != SQLITE_OK ? frc : rc, "cannot list the records");
  return SYNC_OK;
}

sync_err_t sync_record_list(sync_store_t *store, const sync_query_t *query, sync_record_list_t **out)
{
  sync_query_t q;
  if (out)
    *out = NULL;
  if (!store || !out)
    return store ? store_fail(store, SYNC_ERR_INVALID_ARG, "out is NULL") : SYNC_ERR_INVALID_ARG;
  store_reset_error(store, 0);
  if (query)
    q = *query;
  else
    sync_query_init(&q);
  if ((q.status_mask & ~(unsigned)(SYNC_STATUS_DRAFT | SYNC_STATUS_FINAL)) != 0 || q.form_version < 0 ||
      q.updated_from_ms < 0 || q.updated_to_ms < 0)
    return store_fail(store, SYNC_ERR_INVALID_ARG, "invalid query");
  size_t limit = q.limit == 0 ? QUERY_DEFAULT_LIMIT : q.limit > QUERY_MAX_LIMIT ? QUERY_MAX_LIMIT : q.limit;

  sync_record_list_t *list = calloc(1, sizeof *list);
  if (!list)
    return store_fail(store, SYNC_ERR_NOMEM, "out of memory listing the records");
  /* Both reads see one snapshot, so total and page agree even while another handle writes. */
  int own_tx = sqlite3_get_autocommit(store->db);
  if (own_tx)
    sqlite3_exec(store->db, "BEGIN", NULL, NULL, NULL);
  sync_err_t err = count_matches(store, &q, &list->total);
  if (err == SYNC_OK)
    err = fetch_page(store, &q, limit, list);
  if (own_tx && !sqlite3_get_autocommit(store->db))
    sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL);
  if (err) {
    sync_record_list_free(list);
    return err;
  }
  *out = list;
  return SYNC_OK;
}

size_t sync_record_list_count(const sync_record_list_t *list)
{
  return list ? list->count : 0;
}

int64_t sync_record_list_total(const sync_record_list_t *list)
{
  return list ? list->total : 0;
}

const sync_record_t *sync_record_list_at(const sync_record_list_t *list, size_t i)
{
  return list && i < list->count ? list->items[i] : NULL;
}

void sync_record_list_free(sync_record_list_t *list)
{
  if (!list)
    return;
  for (size_t i = 0; i < list->count; i++)
    sync_record_free(list->items[i]);
  free(list->items);
  free(list);
}
