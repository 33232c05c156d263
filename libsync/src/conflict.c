/* Conflicts kept for review (sync/conflict.h): one row per conflicting field of a server merge,
 * written by the sync engine (store_apply.c), listed and resolved here. The two values are stored
 * encrypted (store_crypto.h) and decrypted as they are read. */
#include "store_crypto.h"
#include "sync/conflict.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct conflict_item {
  int64_t id;
  char *uuid, *field, *device_value, *central_value;
  const char *winner;         /* static "device" / "central" */
  int64_t merged_revision, detected_at, resolved_at;
} conflict_item_t;

struct sync_conflict_list {
  conflict_item_t *items;
  size_t count;
};

static char *dup_col(sqlite3_stmt *st, int col, const char *fallback)
{
  const char *v = (const char *)sqlite3_column_text(st, col);
  return strdup(v ? v : fallback);
}

/* Decrypts one value column of a conflicts row whose uuid, conflict_id and field are in columns
 * uuid_col, uuid_col + 1 and uuid_col + 2. */
static sync_err_t value_col(sync_store_t *s, sqlite3_stmt *st, int col, const char *column,
                            int uuid_col, char **out)
{
  char ad[STORE_AD_MAX], place[160];
  const char *uuid = (const char *)sqlite3_column_text(st, uuid_col);
  const char *cid = (const char *)sqlite3_column_text(st, uuid_col + 1);
  const char *field = (const char *)sqlite3_column_text(st, uuid_col + 2);
  snprintf(place, sizeof place, "%s:%s", cid ? cid : "", field ? field : "");
  store_value_ad(ad, column, uuid ? uuid : "", place);
  return store_value_column(s, st, col, ad, uuid ? uuid : "", "conflict value", out, NULL);
}

sync_err_t sync_conflict_list(sync_store_t *store, const char *uuid, int include_resolved,
                              sync_conflict_list_t **out)
{
  if (out)
    *out = NULL;
  if (!store || !out)
    return store ? store_fail(store, SYNC_ERR_INVALID_ARG, "out is NULL") : SYNC_ERR_INVALID_ARG;
  store_reset_error(store, 0);
  if (uuid && !uuid_is_valid(uuid))
    return store_fail(store, SYNC_ERR_INVALID_ARG, "'%.40s' is not a record UUID", uuid);
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT id, uuid, field, device_value, central_value, winner, merged_revision,"
           " detected_at, coalesce(resolved_at, 0), uuid, conflict_id, field FROM conflicts"
           " WHERE field IS NOT NULL%s%s"
           " ORDER BY detected_at DESC, id DESC",
           uuid ? " AND uuid = ?1" : "", include_resolved ? "" : " AND resolved_at IS NULL");
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(store->db, sql, -1, &st, NULL);
  if (rc != SQLITE_OK)
    return store_fail_sqlite(store, rc, "cannot list the conflicts");
  if (uuid)
    sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
  sync_conflict_list_t *list = calloc(1, sizeof *list);
  size_t cap = 0;
  sync_err_t err = SYNC_OK;
  if (!list)
    goto nomem;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (list->count == cap) {
      size_t ncap = cap ? cap * 2 : 8;
      conflict_item_t *items = realloc(list->items, ncap * sizeof *items);
      if (!items)
        goto nomem;
      list->items = items;
      cap = ncap;
    }
    conflict_item_t *it = &list->items[list->count++];
    memset(it, 0, sizeof *it);
    it->id = sqlite3_column_int64(st, 0);
    it->uuid = dup_col(st, 1, "");
    it->field = dup_col(st, 2, "");
    if ((err = value_col(store, st, 3, COL_CONFLICT_DEVICE, 9, &it->device_value)) != SYNC_OK ||
        (err = value_col(store, st, 4, COL_CONFLICT_CENTRAL, 9, &it->central_value)) != SYNC_OK)
      goto fail;
    const char *w = (const char *)sqlite3_column_text(st, 5);
    it->winner = w && strcmp(w, "local") == 0 ? "device" : "central";
    it->merged_revision = sqlite3_column_int64(st, 6);
    it->detected_at = sqlite3_column_int64(st, 7);
    it->resolved_at = sqlite3_column_int64(st, 8);
    if (!it->uuid || !it->field || !it->device_value || !it->central_value)
      goto nomem;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    sync_conflict_list_free(list);
    return store_fail_sqlite(store, rc, "cannot list the conflicts");
  }
  *out = list;
  return SYNC_OK;
