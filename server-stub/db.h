/* The server's SQLite storage: one database file, created on first start (see README.md for the
 * schema). WAL journal, synchronous=FULL: a committed transaction survives a power cut, and every
 * answer the server sends is sent after the commit that it reports.
 *
 * Connections: a db_conn_t belongs to one thread at a time. The server takes them from a small
 * pool (one per request thread); admin commands open one directly. Write transactions of one
 * process are serialised by a mutex (SQLite has a single writer anyway; waiting on a mutex is
 * cheaper than SQLite's busy-sleep), and between processes by busy_timeout.
 *
 * Ownership: strings returned through char ** are malloc'd for the caller; structs filled by the
 * db_* functions own nothing unless their comment says so.
 */
#ifndef SRV_DB_H
#define SRV_DB_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "issues.h"
#include "sync/error.h"

#define DB_SCHEMA_VERSION 6
#define DB_APPLICATION_ID 0x53594e53 /* "SYNS" */

typedef struct db_conn db_conn_t;
typedef struct db_pool db_pool_t;

enum {
  DB_OPEN_CREATE = 1,    /* create the file and migrate the schema if needed */
  DB_OPEN_READONLY = 2,  /* read-only (admin listings) */
  DB_OPEN_FAST = 4       /* synchronous=OFF: fuzzing and unit scratch databases only */
};

/* Opens (and with DB_OPEN_CREATE creates/migrates) the database. SYNC_ERR_CORRUPT for a file that
 * is no syncserver database, SYNC_ERR_TOO_NEW for a newer schema; detail in err. */
sync_err_t db_open(const char *path, int flags, db_conn_t **out, char *err, size_t errlen);
void db_close(db_conn_t *c);
/* The last SQLite error message of this connection. */
const char *db_errmsg(const db_conn_t *c);

/* Reads through SQLite's own page cache (bounded by cache_size) instead of a memory map of the
 * file: for long scans such as exports, whose resident memory should not grow with the database. */
void db_no_mmap(db_conn_t *c);

/* The server's UUID (node id of central HLCs), read at open. */
const char *db_server_id(const db_conn_t *c);

sync_err_t db_pool_open(const char *path, int flags, int size, db_pool_t **out, char *err,
                        size_t errlen);
/* Blocks until a connection is free; NULL only if a new connection cannot be opened. */
db_conn_t *db_pool_acquire(db_pool_t *p);
void db_pool_release(db_pool_t *p, db_conn_t *c);
void db_pool_close(db_pool_t *p);

/* Transactions. A write transaction takes the process's writer mutex and BEGIN IMMEDIATE;
 * SYNC_ERR_BUSY when another process holds the write lock past busy_timeout. Commit writes the
 * server_seq counter if db_next_seq() was used. db_rollback() is a no-op outside a transaction. */
sync_err_t db_begin_write(db_conn_t *c);
sync_err_t db_begin_read(db_conn_t *c);
sync_err_t db_commit(db_conn_t *c);
void db_rollback(db_conn_t *c);

/* Inside a write transaction: the next server_seq (shared by record revisions and forms). */
int64_t db_next_seq(db_conn_t *c);
/* Inside any transaction: the greatest server_seq committed (0 for an empty database). */
sync_err_t db_last_seq(db_conn_t *c, int64_t *out);

/* Inside a write transaction: a fresh central HLC ("ppp-ccccc-<server_id>") later than the
 * server's clock, the wall clock and each of the given HLC texts (NULL or "" are skipped). */
sync_err_t db_hlc_next(db_conn_t *c, const char *after1, const char *after2,
                       char out[PROTO_HLC_LEN + 1]);

int64_t db_now_ms(void);

/* ---- devices (db_devices.c) --------------------------------------------------------------- */

#define DB_NAME_MAX 256
#define DB_BY_MAX 128   /* a staff name given with --by */
#define RQ_REGION_TEXT_MAX 64

typedef struct db_device {
  char device_id[PROTO_UUID_LEN + 1];
  char name[DB_NAME_MAX + 1];
  char unit[DB_NAME_MAX + 1];
  unsigned char secret_sha256[32];
  int revoked;
  int64_t created_at, revoked_at, last_seen_at; /* 0 when never */
  int64_t records_received;
  int64_t credential_expires_at;                /* ms; 0 = no expiry recorded */
  char signing_key[PROTO_KEY_B64_LEN + 1];      /* Ed25519 public key (base64) of its sealed
                                                 * changes; "" = enrolled before device
                                                 * signatures (SECURITY.md 4) */
} db_device_t;

