/* Records as read from the store: building one from a row (decrypting its answers), the getters
 * and the JSON form (sync/record.h). */
#include "refusal.h"
#include "store_crypto.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *record_status_text(sync_record_status_t status)
{
  return status == SYNC_STATUS_FINAL ? "final" : "draft";
}

static const char *col_text(sqlite3_stmt *st, int col)
{
  const char *v = (const char *)sqlite3_column_text(st, col);
  return v ? v : "";
}

sync_err_t record_from_row(sync_store_t *s, sqlite3_stmt *st, sync_record_t **out)
{
  char uuid[UUID_TEXT_LEN + 1], ad[STORE_AD_MAX];
  *out = NULL;
  snprintf(uuid, sizeof uuid, "%s", col_text(st, 0));
  int64_t revision = sqlite3_column_int64(st, 3);
  int final = strcmp(col_text(st, 5), "final") == 0;
  /* A draft's answers are in records.payload, a final record's in its current revision. */
  store_value_ad_int(ad, final ? COL_REVISION_PAYLOAD : COL_RECORD_PAYLOAD, uuid, revision);
  char *payload = NULL;
  size_t plen = 0;
  sync_err_t err = store_value_column(s, st, 9, ad, uuid, "answers", &payload, &plen);
  if (err)
    return err;
  sync_record_t *r = malloc(sizeof *r + plen + 1);
  if (!r) {
    free(payload);
    return store_fail(s, SYNC_ERR_NOMEM, "out of memory reading record %s", uuid);
  }
  memcpy(r->uuid, uuid, sizeof uuid);
  snprintf(r->form_id, sizeof r->form_id, "%s", col_text(st, 1));
  r->form_version = sqlite3_column_int(st, 2);
  r->revision = revision;
  snprintf(r->hlc, sizeof r->hlc, "%s", col_text(st, 4));
  r->status = final ? SYNC_STATUS_FINAL : SYNC_STATUS_DRAFT;
  r->created_at = sqlite3_column_int64(st, 6);
  r->updated_at = sqlite3_column_int64(st, 7);
  r->deleted = sqlite3_column_int(st, 8) != 0;
  r->id = sqlite3_column_int64(st, 10);
  int64_t pending = sqlite3_column_int64(st, 11);
  r->receipt_time = sqlite3_column_int64(st, 12);
  r->refusal[0] = '\0';
  if (sqlite3_column_type(st, 13) != SQLITE_NULL) {
    const form_t *f = NULL;
    (void)store_form_get(s, r->form_id, r->form_version, &f, NULL); /* labels when it is there */
    refusal_render(f, col_text(st, 13), s->language, r->refusal, sizeof r->refusal);
  }
  r->sealed = sqlite3_column_int(st, 14) != 0;
  r->purged = sqlite3_column_int(st, 15) != 0;
  if (pending > 0)
    r->delivery = SYNC_DELIVERY_PENDING;
  else if (sqlite3_column_type(st, 13) != SQLITE_NULL)
    r->delivery = SYNC_DELIVERY_REFUSED;
  else if (r->receipt_time > 0)
    r->delivery = SYNC_DELIVERY_DELIVERED;
  else
    r->delivery = SYNC_DELIVERY_LOCAL;
  memcpy(r->payload, payload, plen + 1);
  sodium_memzero(payload, plen);
  free(payload);
  *out = r;
  return SYNC_OK;
}

/* ---- getters ------------------------------------------------------------------------------ */

void sync_record_free(sync_record_t *rec)
{
  if (rec)
    sodium_memzero(rec->payload, strlen(rec->payload));
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
int sync_record_sealed(const sync_record_t *rec) { return rec ? rec->sealed : 0; }
int sync_record_purged(const sync_record_t *rec) { return rec ? rec->purged : 0; }
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
      !cJSON_AddStringToObject(o, "status", record_status_text(rec->status)) ||
      !cJSON_AddNumberToObject(o, "created_at", (double)rec->created_at) ||
      !cJSON_AddNumberToObject(o, "updated_at", (double)rec->updated_at) ||
      !cJSON_AddBoolToObject(o, "deleted", rec->deleted) ||
      !cJSON_AddStringToObject(o, "delivery", sync_delivery_name(rec->delivery)) ||
      !cJSON_AddNumberToObject(o, "receipt_time", (double)rec->receipt_time) ||
      !cJSON_AddBoolToObject(o, "sealed", rec->sealed) ||
      !cJSON_AddBoolToObject(o, "purged", rec->purged) ||
      (rec->delivery == SYNC_DELIVERY_REFUSED && !cJSON_AddStringToObject(o, "refusal", rec->refusal)) ||
      !cJSON_AddRawToObject(o, "payload", rec->payload)) {
    cJSON_Delete(o);
    return SYNC_ERR_NOMEM;
  }
  *out_json = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return *out_json ? SYNC_OK : SYNC_ERR_NOMEM;
}
