/* libsync — screening records.
 *
 * A record is one interview: a UUID, the form id and version it was made with, a revision number
 * (1 at creation, +1 on every write), a hybrid-logical-clock timestamp of its last write, a status
 * (draft or final), created/updated times (ms since the Unix epoch, UTC), a deleted marker and its
 * answers (the payload, a JSON object).
 *
 * Lifecycle: a draft may be updated freely and discarded; it never leaves the device. Finalizing
 * runs full validation and queues the record in the outbox for sync. A final record is never edited
 * in place: sync_record_revise() writes a new revision (also queued) and sync_record_delete() writes
 * a tombstone revision (also queued). Every write and its outbox entry commit in one transaction.
 *
 * Validation: drafts are checked for structure only (unknown fields, wrong types, invalid choices);
 * final records also for required answers and constraints. Answers to questions that are not
 * relevant are removed and calculated fields are always computed by the library. When the form's
 * consent field does not record consent, only the answers of fields marked "without_consent" are
 * kept (proto/SECURITY.md 6). On
 * SYNC_ERR_VALIDATION nothing is written and sync_store_issue_*() lists every failing field.
 *
 * Ownership: sync_record_get() and sync_record_list() results belong to the caller; getters borrow
 * from the record until it is freed. Threads: as for the store handle they take.
 */
#ifndef SYNC_RECORD_H
#define SYNC_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SYNC_UUID_STRLEN 36          /* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" */
#define SYNC_MAX_PAYLOAD (1u << 20)  /* largest accepted payload JSON, bytes */

typedef enum sync_record_status {
  SYNC_STATUS_DRAFT = 1,
  SYNC_STATUS_FINAL = 2
} sync_record_status_t;

typedef struct sync_record sync_record_t;

/* Creates a record of form `form_id` version `form_version` (0 = newest stored) with status DRAFT
 * or FINAL. Writes the new UUID to `uuid_out` (SYNC_UUID_STRLEN + 1 bytes) when not NULL. */
SYNC_API sync_err_t sync_record_create(sync_store_t *store, const char *form_id, int form_version,
                                       const char *payload_json, sync_record_status_t status,
                                       char *uuid_out);

/* Replaces the answers of a draft (SYNC_ERR_STATE for a final record: use sync_record_revise). */
SYNC_API sync_err_t sync_record_update(sync_store_t *store, const char *uuid, const char *payload_json);

/* Turns a draft into a final record after full validation and queues it for sync. */
SYNC_API sync_err_t sync_record_finalize(sync_store_t *store, const char *uuid);

/* Writes a new revision of a final record (full validation) and queues it for sync.
 * SYNC_ERR_STATE for a sealed or purged record. */
SYNC_API sync_err_t sync_record_revise(sync_store_t *store, const char *uuid, const char *payload_json);

/* Removes a draft for good (SYNC_ERR_STATE for a final record). */
SYNC_API sync_err_t sync_record_discard(sync_store_t *store, const char *uuid);

/* Marks a final record deleted: a tombstone revision without answers, queued for sync. */
SYNC_API sync_err_t sync_record_delete(sync_store_t *store, const char *uuid);

/* Reads one record; SYNC_ERR_NOT_FOUND if absent. Tombstones are returned with deleted = 1. */
SYNC_API sync_err_t sync_record_get(sync_store_t *store, const char *uuid, sync_record_t **out);

SYNC_API void sync_record_free(sync_record_t *rec);
SYNC_API const char *sync_record_uuid(const sync_record_t *rec);
SYNC_API const char *sync_record_form_id(const sync_record_t *rec);
SYNC_API int sync_record_form_version(const sync_record_t *rec);
SYNC_API int64_t sync_record_revision(const sync_record_t *rec);
SYNC_API const char *sync_record_hlc(const sync_record_t *rec);   /* sortable text, see proto/FORMS.md */
SYNC_API sync_record_status_t sync_record_status(const sync_record_t *rec);
SYNC_API int64_t sync_record_created_at(const sync_record_t *rec);
SYNC_API int64_t sync_record_updated_at(const sync_record_t *rec);
SYNC_API int sync_record_deleted(const sync_record_t *rec);
/* The answers as a JSON object text. For a sealed record only the clear part (routing fields and
 * central fields); for a purged one "{}". */
SYNC_API const char *sync_record_payload(const sync_record_t *rec);
/* 1 if the record's answers are sealed to the central office (its form is encrypted and it was
 * finalized): this device can no longer read them (proto/SECURITY.md 4). */
