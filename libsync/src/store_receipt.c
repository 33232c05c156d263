/* Signed receipts (sync/receipt.h, proto/SECURITY.md 7): the newest receipt of a record as a
 * self-contained document, and checking such a document against the server's Ed25519 key. */
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
#define SIGNED_TEXT_MAX 512   /* proto_receipt_signed_text: always enough */

/* The newest acknowledged revision of the record with a stored signature. */
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
       !cJSON_AddNumberToObject(o, "received_at", (double)sqlite3_column_int64(st, 3)) ||
       !cJSON_AddStringToObject(o, "signature", (const char *)sqlite3_column_text(st, 4))))
    err = SYNC_ERR_NOMEM;
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

sync_err_t store_receipt_check(const char *server_id, const char *device_id, const char *uuid,
                               int64_t revision, const char *hlc, int64_t server_seq,
                               int64_t received_at, const char *signature_b64,
                               const unsigned char pk[crypto_sign_PUBLICKEYBYTES])
{
  unsigned char signature[crypto_sign_BYTES];
  char text[SIGNED_TEXT_MAX];
  if (store_b64_exact(signature_b64, signature, sizeof signature) != 0 ||
      proto_receipt_signed_text(server_id, device_id, uuid, revision, hlc, server_seq, received_at,
                                text, sizeof text) != SYNC_OK)
    return SYNC_ERR_INVALID_ARG;
  return crypto_sign_verify_detached(signature, (const unsigned char *)text, strlen(text), pk) == 0
           ? SYNC_OK
           : SYNC_ERR_CRYPTO;
}

static sync_err_t verify_doc(const cJSON *doc, const char *expected_key)
{
  const char *kind = str_item(doc, "kind"), *server = str_item(doc, "server_id");
  const char *device = str_item(doc, "device_id"), *uuid = str_item(doc, "uuid");
  const char *hlc = str_item(doc, "hlc"), *sig = str_item(doc, "signature");
  const char *key = str_item(doc, "receipt_key");
  int64_t revision, server_seq, received_at;
  if (!cJSON_IsObject(doc) || !kind || strcmp(kind, RECEIPT_KIND) != 0 || !server || !device ||
      !uuid || !hlc || !sig || !key || int_item(doc, "revision", &revision) != 0 ||
      int_item(doc, "server_seq", &server_seq) != 0 || int_item(doc, "received_at", &received_at) != 0)
    return SYNC_ERR_INVALID_ARG;
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  if (store_b64_exact(key, pk, sizeof pk) != 0)
    return SYNC_ERR_INVALID_ARG;
  if (expected_key) {
    unsigned char want[crypto_sign_PUBLICKEYBYTES];
    if (store_b64_exact(expected_key, want, sizeof want) != 0)
      return SYNC_ERR_INVALID_ARG;
    if (sodium_memcmp(want, pk, sizeof pk) != 0)
      return SYNC_ERR_CRYPTO;
  }
  return store_receipt_check(server, device, uuid, revision, hlc, server_seq, received_at, sig, pk);
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
