/* Records and their revisions: the shared row helpers, listings for central staff, and central
 * writes (status/referral set by staff, central deletions) (db.h). */
#include "db_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

sync_err_t db_head_get(db_conn_t *c, const char *uuid, db_head_t *h)
{
  memset(h, 0, sizeof *h);
  sqlite3_stmt *st = db_stmt(c, ST_HEAD_GET,
                             "SELECT k.server_seq, k.revision, k.hlc, k.source, r.form_id,"
                             " r.form_version, r.op, r.created_at"
                             " FROM record_keys k JOIN record_revisions r ON r.server_seq = k.server_seq"
                             " WHERE k.uuid = ?1 AND k.is_head = 1");
  if (!st)
    return SYNC_ERR_DB;
  sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    h->found = 1;
    h->seq = sqlite3_column_int64(st, 0);
    h->revision = sqlite3_column_int64(st, 1);
    db_col_text(st, 2, h->hlc, sizeof h->hlc);
    db_col_text(st, 3, h->source, sizeof h->source);
    db_col_text(st, 4, h->form_id, sizeof h->form_id);
    h->form_version = sqlite3_column_int(st, 5);
    const unsigned char *op = sqlite3_column_text(st, 6);
    h->deleted = op && strcmp((const char *)op, "delete") == 0;
    h->created_at = sqlite3_column_int64(st, 7);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW)
    return rc == SQLITE_DONE ? SYNC_OK : db_err(rc);

  st = db_stmt(c, ST_HEAD_FACTS,
               "SELECT max(revision), (SELECT source FROM record_keys WHERE uuid = ?1"
               " AND source <> 'central' LIMIT 1) FROM record_keys WHERE uuid = ?1");
  if (!st)
    return SYNC_ERR_DB;
  sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    h->max_revision = sqlite3_column_int64(st, 0);
    db_col_text(st, 1, h->creator, sizeof h->creator);
  }
  sqlite3_reset(st);
  return rc == SQLITE_ROW ? SYNC_OK : db_err(rc);
}

void db_change_free(proto_change_t *ch)
{
  if (!ch)
    return;
  free(ch->payload);
  free(ch->sealed);
  free(ch->author);
  free(ch);
}

sync_err_t db_revision_load(db_conn_t *c, int64_t seq, proto_change_t **out)
{
  *out = NULL;
  sqlite3_stmt *st = db_stmt(c, ST_REV_BY_SEQ,
                             "SELECT uuid, revision, base_revision, base_hlc, op, form_id,"
                             " form_version, hlc, created_at, updated_at, payload, author, source, sealed,"
                             " dedup FROM record_revisions WHERE server_seq = ?1");
  if (!st)
    return SYNC_ERR_DB;
  sqlite3_bind_int64(st, 1, seq);
  int rc = sqlite3_step(st);
  sync_err_t e = SYNC_OK;
  if (rc != SQLITE_ROW) {
    e = rc == SQLITE_DONE ? SYNC_ERR_NOT_FOUND : db_err(rc);
    goto done;
  }
  proto_change_t *ch = calloc(1, sizeof *ch);
  if (!ch) {
    e = SYNC_ERR_NOMEM;
    goto done;
  }
  db_col_text(st, 0, ch->uuid, sizeof ch->uuid);
  ch->revision = sqlite3_column_int64(st, 1);
  ch->base_revision = sqlite3_column_int64(st, 2);
  db_col_text(st, 3, ch->base_hlc, sizeof ch->base_hlc);
  const unsigned char *op = sqlite3_column_text(st, 4);
  ch->op = op && strcmp((const char *)op, "delete") == 0 ? PROTO_OP_DELETE : PROTO_OP_UPSERT;
  db_col_text(st, 5, ch->form_id, sizeof ch->form_id);
  ch->form_version = sqlite3_column_int(st, 6);
  db_col_text(st, 7, ch->hlc, sizeof ch->hlc);
  ch->created_at = sqlite3_column_int64(st, 8);
  ch->updated_at = sqlite3_column_int64(st, 9);
  ch->payload = db_col_dup(st, 10);
  db_col_text(st, 14, ch->dedup, sizeof ch->dedup);
  int sealed_missing = 0;
  if (sqlite3_column_type(st, 13) != SQLITE_NULL)
    sealed_missing = !(ch->sealed = db_col_dup(st, 13));
  const unsigned char *src = sqlite3_column_text(st, 12);
  if (src && strcmp((const char *)src, "central") == 0) {
    ch->origin = PROTO_ORIGIN_CENTRAL;
    ch->author = db_col_dup(st, 11);
    if (!ch->author)
      ch->payload = (free(ch->payload), NULL);
  } else {
    ch->origin = PROTO_ORIGIN_DEVICE;
  }
  if (!ch->payload || sealed_missing) {
    db_change_free(ch);
    e = SYNC_ERR_NOMEM;
    goto done;
  }
  *out = ch;
done:
  sqlite3_reset(st);
  return e;
}

