/* The data step of schema version 3 (store_schema.c): the store gets its data key, and every value
 * a schema-2 store kept in clear is encrypted in place, with the associated data store_crypto.h
 * lists. Runs inside the migration's transaction; store_schema_prepare() then checkpoints the WAL
 * so no plaintext page survives (secure_delete zeroes what the updates free). */
#include "store_crypto.h"
#include "store_sync.h"

static const store_clear_column_t LEGACY[] = {
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

sync_err_t store_schema_v3_encrypt(sync_store_t *s, const char *passphrase, sync_kdf_strength_t kdf)
{
  sync_err_t err = store_key_create(s, passphrase, kdf);
  for (size_t i = 0; err == SYNC_OK && i < sizeof LEGACY / sizeof LEGACY[0]; i++)
    err = store_value_encrypt_in_place(s, &LEGACY[i]);
  return err;
}
