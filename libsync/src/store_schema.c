/* Schema creation and migrations (store_internal.h: store_schema_prepare).
 *
 * The schema version is PRAGMA user_version; PRAGMA application_id marks the file as a libsync
 * store. MIGRATIONS lists every step from an empty file to STORE_SCHEMA_VERSION; each step runs in
 * its own transaction with its user_version bump, so an interrupted upgrade resumes where it
 * stopped. Steps are append-only: a released step is never edited, a change is a new step.
 *
 * Version 1 tables:
 *   meta(key, value)          device_id, created_at, hlc (last clock state "ppp-ccccc")
 *   forms                     one row per (form_id, version); definition as given, sha256 of the
 *                             minified definition (identical re-adds are no-ops), title label
 *                             object and default language for listings
 *   records                   the current state of every record; status 'draft' | 'final';
 *                             deleted = 1 for tombstones. payload holds a draft's answers; it is
 *                             NULL for a final record, whose answers are those of its current
 *                             revision (record_revisions, record_id + revision): one copy of each
 *                             final payload instead of two cuts the bytes written per saved
 *                             record by about a third (STORE_RECORD_COLUMNS reads either)
 *   record_revisions          every non-draft revision ever written (origin 'local') or received
 *                             (origin 'remote', sync engine): what is pushed, and what a conflict
 *                             loses; a tombstone has payload '{}'. uuid/form are copied in so a
 *                             revision reads on its own
 *   outbox                    one row per revision to push, in seq order; acked_at / server_seq /
 *                             receipt_time are filled when the server acknowledges it. The sync
 *                             engine reads pending rows with
 *                               SELECT o.seq, o.op, v.* FROM outbox o
 *                               JOIN record_revisions v ON v.id = o.revision_id
 *                               WHERE o.acked_at IS NULL ORDER BY o.seq LIMIT ?
 *                             (index outbox_pending) and acknowledges them by seq in one
 *                             transaction
 *   sync_state(key, value)    server_cursor, last_sync_ms, last_error, ... (sync engine)
 *   conflicts                 losing revisions kept for review (sync engine)
 *
 * Record UUIDs are random (v4), so every index keyed by one takes each insert at a random page;
 * with a few such indexes a batch rewrites most of their pages. Only records.uuid is indexed:
 * revisions and outbox rows point at their parents by integer id, and those keys grow with every
 * insert, so their indexes are appended to. This more than halves the bytes written per record.
 */
#include "store_crypto.h"
#include "sync/version.h"

#include <stdio.h>
#include <string.h>

