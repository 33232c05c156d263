/* seal_open: an opened sealed text as a tree, for central tools inside the project (syncserver's
 * export), which would otherwise parse again what sync_seal_opener_open has just parsed to check
 * it (seal.c). Thread-safety as sync_seal_opener_open.
 * Ownership: *out is the caller's (cJSON_Delete); the decrypted text is wiped before it is freed. */
#ifndef SYNC_SEAL_OPEN_H
#define SYNC_SEAL_OPEN_H

#include <cjson/cJSON.h>

#include "sync/seal.h"

/* sync_seal_opener_open, with the checked envelope as a cJSON object in *out (NULL on failure). */
sync_err_t seal_open_envelope(const sync_seal_opener_t *opener, const char *sealed_b64,
                              cJSON **out);

#endif