sync_err_t db_revision_insert(db_conn_t *c, const db_rev_row_t *r)
{
  sqlite3_stmt *st = db_stmt(c, ST_REV_INSERT,
                             "INSERT INTO record_revisions(server_seq, uuid, revision, source,"
                             " base_revision, base_hlc, op, form_id, form_version, hlc, created_at,"
                             " updated_at, payload, author, audience, received_at, batch_id, outcome,"
                             " merged_seq, conflict_id, sealed, dedup) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
                             " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,"
                             " ?21, ?22)");
  if (!st)
    return SYNC_ERR_DB;
  const proto_change_t *ch = r->ch;
  sqlite3_bind_int64(st, 1, r->seq);
  sqlite3_bind_text(st, 2, ch->uuid, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, ch->revision);
  sqlite3_bind_text(st, 4, r->source, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, ch->base_revision);
  if (ch->base_hlc[0])
    sqlite3_bind_text(st, 6, ch->base_hlc, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 7, ch->op == PROTO_OP_DELETE ? "delete" : "upsert", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 8, ch->form_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 9, ch->form_version);
  sqlite3_bind_text(st, 10, ch->hlc, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 11, ch->created_at);
  sqlite3_bind_int64(st, 12, ch->updated_at);
  sqlite3_bind_text(st, 13, ch->payload ? ch->payload : "{}", -1, SQLITE_STATIC);
  if (ch->author)
    sqlite3_bind_text(st, 14, ch->author, -1, SQLITE_STATIC);
  if (r->audience)
    sqlite3_bind_text(st, 15, r->audience, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 16, r->received_at);
  if (r->batch_id)
    sqlite3_bind_text(st, 17, r->batch_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 18, r->outcome, -1, SQLITE_STATIC);
  if (r->merged_seq)
    sqlite3_bind_int64(st, 19, r->merged_seq);
  if (r->conflict_id)
    sqlite3_bind_text(st, 20, r->conflict_id, -1, SQLITE_STATIC);
  if (ch->sealed)
    sqlite3_bind_text(st, 21, ch->sealed, -1, SQLITE_STATIC);
  if (ch->dedup[0])
    sqlite3_bind_text(st, 22, ch->dedup, -1, SQLITE_STATIC);
  sync_err_t e = db_step_done(st);
  if (e != SYNC_OK)
    return e;

  if (r->make_head) {
    st = db_stmt(c, ST_KEY_UNHEAD, "UPDATE record_keys SET is_head = 0 WHERE uuid = ?1 AND is_head = 1");
    if (!st)
      return SYNC_ERR_DB;
    sqlite3_bind_text(st, 1, ch->uuid, -1, SQLITE_STATIC);
    if ((e = db_step_done(st)) != SYNC_OK)
      return e;
  }
  st = db_stmt(c, ST_KEY_INSERT,
               "INSERT INTO record_keys(uuid, source, revision, server_seq, hlc, is_head)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!st)
    return SYNC_ERR_DB;
  sqlite3_bind_text(st, 1, ch->uuid, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, r->source, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, ch->revision);
  sqlite3_bind_int64(st, 4, r->seq);
  sqlite3_bind_text(st, 5, ch->hlc, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 6, r->make_head ? 1 : 0);
  return db_step_done(st);
}

sync_err_t db_carry_along(db_conn_t *c, const char *uuid, proto_change_t *ch)
{
  free(ch->sealed);
  ch->sealed = NULL;
  ch->dedup[0] = '\0';
  if (ch->op == PROTO_OP_DELETE)
    return SYNC_OK;
  static const char *const sql[2] = {
    "SELECT r.sealed FROM record_keys k JOIN record_revisions r ON r.server_seq = k.server_seq"
    " WHERE k.uuid = ?1 AND k.source <> 'central' AND r.sealed IS NOT NULL"
    " ORDER BY k.hlc DESC LIMIT 1",
    "SELECT r.dedup FROM record_keys k JOIN record_revisions r ON r.server_seq = k.server_seq"
    " WHERE k.uuid = ?1 AND k.source <> 'central' AND r.dedup IS NOT NULL"
    " ORDER BY k.hlc DESC LIMIT 1"};
  const db_slot_t slots[2] = {ST_CARRY_SEALED, ST_CARRY_DEDUP};
  sync_err_t e = SYNC_OK;
  for (int i = 0; i < 2 && e == SYNC_OK; i++) {
    sqlite3_stmt *st = db_stmt(c, slots[i], sql[i]);
    if (!st)
      return SYNC_ERR_DB;
    sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      if (i == 0 && !(ch->sealed = db_col_dup(st, 0)))
        e = SYNC_ERR_NOMEM;
      if (i == 1)
        db_col_text(st, 0, ch->dedup, sizeof ch->dedup);
    } else if (rc != SQLITE_DONE) {
      e = db_err(rc);
    }
    sqlite3_reset(st);
  }
  return e;
}