static const char SCHEMA_V1[] =
  "CREATE TABLE meta("
  "  key   TEXT PRIMARY KEY NOT NULL,"
  "  value TEXT NOT NULL);"

  "CREATE TABLE forms("
  "  form_id          TEXT NOT NULL,"
  "  version          INTEGER NOT NULL CHECK (version >= 1),"
  "  definition       TEXT NOT NULL,"
  "  sha256           TEXT NOT NULL,"
  "  title            TEXT NOT NULL,"
  "  default_language TEXT NOT NULL,"
  "  added_at         INTEGER NOT NULL,"
  "  PRIMARY KEY (form_id, version));"

  "CREATE TABLE records("
  "  id           INTEGER PRIMARY KEY,"
  "  uuid         TEXT NOT NULL UNIQUE,"
  "  form_id      TEXT NOT NULL,"
  "  form_version INTEGER NOT NULL,"
  "  revision     INTEGER NOT NULL CHECK (revision >= 1),"
  "  hlc          TEXT NOT NULL,"
  "  status       TEXT NOT NULL CHECK (status IN ('draft', 'final')),"
  "  created_at   INTEGER NOT NULL,"
  "  updated_at   INTEGER NOT NULL,"
  "  deleted      INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),"
  "  payload      TEXT CHECK ((payload IS NOT NULL) = (status = 'draft')),"
  "  FOREIGN KEY (form_id, form_version) REFERENCES forms(form_id, version));"
  "CREATE INDEX records_by_updated ON records(updated_at);"
  "CREATE INDEX records_by_form ON records(form_id, updated_at);"
  "CREATE INDEX records_by_status ON records(status, deleted, updated_at);"

  "CREATE TABLE record_revisions("
  "  id           INTEGER PRIMARY KEY,"
  "  record_id    INTEGER NOT NULL REFERENCES records(id),"
  "  uuid         TEXT NOT NULL,"
  "  revision     INTEGER NOT NULL CHECK (revision >= 1),"
  "  form_id      TEXT NOT NULL,"
  "  form_version INTEGER NOT NULL,"
  "  hlc          TEXT NOT NULL,"
  "  status       TEXT NOT NULL CHECK (status IN ('draft', 'final')),"
  "  deleted      INTEGER NOT NULL CHECK (deleted IN (0, 1)),"
  "  payload      TEXT NOT NULL,"
  "  written_at   INTEGER NOT NULL,"
  "  origin       TEXT NOT NULL DEFAULT 'local' CHECK (origin IN ('local', 'remote')),"
  "  UNIQUE (record_id, revision));"

  "CREATE TABLE outbox("
  "  seq          INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  revision_id  INTEGER NOT NULL UNIQUE REFERENCES record_revisions(id),"
  "  uuid         TEXT NOT NULL,"
  "  revision     INTEGER NOT NULL,"
  "  op           TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),"
  "  created_at   INTEGER NOT NULL,"
  "  attempts     INTEGER NOT NULL DEFAULT 0,"
  "  last_error   TEXT,"
  "  acked_at     INTEGER,"
  "  server_seq   INTEGER,"
  "  receipt_time INTEGER);"
  "CREATE INDEX outbox_pending ON outbox(seq) WHERE acked_at IS NULL;"

  "CREATE TABLE sync_state("
  "  key   TEXT PRIMARY KEY NOT NULL,"
  "  value);"

  "CREATE TABLE conflicts("
  "  id              INTEGER PRIMARY KEY,"
  "  uuid            TEXT NOT NULL,"
  "  local_revision  INTEGER,"
  "  remote_revision INTEGER,"
  "  losing_hlc      TEXT,"
  "  losing_payload  TEXT,"
  "  winner          TEXT NOT NULL CHECK (winner IN ('local', 'remote')),"
  "  detected_at     INTEGER NOT NULL,"
  "  resolved_at     INTEGER);"
  "CREATE INDEX conflicts_open ON conflicts(uuid) WHERE resolved_at IS NULL;";

/* Data written with the v1 tables: the device's identity and the file's marker. */
static sync_err_t init_v1(sync_store_t *s, const char *passphrase, sync_kdf_strength_t kdf)
{
  (void)passphrase;
  (void)kdf;
  char id[UUID_TEXT_LEN + 1], now[32], sql[64];
  if (uuid_v4(id) != 0)
    return store_fail(s, SYNC_ERR_INTERNAL, "cannot initialise libsodium's random generator");
  snprintf(now, sizeof now, "%lld", (long long)store_now_ms());
  snprintf(sql, sizeof sql, "PRAGMA application_id = %d", STORE_APPLICATION_ID);
  int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    return store_fail_sqlite(s, rc, "cannot mark the file as a libsync store");
  sync_err_t err = store_meta_set(s, "device_id", id);
  if (err == SYNC_OK)
    err = store_meta_set(s, "created_at", now);
  return err;
}

typedef struct migration {
  int version;                          /* user_version after this step */
  const char *sql;
  /* data changes in the same transaction (with the passphrase of the open); may be NULL */
  sync_err_t (*after)(sync_store_t *s, const char *passphrase, sync_kdf_strength_t kdf);
} migration_t;

/* Version 2 (sync engine, store_outbox.c / store_apply.c / conflict.c):
 *   outbox.failed_at          a row the server refused for good (rejected, not retryable): kept
 *                             with last_error for the officer, never re-sent automatically
 *   conflicts.conflict_id..   one row per conflicting field of a server merge (PROTOCOL.md 5),
 *                             unique by (conflict_id, field) so a receipt seen twice adds nothing;
 *                             values are JSON text ("null" = no answer); winner stays
 *                             'local' (device) / 'remote' (central)
 *   remote_pending            central revisions received while the device still had changes of
 *                             the record to push (PROTOCOL.md 4, rule 2): kept aside by HLC and
 *                             looked at again after every push */
