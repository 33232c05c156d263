/* Database file, schema migrations, connection pool, transactions, server_seq and the server's
 * HLC clock (db.h). Schema steps are append-only: a released step is never edited. */
#include "db_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hlc.h"
#include "uuid.h"

/* ---- schema ------------------------------------------------------------------------------- */

static const char SCHEMA_V1[] =
  /* server_id, created_at, last_seq (greatest server_seq handed out), hlc (clock state) */
  "CREATE TABLE meta("
  "  key   TEXT PRIMARY KEY NOT NULL,"
  "  value TEXT NOT NULL);"

  "CREATE TABLE devices("
  "  device_id        TEXT PRIMARY KEY NOT NULL,"
  "  name             TEXT NOT NULL,"
  "  unit             TEXT NOT NULL DEFAULT '',"
  "  secret_sha256    BLOB NOT NULL CHECK (length(secret_sha256) = 32),"
  "  status           TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),"
  "  created_at       INTEGER NOT NULL,"
  "  revoked_at       INTEGER,"
  "  last_seen_at     INTEGER,"
  "  records_received INTEGER NOT NULL DEFAULT 0);"

  /* definition: the compact text whose SHA-256 is sha256; seq: its place in pull */
  "CREATE TABLE forms("
  "  form_id      TEXT NOT NULL,"
  "  version      INTEGER NOT NULL CHECK (version >= 1),"
  "  definition   TEXT NOT NULL,"
  "  sha256       TEXT NOT NULL,"
  "  title        TEXT NOT NULL,"
  "  published_at INTEGER NOT NULL,"
  "  seq          INTEGER NOT NULL UNIQUE,"
  "  PRIMARY KEY (form_id, version));"

  /* Every revision ever stored, in arrival order (server_seq), with its payload exactly as
   * received. source: the device that pushed it, or 'central' (staff or merge). audience: for
   * central revisions the record's creator device, who receives it through pull. outcome is the
   * first receipt's outcome ('stored' / 'conflict'; 'central' for central writes); a conflict
   * row points at the merged revision (merged_seq) and its conflicts row. */
  "CREATE TABLE record_revisions("
  "  server_seq    INTEGER PRIMARY KEY,"
  "  uuid          TEXT NOT NULL,"
  "  revision      INTEGER NOT NULL CHECK (revision >= 1),"
  "  source        TEXT NOT NULL,"
  "  base_revision INTEGER NOT NULL,"
  "  base_hlc      TEXT,"
  "  op            TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),"
  "  form_id       TEXT NOT NULL,"
  "  form_version  INTEGER NOT NULL,"
  "  hlc           TEXT NOT NULL,"
  "  created_at    INTEGER NOT NULL,"
  "  updated_at    INTEGER NOT NULL,"
  "  payload       TEXT NOT NULL,"
  "  author        TEXT,"
  "  audience      TEXT,"
  "  received_at   INTEGER NOT NULL,"
  "  batch_id      TEXT,"
  "  outcome       TEXT NOT NULL CHECK (outcome IN ('stored', 'conflict', 'central')),"
  "  merged_seq    INTEGER,"
  "  conflict_id   TEXT);"
  "CREATE INDEX revisions_for_pull ON record_revisions(audience, server_seq)"
  "  WHERE audience IS NOT NULL;"

  /* The per-record index: one small row per revision, clustered by record, so that a push
   * touches one page per record (record uuids are random: every B-tree keyed by them costs a
   * page write per change). (uuid, source, revision) is the idempotency key of a push; the row
   * with is_head = 1 is the record's current state; the creator is the one non-central source
   * (only the creator may push revisions of a record). */
  "CREATE TABLE record_keys("
  "  uuid       TEXT NOT NULL,"
  "  source     TEXT NOT NULL,"
  "  revision   INTEGER NOT NULL,"
  "  server_seq INTEGER NOT NULL,"
  "  hlc        TEXT NOT NULL,"
  "  is_head    INTEGER NOT NULL CHECK (is_head IN (0, 1)),"
  "  PRIMARY KEY (uuid, source, revision)) WITHOUT ROWID;"
  "CREATE INDEX record_heads ON record_keys(server_seq) WHERE is_head = 1;"

  /* Current state of every record, for central staff and reports. */
  "CREATE VIEW records AS"
  "  SELECT k.uuid, r.form_id, r.form_version, k.revision, k.hlc, k.source AS head_source,"
  "         r.op = 'delete' AS deleted, r.payload, k.server_seq, r.received_at, r.created_at,"
  "         r.updated_at, r.author,"
  "         (SELECT c.source FROM record_keys c WHERE c.uuid = k.uuid AND c.source <> 'central'"
  "          LIMIT 1) AS creator_device"
  "  FROM record_keys k JOIN record_revisions r ON r.server_seq = k.server_seq"
  "  WHERE k.is_head = 1;"

  /* Losers are never dropped: both sides stay in record_revisions; this row lists the
   * conflicting fields ([{field, winner, device_value, central_value}]) for review. */
  "CREATE TABLE conflicts("
  "  conflict_id      TEXT PRIMARY KEY NOT NULL,"
  "  uuid             TEXT NOT NULL,"
  "  device_seq       INTEGER NOT NULL,"
  "  central_seq      INTEGER NOT NULL,"
  "  merged_seq       INTEGER NOT NULL,"
  "  base_revision    INTEGER NOT NULL,"
  "  base_hlc         TEXT,"
  "  central_revision INTEGER NOT NULL,"
  "  central_hlc      TEXT NOT NULL,"
  "  fields           TEXT NOT NULL,"
  "  created_at       INTEGER NOT NULL,"
  "  reviewed_at      INTEGER,"
  "  reviewed_by      TEXT);"
  "CREATE INDEX conflicts_by_record ON conflicts(uuid);"

  /* One row per accepted push request (audit; receipts themselves live in record_revisions). */
  "CREATE TABLE push_batches("
  "  id          INTEGER PRIMARY KEY,"
  "  batch_id    TEXT NOT NULL,"
  "  device_id   TEXT NOT NULL,"
  "  received_at INTEGER NOT NULL,"
  "  changes     INTEGER NOT NULL,"
  "  stored      INTEGER NOT NULL,"
  "  duplicate   INTEGER NOT NULL,"
  "  conflict    INTEGER NOT NULL,"
  "  rejected    INTEGER NOT NULL);";

