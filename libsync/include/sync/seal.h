/* libsync — the central office's side of sealing (proto/SECURITY.md 4).
 *
 * Devices seal finalized answers of encrypted forms to the central public key (inside the store,
 * see record.h). These functions are for central tools: make the key pair, and open a sealed text
 * with the private key (syncserver export uses them).
 *
 * Two envelope versions exist. v1 (libsync before 2026-12) is crypto_box_seal of a JSON envelope
 * naming the record; v2 carries the answers alone, compressed with the form's dictionary, and
 * binds the record (uuid, form id, form version) as associated data, so it opens only for its
 * record: sync_seal_opener_open_record opens both.
 *
 * Keys are base64 (standard alphabet, padded) of libsodium crypto_box keys (32 bytes each).
 * Ownership: results through `char **` are the caller's (sync_free); an opener is released with
 * sync_seal_opener_free. Thread-safety: every function may run on any thread; one opener may
 * serve several threads at once (it does not change once made).
 */
#ifndef SYNC_SEAL_H
#define SYNC_SEAL_H

#include <stddef.h>
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SYNC_SEAL_KEY_B64_LEN 44  /* base64 of 32 bytes, without the NUL */

/* A new key pair. */
SYNC_API sync_err_t sync_seal_keypair(char public_b64[SYNC_SEAL_KEY_B64_LEN + 1],
                                      char secret_b64[SYNC_SEAL_KEY_B64_LEN + 1]);

/* Opens a v1 sealed text with the secret key. *out_envelope gets the envelope JSON
 * {"uuid", "form_id", "form_version", "revision", "hlc", "payload": {...}}. SYNC_ERR_CRYPTO when
 * the text was altered or sealed to another key, SYNC_ERR_INVALID_ARG for text that is not base64
 * or too short, SYNC_ERR_TOO_LARGE for a text longer than any sealed payload can be, SYNC_ERR_JSON
 * when the opened envelope is not one, SYNC_ERR_STATE for a v2 text (it needs its record:
 * sync_seal_opener_open_record). */
SYNC_API sync_err_t sync_seal_open(const char *secret_b64, const char *sealed_b64,
                                   char **out_envelope);

/* The secret key made ready for opening many texts, as an export does: sync_seal_open derives the
 * public key from the secret one on every call, an X25519 as costly as the opening itself.
 * The key is held in memory libsodium guards (sodium_malloc) and wiped by sync_seal_opener_free.
 * SYNC_ERR_INVALID_ARG when the key is not base64 of 32 bytes. */
typedef struct sync_seal_opener sync_seal_opener_t;
SYNC_API sync_err_t sync_seal_opener_new(const char *secret_b64, sync_seal_opener_t **out);
/* sync_seal_open with the opener's key: the same results. */
SYNC_API sync_err_t sync_seal_opener_open(const sync_seal_opener_t *opener, const char *sealed_b64,
                                          char **out_envelope);
/* Opens the sealed text of record `uuid` of the form `definition_json` (the definition the record
 * was sealed under, as published: it names the form, its version and its compression dictionary),
 * v1 or v2. *out_answers gets the answers, a compact JSON object. SYNC_ERR_CRYPTO when the text
 * was altered, sealed to another key, or belongs to another record, form or version;
 * SYNC_ERR_STATE when it was compressed with a dictionary the definition does not carry;
 * SYNC_ERR_TOO_LARGE when it decompresses past SYNC_MAX_PAYLOAD; SYNC_ERR_CORRUPT or
 * SYNC_ERR_JSON when what it holds is not answers; the errors of sync_seal_open and of a
 * definition (SYNC_ERR_FORM...). Parses the definition on every call: for one record at a time. */
SYNC_API sync_err_t sync_seal_opener_open_record(const sync_seal_opener_t *opener,
                                                 const char *definition_json,
                                                 size_t definition_len, const char *uuid,
                                                 const char *sealed_b64, char **out_answers);
SYNC_API void sync_seal_opener_free(sync_seal_opener_t *opener);

#ifdef __cplusplus
}
#endif
#endif
