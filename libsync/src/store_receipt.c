/* Signed receipts (sync/receipt.h, proto/SECURITY.md 7): the newest receipt of a record as a
 * self-contained document with its Merkle proof, and checking such a document against the
 * server's Ed25519 key (given, or the one the store was enrolled with). */
#include "receipt_proof.h"
#include "store_crypto.h"
#include "store_sync.h"
#include "sync/receipt.h"

#include <cJSON.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECEIPT_KIND "libsync-receipt"
#define RECEIPT_JSON_MAX 4096 /* a document is a few hundred bytes */

/* The newest acknowledged revision of the record with a stored proof. */
static const char NEWEST_RECEIPT[] =
  "SELECT o.revision, v.hlc, o.server_seq, o.receipt_time, o.receipt_sig"
  " FROM records r JOIN record_revisions v ON v.record_id = r.id"
  " JOIN outbox o ON o.revision_id = v.id"
  " WHERE r.uuid = ?1 AND o.acked_at IS NOT NULL AND o.receipt_sig IS NOT NULL"
  " ORDER BY o.seq DESC LIMIT 1";

/* Adds sync_state key `key` to the document as `name`; *missing 1 when it is absent. */
static sync_err_t add_state(sync_store_t *s, cJSON *o, const char *name, const char *key,
                            int *missing)
{
  char buf[128];
  sync_err_t err = store_state_get(s, key, buf, sizeof buf);
  if (err == SYNC_ERR_NOT_FOUND) {
    *missing = 1;
    return SYNC_OK;
  }
  if (err)
    return err;
  return cJSON_AddStringToObject(o, name, buf) ? SYNC_OK : SYNC_ERR_NOMEM;
}

/* Adds the parts of a stored proof: leaf_index, leaf_count, path (hex, lowest level first) and
 * signature. SYNC_ERR_CORRUPT for a proof the store should never hold. */
static sync_err_t add_proof(cJSON *o, const char *proof)
{
  size_t index, n, depth;
  receipt_hash_t path[RECEIPT_MAX_DEPTH];
  char sig[89], hex[2 * RECEIPT_HASH_LEN + 1];
  if (receipt_proof_parse(proof, &index, &n, path, &depth, sig) != SYNC_OK)
    return SYNC_ERR_CORRUPT;
  cJSON *arr = cJSON_AddArrayToObject(o, "path");
  if (!arr || !cJSON_AddNumberToObject(o, "leaf_index", (double)index) ||
      !cJSON_AddNumberToObject(o, "leaf_count", (double)n))
    return SYNC_ERR_NOMEM;
  for (size_t i = 0; i < depth; i++) {
    sodium_bin2hex(hex, sizeof hex, path[i], RECEIPT_HASH_LEN);
    cJSON *h = cJSON_CreateString(hex);
    if (!h || !cJSON_AddItemToArray(arr, h)) {
      cJSON_Delete(h);
      return SYNC_ERR_NOMEM;
    }
  }
  return cJSON_AddStringToObject(o, "signature", sig) ? SYNC_OK : SYNC_ERR_NOMEM;
}

