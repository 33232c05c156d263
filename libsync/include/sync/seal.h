/* libsync — the central office's side of sealing (proto/SECURITY.md 4).
 *
 * Devices seal finalized answers of encrypted forms to the central public key (inside the store,
 * see record.h). These functions are for central tools: make the key pair, and open a sealed text
 * with the private key (syncserver export uses them).
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

/* Opens a sealed text with the secret key. *out_envelope gets the envelope JSON
 * {"uuid", "form_id", "form_version", "revision", "hlc", "payload": {...}}. SYNC_ERR_CRYPTO when
 * the text was altered or sealed to another key, SYNC_ERR_INVALID_ARG for text that is not base64
 * or too short, SYNC_ERR_TOO_LARGE for a text longer than any sealed payload can be, SYNC_ERR_JSON
 * when the opened envelope is not one. */
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
SYNC_API void sync_seal_opener_free(sync_seal_opener_t *opener);

#ifdef __cplusplus
}
#endif
#endif
