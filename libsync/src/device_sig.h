/* Internal: the device signature of a sealed change and the server's certificate of a device's
 * signing key (proto/SECURITY.md 4), built the same way by the device that signs, the server that
 * checks a push and the exporter that checks what the database holds.
 *
 * A change signature is Ed25519 by the device's own signing key (made at enrollment) over
 *
 *   libsync-change-sig-v1\n<device_id>\n<uuid>\n<revision>\n<base_revision>\n<base_hlc or "-">\n
 *   <hlc>\n<form_id>\n<form_version>\n<hex BLAKE2b-256 of the sealed text>\n
 *   <hex BLAKE2b-256 of the payload's compact JSON text>
 *
 * (lines joined by "\n", no final newline). A key certificate is Ed25519 by the server's receipt
 * key over "libsync-device-key-v1\n<device_id>\n<signing key base64>\n<enrolled_at>", so whoever
 * can write the server's database cannot give a device another key without the receipt key.
 *
 * Ownership: caller buffers. No state; thread-safe.
 */
#ifndef SYNC_DEVICE_SIG_H
#define SYNC_DEVICE_SIG_H

#include <stdint.h>
#include "codec.h"

/* sync_state key of the device's secret signing key (base64 of 64 bytes, encrypted at rest with
 * store_state_set_secret; enroll.c writes it, the push reads it). */
#define STATE_SIGNING_KEY "device_signing_key"
#define DEVSIG_SK_B64_LEN 88     /* base64 (padded) of a 64-byte Ed25519 secret key */

/* A new key pair: pk_b64 (PROTO_KEY_B64_LEN + 1) and sk_b64 (DEVSIG_SK_B64_LEN + 1). The caller
 * wipes sk_b64. */
sync_err_t devsig_keypair(char *pk_b64, char *sk_b64);

/* Signs change `ch` of `device_id` (an upsert carrying `sealed`) with the secret key sk_b64 into
 * out (PROTO_SIG_B64_LEN + 1). SYNC_ERR_INVALID_ARG for a change that carries no sealed text or a
 * payload that is not JSON, SYNC_ERR_CRYPTO for an unusable key. */
sync_err_t devsig_sign(const char *sk_b64, const char *device_id, const proto_change_t *ch,
                       char *out);

/* SYNC_OK when ch->device_sig is the signature of `ch` by `device_id`'s key pk_b64; SYNC_ERR_CRYPTO
 * otherwise (absent, malformed, or not matching); SYNC_ERR_NOMEM. */
sync_err_t devsig_verify(const char *pk_b64, const char *device_id, const proto_change_t *ch);

/* The certificate (PROTO_SIG_B64_LEN + 1) of device_id's signing key pk_b64 registered at
 * enrolled_at, signed by the server's receipt secret key (64 bytes). */
sync_err_t devsig_cert_sign(const unsigned char server_sk[64], const char *device_id,
                            const char *pk_b64, int64_t enrolled_at, char *out);
/* SYNC_OK when cert_b64 is that certificate under the server's receipt public key (32 bytes);
 * SYNC_ERR_CRYPTO otherwise. */
sync_err_t devsig_cert_verify(const unsigned char server_pk[32], const char *device_id,
                              const char *pk_b64, int64_t enrolled_at, const char *cert_b64);

#endif
