/* The outbox as the sync engine sees it (store_sync.h): streaming pending rows in seq order as
 * push changes (answers and dedup hash decrypted, with the sealed text of their revision),
 * acknowledging them with their signed receipts, failure bookkeeping, counts for progress. */
#include "store_crypto.h"
#include "store_sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *col_text(sqlite3_stmt *st, int col)
{
  const char *v = (const char *)sqlite3_column_text(st, col);
  return v ? v : "";
}

/* Fills a change from the current row of SST_OUTBOX_SCAN; c->payload is the decrypted text
 * (the caller frees it), the other strings borrow from the statement. */
static sync_err_t row_to_change(sync_store_t *s, sqlite3_stmt *st, outbox_row_t *row)
{
  proto_change_t *c = &row->change;
  char ad[STORE_AD_MAX];
  memset(row, 0, sizeof *row);
  row->seq = sqlite3_column_int64(st, 0);
  c->op = strcmp(col_text(st, 1), "delete") == 0 ? PROTO_OP_DELETE : PROTO_OP_UPSERT;
  snprintf(c->uuid, sizeof c->uuid, "%s", col_text(st, 2));
  c->revision = sqlite3_column_int64(st, 3);
  snprintf(c->form_id, sizeof c->form_id, "%s", col_text(st, 4));
  c->form_version = sqlite3_column_int(st, 5);
  snprintf(c->hlc, sizeof c->hlc, "%s", col_text(st, 6));
  c->updated_at = sqlite3_column_int64(st, 8);
  c->created_at = sqlite3_column_int64(st, 9);
  c->base_revision = sqlite3_column_int64(st, 10);
  if (c->base_revision > 0)
    snprintf(c->base_hlc, sizeof c->base_hlc, "%s", col_text(st, 11));
  c->sealed = sqlite3_column_type(st, 12) == SQLITE_NULL ? NULL : (char *)col_text(st, 12);
  c->origin = PROTO_ORIGIN_DEVICE;
  c->author = NULL;
  store_value_ad_int(ad, COL_REVISION_DEDUP, c->uuid, c->revision);
  sync_err_t err = store_value_column_opt(s, st, 13, ad, c->uuid, "duplicate-detection data",
                                          c->dedup, sizeof c->dedup);
  if (err)
    return err;
  store_value_ad_int(ad, COL_REVISION_PAYLOAD, c->uuid, c->revision);
  return store_value_column(s, st, 7, ad, c->uuid, "answers", &c->payload, &row->payload_len);
}

sync_err_t store_outbox_scan(store_sync_t *ss, int64_t after_seq, outbox_row_fn fn, void *ctx)
{
  sync_store_t *s = store_sync_store(ss);
  sqlite3_stmt *st;
  sync_err_t err = store_sync_stmt(ss, SST_OUTBOX_SCAN, &st);
  if (err)
    return err;
  sqlite3_bind_int64(st, 1, after_seq);
  int rc;
  outbox_row_t row;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if ((err = row_to_change(s, st, &row)) != SYNC_OK)
      break;
    int stop = fn(ctx, &row);
    sodium_memzero(row.change.payload, row.payload_len);
    free(row.change.payload);
    if (stop != 0)
      break;
  }
  int rrc = sqlite3_reset(st);
  if (err)
    return err;
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return store_fail_sqlite(s, rrc != SQLITE_OK ? rrc : rc, "cannot read the outbox");
  return SYNC_OK;
}

