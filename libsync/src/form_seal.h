/* Internal: the security rules a form carries (proto/SECURITY.md 4, 6, 9; keys in FORMS.md):
 * sealing answers to the central key, the clear part that stays readable, consent minimisation
 * and the duplicate-detection hash. Used by the store (finalize), the sync engine (push checks)
 * and the server (push checks, export).
 *
 * Consent minimisation itself happens inside form_validate()/form_evaluate() (form_def.h): when
 * the consent field does not record consent, the canonical payload keeps only the answers of
 * fields marked without_consent (and the consent field). The functions below only check.
 *
 * Ownership: results through `char **` are malloc'd, caller frees. Payloads are compact JSON
 * object text in, as everywhere in the form module. No state; thread-safe on a shared form.
 */
#ifndef SYNC_FORM_SEAL_H
#define SYNC_FORM_SEAL_H

#include <stddef.h>
#include <stdint.h>
#include "form_def.h"

/* 1 if the form has an `encryption` block (its answers are sealed at finalize). */
int form_is_encrypted(const form_t *f);
/* 1 if field `name` stays readable for an encrypted form: listed in clear_fields or with
 * appearance "central". 1 for every field of a form without encryption. 0 for unknown names. */
int form_field_is_clear(const form_t *f, const char *name);
/* 1 if the form declares duplicate_key. */
int form_has_dedup(const form_t *f);

/* The clear part of `payload_json`: a new object with only the answers of clear fields, in the
 * same order. SYNC_ERR_JSON for text that is not an object. */
sync_err_t form_clear_part(const form_t *f, const char *payload_json, size_t len, char **out_json);
/* SYNC_OK when every answer in `payload_json` is of a clear field; SYNC_ERR_VALIDATION otherwise,
 * with the first such field's name in `field` (may be NULL). */
sync_err_t form_check_clear(const form_t *f, const char *payload_json, size_t len, char *field,
                            size_t field_len);

/* Seals `payload_json` (the full canonical answers) for the central office: base64 of the v2
 * envelope (seal_v2.h) of record `uuid` under this form, compressed with the form's dictionary
 * (encryption.dictionary) when it has one. The revision and hlc are not sealed: the device's
 * signature binds them to the sealed text (device_sig.h). SYNC_ERR_STATE for a form without
 * encryption, SYNC_ERR_CRYPTO if libsodium fails. */
sync_err_t form_seal(const form_t *f, const char *uuid, const char *payload_json, size_t len,
                     char **out_sealed);

/* The form's compression dictionary (encryption.dictionary), made for sealing and opening;
 * *out NULL when the form has none. */
struct seal_dict;
sync_err_t form_seal_dict(const form_t *f, struct seal_dict **out);

/* SYNC_OK when `payload_json` respects consent (consent given, no consent field, or only
 * without_consent answers); SYNC_ERR_VALIDATION otherwise with the first offending field. */
sync_err_t form_check_consent(const form_t *f, const char *payload_json, size_t len, char *field,
                              size_t field_len);

/* The duplicate-detection hash of SECURITY.md 9 into out (64 lower-case hex + NUL), or "" when the
 * form has no duplicate_key or a listed field is unanswered. SYNC_ERR_JSON for a bad payload. */
sync_err_t form_dedup_hash(const form_t *f, const char *payload_json, size_t len, char out[65]);

#endif
