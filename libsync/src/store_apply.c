/* Applying what the server sends (store_sync.h): form versions, central revisions by the rule of
 * PROTOCOL.md 4 (a central revision becomes the head only when the device has nothing of that
 * record left to push and the revision is newer than its head; otherwise it waits in
 * remote_pending), and the conflicts of push receipts (PROTOCOL.md 5). Answers and conflict values
 * are written encrypted (store_crypto.h); sealed texts are kept as they come (already ciphertext). */
#include "store_crypto.h"
#include "store_sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A central clock more than a day ahead of ours is not followed (hlc_receive's drift limit). */
#define APPLY_MAX_DRIFT_MS (24LL * 3600 * 1000)

static const char *col_text(sqlite3_stmt *st, int col)
{
  const char *v = (const char *)sqlite3_column_text(st, col);
  return v ? v : "";
}

static sync_err_t step_write(sync_store_t *s, sqlite3_stmt *st, const char *what)
{
  int rc = store_step_done(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_DONE ? SYNC_OK : store_fail_sqlite(s, rc, what);
}

static void bind_text_or_null(sqlite3_stmt *st, int idx, const char *text)
{
  if (text && *text)
    sqlite3_bind_text(st, idx, text, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, idx);
}

/* Runs a cached "SELECT 1 ..." whose parameters are bound; *found 1 when a row came. */
static sync_err_t exists(sync_store_t *s, sqlite3_stmt *st, int *found)
{
  int rc = sqlite3_step(st);
  *found = rc == SQLITE_ROW;
  int rrc = sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return store_fail_sqlite(s, rrc != SQLITE_OK ? rrc : rc, "cannot look up a record");
  return SYNC_OK;
}

/* Feeds a received HLC to the device clock; persisted with the batch's commit. */
static void clock_receive(sync_store_t *s, const char *text)
{
  hlc_t remote;
  if (hlc_parse(text, &remote, NULL) != 0)
    return;
  if (!s->tx_hlc_loaded) {
    char state[HLC_STATE_LEN + 1];
    hlc_t stored;
    if (store_meta_get(s, "hlc", state, sizeof state) == SYNC_OK &&
        hlc_parse(state, &stored, NULL) == 0 && hlc_compare(stored, s->hlc) > 0)
      s->hlc = stored;
    s->tx_hlc_loaded = 1;
  }
  if (hlc_receive(&s->hlc, remote, store_now_ms(), APPLY_MAX_DRIFT_MS, NULL) == 0)
    s->tx_hlc_dirty = 1;
}

/* ---- forms ----------------------------------------------------------------------------------- */

sync_err_t store_apply_has_form(store_sync_t *ss, const char *form_id, int version, int *has)
{
  sync_store_t *s = store_sync_store(ss);
  sqlite3_stmt *st;
  sync_err_t err = store_stmt(s, STMT_FORM_HASH, &st);
  if (err)
    return err;
  sqlite3_bind_text(st, 1, form_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, version);
  return exists(s, st, has);
}

static int fatal_store_error(sync_err_t err)
{
  return err == SYNC_ERR_NOMEM || err == SYNC_ERR_IO || err == SYNC_ERR_DB || err == SYNC_ERR_BUSY ||
         err == SYNC_ERR_CORRUPT || err == SYNC_ERR_READ_ONLY;
}

sync_err_t store_apply_form(store_sync_t *ss, const char *form_id, int version, const char *sha256,
                            const char *definition, form_applied_t *out, char *warning, size_t wlen)
{
  sync_store_t *s = store_sync_store(ss);
  char have[PROTO_SHA256_LEN + 1], id[SYNC_FORM_ID_MAX + 1];
  int v = 0;
  form_put_t put = FORM_PUT_SAME;
  memset(out, 0, sizeof *out);
  warning[0] = '\0';
  /* The server's definition is the form (PROTOCOL.md 2.3): it is stored, replacing a local one
   * of the same id and version (a form bundled with an app is a fallback until this moment). */
  sync_err_t err = store_form_put(s, definition, strlen(definition), FORM_ORIGIN_SERVER, id, &v, &put);
  if (fatal_store_error(err))
    return err;
  if (err != SYNC_OK) {
    /* A definition this library cannot use must not stop the feed: report it. */
    snprintf(warning, wlen, "form %s v%d from the server was not added: %s", form_id, version,
             sync_store_errmsg(s));
    return SYNC_OK;
  }
  if (strcmp(id, form_id) != 0 || v != version) {
    snprintf(warning, wlen, "the server sent form %s v%d under the name %s v%d", id, v, form_id,
             version);
    return SYNC_OK;
  }
  out->added = put == FORM_PUT_ADDED;
  out->replaced = put == FORM_PUT_REPLACED;
  store_form_hash(s, form_id, version, have);
  if (sha256 && strcmp(have, sha256) != 0)
    snprintf(warning, wlen, "form %s v%d: sha256 %.12s… announced, %.12s… computed", form_id,
             version, sha256, have);
  /* Records waiting under the old definition, or refused for a form difference, go again. */
  err = store_records_fit_form(s, form_id, version, out->replaced, &out->requeued, &out->to_fix);
  if (err == SYNC_OK && out->replaced && !warning[0])
    snprintf(warning, wlen, "form %s v%d: the server's definition replaced this device's; %lld "
             "records written again under it, %lld need correcting", form_id, version,
             (long long)out->requeued, (long long)out->to_fix);
  return err;
}

/* ---- central revisions ----------------------------------------------------------------------- */

typedef struct head {
  int64_t id;          /* records.id, 0 when the device has no such record */
  int64_t revision;
  int draft;
} head_t;

static sync_err_t load_head(store_sync_t *ss, const char *uuid, head_t *h)
{
  sync_store_t *s = store_sync_store(ss);
  sqlite3_stmt *st;
  memset(h, 0, sizeof *h);
  sync_err_t err = store_sync_stmt(ss, SST_REC_HEAD, &st);
  if (err)
    return err;
  sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    h->id = sqlite3_column_int64(st, 0);
    h->revision = sqlite3_column_int64(st, 1);
    h->draft = strcmp(col_text(st, 3), "draft") == 0;
  }
  int rrc = sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return store_fail_sqlite(s, rrc != SQLITE_OK ? rrc : rc, "cannot read a record");
  return SYNC_OK;
}

