/* Helpers of the store security tests (test_store_crypto.c, test_store_seal.c,
 * test_store_purge.c, test_receipt.c): opening encrypted stores, raw SQLite access to the file,
 * scanning the store's files for bytes, the reference form and acknowledging the outbox with
 * receipts of one push response signed by a test server key. Include after cmocka. Static functions: each test program
 * uses a subset. */
#ifndef SYNC_STORE_TEST_H
#define SYNC_STORE_TEST_H

#include <cJSON.h>
#include <dirent.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "sample.h"
#include "receipt_proof.h"
#include "store_internal.h"
#include "store_sync.h"
#include "sync/sync.h"
#include "test_support.h"

#define ST_PASSPHRASE "kunci rahasia kantor"
#define ST_SERVER_ID "5f0c6a52-2d1e-4c1b-9a0e-7b9f3c2d1e00"

static inline sync_err_t st_open_with(const char *path, const char *passphrase, sync_store_t **s)
{
  sync_store_opts_t o;
  sync_store_opts_init(&o);
  o.passphrase = passphrase;
  o.kdf = SYNC_KDF_TEST;
  return sync_store_open(path, &o, s);
}

static inline sync_store_t *st_open(const char *path)
{
  sync_store_t *s = NULL;
  sync_err_t err = st_open_with(path, ST_PASSPHRASE, &s);
  if (err)
    fail_msg("open %s: %s", path, sync_errname(err));
  return s;
}

/* A store in a folder of its own: <dir>/store.db, opened with ST_PASSPHRASE. */
typedef struct st_store {
  char *dir, *path;
  sync_store_t *s;
} st_store_t;

static inline void st_store_open(st_store_t *t)
{
  t->dir = ts_tempdir();
  assert_non_null(t->dir);
  t->path = ts_path(t->dir, "store.db");
  t->s = st_open(t->path);
}

/* Closes the store and removes its folder. */
static inline void st_store_close(st_store_t *t)
{
  sync_store_close(t->s);
  ts_rmtree(t->dir);
  free(t->dir);
  free(t->path);
  memset(t, 0, sizeof *t);
}

/* A one-field form ("visit": a required name) for the retention and receipt tests. */
#define ST_VISIT_FORM                                                                              \
  "{\"format\":1,\"form_id\":\"visit\",\"version\":1,\"default_language\":\"id\","              \
  "\"languages\":[\"id\"],\"title\":{\"id\":\"Kunjungan\"},\"choice_lists\":{},"                   \
  "\"sections\":[{\"name\":\"main\",\"label\":{\"id\":\"Utama\"},\"fields\":["                     \
  "{\"name\":\"name\",\"type\":\"text\",\"label\":{\"id\":\"Nama\"},\"required\":true}]}]}"

/* Runs SQL on the file through a connection of its own; the first column of the last row as an
 * integer (0 if none). */
