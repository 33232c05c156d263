/* libsync — the central office's side of sealing (proto/SECURITY.md 4).
 *
 * Devices seal finalized answers of encrypted forms to the central public key (inside the store,
 * see record.h). These functions are for central tools: make the key pair, and open a sealed text
 * with the private key (syncserver export uses them).
 *
 * Keys are base64 (standard alphabet, padded) of libsodium crypto_box keys (32 bytes each).
 * Ownership: results through `char **` are the caller's (sync_free). No state; thread-safe.
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

/* Opens a sealed text with the secret key. *out_envelope gets the envelope JSON
 * {"uuid", "form_id", "form_version", "revision", "hlc", "payload": {...}}. SYNC_ERR_CRYPTO when
 * the text was altered or sealed to another key, SYNC_ERR_INVALID_ARG for text that is not base64
 * or too short, SYNC_ERR_TOO_LARGE for a text longer than any sealed payload can be, SYNC_ERR_JSON
 * when the opened envelope is not one. */
SYNC_API sync_err_t sync_seal_open(const char *secret_b64, const char *sealed_b64,
                                   char **out_envelope);

#ifdef __cplusplus
}
#endif
#endif
