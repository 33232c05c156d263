/* The data step of schema version 5 (store_schema.c, proto/SECURITY.md 5 and 9): what identifies
 * a person is no longer readable without the passphrase. A schema-4 store kept in clear the
 * duplicate-detection hashes (a keyed hash of name, date of birth and sex) and, inside each form
 * definition, the key of that hash: from the file alone anyone could test a named person against
 * the records, and recover a date of birth by trying every day. The step encrypts both in place
 * under the data key, with the associated data store_crypto.h lists. Runs inside the migration's
 * transaction; store_schema_prepare() then checkpoints the WAL so no clear page survives
 * (secure_delete zeroes what the updates free). */
#include "store_crypto.h"

static const store_clear_column_t CLEAR_IN_V4[] = {
  { COL_REVISION_DEDUP,
    "SELECT id, uuid, CAST(revision AS TEXT), dedup FROM record_revisions"
    " WHERE typeof(dedup) = 'text'",
    "UPDATE record_revisions SET dedup = ?2 WHERE id = ?1" },
  { COL_ASIDE_DEDUP,
    "SELECT rowid, uuid, hlc, dedup FROM remote_pending WHERE typeof(dedup) = 'text'",
    "UPDATE remote_pending SET dedup = ?2 WHERE rowid = ?1" },
  { COL_FORM_DEFINITION,
    "SELECT rowid, form_id, CAST(version AS TEXT), definition FROM forms"
    " WHERE typeof(definition) = 'text'",
    "UPDATE forms SET definition = ?2 WHERE rowid = ?1" },
};

sync_err_t store_schema_v5_encrypt(sync_store_t *s, const char *passphrase, sync_kdf_strength_t kdf)
{
  (void)kdf;
  /* The key is unlocked before the steps run, unless another handle made it (step 3) meanwhile. */
  sync_err_t err = s->dek ? SYNC_OK : store_key_unlock(s, passphrase);
  for (size_t i = 0; err == SYNC_OK && i < sizeof CLEAR_IN_V4 / sizeof CLEAR_IN_V4[0]; i++)
    err = store_value_encrypt_in_place(s, &CLEAR_IN_V4[i]);
  return err;
}
