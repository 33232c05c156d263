/* Retention (sync/store.h, proto/SECURITY.md 8): the answers of a final record are purged once
 * every revision the device sent has a receipt whose proof verifies against the server's key
 * and the newest receipt is older than meta retention_days. The record keeps its uuid, form,
 * dates and receipts; its revisions' answers become an encrypted "{}", their sealed texts and
 * dedup hashes are erased, and its conflict values and revisions kept aside are deleted. */
#include "receipt_proof.h"
#include "store_crypto.h"
#include "store_sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS (24LL * 3600 * 1000)
#define RETENTION_MAX_DAYS 36500

/* Final records not yet purged whose every queued revision is acknowledged with a proof and
 * whose newest receipt is older than ?1 (max() is NULL, so never older, without any receipt). */
static const char CANDIDATES[] =
  "SELECT r.id, r.uuid FROM records r"
  " WHERE r.status = 'final' AND r.purged = 0"
  " AND (SELECT max(o.receipt_time) FROM record_revisions v JOIN outbox o ON o.revision_id = v.id"
  "      WHERE v.record_id = r.id) < ?1"
  " AND NOT EXISTS (SELECT 1 FROM record_revisions v JOIN outbox o ON o.revision_id = v.id"
  "      WHERE v.record_id = r.id AND (o.acked_at IS NULL OR o.receipt_sig IS NULL))";

static const char RECEIPTS[] =
  "SELECT o.revision, v.hlc, o.server_seq, o.receipt_time, o.receipt_sig"
  " FROM record_revisions v JOIN outbox o ON o.revision_id = v.id WHERE v.record_id = ?1";

typedef struct purge_ctx {
  sync_store_t *s;
  char server_id[64];
  char device_id[64];
  unsigned char key[crypto_sign_PUBLICKEYBYTES];
} purge_ctx_t;

sync_err_t sync_store_set_retention_days(sync_store_t *store, int days)
{
  if (!store)
    return SYNC_ERR_INVALID_ARG;
  store_reset_error(store, 0);
  if (days < 0 || days > RETENTION_MAX_DAYS)
    return store_fail(store, SYNC_ERR_INVALID_ARG, "retention must be 0..%d days", RETENTION_MAX_DAYS);
  sync_err_t err = store_check_writable(store);
  if (err || (err = store_write_begin(store, UNDO_SAVEPOINT)) != SYNC_OK)
    return err;
  char text[16];
  snprintf(text, sizeof text, "%d", days);
  err = store_meta_set(store, "retention_days", text);
  return store_write_end(store, err == SYNC_OK, err);
}

sync_err_t sync_store_retention_days(sync_store_t *store, int *days)
{
  if (!store || !days)
    return store ? store_fail(store, SYNC_ERR_INVALID_ARG, "days is NULL") : SYNC_ERR_INVALID_ARG;
  store_reset_error(store, 0);
  char text[16];
  *days = 0;
  sync_err_t err = store_meta_get(store, "retention_days", text, sizeof text);
  if (err == SYNC_ERR_NOT_FOUND)
    return SYNC_OK;
  if (err == SYNC_OK)
    *days = atoi(text);
  return err;
}

/* 1 when every receipt of the record verifies. */
static sync_err_t receipts_verify(purge_ctx_t *p, int64_t record_id, const char *uuid, int *ok)
{
  sqlite3_stmt *st;
  *ok = 1;
  int rc = sqlite3_prepare_v2(p->s->db, RECEIPTS, -1, &st, NULL);
  if (rc != SQLITE_OK)
    return store_fail_sqlite(p->s, rc, "cannot read the receipts");
  sqlite3_bind_int64(st, 1, record_id);
  while (*ok && (rc = sqlite3_step(st)) == SQLITE_ROW)
    *ok = receipt_proof_verify((const char *)sqlite3_column_text(st, 4), p->server_id,
                               p->device_id, uuid, sqlite3_column_int64(st, 0),
                               (const char *)sqlite3_column_text(st, 1), sqlite3_column_int64(st, 2),
                               sqlite3_column_int64(st, 3), p->key) == SYNC_OK;
  sqlite3_finalize(st);
  if (*ok && rc != SQLITE_DONE)
    return store_fail_sqlite(p->s, rc, "cannot read the receipts");
  return SYNC_OK;
}

static sync_err_t exec_bound(sync_store_t *s, const char *sql, int64_t id, const char *text)
{
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) {
    if (text)
      sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    else
      sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? SYNC_OK : store_fail_sqlite(s, rc, "cannot purge a record");
}