sync_err_t db_device_get(db_conn_t *c, const char *device_id, db_device_t *out);
sync_err_t db_device_revoke(db_conn_t *c, const char *device_id);
/* Records a request from the device (last_seen_at), outside a transaction. */
sync_err_t db_device_touch(db_conn_t *c, const char *device_id, int64_t now);
typedef int (*db_device_fn)(void *ctx, const db_device_t *d);
sync_err_t db_device_list(db_conn_t *c, db_device_fn fn, void *ctx);

/* ---- enrollment (db_enroll.c, SECURITY.md 2) ------------------------------------------------ */

typedef struct db_enroll_code {
  char name[DB_NAME_MAX + 1];
  char unit[DB_NAME_MAX + 1];
  int64_t created_at, expires_at, used_at;    /* used_at 0 = not used */
  int valid_days;                             /* credential lifetime given at enrollment */
  char used_by[PROTO_UUID_LEN + 1];
  char device_id[PROTO_UUID_LEN + 1];         /* the one device it re-keys; "" = a new device */
  char created_by[DB_BY_MAX + 1];             /* who made the code ("" when not said) */
} db_enroll_code_t;

/* Stores a new code by the SHA-256 of its normalised text, as `code` describes it (name, unit,
 * created_at, expires_at, valid_days, created_by; used_* ignored). `code->device_id` "": the
 * code enrols a new device only; else it re-keys only that device, which must exist
 * (SYNC_ERR_NOT_FOUND). SYNC_ERR_EXISTS on a (improbable) collision: make another code. */
sync_err_t db_enroll_code_store(db_conn_t *c, const unsigned char code_sha256[32],
                                const db_enroll_code_t *code);
/* db_enroll_code_store of a code for a new device, made now by nobody named. */
sync_err_t db_enroll_code_add(db_conn_t *c, const unsigned char code_sha256[32], const char *name,
                              const char *unit, int64_t now, int64_t expires_at, int valid_days);
/* Every code, newest first. */
typedef int (*db_enroll_fn)(void *ctx, const db_enroll_code_t *code);
sync_err_t db_enroll_code_list(db_conn_t *c, db_enroll_fn fn, void *ctx);

typedef struct db_enrolled {
  db_device_t device;                         /* as stored */
  int rekeyed;                                /* 1: an existing device got a new secret */
  char created_by[DB_BY_MAX + 1];             /* the code's creator */
} db_enrolled_t;
/* The device's signing public key sent at enrollment, with the server's certificate of it
 * (device_sig.h: the receipt key's signature over device id, key and `now`). */
typedef struct db_enroll_key {
  char signing_key[PROTO_KEY_B64_LEN + 1];
  char cert[PROTO_SIG_B64_LEN + 1];
} db_enroll_key_t;
/* In ONE write transaction: checks the code, marks it used by `device_id`, creates the device
 * (a code for a new device) or replaces the secret of the code's device (active again,
 * credential valid for the code's days from `now`), and records "enrolled" or "rekeyed" in the
 * security log. `key` (NULL: the device sent none) becomes the device's signing key and is added
 * to device_keys with its certificate (enrolled_at = `now`); a re-key without a key clears the
 * device's current key. Refused, with nothing written: SYNC_ERR_AUTH when the code is unknown,
 * used or expired; SYNC_ERR_STATE when it is not for `device_id` (a new-device code naming an
 * id the server knows, or a code for another device). */
sync_err_t db_enroll_use(db_conn_t *c, const unsigned char code_sha256[32], const char *device_id,
                         const unsigned char secret_sha256[32], const db_enroll_key_t *key,
                         const char *addr, int64_t now, db_enrolled_t *out);
/* db_enroll_use when only the device as stored matters. */
sync_err_t db_enroll_redeem(db_conn_t *c, const unsigned char code_sha256[32],
                            const char *device_id, const unsigned char secret_sha256[32],
                            const char *addr, int64_t now, db_device_t *out);

/* ---- security log (db_security.c): failed authentication, rate limiting, enrollments ------- */

typedef struct db_sec_event {
  int64_t id, at;                  /* at: the first event of the row */
  int64_t count, last_at;          /* events in the row and the time of the last one */
  const char *kind, *addr, *device_id, *reason;   /* borrowed during the callback; addr is the
                                                   * last event's, device_id the target (a
                                                   * device, a staff name for login_limited,
                                                   * "*" for many) */
  const char *prefix;              /* the network of the addresses (netaddr.h) */
} db_sec_event_t;

