/* Screening records: the write lifecycle, reading one record, its getters (sync/record.h).
 *
 * Every write runs in one transaction (or one savepoint of a user batch): the records row, and
 * for a final revision its record_revisions row and its outbox entry, plus the clock state in
 * meta. Validation happens before anything is written; on failure the transaction is rolled
 * back, so nothing of a failed write ever reaches the file.
 *
 * Answers are written encrypted (store_crypto.h). A final revision of an encrypted form keeps as
 * payload only the clear part, with the full answers sealed to the central office beside it
 * (proto/SECURITY.md 4); forms with duplicate_key get the revision's dedup hash, encrypted like
 * the answers (SECURITY.md 9: it is a keyed hash of who the person is).
 */
#include "form_seal.h"
#include "store_crypto.h"

#include <assert.h>
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading ------------------------------------------------------------------------------ */

static sync_err_t load(sync_store_t *s, const char *uuid, sync_record_t **out)
{
  sqlite3_stmt *st;
  sync_err_t err = store_stmt(s, STMT_REC_GET, &st);
  if (err)
    return err;
  *out = NULL;
  sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    err = record_from_row(s, st, out);
  int rrc = sqlite3_reset(st);
  if (rc == SQLITE_DONE)
    return store_fail(s, SYNC_ERR_NOT_FOUND, "no record %s in this store", uuid);
  if (rc != SQLITE_ROW)
    return store_fail_sqlite(s, rrc != SQLITE_OK ? rrc : rc, "cannot read the record");
  return err;
}

/* Checks the arguments every uuid-taking call shares; sets errmsg. */
static sync_err_t check_uuid(sync_store_t *s, const char *uuid)
{
  if (!uuid)
    return store_fail(s, SYNC_ERR_INVALID_ARG, "uuid is NULL");
  if (!uuid_is_valid(uuid))
    return store_fail(s, SYNC_ERR_INVALID_ARG, "'%.40s' is not a record UUID", uuid);
  return SYNC_OK;
}

sync_err_t sync_record_get(sync_store_t *store, const char *uuid, sync_record_t **out)
{
  if (out)
    *out = NULL;
  if (!store || !out)
    return store ? store_fail(store, SYNC_ERR_INVALID_ARG, "out is NULL") : SYNC_ERR_INVALID_ARG;
  store_reset_error(store, 0);
  sync_err_t err = check_uuid(store, uuid);
  return err ? err : load(store, uuid, out);
}

/* ---- writing ------------------------------------------------------------------------------ */

/* One revision of a record to write. */
typedef struct revision {
  int64_t record_id;           /* records.id; 0 for a new record */
  const char *uuid;
  const char *form_id;
  int form_version;
  int64_t revision;            /* 1 for a new record */
  sync_record_status_t status;
  int deleted;
  const char *payload;
  const char *op;              /* outbox op for a final revision: "upsert" / "delete" */
  int supersede_pending;       /* a re-send: earlier revisions not yet acknowledged are not sent */
} revision_t;

static sync_err_t step_write(sync_store_t *s, sqlite3_stmt *st, const char *what)
{
  int rc = store_step_done(st);
  sqlite3_clear_bindings(st);
  return rc == SQLITE_DONE ? SYNC_OK : store_fail_sqlite(s, rc, what);
}

/* Rows a write inserted, so that it can remove them again (UNDO_BY_CALLER). */
typedef struct inserted {
  int64_t record_id;    /* a new records row */
  int64_t revision_id;  /* a new record_revisions row */
} inserted_t;

/* What a final revision stores: its payload (the clear part when sealed), the sealed text and the
 * dedup hash. */
typedef struct stored {
  const char *payload;
  char *clear;          /* owned: the clear part of a sealed revision */
  char *sealed;         /* owned */
  char dedup[65];
} stored_t;

/* Seals the answers of a final revision of an encrypted form and hashes them for duplicate
 * detection (SECURITY.md 4, 9). Tombstones carry neither. */