/* Erases the answers of one record (inside the purge's transaction). */
static sync_err_t erase(sync_store_t *s, int64_t record_id, const char *uuid)
{
  sqlite3_stmt *sel = NULL, *upd = NULL;
  int rc = sqlite3_prepare_v2(s->db, "SELECT id, revision FROM record_revisions WHERE record_id = ?1",
                              -1, &sel, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(s->db, "UPDATE record_revisions SET payload = ?2, sealed = NULL,"
                                   " dedup = NULL WHERE id = ?1", -1, &upd, NULL);
  sync_err_t err = SYNC_OK;
  if (rc != SQLITE_OK) {
    err = store_fail_sqlite(s, rc, "cannot purge a record");
    goto done;
  }
  sqlite3_bind_int64(sel, 1, record_id);
  while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
    char ad[STORE_AD_MAX];
    store_value_ad_int(ad, COL_REVISION_PAYLOAD, uuid, sqlite3_column_int64(sel, 1));
    sqlite3_bind_int64(upd, 1, sqlite3_column_int64(sel, 0));
    if ((err = store_value_bind(s, upd, 2, ad, "{}", 2)) != SYNC_OK)
      goto done;
    if ((rc = store_step_done(upd)) != SQLITE_DONE)
      break;
  }
  if (rc != SQLITE_DONE) {
    err = store_fail_sqlite(s, rc, "cannot purge a record");
    goto done;
  }
  if ((err = exec_bound(s, "UPDATE records SET purged = 1 WHERE id = ?1", record_id, NULL)) == SYNC_OK &&
      (err = exec_bound(s, "DELETE FROM conflicts WHERE uuid = ?1", 0, uuid)) == SYNC_OK)
    err = exec_bound(s, "DELETE FROM remote_pending WHERE uuid = ?1", 0, uuid);
done:
  sqlite3_finalize(sel);
  sqlite3_finalize(upd);
  return err;
}

/* The server identity receipts are checked against; *have 0 when the device never enrolled. */
static sync_err_t load_identity(purge_ctx_t *p, int *have)
{
  char key[128];
  *have = 0;
  sync_err_t err = store_state_get(p->s, STATE_RECEIPT_KEY, key, sizeof key);
  if (err == SYNC_OK)
    err = store_state_get(p->s, STATE_SERVER_ID, p->server_id, sizeof p->server_id);
  if (err == SYNC_ERR_NOT_FOUND)
    return SYNC_OK;
  if (err)
    return err;
  if (store_state_get(p->s, STATE_DEVICE_ID, p->device_id, sizeof p->device_id) != SYNC_OK)
    snprintf(p->device_id, sizeof p->device_id, "%s", p->s->device_id);
  *have = store_b64_exact(key, p->key, sizeof p->key) == 0;
  return SYNC_OK;
}

/* Purges every candidate whose receipts verify; *count gets how many. */
static sync_err_t purge_candidates(purge_ctx_t *p, int64_t cutoff, int64_t *count)
{
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(p->s->db, CANDIDATES, -1, &st, NULL);
  if (rc != SQLITE_OK)
    return store_fail_sqlite(p->s, rc, "cannot find records to purge");
  sqlite3_bind_int64(st, 1, cutoff);
  sync_err_t err = SYNC_OK;
  /* Erasing updates other tables than the candidates' scan reads (records.purged excepted, which
   * only drops rows the scan has passed). */
  while (err == SYNC_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t id = sqlite3_column_int64(st, 0);
    char uuid[UUID_TEXT_LEN + 1];
    int ok = 0;
    snprintf(uuid, sizeof uuid, "%s", (const char *)sqlite3_column_text(st, 1));
    if ((err = receipts_verify(p, id, uuid, &ok)) == SYNC_OK && ok &&
        (err = erase(p->s, id, uuid)) == SYNC_OK)
      (*count)++;
  }
  sqlite3_finalize(st);
  if (err == SYNC_OK && rc != SQLITE_DONE)
    err = store_fail_sqlite(p->s, rc, "cannot find records to purge");
  return err;
}

sync_err_t sync_store_purge(sync_store_t *store, int64_t now_ms, int64_t *purged)
{
  if (purged)
    *purged = 0;
  if (!store || now_ms < 0)
    return store ? store_fail(store, SYNC_ERR_INVALID_ARG, "now_ms is negative") : SYNC_ERR_INVALID_ARG;
  int days = 0, have = 0;
  int64_t count = 0;
  sync_err_t err = sync_store_retention_days(store, &days);
  if (err || days == 0)
    return err;
  purge_ctx_t p = { .s = store };
  if ((err = store_check_writable(store)) != SYNC_OK || (err = load_identity(&p, &have)) != SYNC_OK ||
      !have)
    return err;
  int64_t cutoff = (now_ms ? now_ms : store_now_ms()) - days * DAY_MS;
  if ((err = store_write_begin(store, UNDO_SAVEPOINT)) != SYNC_OK)
    return err;
  err = purge_candidates(&p, cutoff, &count);
  if ((err = store_write_end(store, err == SYNC_OK, err)) != SYNC_OK)
    return err;
  /* secure_delete zeroed the freed bytes in the pages; move them out of the WAL too. */
  if (count > 0 && !store->in_batch)
    store_checkpoint_truncate(store);
  if (purged)
    *purged = count;
  return SYNC_OK;
}
