/* The store handle: open/close, options, batches, stats and the issue getters (sync/store.h). */
#include "store_crypto.h"

#include <cJSON.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A WAL checkpoint runs inside the commit that crosses the threshold, so its cost (copying the
 * WAL into the database and an fsync) lands on that one save. A single save of a reference-form
 * record adds 12-14 pages to the WAL; with SQLite's default of 1000 pages about 1.4% of single
 * saves would carry a checkpoint, which puts the stall inside the p99 latency. 4000 pages (16 MiB)
 * makes it about 0.35% and halves the checkpoints of bulk imports, while the WAL (disk used on a
 * small SD card, the recovery scan after a crash) stays bounded. */
#define STORE_WAL_AUTOCHECKPOINT_PAGES 4000
/* After a checkpoint the WAL file is truncated back to this size, so a one-off import (or a
 * reader that held checkpoints back) does not keep its peak size on disk. */
#define STORE_JOURNAL_SIZE_LIMIT (64 * 1024 * 1024)
/* Page cache per handle (KiB): a whole 500-record batch fits, so SQLite need not spill dirty
 * pages to the WAL before the commit. */
#define STORE_CACHE_KIB 16384

void sync_store_opts_init(sync_store_opts_t *opts)
{
  if (!opts)
    return;
  memset(opts, 0, sizeof *opts);
  opts->create = 1;
  opts->read_only = 0;
  opts->durability = SYNC_DURABILITY_FULL;
  opts->busy_timeout_ms = 5000;
  opts->language = "id";
  opts->passphrase = NULL;
  opts->kdf = SYNC_KDF_INTERACTIVE;
}

static int language_ok(const char *lang)
{
  return strcmp(lang, "id") == 0 || strcmp(lang, "en") == 0;
}

static sync_err_t apply_pragmas(sync_store_t *s, const sync_store_opts_t *o)
{
  char sql[256];
  snprintf(sql, sizeof sql,
           "PRAGMA foreign_keys = ON;"
           "PRAGMA synchronous = %s;"
           "PRAGMA cache_size = -%d;"
           "PRAGMA temp_store = MEMORY;"
           "PRAGMA secure_delete = ON;", /* freed bytes are zeroed (SECURITY.md 5) */
           o->durability == SYNC_DURABILITY_FULL ? "FULL" : "NORMAL", STORE_CACHE_KIB);
  int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
  if (rc == SQLITE_OK && !o->read_only) {
    snprintf(sql, sizeof sql, "PRAGMA wal_autocheckpoint = %d; PRAGMA journal_size_limit = %d;",
             STORE_WAL_AUTOCHECKPOINT_PAGES, STORE_JOURNAL_SIZE_LIMIT);
    rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
  }
  return rc == SQLITE_OK ? SYNC_OK : store_fail_sqlite(s, rc, "cannot configure the store");
}

sync_err_t sync_store_open(const char *path, const sync_store_opts_t *opts, sync_store_t **out)
{
  sync_store_opts_t o;
  if (out)
    *out = NULL;
  if (!path || !*path || !out)
    return SYNC_ERR_INVALID_ARG;
  if (opts)
    o = *opts;
  else
    sync_store_opts_init(&o);
  if (!o.language)
    o.language = "id";
  if ((o.durability != SYNC_DURABILITY_FULL && o.durability != SYNC_DURABILITY_NORMAL) ||
      o.busy_timeout_ms < 0 || !language_ok(o.language) ||
      (o.kdf != SYNC_KDF_INTERACTIVE && o.kdf != SYNC_KDF_MODERATE && o.kdf != SYNC_KDF_TEST))
    return SYNC_ERR_INVALID_ARG;
  /* The test cost only where the test suites switch it on (SECURITY.md 5): refused before any
   * file is created. A store that already holds it still opens (store_key.c). */
  if (o.kdf == SYNC_KDF_TEST && !sync_store_test_kdf_allowed())
    return SYNC_ERR_INVALID_ARG;
  if (sodium_init() < 0)
    return SYNC_ERR_INTERNAL;
  if ((!o.create || o.read_only) && strcmp(path, ":memory:") != 0 && access(path, F_OK) != 0)
    return SYNC_ERR_NOT_FOUND;
  if (!o.passphrase)
    return SYNC_ERR_PASSPHRASE;
  /* A store that would be created with a passphrase too short to protect it: refused before the
   * file exists, so no empty store is left behind. */
  if (o.create && !o.read_only && strcmp(path, ":memory:") != 0 && access(path, F_OK) != 0 &&
      strlen(o.passphrase) < SYNC_PASSPHRASE_MIN)
    return SYNC_ERR_INVALID_ARG;

  sync_store_t *s = calloc(1, sizeof *s);
  if (!s)
    return SYNC_ERR_NOMEM;
  s->read_only = o.read_only != 0;
  s->durability = o.durability;
  snprintf(s->language, sizeof s->language, "%s", o.language);

  int flags = (s->read_only ? SQLITE_OPEN_READONLY
                            : SQLITE_OPEN_READWRITE | (o.create ? SQLITE_OPEN_CREATE : 0)) |
              SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path, &s->db, flags, NULL);
  sync_err_t err;
  if (rc != SQLITE_OK) {
    err = store_map_sqlite(rc);
    goto fail;
  }
  sqlite3_extended_result_codes(s->db, 1);
  sqlite3_busy_timeout(s->db, o.busy_timeout_ms);
  if ((err = apply_pragmas(s, &o)) != SYNC_OK || (err = store_schema_prepare(s, o.passphrase, o.kdf)) != SYNC_OK)
    goto fail;
  *out = s;
  return SYNC_OK;