static sync_err_t prepare_final(sync_store_t *s, const form_t *f, const revision_t *r,
                                const char *hlc, stored_t *out)
{
  out->payload = r->payload;
  if (r->deleted || !f)
    return SYNC_OK;
  size_t len = strlen(r->payload);
  sync_err_t err = SYNC_OK;
  if (form_has_dedup(f) && (err = form_dedup_hash(f, r->payload, len, out->dedup)) != SYNC_OK)
    return store_fail(s, err, "cannot compute the duplicate-detection hash of record %s", r->uuid);
  if (!form_is_encrypted(f))
    return SYNC_OK;
  if ((err = form_seal(f, r->uuid, r->payload, len, &out->sealed)) != SYNC_OK ||
      (err = form_clear_part(f, r->payload, len, &out->clear)) != SYNC_OK)
    return store_fail(s, err, "cannot seal record %s for the central office: %s", r->uuid,
                      sync_strerror(err));
  out->payload = out->clear;
  return SYNC_OK;
}

static void stored_free(stored_t *st)
{
  free(st->clear);
  free(st->sealed);
}

static void bind_text_or_null(sqlite3_stmt *st, int idx, const char *text)
{
  if (text && *text)
    sqlite3_bind_text(st, idx, text, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, idx);
}

/* The records row of a write: a draft keeps its answers there (encrypted), a final record's live
 * in its revision row only (see store_schema.c). */
static sync_err_t write_record_row(sync_store_t *s, const revision_t *r, const char *hlc,
                                   int64_t now, inserted_t *ins, int64_t *record_id)
{
  sqlite3_stmt *st;
  char ad[STORE_AD_MAX];
  int draft = r->status != SYNC_STATUS_FINAL;
  int insert = r->record_id == 0;
  sync_err_t err = store_stmt(s, insert ? STMT_REC_INSERT : STMT_REC_UPDATE, &st);
  if (err)
    return err;
  int payload_idx = insert ? 8 : 7;
  if (draft) {
    store_value_ad_int(ad, COL_RECORD_PAYLOAD, r->uuid, r->revision);
    if ((err = store_value_bind(s, st, payload_idx, ad, r->payload, (size_t)-1)) != SYNC_OK) {
      sqlite3_clear_bindings(st);
      return err;
    }
  }
  if (insert) {
    sqlite3_bind_text(st, 1, r->uuid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->form_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, r->form_version);
    sqlite3_bind_int64(st, 4, r->revision);
    sqlite3_bind_text(st, 5, hlc, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, record_status_text(r->status), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, now);
    err = step_write(s, st, "cannot save the record");
    *record_id = ins->record_id = err ? 0 : sqlite3_last_insert_rowid(s->db);
    return err;
  }
  sqlite3_bind_int64(st, 1, r->record_id);
  sqlite3_bind_int64(st, 2, r->revision);
  sqlite3_bind_text(st, 3, hlc, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, record_status_text(r->status), -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, now);
  sqlite3_bind_int(st, 6, r->deleted);
  *record_id = r->record_id;
  return step_write(s, st, "cannot save the record");
}

/* Inside a write transaction: stamps the clock and writes the records row; a final revision also
 * gets its record_revisions row (sealed when its form is encrypted: `f`, NULL for a tombstone) and
 * its outbox entry. *ins gets the rows inserted so far. */
static sync_err_t write_revision(sync_store_t *s, const form_t *f, const revision_t *r, inserted_t *ins)
{
  char hlc[HLC_TEXT_MAX], ad[STORE_AD_MAX];
  sqlite3_stmt *st;
  stored_t out = { NULL, NULL, NULL, "" };
  int64_t record_id = 0, now = store_now_ms();
  sync_err_t err = store_hlc_stamp(s, hlc);
  if (err || (err = write_record_row(s, r, hlc, now, ins, &record_id)) != SYNC_OK ||
      r->status != SYNC_STATUS_FINAL)
    return err;

  if ((err = prepare_final(s, f, r, hlc, &out)) != SYNC_OK ||
      (err = store_stmt(s, STMT_REV_INSERT, &st)) != SYNC_OK)
    goto done;
  store_value_ad_int(ad, COL_REVISION_PAYLOAD, r->uuid, r->revision);
  if ((err = store_value_bind(s, st, 8, ad, out.payload, (size_t)-1)) != SYNC_OK) {
    sqlite3_clear_bindings(st);
    goto done;
  }
  sqlite3_bind_int64(st, 1, record_id);
  sqlite3_bind_text(st, 2, r->uuid, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, r->revision);
  sqlite3_bind_text(st, 4, r->form_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 5, r->form_version);
  sqlite3_bind_text(st, 6, hlc, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 7, r->deleted);
  sqlite3_bind_int64(st, 9, now);
  bind_text_or_null(st, 10, out.sealed);
  store_value_ad_int(ad, COL_REVISION_DEDUP, r->uuid, r->revision);
  if ((err = store_value_bind_opt(s, st, 11, ad, out.dedup)) != SYNC_OK) {
    sqlite3_clear_bindings(st);
    goto done;
  }
  if ((err = step_write(s, st, "cannot save the record's revision")) != SYNC_OK)
    goto done;
  int64_t revision_id = ins->revision_id = sqlite3_last_insert_rowid(s->db);

  /* A new revision supersedes the refusals of earlier ones (and, for a re-send, every earlier
   * revision still waiting): the officer has dealt with them, and they are not sent. */
  if (r->revision > 1) {
    if ((err = store_stmt(s, STMT_OUTBOX_SUPERSEDE, &st)) != SYNC_OK)
      goto done;
    sqlite3_bind_int64(st, 1, record_id);
    sqlite3_bind_int(st, 2, r->supersede_pending);
    if ((err = step_write(s, st, "cannot set aside the superseded revisions")) != SYNC_OK)
      goto done;
  }

  if ((err = store_stmt(s, STMT_OUTBOX_INSERT, &st)) != SYNC_OK)
    goto done;
  sqlite3_bind_int64(st, 1, revision_id);
  sqlite3_bind_text(st, 2, r->uuid, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, r->revision);
  sqlite3_bind_text(st, 4, r->op, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, now);
  err = step_write(s, st, "cannot queue the record for sync");
done:
  stored_free(&out);
  return err;
}

