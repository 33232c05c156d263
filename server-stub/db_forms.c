/* Form versions: publish (immutable, each gets a server_seq so devices receive it through pull),
 * fetch, list (db.h). Definitions are stored without the duplicate-detection key and given out
 * with it (db_form_text). */
#include "db_internal.h"

#include <stdlib.h>
#include <string.h>

sync_err_t db_form_get(db_conn_t *c, const char *form_id, int version, char **definition,
                       char sha256[PROTO_SHA256_LEN + 1])
{
  if (definition)
    *definition = NULL;
  sqlite3_stmt *st = db_stmt(c, ST_FORM_GET,
                             "SELECT sha256, definition FROM forms WHERE form_id = ?1 AND version = ?2");
  if (!st)
    return SYNC_ERR_DB;
  sqlite3_bind_text(st, 1, form_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, version);
  int rc = sqlite3_step(st);
  sync_err_t e = SYNC_OK;
  if (rc == SQLITE_ROW) {
    if (sha256)
      db_col_text(st, 0, sha256, PROTO_SHA256_LEN + 1);
    if (definition)
      e = db_form_text(c, (const char *)sqlite3_column_text(st, 1), definition);
  } else {
    e = rc == SQLITE_DONE ? SYNC_ERR_NOT_FOUND : db_err(rc);
  }
  sqlite3_reset(st);
  return e;
}

sync_err_t db_form_publish(db_conn_t *c, const char *form_id, int version, const char *definition,
                           const char *sha256, const char *title, int *added, int64_t *seq_out)
{
  *added = 0;
  if (seq_out)
    *seq_out = 0;
  sync_err_t e = db_begin_write(c);
  if (e != SYNC_OK)
    return e;
  char have[PROTO_SHA256_LEN + 1];
  e = db_form_get(c, form_id, version, NULL, have);
  if (e == SYNC_OK) {
    db_rollback(c);
    return strcmp(have, sha256) == 0 ? SYNC_OK : SYNC_ERR_EXISTS;
  }
  if (e != SYNC_ERR_NOT_FOUND)
    goto fail;
  sqlite3_stmt *st = db_stmt(c, ST_FORM_INSERT,
                             "INSERT INTO forms(form_id, version, definition, sha256, title,"
                             " published_at, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!st) {
    e = SYNC_ERR_DB;
    goto fail;
  }
  char *stored = NULL;
  if ((e = db_form_stored_text(c, definition, &stored)) != SYNC_OK)
    goto fail;
  int64_t seq = db_next_seq(c);
  sqlite3_bind_text(st, 1, form_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, version);
  sqlite3_bind_text(st, 3, stored, -1, free);
  sqlite3_bind_text(st, 4, sha256, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, title, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 6, db_now_ms());
  sqlite3_bind_int64(st, 7, seq);
  if ((e = db_step_done(st)) != SYNC_OK || (e = db_commit(c)) != SYNC_OK)
    goto fail;
  *added = 1;
  if (seq_out)
    *seq_out = seq;
  return SYNC_OK;
fail:
  db_rollback(c);
  return e;
}

sync_err_t db_forms_list(db_conn_t *c, proto_forms_list_t *out)
{
  memset(out, 0, sizeof *out);
  out->protocol = PROTO_VERSION;
  sqlite3_stmt *st = db_stmt(c, ST_FORM_LIST,
                             "SELECT form_id, version, sha256, title, published_at FROM forms"
                             " ORDER BY form_id, version");
  if (!st)
    return SYNC_ERR_DB;
  size_t cap = 0;
  int rc;
  sync_err_t e = SYNC_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (out->n_forms == cap) {
      size_t ncap = cap ? cap * 2 : 8;
      proto_form_info_t *nf = realloc(out->forms, ncap * sizeof *nf);
      if (!nf) {
        e = SYNC_ERR_NOMEM;
        break;
      }
      out->forms = nf;
      cap = ncap;
    }
    proto_form_info_t *f = &out->forms[out->n_forms];
    memset(f, 0, sizeof *f);
    db_col_text(st, 0, f->form_id, sizeof f->form_id);
    f->version = sqlite3_column_int(st, 1);
    db_col_text(st, 2, f->sha256, sizeof f->sha256);
    f->published_at = sqlite3_column_int64(st, 4);
    if (!(f->title = db_col_dup(st, 3))) {
      e = SYNC_ERR_NOMEM;
      break;
    }
    out->n_forms++;
  }
  if (e == SYNC_OK && rc != SQLITE_DONE)
    e = db_err(rc);
  sqlite3_reset(st);
  if (e != SYNC_OK)
    db_forms_list_free(out);
  return e;
}

void db_forms_list_free(proto_forms_list_t *l)
{
  for (size_t i = 0; i < l->n_forms; i++)
    free(l->forms[i].title);
  free(l->forms);
  l->forms = NULL;
  l->n_forms = 0;
}
