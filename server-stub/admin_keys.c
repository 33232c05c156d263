/* Admin commands about keys (SECURITY.md 1, 4, 7; admin.h): the receipt-signing public key, the
 * central sealing key pair (made here, held by central staff, never by the server), and checking
 * a device's receipt document against this server. */
#include "admin.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "sync/receipt.h"
#include "sync/seal.h"

int admin_receipt_key(const cli_t *c)
{
  static const char *const known[] = {"db", NULL};
  if (cli_check(c, known))
    return 2;
  db_conn_t *db = admin_open(c, 0);   /* not read-only: an older database's keys move out now */
  if (!db)
    return 1;
  db_keys_t k;
  sync_err_t e = db_keys_get(db, &k);
  if (e != SYNC_OK)
    fprintf(stderr, "syncserver: the receipt key cannot be read: %s\n", db_keys_error(db));
  db_close(db);
  if (e != SYNC_OK)
    return 1;
  printf("%s\n", k.receipt_pk);
  db_keys_wipe(&k);
  return 0;
}

/* Writes `text` to a new file of mode `mode`; refuses an existing one. */
static int write_new(const char *path, const char *text, mode_t mode)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    fprintf(stderr, "syncserver: cannot create %s: %s\n", path, strerror(errno));
    return -1;
  }
  size_t len = strlen(text);
  int ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
  if (close(fd) != 0 || !ok) {
    fprintf(stderr, "syncserver: cannot write %s: %s\n", path, strerror(errno));
    unlink(path);
    return -1;
  }
  return 0;
}

int admin_keygen(const cli_t *c)
{
  static const char *const known[] = {"out", NULL};
  if (cli_check(c, known))
    return 2;
  const char *out = cli_opt(c, "out");
  if (!out || !*out) {
    fprintf(stderr, "syncserver: keygen needs --out FILE (the secret key; FILE.pub gets the"
            " public key)\n");
    return 2;
  }
  char pub_path[4096];
  if ((size_t)snprintf(pub_path, sizeof pub_path, "%s.pub", out) >= sizeof pub_path)
    return 2;
  if (access(out, F_OK) == 0 || access(pub_path, F_OK) == 0) {
    fprintf(stderr, "syncserver: %s or %s exists; keygen never overwrites a key\n", out,
            pub_path);
    return 1;
  }
  char pk[SYNC_SEAL_KEY_B64_LEN + 1], sk[SYNC_SEAL_KEY_B64_LEN + 1];
  if (sync_seal_keypair(pk, sk) != SYNC_OK) {
    fprintf(stderr, "syncserver: cannot make a key pair\n");
    return 1;
  }
  char doc[256], pub_line[SYNC_SEAL_KEY_B64_LEN + 2];
  snprintf(doc, sizeof doc,
           "{\"kind\":\"libsync-central-key\",\"public_key\":\"%s\",\"secret_key\":\"%s\"}\n", pk,
           sk);
  snprintf(pub_line, sizeof pub_line, "%s\n", pk);
  int rc = write_new(out, doc, 0600) == 0 && write_new(pub_path, pub_line, 0644) == 0 ? 0 : 1;
  if (rc != 0)
    unlink(out);
  sodium_memzero(sk, sizeof sk);
  sodium_memzero(doc, sizeof doc);
  if (rc == 0)
    printf("secret key: %s (keep it with central staff, off the server)\npublic key: %s\n", out,
           pub_path);
  return rc;
}

/* ---- verify-receipt ------------------------------------------------------------------------ */

/* The fields verify-receipt needs beyond the signature check, which sync_receipt_verify does. */
typedef struct receipt_doc {
  const char *server_id, *device_id, *uuid, *hlc, *receipt_key;
  int64_t revision, server_seq, received_at;
} receipt_doc_t;

static const char *str_of(const cJSON *o, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int int_of(const cJSON *o, const char *key, int64_t *out)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble)
    return -1;
  *out = (int64_t)v->valuedouble;
  return 0;
}