static sync_err_t has_revision_hlc(store_sync_t *ss, int64_t record_id, const char *hlc, int *found)
{
  sqlite3_stmt *st;
  sync_err_t err = store_sync_stmt(ss, SST_REV_BY_HLC, &st);
  if (err)
    return err;
  sqlite3_bind_int64(st, 1, record_id);
  sqlite3_bind_text(st, 2, hlc, -1, SQLITE_STATIC);
  return exists(store_sync_store(ss), st, found);
}

static sync_err_t has_pending(store_sync_t *ss, int64_t record_id, int *found)
{
  sqlite3_stmt *st;
  sync_err_t err = store_sync_stmt(ss, SST_PENDING_FOR_RECORD, &st);
  if (err)
    return err;
  sqlite3_bind_int64(st, 1, record_id);
  return exists(store_sync_store(ss), st, found);
}

static sync_err_t aside_has(store_sync_t *ss, const char *hlc, int *found)
{
  sqlite3_stmt *st;
  sync_err_t err = store_sync_stmt(ss, SST_ASIDE_HAS, &st);
  if (err)
    return err;
  sqlite3_bind_text(st, 1, hlc, -1, SQLITE_STATIC);
  return exists(store_sync_store(ss), st, found);
}

static sync_err_t put_aside(store_sync_t *ss, const proto_change_t *c)
{
  sqlite3_stmt *st;
  sync_err_t err = store_sync_stmt(ss, SST_ASIDE_INSERT, &st);
  if (err)
    return err;
  sqlite3_bind_text(st, 1, c->hlc, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, c->uuid, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, c->revision);
  sqlite3_bind_int64(st, 4, c->base_revision);
  if (c->base_hlc[0])
    sqlite3_bind_text(st, 5, c->base_hlc, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, c->op == PROTO_OP_DELETE ? "delete" : "upsert", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 7, c->form_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 8, c->form_version);
  sqlite3_bind_int64(st, 9, c->created_at);
  sqlite3_bind_int64(st, 10, c->updated_at);
  char ad[STORE_AD_MAX];
  store_value_ad(ad, COL_ASIDE_PAYLOAD, c->uuid, c->hlc);
  if ((err = store_value_bind(store_sync_store(ss), st, 11, ad,
                              c->op == PROTO_OP_DELETE ? "{}" : c->payload, (size_t)-1)) != SYNC_OK) {
    sqlite3_clear_bindings(st);
    return err;
  }
  if (c->author)
    sqlite3_bind_text(st, 12, c->author, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 13, store_now_ms());
  bind_text_or_null(st, 14, c->sealed);
  store_value_ad(ad, COL_ASIDE_DEDUP, c->uuid, c->hlc);
  if ((err = store_value_bind_opt(store_sync_store(ss), st, 15, ad, c->dedup)) != SYNC_OK) {
    sqlite3_clear_bindings(st);
    return err;
  }
  return step_write(store_sync_store(ss), st, "cannot keep a server revision aside");
}

