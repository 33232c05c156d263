/* libsync — the local store.
 *
 * Ownership: sync_store_open() gives the caller a handle that sync_store_close() releases.
 * Strings returned by sync_store_* getters are borrowed from the handle and stay valid until the
 * next call on that handle. Anything returned through a `char **` belongs to the caller and is
 * released with sync_free().
 *
 * Threads: a handle is not thread-safe; use it from one thread at a time. Several handles on the
 * same file, in one process or in several, are safe: SQLite's locking serialises the writers and a
 * writer waits up to `busy_timeout_ms` before SYNC_ERR_BUSY.
 *
 * Durability: the store runs SQLite in WAL mode. With SYNC_DURABILITY_FULL (the default) every
 * successful write has been fsync()ed to the WAL before the call returns, so it survives kill -9
 * and power loss; the cost is one fsync per transaction (about a millisecond on an SSD, more on an
 * SD card), which is why bulk work should use sync_store_begin()/sync_store_commit(): one fsync for
 * the whole batch. SYNC_DURABILITY_NORMAL skips that fsync: a kill -9 still loses nothing, but a
 * power cut may lose the last transactions (never corrupt the file). Field devices keep FULL.
 *
 * Encryption at rest (proto/SECURITY.md 5): every store is encrypted. Answers, conflict values and
 * the device credential are written only as XChaCha20-Poly1305 ciphertext under a random data key,
 * which the file keeps wrapped with a key derived from the officer's passphrase (Argon2id). The
 * passphrase is needed to open the store; form definitions, uuids, dates, status and receipts stay
 * readable so listings need no decryption.
 */
#ifndef SYNC_STORE_H
#define SYNC_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sync_store sync_store_t;

typedef enum sync_durability {
  SYNC_DURABILITY_FULL = 0,   /* fsync on every commit (default) */
  SYNC_DURABILITY_NORMAL = 1  /* survives process crash, may lose the last commits on power loss */
} sync_durability_t;

/* Cost of deriving the key from the passphrase, used when a store is created or its passphrase
 * changed (the cost chosen is stored in the file; opening uses the stored one). */
typedef enum sync_kdf_strength {
  SYNC_KDF_INTERACTIVE = 0, /* Argon2id, 2 passes over 64 MiB (default: ~0.1-0.5 s on a phone) */
  SYNC_KDF_MODERATE = 1,    /* 3 passes over 256 MiB: laptops */
  SYNC_KDF_TEST = 2         /* libsodium's minimum, no real protection: refused (SYNC_ERR_INVALID_ARG)
                               unless SYNC_ALLOW_TEST_KDF_ENV is "1" (test suites only) */
} sync_kdf_strength_t;

/* The environment variable that test suites set to "1" to allow SYNC_KDF_TEST (proto/SECURITY.md
 * 5). Without it a store that already holds the test cost still opens, and a read-write open
 * re-wraps its key at SYNC_KDF_INTERACTIVE. */
#define SYNC_ALLOW_TEST_KDF_ENV "SYNC_ALLOW_TEST_KDF"

/* 1 when SYNC_KDF_TEST is allowed in this process (SYNC_ALLOW_TEST_KDF_ENV is "1" now), else 0. */
SYNC_API int sync_store_test_kdf_allowed(void);

/* Shortest passphrase accepted when creating a store or changing its passphrase (bytes). */
#define SYNC_PASSPHRASE_MIN 8

typedef struct sync_store_opts {
  int create;                  /* create the file if missing; default 1 */
  int read_only;               /* open read-only; default 0 */
  sync_durability_t durability;/* default SYNC_DURABILITY_FULL */
  int busy_timeout_ms;         /* wait for other writers; default 5000 */
  const char *language;        /* "id" (default) or "en": language of validation messages */
  const char *passphrase;      /* required: the officer's passphrase (UTF-8); not kept by the handle */
  sync_kdf_strength_t kdf;     /* when creating; default SYNC_KDF_INTERACTIVE */
} sync_store_opts_t;

/* Fills `opts` with the defaults above. */
SYNC_API void sync_store_opts_init(sync_store_opts_t *opts);

/* Opens (and, if allowed, creates and migrates) the store at `path` with opts->passphrase. On
 * failure *out is NULL; the returned code says why: SYNC_ERR_PASSPHRASE (wrong or missing
 * passphrase), SYNC_ERR_INVALID_ARG (creating with a passphrase shorter than SYNC_PASSPHRASE_MIN, or
 * opts->kdf SYNC_KDF_TEST while sync_store_test_kdf_allowed() is 0: no file is created),
 * SYNC_ERR_TOO_NEW, SYNC_ERR_CORRUPT, SYNC_ERR_IO, ... A store of schema 2 (written before
 * encryption) is encrypted in place on its first open with a passphrase. A store whose key is
 * wrapped at less than SYNC_KDF_INTERACTIVE cost (made with SYNC_KDF_TEST) opens; when the test
 * cost is not allowed, a read-write open re-wraps it at SYNC_KDF_INTERACTIVE (best effort: if that
 * write fails the open still succeeds and the next one tries again). */