/* Version 2: central staff (dashboard logins, sessions, login attempts for the rate limit) and
 * the export audit; an index for "last push" per device. */
static const char SCHEMA_V2[] =
  /* pwhash: crypto_pwhash_str (Argon2id) */
  "CREATE TABLE staff_users("
  "  name       TEXT PRIMARY KEY NOT NULL,"
  "  pwhash     TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL,"
  "  last_login INTEGER);"

  /* token_sha256: SHA-256 of the cookie's token; the token itself is never stored */
  "CREATE TABLE staff_sessions("
  "  token_sha256 BLOB PRIMARY KEY NOT NULL CHECK (length(token_sha256) = 32),"
  "  name         TEXT NOT NULL,"
  "  created_at   INTEGER NOT NULL,"
  "  expires_at   INTEGER NOT NULL,"
  "  peer         TEXT NOT NULL DEFAULT '');"
  "CREATE INDEX staff_sessions_by_name ON staff_sessions(name);"

  /* every login attempt (ok or not): the rate limit counts recent failures by name and by peer */
  "CREATE TABLE staff_logins("
  "  id     INTEGER PRIMARY KEY,"
  "  at     INTEGER NOT NULL,"
  "  name   TEXT NOT NULL,"
  "  peer   TEXT NOT NULL,"
  "  ok     INTEGER NOT NULL CHECK (ok IN (0, 1)),"
  "  reason TEXT NOT NULL DEFAULT '');"
  "CREATE INDEX staff_logins_by_name ON staff_logins(name, at);"
  "CREATE INDEX staff_logins_by_peer ON staff_logins(peer, at);"

  /* One row per export, written before the first record is read (outcome 'started') and
   * completed after the last ('ok' / 'failed' with the count). */
  "CREATE TABLE export_audit("
  "  id          INTEGER PRIMARY KEY,"
  "  started_at  INTEGER NOT NULL,"
  "  finished_at INTEGER,"
  "  by          TEXT NOT NULL,"
  "  format      TEXT NOT NULL,"
  "  filter      TEXT NOT NULL,"
  "  output      TEXT NOT NULL,"
  "  records     INTEGER NOT NULL DEFAULT 0,"
  "  outcome     TEXT NOT NULL CHECK (outcome IN ('started', 'ok', 'failed')),"
  "  detail      TEXT NOT NULL DEFAULT '');"

  "CREATE INDEX push_batches_by_device ON push_batches(device_id, received_at);";

/* Version 3: security (proto/SECURITY.md). Enrollment codes (SHA-256 of the normalised code only),
 * device credentials that expire (devices enrolled before get a year from the upgrade), sealed
 * texts and duplicate-detection hashes beside each revision, and the security event log
 * (failed authentication, rate limiting, enrollments). The receipt-signing key pair and the
 * duplicate-detection key are written into meta by migrate() (keys_create). */