nomem:
  err = store_fail(store, SYNC_ERR_NOMEM, "out of memory listing the conflicts");
fail:
  sqlite3_finalize(st);
  sync_conflict_list_free(list);
  return err;
}

static const conflict_item_t *item_at(const sync_conflict_list_t *l, size_t i)
{
  return l && i < l->count ? &l->items[i] : NULL;
}

size_t sync_conflict_list_count(const sync_conflict_list_t *list) { return list ? list->count : 0; }
int64_t sync_conflict_id(const sync_conflict_list_t *l, size_t i)
{
  const conflict_item_t *it = item_at(l, i);
  return it ? it->id : 0;
}
const char *sync_conflict_uuid(const sync_conflict_list_t *l, size_t i)
{
  const conflict_item_t *it = item_at(l, i);
  return it ? it->uuid : NULL;
}
const char *sync_conflict_field(const sync_conflict_list_t *l, size_t i)
{
  const conflict_item_t *it = item_at(l, i);
  return it ? it->field : NULL;
}
const char *sync_conflict_device_value(const sync_conflict_list_t *l, size_t i)
{
  const conflict_item_t *it = item_at(l, i);
  return it ? it->device_value : NULL;
}
const char *sync_conflict_central_value(const sync_conflict_list_t *l, size_t i)
{
  const conflict_item_t *it = item_at(l, i);
  return it ? it->central_value : NULL;
}
const char *sync_conflict_winner(const sync_conflict_list_t *l, size_t i)
{
  const conflict_item_t *it = item_at(l, i);
  return it ? it->winner : NULL;
}
int64_t sync_conflict_merged_revision(const sync_conflict_list_t *l, size_t i)
{
  const conflict_item_t *it = item_at(l, i);
  return it ? it->merged_revision : 0;
}
int64_t sync_conflict_detected_at(const sync_conflict_list_t *l, size_t i)
{
  const conflict_item_t *it = item_at(l, i);
  return it ? it->detected_at : 0;
}
int64_t sync_conflict_resolved_at(const sync_conflict_list_t *l, size_t i)
{
  const conflict_item_t *it = item_at(l, i);
  return it ? it->resolved_at : 0;
}

void sync_conflict_list_free(sync_conflict_list_t *list)
{
  if (!list)
    return;
  for (size_t i = 0; i < list->count; i++) {
    free(list->items[i].uuid);
    free(list->items[i].field);
    free(list->items[i].device_value);
    free(list->items[i].central_value);
  }
  free(list->items);
  free(list);
}

/* ---- resolving ------------------------------------------------------------------------------- */

typedef struct conflict_row {
  char uuid[UUID_TEXT_LEN + 1];
  char field[SYNC_FORM_ID_MAX + 8];
  char *loser;                /* JSON text of the losing value */
  int resolved;
} conflict_row_t;

static sync_err_t load_conflict(sync_store_t *s, int64_t id, conflict_row_t *c)
{
  sqlite3_stmt *st;
  memset(c, 0, sizeof *c);
  int rc = sqlite3_prepare_v2(s->db,
                              "SELECT uuid, conflict_id, field, winner = 'local', central_value,"
                              " device_value, resolved_at IS NOT NULL"
                              " FROM conflicts WHERE id = ?1 AND field IS NOT NULL", -1, &st, NULL);
  if (rc != SQLITE_OK)
    return store_fail_sqlite(s, rc, "cannot read the conflict");
  sqlite3_bind_int64(st, 1, id);
  rc = sqlite3_step(st);
  sync_err_t err = SYNC_OK;
  if (rc == SQLITE_ROW) {
    snprintf(c->uuid, sizeof c->uuid, "%s", (const char *)sqlite3_column_text(st, 0));
    snprintf(c->field, sizeof c->field, "%s", (const char *)sqlite3_column_text(st, 2));
    /* The loser is the side that did not win. */
    int device_won = sqlite3_column_int(st, 3);
    err = value_col(s, st, device_won ? 4 : 5, device_won ? COL_CONFLICT_CENTRAL : COL_CONFLICT_DEVICE,
                    0, &c->loser);
    c->resolved = sqlite3_column_int(st, 6);
  } else if (rc == SQLITE_DONE) {
    err = store_fail(s, SYNC_ERR_NOT_FOUND, "no conflict with id %lld", (long long)id);
  } else {
    err = store_fail_sqlite(s, rc, "cannot read the conflict");
  }
  sqlite3_finalize(st);
  return err;
}