/* ---- listings ------------------------------------------------------------------------------ */

#define ROW_COLUMNS                                                                                \
  "r.uuid, r.revision, r.form_id, r.form_version, r.creator_device, r.head_source,"                \
  " r.server_seq, r.received_at, r.deleted, r.hlc"

static void read_row(sqlite3_stmt *st, db_record_row_t *r)
{
  memset(r, 0, sizeof *r);
  db_col_text(st, 0, r->uuid, sizeof r->uuid);
  r->revision = sqlite3_column_int64(st, 1);
  db_col_text(st, 2, r->form_id, sizeof r->form_id);
  r->form_version = sqlite3_column_int(st, 3);
  db_col_text(st, 4, r->source, sizeof r->source);
  db_col_text(st, 5, r->head_origin, sizeof r->head_origin);
  r->server_seq = sqlite3_column_int64(st, 6);
  r->received_at = sqlite3_column_int64(st, 7);
  r->deleted = sqlite3_column_int(st, 8);
  db_col_text(st, 9, r->hlc, sizeof r->hlc);
}

sync_err_t db_records_list(db_conn_t *c, const char *form_id, int limit, db_record_fn fn,
                           void *ctx)
{
  sqlite3_stmt *st;
  const char *sql = "SELECT " ROW_COLUMNS " FROM records r"
                    " WHERE (?1 IS NULL OR r.form_id = ?1) ORDER BY r.server_seq DESC LIMIT ?2";
  if (sqlite3_prepare_v2(c->h, sql, -1, &st, NULL) != SQLITE_OK)
    return SYNC_ERR_DB;
  if (form_id)
    sqlite3_bind_text(st, 1, form_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    db_record_row_t r;
    read_row(st, &r);
    if (fn(ctx, &r) != 0)
      break;
  }
  sync_err_t e = rc == SQLITE_ROW || rc == SQLITE_DONE ? SYNC_OK : db_err(rc);
  sqlite3_finalize(st);
  return e;
}

sync_err_t db_record_payload(db_conn_t *c, const char *uuid, char **payload,
                             db_record_row_t *row)
{
  *payload = NULL;
  sqlite3_stmt *st;
  const char *sql = "SELECT " ROW_COLUMNS ", r.payload FROM records r WHERE r.uuid = ?1";
  if (sqlite3_prepare_v2(c->h, sql, -1, &st, NULL) != SQLITE_OK)
    return SYNC_ERR_DB;
  sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sync_err_t e = SYNC_OK;
  if (rc == SQLITE_ROW) {
    if (row)
      read_row(st, row);
    if (!(*payload = db_col_dup(st, 10)))
      e = SYNC_ERR_NOMEM;
  } else {
    e = rc == SQLITE_DONE ? SYNC_ERR_NOT_FOUND : db_err(rc);
  }
  sqlite3_finalize(st);
  return e;
}

sync_err_t db_record_head(db_conn_t *c, const char *uuid, proto_change_t **out)
{
  *out = NULL;
  db_head_t h;
  sync_err_t e = db_head_get(c, uuid, &h);
  if (e != SYNC_OK)
    return e;
  if (!h.found)
    return SYNC_ERR_NOT_FOUND;
  return db_revision_load(c, h.seq, out);
}

