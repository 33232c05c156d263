/* Internal to db_*.c: the connection struct and the prepared-statement cache. */
#ifndef SRV_DB_INTERNAL_H
#define SRV_DB_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>

#include "db.h"

/* One slot per cached statement; each module owns the SQL of its slots. */
typedef enum db_slot {
  ST_META_GET, ST_META_SET,
  ST_DEV_GET, ST_DEV_REVOKE, ST_DEV_TOUCH, ST_DEV_LIST, ST_DEV_COUNT_RECEIVED,
  ST_FORM_INSERT, ST_FORM_GET, ST_FORM_LIST,
  ST_REV_BY_KEY, ST_REV_BY_HLC, ST_REV_BY_SEQ, ST_REV_INSERT, ST_KEY_INSERT, ST_KEY_UNHEAD,
  ST_HEAD_GET, ST_HEAD_FACTS, ST_CARRY_SEALED, ST_CARRY_DEDUP,
  ST_CONFLICT_INSERT, ST_CONFLICT_GET, ST_CONFLICT_CENTRAL_BEFORE, ST_BATCH_INSERT,
  ST_PULL,
  ST_REV_SET_SIG,
  ST_SLOT_COUNT
} db_slot_t;

struct db_conn {
  sqlite3 *h;
  sqlite3_stmt *st[ST_SLOT_COUNT];
  pthread_mutex_t *writer;   /* the pool's writer mutex, or NULL for a standalone connection */
  int in_txn, write_txn, holds_writer;
  int64_t last_seq;          /* loaded by db_begin_write */
  int seq_dirty;
  char server_id[PROTO_UUID_LEN + 1];
  int readonly;              /* opened with DB_OPEN_READONLY */
  char *keys_path;           /* the server's key file beside the database (db_keys.c) */
  char dedup_key_b64[PROTO_KEY_B64_LEN + 1]; /* read on first need by db_form_text; "" before */
  char keys_err[512];        /* why the last db_keys_* call failed (db_keys_error) */
  db_conn_t *next_free;      /* pool list */
};

/* The cached statement of `slot`, prepared from `sql` on first use, reset and unbound.
 * NULL on a prepare error (db_errmsg tells). */
sqlite3_stmt *db_stmt(db_conn_t *c, db_slot_t slot, const char *sql);
/* SQLite result code → sync_err_t (BUSY/LOCKED → SYNC_ERR_BUSY, else SYNC_ERR_DB). */
sync_err_t db_err(int rc);
/* Runs one statement to completion (SQLITE_DONE). */
sync_err_t db_step_done(sqlite3_stmt *st);
/* NULL-safe column text copy into buf. */
void db_col_text(sqlite3_stmt *st, int col, char *buf, size_t len);
char *db_col_dup(sqlite3_stmt *st, int col);
/* Meta table values (text). */
sync_err_t db_meta_get(db_conn_t *c, const char *key, char *buf, size_t len);
sync_err_t db_meta_set(db_conn_t *c, const char *key, const char *value);

/* Form definitions are stored without the duplicate-detection key (DB_DEDUP_KEY_PLACEHOLDER in
 * its place) and given out with it, read from the key file (db_keys.c). Both make a new string
 * the caller frees. */
sync_err_t db_form_text(db_conn_t *c, const char *stored, char **out);
sync_err_t db_form_stored_text(db_conn_t *c, const char *definition, char **out);

/* ---- shared between db_push.c and db_records.c ---- */

/* The current state of one record (its head revision) and facts about all its revisions. */
typedef struct db_head {
  int found;
  char creator[PROTO_UUID_LEN + 1];   /* the device that created the record */
  int64_t created_at;
  int64_t seq, revision, max_revision;
  char hlc[PROTO_HLC_LEN + 1];
  char source[PROTO_UUID_LEN + 1];    /* head's source: device id or "central" */
  char form_id[PROTO_FORM_ID_MAX + 1];
  int form_version;
  int deleted;
} db_head_t;

sync_err_t db_head_get(db_conn_t *c, const char *uuid, db_head_t *h);
/* A stored revision as a heap change (origin CENTRAL with author when written centrally). */
sync_err_t db_revision_load(db_conn_t *c, int64_t seq, proto_change_t **out);

/* For a central revision `ch` of record `uuid` (merge, staff write): sets ch->sealed and
 * ch->dedup to those of the newest device revision (by HLC) carrying one, so the head keeps its
 * sealed answers and its place among likely duplicates (SECURITY.md 4, 9); none for a deletion.
 * Frees a previous ch->sealed. */
sync_err_t db_carry_along(db_conn_t *c, const char *uuid, proto_change_t *ch);

/* Inserts a revision (record_revisions and record_keys). source: device id or "central". */
typedef struct db_rev_row {
  int64_t seq;
  const proto_change_t *ch;
  const char *source;
  const char *audience;     /* NULL for device revisions */
  int64_t received_at;
  const char *batch_id;
  const char *outcome;      /* "stored" | "conflict" | "central" */
  int64_t merged_seq;       /* 0: none */
  const char *conflict_id;  /* NULL: none */
  int make_head;            /* 1: this revision becomes the record's head */
} db_rev_row_t;
sync_err_t db_revision_insert(db_conn_t *c, const db_rev_row_t *r);

#endif