static const char SCHEMA_V3[] =
  "CREATE TABLE enroll_codes("
  "  code_sha256 BLOB PRIMARY KEY NOT NULL CHECK (length(code_sha256) = 32),"
  "  name        TEXT NOT NULL,"
  "  unit        TEXT NOT NULL DEFAULT '',"
  "  created_at  INTEGER NOT NULL,"
  "  expires_at  INTEGER NOT NULL,"
  "  valid_days  INTEGER NOT NULL CHECK (valid_days >= 1),"
  "  used_at     INTEGER,"
  "  used_by     TEXT);"

  "ALTER TABLE devices ADD COLUMN credential_expires_at INTEGER;"
  "UPDATE devices SET credential_expires_at ="
  "  CAST(strftime('%s', 'now') AS INTEGER) * 1000 + 365 * 86400000;"

  /* sealed: base64 crypto_box_seal text of the full answers (encrypted forms); dedup: hex hash */
  "ALTER TABLE record_revisions ADD COLUMN sealed TEXT;"
  "ALTER TABLE record_revisions ADD COLUMN dedup TEXT;"
  "CREATE INDEX revisions_by_dedup ON record_revisions(dedup) WHERE dedup IS NOT NULL;"

  "DROP VIEW records;"
  "CREATE VIEW records AS"
  "  SELECT k.uuid, r.form_id, r.form_version, k.revision, k.hlc, k.source AS head_source,"
  "         r.op = 'delete' AS deleted, r.payload, k.server_seq, r.received_at, r.created_at,"
  "         r.updated_at, r.author,"
  "         (SELECT c.source FROM record_keys c WHERE c.uuid = k.uuid AND c.source <> 'central'"
  "          LIMIT 1) AS creator_device,"
  "         r.sealed, r.dedup"
  "  FROM record_keys k JOIN record_revisions r ON r.server_seq = k.server_seq"
  "  WHERE k.is_head = 1;"

  /* kind: auth_failure | rate_limited | enrolled */
  "CREATE TABLE security_events("
  "  id        INTEGER PRIMARY KEY,"
  "  at        INTEGER NOT NULL,"
  "  kind      TEXT NOT NULL,"
  "  addr      TEXT NOT NULL DEFAULT '',"
  "  device_id TEXT NOT NULL DEFAULT '',"
  "  reason    TEXT NOT NULL DEFAULT '');"
  "CREATE INDEX security_events_by_time ON security_events(at);";

typedef struct migration {
  int version;
  const char *sql;
} migration_t;

/* Version 4 (SECURITY.md 2): an enrollment code is bound when it is made. device_id NULL: the
 * code enrols a new device only; else it re-keys only that device. created_by names the staff
 * member who made it, for the audit of a re-key. Codes made before count as new-device codes. */
static const char SCHEMA_V4[] =
  "ALTER TABLE enroll_codes ADD COLUMN device_id TEXT;"
  "ALTER TABLE enroll_codes ADD COLUMN created_by TEXT NOT NULL DEFAULT '';";

/* Version 5 (SECURITY.md 4): device signing keys. devices.signing_key is the device's current
 * Ed25519 public key (NULL: enrolled before device signatures); device_keys keeps every key a
 * device was given, with the server's certificate over (device, key, enrolled_at), so revisions
 * signed under an earlier key still verify after a re-key. Each revision keeps the device's
 * signature (device_sig) and the key it was checked against (sig_key). */
static const char SCHEMA_V5[] =
  "ALTER TABLE devices ADD COLUMN signing_key TEXT;"
  "CREATE TABLE device_keys("
  "  device_id   TEXT NOT NULL,"
  "  signing_key TEXT NOT NULL,"
  "  enrolled_at INTEGER NOT NULL,"
  "  cert        TEXT NOT NULL,"
  "  PRIMARY KEY (device_id, signing_key));"
  "ALTER TABLE record_revisions ADD COLUMN device_sig TEXT;"
  "ALTER TABLE record_revisions ADD COLUMN sig_key TEXT;";

/* Version 6 (SECURITY.md 2.4): login attempts and security events keyed by the client's network
 * (netaddr.h). A staff login is slowed per name and network, not per name alone; repeated
 * security events from one network about one target become one row with a count and the time
 * of the last one (`at` stays the first), so a flood adds counts, not rows. */