/* Validates answers against the record's form; *canonical gets the payload to store. */
static sync_err_t validate(sync_store_t *s, const form_t *f, const char *payload, size_t len,
                           validate_mode_t mode, char **canonical)
{
  *canonical = NULL;
  sync_err_t err = form_validate(f, payload, len, mode, s->language, store_today_days(), canonical, &s->issues);
  if (err == SYNC_ERR_VALIDATION || err == SYNC_ERR_JSON)
    return store_fail_issues(s, err);
  if (err)
    return store_fail(s, err, "cannot validate the answers: %s", sync_strerror(err));
  if (!*canonical)
    return store_fail(s, SYNC_ERR_INTERNAL, "validation returned no payload");
  return SYNC_OK;
}

/* Checks a payload argument; *len gets its length. */
static sync_err_t check_payload(sync_store_t *s, const char *payload, size_t *len)
{
  if (!payload)
    return store_fail(s, SYNC_ERR_INVALID_ARG, "payload_json is NULL");
  *len = strnlen(payload, SYNC_MAX_PAYLOAD + 1);
  if (*len > SYNC_MAX_PAYLOAD)
    return store_fail(s, SYNC_ERR_TOO_LARGE, "the payload is larger than %u bytes", SYNC_MAX_PAYLOAD);
  return SYNC_OK;
}

/* Deletes a row by id without touching errmsg (it holds the error being undone). */
static int delete_row(sync_store_t *s, store_stmt_id_t id, int64_t rowid)
{
  sqlite3_stmt *st;
  if (store_stmt(s, id, &st) != SYNC_OK)
    return SQLITE_ERROR;
  sqlite3_bind_int64(st, 1, rowid);
  return store_step_done(st);
}

/* Removes the rows of a new record whose write failed half-way inside a batch. If that fails
 * too, the whole batch goes rather than half a record staying in it. */
static void undo_insert(sync_store_t *s, const inserted_t *ins)
{
  if (sqlite3_get_autocommit(s->db))
    return; /* SQLite already rolled the batch back */
  if ((ins->revision_id && delete_row(s, STMT_REV_DELETE, ins->revision_id) != SQLITE_DONE) ||
      (ins->record_id && delete_row(s, STMT_REC_DELETE, ins->record_id) != SQLITE_DONE))
    store_write_abandon_batch(s);
}

