/* Internal: encryption at rest of the store (proto/SECURITY.md 5). Owned by the store module:
 * store_key.c (the data key: creating, unwrapping, re-wrapping) and store_crypto.c (values).
 *
 * The data key (DEK, 32 random bytes) lives in sodium_malloc'd memory on the handle (s->dek) from
 * a successful open to sync_store_close(), which frees (and so zeroes) it. The file keeps it only
 * wrapped, in meta:
 *   key_kdf     "argon2id13:<opslimit>:<memlimit>:<salt base64>"
 *   key_wrapped base64(nonce24 || XChaCha20-Poly1305(DEK, ad = "libsync-store-key:" + device_id))
 *
 * Encrypted values are BLOBs 0x01 || nonce24 || ciphertext || tag16 (XChaCha20-Poly1305-IETF under
 * the DEK). The associated data binds each value to its place: "<column>:<uuid>:<place>", with
 * (the one list of them; every reader and writer goes through store_value_ad()):
 *
 *   column                      uuid              place
 *   records.payload             records.uuid      records.revision (decimal): drafts only
 *   record_revisions.payload    uuid              revision (decimal)
 *   remote_pending.payload      uuid              hlc (the row's key)
 *   conflicts.device_value      uuid              conflict_id ":" field
 *   conflicts.central_value     uuid              conflict_id ":" field
 *   conflicts.losing_payload    uuid              losing_hlc (schema-1 rows; nothing writes it now)
 *   record_revisions.dedup      uuid              revision (decimal); NULL when the form has none
 *   remote_pending.dedup        uuid              hlc
 *   forms.definition            form_id           version (decimal): the whole definition, as it
 *                                                 holds the duplicate-detection key
 *   sync_state.value            (none)            ad is "sync_state:" + key (store_state_set_secret)
 *
 * A value copied to another row, or altered, fails authentication: the reader reports
 * SYNC_ERR_CORRUPT naming the record.
 *
 * Ownership: results through pointers are malloc'd, caller frees. Threads: as for the handle.
 */
#ifndef SYNC_STORE_CRYPTO_H
#define SYNC_STORE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include <sodium.h>

#include "store_internal.h"

#define STORE_DEK_LEN 32
#define STORE_VALUE_VERSION 0x01
/* Bytes an encrypted value adds to its text: version byte, nonce, tag. */
#define STORE_VALUE_OVERHEAD                                                                       \
  (1 + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES)
#define STORE_AD_MAX 192

/* Column names of the table above. */
#define COL_RECORD_PAYLOAD "records.payload"
#define COL_REVISION_PAYLOAD "record_revisions.payload"
#define COL_ASIDE_PAYLOAD "remote_pending.payload"
#define COL_CONFLICT_DEVICE "conflicts.device_value"
#define COL_CONFLICT_CENTRAL "conflicts.central_value"
#define COL_CONFLICT_LOSING "conflicts.losing_payload"
#define COL_REVISION_DEDUP "record_revisions.dedup"
#define COL_ASIDE_DEDUP "remote_pending.dedup"
#define COL_FORM_DEFINITION "forms.definition"

/* ---- the data key (store_key.c) --------------------------------------------------------------- */

/* Inside a write transaction: a new random DEK on the handle, wrapped under `passphrase` at cost
 * `kdf` into meta. SYNC_ERR_INVALID_ARG (errmsg set) for a passphrase shorter than
 * SYNC_PASSPHRASE_MIN. */
sync_err_t store_key_create(sync_store_t *s, const char *passphrase, sync_kdf_strength_t kdf);
/* Unwraps the DEK of the file onto the handle. SYNC_ERR_PASSPHRASE when the passphrase does not
 * open it, SYNC_ERR_CORRUPT when meta has no usable key. */
sync_err_t store_key_unlock(sync_store_t *s, const char *passphrase);
/* Zeroes and frees the handle's DEK; NULL-safe. */
void store_key_forget(sync_store_t *s);

/* ---- values (store_crypto.c) ------------------------------------------------------------------ */

/* "<column>:<uuid>:<place>" into ad (STORE_AD_MAX bytes). */
void store_value_ad(char ad[STORE_AD_MAX], const char *column, const char *uuid, const char *place);
/* The same with a decimal place (revisions). */
void store_value_ad_int(char ad[STORE_AD_MAX], const char *column, const char *uuid, int64_t place);
/* "sync_state:<key>" (secret sync_state values). */
void store_value_ad_state(char ad[STORE_AD_MAX], const char *key);

/* Encrypts `len` bytes of text; *blob gets 0x01 || nonce || ct || tag, *blob_len its size.
 * SYNC_ERR_NOMEM only. */
sync_err_t store_value_encrypt(const sync_store_t *s, const char *ad, const char *text, size_t len,
                               unsigned char **blob, size_t *blob_len);
/* Decrypts a value into NUL-terminated text (*len without the NUL). SYNC_ERR_CRYPTO when it is
 * not an encrypted value or fails authentication, SYNC_ERR_NOMEM; no errmsg. */
sync_err_t store_value_decrypt(const sync_store_t *s, const char *ad, const void *blob,
                               size_t blob_len, char **text, size_t *len);

/* Encrypts text (len, or strlen when len is (size_t)-1) and binds the BLOB to parameter idx. */
sync_err_t store_value_bind(sync_store_t *s, sqlite3_stmt *st, int idx, const char *ad,
                            const char *text, size_t len);
/* Decrypts column `col` of the current row into *text (*len may be NULL). A value that fails:
 * SYNC_ERR_CORRUPT with errmsg "record <uuid>: ..." (`what` says which value). */
sync_err_t store_value_column(sync_store_t *s, sqlite3_stmt *st, int col, const char *ad,
                              const char *uuid, const char *what, char **text, size_t *len);

/* An optional value (a dedup hash): text NULL or "" binds NULL, else as store_value_bind. */
sync_err_t store_value_bind_opt(sync_store_t *s, sqlite3_stmt *st, int idx, const char *ad,
                                const char *text);
/* Reads an optional value into buf (len bytes): "" for NULL, else as store_value_column; a value
 * that does not fit buf is SYNC_ERR_CORRUPT. */
sync_err_t store_value_column_opt(sync_store_t *s, sqlite3_stmt *st, int col, const char *ad,
                                  const char *uuid, const char *what, char *buf, size_t len);

/* One column a schema step encrypts in place (store_schema_v3.c, store_schema_v5.c): `select`
 * yields rowid, uuid, place and the clear text of every row still in clear (typeof 'text');
 * `update` writes ?2 to rowid ?1. `column` NULL means the sync_state secret (ad "sync_state:" +
 * place). */
typedef struct store_clear_column {
  const char *column;
  const char *select;
  const char *update;
} store_clear_column_t;
/* Inside the step's transaction: encrypts every such row under the handle's DEK. */
sync_err_t store_value_encrypt_in_place(sync_store_t *s, const store_clear_column_t *c);

/* ---- receipts (store_receipt.c) --------------------------------------------------------------- */

/* Decodes base64 (standard, padded) of exactly `len` bytes into out; 0 on success. */
int store_b64_exact(const char *text, unsigned char *out, size_t len);

#endif