static const char SCHEMA_V6[] =
  "ALTER TABLE staff_logins ADD COLUMN prefix TEXT NOT NULL DEFAULT '';"
  "DROP INDEX staff_logins_by_peer;"
  "CREATE INDEX staff_logins_by_name_prefix ON staff_logins(name, prefix, at);"
  "CREATE INDEX staff_logins_by_prefix ON staff_logins(prefix, at);"
  "ALTER TABLE security_events ADD COLUMN prefix TEXT NOT NULL DEFAULT '';"
  "ALTER TABLE security_events ADD COLUMN count INTEGER NOT NULL DEFAULT 1 CHECK (count >= 1);"
  "ALTER TABLE security_events ADD COLUMN last_at INTEGER NOT NULL DEFAULT 0;"
  "UPDATE security_events SET prefix = addr, last_at = at;"
  "CREATE INDEX security_events_by_key ON security_events(kind, prefix, at);"
  "CREATE INDEX security_events_by_last ON security_events(last_at);";

static const migration_t MIGRATIONS[] = {
  {1, SCHEMA_V1},
  {2, SCHEMA_V2},
  {3, SCHEMA_V3},
  {4, SCHEMA_V4},
  {5, SCHEMA_V5},
  {6, SCHEMA_V6},
};

int64_t db_now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

sync_err_t db_err(int rc)
{
  switch (rc & 0xff) {
  case SQLITE_OK: case SQLITE_DONE: case SQLITE_ROW: return SYNC_OK;
  case SQLITE_BUSY: case SQLITE_LOCKED: return SYNC_ERR_BUSY;
  case SQLITE_NOMEM: return SYNC_ERR_NOMEM;
  case SQLITE_CORRUPT: case SQLITE_NOTADB: return SYNC_ERR_CORRUPT;
  case SQLITE_READONLY: return SYNC_ERR_READ_ONLY;
  case SQLITE_CONSTRAINT: return SYNC_ERR_EXISTS;
  case SQLITE_IOERR: case SQLITE_FULL: case SQLITE_CANTOPEN: return SYNC_ERR_IO;
  default: return SYNC_ERR_DB;
  }
}

const char *db_errmsg(const db_conn_t *c)
{
  return c && c->h ? sqlite3_errmsg(c->h) : "no database";
}

void db_no_mmap(db_conn_t *c)
{
  sqlite3_exec(c->h, "PRAGMA mmap_size = 0", NULL, NULL, NULL);
}

const char *db_server_id(const db_conn_t *c)
{
  return c->server_id;
}