sync_err_t db_receipt_revision_exists(db_conn_t *c, const char *uuid, const char *device_id,
                                      int64_t revision, const char *hlc, int64_t server_seq,
                                      int64_t received_at, int64_t *found)
{
  *found = 0;
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(c->h, "SELECT count(*) FROM record_keys k JOIN record_revisions r"
                                " ON r.server_seq = k.server_seq WHERE k.uuid = ?1 AND k.source = ?2"
                                " AND k.revision = ?3 AND k.hlc = ?4 AND k.server_seq = ?5"
                                " AND r.received_at = ?6", -1, &st, NULL) != SQLITE_OK)
    return SYNC_ERR_DB;
  sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, device_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, revision);
  sqlite3_bind_text(st, 4, hlc, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, server_seq);
  sqlite3_bind_int64(st, 6, received_at);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    *found = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? SYNC_OK : db_err(rc);
}

sync_err_t db_counts(db_conn_t *c, db_counts_t *out)
{
  memset(out, 0, sizeof *out);
  static const char *const sql[] = {
    "SELECT count(*) FROM devices", "SELECT count(*) FROM forms",
    "SELECT count(*) FROM record_keys WHERE is_head = 1",
    "SELECT count(*) FROM record_revisions", "SELECT count(*) FROM conflicts"};
  int64_t *dst[] = {&out->devices, &out->forms, &out->records, &out->revisions, &out->conflicts};
  for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->h, sql[i], -1, &st, NULL) != SQLITE_OK)
      return SYNC_ERR_DB;
    if (sqlite3_step(st) == SQLITE_ROW)
      *dst[i] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  return db_last_seq(c, &out->last_seq);
}

/* ---- central writes ----------------------------------------------------------------------- */

sync_err_t db_central_write(db_conn_t *c, const char *uuid, const char *author, db_edit_fn edit,
                            void *ectx, db_validate_fn validate, void *vctx, issue_list_t *issues,
                            int64_t *revision_out, int64_t *seq_out)
{
  proto_change_t *head = NULL;
  proto_change_t ch;
  memset(&ch, 0, sizeof ch);
  sync_err_t e = db_begin_write(c);
  if (e != SYNC_OK)
    return e;
  db_head_t h;
  if ((e = db_head_get(c, uuid, &h)) != SYNC_OK)
    goto fail;
  if (!h.found) {
    e = SYNC_ERR_NOT_FOUND;
    goto fail;
  }
  if (h.deleted) {
    e = SYNC_ERR_STATE;
    goto fail;
  }
  if ((e = db_revision_load(c, h.seq, &head)) != SYNC_OK)
    goto fail;

  ch = *head;
  ch.payload = NULL;
  ch.sealed = NULL;
  ch.author = (char *)author;
  ch.origin = PROTO_ORIGIN_CENTRAL;
  if (edit) {
    ch.op = PROTO_OP_UPSERT;
    if (!(ch.payload = edit(ectx, head->payload))) {
      e = SYNC_ERR_NOMEM;
      goto fail;
    }
    if (validate &&
        (e = validate(vctx, h.form_id, h.form_version, ch.payload, issues)) != SYNC_OK)
      goto fail;
  } else {
    ch.op = PROTO_OP_DELETE;
    if (!(ch.payload = strdup("{}"))) {
      e = SYNC_ERR_NOMEM;
      goto fail;
    }
  }
  if ((e = db_carry_along(c, uuid, &ch)) != SYNC_OK)
    goto fail;
  ch.revision = h.max_revision + 1;
  ch.base_revision = h.revision;
  snprintf(ch.base_hlc, sizeof ch.base_hlc, "%s", h.hlc);
  if ((e = db_hlc_next(c, h.hlc, NULL, ch.hlc)) != SYNC_OK)
    goto fail;
  int64_t now = db_now_ms();
  ch.created_at = h.created_at;
  ch.updated_at = now;
  int64_t seq = db_next_seq(c);
  db_rev_row_t row = {.seq = seq, .ch = &ch, .source = "central", .audience = h.creator,
                      .received_at = now, .outcome = "central", .make_head = 1};
  if ((e = db_revision_insert(c, &row)) != SYNC_OK || (e = db_commit(c)) != SYNC_OK)
    goto fail;
  if (revision_out)
    *revision_out = ch.revision;
  if (seq_out)
    *seq_out = seq;
  free(ch.payload);
  free(ch.sealed);
  db_change_free(head);
  return SYNC_OK;
fail:
  db_rollback(c);
  free(ch.payload);
  free(ch.sealed);
  db_change_free(head);
  return e;
}