sync_err_t sync_record_create(sync_store_t *store, const char *form_id_, int form_version,
                              const char *payload_json, sync_record_status_t status, char *uuid_out)
{
  if (uuid_out)
    uuid_out[0] = '\0';
  if (!store)
    return SYNC_ERR_INVALID_ARG;
  store_reset_error(store, 1);
  size_t len = 0;
  sync_err_t err = store_check_writable(store);
  if (err)
    return err;
  if (!form_id_ || form_version < 0 || (status != SYNC_STATUS_DRAFT && status != SYNC_STATUS_FINAL))
    return store_fail(store, SYNC_ERR_INVALID_ARG, "invalid form or status");
  if ((err = check_payload(store, payload_json, &len)) != SYNC_OK)
    return err;

  char *canonical = NULL;
  int version;
  const form_t *f;
  if ((err = store_form_get(store, form_id_, form_version, &f, &version)) != SYNC_OK ||
      (err = validate(store, f, payload_json, len,
                      status == SYNC_STATUS_FINAL ? VALIDATE_FINAL : VALIDATE_DRAFT, &canonical)) != SYNC_OK)
    goto done;

  char uuid[UUID_TEXT_LEN + 1];
  if (uuid_v4(uuid) != 0) {
    err = store_fail(store, SYNC_ERR_INTERNAL, "cannot initialise libsodium's random generator");
    goto done;
  }
  revision_t r = { 0, uuid, form_id_, version, 1, status, 0, canonical, "upsert", 0 };
  inserted_t ins = { 0, 0 };
  /* Bulk saves are batches of creates: undoing a failed one by deleting its new rows spares every
   * create the cost of a savepoint. */
  if ((err = store_write_begin(store, UNDO_BY_CALLER)) != SYNC_OK)
    goto done;
  if ((err = write_revision(store, f, &r, &ins)) != SYNC_OK && store->in_batch)
    undo_insert(store, &ins);
  if ((err = store_write_end(store, err == SYNC_OK, err)) == SYNC_OK && uuid_out)
    memcpy(uuid_out, uuid, sizeof uuid);
done:
  free(canonical);
  return err;
}

/* The state changes of an existing record. RESEND and RESEAL write the record's answers again as
 * a new revision, validated (and sealed) under the form the store holds now: RESEND for a refused
 * record, RESEAL for one still waiting or refused after the server's form replaced the local one
 * (record_reseal). */
typedef enum change {
  CHANGE_UPDATE, CHANGE_FINALIZE, CHANGE_REVISE, CHANGE_DELETE, CHANGE_DISCARD, CHANGE_RESEND,
  CHANGE_RESEAL
} change_t;

/* Is `change` allowed for `rec`? Sets errmsg when not. */
static sync_err_t check_state(sync_store_t *s, const sync_record_t *rec, change_t change)
{
  int draft = rec->status == SYNC_STATUS_DRAFT;
  if (rec->deleted)
    return store_fail(s, SYNC_ERR_STATE, "record %s is deleted", rec->uuid);
  switch (change) {
  case CHANGE_UPDATE:
    return draft ? SYNC_OK
                 : store_fail(s, SYNC_ERR_STATE, "record %s is final: write a new revision with "
                                                 "sync_record_revise()", rec->uuid);
  case CHANGE_FINALIZE:
    return draft ? SYNC_OK : store_fail(s, SYNC_ERR_STATE, "record %s is already final", rec->uuid);
  case CHANGE_DISCARD:
    return draft ? SYNC_OK
                 : store_fail(s, SYNC_ERR_STATE, "record %s is final: only drafts can be discarded; "
                                                 "use sync_record_delete()", rec->uuid);
  case CHANGE_RESEND:
  case CHANGE_RESEAL:
    if (draft)
      return store_fail(s, SYNC_ERR_STATE, "record %s is a draft: finalize it", rec->uuid);
    if (change == CHANGE_RESEND && rec->delivery != SYNC_DELIVERY_REFUSED)
      return store_fail(s, SYNC_ERR_STATE, "record %s was not refused: it is %s", rec->uuid,
                        sync_delivery_name(rec->delivery));
    if (rec->sealed)
      return store_fail(s, SYNC_ERR_STATE, "record %s was sealed on this device: its answers "
                        "cannot be read or sent again from here. Enter the interview again as a "
                        "new record, or ask central staff", rec->uuid);
    /* fall through */
  case CHANGE_REVISE:
    if (rec->purged)
      return store_fail(s, SYNC_ERR_STATE, "record %s was purged after delivery (retention): its "
                        "answers are no longer on this device", rec->uuid);
    if (rec->sealed)
      return store_fail(s, SYNC_ERR_STATE, "record %s is sealed for the central office: "
                        "corrections are made centrally", rec->uuid);
    /* fall through */
  case CHANGE_DELETE:
    return !draft ? SYNC_OK
                  : store_fail(s, SYNC_ERR_STATE, "record %s is a draft: %s", rec->uuid,
                               change == CHANGE_REVISE ? "update it with sync_record_update()"
                                                       : "discard it with sync_record_discard()");
  }
  return SYNC_ERR_INTERNAL;
}