sqlite3_stmt *db_stmt(db_conn_t *c, db_slot_t slot, const char *sql)
{
  sqlite3_stmt *st = c->st[slot];
  if (st) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
  }
  if (sqlite3_prepare_v3(c->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
    return NULL;
  c->st[slot] = st;
  return st;
}

sync_err_t db_step_done(sqlite3_stmt *st)
{
  if (!st)
    return SYNC_ERR_DB;
  int rc = sqlite3_step(st);
  sync_err_t e = rc == SQLITE_DONE ? SYNC_OK : db_err(rc == SQLITE_ROW ? SQLITE_ERROR : rc);
  sqlite3_reset(st);
  return e;
}

void db_col_text(sqlite3_stmt *st, int col, char *buf, size_t len)
{
  const unsigned char *t = sqlite3_column_text(st, col);
  if (!len)
    return;
  snprintf(buf, len, "%s", t ? (const char *)t : "");
}

char *db_col_dup(sqlite3_stmt *st, int col)
{
  const unsigned char *t = sqlite3_column_text(st, col);
  int n = sqlite3_column_bytes(st, col);
  char *s = malloc((size_t)n + 1);
  if (!s)
    return NULL;
  if (n)
    memcpy(s, t, (size_t)n);
  s[n] = '\0';
  return s;
}

sync_err_t db_meta_get(db_conn_t *c, const char *key, char *buf, size_t len)
{
  sqlite3_stmt *st = db_stmt(c, ST_META_GET, "SELECT value FROM meta WHERE key = ?1");
  if (!st)
    return SYNC_ERR_DB;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sync_err_t e = SYNC_OK;
  if (rc == SQLITE_ROW)
    db_col_text(st, 0, buf, len);
  else
    e = rc == SQLITE_DONE ? SYNC_ERR_NOT_FOUND : db_err(rc);
  sqlite3_reset(st);
  return e;
}

sync_err_t db_meta_set(db_conn_t *c, const char *key, const char *value)
{
  sqlite3_stmt *st = db_stmt(c, ST_META_SET,
                             "INSERT INTO meta(key, value) VALUES (?1, ?2)"
                             " ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  if (!st)
    return SYNC_ERR_DB;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
  return db_step_done(st);
}

/* ---- open and migrate ---------------------------------------------------------------------- */

static int pragma_int(sqlite3 *h, const char *sql)
{
  sqlite3_stmt *st;
  int v = -1;
  if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK) {
    if (sqlite3_step(st) == SQLITE_ROW)
      v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
  }
  return v;
}

static sync_err_t migrate(db_conn_t *c, char *err, size_t errlen)
{
  for (size_t i = 0; i < sizeof MIGRATIONS / sizeof MIGRATIONS[0]; i++) {
    const migration_t *m = &MIGRATIONS[i];
    if (sqlite3_exec(c->h, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
      snprintf(err, errlen, "cannot lock the database: %s", sqlite3_errmsg(c->h));
      return db_err(sqlite3_errcode(c->h));
    }
    int have = pragma_int(c->h, "PRAGMA user_version");
    if (have >= m->version) {
      sqlite3_exec(c->h, "ROLLBACK", NULL, NULL, NULL);
      continue;
    }
    char *msg = NULL;
    if (sqlite3_exec(c->h, m->sql, NULL, NULL, &msg) != SQLITE_OK)
      goto fail;
    if (m->version == 1) {
      char id[UUID_TEXT_LEN + 1], now[32];
      if (uuid_v4(id) != 0)
        goto fail;
      snprintf(now, sizeof now, "%lld", (long long)db_now_ms());
      if (db_meta_set(c, "server_id", id) || db_meta_set(c, "created_at", now) ||
          db_meta_set(c, "last_seq", "0") || db_meta_set(c, "hlc", "000000000000000-00000"))
        goto fail;
    }
    if (m->version == 3 && db_keys_create(c) != SYNC_OK) {
      snprintf(err, errlen, "schema migration to version 3 failed: %s", db_keys_error(c));
      sqlite3_exec(c->h, "ROLLBACK", NULL, NULL, NULL);
      return SYNC_ERR_IO;
    }
    char bump[96];
    snprintf(bump, sizeof bump, "PRAGMA application_id = %d; PRAGMA user_version = %d",
             DB_APPLICATION_ID, m->version);
    if (sqlite3_exec(c->h, bump, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(c->h, "COMMIT", NULL, NULL, &msg) != SQLITE_OK)
      goto fail;
    continue;
  fail:
    snprintf(err, errlen, "schema migration to version %d failed: %s", m->version,
             msg ? msg : sqlite3_errmsg(c->h));
    sqlite3_free(msg);
    sqlite3_exec(c->h, "ROLLBACK", NULL, NULL, NULL);
    return SYNC_ERR_DB;
  }
  return SYNC_OK;
}

/* ---- file permissions ------------------------------------------------------------------ */

/* The database holds device credentials' hashes, the receipt-signing key and the duplicate-
 * detection key: only the server's own account may read it (proto/SECURITY.md, "Server files and
 * logs"). A file (database, -wal or -shm journal) that group or others can read or write is
 * refused; a missing one is fine. */
static sync_err_t check_private(const char *path, const char *suffix, char *err, size_t errlen)
{
  char file[4096];
  if ((size_t)snprintf(file, sizeof file, "%s%s", path, suffix) >= sizeof file) {
    snprintf(err, errlen, "database path too long");
    return SYNC_ERR_INVALID_ARG;
  }
  struct stat st;
  if (stat(file, &st) != 0)
    return SYNC_OK;
  if (!(st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)))
    return SYNC_OK;
  snprintf(err, errlen,
           "%s dapat dibaca atau ditulis pengguna lain (mode %04o); perbaiki dengan: chmod 600 %s"
           " / %s is readable or writable by other users (mode %04o); fix it with: chmod 600 %s",
           file, (unsigned)(st.st_mode & 07777), file, file, (unsigned)(st.st_mode & 07777), file);
  return SYNC_ERR_IO;
}

/* Refuses a database whose files others can read; with DB_OPEN_CREATE makes a missing file
 * 0600 before SQLite opens it, so SQLite gives its -wal and -shm the same mode. */
static sync_err_t prepare_file(const char *path, int flags, char *err, size_t errlen)
{
  if (!*path || strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0)
    return SYNC_OK;
  static const char *const suffixes[] = {"", "-wal", "-shm", DB_KEYS_SUFFIX};
  for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
    sync_err_t e = check_private(path, suffixes[i], err, errlen);
    if (e != SYNC_OK)
      return e;
  }
  if (!(flags & DB_OPEN_CREATE) || (flags & DB_OPEN_READONLY))
    return SYNC_OK;
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    close(fd);
  } else if (errno != EEXIST) {
    snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
    return SYNC_ERR_IO;
  }
  return SYNC_OK;
}

