/* libsync — conflicts kept for review.
 *
 * When central staff and the device changed the same answer of a record, the server merges the two
 * revisions deterministically (proto/PROTOCOL.md §5: per field, the newer hybrid-logical-clock
 * wins) and both sides keep every losing value. Nothing is silently dropped: each conflicting
 * field is listed here until someone reviews it. Resolving either accepts the merged value or
 * writes a new revision of the record that takes the losing value back; that revision goes
 * through sync like any other.
 *
 * Ownership: sync_conflict_list() results belong to the caller; getters borrow from the list
 * until sync_conflict_list_free(). Values are JSON text ("null" for "no answer").
 * Threads: as for the store handle they take.
 */
#ifndef SYNC_CONFLICT_H
#define SYNC_CONFLICT_H

#include <stddef.h>
#include <stdint.h>
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sync_conflict_list sync_conflict_list_t;

typedef enum sync_conflict_choice {
  SYNC_CONFLICT_ACCEPT_MERGED = 1, /* keep the value the merge chose */
  SYNC_CONFLICT_TAKE_LOSER = 2     /* write a new revision with the losing value */
} sync_conflict_choice_t;

/* Conflicting fields, newest first; `uuid` NULL for every record; resolved ones only if asked. */
SYNC_API sync_err_t sync_conflict_list(sync_store_t *store, const char *uuid, int include_resolved,
                                       sync_conflict_list_t **out);
SYNC_API size_t sync_conflict_list_count(const sync_conflict_list_t *list);
SYNC_API int64_t sync_conflict_id(const sync_conflict_list_t *list, size_t i);      /* local row id */
SYNC_API const char *sync_conflict_uuid(const sync_conflict_list_t *list, size_t i);
SYNC_API const char *sync_conflict_field(const sync_conflict_list_t *list, size_t i);
SYNC_API const char *sync_conflict_device_value(const sync_conflict_list_t *list, size_t i);
SYNC_API const char *sync_conflict_central_value(const sync_conflict_list_t *list, size_t i);
SYNC_API const char *sync_conflict_winner(const sync_conflict_list_t *list, size_t i); /* "device"|"central" */
SYNC_API int64_t sync_conflict_merged_revision(const sync_conflict_list_t *list, size_t i);
SYNC_API int64_t sync_conflict_detected_at(const sync_conflict_list_t *list, size_t i);
SYNC_API int64_t sync_conflict_resolved_at(const sync_conflict_list_t *list, size_t i); /* 0: open */
SYNC_API void sync_conflict_list_free(sync_conflict_list_t *list);

/* Resolves one conflicting field (by its local id). TAKE_LOSER writes a new revision of the record
 * with the losing value (full validation, queued for sync); SYNC_ERR_VALIDATION if that value no
 * longer fits the form, SYNC_ERR_STATE if already resolved. */
SYNC_API sync_err_t sync_conflict_resolve(sync_store_t *store, int64_t conflict_id, sync_conflict_choice_t choice);

#ifdef __cplusplus
}
#endif
#endif