static const char SCHEMA_V2[] =
  "ALTER TABLE outbox ADD COLUMN failed_at INTEGER;"
  "ALTER TABLE conflicts ADD COLUMN conflict_id TEXT;"
  "ALTER TABLE conflicts ADD COLUMN field TEXT;"
  "ALTER TABLE conflicts ADD COLUMN device_value TEXT;"
  "ALTER TABLE conflicts ADD COLUMN central_value TEXT;"
  "ALTER TABLE conflicts ADD COLUMN merged_revision INTEGER;"
  "ALTER TABLE conflicts ADD COLUMN resolution TEXT;"
  "CREATE UNIQUE INDEX conflicts_by_id_field ON conflicts(conflict_id, field);"
  "CREATE INDEX conflicts_by_time ON conflicts(detected_at);"
  "CREATE TABLE remote_pending("
  "  hlc           TEXT PRIMARY KEY NOT NULL,"
  "  uuid          TEXT NOT NULL,"
  "  revision      INTEGER NOT NULL,"
  "  base_revision INTEGER NOT NULL,"
  "  base_hlc      TEXT,"
  "  op            TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),"
  "  form_id       TEXT NOT NULL,"
  "  form_version  INTEGER NOT NULL,"
  "  created_at    INTEGER NOT NULL,"
  "  updated_at    INTEGER NOT NULL,"
  "  payload       TEXT NOT NULL,"
  "  author        TEXT,"
  "  received_at   INTEGER NOT NULL);";

/* Version 3 (encryption at rest, sealing, receipts, retention: proto/SECURITY.md 4, 5, 7, 8):
 *   meta key_kdf, key_wrapped the wrapped data key (store_crypto.h); retention_days (store_purge.c)
 *   every answer value        records.payload, record_revisions.payload, remote_pending.payload,
 *                             conflicts' values and the sync_state secret become encrypted BLOBs
 *                             (store_crypto.h lists the associated data of each); the step
 *                             encrypts what a schema-2 store held in clear (store_schema_v3.c)
 *   record_revisions.sealed   base64 crypto_box_seal text of the full answers of an encrypted form
 *                             (payload then holds only the clear part); NULL otherwise
 *   record_revisions.dedup    duplicate-detection hash (hex) of forms with duplicate_key, or NULL
 *   records.purged            1 once retention erased the record's answers (sync_store_purge)
 *   outbox.receipt_sig        the receipt's proof (receipt_proof.h: leaf index/leaf count/sibling
 *                             path/the response's Ed25519 signature): the proof of delivery
 *                             sync_record_receipt() returns
 *   remote_pending.sealed,    the same for central revisions kept aside
 *   remote_pending.dedup */
static const char SCHEMA_V3[] =
  "ALTER TABLE record_revisions ADD COLUMN sealed TEXT;"
  "ALTER TABLE record_revisions ADD COLUMN dedup TEXT;"
  "ALTER TABLE records ADD COLUMN purged INTEGER NOT NULL DEFAULT 0 CHECK (purged IN (0, 1));"
  "ALTER TABLE outbox ADD COLUMN receipt_sig TEXT;"
  "ALTER TABLE remote_pending ADD COLUMN sealed TEXT;"
  "ALTER TABLE remote_pending ADD COLUMN dedup TEXT;";

/* Version 4 (proto/PROTOCOL.md 2.3, "the server's form is the form"):
 *   forms.origin              'local' for a definition added on the device (a form bundled with
 *                             the app, `syncctl form add`), 'server' once the server's definition
 *                             of that id and version is stored. A local definition is a fallback
 *                             until the first pull: the server's replaces it (store_form.c), and a
 *                             later local add of the same id and version keeps the server's. */
static const char SCHEMA_V4[] =
  "ALTER TABLE forms ADD COLUMN origin TEXT NOT NULL DEFAULT 'local'"
  " CHECK (origin IN ('local', 'server'));";