fail:
  sync_store_close(s);
  return err;
}

void sync_store_close(sync_store_t *store)
{
  if (!store)
    return;
  if (store->db && !sqlite3_get_autocommit(store->db))
    sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
  store_stmts_finalize(store);
  store_form_cache_flush(store);
  free(store->forms);
  issue_list_clear(&store->issues);
  sqlite3_close_v2(store->db);
  store_key_forget(store);
  free(store);
}

const char *sync_store_errmsg(const sync_store_t *store)
{
  return store ? store->errmsg : "no store handle (NULL)";
}

const char *sync_store_device_id(const sync_store_t *store)
{
  return store ? store->device_id : "";
}

int sync_store_schema_version(const sync_store_t *store)
{
  return store ? store->schema_version : 0;
}

sync_err_t sync_store_set_language(sync_store_t *store, const char *language)
{
  if (!store)
    return SYNC_ERR_INVALID_ARG;
  store_reset_error(store, 0);
  if (!language || !language_ok(language))
    return store_fail(store, SYNC_ERR_INVALID_ARG, "unsupported language '%s' (use \"id\" or \"en\")",
                      language ? language : "(null)");
  snprintf(store->language, sizeof store->language, "%s", language);
  return SYNC_OK;
}

/* ---- batches ------------------------------------------------------------------------------ */

static int exec_simple(sync_store_t *s, store_stmt_id_t id)
{
  sqlite3_stmt *st;
  if (store_stmt(s, id, &st) != SYNC_OK)
    return sqlite3_errcode(s->db) ? sqlite3_errcode(s->db) : SQLITE_ERROR;
  return store_step_done(st);
}

sync_err_t sync_store_begin(sync_store_t *store)
{
  if (!store)
    return SYNC_ERR_INVALID_ARG;
  store_reset_error(store, 0);
  if (store->read_only)
    return store_fail(store, SYNC_ERR_READ_ONLY, "the store is open read-only");
  if (store->in_batch)
    return store_fail(store, SYNC_ERR_STATE, "a batch is already open (batches do not nest)");
  int rc = exec_simple(store, STMT_BEGIN);
  if (rc != SQLITE_DONE)
    return store_fail_sqlite(store, rc, "cannot start a batch");
  store->in_batch = 1;
  store->batch_err = SYNC_OK;
  store->tx_hlc_loaded = 0;
  store->tx_hlc_dirty = 0;
  return SYNC_OK;
}

/* Ends the batch's transaction with ROLLBACK (if SQLite has not already) and forgets the batch. */
static void end_batch_rolled_back(sync_store_t *s)
{
  if (!sqlite3_get_autocommit(s->db))
    (void)exec_simple(s, STMT_ROLLBACK);
  s->in_batch = 0;
  s->batch_err = SYNC_OK;
  /* Forms added inside the batch are gone from the file: drop them from the cache too. */
  store_form_cache_flush(s);
}

