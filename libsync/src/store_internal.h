/* Internal: the store handle and the helpers its files share (store*.c, record*.c).
 *
 * Ownership: struct sync_store owns its sqlite3 connection, every cached prepared statement, the
 * parsed forms in its form cache, its issue list and its error message; sync_store_close() releases
 * them all. A statement returned by store_stmt() stays owned by the handle: the caller binds,
 * steps and must sqlite3_reset() it before returning (an un-reset SELECT keeps a read transaction
 * open and holds back WAL checkpoints). A form returned by store_form_get() is borrowed from the
 * cache until the handle is closed or store_form_cache_flush() runs. The data key (dek) is
 * sodium_malloc'd and freed (zeroed) by sync_store_close().
 * Threads: none of this is thread-safe, like the handle itself.
 */
#ifndef SYNC_STORE_INTERNAL_H
#define SYNC_STORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "sync/form.h"
#include "sync/record.h"
#include "sync/store.h"
#include "form_def.h"
#include "hlc.h"
#include "issues.h"
#include "uuid.h"

/* PRAGMA application_id of every libsync store: "LSYN". */
#define STORE_APPLICATION_ID 0x4c53594e
/* Schema version this library writes (PRAGMA user_version); see store_schema.c. */
#define STORE_SCHEMA_VERSION 5

#define STORE_ERRMSG_MAX 1024

/* A record as record_from_row() reads it, from `records r`: a final record's answers are those of
 * its current revision (records.payload is NULL then, see store_schema.c). Column 9 is the
 * encrypted answers of either (record_from_row decrypts them with the AD of the one it is);
 * 14 is 1 when the current revision is sealed, 15 records.purged. */
#define STORE_RECORD_COLUMNS                                                                     \
  "r.uuid, r.form_id, r.form_version, r.revision, r.hlc, r.status, r.created_at, r.updated_at, "  \
  "r.deleted, coalesce(r.payload, (SELECT v.payload FROM record_revisions v "                    \
  "WHERE v.record_id = r.id AND v.revision = r.revision)), r.id, "                              \
  STORE_DELIVERY_COLUMNS ", "                                                                    \
  "(SELECT v.sealed IS NOT NULL FROM record_revisions v "                                        \
  "WHERE v.record_id = r.id AND v.revision = r.revision), r.purged"

/* Delivery state of the record's queued revisions (outbox rows reached through record_revisions):
 * pending count, newest receipt time, and the refusal (refusal.h) when the newest queued revision
 * was refused for good; a refusal that a newer revision superseded no longer counts. */
#define STORE_DELIVERY_COLUMNS                                                                   \
  "(SELECT count(*) FROM record_revisions v JOIN outbox o ON o.revision_id = v.id "             \
  " WHERE v.record_id = r.id AND o.acked_at IS NULL AND o.failed_at IS NULL), "                  \
  "(SELECT max(coalesce(o.receipt_time, o.acked_at)) FROM record_revisions v "                   \
  " JOIN outbox o ON o.revision_id = v.id WHERE v.record_id = r.id), "                           \
  "(SELECT CASE WHEN o.acked_at IS NULL AND o.failed_at IS NOT NULL THEN o.last_error END "      \
  " FROM record_revisions v JOIN outbox o ON o.revision_id = v.id "                              \
  " WHERE v.record_id = r.id ORDER BY o.seq DESC LIMIT 1)"

/* How many records wait for the officer because their newest queued revision was refused (a
 * refusal a newer revision superseded no longer counts). */
#define STORE_REFUSED_COUNT_SQL                                                                  \
  "SELECT count(*) FROM outbox o JOIN record_revisions w ON w.id = o.revision_id"                \
  " WHERE o.acked_at IS NULL AND o.failed_at IS NOT NULL AND NOT EXISTS (SELECT 1"              \
  " FROM record_revisions v JOIN outbox n ON n.revision_id = v.id"                              \
  " WHERE v.record_id = w.record_id AND n.seq > o.seq)"

