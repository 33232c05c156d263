/* libsync — form definitions.
 *
 * A form definition is a JSON document (format: proto/FORMS.md). A store keeps any number of
 * forms and any number of versions of each; versions are immutable once added and a record keeps
 * the version it was made with.
 *
 * Ownership: `char **` results belong to the caller (sync_free); list getters borrow from the list
 * until sync_form_list_free(). Threads: as for the store handle they take.
 */
#ifndef SYNC_FORM_H
#define SYNC_FORM_H

#include <stddef.h>
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SYNC_FORM_ID_MAX 64

/* Checks a definition without storing it. On SYNC_ERR_FORM / SYNC_ERR_EXPR / SYNC_ERR_JSON,
 * *out_errmsg (if not NULL) receives a message naming where, e.g.
 * "form tppo_screening v1, field 'age', constraint at 7: expected ')'"; caller frees. */
SYNC_API sync_err_t sync_form_check(const char *json, size_t len, char **out_errmsg);

/* Validates and stores a definition. Adding the same (id, version) again with identical content is
 * a no-op that succeeds; with different content it is SYNC_ERR_EXISTS. `out_id` (at least
 * SYNC_FORM_ID_MAX + 1 bytes) and `out_version` may be NULL. */
SYNC_API sync_err_t sync_form_add(sync_store_t *store, const char *json, size_t len,
                                  char *out_id, int *out_version);

/* The stored definition; version 0 means the newest. Caller frees *out_json. */
SYNC_API sync_err_t sync_form_get_json(sync_store_t *store, const char *form_id, int version, char **out_json);

typedef struct sync_form_list sync_form_list_t;

/* Every stored form version, ordered by id then version. */
SYNC_API sync_err_t sync_form_list(sync_store_t *store, sync_form_list_t **out);
SYNC_API size_t sync_form_list_count(const sync_form_list_t *list);
SYNC_API const char *sync_form_list_id(const sync_form_list_t *list, size_t i);
SYNC_API int sync_form_list_version(const sync_form_list_t *list, size_t i);
/* The title in `language` ("id"/"en"), falling back to the form's default language. */
SYNC_API const char *sync_form_list_title(const sync_form_list_t *list, size_t i, const char *language);
SYNC_API void sync_form_list_free(sync_form_list_t *list);

/* Live evaluation for a form UI: applies skip logic and calculations to a partial answer set and
 * reports every issue without storing anything. *out_json is
 *   {"payload": {...canonical answers, computed values...},
 *    "relevant": {"field": true|false, ...},  "issues": [{"field","code","message"}, ...],
 *    "complete": true|false}            (complete: finalizing would succeed)
 * Issues are also available through sync_store_issue_*(). Version 0 means the newest. */
SYNC_API sync_err_t sync_form_evaluate(sync_store_t *store, const char *form_id, int version,
                                       const char *payload_json, char **out_json);

#ifdef __cplusplus
}
#endif
#endif
