/* The central key's opener with the form's compression dictionary (SECURITY.md 4): v2 sealed
 * texts are compressed with the dictionary of the form version they belong to, which the
 * verifying opener (export_verify.c) keeps with each form it has read. export_open_sealed
 * (export.h) is this without a dictionary: v1 texts and v2 texts sealed without one.
 * Threads and ownership as export_open_sealed; `dict` is borrowed. */
#ifndef SRV_EXPORT_SEALED_H
#define SRV_EXPORT_SEALED_H

#include "export.h"
#include "seal_v2.h"
#include "sync/seal.h"

struct cJSON *export_open_sealed_dict(const sync_seal_opener_t *opener, const seal_dict_t *dict,
                                      const exp_stored_t *rec, exp_opened_t *st, char *why,
                                      size_t whylen);

#endif