/* Cached statements: X(id, sql). Prepared on first use with SQLITE_PREPARE_PERSISTENT. */
#define STORE_STMT_TABLE(X)                                                                      \
  X(STMT_BEGIN, "BEGIN IMMEDIATE")                                                               \
  X(STMT_COMMIT, "COMMIT")                                                                       \
  X(STMT_ROLLBACK, "ROLLBACK")                                                                   \
  X(STMT_SAVEPOINT, "SAVEPOINT sync_write")                                                      \
  X(STMT_RELEASE, "RELEASE sync_write")                                                          \
  X(STMT_ROLLBACK_TO, "ROLLBACK TO sync_write")                                                  \
  X(STMT_META_GET, "SELECT value FROM meta WHERE key = ?1")                                      \
  X(STMT_META_SET, "INSERT INTO meta(key, value) VALUES(?1, ?2) "                                \
                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value")                      \
  X(STMT_FORM_NEWEST, "SELECT max(version) FROM forms WHERE form_id = ?1")                       \
  X(STMT_FORM_DEF, "SELECT definition FROM forms WHERE form_id = ?1 AND version = ?2")           \
  X(STMT_FORM_HASH, "SELECT sha256, origin FROM forms WHERE form_id = ?1 AND version = ?2")      \
  X(STMT_FORM_INSERT, "INSERT INTO forms(form_id, version, definition, sha256, title, "          \
                      "default_language, added_at, origin) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) " \
                      "ON CONFLICT(form_id, version) DO UPDATE SET definition = excluded.definition, " \
                      "sha256 = excluded.sha256, title = excluded.title, "                       \
                      "default_language = excluded.default_language, "                           \
                      "added_at = excluded.added_at, origin = excluded.origin")                  \
  X(STMT_FORM_LIST, "SELECT form_id, version, title, default_language FROM forms "               \
                    "ORDER BY form_id, version")                                                 \
  X(STMT_REC_GET, "SELECT " STORE_RECORD_COLUMNS " FROM records r WHERE r.uuid = ?1")            \
  X(STMT_REC_INSERT, "INSERT INTO records(uuid, form_id, form_version, revision, hlc, status, "  \
                     "created_at, updated_at, deleted, payload) "                                \
                     "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, 0, ?8)")                            \
  X(STMT_REC_UPDATE, "UPDATE records SET revision = ?2, hlc = ?3, status = ?4, updated_at = ?5, " \
                     "deleted = ?6, payload = ?7 WHERE id = ?1")                                 \
  X(STMT_REC_DELETE, "DELETE FROM records WHERE id = ?1")                                        \
  X(STMT_REV_DELETE, "DELETE FROM record_revisions WHERE id = ?1")                               \
  X(STMT_REV_INSERT, "INSERT INTO record_revisions(record_id, uuid, revision, form_id, "         \
                     "form_version, hlc, status, deleted, payload, written_at, sealed, dedup) "  \
                     "VALUES(?1, ?2, ?3, ?4, ?5, ?6, 'final', ?7, ?8, ?9, ?10, ?11)")            \
  X(STMT_OUTBOX_INSERT, "INSERT INTO outbox(revision_id, uuid, revision, op, created_at) "       \
                        "VALUES(?1, ?2, ?3, ?4, ?5)")                                            \
  X(STMT_REC_REFUSAL, "SELECT o.last_error FROM records r JOIN record_revisions v "              \
                      "ON v.record_id = r.id JOIN outbox o ON o.revision_id = v.id "             \
                      "WHERE r.uuid = ?1 AND o.acked_at IS NULL AND o.failed_at IS NOT NULL "    \
                      "AND NOT EXISTS (SELECT 1 FROM record_revisions w JOIN outbox n "          \
                      "ON n.revision_id = w.id WHERE w.record_id = r.id AND n.seq > o.seq)")     \
  X(STMT_REC_WAITING_OF_FORM, "SELECT r.uuid, o.failed_at IS NOT NULL, o.last_error "            \
                              "FROM records r JOIN record_revisions v ON v.record_id = r.id "    \
                              "AND v.revision = r.revision JOIN outbox o "                       \
                              "ON o.revision_id = v.id WHERE r.form_id = ?1 "                    \
                              "AND r.form_version = ?2 AND r.status = 'final' "                  \
                              "AND r.deleted = 0 AND o.acked_at IS NULL AND v.sealed IS NULL")   \
  X(STMT_OUTBOX_REFUSE_HEAD, "UPDATE outbox SET failed_at = ?2, last_error = ?3 "               \
                             "WHERE acked_at IS NULL AND revision_id = (SELECT v.id FROM "       \
                             "records r JOIN record_revisions v ON v.record_id = r.id "          \
                             "AND v.revision = r.revision WHERE r.uuid = ?1)")                   \
  X(STMT_OUTBOX_DROP_WAITING, "DELETE FROM outbox WHERE acked_at IS NULL AND failed_at IS NULL " \
                              "AND revision_id IN (SELECT v.id FROM records r "                  \
                              "JOIN record_revisions v ON v.record_id = r.id WHERE r.uuid = ?1)") \
  X(STMT_OUTBOX_SUPERSEDE, "DELETE FROM outbox WHERE acked_at IS NULL "                          \
                           "AND (failed_at IS NOT NULL OR ?2) AND revision_id IN "               \
                           "(SELECT id FROM record_revisions WHERE record_id = ?1)")             \
  X(STMT_STATS,                                                                                  \
    "SELECT (SELECT count(*) FROM forms),"                                                       \
    " (SELECT count(*) FROM records WHERE status = 'draft'),"                                    \
    " (SELECT count(*) FROM records WHERE status = 'final' AND deleted = 0),"                    \
    " (SELECT count(*) FROM records WHERE status = 'final' AND deleted = 1),"                    \
    " (SELECT count(*) FROM outbox WHERE acked_at IS NULL AND failed_at IS NULL),"               \
    " (SELECT count(*) FROM outbox WHERE acked_at IS NOT NULL),"                                 \
    " (SELECT count(*) FROM conflicts WHERE resolved_at IS NULL),"                               \
    " (SELECT CAST(value AS INTEGER) FROM sync_state WHERE key = 'last_sync_ms'),"               \
    " (" STORE_REFUSED_COUNT_SQL ")")

