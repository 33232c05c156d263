/* Internal: the store operations of the sync engine (store_outbox.c, store_apply.c,
 * store_syncstate.c) on top of the store handle (store_internal.h).
 *
 * A store_sync_t wraps one store handle for the engine and caches the prepared statements the
 * engine runs once per row (reading the outbox, acknowledging, applying remote revisions), so a
 * batch of 500 receipts does not prepare 500 statements. Everything else (sync_state keys,
 * conflicts) prepares per call: those run a few times per sync.
 *
 * Transactions: the engine brackets each unit of work (one push response, one pull page) with
 * store_sync_begin()/store_sync_commit() — the store's batch, so sync_form_add() and the clock
 * join the same transaction and one fsync covers it. The apply/ack functions assume an open
 * transaction.
 *
 * Ownership: store_sync_new() borrows the store handle, which must outlive it; store_sync_free()
 * finalizes the statements (call it before closing the store). Rows handed to an outbox scan
 * callback borrow from the statement until the callback returns.
 * Threads: as for the store handle.
 */
#ifndef SYNC_STORE_SYNC_H
#define SYNC_STORE_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "store_internal.h"

/* sync_state keys (store_syncstate.c). */
#define STATE_CURSOR "server_cursor"         /* pull cursor of the last applied page */
#define STATE_LAST_SYNC "last_sync_ms"       /* end of the last complete sync (sync_store_stats) */
#define STATE_LAST_ATTEMPT "last_attempt_ms"
#define STATE_LAST_ERROR "last_error"        /* detail of the last failure, "" after a success */
#define STATE_LAST_ERROR_CODE "last_error_code"
#define STATE_WHOAMI "whoami_device"         /* device id the server last confirmed */
#define STATE_WARNING "last_warning"         /* e.g. a form version the server has with another hash */
/* Enrollment (enroll.c, SECURITY.md 2). STATE_SECRET is written and read only with
 * store_state_set_secret/get_secret (encrypted at rest); the others are plain. */
#define STATE_SERVER_URL "server_url"
#define STATE_DEVICE_ID "credential_device_id"
#define STATE_SECRET "credential_secret"
#define STATE_DEVICE_NAME "device_name"
#define STATE_DEVICE_UNIT "device_unit"
#define STATE_SERVER_ID "server_id"
#define STATE_RECEIPT_KEY "receipt_key"          /* server's Ed25519 public key, base64 */
#define STATE_CRED_EXPIRES "credential_expires_at"
#define STATE_ENROLLED_AT "enrolled_at"

typedef struct store_sync store_sync_t;

sync_err_t store_sync_new(sync_store_t *s, store_sync_t **out);
void store_sync_free(store_sync_t *ss);
sync_store_t *store_sync_store(store_sync_t *ss);

/* One transaction per unit of work: the store's batch (sync_store_begin/commit/rollback). */
sync_err_t store_sync_begin(store_sync_t *ss);
sync_err_t store_sync_commit(store_sync_t *ss);
void store_sync_rollback(store_sync_t *ss);

/* ---- sync_state (store_syncstate.c): work on any handle, inside or outside a transaction --- */

/* SYNC_ERR_NOT_FOUND (errmsg untouched) when the key is absent; values longer than len are cut. */
sync_err_t store_state_get(sync_store_t *s, const char *key, char *buf, size_t len);
/* 0 when absent. */
sync_err_t store_state_get_int(sync_store_t *s, const char *key, int64_t *out);
sync_err_t store_state_set(sync_store_t *s, const char *key, const char *value);
sync_err_t store_state_set_int(sync_store_t *s, const char *key, int64_t value);
sync_err_t store_state_delete(sync_store_t *s, const char *key);
/* The same for secret values: encrypted with the store's data key (ad = "sync_state:" + key). */
sync_err_t store_state_set_secret(sync_store_t *s, const char *key, const char *value);
sync_err_t store_state_get_secret(sync_store_t *s, const char *key, char *buf, size_t len);

/* ---- outbox (store_outbox.c) --------------------------------------------------------------- */

/* One pending outbox row as a push change (origin DEVICE), with change.sealed (NULL unless the
 * revision is sealed) and change.dedup filled. Strings borrow from the row (decrypted payload
 * text lives until the callback returns). */
typedef struct outbox_row {
  int64_t seq;
  proto_change_t change;      /* payload points into the row */
  size_t payload_len;
} outbox_row_t;

/* Returns 0 to go on, 1 to stop after this row (the row counts as seen), -1 to stop before it. */
typedef int (*outbox_row_fn)(void *ctx, const outbox_row_t *row);

/* Streams pending rows (not acknowledged, not failed) with seq > after_seq in seq order, with
 * each change's base revision (the previous final revision of the record, any origin), until
 * the callback stops or the rows end. Only the current row is in memory. */
sync_err_t store_outbox_scan(store_sync_t *ss, int64_t after_seq, outbox_row_fn fn, void *ctx);