/* NULL when the document is a receipt, else what is wrong with it. */
static const char *parse_receipt(const cJSON *o, receipt_doc_t *r)
{
  const char *kind = str_of(o, "kind");
  if (!kind || strcmp(kind, "libsync-receipt") != 0)
    return "not a receipt document (kind is not libsync-receipt)";
  r->server_id = str_of(o, "server_id");
  r->device_id = str_of(o, "device_id");
  r->uuid = str_of(o, "uuid");
  r->hlc = str_of(o, "hlc");
  r->receipt_key = str_of(o, "receipt_key");
  if (!r->server_id || !r->device_id || !r->uuid || !r->hlc ||
      int_of(o, "revision", &r->revision) || int_of(o, "server_seq", &r->server_seq) ||
      int_of(o, "received_at", &r->received_at))
    return "a field of the receipt is missing or of the wrong type";
  if (!proto_uuid_valid(r->uuid) || !proto_uuid_valid(r->device_id) || !proto_hlc_valid(r->hlc))
    return "the receipt's uuid, device_id or hlc is malformed";
  return NULL;
}

int admin_verify_receipt(const cli_t *c)
{
  static const char *const known[] = {"db", NULL};
  if (cli_check(c, known))
    return 2;
  const char *file = cli_pos(c, 0);
  if (!file) {
    fprintf(stderr, "syncserver: verify-receipt needs the receipt file (sync_record_receipt's"
            " JSON)\n");
    return 2;
  }
  size_t len;
  char *text = admin_read_file(file, 65536, &len);
  cJSON *doc = text ? cJSON_ParseWithLength(text, len) : NULL;
  receipt_doc_t r;
  memset(&r, 0, sizeof r);
  const char *bad = doc ? parse_receipt(doc, &r) : "cannot read it as JSON";
  if (bad) {
    fprintf(stderr, "syncserver: %s: %s\n", file, bad);
    cJSON_Delete(doc);
    free(text);
    return 1;
  }
  db_conn_t *db = admin_open(c, 0);
  db_keys_t k;
  memset(&k, 0, sizeof k);
  int rc = 1;
  sync_err_t e;
  if (!db)
    goto done;
  if (db_keys_get(db, &k) != SYNC_OK) {
    fprintf(stderr, "syncserver: the server's receipt key cannot be read: %s\n",
            db_keys_error(db));
    goto done;
  }
  if (strcmp(r.server_id, db_server_id(db)) != 0) {
    fprintf(stderr, "INVALID: the receipt is from server %s, this is %s\n", r.server_id,
            db_server_id(db));
    goto done;
  }
  if (r.receipt_key && strcmp(r.receipt_key, k.receipt_pk) != 0) {
    fprintf(stderr, "INVALID: the receipt names another receipt key than this server's\n");
    goto done;
  }
  e = sync_receipt_verify(text, k.receipt_pk);
  if (e == SYNC_ERR_INVALID_ARG || e == SYNC_ERR_JSON) {
    fprintf(stderr, "INVALID: the receipt's signature, leaf_index, leaf_count or path is"
            " malformed\n");
    goto done;
  }
  if (e != SYNC_OK) {
    fprintf(stderr, "INVALID: the signature and proof do not match the receipt (altered, or not"
            " signed by this server)\n");
    goto done;
  }
  int64_t found = 0;
  e = db_receipt_revision_exists(db, r.uuid, r.device_id, r.revision, r.hlc,
                                            r.server_seq, r.received_at, &found);
  if (e != SYNC_OK) {
    fprintf(stderr, "syncserver: %s\n", sync_strerror(e));
    goto done;
  }
  if (!found) {
    fprintf(stderr, "INVALID: the signature is good but this server holds no such revision"
            " (record %s revision %lld)\n", r.uuid, (long long)r.revision);
    goto done;
  }
  char when[32];
  printf("VALID: record %s revision %lld from device %s, stored at %s as server_seq %lld\n",
         r.uuid, (long long)r.revision, r.device_id, admin_time(r.received_at, when, sizeof when),
         (long long)r.server_seq);
  rc = 0;
done:
  db_keys_wipe(&k);
  db_close(db);
  cJSON_Delete(doc);
  free(text);
  return rc;
}