typedef enum store_stmt_id {
#define STORE_STMT_ENUM_(id, sql) id,
  STORE_STMT_TABLE(STORE_STMT_ENUM_)
#undef STORE_STMT_ENUM_
  STMT_COUNT_
} store_stmt_id_t;

/* One parsed form version, kept so that saving records does not reparse the definition. */
typedef struct store_form_entry {
  char id[SYNC_FORM_ID_MAX + 1];
  int version;
  char sha256[65];              /* of the definition parsed: another handle may replace it */
  form_t *form;
} store_form_entry_t;

struct sync_store {
  sqlite3 *db;
  int read_only;
  sync_durability_t durability;
  int schema_version;
  char language[8];
  char device_id[UUID_TEXT_LEN + 1];

  /* Batches (sync_store_begin): in_batch while a user transaction is open; batch_err is set once
   * SQLite rolled the batch back by itself (I/O error, disk full): it can then only end, and
   * commit reports this error. */
  int in_batch;
  sync_err_t batch_err;
  int write_savepoint;   /* the current write inside the batch runs in a savepoint */
  int tx_hlc_loaded;     /* the HLC state was read from meta inside the current transaction */
  int tx_hlc_dirty;      /* a batch stamped writes: persist the clock before its commit */

  hlc_t hlc;             /* last timestamp issued by this handle */
  unsigned char *dek;    /* data key, sodium_malloc'd (store_crypto.h); NULL until unlocked */

  sqlite3_stmt *stmts[STMT_COUNT_];

  store_form_entry_t *forms;
  size_t nforms, forms_cap;

  issue_list_t issues;
  char errmsg[STORE_ERRMSG_MAX];
};

/* ---- errors (store_util.c) ------------------------------------------------------------------ */

/* Every public entry point starts with this: errmsg "" (and issues cleared when clear_issues). */
void store_reset_error(sync_store_t *s, int clear_issues);
/* Sets errmsg from a printf format and returns err. */
sync_err_t store_fail(sync_store_t *s, sync_err_t err, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));
/* Maps a SQLite result code to a sync_err_t and sets errmsg to
 * "<what>: <sqlite3_errmsg> (SQLite error <extended code>: <errstr>)". */