/* Structural (draft-mode) check of a central payload against its form. *usable 0 with `why`
 * when it does not fit; SYNC_ERR_NOT_FOUND (errmsg set) when the form is missing. */
static sync_err_t check_structure(sync_store_t *s, const proto_change_t *c, int *usable, char *why,
                                  size_t whylen)
{
  *usable = 1;
  const form_t *f;
  sync_err_t err = store_form_get(s, c->form_id, c->form_version, &f, NULL);
  if (err)
    return err;
  if (c->op == PROTO_OP_DELETE)
    return SYNC_OK;
  issue_list_t issues = {0};
  err = form_validate(f, c->payload, strlen(c->payload), VALIDATE_DRAFT, s->language,
                      store_today_days(), NULL, &issues);
  if (err == SYNC_ERR_VALIDATION || err == SYNC_ERR_JSON) {
    *usable = 0;
    snprintf(why, whylen, "record %s revision %lld from the server does not fit form %s v%d: %s (%s)",
             c->uuid, (long long)c->revision, c->form_id, c->form_version,
             issues.count ? issues.items[0].field : "", issues.count ? issues.items[0].code : "");
    err = SYNC_OK;
  }
  issue_list_clear(&issues);
  return err;
}

/* Stores `c` as the record's head (a new record when h->id is 0). */
static sync_err_t make_head(store_sync_t *ss, const proto_change_t *c, const head_t *h)
{
  sync_store_t *s = store_sync_store(ss);
  sqlite3_stmt *st;
  int deleted = c->op == PROTO_OP_DELETE;
  int64_t record_id = h->id;
  sync_err_t err;
  if (record_id == 0) {
    if ((err = store_sync_stmt(ss, SST_REC_INSERT_REMOTE, &st)) != SYNC_OK)
      return err;
    sqlite3_bind_text(st, 1, c->uuid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, c->form_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, c->form_version);
    sqlite3_bind_int64(st, 4, c->revision);
    sqlite3_bind_text(st, 5, c->hlc, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, c->created_at);
    sqlite3_bind_int64(st, 7, c->updated_at);
    sqlite3_bind_int(st, 8, deleted);
    if ((err = step_write(s, st, "cannot store a record from the server")) != SYNC_OK)
      return err;
    record_id = sqlite3_last_insert_rowid(s->db);
  } else {
    if ((err = store_sync_stmt(ss, SST_REC_UPDATE_REMOTE, &st)) != SYNC_OK)
      return err;
    sqlite3_bind_int64(st, 1, record_id);
    sqlite3_bind_text(st, 2, c->form_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, c->form_version);
    sqlite3_bind_int64(st, 4, c->revision);
    sqlite3_bind_text(st, 5, c->hlc, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, c->updated_at);
    sqlite3_bind_int(st, 7, deleted);
    if ((err = step_write(s, st, "cannot update a record from the server")) != SYNC_OK)
      return err;
  }
  if ((err = store_sync_stmt(ss, SST_REV_INSERT_REMOTE, &st)) != SYNC_OK)
    return err;
  char ad[STORE_AD_MAX];
  store_value_ad_int(ad, COL_REVISION_PAYLOAD, c->uuid, c->revision);
  if ((err = store_value_bind(s, st, 8, ad, deleted ? "{}" : c->payload, (size_t)-1)) != SYNC_OK) {
    sqlite3_clear_bindings(st);
    return err;
  }
  sqlite3_bind_int64(st, 1, record_id);
  sqlite3_bind_text(st, 2, c->uuid, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, c->revision);
  sqlite3_bind_text(st, 4, c->form_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 5, c->form_version);
  sqlite3_bind_text(st, 6, c->hlc, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 7, deleted);
  sqlite3_bind_int64(st, 9, store_now_ms());
  bind_text_or_null(st, 10, deleted ? NULL : c->sealed);
  store_value_ad_int(ad, COL_REVISION_DEDUP, c->uuid, c->revision);
  if ((err = store_value_bind_opt(s, st, 11, ad, deleted ? NULL : c->dedup)) != SYNC_OK) {
    sqlite3_clear_bindings(st);
    return err;
  }
  return step_write(s, st, "cannot store a revision from the server");
}

/* The rule of PROTOCOL.md 4 for one central revision; `from_aside` when it comes out of
 * remote_pending (then "aside" means "leave it there" and "skipped" means "drop it"). */
