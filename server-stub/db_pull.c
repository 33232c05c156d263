/* Pull pages: new form versions and central revisions of the device's records after a cursor,
 * in server_seq order, from one read snapshot (db.h, PROTOCOL.md 4). */
#include "db_internal.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char PULL_SQL[] =
  "SELECT seq, 1, form_id, version, sha256, definition, 0, 0, NULL, NULL, NULL, 0, 0, NULL,"
  "       NULL, NULL"
  "  FROM forms WHERE seq > ?1"
  " UNION ALL "
  "SELECT server_seq, 2, form_id, form_version, uuid, payload, revision, base_revision, base_hlc,"
  "       op, hlc, created_at, updated_at, author, sealed, dedup"
  "  FROM record_revisions WHERE audience = ?2 AND server_seq > ?1"
  " ORDER BY 1 LIMIT ?3";

static void read_item(sqlite3_stmt *st, proto_pull_item_t *it)
{
  memset(it, 0, sizeof *it);
  it->seq = sqlite3_column_int64(st, 0);
  if (sqlite3_column_int(st, 1) == 1) {
    it->kind = PROTO_ITEM_FORM;
    db_col_text(st, 2, it->form.form_id, sizeof it->form.form_id);
    it->form.version = sqlite3_column_int(st, 3);
    db_col_text(st, 4, it->form.sha256, sizeof it->form.sha256);
    it->form.definition = (char *)sqlite3_column_text(st, 5);
    return;
  }
  it->kind = PROTO_ITEM_RECORD;
  proto_change_t *r = &it->record;
  db_col_text(st, 2, r->form_id, sizeof r->form_id);
  r->form_version = sqlite3_column_int(st, 3);
  db_col_text(st, 4, r->uuid, sizeof r->uuid);
  r->payload = (char *)sqlite3_column_text(st, 5);
  r->revision = sqlite3_column_int64(st, 6);
  r->base_revision = sqlite3_column_int64(st, 7);
  db_col_text(st, 8, r->base_hlc, sizeof r->base_hlc);
  const unsigned char *op = sqlite3_column_text(st, 9);
  r->op = op && strcmp((const char *)op, "delete") == 0 ? PROTO_OP_DELETE : PROTO_OP_UPSERT;
  db_col_text(st, 10, r->hlc, sizeof r->hlc);
  r->created_at = sqlite3_column_int64(st, 11);
  r->updated_at = sqlite3_column_int64(st, 12);
  r->origin = PROTO_ORIGIN_CENTRAL;
  r->author = (char *)sqlite3_column_text(st, 13);
  r->sealed = (char *)sqlite3_column_text(st, 14);   /* NULL when the column is NULL */
  db_col_text(st, 15, r->dedup, sizeof r->dedup);
}

sync_err_t db_pull(db_conn_t *c, const char *device_id, int64_t after, int after_given, int limit,
                   proto_pull_writer_t *w, int64_t *next, int *more)
{
  *next = after;
  *more = 0;
  sync_err_t e = db_begin_read(c);
  if (e != SYNC_OK)
    return e;
  int64_t last_seq = 0;
  if ((e = db_last_seq(c, &last_seq)) != SYNC_OK)
    goto done;
  sqlite3_stmt *st = db_stmt(c, ST_PULL, PULL_SQL);
  if (!st) {
    e = SYNC_ERR_DB;
    goto done;
  }
  sqlite3_bind_int64(st, 1, after);
  sqlite3_bind_text(st, 2, device_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 3, limit + 1);
  int rc, n = 0;
  int64_t last_added = after;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == limit) {
      *more = 1;
      break;
    }
    proto_pull_item_t it;
    read_item(st, &it);
    char *form_text = NULL;
    if (it.kind == PROTO_ITEM_FORM && it.form.definition) {
      if ((e = db_form_text(c, it.form.definition, &form_text)) != SYNC_OK)
        break;
      it.form.definition = form_text;
    }
    char err[128];
    sync_err_t ae = proto_pull_writer_add(w, &it, 0, err, sizeof err);
    free(form_text);
    if (ae == SYNC_ERR_TOO_LARGE) {
      *more = 1;
      break;
    }
    if (ae == SYNC_ERR_NOMEM) {
      e = ae;
      break;
    }
    if (ae != SYNC_OK) {
      /* A stored item the codec refuses must not block the device's feed forever. */
      char q[160];
      log_event(LOG_ERROR, "pull_item_skipped", "seq=%lld device=%s detail=%s",
                (long long)it.seq, device_id, log_quote(err, q, sizeof q));
    }
    last_added = it.seq;
    n++;
  }
  if (e == SYNC_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
    e = db_err(rc);
  sqlite3_reset(st);
  if (e == SYNC_OK) {
    if (*more)
      *next = last_added;
    else if (n > 0 || !after_given)
      *next = last_seq > last_added ? last_seq : last_added;
    else
      *next = after;
  }
done:
  db_rollback(c); /* ends the read snapshot */
  return e;
}