sync_err_t sync_record_receipt(sync_store_t *store, const char *uuid, char **out_json)
{
  if (out_json)
    *out_json = NULL;
  if (!store || !out_json)
    return store ? store_fail(store, SYNC_ERR_INVALID_ARG, "out_json is NULL") : SYNC_ERR_INVALID_ARG;
  store_reset_error(store, 0);
  if (!uuid || !uuid_is_valid(uuid))
    return store_fail(store, SYNC_ERR_INVALID_ARG, "'%.40s' is not a record UUID", uuid ? uuid : "(null)");
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(store->db, NEWEST_RECEIPT, -1, &st, NULL);
  if (rc != SQLITE_OK)
    return store_fail_sqlite(store, rc, "cannot read the receipts");
  sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
      return store_fail_sqlite(store, rc, "cannot read the receipts");
    return store_fail(store, SYNC_ERR_NOT_FOUND, "record %s has no signed receipt yet", uuid);
  }
  cJSON *o = cJSON_CreateObject();
  int missing = 0;
  char device[128];
  sync_err_t err = o ? SYNC_OK : SYNC_ERR_NOMEM;
  /* The device id the server knows this device by: the credential's, else the store's. */
  if (err == SYNC_OK && store_state_get(store, STATE_DEVICE_ID, device, sizeof device) != SYNC_OK)
    snprintf(device, sizeof device, "%s", store->device_id);
  if (err == SYNC_OK && (!cJSON_AddStringToObject(o, "kind", RECEIPT_KIND)))
    err = SYNC_ERR_NOMEM;
  if (err == SYNC_OK)
    err = add_state(store, o, "server_id", STATE_SERVER_ID, &missing);
  if (err == SYNC_OK &&
      (!cJSON_AddStringToObject(o, "device_id", device) ||
       !cJSON_AddStringToObject(o, "uuid", uuid) ||
       !cJSON_AddNumberToObject(o, "revision", (double)sqlite3_column_int64(st, 0)) ||
       !cJSON_AddStringToObject(o, "hlc", (const char *)sqlite3_column_text(st, 1)) ||
       !cJSON_AddNumberToObject(o, "server_seq", (double)sqlite3_column_int64(st, 2)) ||
       !cJSON_AddNumberToObject(o, "received_at", (double)sqlite3_column_int64(st, 3))))
    err = SYNC_ERR_NOMEM;
  if (err == SYNC_OK && (err = add_proof(o, (const char *)sqlite3_column_text(st, 4))) ==
                          SYNC_ERR_CORRUPT)
    err = store_fail(store, err, "record %s: the stored receipt proof is malformed", uuid);
  if (err == SYNC_OK)
    err = add_state(store, o, "receipt_key", STATE_RECEIPT_KEY, &missing);
  sqlite3_finalize(st);
  if (err == SYNC_OK && missing)
    err = store_fail(store, SYNC_ERR_NOT_FOUND, "record %s has a receipt but the store lacks the "
                     "server's identity or receipt key (enrol the device again)", uuid);
  if (err == SYNC_OK && !(*out_json = cJSON_PrintUnformatted(o)))
    err = SYNC_ERR_NOMEM;
  if (err == SYNC_ERR_NOMEM)
    store_fail(store, err, "out of memory building the receipt");
  cJSON_Delete(o);
  return err;
}

/* ---- verification --------------------------------------------------------------------------- */

static const char *str_item(const cJSON *o, const char *name)
{
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* An integer member (JSON numbers are doubles: only exact integers of a safe size). */
static int int_item(const cJSON *o, const char *name, int64_t *out)
{
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
  if (!cJSON_IsNumber(it))
    return -1;
  double d = it->valuedouble;
  if (!(d >= 0 && d <= 9007199254740991.0) || floor(d) != d)
    return -1;
  *out = (int64_t)d;
  return 0;
}

int store_b64_exact(const char *text, unsigned char *out, size_t len)
{
  size_t n = 0;
  return text && sodium_base642bin(out, len, text, strlen(text), NULL, &n, NULL,
                                   sodium_base64_VARIANT_ORIGINAL) == 0 && n == len ? 0 : -1;
}

/* The path member: at most RECEIPT_MAX_DEPTH hashes of 64 lower-case hex characters. */
static int path_item(const cJSON *o, receipt_hash_t path[RECEIPT_MAX_DEPTH], size_t *depth)
{
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "path"), *it;
  size_t d = 0;
  if (!cJSON_IsArray(arr))
    return -1;
  cJSON_ArrayForEach(it, arr) {
    size_t bin_len = 0;
    const char *end = NULL, *hex = cJSON_IsString(it) ? it->valuestring : NULL;
    if (d == RECEIPT_MAX_DEPTH || !hex || strlen(hex) != 2 * RECEIPT_HASH_LEN ||
        strspn(hex, "0123456789abcdef") != 2 * RECEIPT_HASH_LEN ||
        sodium_hex2bin(path[d], RECEIPT_HASH_LEN, hex, 2 * RECEIPT_HASH_LEN, NULL, &bin_len,
                       &end) != 0 || bin_len != RECEIPT_HASH_LEN)
      return -1;
    d++;
  }
  *depth = d;
  return 0;
}