static sync_err_t apply_one(store_sync_t *ss, const proto_change_t *c, int from_aside,
                            apply_result_t *res, char *why, size_t whylen)
{
  sync_store_t *s = store_sync_store(ss);
  head_t h;
  int found = 0, usable = 1;
  why[0] = '\0';
  sync_err_t err = load_head(ss, c->uuid, &h);
  if (err)
    return err;
  if (h.id && (err = has_revision_hlc(ss, h.id, c->hlc, &found)) != SYNC_OK)
    return err;
  if (found) {
    *res = APPLY_SKIPPED;
    return SYNC_OK;
  }
  if (!from_aside) {
    if ((err = aside_has(ss, c->hlc, &found)) != SYNC_OK)
      return err;
    if (found) {
      *res = APPLY_ASIDE;
      return SYNC_OK;
    }
  }
  if (h.id && !h.draft && (err = has_pending(ss, h.id, &found)) != SYNC_OK)
    return err;
  if (h.id && (found || h.draft)) {
    *res = APPLY_ASIDE;  /* the server merges it with the pending change on its push */
    return from_aside ? SYNC_OK : put_aside(ss, c);
  }
  if (h.id && h.revision >= c->revision) {
    /* Nothing left to push and a head at least as new: a later merge superseded it. */
    *res = APPLY_SKIPPED;
    return SYNC_OK;
  }
  err = check_structure(s, c, &usable, why, whylen);
  if (err == SYNC_ERR_NOT_FOUND) {
    /* Its form version has not arrived yet (a merge may use a version published since the last
     * pull): wait for the pull that brings it. */
    store_reset_error(s, 0);
    *res = APPLY_ASIDE;
    return from_aside ? SYNC_OK : put_aside(ss, c);
  }
  if (err)
    return err;
  if (!usable) {
    *res = APPLY_INVALID;
    return SYNC_OK;
  }
  if ((err = make_head(ss, c, &h)) != SYNC_OK)
    return err;
  *res = APPLY_HEAD;
  return SYNC_OK;
}

sync_err_t store_apply_remote(store_sync_t *ss, const proto_change_t *c, apply_result_t *res,
                              char *why, size_t whylen)
{
  clock_receive(store_sync_store(ss), c->hlc);
  return apply_one(ss, c, 0, res, why, whylen);
}

/* ---- conflicts of push receipts ---------------------------------------------------------------- */

sync_err_t store_apply_conflict(store_sync_t *ss, const proto_receipt_t *r, const char *device_hlc,
                                int64_t *added, apply_result_t *res)
{
  sync_store_t *s = store_sync_store(ss);
  *added = 0;
  *res = APPLY_SKIPPED;
  if (!r->merged || !r->conflict)
    return SYNC_OK;
  const proto_conflict_t *cf = r->conflict;
  int64_t now = store_now_ms();
  sqlite3_stmt *st;
  sync_err_t err = store_sync_stmt(ss, SST_CONFLICT_INSERT, &st);
  if (err)
    return err;
  for (size_t i = 0; i < cf->n_fields; i++) {
    const proto_conflict_field_t *f = &cf->fields[i];
    int device_wins = f->winner == PROTO_SIDE_DEVICE;
    sqlite3_bind_text(st, 1, r->uuid, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, r->revision);
    sqlite3_bind_int64(st, 3, cf->central_revision);
    sqlite3_bind_text(st, 4, device_wins ? cf->central_hlc : device_hlc, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, device_wins ? "local" : "remote", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now);
    sqlite3_bind_text(st, 7, cf->conflict_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, f->field, -1, SQLITE_STATIC);
    char ad[STORE_AD_MAX], place[PROTO_UUID_LEN + PROTO_FIELD_MAX + 2];
    snprintf(place, sizeof place, "%s:%s", cf->conflict_id, f->field);
    store_value_ad(ad, COL_CONFLICT_DEVICE, r->uuid, place);
    if ((err = store_value_bind(s, st, 9, ad, f->device_value ? f->device_value : "null",
                                (size_t)-1)) == SYNC_OK) {
      store_value_ad(ad, COL_CONFLICT_CENTRAL, r->uuid, place);
      err = store_value_bind(s, st, 10, ad, f->central_value ? f->central_value : "null", (size_t)-1);
    }
    if (err) {
      sqlite3_clear_bindings(st);
      return err;
    }
    sqlite3_bind_int64(st, 11, r->merged->revision);
    if ((err = step_write(s, st, "cannot record a conflict")) != SYNC_OK)
      return err;
    *added += sqlite3_changes(s->db);
  }
  char why[256];
  return store_apply_remote(ss, r->merged, res, why, sizeof why);
}

/* ---- revisions kept aside -------------------------------------------------------------------- */

typedef struct aside_row {
  proto_change_t c;
  struct aside_row *next;
} aside_row_t;