/* Inside a transaction: the server holds the row (receipt stored/duplicate/conflict). `proof` is
 * the receipt's verified proof (receipt_proof_format text: leaf index, leaf count, sibling path,
 * response signature), kept as the proof of delivery. */
sync_err_t store_outbox_ack(store_sync_t *ss, int64_t seq, int64_t server_seq, int64_t received_at,
                            const char *proof, int64_t now);
/* Inside a transaction: the server refused the row for good; kept with the error, never re-sent. */
sync_err_t store_outbox_fail(store_sync_t *ss, int64_t seq, const char *error);
/* Bookkeeping for rows sent in a request that failed: attempts + 1 and the error, for every
 * pending row with first_seq <= seq <= last_seq. Runs in its own transaction. */
sync_err_t store_outbox_note_failure(store_sync_t *ss, int64_t first_seq, int64_t last_seq,
                                     const char *error);
/* Inside a transaction: attempts + 1 and the error of one row (a retryable rejection). */
sync_err_t store_outbox_note_row(store_sync_t *ss, int64_t seq, const char *error);

/* Pending rows (not acknowledged, not failed) and their payload bytes. */
sync_err_t store_outbox_pending(store_sync_t *ss, int64_t *count, int64_t *bytes);
/* Every row added after seq `after` (whatever its state) and their payload bytes. */
sync_err_t store_outbox_added_since(store_sync_t *ss, int64_t after, int64_t *count, int64_t *bytes);
/* The greatest outbox seq, 0 when empty. */
sync_err_t store_outbox_max_seq(store_sync_t *ss, int64_t *seq);
/* Records whose newest queued revision was refused for good (STORE_REFUSED_COUNT_SQL). */
sync_err_t store_outbox_failed_count(store_sync_t *ss, int64_t *count);

/* ---- applying what the server sends (store_apply.c) ---------------------------------------- */

typedef enum apply_result {
  APPLY_HEAD = 1,     /* stored as the record's new head */
  APPLY_ASIDE,        /* kept aside: the device still has changes of the record to push */
  APPLY_SKIPPED,      /* already held (same hlc) or superseded */
  APPLY_INVALID       /* does not fit its form's structure: not stored (detail in why) */
} apply_result_t;

/* 1 if the store has form (form_id, version). */
sync_err_t store_apply_has_form(store_sync_t *ss, const char *form_id, int version, int *has);
/* What applying a form from the server did. */
typedef struct form_applied {
  int added;                   /* a new (id, version) */
  int replaced;                /* it replaced the device's own definition of (id, version) */
  int64_t requeued;            /* waiting or refused records written again under it */
  int64_t to_fix;              /* records whose answers do not fit it: refused on the device */
} form_applied_t;

/* Inside a transaction: a form version from the server (pull item or GET /v1/forms). The server's
 * definition is the form: it replaces a different local one of the same id and version, and the
 * records that wait to be sent under that id and version are fitted to it
 * (store_records_fit_form). A definition the library cannot use is not stored: *warning gets a
 * message and the result is SYNC_OK, so one bad form does not stop the feed. */
sync_err_t store_apply_form(store_sync_t *ss, const char *form_id, int version, const char *sha256,
                            const char *definition, form_applied_t *out, char *warning, size_t wlen);
/* Inside a transaction: a central revision (pull item, or the merged revision of a receipt),
 * by the rule of PROTOCOL.md 4. Feeds its HLC to the device clock. c->sealed, when set, is kept
 * with the revision (the device cannot open it). */
sync_err_t store_apply_remote(store_sync_t *ss, const proto_change_t *c, apply_result_t *res,
                              char *why, size_t whylen);
/* Inside a transaction: the conflict of a receipt (one row per conflicting field, idempotent by
 * conflict_id + field); *added gets the rows that were new. device_hlc is the hlc of the change
 * the device sent. Then applies receipt->merged like store_apply_remote. */
sync_err_t store_apply_conflict(store_sync_t *ss, const proto_receipt_t *r, const char *device_hlc,
                                int64_t *added, apply_result_t *res);
/* Inside a transaction: looks again at every revision kept aside (after a push); *applied gets
 * how many became heads. */
sync_err_t store_apply_recheck_aside(store_sync_t *ss, int64_t *applied);

/* ---- statement cache shared by the files above (store_syncstate.c) -------------------------- */

typedef enum sync_stmt_id {
  SST_OUTBOX_SCAN,
  SST_OUTBOX_ACK,
  SST_OUTBOX_FAIL,
  SST_OUTBOX_NOTE_ROW,
  SST_REC_HEAD,
  SST_REV_BY_HLC,
  SST_PENDING_FOR_RECORD,
  SST_REV_INSERT_REMOTE,
  SST_REC_UPDATE_REMOTE,
  SST_REC_INSERT_REMOTE,
  SST_ASIDE_HAS,
  SST_ASIDE_INSERT,
  SST_CONFLICT_INSERT,
  SST_COUNT_
} sync_stmt_id_t;

sync_err_t store_sync_stmt(store_sync_t *ss, sync_stmt_id_t id, sqlite3_stmt **out);

#endif