sync_err_t store_fail_sqlite(sync_store_t *s, int rc, const char *what);
/* The sync_err_t for a SQLite result code (SQLITE_BUSY -> SYNC_ERR_BUSY, ...). */
sync_err_t store_map_sqlite(int rc);
/* Sets errmsg to "N answers failed validation: field (code), ..." from s->issues (for
 * SYNC_ERR_JSON: "the answers are not a valid JSON object: <message>"); returns err. */
sync_err_t store_fail_issues(sync_store_t *s, sync_err_t err);
/* SYNC_ERR_READ_ONLY for a read-only handle, the batch's error for a batch SQLite rolled back,
 * else SYNC_OK; sets errmsg. Every write checks this first. */
sync_err_t store_check_writable(sync_store_t *s);

/* ---- statements and transactions (store_util.c) --------------------------------------------- */

/* The cached statement `id` (prepared on first use) in *out; sets errmsg on failure. */
sync_err_t store_stmt(sync_store_t *s, store_stmt_id_t id, sqlite3_stmt **out);
void store_stmts_finalize(sync_store_t *s);
/* Steps a statement that returns no row (or whose rows are ignored) and resets it. */
int store_step_done(sqlite3_stmt *st);

/* How one write inside a user batch is undone when it fails half-way (outside a batch the
 * write's own transaction is rolled back). */
typedef enum store_undo {
  UNDO_SAVEPOINT, /* a savepoint around the write: SQLite journals every page it touches */
  UNDO_BY_CALLER  /* the caller deletes what it inserted (a new record: a few rows by id), which
                     costs nothing when the write succeeds; if that fails it calls
                     store_write_abandon_batch() */
} store_undo_t;

/* Opens the transaction of one write: BEGIN IMMEDIATE, or inside a user batch a savepoint (or
 * nothing, for UNDO_BY_CALLER). */
sync_err_t store_write_begin(sync_store_t *s, store_undo_t undo);
/* Ends it: commit (ok = 1) or roll back (ok = 0). With ok = 1 a failed commit is rolled back and
 * reported; with ok = 0 the errmsg already set is kept. Inside a batch, a failed write that
 * cannot be undone alone ends the whole batch (batch_err). Returns the result of the write. */
sync_err_t store_write_end(sync_store_t *s, int ok, sync_err_t err);
/* Rolls the whole batch back; store_write_end() then reports the batch as failed. */
void store_write_abandon_batch(sync_store_t *s);

/* ---- time, clock, meta (store_util.c) ------------------------------------------------------- */

int64_t store_now_ms(void);
/* Today's local date in days since 1970-01-01 (for today() in form expressions). */
int32_t store_today_days(void);
/* Stamps a write: the next HLC of this device, persisted in meta in the current transaction (in
 * a batch: by store_hlc_persist() before the batch commits). `out` gets the full text
 * (HLC_TEXT_MAX bytes). Call inside store_write_begin/end. */
sync_err_t store_hlc_stamp(sync_store_t *s, char out[HLC_TEXT_MAX]);
sync_err_t store_hlc_persist(sync_store_t *s);
/* meta key lookup into buf; SYNC_ERR_NOT_FOUND (errmsg untouched) when absent. */
sync_err_t store_meta_get(sync_store_t *s, const char *key, char *buf, size_t len);
sync_err_t store_meta_set(sync_store_t *s, const char *key, const char *value);

/* ---- schema (store_schema.c) ---------------------------------------------------------------- */

/* Checks that the open file is a libsync store, refuses newer ones, creates or migrates the schema
 * (unless read-only), creates or unlocks the data key with `passphrase` (a new key costs `kdf`)
 * and fills s->schema_version, s->device_id and s->dek. */
sync_err_t store_schema_prepare(sync_store_t *s, const char *passphrase, sync_kdf_strength_t kdf);
/* Copies the WAL into the database and truncates it (after work that must leave no older page
 * behind); best effort, outside a transaction. */
void store_checkpoint_truncate(sync_store_t *s);
/* The data step of schema version 3 (store_schema_v3.c): creates the data key and encrypts in
 * place every value a schema-2 store kept in clear. */
