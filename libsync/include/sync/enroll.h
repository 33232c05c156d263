/* libsync — enrolling a device with the central server (proto/SECURITY.md 2).
 *
 * Central staff create a one-time, expiring enrollment code (`syncserver enroll create`); the
 * officer types it into the app, which calls sync_enroll(). The device sends the public half of a
 * new signing key pair (SECURITY.md 4). The server answers with this device's own credential, its
 * name and unit, and the server's receipt-signing key; all of it, and the signing secret key, is
 * stored in the (encrypted) store, where the sync engine finds it. Enrolling again with a new
 * code replaces the credential and the signing key (e.g. after it expired or the device was
 * revoked and re-admitted).
 *
 * Ownership: the config is read during the call only. sync_store_enrollment() returns JSON the
 * caller frees with sync_free(). Threads: as for the store handle.
 */
#ifndef SYNC_ENROLL_H
#define SYNC_ENROLL_H

#include <stddef.h>
#include <stdint.h>
#include "engine.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sync_enroll_config {
  const char *server_url;       /* required, as for the engine */
  const char *code;             /* required: "XXXX-XXXX-XXXX" (case, dashes and spaces ignored) */
  const char *ca_file;          /* as in sync_engine_config_t */
  const char *pinned_pubkey;
  int allow_plain_http_loopback;
  const char *language;         /* "id" (default) or "en": errbuf text */
  long timeout_ms;              /* whole request; default 30000 */
  const sync_transport_t *transport; /* NULL: the built-in libcurl transport */
} sync_enroll_config_t;

SYNC_API void sync_enroll_config_init(sync_enroll_config_t *config);

/* Enrolls this store's device (sync_store_device_id) with the server. SYNC_ERR_AUTH for a code
 * that is unknown, used or expired (the server does not say which), SYNC_ERR_SERVER with
 * rate_limited after too many failures, SYNC_ERR_INVALID_ARG for a malformed code or URL (nothing
 * sent), SYNC_ERR_CRYPTO when TLS verification fails, SYNC_ERR_NETWORK, SYNC_ERR_PROTOCOL. errbuf
 * (may be NULL) gets words for the officer. On success the store holds the credential. */
SYNC_API sync_err_t sync_enroll(sync_store_t *store, const sync_enroll_config_t *config,
                                char *errbuf, size_t errlen);

/* What the store was enrolled as: {"server_url", "device_id", "name", "unit", "server_id",
 * "receipt_key", "credential_expires_at", "enrolled_at"} (no secret). SYNC_ERR_NOT_ENROLLED. */
SYNC_API sync_err_t sync_store_enrollment(sync_store_t *store, char **out_json);

#ifdef __cplusplus
}
#endif
#endif