/* Version 5 (proto/SECURITY.md 5, 9: nothing that identifies a person is readable without the
 * passphrase):
 *   record_revisions.dedup,   the duplicate-detection hashes become encrypted BLOBs
 *   remote_pending.dedup
 *   forms.definition          the definition becomes an encrypted BLOB: it holds the key of those
 *                             hashes (duplicate_key.key). sha256, title and default_language stay
 *                             clear for digests and listings
 * No table changes; the step encrypts what a schema-4 store held in clear (store_schema_v5.c). */
static const char SCHEMA_V5[] = "";

static const migration_t MIGRATIONS[] = {
  { 1, SCHEMA_V1, init_v1 },
  { 2, SCHEMA_V2, NULL },
  { 3, SCHEMA_V3, store_schema_v3_encrypt },
  { 4, SCHEMA_V4, NULL },
  { 5, SCHEMA_V5, store_schema_v5_encrypt },
};

_Static_assert(sizeof MIGRATIONS / sizeof MIGRATIONS[0] == STORE_SCHEMA_VERSION,
               "one migration step per schema version");

/* Reads an integer PRAGMA. */
static int pragma_int(sync_store_t *s, const char *name, int *out)
{
  char sql[64];
  sqlite3_stmt *st;
  snprintf(sql, sizeof sql, "PRAGMA %s", name);
  int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
  if (rc != SQLITE_OK)
    return rc;
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *out = sqlite3_column_int(st, 0);
    rc = SQLITE_OK;
  }
  int frc = sqlite3_finalize(st);
  return rc == SQLITE_OK ? frc : rc;
}

static sync_err_t fail_identity(sync_store_t *s, int rc)
{
  if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT)
    return store_fail(s, SYNC_ERR_CORRUPT, "the file is not a SQLite database (SQLite error %d: %s)",
                      rc, sqlite3_errstr(rc));
  return store_fail_sqlite(s, rc, "cannot read the store's header");
}

/* Classifies the file: 0 = a libsync store (or an empty file), else an error with errmsg. */
static sync_err_t check_identity(sync_store_t *s, int *user_version)
{
  int app_id = 0, tables = 0, rc;
  if ((rc = pragma_int(s, "application_id", &app_id)) != SQLITE_OK ||
      (rc = pragma_int(s, "user_version", user_version)) != SQLITE_OK)
    return fail_identity(s, rc);
  if (app_id == STORE_APPLICATION_ID) {
    if (*user_version > STORE_SCHEMA_VERSION)
      return store_fail(s, SYNC_ERR_TOO_NEW,
                        "the store has schema version %d; this libsync (%s) reads up to version %d",
                        *user_version, sync_version(), STORE_SCHEMA_VERSION);
    return SYNC_OK;
  }
  if (app_id != 0)
    return store_fail(s, SYNC_ERR_CORRUPT,
                      "not a libsync store: SQLite application_id is 0x%08x, expected 0x%08x",
                      (unsigned)app_id, (unsigned)STORE_APPLICATION_ID);
  if ((rc = pragma_int(s, "schema_version", &tables)) != SQLITE_OK)
    return fail_identity(s, rc);
  if (tables != 0 || *user_version != 0)
    return store_fail(s, SYNC_ERR_CORRUPT,
                      "not a libsync store: a SQLite database without libsync's application_id");
  return SYNC_OK; /* an empty file: a new store */
}

static sync_err_t exec(sync_store_t *s, const char *sql, const char *what)
{
  int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
  return rc == SQLITE_OK ? SYNC_OK : store_fail_sqlite(s, rc, what);
}