sync_err_t store_schema_v3_encrypt(sync_store_t *s, const char *passphrase, sync_kdf_strength_t kdf);
/* The data step of schema version 5 (store_schema_v5.c): encrypts in place the dedup hashes and
 * the form definitions (which hold the dedup key) a schema-4 store kept in clear. */
sync_err_t store_schema_v5_encrypt(sync_store_t *s, const char *passphrase, sync_kdf_strength_t kdf);

/* ---- forms (store_form.c) ------------------------------------------------------------------- */

/* The parsed form (form_id, version); version 0 means the newest stored. *resolved gets the
 * version found. SYNC_ERR_NOT_FOUND (with errmsg) when the store has no such form. */
sync_err_t store_form_get(sync_store_t *s, const char *form_id, int version, const form_t **out,
                          int *resolved);
/* Drops every cached form (after a rollback that may have removed a form added in it). */
/* Where a form definition comes from (schema v4, forms.origin). */
typedef enum form_origin { FORM_ORIGIN_LOCAL, FORM_ORIGIN_SERVER } form_origin_t;
/* What store_form_put did. */
typedef enum form_put {
  FORM_PUT_ADDED,        /* a new (id, version) */
  FORM_PUT_SAME,         /* the same content was there (origin may have become 'server') */
  FORM_PUT_REPLACED,     /* the server's definition replaced a different local one */
  FORM_PUT_KEPT_SERVER   /* a local add of another content: the server's definition stays */
} form_put_t;
/* Stores a definition (sync_form_add is the LOCAL case). SYNC_ERR_EXISTS for a local definition
 * that differs from another local one of the same id and version. */
sync_err_t store_form_put(sync_store_t *store, const char *json, size_t len, form_origin_t origin,
                          char *out_id, int *out_version, form_put_t *outcome);
void store_form_cache_flush(sync_store_t *s);
/* The stored digest of (form_id, version) into out (65 bytes); "" when absent. */
void store_form_hash(sync_store_t *s, const char *form_id, int version, char out[65]);

/* ---- records (record.c writes, record_row.c reads) -------------------------------------------- */

struct sync_record {
  char uuid[UUID_TEXT_LEN + 1];
  char form_id[SYNC_FORM_ID_MAX + 1];
  int form_version;
  int64_t revision;
  char hlc[HLC_TEXT_MAX];
  sync_record_status_t status;
  int64_t created_at, updated_at;
  int deleted;
  int sealed;     /* the current revision carries a sealed text (payload is the clear part) */
  int purged;     /* records.purged */
  int64_t id;     /* records.id */
  sync_delivery_t delivery;
  int64_t receipt_time;
  char refusal[1024];          /* rendered in the store's language (refusal.h) */
  char payload[]; /* NUL-terminated JSON object (decrypted) */
};

/* "draft" / "final", as stored in records.status. */
const char *record_status_text(sync_record_status_t status);

/* Builds a sync_record_t from the current row of a statement that selects STORE_RECORD_COLUMNS,
 * decrypting its answers. SYNC_ERR_NOMEM, or SYNC_ERR_CORRUPT naming the record; errmsg set. */
sync_err_t record_from_row(sync_store_t *s, sqlite3_stmt *st, sync_record_t **out);
/* Writes a final, unsealed record's answers again as a new revision, validated and sealed under
 * the form the store holds now; earlier revisions not yet acknowledged are not sent. For a record
 * still waiting or refused when the server's form replaced the local one (store_apply_form).
 * SYNC_ERR_VALIDATION (issues in s->issues) when the answers do not fit that form. */
sync_err_t record_reseal(sync_store_t *store, const char *uuid);
/* Inside a write transaction, after the server sent form (form_id, version): the records of that
 * form waiting to be sent are made to fit it (record_refusal.c). `replaced`: its definition
 * replaced a different local one, so every waiting unsealed record is written again under it;
 * otherwise only records refused because of a form difference are. A record whose answers do not
 * fit is refused on the device (code form_changed) for the officer to correct. *requeued and
 * *to_fix count both kinds. */
sync_err_t store_records_fit_form(sync_store_t *s, const char *form_id, int version, int replaced,
                                  int64_t *requeued, int64_t *to_fix);

#endif