sync_err_t db_open(const char *path, int flags, db_conn_t **out, char *err, size_t errlen)
{
  *out = NULL;
  if (errlen)
    err[0] = '\0';
  sync_err_t e = prepare_file(path, flags, err, errlen);
  if (e != SYNC_OK)
    return e;
  db_conn_t *c = calloc(1, sizeof *c);
  if (!c)
    return SYNC_ERR_NOMEM;
  c->readonly = (flags & DB_OPEN_READONLY) != 0;
  size_t plen = strlen(path);
  if (!(c->keys_path = malloc(plen + sizeof DB_KEYS_SUFFIX))) {
    free(c);
    return SYNC_ERR_NOMEM;
  }
  memcpy(c->keys_path, path, plen);
  memcpy(c->keys_path + plen, DB_KEYS_SUFFIX, sizeof DB_KEYS_SUFFIX);
  int oflags = SQLITE_OPEN_NOMUTEX;
  if (flags & DB_OPEN_READONLY)
    oflags |= SQLITE_OPEN_READONLY;
  else
    oflags |= SQLITE_OPEN_READWRITE | ((flags & DB_OPEN_CREATE) ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path, &c->h, oflags, NULL);
  if (rc != SQLITE_OK) {
    snprintf(err, errlen, "cannot open %s: %s", path, c->h ? sqlite3_errmsg(c->h) : "no memory");
    e = rc == SQLITE_CANTOPEN ? SYNC_ERR_IO : db_err(rc);
    goto fail;
  }
  sqlite3_extended_result_codes(c->h, 1);
  sqlite3_busy_timeout(c->h, 10000);
  sqlite3_exec(c->h, "PRAGMA mmap_size = 268435456", NULL, NULL, NULL);

  int appid = pragma_int(c->h, "PRAGMA application_id");
  int version = pragma_int(c->h, "PRAGMA user_version");
  if (appid < 0 || version < 0) {
    snprintf(err, errlen, "%s is not a database: %s", path, sqlite3_errmsg(c->h));
    e = SYNC_ERR_CORRUPT;
    goto fail;
  }
  if (appid != 0 && appid != DB_APPLICATION_ID) {
    snprintf(err, errlen, "%s is not a syncserver database", path);
    e = SYNC_ERR_CORRUPT;
    goto fail;
  }
  if (version > DB_SCHEMA_VERSION) {
    snprintf(err, errlen, "%s has schema version %d; this syncserver knows up to %d", path,
             version, DB_SCHEMA_VERSION);
    e = SYNC_ERR_TOO_NEW;
    goto fail;
  }
  if (appid == 0 && version == 0 &&
      pragma_int(c->h, "SELECT count(*) FROM sqlite_schema") > 0) {
    snprintf(err, errlen, "%s is an SQLite database of another program", path);
    e = SYNC_ERR_CORRUPT;
    goto fail;
  }
  if (!(flags & DB_OPEN_READONLY)) {
    const char *sync_mode = (flags & DB_OPEN_FAST) ? "OFF" : "FULL";
    char pragmas[256];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA journal_mode = WAL; PRAGMA synchronous = %s; PRAGMA temp_store = MEMORY;"
             " PRAGMA cache_size = -32768;"
             " PRAGMA wal_autocheckpoint = 8192;", sync_mode);
    if (sqlite3_exec(c->h, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
      snprintf(err, errlen, "cannot set up %s: %s", path, sqlite3_errmsg(c->h));
      e = db_err(sqlite3_errcode(c->h));
      goto fail;
    }
    if (version < DB_SCHEMA_VERSION && (e = migrate(c, err, errlen)) != SYNC_OK)
      goto fail;
    if ((e = db_keys_move_out(c)) != SYNC_OK) {
      snprintf(err, errlen, "%s: %s", path, db_keys_error(c));
      goto fail;
    }
  } else if (version < DB_SCHEMA_VERSION) {
    if (version == 0)
      snprintf(err, errlen, "%s is not initialised (run: syncserver init --db %s)", path, path);
    else
      snprintf(err, errlen, "%s has schema version %d; upgrade it to %d with: syncserver init --db %s",
               path, version, DB_SCHEMA_VERSION, path);
    e = SYNC_ERR_NOT_FOUND;
    goto fail;
  }
  if ((e = db_meta_get(c, "server_id", c->server_id, sizeof c->server_id)) != SYNC_OK) {
    snprintf(err, errlen, "%s: no server id: %s", path, sqlite3_errmsg(c->h));
    goto fail;
  }
  *out = c;
  return SYNC_OK;
fail:
  db_close(c);
  return e;
}

void db_close(db_conn_t *c)
{
  if (!c)
    return;
  db_rollback(c);
  for (int i = 0; i < ST_SLOT_COUNT; i++)
    sqlite3_finalize(c->st[i]);
  sqlite3_close(c->h);
  free(c->keys_path);
  free(c);
}