static sync_err_t verify_doc(const cJSON *doc, const char *expected_key)
{
  const char *kind = str_item(doc, "kind"), *server = str_item(doc, "server_id");
  const char *device = str_item(doc, "device_id"), *uuid = str_item(doc, "uuid");
  const char *hlc = str_item(doc, "hlc"), *sig = str_item(doc, "signature");
  const char *key = str_item(doc, "receipt_key");
  int64_t revision, server_seq, received_at, index, count;
  receipt_hash_t path[RECEIPT_MAX_DEPTH];
  size_t depth = 0;
  if (!cJSON_IsObject(doc) || !kind || strcmp(kind, RECEIPT_KIND) != 0 || !server || !device ||
      !uuid || !hlc || !sig || !key || int_item(doc, "revision", &revision) != 0 ||
      int_item(doc, "server_seq", &server_seq) != 0 ||
      int_item(doc, "received_at", &received_at) != 0 || int_item(doc, "leaf_index", &index) != 0 ||
      int_item(doc, "leaf_count", &count) != 0 || index >= count ||
      count > ((int64_t)1 << RECEIPT_MAX_DEPTH) || path_item(doc, path, &depth) != 0)
    return SYNC_ERR_INVALID_ARG;
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sig_bin[crypto_sign_BYTES];
  if (store_b64_exact(key, pk, sizeof pk) != 0 ||
      store_b64_exact(sig, sig_bin, sizeof sig_bin) != 0)
    return SYNC_ERR_INVALID_ARG;
  if (expected_key) {
    unsigned char want[crypto_sign_PUBLICKEYBYTES];
    if (store_b64_exact(expected_key, want, sizeof want) != 0)
      return SYNC_ERR_INVALID_ARG;
    if (sodium_memcmp(want, pk, sizeof pk) != 0)
      return SYNC_ERR_CRYPTO;
  }
  return receipt_verify_parts((size_t)index, (size_t)count, path, depth, sig, server, device, uuid,
                              revision, hlc, server_seq, received_at, pk);
}

sync_err_t sync_receipt_verify(const char *receipt_json, const char *expected_key)
{
  if (!receipt_json)
    return SYNC_ERR_INVALID_ARG;
  size_t len = strnlen(receipt_json, RECEIPT_JSON_MAX + 1);
  if (len > RECEIPT_JSON_MAX)
    return SYNC_ERR_INVALID_ARG;
  if (sodium_init() < 0)
    return SYNC_ERR_INTERNAL;
  cJSON *doc = cJSON_ParseWithLength(receipt_json, len);
  if (!doc)
    return SYNC_ERR_JSON;
  sync_err_t err = verify_doc(doc, expected_key);
  cJSON_Delete(doc);
  return err;
}

sync_err_t sync_store_receipt_verify(sync_store_t *store, const char *receipt_json)
{
  char key[128];
  if (!store)
    return SYNC_ERR_INVALID_ARG;
  store_reset_error(store, 0);
  sync_err_t err = store_state_get(store, STATE_RECEIPT_KEY, key, sizeof key);
  if (err == SYNC_ERR_NOT_FOUND)
    return store_fail(store, SYNC_ERR_NOT_ENROLLED, "the store is not enrolled: it holds no server "
                      "receipt key to check the receipt against");
  if (err)
    return err;
  err = sync_receipt_verify(receipt_json, key);
  if (err == SYNC_ERR_CRYPTO)
    return store_fail(store, err, "the receipt is not signed by the server receipt key this store "
                      "was enrolled with (%s)", key);
  if (err)
    return store_fail(store, err, "not a receipt document");
  return SYNC_OK;
}
