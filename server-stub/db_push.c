/* A push batch in one write transaction: idempotency by (device, uuid, revision), per-change
 * rejections (a sealed change without the device's valid signature among them, SECURITY.md 4),
 * fast-forward or conflict with a merged revision (PROTOCOL.md 3 and 5; db.h). */
#include "db_internal.h"
#include "device_sig.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "merge.h"
#include "uuid.h"

typedef struct push_ctx {
  db_conn_t *c;
  const char *device_id;
  const char *batch_id;
  int64_t now;
  db_validate_fn validate;
  void *vctx;
  char signing_key[PROTO_KEY_B64_LEN + 1]; /* the device's; "" = enrolled before signatures */
} push_ctx_t;

void db_receipts_free(proto_receipt_t *r, size_t n)
{
  for (size_t i = 0; r && i < n; i++) {
    db_change_free(r[i].merged);
    if (r[i].conflict) {
      for (size_t k = 0; k < r[i].conflict->n_fields; k++) {
        free(r[i].conflict->fields[k].device_value);
        free(r[i].conflict->fields[k].central_value);
      }
      free(r[i].conflict->fields);
      free(r[i].conflict);
    }
    err_free(r[i].error);
    memset(&r[i], 0, sizeof r[i]);
  }
}

/* ---- conflict rows -------------------------------------------------------------------------- */

static char *fields_to_json(const proto_conflict_field_t *f, size_t n)
{
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; arr && i < n; i++) {
    cJSON *o = cJSON_CreateObject();
    cJSON *dv = cJSON_Parse(f[i].device_value), *cv = cJSON_Parse(f[i].central_value);
    if (!o || !dv || !cv || !cJSON_AddStringToObject(o, "field", f[i].field) ||
        !cJSON_AddStringToObject(o, "winner", f[i].winner == PROTO_SIDE_DEVICE ? "device" : "central")) {
      cJSON_Delete(o);
      cJSON_Delete(dv);
      cJSON_Delete(cv);
      cJSON_Delete(arr);
      return NULL;
    }
    cJSON_AddItemToObject(o, "device_value", dv);
    cJSON_AddItemToObject(o, "central_value", cv);
    cJSON_AddItemToArray(arr, o);
  }
  char *text = arr ? cJSON_PrintUnformatted(arr) : NULL;
  cJSON_Delete(arr);
  return text;
}

static sync_err_t fields_from_json(const char *text, proto_conflict_t *out)
{
  cJSON *arr = cJSON_Parse(text);
  if (!cJSON_IsArray(arr)) {
    cJSON_Delete(arr);
    return SYNC_ERR_CORRUPT;
  }
  int n = cJSON_GetArraySize(arr);
  sync_err_t e = SYNC_OK;
  if (n > 0 && !(out->fields = calloc((size_t)n, sizeof *out->fields)))
    e = SYNC_ERR_NOMEM;
  for (const cJSON *it = arr->child; it && e == SYNC_OK; it = it->next) {
    proto_conflict_field_t *f = &out->fields[out->n_fields];
    const cJSON *field = cJSON_GetObjectItemCaseSensitive(it, "field");
    const cJSON *winner = cJSON_GetObjectItemCaseSensitive(it, "winner");
    snprintf(f->field, sizeof f->field, "%s", cJSON_IsString(field) ? field->valuestring : "");
    f->winner = cJSON_IsString(winner) && strcmp(winner->valuestring, "device") == 0
                  ? PROTO_SIDE_DEVICE : PROTO_SIDE_CENTRAL;
    const cJSON *dv = cJSON_GetObjectItemCaseSensitive(it, "device_value");
    const cJSON *cv = cJSON_GetObjectItemCaseSensitive(it, "central_value");
    f->device_value = dv ? cJSON_PrintUnformatted(dv) : strdup("null");
    f->central_value = cv ? cJSON_PrintUnformatted(cv) : strdup("null");
    out->n_fields++;
    if (!f->device_value || !f->central_value)
      e = SYNC_ERR_NOMEM;
  }
  cJSON_Delete(arr);
  return e;
}

/* The conflict part of a receipt for a merge that listed no field (no conflicts row): the
 * central head the device revision at dseq met is the newest central revision before it. */