/* Records one event in its own write transaction (or inside the caller's). Failure kinds
 * (auth_failure, rate_limited, login_limited) repeated from one network about one target within
 * an hour add to one row; rows are aged and capped (db_security.c). */
sync_err_t db_security_event(db_conn_t *c, const char *kind, const char *addr,
                             const char *device_id, const char *reason, int64_t now);
typedef int (*db_sec_fn)(void *ctx, const db_sec_event_t *e);
/* The most recently active row first; limit <= 0 = all. */
sync_err_t db_security_list(db_conn_t *c, int limit, db_sec_fn fn, void *ctx);

/* ---- server keys (db_keys.c, SECURITY.md 1) ------------------------------------------------- */

/* The receipt-signing key and the duplicate-detection key live in a key file beside the database,
 * never in it: `central.db` → `central.db.keys`, mode 0600, made at `init`. A copy of the database
 * (a backup, a replica, an SQL read) holds neither; a database written by an older server has its
 * keys moved out at the first writable open. */
#define DB_KEYS_SUFFIX ".keys"
/* Stands in a stored form definition where its duplicate_key.key was (db_form_text). */
#define DB_DEDUP_KEY_PLACEHOLDER "$server-dedup-key$"

typedef struct db_keys {
  unsigned char receipt_sk[64];                /* Ed25519 secret key (crypto_sign) */
  char receipt_pk[PROTO_KEY_B64_LEN + 1];      /* its public key, base64 */
  unsigned char dedup_key[32];                 /* keyed BLAKE2b key of duplicate detection */
  char dedup_key_b64[PROTO_KEY_B64_LEN + 1];
} db_keys_t;

/* Inside the schema migration: makes the key file unless it exists (then it is adopted) or the
 * database still holds keys of an older server. */
sync_err_t db_keys_create(db_conn_t *c);
/* db_open (writable) calls it: moves the keys of a database written by an older server into a new
 * key file and out of the database. SYNC_OK when there is nothing to move. */
sync_err_t db_keys_move_out(db_conn_t *c);
/* Reads the key file (an older database opened read-only: its meta). SYNC_ERR_CORRUPT when there
 * are no usable keys, SYNC_ERR_IO when the key file cannot be read or others may read it
 * (db_keys_error tells). Wipe `out` with db_keys_wipe after use. */
sync_err_t db_keys_get(db_conn_t *c, db_keys_t *out);
void db_keys_wipe(db_keys_t *k);
/* Why the last db_keys_create/db_keys_get failed. */
const char *db_keys_error(const db_conn_t *c);

/* ---- forms (db_forms.c) -------------------------------------------------------------------- */

/* Adds a form version: `definition` is its compact text, `sha256` that text's hash, `title` its
 * label object as compact JSON. Same content again: SYNC_OK with *added = 0. Other content under
 * the same (form_id, version): SYNC_ERR_EXISTS (versions are immutable). */
sync_err_t db_form_publish(db_conn_t *c, const char *form_id, int version, const char *definition,
                           const char *sha256, const char *title, int *added, int64_t *seq_out);
/* SYNC_ERR_NOT_FOUND when unknown. definition may be NULL (existence / hash check only). */
sync_err_t db_form_get(db_conn_t *c, const char *form_id, int version, char **definition,
                       char sha256[PROTO_SHA256_LEN + 1]);
/* Every form version ordered by form_id, version; the caller frees with db_forms_list_free(). */
sync_err_t db_forms_list(db_conn_t *c, proto_forms_list_t *out);
void db_forms_list_free(proto_forms_list_t *l);

/* ---- push (db_push.c) ---------------------------------------------------------------------- */

/* Checks a payload against a form version in draft mode (structure only). Returns SYNC_OK,
 * SYNC_ERR_NOT_FOUND for an unknown form, SYNC_ERR_VALIDATION with issues appended. */
typedef sync_err_t (*db_validate_fn)(void *ctx, const char *form_id, int version,
                                     const char *payload, issue_list_t *issues);

typedef struct db_push_stats {
  int stored, duplicate, conflict, rejected;
} db_push_stats_t;

/* Applies a decoded batch from `device_id` in ONE write transaction, committed before it
 * returns SYNC_OK. `prechecks[i]` (may be NULL) is a rejection already decided for change i
 * (unknown_form / invalid_change, found before the transaction); it is used unless the change is
 * a duplicate, and ownership moves into the receipt. `receipts` has req->n_changes zeroed entries
 * and is filled in request order (free with db_receipts_free). On failure nothing is stored and
 * the receipts are cleared. */
