/* Screening records: the write lifecycle, reading one record, its getters (sync/record.h).
 *
 * Every write runs in one transaction (or one savepoint of a user batch): the records row, and
 * for a final revision its record_revisions row and its outbox entry, plus the clock state in
 * meta. Validation happens before anything is written; on failure the transaction is rolled
 * back, so nothing of a failed write ever reaches the file.
 */
#include "store_internal.h"

#include <assert.h>
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sync_record {
  char uuid[UUID_TEXT_LEN + 1];
  char form_id[SYNC_FORM_ID_MAX + 1];
  int form_version;
  int64_t revision;
  char hlc[HLC_TEXT_MAX];
  sync_record_status_t status;
  int64_t created_at, updated_at;
  int deleted;
  int64_t id;     /* records.id */
  sync_delivery_t delivery;
  int64_t receipt_time;
  char refusal[256];
  char payload[]; /* NUL-terminated JSON object */
};

static const char *status_text(sync_record_status_t status)
{
  return status == SYNC_STATUS_FINAL ? "final" : "draft";
}

static const char *col_text(sqlite3_stmt *st, int col)
{
  const char *v = (const char *)sqlite3_column_text(st, col);
  return v ? v : "";
}

sync_record_t *record_from_row(sqlite3_stmt *st)
{
  const char *payload = col_text(st, 9);
  size_t plen = (size_t)sqlite3_column_bytes(st, 9);
  sync_record_t *r = malloc(sizeof *r + plen + 1);
  if (!r)
    return NULL;
  snprintf(r->uuid, sizeof r->uuid, "%s", col_text(st, 0));
  snprintf(r->form_id, sizeof r->form_id, "%s", col_text(st, 1));
  r->form_version = sqlite3_column_int(st, 2);
  r->revision = sqlite3_column_int64(st, 3);
  snprintf(r->hlc, sizeof r->hlc, "%s", col_text(st, 4));
  r->status = strcmp(col_text(st, 5), "final") == 0 ? SYNC_STATUS_FINAL : SYNC_STATUS_DRAFT;
  r->created_at = sqlite3_column_int64(st, 6);
  r->updated_at = sqlite3_column_int64(st, 7);
  r->deleted = sqlite3_column_int(st, 8) != 0;
  r->id = sqlite3_column_int64(st, 10);
  int64_t pending = sqlite3_column_int64(st, 11);
  r->receipt_time = sqlite3_column_int64(st, 12);
  snprintf(r->refusal, sizeof r->refusal, "%s", col_text(st, 13));
  if (pending > 0)
    r->delivery = SYNC_DELIVERY_PENDING;
  else if (sqlite3_column_type(st, 13) != SQLITE_NULL)
    r->delivery = SYNC_DELIVERY_REFUSED;
  else if (r->receipt_time > 0)
    r->delivery = SYNC_DELIVERY_DELIVERED;
  else
    r->delivery = SYNC_DELIVERY_LOCAL;
  memcpy(r->payload, payload, plen);
  r->payload[plen] = '\0';
  return r;
}

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
  if (rc == SQLITE_ROW && !(*out = record_from_row(st)))
    err = store_fail(s, SYNC_ERR_NOMEM, "out of memory reading record %s", uuid);
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

/* Inside a write transaction: stamps the clock and writes the records row; a final revision also
 * gets its record_revisions row and its outbox entry. *ins gets the rows inserted so far. */
static sync_err_t write_revision(sync_store_t *s, const revision_t *r, inserted_t *ins)
{
  char hlc[HLC_TEXT_MAX];
  sqlite3_stmt *st;
  sync_err_t err = store_hlc_stamp(s, hlc);
  if (err)
    return err;
  int64_t now = store_now_ms();
  const char *status = status_text(r->status);
  /* A final record's answers live in its revision row only (see store_schema.c). */
  const char *record_payload = r->status == SYNC_STATUS_FINAL ? NULL : r->payload;

  int64_t record_id = r->record_id;
  if (record_id == 0) {
    if ((err = store_stmt(s, STMT_REC_INSERT, &st)) != SYNC_OK)
      return err;
    sqlite3_bind_text(st, 1, r->uuid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->form_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, r->form_version);
    sqlite3_bind_int64(st, 4, r->revision);
    sqlite3_bind_text(st, 5, hlc, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, now);
    sqlite3_bind_text(st, 8, record_payload, -1, SQLITE_STATIC);
    err = step_write(s, st, "cannot save the record");
    record_id = ins->record_id = err ? 0 : sqlite3_last_insert_rowid(s->db);
  } else {
    if ((err = store_stmt(s, STMT_REC_UPDATE, &st)) != SYNC_OK)
      return err;
    sqlite3_bind_int64(st, 1, record_id);
    sqlite3_bind_int64(st, 2, r->revision);
    sqlite3_bind_text(st, 3, hlc, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now);
    sqlite3_bind_int(st, 6, r->deleted);
    sqlite3_bind_text(st, 7, record_payload, -1, SQLITE_STATIC);
    err = step_write(s, st, "cannot save the record");
  }
  if (err || r->status != SYNC_STATUS_FINAL)
    return err;

  if ((err = store_stmt(s, STMT_REV_INSERT, &st)) != SYNC_OK)
    return err;
  sqlite3_bind_int64(st, 1, record_id);
  sqlite3_bind_text(st, 2, r->uuid, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, r->revision);
  sqlite3_bind_text(st, 4, r->form_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 5, r->form_version);
  sqlite3_bind_text(st, 6, hlc, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 7, r->deleted);
  sqlite3_bind_text(st, 8, r->payload, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 9, now);
  if ((err = step_write(s, st, "cannot save the record's revision")) != SYNC_OK)
    return err;
  int64_t revision_id = ins->revision_id = sqlite3_last_insert_rowid(s->db);

  if ((err = store_stmt(s, STMT_OUTBOX_INSERT, &st)) != SYNC_OK)
    return err;
  sqlite3_bind_int64(st, 1, revision_id);
  sqlite3_bind_text(st, 2, r->uuid, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, r->revision);
  sqlite3_bind_text(st, 4, r->op, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, now);
  return step_write(s, st, "cannot queue the record for sync");
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
  revision_t r = { 0, uuid, form_id_, version, 1, status, 0, canonical, "upsert" };
  inserted_t ins = { 0, 0 };
  /* Bulk saves are batches of creates: undoing a failed one by deleting its new rows spares every
   * create the cost of a savepoint. */
  if ((err = store_write_begin(store, UNDO_BY_CALLER)) != SYNC_OK)
    goto done;
  if ((err = write_revision(store, &r, &ins)) != SYNC_OK && store->in_batch)
    undo_insert(store, &ins);
  if ((err = store_write_end(store, err == SYNC_OK, err)) == SYNC_OK && uuid_out)
    memcpy(uuid_out, uuid, sizeof uuid);
done:
  free(canonical);
  return err;
}