static sync_err_t conflict_rebuild(db_conn_t *c, const char *conflict_id,
                                   const proto_change_t *ch, int64_t dseq, proto_conflict_t **out)
{
  sqlite3_stmt *st = db_stmt(c, ST_CONFLICT_CENTRAL_BEFORE,
                             "SELECT r.revision, r.hlc, (SELECT count(*) FROM record_keys b"
                             " WHERE b.uuid = ?1 AND b.hlc = ?3 AND b.server_seq < ?2)"
                             " FROM record_revisions r WHERE r.uuid = ?1 AND r.source = 'central'"
                             " AND r.server_seq < ?2 ORDER BY r.server_seq DESC LIMIT 1");
  if (!st)
    return SYNC_ERR_DB;
  sqlite3_bind_text(st, 1, ch->uuid, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, dseq);
  sqlite3_bind_text(st, 3, ch->base_hlc, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sync_err_t e = rc == SQLITE_ROW ? SYNC_OK : rc == SQLITE_DONE ? SYNC_ERR_CORRUPT : db_err(rc);
  proto_conflict_t *cf = e == SYNC_OK ? calloc(1, sizeof *cf) : NULL;
  if (e == SYNC_OK && !cf)
    e = SYNC_ERR_NOMEM;
  if (cf) {
    snprintf(cf->conflict_id, sizeof cf->conflict_id, "%s", conflict_id);
    cf->base_revision = ch->base_revision;
    if (sqlite3_column_int64(st, 2) > 0)
      snprintf(cf->base_hlc, sizeof cf->base_hlc, "%s", ch->base_hlc);
    cf->central_revision = sqlite3_column_int64(st, 0);
    db_col_text(st, 1, cf->central_hlc, sizeof cf->central_hlc);
  }
  sqlite3_reset(st);
  *out = cf;
  return e;
}

/* The conflict of a receipt: its conflicts row, or rebuilt when the merge listed no field. */
static sync_err_t conflict_load(db_conn_t *c, const char *conflict_id, const proto_change_t *ch,
                                int64_t dseq, proto_conflict_t **out)
{
  *out = NULL;
  sqlite3_stmt *st = db_stmt(c, ST_CONFLICT_GET,
                             "SELECT base_revision, base_hlc, central_revision, central_hlc, fields"
                             " FROM conflicts WHERE conflict_id = ?1");
  if (!st)
    return SYNC_ERR_DB;
  sqlite3_bind_text(st, 1, conflict_id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sync_err_t e;
  proto_conflict_t *cf = NULL;
  if (rc == SQLITE_DONE) {
    sqlite3_reset(st);
    return conflict_rebuild(c, conflict_id, ch, dseq, out);
  }
  if (rc != SQLITE_ROW) {
    e = db_err(rc);
    goto done;
  }
  if (!(cf = calloc(1, sizeof *cf))) {
    e = SYNC_ERR_NOMEM;
    goto done;
  }
  snprintf(cf->conflict_id, sizeof cf->conflict_id, "%s", conflict_id);
  cf->base_revision = sqlite3_column_int64(st, 0);
  db_col_text(st, 1, cf->base_hlc, sizeof cf->base_hlc);
  cf->central_revision = sqlite3_column_int64(st, 2);
  db_col_text(st, 3, cf->central_hlc, sizeof cf->central_hlc);
  e = fields_from_json((const char *)sqlite3_column_text(st, 4), cf);
  if (e == SYNC_OK) {
    *out = cf;
    cf = NULL;
  }
done:
  sqlite3_reset(st);
  if (cf) {
    proto_receipt_t tmp = {.conflict = cf};
    db_receipts_free(&tmp, 1);
  }
  return e;
}

static sync_err_t conflict_insert(db_conn_t *c, const char *uuid, const proto_conflict_t *cf,
                                  int64_t device_seq, int64_t central_seq, int64_t merged_seq,
                                  int64_t now)
{
  char *fields = fields_to_json(cf->fields, cf->n_fields);
  if (!fields)
    return SYNC_ERR_NOMEM;
  sqlite3_stmt *st = db_stmt(c, ST_CONFLICT_INSERT,
                             "INSERT INTO conflicts(conflict_id, uuid, device_seq, central_seq,"
                             " merged_seq, base_revision, base_hlc, central_revision, central_hlc,"
                             " fields, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  if (!st) {
    free(fields);
    return SYNC_ERR_DB;
  }
  sqlite3_bind_text(st, 1, cf->conflict_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, uuid, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, device_seq);
  sqlite3_bind_int64(st, 4, central_seq);
  sqlite3_bind_int64(st, 5, merged_seq);
  sqlite3_bind_int64(st, 6, cf->base_revision);
  if (cf->base_hlc[0])
    sqlite3_bind_text(st, 7, cf->base_hlc, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 8, cf->central_revision);
  sqlite3_bind_text(st, 9, cf->central_hlc, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 10, fields, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 11, now);
  free(fields);
  return db_step_done(st);
}

/* ---- one change ---------------------------------------------------------------------------- */

static proto_error_t *reject(proto_errcode_t code, const char *id, const char *en)
{
  return err_new(code, id, en);
}

/* Duplicate check: 1 = handled (duplicate or hlc mismatch), 0 = new, <0 = error (-sync_err). */
static int check_duplicate(push_ctx_t *p, const proto_change_t *ch, proto_receipt_t *r,
                           sync_err_t *err)
{
  sqlite3_stmt *st = db_stmt(p->c, ST_REV_BY_KEY,
                             "SELECT k.server_seq, k.hlc, r.received_at, r.outcome, r.merged_seq,"
                             " r.conflict_id FROM record_keys k JOIN record_revisions r"
                             " ON r.server_seq = k.server_seq"
                             " WHERE k.uuid = ?1 AND k.source = ?2 AND k.revision = ?3");
  if (!st) {
    *err = SYNC_ERR_DB;
    return -1;
  }
  sqlite3_bind_text(st, 1, ch->uuid, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, p->device_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, ch->revision);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) {
    sqlite3_reset(st);
    return 0;
  }
  if (rc != SQLITE_ROW) {
    *err = db_err(rc);
    sqlite3_reset(st);
    return -1;
  }
  int64_t seq = sqlite3_column_int64(st, 0);
  int same_hlc = strcmp((const char *)sqlite3_column_text(st, 1), ch->hlc) == 0;
  int64_t received_at = sqlite3_column_int64(st, 2);
  int was_conflict = strcmp((const char *)sqlite3_column_text(st, 3), "conflict") == 0;
  int64_t merged_seq = sqlite3_column_int64(st, 4);
  char conflict_id[PROTO_UUID_LEN + 1];
  db_col_text(st, 5, conflict_id, sizeof conflict_id);
  sqlite3_reset(st);

  if (!same_hlc) {
    char en[200], id[200];
    snprintf(en, sizeof en, "Revision %lld of this record was already received with another hlc.",
             (long long)ch->revision);
    snprintf(id, sizeof id, "Revisi %lld catatan ini sudah diterima dengan hlc lain.",
             (long long)ch->revision);
    r->outcome = PROTO_OUTCOME_REJECTED;
    if (!(r->error = reject(PROTO_E_INVALID_CHANGE, id, en))) {
      *err = SYNC_ERR_NOMEM;
      return -1;
    }
    return 1;
  }
  r->outcome = PROTO_OUTCOME_DUPLICATE;
  r->server_seq = seq;
  r->received_at = received_at;
  if (was_conflict && merged_seq && conflict_id[0]) {
    if ((*err = db_revision_load(p->c, merged_seq, &r->merged)) != SYNC_OK ||
        (*err = conflict_load(p->c, conflict_id, ch, seq, &r->conflict)) != SYNC_OK)
      return -1;
  }
  return 1;
}

typedef struct form_check_ctx {
  push_ctx_t *p;
  const char *form_id;
  int version;
} form_check_ctx_t;

static int merged_form_check(void *ctx, const char *payload, issue_list_t *issues)
{
  form_check_ctx_t *fc = ctx;
  return fc->p->validate ? (int)fc->p->validate(fc->p->vctx, fc->form_id, fc->version, payload,
                                                issues) : 0;
}

/* Looks up the base revision B by (uuid, hlc). *found = 0 when it is not on the server. */
static sync_err_t base_load(db_conn_t *c, const char *uuid, const char *hlc, int *found,
                            char **payload, int *deleted)
{
  *found = 0;
  *payload = NULL;
  if (!hlc[0])
    return SYNC_OK;
  sqlite3_stmt *st = db_stmt(c, ST_REV_BY_HLC,
                             "SELECT r.payload, r.op FROM record_keys k JOIN record_revisions r"
                             " ON r.server_seq = k.server_seq WHERE k.uuid = ?1 AND k.hlc = ?2"
                             " ORDER BY k.server_seq LIMIT 1");
  if (!st)
    return SYNC_ERR_DB;
  sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, hlc, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sync_err_t e = SYNC_OK;
  if (rc == SQLITE_ROW) {
    *found = 1;
    *deleted = strcmp((const char *)sqlite3_column_text(st, 1), "delete") == 0;
    if (!(*payload = db_col_dup(st, 0)))
      e = SYNC_ERR_NOMEM;
  } else if (rc != SQLITE_DONE) {
    e = db_err(rc);
  }
  sqlite3_reset(st);
  return e;
}

/* The head is a central revision this change was not based on: store the change as received,
 * merge it with the head, and make the merged revision the new head. */
static sync_err_t apply_conflict(push_ctx_t *p, const proto_change_t *ch, const db_head_t *h,
                                 proto_receipt_t *r)
{
  proto_change_t *central = NULL, *m = NULL;
  proto_conflict_t *cf = NULL;
  char *base_payload = NULL;
  merge_result_t mr = {0};
  int base_found = 0, base_deleted = 0;
  sync_err_t e;

  if ((e = db_revision_load(p->c, h->seq, &central)) != SYNC_OK ||
      (e = base_load(p->c, ch->uuid, ch->base_hlc, &base_found, &base_payload, &base_deleted)))
    goto done;

  merge_side_t bs = {base_payload, base_deleted, ch->base_hlc};
  merge_side_t ds = {ch->payload, ch->op == PROTO_OP_DELETE, ch->hlc};
  merge_side_t cs = {central->payload, central->op == PROTO_OP_DELETE, central->hlc};
  int central_wins = strcmp(central->hlc, ch->hlc) > 0;
  form_check_ctx_t fc = {p, central_wins ? central->form_id : ch->form_id,
                         central_wins ? central->form_version : ch->form_version};
  if ((e = merge_revisions(base_found ? &bs : NULL, &ds, &cs, merged_form_check, &fc, &mr)))
    goto done;

  m = calloc(1, sizeof *m);
  cf = calloc(1, sizeof *cf);
  if (!m || !cf) {
    e = SYNC_ERR_NOMEM;
    goto done;
  }
  snprintf(m->uuid, sizeof m->uuid, "%s", ch->uuid);
  int64_t maxrev = h->max_revision > ch->revision ? h->max_revision : ch->revision;
  m->revision = maxrev + 1;
  m->base_revision = ch->revision;
  snprintf(m->base_hlc, sizeof m->base_hlc, "%s", ch->hlc);
  m->op = mr.deleted ? PROTO_OP_DELETE : PROTO_OP_UPSERT;
  snprintf(m->form_id, sizeof m->form_id, "%s", mr.central_form ? central->form_id : ch->form_id);
  m->form_version = mr.central_form ? central->form_version : ch->form_version;
  if ((e = db_hlc_next(p->c, ch->hlc, central->hlc, m->hlc)) != SYNC_OK)
    goto done;
  m->created_at = h->created_at;
  m->updated_at = p->now;
  m->payload = mr.payload;
  mr.payload = NULL;
  m->origin = PROTO_ORIGIN_CENTRAL;
  if (!(m->author = strdup("system:merge"))) {
    e = SYNC_ERR_NOMEM;
    goto done;
  }

  if (uuid_v4(cf->conflict_id) != 0) {
    e = SYNC_ERR_INTERNAL;
    goto done;
  }
  cf->base_revision = ch->base_revision;
  if (base_found)
    snprintf(cf->base_hlc, sizeof cf->base_hlc, "%s", ch->base_hlc);
  cf->central_revision = h->revision;
  snprintf(cf->central_hlc, sizeof cf->central_hlc, "%s", h->hlc);
  cf->fields = mr.fields;
  cf->n_fields = mr.n_fields;
  mr.fields = NULL;
  mr.n_fields = 0;

  int64_t dseq = db_next_seq(p->c), mseq = db_next_seq(p->c);
  db_rev_row_t drow = {.seq = dseq, .ch = ch, .source = p->device_id, .received_at = p->now,
                       .batch_id = p->batch_id, .outcome = "conflict", .merged_seq = mseq,
                       .conflict_id = cf->conflict_id};
  db_rev_row_t mrow = {.seq = mseq, .ch = m, .source = "central", .audience = h->creator,
                       .received_at = p->now, .outcome = "central", .make_head = 1};
  /* The device's revision is stored first so that its sealed text can be the merged one's. */
  /* A merge where nothing truly clashed (e.g. a central status change and an unrelated device
   * edit) leaves nothing to review: no conflicts row; the receipt lists no fields. */
  if ((e = db_revision_insert(p->c, &drow)) != SYNC_OK ||
      (e = db_carry_along(p->c, ch->uuid, m)) != SYNC_OK ||
      (e = db_revision_insert(p->c, &mrow)) != SYNC_OK ||
      (cf->n_fields &&
       (e = conflict_insert(p->c, ch->uuid, cf, dseq, h->seq, mseq, p->now)) != SYNC_OK))
    goto done;

  r->outcome = PROTO_OUTCOME_CONFLICT;
  r->server_seq = dseq;
  r->received_at = p->now;
  r->merged = m;
  r->conflict = cf;
  m = NULL;
  cf = NULL;
done:
  if (cf) {
    proto_receipt_t tmp = {.conflict = cf};
    db_receipts_free(&tmp, 1);
  }
  db_change_free(m);
  db_change_free(central);
  free(base_payload);
  merge_result_free(&mr);
  return e;
}

/* NULL when the change is signed as SECURITY.md 4 asks (or needs no signature), else the refusal.
 * A device with a signing key must sign every sealed upsert; a device enrolled before signatures
 * has none, sends none, and its records are exported flagged `unsigned`. */
static const char *signature_refusal(const push_ctx_t *p, const proto_change_t *ch, const char **id)
{
  if (!ch->sealed || ch->op != PROTO_OP_UPSERT)
    return NULL;
  if (!p->signing_key[0]) {
    *id = "Perangkat ini belum memiliki kunci tanda tangan; daftarkan ulang perangkat.";
    return ch->device_sig[0] ? "This device has no signing key on the server; enrol it again."
                             : NULL;
  }
  if (!ch->device_sig[0]) {
    *id = "Jawaban tersegel tidak ditandatangani oleh perangkat.";
    return "The sealed answers are not signed by the device.";
  }
  if (devsig_verify(p->signing_key, p->device_id, ch) != SYNC_OK) {
    *id = "Tanda tangan perangkat atas jawaban tersegel tidak cocok.";
    return "The device's signature of the sealed answers does not verify.";
  }
  return NULL;
}

/* Keeps the verified signature with the stored revision, and the key it was checked against. */
static sync_err_t keep_signature(push_ctx_t *p, const proto_change_t *ch, int64_t seq)
{
  sqlite3_stmt *st = db_stmt(p->c, ST_REV_SET_SIG,
                             "UPDATE record_revisions SET device_sig = ?2, sig_key = ?3"
                             " WHERE server_seq = ?1");
  if (!st)
    return SYNC_ERR_DB;
  sqlite3_bind_int64(st, 1, seq);
  sqlite3_bind_text(st, 2, ch->device_sig, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, p->signing_key, -1, SQLITE_STATIC);
  return db_step_done(st);
}

static sync_err_t apply_one(push_ctx_t *p, const proto_change_t *ch, proto_error_t **precheck,
                            proto_receipt_t *r);

static sync_err_t apply_change(push_ctx_t *p, const proto_change_t *ch, proto_error_t **precheck,
                               proto_receipt_t *r)
{
  sync_err_t e = apply_one(p, ch, precheck, r);
  if (e == SYNC_OK && ch->device_sig[0] &&
      (r->outcome == PROTO_OUTCOME_STORED || r->outcome == PROTO_OUTCOME_CONFLICT))
    e = keep_signature(p, ch, r->server_seq);
  return e;
}

static sync_err_t apply_one(push_ctx_t *p, const proto_change_t *ch, proto_error_t **precheck,
                            proto_receipt_t *r)
{
  sync_err_t e = SYNC_OK;
  snprintf(r->uuid, sizeof r->uuid, "%s", ch->uuid);
  r->revision = ch->revision;

  int dup = check_duplicate(p, ch, r, &e);
  if (dup != 0)
    return dup < 0 ? e : SYNC_OK;

  if (*precheck) {
    r->outcome = PROTO_OUTCOME_REJECTED;
    r->error = *precheck;
    *precheck = NULL;
    return SYNC_OK;
  }
  const char *sig_id = NULL, *sig_en = signature_refusal(p, ch, &sig_id);
  if (sig_en) {
    r->outcome = PROTO_OUTCOME_REJECTED;
    r->error = reject(PROTO_E_INVALID_CHANGE, sig_id, sig_en);
    return r->error ? SYNC_OK : SYNC_ERR_NOMEM;
  }

  db_head_t h;
  if ((e = db_head_get(p->c, ch->uuid, &h)) != SYNC_OK)
    return e;
  if (h.found && strcmp(h.creator, p->device_id) != 0) {
    r->outcome = PROTO_OUTCOME_REJECTED;
    r->error = reject(PROTO_E_FORBIDDEN, "Catatan ini dibuat oleh perangkat lain.",
                      "This record was created by another device.");
    return r->error ? SYNC_OK : SYNC_ERR_NOMEM;
  }

  if (!h.found || strcmp(h.hlc, ch->base_hlc) == 0 || strcmp(h.source, p->device_id) == 0) {
    /* A late older revision of the device's own head is kept as history; the head stays. */
    int late = h.found && strcmp(h.source, p->device_id) == 0 && ch->revision < h.revision;
    int64_t seq = db_next_seq(p->c);
    db_rev_row_t row = {.seq = seq, .ch = ch, .source = p->device_id, .received_at = p->now,
                        .batch_id = p->batch_id, .outcome = "stored", .make_head = !late};
    if ((e = db_revision_insert(p->c, &row)) != SYNC_OK)
      return e;
    r->outcome = PROTO_OUTCOME_STORED;
    r->server_seq = seq;
    r->received_at = p->now;
    return SYNC_OK;
  }
  return apply_conflict(p, ch, &h, r);
}

static sync_err_t log_batch(push_ctx_t *p, size_t n, const db_push_stats_t *s)
{
  sqlite3_stmt *st = db_stmt(p->c, ST_BATCH_INSERT,
                             "INSERT INTO push_batches(batch_id, device_id, received_at, changes,"
                             " stored, duplicate, conflict, rejected) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
                             " ?7, ?8)");
  if (!st)
    return SYNC_ERR_DB;
  sqlite3_bind_text(st, 1, p->batch_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, p->device_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, p->now);
  sqlite3_bind_int64(st, 4, (int64_t)n);
  sqlite3_bind_int(st, 5, s->stored);
  sqlite3_bind_int(st, 6, s->duplicate);
  sqlite3_bind_int(st, 7, s->conflict);
  sqlite3_bind_int(st, 8, s->rejected);
  sync_err_t e = db_step_done(st);
  if (e != SYNC_OK)
    return e;
  st = db_stmt(p->c, ST_DEV_COUNT_RECEIVED,
               "UPDATE devices SET records_received = records_received + ?2, last_seen_at = ?3"
               " WHERE device_id = ?1");
  if (!st)
    return SYNC_ERR_DB;
  sqlite3_bind_text(st, 1, p->device_id, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, s->stored + s->conflict);
  sqlite3_bind_int64(st, 3, p->now);
  return db_step_done(st);
}

sync_err_t db_push(db_conn_t *c, const char *device_id, const proto_push_req_t *req,
                   proto_error_t **prechecks, db_validate_fn validate, void *vctx,
                   proto_receipt_t *receipts, db_push_stats_t *stats)
{
  memset(stats, 0, sizeof *stats);
  push_ctx_t p = {c, device_id, req->batch_id, db_now_ms(), validate, vctx, ""};
  sync_err_t e = db_begin_write(c);
  if (e != SYNC_OK)
    return e;
  db_device_t dev;
  if ((e = db_device_get(c, device_id, &dev)) != SYNC_OK)
    goto fail;
  memcpy(p.signing_key, dev.signing_key, sizeof p.signing_key);
  for (size_t i = 0; i < req->n_changes; i++) {
    proto_error_t *none = NULL;
    proto_error_t **pre = prechecks ? &prechecks[i] : &none;
    if ((e = apply_change(&p, &req->changes[i], pre, &receipts[i])) != SYNC_OK)
      goto fail;
    switch (receipts[i].outcome) {
    case PROTO_OUTCOME_STORED: stats->stored++; break;
    case PROTO_OUTCOME_DUPLICATE: stats->duplicate++; break;
    case PROTO_OUTCOME_CONFLICT: stats->conflict++; break;
    default: stats->rejected++; break;
    }
  }
  if ((e = log_batch(&p, req->n_changes, stats)) != SYNC_OK || (e = db_commit(c)) != SYNC_OK)
    goto fail;
  return SYNC_OK;
fail:
  db_rollback(c);
  db_receipts_free(receipts, req->n_changes);
  memset(stats, 0, sizeof *stats);
  return e;
}
