/* libsync — signed receipts: proof that a record reached the central server (proto/SECURITY.md 7).
 *
 * The server signs every receipt with its Ed25519 key; the engine verifies each signature with the
 * key received at enrollment before it trusts the receipt, and stores it. A receipt document is
 * self-contained: anyone holding it can check it against the server's published key.
 *
 * Ownership: JSON returned through `char **` is the caller's (sync_free). Threads: as for the store.
 */
#ifndef SYNC_RECEIPT_H
#define SYNC_RECEIPT_H

#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The newest receipt of record `uuid`: {"kind": "libsync-receipt", "server_id", "device_id",
 * "uuid", "revision", "hlc", "server_seq", "received_at", "signature", "receipt_key"}.
 * SYNC_ERR_NOT_FOUND when the record has no receipt yet. */
SYNC_API sync_err_t sync_record_receipt(sync_store_t *store, const char *uuid, char **out_json);

/* Checks a receipt document's signature against its receipt_key, or against `expected_key`
 * (base64 Ed25519 public key) when that is not NULL. SYNC_OK, SYNC_ERR_CRYPTO (signature does not
 * verify, or the key differs from expected_key), SYNC_ERR_JSON / SYNC_ERR_INVALID_ARG (not a
 * receipt document). */
SYNC_API sync_err_t sync_receipt_verify(const char *receipt_json, const char *expected_key);

#ifdef __cplusplus
}
#endif
#endif
