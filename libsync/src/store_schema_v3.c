/* The data step of schema version 3 (store_schema.c): the store gets its data key, and every value
 * a schema-2 store kept in clear is encrypted in place, with the associated data store_crypto.h
 * lists. Runs inside the migration's transaction; store_schema_prepare() then checkpoints the WAL
 * so no plaintext page survives (secure_delete zeroes what the updates free). */
#include "store_crypto.h"
#include "store_sync.h"

#include <stdio.h>
#include <string.h>

/* One encrypted column. `select` yields rowid, uuid, place, clear text for every row still in
 * clear; `column` NULL means the sync_state secret (ad "sync_state:" + place). */
typedef struct legacy_column {
  const char *column;
  const char *select;
  const char *update;
} legacy_column_t;

static const legacy_column_t LEGACY[] = {
  { COL_RECORD_PAYLOAD,
    "SELECT id, uuid, CAST(revision AS TEXT), payload FROM records WHERE typeof(payload) = 'text'",
    "UPDATE records SET payload = ?2 WHERE id = ?1" },
  { COL_REVISION_PAYLOAD,
    "SELECT id, uuid, CAST(revision AS TEXT), payload FROM record_revisions"
    " WHERE typeof(payload) = 'text'",
    "UPDATE record_revisions SET payload = ?2 WHERE id = ?1" },
  { COL_ASIDE_PAYLOAD,
    "SELECT rowid, uuid, hlc, payload FROM remote_pending WHERE typeof(payload) = 'text'",
    "UPDATE remote_pending SET payload = ?2 WHERE rowid = ?1" },
  { COL_CONFLICT_DEVICE,
    "SELECT id, uuid, coalesce(conflict_id, '') || ':' || coalesce(field, ''), device_value"
    " FROM conflicts WHERE typeof(device_value) = 'text'",
    "UPDATE conflicts SET device_value = ?2 WHERE id = ?1" },
  { COL_CONFLICT_CENTRAL,
    "SELECT id, uuid, coalesce(conflict_id, '') || ':' || coalesce(field, ''), central_value"
    " FROM conflicts WHERE typeof(central_value) = 'text'",
    "UPDATE conflicts SET central_value = ?2 WHERE id = ?1" },
  { COL_CONFLICT_LOSING,
    "SELECT id, uuid, coalesce(losing_hlc, ''), losing_payload FROM conflicts"
    " WHERE typeof(losing_payload) = 'text'",
    "UPDATE conflicts SET losing_payload = ?2 WHERE id = ?1" },
  { NULL,
    "SELECT rowid, '', key, value FROM sync_state WHERE key = '" STATE_SECRET "'"
    " AND typeof(value) = 'text'",
    "UPDATE sync_state SET value = ?2 WHERE rowid = ?1" },
};

/* Updating a row the select has passed is safe in SQLite (cursors re-seek by rowid, which the
 * update does not change), and an encrypted row no longer matches the select. */
static sync_err_t encrypt_column(sync_store_t *s, const legacy_column_t *c)
{
  sqlite3_stmt *sel = NULL, *upd = NULL;
  int rc = sqlite3_prepare_v2(s->db, c->select, -1, &sel, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(s->db, c->update, -1, &upd, NULL);
  sync_err_t err = SYNC_OK;
  if (rc != SQLITE_OK) {
    err = store_fail_sqlite(s, rc, "cannot encrypt the store");
    goto done;
  }
  while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
    char ad[STORE_AD_MAX];
    const char *uuid = (const char *)sqlite3_column_text(sel, 1);
    const char *place = (const char *)sqlite3_column_text(sel, 2);
    if (c->column)
      store_value_ad(ad, c->column, uuid ? uuid : "", place ? place : "");
    else
      store_value_ad_state(ad, place ? place : "");
    const char *text = (const char *)sqlite3_column_text(sel, 3);
    sqlite3_bind_int64(upd, 1, sqlite3_column_int64(sel, 0));
    if ((err = store_value_bind(s, upd, 2, ad, text, (size_t)sqlite3_column_bytes(sel, 3))) != SYNC_OK)
      goto done;
    if ((rc = store_step_done(upd)) != SQLITE_DONE) {
      err = store_fail_sqlite(s, rc, "cannot encrypt the store");
      goto done;
    }
  }
  if (rc != SQLITE_DONE)
    err = store_fail_sqlite(s, rc, "cannot encrypt the store");
done:
  sqlite3_finalize(sel);
  sqlite3_finalize(upd);
  return err;
}

sync_err_t store_schema_v3_encrypt(sync_store_t *s, const char *passphrase, sync_kdf_strength_t kdf)
{
  sync_err_t err = store_key_create(s, passphrase, kdf);
  for (size_t i = 0; err == SYNC_OK && i < sizeof LEGACY / sizeof LEGACY[0]; i++)
    err = encrypt_column(s, &LEGACY[i]);
  return err;
}