static sync_err_t discard_row(sync_store_t *s, int64_t record_id)
{
  sqlite3_stmt *st;
  sync_err_t err = store_stmt(s, STMT_REC_DELETE, &st);
  if (err)
    return err;
  sqlite3_bind_int64(st, 1, record_id);
  return step_write(s, st, "cannot discard the draft");
}

/* Applies `change` to an existing record in one write transaction: reads it (inside the
 * transaction, so another handle cannot slip a write in between), checks its state, validates
 * the new answers and writes the next revision. */
static sync_err_t change_record(sync_store_t *s, const char *uuid, change_t change, const char *payload)
{
  if (!s)
    return SYNC_ERR_INVALID_ARG;
  store_reset_error(s, 1);
  size_t len = 0;
  sync_err_t err = store_check_writable(s);
  if (err || (err = check_uuid(s, uuid)) != SYNC_OK)
    return err;
  if ((change == CHANGE_UPDATE || change == CHANGE_REVISE) && (err = check_payload(s, payload, &len)) != SYNC_OK)
    return err;
  if ((err = store_write_begin(s, UNDO_SAVEPOINT)) != SYNC_OK)
    return err;

  sync_record_t *rec = NULL;
  char *canonical = NULL;
  const form_t *f = NULL;
  if ((err = load(s, uuid, &rec)) != SYNC_OK || (err = check_state(s, rec, change)) != SYNC_OK)
    goto end;
  assert(rec->id > 0);
  if (change != CHANGE_DISCARD && change != CHANGE_DELETE &&
      (err = store_form_get(s, rec->form_id, rec->form_version, &f, NULL)) != SYNC_OK)
    goto end;
  revision_t r = { rec->id, rec->uuid, rec->form_id, rec->form_version, rec->revision + 1, rec->status, 0,
                   NULL, "upsert", change == CHANGE_RESEND || change == CHANGE_RESEAL };
  switch (change) {
  case CHANGE_DISCARD:
    err = discard_row(s, rec->id);
    goto end;
  case CHANGE_UPDATE:
    err = validate(s, f, payload, len, VALIDATE_DRAFT, &canonical);
    break;
  case CHANGE_FINALIZE:
    r.status = SYNC_STATUS_FINAL;
    err = validate(s, f, rec->payload, strlen(rec->payload),
                   VALIDATE_FINAL, &canonical);
    break;
  case CHANGE_REVISE:
    err = validate(s, f, payload, len, VALIDATE_FINAL, &canonical);
    break;
  case CHANGE_RESEND:
  case CHANGE_RESEAL:
    err = validate(s, f, rec->payload, strlen(rec->payload), VALIDATE_FINAL, &canonical);
    break;
  case CHANGE_DELETE:
    r.deleted = 1;
    r.op = "delete";
    break;
  }
  if (err == SYNC_OK) {
    inserted_t ins = { 0, 0 };
    r.payload = canonical ? canonical : "{}";
    err = write_revision(s, f, &r, &ins);
  }
end:
  err = store_write_end(s, err == SYNC_OK, err);
  free(canonical);
  free(rec);
  return err;
}

sync_err_t sync_record_update(sync_store_t *store, const char *uuid, const char *payload_json)
{
  return change_record(store, uuid, CHANGE_UPDATE, payload_json);
}

sync_err_t sync_record_finalize(sync_store_t *store, const char *uuid)
{
  return change_record(store, uuid, CHANGE_FINALIZE, NULL);
}

sync_err_t sync_record_revise(sync_store_t *store, const char *uuid, const char *payload_json)
{
  return change_record(store, uuid, CHANGE_REVISE, payload_json);
}

sync_err_t sync_record_discard(sync_store_t *store, const char *uuid)
{
  return change_record(store, uuid, CHANGE_DISCARD, NULL);
}

sync_err_t sync_record_delete(sync_store_t *store, const char *uuid)
{
  return change_record(store, uuid, CHANGE_DELETE, NULL);
}


sync_err_t sync_record_resend(sync_store_t *store, const char *uuid)
{
  return change_record(store, uuid, CHANGE_RESEND, NULL);
}

sync_err_t record_reseal(sync_store_t *store, const char *uuid)
{
  return change_record(store, uuid, CHANGE_RESEAL, NULL);
}
