/* libsync — signed receipts: proof that a record reached the central server (proto/SECURITY.md 7).
 *
 * The server signs every receipt with its Ed25519 key; the engine verifies each signature with the
 * key received at enrollment before it trusts the receipt, and stores it. A receipt document is
 * self-contained: anyone holding it can check it against the server's published key. The key the
 * document carries (receipt_key) is a hint, never a proof: anyone can make a key pair and sign a
 * document with it, so a receipt proves delivery only when checked against a key obtained from the
 * server another way (the store's enrolled key, or one given by central staff).
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

/* Checks a receipt document's signature against `expected_key` (base64 Ed25519 public key, the
 * server's, obtained from a source you trust). With expected_key NULL it checks only that the
 * document is self-consistent (signed by the receipt_key it carries), which says nothing about who
 * signed it: use sync_store_receipt_verify() or give the key. SYNC_OK, SYNC_ERR_CRYPTO (signature
 * does not verify, or the key differs from expected_key), SYNC_ERR_JSON / SYNC_ERR_INVALID_ARG
 * (not a receipt document). */
SYNC_API sync_err_t sync_receipt_verify(const char *receipt_json, const char *expected_key);

/* Checks a receipt document against the server receipt key `store` was enrolled with (never the
 * key inside the document). SYNC_OK; SYNC_ERR_NOT_ENROLLED when the store holds no receipt key;
 * otherwise as sync_receipt_verify(). sync_store_errmsg() says why. The document may be any
 * device's receipt from the same server. */
SYNC_API sync_err_t sync_store_receipt_verify(sync_store_t *store, const char *receipt_json);

#ifdef __cplusplus
}
#endif
#endif