SYNC_API sync_err_t sync_store_open(const char *path, const sync_store_opts_t *opts, sync_store_t **out);

/* Closes the handle; NULL is a no-op. An open batch is rolled back. */
SYNC_API void sync_store_close(sync_store_t *store);

/* Detail of the last failed call on this handle ("" if the last call succeeded). */
SYNC_API const char *sync_store_errmsg(const sync_store_t *store);

/* This device's id: a UUID created with the store and never changed. */
SYNC_API const char *sync_store_device_id(const sync_store_t *store);

/* Re-wraps the data key under `new_passphrase` (fresh salt, cost `kdf`); `old_passphrase` must
 * open the store. One row changes: records are not re-encrypted. SYNC_ERR_PASSPHRASE when the old
 * one is wrong, SYNC_ERR_INVALID_ARG when the new one is too short or `kdf` is SYNC_KDF_TEST while
 * sync_store_test_kdf_allowed() is 0. */
SYNC_API sync_err_t sync_store_change_passphrase(sync_store_t *store, const char *old_passphrase,
                                                 const char *new_passphrase, sync_kdf_strength_t kdf);

/* Emergency wipe of the store at `path` (no passphrase needed, the store must not be open in this
 * process): destroys the wrapped data key and the salt, then overwrites and deletes the database
 * and its -wal, -shm and -journal files. Afterwards nothing in them can be decrypted, even from an
 * earlier copy of the file. SYNC_OK also when nothing was there. */
SYNC_API sync_err_t sync_store_wipe(const char *path);

/* Retention (proto/SECURITY.md 8): purge the answers of final records `days` days after their
 * newest verified receipt; 0 (the default) keeps them forever. Stored in the file. */
SYNC_API sync_err_t sync_store_set_retention_days(sync_store_t *store, int days);
SYNC_API sync_err_t sync_store_retention_days(sync_store_t *store, int *days);
/* Purges now what the retention allows as of `now_ms` (0: the current time): every final record
 * whose every revision has a receipt whose signature verifies, the newest older than the
 * retention. The record keeps uuid, form, dates and receipts; its answers and sealed text are
 * erased. *purged (may be NULL) gets how many records were purged. The sync engine calls this after
 * each successful sync. */
SYNC_API sync_err_t sync_store_purge(sync_store_t *store, int64_t now_ms, int64_t *purged);

/* Schema version of the open file (SQLite user_version). */
SYNC_API int sync_store_schema_version(const sync_store_t *store);

/* Changes the language of validation messages ("id" or "en"). */
SYNC_API sync_err_t sync_store_set_language(sync_store_t *store, const char *language);

/* Batching: record writes between begin and commit share one transaction and one fsync. A write
 * that fails inside a batch leaves no trace (it runs in its own savepoint) and the batch goes on.
 * Batches do not nest. */
SYNC_API sync_err_t sync_store_begin(sync_store_t *store);
SYNC_API sync_err_t sync_store_commit(sync_store_t *store);
SYNC_API sync_err_t sync_store_rollback(sync_store_t *store);

typedef struct sync_store_stats {
  int64_t forms;            /* form versions stored */
  int64_t drafts;           /* draft records */
  int64_t finals;           /* finalized records, not deleted */
  int64_t deleted;          /* deleted (tombstoned) records */
  int64_t outbox_pending;   /* changes waiting to be acknowledged by the server (not refused) */
  int64_t outbox_acked;     /* changes the server has acknowledged */
  int64_t conflicts;        /* conflicts waiting for review */
  int64_t last_sync_ms;     /* time of the last successful sync, 0 if never */
  int64_t outbox_refused;   /* records whose newest queued revision was refused for good: they wait
                             * for the officer (sync_record_refusal, sync_record_resend) */
} sync_store_stats_t;

SYNC_API sync_err_t sync_store_stats(sync_store_t *store, sync_store_stats_t *out);

/* Validation issues of the last record or evaluate call on this handle (0 when it succeeded or
 * failed for another reason). Index getters borrow; field is "" for record-level issues. */
SYNC_API size_t sync_store_issue_count(const sync_store_t *store);
SYNC_API const char *sync_store_issue_field(const sync_store_t *store, size_t i);
SYNC_API const char *sync_store_issue_code(const sync_store_t *store, size_t i);
SYNC_API const char *sync_store_issue_message(const sync_store_t *store, size_t i);
/* The same issues as a JSON array [{"field":..,"code":..,"message":..}]; caller frees. */
SYNC_API sync_err_t sync_store_issues_json(const sync_store_t *store, char **out_json);

/* Releases memory that libsync returned through a `char **`; NULL is a no-op. */
SYNC_API void sync_free(void *ptr);

#ifdef __cplusplus
}
#endif
#endif