/* The state changes of an existing record. */
typedef enum change { CHANGE_UPDATE, CHANGE_FINALIZE, CHANGE_REVISE, CHANGE_DELETE, CHANGE_DISCARD } change_t;

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
  case CHANGE_REVISE:
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
                   NULL, "upsert" };
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
  case CHANGE_DELETE:
    r.deleted = 1;
    r.op = "delete";
    break;
  }
  if (err == SYNC_OK) {
    inserted_t ins = { 0, 0 };
    r.payload = canonical ? canonical : "{}";
    err = write_revision(s, &r, &ins);
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

/* ---- getters ------------------------------------------------------------------------------ */

void sync_record_free(sync_record_t *rec)
{
  free(rec);
}

const char *sync_record_uuid(const sync_record_t *rec) { return rec ? rec->uuid : ""; }
const char *sync_record_form_id(const sync_record_t *rec) { return rec ? rec->form_id : ""; }
int sync_record_form_version(const sync_record_t *rec) { return rec ? rec->form_version : 0; }
int64_t sync_record_revision(const sync_record_t *rec) { return rec ? rec->revision : 0; }
const char *sync_record_hlc(const sync_record_t *rec) { return rec ? rec->hlc : ""; }
sync_record_status_t sync_record_status(const sync_record_t *rec)
{
  return rec ? rec->status : SYNC_STATUS_DRAFT;
}
int64_t sync_record_created_at(const sync_record_t *rec) { return rec ? rec->created_at : 0; }
int64_t sync_record_updated_at(const sync_record_t *rec) { return rec ? rec->updated_at : 0; }
int sync_record_deleted(const sync_record_t *rec) { return rec ? rec->deleted : 0; }
const char *sync_record_payload(const sync_record_t *rec) { return rec ? rec->payload : "{}"; }
sync_delivery_t sync_record_delivery(const sync_record_t *rec) { return rec ? rec->delivery : SYNC_DELIVERY_LOCAL; }
int64_t sync_record_receipt_time(const sync_record_t *rec) { return rec ? rec->receipt_time : 0; }
const char *sync_record_refusal(const sync_record_t *rec) { return rec ? rec->refusal : ""; }

const char *sync_delivery_name(sync_delivery_t delivery)
{
  switch (delivery) {
  case SYNC_DELIVERY_LOCAL: return "local";
  case SYNC_DELIVERY_PENDING: return "pending";
  case SYNC_DELIVERY_DELIVERED: return "delivered";
  case SYNC_DELIVERY_REFUSED: return "refused";
  }
  return "unknown";
}

sync_err_t sync_record_to_json(const sync_record_t *rec, char **out_json)
{
  if (out_json)
    *out_json = NULL;
  if (!rec || !out_json)
    return SYNC_ERR_INVALID_ARG;
  cJSON *o = cJSON_CreateObject();
  /* The stored payload is canonical JSON written by form_validate: embed it as is. */
  if (!o || !cJSON_AddStringToObject(o, "uuid", rec->uuid) ||
      !cJSON_AddStringToObject(o, "form_id", rec->form_id) ||
      !cJSON_AddNumberToObject(o, "form_version", rec->form_version) ||
      !cJSON_AddNumberToObject(o, "revision", (double)rec->revision) ||
      !cJSON_AddStringToObject(o, "hlc", rec->hlc) ||
      !cJSON_AddStringToObject(o, "status", status_text(rec->status)) ||
      !cJSON_AddNumberToObject(o, "created_at", (double)rec->created_at) ||
      !cJSON_AddNumberToObject(o, "updated_at", (double)rec->updated_at) ||
      !cJSON_AddBoolToObject(o, "deleted", rec->deleted) ||
      !cJSON_AddStringToObject(o, "delivery", sync_delivery_name(rec->delivery)) ||
      !cJSON_AddNumberToObject(o, "receipt_time", (double)rec->receipt_time) ||
      (rec->delivery == SYNC_DELIVERY_REFUSED && !cJSON_AddStringToObject(o, "refusal", rec->refusal)) ||
      !cJSON_AddRawToObject(o, "payload", rec->payload)) {
    cJSON_Delete(o);
    return SYNC_ERR_NOMEM;
  }
  *out_json = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return *out_json ? SYNC_OK : SYNC_ERR_NOMEM;
}