SYNC_API int sync_record_sealed(const sync_record_t *rec);
/* 1 if retention purged the record's answers after delivery (proto/SECURITY.md 8). */
SYNC_API int sync_record_purged(const sync_record_t *rec);
/* Where the record stands with the server (as of when it was read):
 *   LOCAL      a draft, or nothing of it was ever queued: it has not left the device;
 *   PENDING    a revision waits in the outbox for the server's receipt;
 *   DELIVERED  every queued revision has the server's receipt (sync_record_receipt_time);
 *   REFUSED    the server refused the newest queued revision for good, or the device would not
 *              send it (sync_record_refusal says why); it stays on the device for the officer:
 *              correct it (sync_record_revise) or send it again (sync_record_resend). */
typedef enum sync_delivery {
  SYNC_DELIVERY_LOCAL = 0,
  SYNC_DELIVERY_PENDING,
  SYNC_DELIVERY_DELIVERED,
  SYNC_DELIVERY_REFUSED
} sync_delivery_t;

SYNC_API sync_delivery_t sync_record_delivery(const sync_record_t *rec);
/* Server time (ms) of the newest receipt, 0 if none. */
SYNC_API int64_t sync_record_receipt_time(const sync_record_t *rec);
/* Why the record is REFUSED, else "": plain text in the store's language (sync_store_set_language)
 * that names each answer by its label and says what to do, made from the server's issue codes
 * (or the device's own check). Borrowed from the record. */
SYNC_API const char *sync_record_refusal(const sync_record_t *rec);
/* The refusal of record `uuid` as the store's issue list (sync_store_issue_*: field, code, message
 * in the store's language), e.g. to mark the answers to correct in a form. SYNC_OK with no issues
 * when the record is not refused or the refusal names no answer. */
SYNC_API sync_err_t sync_record_refusal_issues(sync_store_t *store, const char *uuid);
/* The way forward for a REFUSED record: writes its answers again as a new revision, validated
 * (and sealed, when the form is encrypted) under the form the store holds now, and queues it; the
 * refused revision is not sent again. Use it once the device holds the server's form or the cause
 * was corrected centrally; to correct answers, use sync_record_revise(), which also supersedes
 * the refusal. SYNC_ERR_VALIDATION (sync_store_issue_*) when the answers do not fit the form:
 * correct them with sync_record_revise(). SYNC_ERR_STATE when the record is not refused, or was
 * sealed on this device (its answers cannot be read here: the message says what to do).
 * The sync engine does this by itself for refusals a form difference caused, once the device
 * holds the server's form. */
SYNC_API sync_err_t sync_record_resend(sync_store_t *store, const char *uuid);
/* "local", "pending", "delivered", "refused". */
SYNC_API const char *sync_delivery_name(sync_delivery_t delivery);

/* The whole record as one JSON object {"uuid",...,"delivery","receipt_time","sealed","purged",
 * "payload":{...}}; caller frees. */
SYNC_API sync_err_t sync_record_to_json(const sync_record_t *rec, char **out_json);

typedef struct sync_query {
  const char *form_id;      /* NULL: any form */
  int form_version;         /* 0: any version */
  unsigned status_mask;     /* SYNC_STATUS_DRAFT | SYNC_STATUS_FINAL bits; 0: any */
  int include_deleted;      /* default 0 */
  int64_t updated_from_ms;  /* inclusive; 0: unbounded */
  int64_t updated_to_ms;    /* exclusive; 0: unbounded */
  size_t offset;            /* paging: skip this many */
  size_t limit;             /* paging: at most this many; 0 means 100; capped at 10000 */
} sync_query_t;

SYNC_API void sync_query_init(sync_query_t *query);

typedef struct sync_record_list sync_record_list_t;

/* Records matching `query` (NULL: defaults), newest update first. */
SYNC_API sync_err_t sync_record_list(sync_store_t *store, const sync_query_t *query, sync_record_list_t **out);
SYNC_API size_t sync_record_list_count(const sync_record_list_t *list);
/* How many records match the query ignoring offset/limit. */
SYNC_API int64_t sync_record_list_total(const sync_record_list_t *list);
SYNC_API const sync_record_t *sync_record_list_at(const sync_record_list_t *list, size_t i);
SYNC_API void sync_record_list_free(sync_record_list_t *list);

#ifdef __cplusplus
}
#endif
#endif