sync_err_t sync_store_commit(sync_store_t *store)
{
  if (!store)
    return SYNC_ERR_INVALID_ARG;
  store_reset_error(store, 0);
  if (!store->in_batch)
    return store_fail(store, SYNC_ERR_STATE, "no batch is open");
  if (store->batch_err != SYNC_OK) {
    sync_err_t err = store->batch_err;
    end_batch_rolled_back(store);
    return store_fail(store, err, "the batch was rolled back after an earlier error: nothing in it was saved");
  }
  sync_err_t err = store->tx_hlc_dirty ? store_hlc_persist(store) : SYNC_OK;
  int rc = err == SYNC_OK ? exec_simple(store, STMT_COMMIT) : SQLITE_DONE;
  if (err != SYNC_OK || rc != SQLITE_DONE) {
    if (err == SYNC_OK)
      err = store_fail_sqlite(store, rc, "cannot commit the batch");
    size_t len = strlen(store->errmsg);
    snprintf(store->errmsg + len, sizeof store->errmsg - len, "; nothing in the batch was saved");
    end_batch_rolled_back(store);
    return err;
  }
  store->in_batch = 0;
  return SYNC_OK;
}

sync_err_t sync_store_rollback(sync_store_t *store)
{
  if (!store)
    return SYNC_ERR_INVALID_ARG;
  store_reset_error(store, 0);
  if (!store->in_batch)
    return store_fail(store, SYNC_ERR_STATE, "no batch is open");
  end_batch_rolled_back(store);
  return SYNC_OK;
}

/* ---- stats -------------------------------------------------------------------------------- */

sync_err_t sync_store_stats(sync_store_t *store, sync_store_stats_t *out)
{
  if (!store || !out)
    return store ? store_fail(store, SYNC_ERR_INVALID_ARG, "out is NULL") : SYNC_ERR_INVALID_ARG;
  store_reset_error(store, 0);
  memset(out, 0, sizeof *out);
  sqlite3_stmt *st;
  sync_err_t err = store_stmt(store, STMT_STATS, &st);
  if (err)
    return err;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    out->forms = sqlite3_column_int64(st, 0);
    out->drafts = sqlite3_column_int64(st, 1);
    out->finals = sqlite3_column_int64(st, 2);
    out->deleted = sqlite3_column_int64(st, 3);
    out->outbox_pending = sqlite3_column_int64(st, 4);
    out->outbox_acked = sqlite3_column_int64(st, 5);
    out->conflicts = sqlite3_column_int64(st, 6);
    out->last_sync_ms = sqlite3_column_int64(st, 7);
    out->outbox_refused = sqlite3_column_int64(st, 8);
  }
  int rrc = sqlite3_reset(st);
  if (rc != SQLITE_ROW)
    return store_fail_sqlite(store, rrc != SQLITE_OK ? rrc : rc, "cannot count the store's contents");
  return SYNC_OK;
}

/* ---- validation issues -------------------------------------------------------------------- */

size_t sync_store_issue_count(const sync_store_t *store)
{
  return store ? store->issues.count : 0;
}

static const issue_t *issue_at(const sync_store_t *store, size_t i)
{
  return store && i < store->issues.count ? &store->issues.items[i] : NULL;
}

const char *sync_store_issue_field(const sync_store_t *store, size_t i)
{
  const issue_t *it = issue_at(store, i);
  return it ? it->field : NULL;
}

const char *sync_store_issue_code(const sync_store_t *store, size_t i)
{
  const issue_t *it = issue_at(store, i);
  return it ? it->code : NULL;
}

const char *sync_store_issue_message(const sync_store_t *store, size_t i)
{
  const issue_t *it = issue_at(store, i);
  return it ? it->message : NULL;
}

sync_err_t sync_store_issues_json(const sync_store_t *store, char **out_json)
{
  if (out_json)
    *out_json = NULL;
  if (!store || !out_json)
    return SYNC_ERR_INVALID_ARG;
  cJSON *arr = cJSON_CreateArray();
  if (!arr)
    return SYNC_ERR_NOMEM;
  for (size_t i = 0; i < store->issues.count; i++) {
    const issue_t *it = &store->issues.items[i];
    cJSON *o = cJSON_CreateObject();
    if (o)
      cJSON_AddItemToArray(arr, o); /* arr owns o from here on */
    if (!o || !cJSON_AddStringToObject(o, "field", it->field) ||
        !cJSON_AddStringToObject(o, "code", it->code) ||
        !cJSON_AddStringToObject(o, "message", it->message)) {
      cJSON_Delete(arr);
      return SYNC_ERR_NOMEM;
    }
  }
  *out_json = cJSON_PrintUnformatted(arr);
  cJSON_Delete(arr);
  return *out_json ? SYNC_OK : SYNC_ERR_NOMEM;
}

void sync_free(void *ptr)
{
  free(ptr);
}