/* ---- pool ---------------------------------------------------------------------------------- */

/* WAL pages after which a commit wakes the checkpointer, and after which a commit checkpoints
 * itself (the checkpointer is behind; the WAL must not grow without bound). */
#define CKPT_WAKE_PAGES 4096
#define CKPT_BACKSTOP_PAGES 131072

struct db_pool {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  pthread_mutex_t writer;
  char *path;
  int flags, size, opened;
  db_conn_t *free_list;
  /* Background checkpoints: copying WAL pages into the database file happens off the request
   * path, and pages changed by several commits are copied once. */
  pthread_t ckpt_thread;
  int ckpt_started, ckpt_stop, ckpt_pending;
  pthread_cond_t ckpt_cond;
  db_conn_t *ckpt_conn;
};

static int wal_hook(void *arg, sqlite3 *h, const char *dbname, int pages)
{
  db_pool_t *p = arg;
  if (pages >= CKPT_BACKSTOP_PAGES) {
    sqlite3_wal_checkpoint_v2(h, dbname, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  } else if (pages >= CKPT_WAKE_PAGES) {
    pthread_mutex_lock(&p->lock);
    p->ckpt_pending = 1;
    pthread_cond_signal(&p->ckpt_cond);
    pthread_mutex_unlock(&p->lock);
  }
  return SQLITE_OK;
}

static void *checkpointer(void *arg)
{
  db_pool_t *p = arg;
  pthread_mutex_lock(&p->lock);
  while (!p->ckpt_stop) {
    if (!p->ckpt_pending) {
      struct timespec until;
      clock_gettime(CLOCK_REALTIME, &until);
      until.tv_sec += 1;
      pthread_cond_timedwait(&p->ckpt_cond, &p->lock, &until);
    }
    if (p->ckpt_stop)
      break;
    p->ckpt_pending = 0;
    pthread_mutex_unlock(&p->lock);
    sqlite3_wal_checkpoint_v2(p->ckpt_conn->h, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    pthread_mutex_lock(&p->lock);
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

static void pool_adopt(db_pool_t *p, db_conn_t *c)
{
  c->writer = &p->writer;
  if (p->ckpt_started)
    sqlite3_wal_hook(c->h, wal_hook, p);
}

sync_err_t db_pool_open(const char *path, int flags, int size, db_pool_t **out, char *err,
                        size_t errlen)
{
  *out = NULL;
  db_pool_t *p = calloc(1, sizeof *p);
  if (!p || !(p->path = strdup(path))) {
    free(p);
    return SYNC_ERR_NOMEM;
  }
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->cond, NULL);
  pthread_mutex_init(&p->writer, NULL);
  pthread_cond_init(&p->ckpt_cond, NULL);
  p->flags = flags & ~DB_OPEN_READONLY;
  p->size = size < 1 ? 1 : size;
  /* The first connection creates/migrates the file and proves it usable. */
  db_conn_t *c;
  sync_err_t e = db_open(path, p->flags, &c, err, errlen);
  if (e != SYNC_OK) {
    db_pool_close(p);
    return e;
  }
  p->free_list = c;
  p->opened = 1;
  p->flags &= ~DB_OPEN_CREATE;
  if (db_open(path, p->flags, &p->ckpt_conn, err, errlen) == SYNC_OK &&
      pthread_create(&p->ckpt_thread, NULL, checkpointer, p) == 0)
    p->ckpt_started = 1;
  pool_adopt(p, c);
  *out = p;
  return SYNC_OK;
}

db_conn_t *db_pool_acquire(db_pool_t *p)
{
  pthread_mutex_lock(&p->lock);
  for (;;) {
    if (p->free_list) {
      db_conn_t *c = p->free_list;
      p->free_list = c->next_free;
      c->next_free = NULL;
      pthread_mutex_unlock(&p->lock);
      return c;
    }
    if (p->opened < p->size) {
      p->opened++;
      pthread_mutex_unlock(&p->lock);
      db_conn_t *c;
      char err[256];
      if (db_open(p->path, p->flags, &c, err, sizeof err) != SYNC_OK) {
        pthread_mutex_lock(&p->lock);
        p->opened--;
        pthread_cond_signal(&p->cond);
        pthread_mutex_unlock(&p->lock);
        return NULL;
      }
      pool_adopt(p, c);
      return c;
    }
    pthread_cond_wait(&p->cond, &p->lock);
  }
}

void db_pool_release(db_pool_t *p, db_conn_t *c)
{
  if (!c)
    return;
  db_rollback(c);
  pthread_mutex_lock(&p->lock);
  c->next_free = p->free_list;
  p->free_list = c;
  pthread_cond_signal(&p->cond);
  pthread_mutex_unlock(&p->lock);
}

void db_pool_close(db_pool_t *p)
{
  if (!p)
    return;
  if (p->ckpt_started) {
    pthread_mutex_lock(&p->lock);
    p->ckpt_stop = 1;
    pthread_cond_signal(&p->ckpt_cond);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->ckpt_thread, NULL);
  }
  db_close(p->ckpt_conn);
  while (p->free_list) {
    db_conn_t *c = p->free_list;
    p->free_list = c->next_free;
    db_close(c);
  }
  pthread_mutex_destroy(&p->lock);
  pthread_cond_destroy(&p->cond);
  pthread_mutex_destroy(&p->writer);
  pthread_cond_destroy(&p->ckpt_cond);
  free(p->path);
  free(p);
}

/* ---- transactions, server_seq, clock -------------------------------------------------------- */

sync_err_t db_begin_write(db_conn_t *c)
{
  if (c->writer) {
    pthread_mutex_lock(c->writer);
    c->holds_writer = 1;
  }
  int rc = sqlite3_exec(c->h, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    if (c->holds_writer) {
      c->holds_writer = 0;
      pthread_mutex_unlock(c->writer);
    }
    return db_err(rc);
  }
  c->in_txn = c->write_txn = 1;
  c->seq_dirty = 0;
  char buf[32];
  sync_err_t e = db_meta_get(c, "last_seq", buf, sizeof buf);
  if (e != SYNC_OK) {
    db_rollback(c);
    return e;
  }
  c->last_seq = strtoll(buf, NULL, 10);
  return SYNC_OK;
}

sync_err_t db_begin_read(db_conn_t *c)
{
  int rc = sqlite3_exec(c->h, "BEGIN", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    return db_err(rc);
  c->in_txn = 1;
  c->write_txn = 0;
  return SYNC_OK;
}

sync_err_t db_commit(db_conn_t *c)
{
  sync_err_t e = SYNC_OK;
  if (c->write_txn && c->seq_dirty) {
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)c->last_seq);
    e = db_meta_set(c, "last_seq", buf);
  }
  if (e == SYNC_OK) {
    int rc = sqlite3_exec(c->h, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
      e = db_err(rc);
  }
  if (e != SYNC_OK) {
    db_rollback(c);
    return e;
  }
  c->in_txn = c->write_txn = c->seq_dirty = 0;
  if (c->holds_writer) {
    c->holds_writer = 0;
    pthread_mutex_unlock(c->writer);
  }
  return SYNC_OK;
}

void db_rollback(db_conn_t *c)
{
  if (c->in_txn || !sqlite3_get_autocommit(c->h))
    sqlite3_exec(c->h, "ROLLBACK", NULL, NULL, NULL);
  c->in_txn = c->write_txn = c->seq_dirty = 0;
  if (c->holds_writer) {
    c->holds_writer = 0;
    pthread_mutex_unlock(c->writer);
  }
}

int64_t db_next_seq(db_conn_t *c)
{
  c->seq_dirty = 1;
  return ++c->last_seq;
}

sync_err_t db_last_seq(db_conn_t *c, int64_t *out)
{
  if (c->write_txn) {
    *out = c->last_seq;
    return SYNC_OK;
  }
  char buf[32];
  sync_err_t e = db_meta_get(c, "last_seq", buf, sizeof buf);
  *out = e == SYNC_OK ? strtoll(buf, NULL, 10) : 0;
  return e;
}

sync_err_t db_hlc_next(db_conn_t *c, const char *after1, const char *after2,
                       char out[PROTO_HLC_LEN + 1])
{
  char buf[64];
  sync_err_t e = db_meta_get(c, "hlc", buf, sizeof buf);
  if (e != SYNC_OK)
    return e;
  hlc_t state;
  if (hlc_parse(buf, &state, NULL) != 0)
    state.pt = 0, state.counter = 0;
  int64_t wall = db_now_ms();
  const char *afters[2] = {after1, after2};
  for (int i = 0; i < 2; i++) {
    hlc_t remote, got;
    if (afters[i] && *afters[i] && hlc_parse(afters[i], &remote, NULL) == 0)
      hlc_receive(&state, remote, wall, 0, &got);
  }
  hlc_t ts = hlc_tick(&state, wall);
  if (hlc_format(ts, c->server_id, out, PROTO_HLC_LEN + 1) != 0 ||
      hlc_format_state(state, buf, sizeof buf) != 0)
    return SYNC_ERR_INTERNAL;
  return db_meta_set(c, "hlc", buf);
}