static sync_err_t mark_resolved(sync_store_t *s, int64_t id, const char *how)
{
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(s->db,
                              "UPDATE conflicts SET resolved_at = ?2, resolution = ?3"
                              " WHERE id = ?1 AND resolved_at IS NULL", -1, &st, NULL);
  if (rc != SQLITE_OK)
    return store_fail_sqlite(s, rc, "cannot resolve the conflict");
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, store_now_ms());
  sqlite3_bind_text(st, 3, how, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  int changed = sqlite3_changes(s->db);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return store_fail_sqlite(s, rc, "cannot resolve the conflict");
  return changed ? SYNC_OK : store_fail(s, SYNC_ERR_STATE, "conflict %lld is already resolved", (long long)id);
}

/* The record's current answers with `field` set to the JSON value `value` ("null": removed). */
static sync_err_t answers_with(sync_store_t *s, const char *uuid, const char *field,
                               const char *value, char **out)
{
  sync_record_t *rec = NULL;
  *out = NULL;
  sync_err_t err = sync_record_get(s, uuid, &rec);
  if (err)
    return err;
  if (sync_record_deleted(rec)) {
    sync_record_free(rec);
    return store_fail(s, SYNC_ERR_STATE, "record %s is deleted: its answers cannot be changed", uuid);
  }
  cJSON *doc = cJSON_Parse(sync_record_payload(rec));
  cJSON *v = cJSON_Parse(value);
  sync_record_free(rec);
  if (!cJSON_IsObject(doc) || !v) {
    cJSON_Delete(doc);
    cJSON_Delete(v);
    return store_fail(s, SYNC_ERR_CORRUPT, "the stored answers or the losing value are not JSON");
  }
  cJSON_DeleteItemFromObjectCaseSensitive(doc, field);
  if (cJSON_IsNull(v))
    cJSON_Delete(v);
  else
    cJSON_AddItemToObject(doc, field, v);
  *out = cJSON_PrintUnformatted(doc);
  cJSON_Delete(doc);
  return *out ? SYNC_OK : store_fail(s, SYNC_ERR_NOMEM, "out of memory");
}

/* Writes the new revision that takes the losing value back. */
static sync_err_t take_loser(sync_store_t *s, const conflict_row_t *c)
{
  if (strcmp(c->field, "$deleted") == 0) {
    if (strcmp(c->loser, "true") == 0)
      return sync_record_delete(s, c->uuid);
    return store_fail(s, SYNC_ERR_STATE, "record %s was deleted by the merge; a deleted record "
                      "cannot be restored from the device (ask central staff)", c->uuid);
  }
  char *payload = NULL;
  sync_err_t err = answers_with(s, c->uuid, c->field, c->loser, &payload);
  if (err == SYNC_OK)
    err = sync_record_revise(s, c->uuid, payload);
  free(payload);
  return err;
}

sync_err_t sync_conflict_resolve(sync_store_t *store, int64_t conflict_id, sync_conflict_choice_t choice)
{
  if (!store)
    return SYNC_ERR_INVALID_ARG;
  store_reset_error(store, 1);
  if (choice != SYNC_CONFLICT_ACCEPT_MERGED && choice != SYNC_CONFLICT_TAKE_LOSER)
    return store_fail(store, SYNC_ERR_INVALID_ARG, "unknown conflict choice %d", (int)choice);
  sync_err_t err = store_check_writable(store);
  if (err)
    return err;
  conflict_row_t c;
  if ((err = load_conflict(store, conflict_id, &c)) != SYNC_OK)
    return err;
  if (c.resolved) {
    free(c.loser);
    return store_fail(store, SYNC_ERR_STATE, "conflict %lld is already resolved", (long long)conflict_id);
  }
  /* The new revision and the resolution commit together. */
  int own = !store->in_batch;
  if (own && (err = sync_store_begin(store)) != SYNC_OK) {
    free(c.loser);
    return err;
  }
  if (choice == SYNC_CONFLICT_TAKE_LOSER)
    err = take_loser(store, &c);
  if (err == SYNC_OK)
    err = mark_resolved(store, conflict_id, choice == SYNC_CONFLICT_TAKE_LOSER ? "loser" : "merged");
  free(c.loser);
  if (!own)
    return err;
  if (err != SYNC_OK) {
    char saved[STORE_ERRMSG_MAX];
    memcpy(saved, store->errmsg, sizeof saved);
    (void)sync_store_rollback(store);
    return store_fail(store, err, "%s", saved);
  }
  return sync_store_commit(store);
}