/* Applies one step in its own transaction, unless another connection already did. */
static sync_err_t apply(sync_store_t *s, const migration_t *m, const char *passphrase,
                        sync_kdf_strength_t kdf)
{
  int current = 0, rc;
  char what[64], bump[48];
  snprintf(what, sizeof what, "cannot upgrade the store to schema version %d", m->version);
  sync_err_t err = exec(s, "BEGIN IMMEDIATE", what);
  if (err)
    return err;
  if ((rc = pragma_int(s, "user_version", &current)) != SQLITE_OK) {
    err = store_fail_sqlite(s, rc, what);
    goto fail;
  }
  if (current >= m->version)
    return exec(s, "COMMIT", what);
  if ((err = exec(s, m->sql, what)) != SYNC_OK)
    goto fail;
  if (m->after && (err = m->after(s, passphrase, kdf)) != SYNC_OK)
    goto fail;
  snprintf(bump, sizeof bump, "PRAGMA user_version = %d", m->version);
  if ((err = exec(s, bump, what)) != SYNC_OK || (err = exec(s, "COMMIT", what)) != SYNC_OK)
    goto fail;
  return SYNC_OK;
fail:
  if (!sqlite3_get_autocommit(s->db))
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  return err;
}

static sync_err_t enable_wal(sync_store_t *s)
{
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
  if (rc != SQLITE_OK)
    return store_fail_sqlite(s, rc, "cannot switch the store to WAL mode");
  rc = sqlite3_step(st);
  char mode[16] = "";
  if (rc == SQLITE_ROW)
    snprintf(mode, sizeof mode, "%s", (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW)
    return store_fail_sqlite(s, rc, "cannot switch the store to WAL mode");
  /* An in-memory database reports "memory": there is nothing to make durable. */
  if (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0)
    return store_fail(s, SYNC_ERR_IO, "cannot switch the store to WAL mode (journal mode is '%s')", mode);
  return SYNC_OK;
}

/* Rewrites the WAL into the database and truncates it, so no page of an older state (a schema-2
 * plaintext page, answers just erased) stays in the -wal file; secure_delete already zeroed freed
 * space in the database. Best effort: a reader holding an old snapshot makes it a no-op. */
void store_checkpoint_truncate(sync_store_t *s)
{
  sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
}

sync_err_t store_schema_prepare(sync_store_t *s, const char *passphrase, sync_kdf_strength_t kdf)
{
  int version = 0;
  sync_err_t err = check_identity(s, &version);
  if (err)
    return err;
  if (version < STORE_SCHEMA_VERSION) {
    if (s->read_only)
      return store_fail(s, version == 0 ? SYNC_ERR_CORRUPT : SYNC_ERR_READ_ONLY,
                        version == 0 ? "the file is empty: not a libsync store yet"
                                     : "the store needs a schema upgrade: open it read-write once");
    /* The upgrade makes the data key: refuse a weak passphrase before touching the file. */
    if (version < 3 && strlen(passphrase) < SYNC_PASSPHRASE_MIN)
      return store_fail(s, SYNC_ERR_INVALID_ARG, "the passphrase must be at least %d bytes long",
                        SYNC_PASSPHRASE_MIN);
  }
  /* A file with a key is unlocked first: nothing else is read or upgraded with a wrong
   * passphrase, and the steps after 3 encrypt under its key. */
  if (version >= 3 && (err = store_key_unlock(s, passphrase)) != SYNC_OK)
    return err;
  if (!s->read_only && (err = enable_wal(s)) != SYNC_OK)
    return err;
  int encrypted_in_place = version >= 1 && version < 5;
  for (size_t i = 0; i < sizeof MIGRATIONS / sizeof MIGRATIONS[0]; i++) {
    if (MIGRATIONS[i].version > version && (err = apply(s, &MIGRATIONS[i], passphrase, kdf)) != SYNC_OK)
      return err;
  }
  /* Another handle may have run the upgrade first: then the key is in the file, not here. */
  if (!s->dek && (err = store_key_unlock(s, passphrase)) != SYNC_OK)
    return err;
  if (encrypted_in_place)
    store_checkpoint_truncate(s);
  s->schema_version = STORE_SCHEMA_VERSION;
  err = store_meta_get(s, "device_id", s->device_id, sizeof s->device_id);
  if (err == SYNC_ERR_NOT_FOUND || (err == SYNC_OK && !uuid_is_valid(s->device_id)))
    return store_fail(s, SYNC_ERR_CORRUPT, "the store has no valid device id");
  return err;
}