/* Steps a cached write statement, clears its bindings. */
static sync_err_t step_write(sync_store_t *s, sqlite3_stmt *st, const char *what)
{
  int rc = store_step_done(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_DONE ? SYNC_OK : store_fail_sqlite(s, rc, what);
}

sync_err_t store_outbox_ack(store_sync_t *ss, int64_t seq, int64_t server_seq, int64_t received_at,
                            const char *proof, int64_t now)
{
  sqlite3_stmt *st;
  sync_err_t err = store_sync_stmt(ss, SST_OUTBOX_ACK, &st);
  if (err)
    return err;
  sqlite3_bind_int64(st, 1, seq);
  sqlite3_bind_int64(st, 2, now);
  sqlite3_bind_int64(st, 3, server_seq);
  sqlite3_bind_int64(st, 4, received_at);
  if (proof && *proof)
    sqlite3_bind_text(st, 5, proof, -1, SQLITE_STATIC);
  return step_write(store_sync_store(ss), st, "cannot store a receipt");
}

sync_err_t store_outbox_fail(store_sync_t *ss, int64_t seq, const char *error)
{
  sqlite3_stmt *st;
  sync_err_t err = store_sync_stmt(ss, SST_OUTBOX_FAIL, &st);
  if (err)
    return err;
  sqlite3_bind_int64(st, 1, seq);
  sqlite3_bind_int64(st, 2, store_now_ms());
  sqlite3_bind_text(st, 3, error, -1, SQLITE_STATIC);
  return step_write(store_sync_store(ss), st, "cannot mark an outbox row failed");
}

sync_err_t store_outbox_note_row(store_sync_t *ss, int64_t seq, const char *error)
{
  sqlite3_stmt *st;
  sync_err_t err = store_sync_stmt(ss, SST_OUTBOX_NOTE_ROW, &st);
  if (err)
    return err;
  sqlite3_bind_int64(st, 1, seq);
  sqlite3_bind_text(st, 2, error, -1, SQLITE_STATIC);
  return step_write(store_sync_store(ss), st, "cannot note an outbox error");
}

sync_err_t store_outbox_note_failure(store_sync_t *ss, int64_t first_seq, int64_t last_seq,
                                     const char *error)
{
  sync_store_t *s = store_sync_store(ss);
  sync_err_t err = store_check_writable(s);
  if (err)
    return err;
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(s->db,
                              "UPDATE outbox SET attempts = attempts + 1, last_error = ?3"
                              " WHERE seq BETWEEN ?1 AND ?2 AND acked_at IS NULL", -1, &st, NULL);
  if (rc != SQLITE_OK)
    return store_fail_sqlite(s, rc, "cannot note an outbox error");
  sqlite3_bind_int64(st, 1, first_seq);
  sqlite3_bind_int64(st, 2, last_seq);
  sqlite3_bind_text(st, 3, error, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SYNC_OK : store_fail_sqlite(s, rc, "cannot note an outbox error");
}

/* Runs a query returning one row of two integers. */
static sync_err_t two_ints(sync_store_t *s, const char *sql, int64_t arg, int64_t *a, int64_t *b)
{
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
  if (rc != SQLITE_OK)
    return store_fail_sqlite(s, rc, "cannot count the outbox");
  if (sqlite3_bind_parameter_count(st) > 0)
    sqlite3_bind_int64(st, 1, arg);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    if (a)
      *a = sqlite3_column_int64(st, 0);
    if (b)
      *b = sqlite3_column_int64(st, 1);
  }
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? SYNC_OK : store_fail_sqlite(s, rc, "cannot count the outbox");
}

/* Bytes to send per row: the answers' text (the stored BLOB less the encryption overhead) and the
 * sealed text. */
#define ROW_BYTES "coalesce(sum(length(v.payload) - 41 + coalesce(length(v.sealed), 0)), 0)"
_Static_assert(STORE_VALUE_OVERHEAD == 41, "ROW_BYTES subtracts the encryption overhead");

sync_err_t store_outbox_pending(store_sync_t *ss, int64_t *count, int64_t *bytes)
{
  return two_ints(store_sync_store(ss),
                  "SELECT count(*), " ROW_BYTES
                  " FROM outbox o JOIN record_revisions v ON v.id = o.revision_id"
                  " WHERE o.acked_at IS NULL AND o.failed_at IS NULL", 0, count, bytes);
}

sync_err_t store_outbox_added_since(store_sync_t *ss, int64_t after, int64_t *count, int64_t *bytes)
{
  return two_ints(store_sync_store(ss),
                  "SELECT count(*), " ROW_BYTES
                  " FROM outbox o JOIN record_revisions v ON v.id = o.revision_id"
                  " WHERE o.seq > ?1", after, count, bytes);
}

sync_err_t store_outbox_max_seq(store_sync_t *ss, int64_t *seq)
{
  return two_ints(store_sync_store(ss), "SELECT coalesce(max(seq), 0), 0 FROM outbox", 0, seq, NULL);
}

sync_err_t store_outbox_failed_count(store_sync_t *ss, int64_t *count)
{
  return two_ints(store_sync_store(ss), "SELECT (" STORE_REFUSED_COUNT_SQL "), 0", 0, count, NULL);
}