sync_err_t db_push(db_conn_t *c, const char *device_id, const proto_push_req_t *req,
                   proto_error_t **prechecks, db_validate_fn validate, void *vctx,
                   proto_receipt_t *receipts, db_push_stats_t *stats);
void db_receipts_free(proto_receipt_t *r, size_t n);
void db_change_free(proto_change_t *c);   /* a heap change from db_*: payload, author, itself */

/* ---- pull (db_pull.c) ---------------------------------------------------------------------- */

/* Fills `w` with the items for `device_id` after server_seq `after` (new form versions, central
 * revisions of records the device created), at most `limit`. Inside its own read transaction.
 * *next is the cursor position to hand out, *more whether another page follows. */
sync_err_t db_pull(db_conn_t *c, const char *device_id, int64_t after, int after_given, int limit,
                   proto_pull_writer_t *w, int64_t *next, int *more);

/* ---- records for central staff (db_records.c) ---------------------------------------------- */

typedef struct db_record_row {
  char uuid[PROTO_UUID_LEN + 1];
  int64_t revision;
  char form_id[PROTO_FORM_ID_MAX + 1];
  int form_version;
  char source[PROTO_UUID_LEN + 1];  /* creator device id */
  char head_origin[PROTO_UUID_LEN + 1]; /* "central" or the device id */
  int64_t server_seq;               /* of the head revision */
  int64_t received_at;              /* when the head revision was stored */
  int deleted;
  char hlc[PROTO_HLC_LEN + 1];
} db_record_row_t;

typedef int (*db_record_fn)(void *ctx, const db_record_row_t *r);
/* Current state of records, newest first; form_id NULL = all; limit <= 0 = all. */
sync_err_t db_records_list(db_conn_t *c, const char *form_id, int limit, db_record_fn fn,
                           void *ctx);
/* The head payload exactly as stored. SYNC_ERR_NOT_FOUND. */
sync_err_t db_record_payload(db_conn_t *c, const char *uuid, char **payload,
                             db_record_row_t *row);
/* The head revision as a change (heap; db_change_free). */
sync_err_t db_record_head(db_conn_t *c, const char *uuid, proto_change_t **out);

/* A central write on the head of `uuid`: `edit` returns the new payload for the head's payload
 * (malloc'd; NULL = out of memory), or the write is a deletion when `edit` is NULL. The payload is
 * checked against the head's form version unless `validate` is NULL. SYNC_ERR_NOT_FOUND,
 * SYNC_ERR_STATE (record deleted), SYNC_ERR_VALIDATION (issues appended). */
typedef char *(*db_edit_fn)(void *ctx, const char *payload);
sync_err_t db_central_write(db_conn_t *c, const char *uuid, const char *author, db_edit_fn edit,
                            void *ectx, db_validate_fn validate, void *vctx, issue_list_t *issues,
                            int64_t *revision_out, int64_t *seq_out);

/* ---- central staff, sessions, export audit (db_staff.c, db_audit.c) -------------------------- */

#define DB_STAFF_NAME_MAX 64
#define DB_PWHASH_MAX 128      /* >= crypto_pwhash_STRBYTES */

typedef struct db_staff {
  char name[DB_STAFF_NAME_MAX + 1];
  char pwhash[DB_PWHASH_MAX];
  int64_t created_at, last_login;   /* last_login 0 = never */
  int64_t sessions;                 /* sessions not yet expired (listing only) */
} db_staff_t;

/* SYNC_ERR_EXISTS when the name is taken; with `replace` the password is changed instead and
 * every session of the user ends. */
sync_err_t db_staff_add(db_conn_t *c, const char *name, const char *pwhash, int replace);
sync_err_t db_staff_get(db_conn_t *c, const char *name, db_staff_t *out);   /* SYNC_ERR_NOT_FOUND */
/* Removes the user and every session of theirs. SYNC_ERR_NOT_FOUND. */
sync_err_t db_staff_remove(db_conn_t *c, const char *name);
typedef int (*db_staff_fn)(void *ctx, const db_staff_t *s);
sync_err_t db_staff_list(db_conn_t *c, db_staff_fn fn, void *ctx);

/* A new session (and expired ones are purged). */
sync_err_t db_session_add(db_conn_t *c, const unsigned char token_sha256[32], const char *name,
                          int64_t now, int64_t expires_at, const char *peer);
/* The user of a live session; SYNC_ERR_NOT_FOUND when absent, expired or the user is gone. */
sync_err_t db_session_get(db_conn_t *c, const unsigned char token_sha256[32], int64_t now,
                          char name[DB_STAFF_NAME_MAX + 1]);