static void aside_free(aside_row_t *list)
{
  while (list) {
    aside_row_t *next = list->next;
    free(list->c.payload);
    free(list->c.sealed);
    free(list->c.author);
    free(list);
    list = next;
  }
}

/* Reads remote_pending into a list (usually empty or a handful of rows), answers decrypted. */
static sync_err_t aside_load(sync_store_t *s, aside_row_t **out)
{
  sqlite3_stmt *st;
  aside_row_t *head = NULL, **tail = &head;
  sync_err_t err = SYNC_OK;
  *out = NULL;
  int rc = sqlite3_prepare_v2(s->db,
                              "SELECT hlc, uuid, revision, base_revision, base_hlc, op, form_id,"
                              " form_version, created_at, updated_at, payload, author, sealed, dedup"
                              " FROM remote_pending ORDER BY hlc", -1, &st, NULL);
  if (rc != SQLITE_OK)
    return store_fail_sqlite(s, rc, "cannot read the revisions kept aside");
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    aside_row_t *a = calloc(1, sizeof *a);
    if (!a) {
      err = store_fail(s, SYNC_ERR_NOMEM, "out of memory reading the revisions kept aside");
      break;
    }
    *tail = a;
    tail = &a->next;
    proto_change_t *c = &a->c;
    snprintf(c->hlc, sizeof c->hlc, "%s", col_text(st, 0));
    snprintf(c->uuid, sizeof c->uuid, "%s", col_text(st, 1));
    c->revision = sqlite3_column_int64(st, 2);
    c->base_revision = sqlite3_column_int64(st, 3);
    snprintf(c->base_hlc, sizeof c->base_hlc, "%s", col_text(st, 4));
    c->op = strcmp(col_text(st, 5), "delete") == 0 ? PROTO_OP_DELETE : PROTO_OP_UPSERT;
    snprintf(c->form_id, sizeof c->form_id, "%s", col_text(st, 6));
    c->form_version = sqlite3_column_int(st, 7);
    c->created_at = sqlite3_column_int64(st, 8);
    c->updated_at = sqlite3_column_int64(st, 9);
    c->origin = PROTO_ORIGIN_CENTRAL;
    char ad[STORE_AD_MAX];
    store_value_ad(ad, COL_ASIDE_DEDUP, c->uuid, c->hlc);
    if ((err = store_value_column_opt(s, st, 13, ad, c->uuid, "duplicate-detection data kept aside",
                                      c->dedup, sizeof c->dedup)) != SYNC_OK)
      break;
    store_value_ad(ad, COL_ASIDE_PAYLOAD, c->uuid, c->hlc);
    if ((err = store_value_column(s, st, 10, ad, c->uuid, "answers kept aside", &c->payload, NULL)) !=
        SYNC_OK)
      break;
    if ((sqlite3_column_type(st, 11) != SQLITE_NULL && !(c->author = strdup(col_text(st, 11)))) ||
        (sqlite3_column_type(st, 12) != SQLITE_NULL && !(c->sealed = strdup(col_text(st, 12))))) {
      err = store_fail(s, SYNC_ERR_NOMEM, "out of memory reading the revisions kept aside");
      break;
    }
  }
  sqlite3_finalize(st);
  if (err == SYNC_OK && rc != SQLITE_DONE)
    err = store_fail_sqlite(s, rc, "cannot read the revisions kept aside");
  if (err) {
    aside_free(head);
    return err;
  }
  *out = head;
  return SYNC_OK;
}

static sync_err_t aside_delete(sync_store_t *s, const char *hlc)
{
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(s->db, "DELETE FROM remote_pending WHERE hlc = ?1", -1, &st, NULL);
  if (rc != SQLITE_OK)
    return store_fail_sqlite(s, rc, "cannot update the revisions kept aside");
  sqlite3_bind_text(st, 1, hlc, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SYNC_OK : store_fail_sqlite(s, rc, "cannot update the revisions kept aside");
}

sync_err_t store_apply_recheck_aside(store_sync_t *ss, int64_t *applied)
{
  sync_store_t *s = store_sync_store(ss);
  aside_row_t *list = NULL;
  *applied = 0;
  sync_err_t err = aside_load(s, &list);
  for (aside_row_t *a = list; err == SYNC_OK && a; a = a->next) {
    apply_result_t res;
    char why[256];
    if ((err = apply_one(ss, &a->c, 1, &res, why, sizeof why)) != SYNC_OK)
      break;
    if (res == APPLY_HEAD)
      (*applied)++;
    if (res != APPLY_ASIDE)
      err = aside_delete(s, a->c.hlc);
  }
  aside_free(list);
  return err;
}
