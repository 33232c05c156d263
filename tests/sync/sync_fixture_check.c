/* Sync test fixture (sync_fixture.h): the checks on both databases after a sync (outbox counts,
 * decrypted payload bytes, exactly once). */
#define _DEFAULT_SOURCE 1
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sync_fixture.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_crypto.h"

static sqlite3 *open_ro(const char *path)
{
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    sqlite3_close(db);
    return NULL;
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

int fx_outbox(const char *store_path, fx_outbox_t *out)
{
  memset(out, 0, sizeof *out);
  sqlite3 *db = open_ro(store_path);
  sqlite3_stmt *st = NULL;
  int rc = -1;
  if (db && sqlite3_prepare_v2(db,
                               "SELECT coalesce(sum(acked_at IS NULL AND failed_at IS NULL), 0),"
                               " coalesce(sum(acked_at IS NOT NULL), 0),"
                               " coalesce(sum(acked_at IS NULL AND failed_at IS NOT NULL), 0)"
                               " FROM outbox", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    out->pending = sqlite3_column_int64(st, 0);
    out->acked = sqlite3_column_int64(st, 1);
    out->failed = sqlite3_column_int64(st, 2);
    rc = 0;
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rc;
}

static const char *text_col(sqlite3_stmt *st, int i)
{
  const char *v = (const char *)sqlite3_column_text(st, i);
  return v ? v : "";
}

/* The decrypted payload of the current row's revision (columns uuid, revision, payload at
 * col, col+1, col+2); NULL when it does not decrypt. */
static char *revision_payload(sync_store_t *st, sqlite3_stmt *q, int col, size_t *len)
{
  char ad[STORE_AD_MAX], *text = NULL;
  store_value_ad_int(ad, COL_REVISION_PAYLOAD, text_col(q, col), sqlite3_column_int64(q, col + 1));
  if (store_value_decrypt(st, ad, sqlite3_column_blob(q, col + 2),
                          (size_t)sqlite3_column_bytes(q, col + 2), &text, len) != SYNC_OK)
    return NULL;
  return text;
}

int64_t fx_outbox_payload_bytes(const char *store_path)
{
  sync_store_t *st = NULL;
  sqlite3_stmt *q = NULL;
  int64_t total = -1;
  if (fx_store_open(store_path, &st) != SYNC_OK ||
      sqlite3_prepare_v2(st->db, "SELECT v.uuid, v.revision, v.payload FROM outbox o"
                                 " JOIN record_revisions v ON v.id = o.revision_id", -1, &q,
                         NULL) != SQLITE_OK)
    goto done;
  total = 0;
  while (sqlite3_step(q) == SQLITE_ROW) {
    size_t len = 0;
    char *text = revision_payload(st, q, 0, &len);
    if (!text) {
      total = -1;
      break;
    }
    total += (int64_t)len;
    free(text);
  }
done:
  sqlite3_finalize(q);
  sync_store_close(st);
  return total;
}

int fx_verify_exactly_once(const char *store_path, const char *server_db, const char *device_id,
                           char *why, size_t len)
{
  sync_store_t *dev = NULL;
  sqlite3 *srv = open_ro(server_db);
  sqlite3_stmt *a = NULL, *b = NULL;
  int rc = -1;
  long rows = 0;
  char *payload = NULL;
  if (fx_store_open(store_path, &dev) != SYNC_OK || !srv) {
    snprintf(why, len, "cannot open the databases");
    goto done;
  }
  if (sqlite3_prepare_v2(dev->db,
                         "SELECT v.uuid, v.revision, v.payload, v.hlc, o.server_seq,"
                         " o.acked_at IS NOT NULL FROM outbox o"
                         " JOIN record_revisions v ON v.id = o.revision_id"
                         " ORDER BY v.uuid, v.revision", -1, &a, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(srv,
                         "SELECT uuid, revision, hlc, payload, server_seq FROM record_revisions"
                         " WHERE source = ?1 ORDER BY uuid, revision", -1, &b, NULL) != SQLITE_OK) {
    snprintf(why, len, "cannot query: %s / %s", sqlite3_errmsg(dev->db), sqlite3_errmsg(srv));
    goto done;
  }
  sqlite3_bind_text(b, 1, device_id, -1, SQLITE_STATIC);
  for (;;) {
    int ra = sqlite3_step(a), rb = sqlite3_step(b);
    if (ra == SQLITE_DONE && rb == SQLITE_DONE)
      break;
    if (ra != SQLITE_ROW || rb != SQLITE_ROW) {
      snprintf(why, len, "after %ld matching rows: %s has more rows (device %d, server %d)", rows,
               ra == SQLITE_ROW ? "the device" : "the server", ra, rb);
      goto done;
    }
    const char *ua = text_col(a, 0), *ub = text_col(b, 0);
    long long rev = (long long)sqlite3_column_int64(a, 1);
    if (strcmp(ua, ub) != 0 || rev != sqlite3_column_int64(b, 1)) {
      snprintf(why, len, "row %ld: device has %s rev %lld, server %s rev %lld", rows, ua, rev, ub,
               (long long)sqlite3_column_int64(b, 1));
      goto done;
    }
    if (!sqlite3_column_int(a, 5)) {
      snprintf(why, len, "%s rev %lld is on the server but not acknowledged on the device", ua, rev);
      goto done;
    }
    size_t plen = 0;
    free(payload);
    if (!(payload = revision_payload(dev, a, 0, &plen))) {
      snprintf(why, len, "%s rev %lld: the device's payload does not decrypt", ua, rev);
      goto done;
    }
    if (strcmp(text_col(a, 3), text_col(b, 2)) != 0 || strcmp(payload, text_col(b, 3)) != 0) {
      snprintf(why, len, "%s rev %lld differs between device and server (hlc or payload bytes)", ua,
               rev);
      goto done;
    }
    if (sqlite3_column_int64(a, 4) != sqlite3_column_int64(b, 4)) {
      snprintf(why, len, "%s rev %lld: receipt server_seq %lld, server has %lld", ua, rev,
               (long long)sqlite3_column_int64(a, 4), (long long)sqlite3_column_int64(b, 4));
      goto done;
    }
    rows++;
  }
  rc = 0;
done:
  free(payload);
  sqlite3_finalize(a);
  sqlite3_finalize(b);
  sync_store_close(dev);
  sqlite3_close(srv);
  return rc;
}