static inline long long st_raw_int(const char *path, const char *sql)
{
  sqlite3 *db;
  sqlite3_stmt *st;
  long long v = 0;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    fail_msg("%s: %s", sql, sqlite3_errmsg(db));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  if (rc != SQLITE_DONE)
    fail_msg("%s: %s", sql, sqlite3_errmsg(db));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

/* The first column of the first row as text (malloc'd), NULL when no row or NULL. */
static inline char *st_raw_text(const char *path, const char *sql)
{
  sqlite3 *db;
  sqlite3_stmt *st;
  char *v = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    fail_msg("%s: %s", sql, sqlite3_errmsg(db));
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
    v = strdup((const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

/* 1 if any file in `dir` (the database, -wal, -shm, -journal, anything) contains `needle`. */
static inline int st_dir_contains(const char *dir, const char *needle)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  int found = 0;
  size_t nlen = strlen(needle);
  assert_non_null(d);
  while (!found && (e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char *path = ts_path(dir, e->d_name);
    found = ts_file_holds(path, needle, nlen);
    free(path);
  }
  closedir(d);
  return found;
}

/* "MARKER-<16 random hex>" into buf (32 bytes). */
static inline void st_marker(char buf[32])
{
  unsigned char r[8];
  randombytes_buf(r, sizeof r);
  memcpy(buf, "MARKER-", 7);
  sodium_bin2hex(buf + 7, 17, r, sizeof r);
}

/* A reference-form payload from the sample generator (seed) with consent given and full_name =
 * marker; caller frees. */
static inline char *st_marker_payload(const char *marker, uint64_t seed)
{
  size_t len = 0;
  char *form = ts_source_file("proto/forms/tppo_screening.v1.json", &len);
  char err[256];
  sample_gen_t *g = sample_gen_new(form, len, seed, err, sizeof err);
  if (!g)
    fail_msg("sample: %s", err);
  char *text = sample_gen_next(g);
  sample_gen_free(g);
  free(form);
  cJSON *o = cJSON_Parse(text);
  free(text);
  cJSON_DeleteItemFromObjectCaseSensitive(o, "consent");
  cJSON_AddStringToObject(o, "consent", "yes");
  cJSON_DeleteItemFromObjectCaseSensitive(o, "full_name");
  cJSON_AddStringToObject(o, "full_name", marker);
  char *out = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return out;
}

/* The reference form, optionally changed by `edit` (may be NULL), added to the store. */
static inline void st_add_reference_form(sync_store_t *s, void (*edit)(cJSON *form, void *ctx),
                                         void *ctx)
{
  size_t len = 0;
  char *text = ts_source_file("proto/forms/tppo_screening.v1.json", &len);
  assert_non_null(text);
  cJSON *form = cJSON_Parse(text);
  free(text);
  assert_non_null(form);
  if (edit)
    edit(form, ctx);
  char *json = cJSON_PrintUnformatted(form);
  cJSON_Delete(form);
  sync_err_t err = sync_form_add(s, json, strlen(json), NULL, NULL);
  if (err)
    fail_msg("form_add: %s: %s", sync_errname(err), sync_store_errmsg(s));
  free(json);
}

/* The server identity of an enrolled device: a new Ed25519 key pair, public key in sync_state. */
static inline void st_enroll(sync_store_t *s, unsigned char sk[crypto_sign_SECRETKEYBYTES])
{
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  char pk64[sodium_base64_ENCODED_LEN(crypto_sign_PUBLICKEYBYTES, sodium_base64_VARIANT_ORIGINAL)];
  crypto_sign_keypair(pk, sk);
  sodium_bin2base64(pk64, sizeof pk64, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);
  assert_int_equal(store_state_set(s, STATE_RECEIPT_KEY, pk64), SYNC_OK);
  assert_int_equal(store_state_set(s, STATE_SERVER_ID, ST_SERVER_ID), SYNC_OK);
}

typedef struct st_pending {
  size_t n;
  int64_t seq[64];
  char uuid[64][PROTO_UUID_LEN + 1];
  int64_t revision[64];
  char hlc[64][PROTO_HLC_LEN + 1];
} st_pending_t;

static inline int st_collect(void *ctx, const outbox_row_t *row)
{
  st_pending_t *p = ctx;
  if (p->n == 64)
    return -1;
  p->seq[p->n] = row->seq;
  snprintf(p->uuid[p->n], sizeof p->uuid[0], "%s", row->change.uuid);
  p->revision[p->n] = row->change.revision;
  snprintf(p->hlc[p->n], sizeof p->hlc[0], "%s", row->change.hlc);
  p->n++;
  return 0;
}

/* Acknowledges every pending outbox row with a receipt received at `received_at`, as one push
 * response signed with `sk` (NULL: a signature by another key, which must not verify). The batch
 * also holds receipts of two records before and three after (SECURITY.md 7: other changes of the
 * same push), so every proof has a non-trivial path and the tree an odd node. */
static inline void st_ack_all(sync_store_t *s, const unsigned char *sk, int64_t received_at)
{
  store_sync_t *ss = NULL;
  st_pending_t p = { 0 };
  assert_int_equal(store_sync_new(s, &ss), SYNC_OK);
  assert_int_equal(store_outbox_scan(ss, 0, st_collect, &p), SYNC_OK);
  unsigned char other_pk[crypto_sign_PUBLICKEYBYTES], other_sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_keypair(other_pk, other_sk);
  enum { BEFORE = 2, AFTER = 3 };
  receipt_hash_t leaves[BEFORE + 64 + AFTER], root, path[RECEIPT_MAX_DEPTH];
  size_t n = 0;
  const char *dev = sync_store_device_id(s);
  for (size_t i = 0; i < BEFORE + p.n + AFTER; i++, n++) {
    if (i >= BEFORE && i < BEFORE + p.n) {
      size_t k = i - BEFORE;
      assert_int_equal(receipt_leaf(ST_SERVER_ID, dev, p.uuid[k], p.revision[k], p.hlc[k],
                                    1000 + p.seq[k], received_at, leaves[n]), SYNC_OK);
    } else {
      char other[PROTO_UUID_LEN + 1], hlc[PROTO_HLC_LEN + 1];
      snprintf(other, sizeof other, "00000000-0000-4000-8000-%012u", (unsigned)i % 1000u);
      snprintf(hlc, sizeof hlc, "000000000000001-00000-%s", other);
      assert_int_equal(receipt_leaf(ST_SERVER_ID, dev, other, 1, hlc, 1 + (int64_t)i, received_at,
                                    leaves[n]), SYNC_OK);
    }
  }
  char sig64[89];
  assert_int_equal(receipt_tree_root(leaves, n, root), SYNC_OK);
  assert_int_equal(receipt_sign_root(ST_SERVER_ID, dev, n, root, sk ? sk : other_sk, sig64),
                   SYNC_OK);
  assert_int_equal(store_sync_begin(ss), SYNC_OK);
  for (size_t k = 0; k < p.n; k++) {
    size_t depth = 0;
    char *proof = NULL;
    assert_int_equal(receipt_tree_path(leaves, n, BEFORE + k, path, &depth), SYNC_OK);
    assert_true(depth > 0);
    assert_int_equal(receipt_proof_format(BEFORE + k, n, path, depth, sig64, &proof), SYNC_OK);
    assert_int_equal(store_outbox_ack(ss, p.seq[k], 1000 + p.seq[k], received_at, proof,
                                      received_at), SYNC_OK);
    free(proof);
  }
  assert_int_equal(store_sync_commit(ss), SYNC_OK);
  store_sync_free(ss);
}

#endif
