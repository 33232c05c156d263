/* seal_open: opening a record's sealed text as a tree, for central tools inside the project
 * (syncserver's export keeps each form's dictionary and would otherwise parse again what
 * sync_seal_opener_open_record has just parsed to check it) (seal.c). Thread-safety as
 * sync_seal_opener_open_record.
 * Ownership: *out is the caller's (cJSON_Delete); the decrypted text is wiped before it is freed. */
#ifndef SYNC_SEAL_OPEN_H
#define SYNC_SEAL_OPEN_H

#include <cjson/cJSON.h>

#include "seal_v2.h"
#include "sync/seal.h"

/* The answers (a JSON object) of the sealed text of record `id`, v1 or v2; `d` is the form's
 * dictionary (NULL when it has none). Results as sync_seal_opener_open_record. */
sync_err_t seal_open_answers(const sync_seal_opener_t *opener, const seal_ident_t *id,
                             const seal_dict_t *d, const char *sealed_b64, cJSON **out);

#endif