sync_err_t db_session_delete(db_conn_t *c, const unsigned char token_sha256[32]);

/* Failed staff logins within a window (SECURITY.md 2.4). A network is netaddr_prefix's. */
typedef struct db_login_failures {
  int pair;              /* this name from this network, since its last success there */
  int64_t pair_last;     /* the newest of them (0: none) */
  int name;              /* this name from every network */
  int network;           /* every name from this network */
  int64_t network_last;
  int familiar;          /* this name has signed in from this network (in the 90 days kept) */
} db_login_failures_t;
/* 0 when an attempt with these failures may go on, else the seconds it must wait. */
typedef int (*db_login_gate_fn)(const db_login_failures_t *f, int64_t now);
/* In one write transaction: the failures since `since` into *f and, when `gate` lets the attempt
 * go on, a row for it that counts as a failure until db_login_done (so parallel attempts count
 * each other). *id is that row, or 0 with *wait seconds when the gate refused. */
sync_err_t db_login_begin(db_conn_t *c, const char *name, const char *peer, const char *prefix,
                          int64_t now, int64_t since, db_login_gate_fn gate,
                          db_login_failures_t *f, int64_t *id, int *wait);
/* The outcome of attempt `id` (reason: why it failed); forgets attempts older than 90 days. */
sync_err_t db_login_done(db_conn_t *c, int64_t id, int ok, const char *reason, int64_t now);

typedef struct db_audit {
  int64_t id, started_at, finished_at, records;
  char by[DB_STAFF_NAME_MAX * 2 + 1];
  char format[16];
  char outcome[16];
  const char *filter, *output, *detail;   /* borrowed during the callback */
} db_audit_t;

/* Writes the 'started' row of an export; *id for db_audit_finish. */
sync_err_t db_audit_begin(db_conn_t *c, const char *by, const char *format, const char *filter,
                          const char *output, int64_t now, int64_t *id);
sync_err_t db_audit_finish(db_conn_t *c, int64_t id, int ok, int64_t records, const char *detail,
                           int64_t now);
typedef int (*db_audit_fn)(void *ctx, const db_audit_t *a);
/* Newest first; limit <= 0 = all. */
sync_err_t db_audit_list(db_conn_t *c, int limit, db_audit_fn fn, void *ctx);

/* ---- device activity (db_devices.c) -------------------------------------------------------- */

typedef struct db_device_activity {
  db_device_t d;
  int64_t last_push_at;         /* 0: never pushed */
  int64_t pending_conflicts;    /* conflicts on its records not yet reviewed */
} db_device_activity_t;
typedef int (*db_activity_fn)(void *ctx, const db_device_activity_t *a);
sync_err_t db_device_activity(db_conn_t *c, db_activity_fn fn, void *ctx);

/* 1 in *found when this server stored revision `revision` of `uuid` from `device_id` with that
 * hlc, server_seq and received_at: what a signed receipt claims (db_records.c). */
sync_err_t db_receipt_revision_exists(db_conn_t *c, const char *uuid, const char *device_id,
                                      int64_t revision, const char *hlc, int64_t server_seq,
                                      int64_t received_at, int64_t *found);

/* ---- likely duplicates (db_dupes.c, SECURITY.md 9) ----------------------------------------- */

typedef struct db_dupe {
  char dedup[PROTO_DEDUP_LEN + 1];
  int first_of_group;               /* 1 on the first record of each group */
  char uuid[PROTO_UUID_LEN + 1];
  char device_id[PROTO_UUID_LEN + 1];
  char device_name[DB_NAME_MAX + 1];
  char device_unit[DB_NAME_MAX + 1];
  char province[RQ_REGION_TEXT_MAX + 1];   /* from the clear answers; "" when absent */
  char regency[RQ_REGION_TEXT_MAX + 1];
  char interview_date[11];
  int64_t received_at;              /* when the server first received the record */
} db_dupe_t;

typedef int (*db_dupe_fn)(void *ctx, const db_dupe_t *d);
/* Groups of at least two distinct records (head revisions, not deleted) with the same dedup
 * hash, group by group (oldest record first); *groups counts them (may be NULL). */
sync_err_t db_duplicates(db_conn_t *c, db_dupe_fn fn, void *ctx, int64_t *groups);

typedef struct db_counts {
  int64_t devices, forms, records, revisions, conflicts, last_seq;
} db_counts_t;
sync_err_t db_counts(db_conn_t *c, db_counts_t *out);

#endif
