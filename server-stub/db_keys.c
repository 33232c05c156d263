/* The server's own keys (db.h, SECURITY.md 1 and "Server files and logs"): the Ed25519 pair that
 * signs receipts and the duplicate-detection key copied into forms that declare duplicate_key.
 * They live in a 0600 key file beside the database, never in it, so a copy of the database — a
 * backup, a replica, a row read through SQL — cannot forge receipts or test identities.
 * Threads: a connection is used by one thread at a time (db.h); nothing here is shared.
 *
 * Key file (JSON, written once, never rewritten):
 *   {"format": "syncserver-keys", "version": 1, "receipt_secret_key": B64(64), "dedup_key": B64(32)}
 * The receipt public key is derived from the secret key, so there is one source of truth.
 * Servers before the key file kept the keys in meta (receipt_public_key, receipt_secret_key,
 * dedup_key) and the dedup key inside stored form definitions; every writable open moves them
 * out (db_keys_move_out: key file first, then one transaction removes them from the database). */
#include "db_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define B64_64 89                 /* base64 of 64 bytes, with NUL */
#define KEY_FILE_MAX 1024
#define KEY_FILE_FORMAT "syncserver-keys"

static sync_err_t keys_fail(db_conn_t *c, sync_err_t e, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));

static sync_err_t keys_fail(db_conn_t *c, sync_err_t e, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->keys_err, sizeof c->keys_err, fmt, ap);
  va_end(ap);
  return e;
}

static void b64(char *out, size_t outlen, const unsigned char *bin, size_t n)
{
  sodium_bin2base64(out, outlen, bin, n, sodium_base64_VARIANT_ORIGINAL);
}

static int unb64(const char *text, unsigned char *bin, size_t n)
{
  size_t got = 0;
  return text && sodium_base642bin(bin, n, text, strlen(text), NULL, &got, NULL,
                                   sodium_base64_VARIANT_ORIGINAL) == 0 && got == n ? 0 : -1;
}

/* Fills the public parts of `k` from its secret parts. */
static sync_err_t keys_complete(db_keys_t *k)
{
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  if (crypto_sign_ed25519_sk_to_pk(pk, k->receipt_sk) != 0)
    return SYNC_ERR_CORRUPT;
  b64(k->receipt_pk, sizeof k->receipt_pk, pk, sizeof pk);
  b64(k->dedup_key_b64, sizeof k->dedup_key_b64, k->dedup_key, sizeof k->dedup_key);
  return SYNC_OK;
}

/* SYNC_ERR_NOT_FOUND when there is no key file. */
static sync_err_t keyfile_read(db_conn_t *c, db_keys_t *out)
{
  memset(out, 0, sizeof *out);
  int fd = open(c->keys_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return errno == ENOENT ? SYNC_ERR_NOT_FOUND
                           : keys_fail(c, SYNC_ERR_IO, "cannot open %s: %s", c->keys_path,
                                       strerror(errno));
  char text[KEY_FILE_MAX + 1];
  struct stat st;
  ssize_t n = -1;
  sync_err_t e = SYNC_OK;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    e = keys_fail(c, SYNC_ERR_IO, "%s is not a regular file", c->keys_path);
  } else if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    e = keys_fail(c, SYNC_ERR_IO,
                  "%s dapat dibaca pengguna lain (mode %04o); perbaiki dengan: chmod 600 %s"
                  " / %s is readable by other users (mode %04o); fix it with: chmod 600 %s",
                  c->keys_path, (unsigned)(st.st_mode & 07777), c->keys_path, c->keys_path,
                  (unsigned)(st.st_mode & 07777), c->keys_path);
  } else if ((n = read(fd, text, KEY_FILE_MAX + 1)) < 0 || n > KEY_FILE_MAX) {
    e = keys_fail(c, SYNC_ERR_IO, "cannot read %s", c->keys_path);
  }
  close(fd);
  if (e != SYNC_OK)
    return e;
  cJSON *doc = cJSON_ParseWithLength(text, (size_t)n);
  sodium_memzero(text, sizeof text);
  const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(doc, "format");
  const cJSON *ver = cJSON_GetObjectItemCaseSensitive(doc, "version");
  if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, KEY_FILE_FORMAT) != 0 ||
      !cJSON_IsNumber(ver) || ver->valueint != 1 ||
      unb64(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "receipt_secret_key")),
            out->receipt_sk, sizeof out->receipt_sk) != 0 ||
      unb64(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "dedup_key")),
            out->dedup_key, sizeof out->dedup_key) != 0 ||
      keys_complete(out) != SYNC_OK)
    e = keys_fail(c, SYNC_ERR_CORRUPT, "%s is not a syncserver key file", c->keys_path);
  /* cJSON cannot wipe its copies; wipe the strings it holds before freeing them. */
  for (const cJSON *it = doc ? doc->child : NULL; it; it = it->next)
    if (cJSON_IsString(it))
      sodium_memzero(it->valuestring, strlen(it->valuestring));
  cJSON_Delete(doc);
  if (e != SYNC_OK)
    db_keys_wipe(out);
  return e;
}

/* Writes the key file once: the text goes to a temporary file (0600) that is then linked to the
 * final name, which fails if that name exists — a key file is never overwritten. */
static sync_err_t keyfile_write(db_conn_t *c, const db_keys_t *k)
{
  char sk64[B64_64], text[KEY_FILE_MAX], tmp[4096];
  b64(sk64, sizeof sk64, k->receipt_sk, sizeof k->receipt_sk);
  int len = snprintf(text, sizeof text,
                     "{\"format\": \"" KEY_FILE_FORMAT "\", \"version\": 1,"
                     " \"receipt_secret_key\": \"%s\", \"dedup_key\": \"%s\"}\n",
                     sk64, k->dedup_key_b64);
  sodium_memzero(sk64, sizeof sk64);
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", c->keys_path) >= sizeof tmp) {
    sodium_memzero(text, sizeof text);
    return keys_fail(c, SYNC_ERR_INVALID_ARG, "database path too long");
  }
  sync_err_t e = SYNC_OK;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 || fchmod(fd, 0600) != 0 || write(fd, text, (size_t)len) != len || fsync(fd) != 0)
    e = keys_fail(c, SYNC_ERR_IO, "cannot write %s: %s", tmp, strerror(errno));
  sodium_memzero(text, sizeof text);
  if (fd >= 0)
    close(fd);
  if (e == SYNC_OK && link(tmp, c->keys_path) != 0)
    e = keys_fail(c, SYNC_ERR_IO, "cannot create %s: %s", c->keys_path, strerror(errno));
  if (fd >= 0 && unlink(tmp) != 0 && e == SYNC_OK)
    e = keys_fail(c, SYNC_ERR_IO, "cannot remove %s: %s", tmp, strerror(errno));
  return e;
}

/* The keys an older server kept in meta; SYNC_ERR_NOT_FOUND when there are none. */
static sync_err_t meta_keys_read(db_conn_t *c, db_keys_t *out)
{
  memset(out, 0, sizeof *out);
  char sk64[B64_64], dk64[PROTO_KEY_B64_LEN + 1];
  sync_err_t e = db_meta_get(c, "receipt_secret_key", sk64, sizeof sk64);
  if (e == SYNC_OK)
    e = db_meta_get(c, "dedup_key", dk64, sizeof dk64);
  if (e == SYNC_OK && (unb64(sk64, out->receipt_sk, sizeof out->receipt_sk) != 0 ||
                       unb64(dk64, out->dedup_key, sizeof out->dedup_key) != 0 ||
                       keys_complete(out) != SYNC_OK))
    e = keys_fail(c, SYNC_ERR_CORRUPT, "the keys in the database are damaged");
  sodium_memzero(sk64, sizeof sk64);
  if (e != SYNC_OK)
    db_keys_wipe(out);
  return e;
}

/* Removes the keys from the database: the meta rows, and the dedup key from every stored form
 * definition (the placeholder takes its place; db_form_text puts it back). */
static sync_err_t meta_keys_remove(db_conn_t *c, const char *dedup_b64)
{
  char from[PROTO_KEY_B64_LEN + 16], to[sizeof DB_DEDUP_KEY_PLACEHOLDER + 16];
  snprintf(from, sizeof from, "\"key\":\"%s\"", dedup_b64);
  snprintf(to, sizeof to, "\"key\":\"%s\"", DB_DEDUP_KEY_PLACEHOLDER);
  sync_err_t e = db_begin_write(c);
  if (e != SYNC_OK)
    return e;
  sqlite3_stmt *st = NULL;
  if (sqlite3_exec(c->h, "DELETE FROM meta WHERE key IN ('receipt_public_key',"
                         " 'receipt_secret_key', 'dedup_key')", NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(c->h, "UPDATE forms SET definition = replace(definition, ?1, ?2)"
                               " WHERE instr(definition, ?1) > 0", -1, &st, NULL) != SQLITE_OK) {
    e = db_err(sqlite3_errcode(c->h));
  } else {
    sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
    e = db_step_done(st);
  }
  sqlite3_finalize(st);
  if (e == SYNC_OK)
    e = db_commit(c);
  else
    db_rollback(c);
  return e;
}

/* Moves an older database's keys into a new key file, or finishes a move a crash cut short
 * (key file written, database not yet cleaned). */
static sync_err_t keys_move_out(db_conn_t *c, const db_keys_t *from_meta)
{
  db_keys_t have;
  sync_err_t e = keyfile_read(c, &have);
  if (e == SYNC_ERR_NOT_FOUND)
    e = keyfile_write(c, from_meta);
  else if (e == SYNC_OK && (sodium_memcmp(have.receipt_sk, from_meta->receipt_sk,
                                          sizeof have.receipt_sk) != 0 ||
                            sodium_memcmp(have.dedup_key, from_meta->dedup_key,
                                          sizeof have.dedup_key) != 0))
    e = keys_fail(c, SYNC_ERR_CORRUPT, "%s holds other keys than the database; keep the right"
                  " one (check receipts with `syncserver keys`) and move the other away",
                  c->keys_path);
  db_keys_wipe(&have);
  return e == SYNC_OK ? meta_keys_remove(c, from_meta->dedup_key_b64) : e;
}

sync_err_t db_keys_create(db_conn_t *c)
{
  if (sodium_init() < 0)
    return SYNC_ERR_CRYPTO;
  c->keys_err[0] = '\0';
  db_keys_t k;
  /* A key file left beside a database made again (or a migration retried) is adopted. */
  sync_err_t e = keyfile_read(c, &k);
  if (e == SYNC_ERR_NOT_FOUND) {
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    crypto_sign_keypair(pk, k.receipt_sk);
    randombytes_buf(k.dedup_key, sizeof k.dedup_key);
    if ((e = keys_complete(&k)) == SYNC_OK)
      e = keyfile_write(c, &k);
  }
  db_keys_wipe(&k);
  return e;
}

sync_err_t db_keys_move_out(db_conn_t *c)
{
  c->keys_err[0] = '\0';
  db_keys_t k;
  sync_err_t e = meta_keys_read(c, &k);
  if (e == SYNC_OK)
    e = keys_move_out(c, &k);
  db_keys_wipe(&k);
  return e == SYNC_ERR_NOT_FOUND ? SYNC_OK : e;
}

sync_err_t db_keys_get(db_conn_t *c, db_keys_t *out)
{
  c->keys_err[0] = '\0';
  sync_err_t e = keyfile_read(c, out);
  if (e == SYNC_ERR_NOT_FOUND && c->readonly && meta_keys_read(c, out) == SYNC_OK)
    return SYNC_OK;   /* an older database opened read-only: its keys move at a writable open */
  if (e == SYNC_ERR_NOT_FOUND)
    e = keys_fail(c, SYNC_ERR_CORRUPT, "%s is missing: the server's receipt-signing and"
                  " duplicate-detection keys are in it (restore it from the backup made with"
                  " the database)", c->keys_path);
  return e;
}

const char *db_keys_error(const db_conn_t *c)
{
  return c->keys_err[0] ? c->keys_err : db_errmsg(c);
}

void db_keys_wipe(db_keys_t *k)
{
  sodium_memzero(k, sizeof *k);
}

/* The dedup key's base64, read once per connection. Only reads the key file: this may run
 * inside a transaction (a pull page, a publish). */
static sync_err_t conn_dedup_key(db_conn_t *c)
{
  if (c->dedup_key_b64[0])
    return SYNC_OK;
  db_keys_t k;
  sync_err_t e = keyfile_read(c, &k);
  if (e == SYNC_ERR_NOT_FOUND)
    e = keys_fail(c, SYNC_ERR_CORRUPT, "%s is missing", c->keys_path);
  if (e == SYNC_OK)
    memcpy(c->dedup_key_b64, k.dedup_key_b64, sizeof c->dedup_key_b64);
  db_keys_wipe(&k);
  return e;
}

/* `text` with the first `"key":"<from>"` replaced by `"key":"<to>"` (a copy when absent). */
static sync_err_t replace_key(const char *text, const char *from, const char *to, char **out)
{
  char mark[PROTO_KEY_B64_LEN + sizeof DB_DEDUP_KEY_PLACEHOLDER + 16];
  snprintf(mark, sizeof mark, "\"key\":\"%s\"", from);
  const char *at = strstr(text, mark);
  size_t head = at ? (size_t)(at - text) + 7 : strlen(text);
  const char *tail = at ? at + strlen(mark) - 1 : text + head;   /* from the closing quote */
  size_t tolen = at ? strlen(to) : 0, taillen = strlen(tail);
  if (!(*out = malloc(head + tolen + taillen + 1)))
    return SYNC_ERR_NOMEM;
  memcpy(*out, text, head);
  memcpy(*out + head, to, tolen);
  memcpy(*out + head + tolen, tail, taillen + 1);
  return SYNC_OK;
}

sync_err_t db_form_text(db_conn_t *c, const char *stored, char **out)
{
  *out = NULL;
  if (!strstr(stored, DB_DEDUP_KEY_PLACEHOLDER))
    return (*out = strdup(stored)) ? SYNC_OK : SYNC_ERR_NOMEM;
  sync_err_t e = conn_dedup_key(c);
  return e == SYNC_OK ? replace_key(stored, DB_DEDUP_KEY_PLACEHOLDER, c->dedup_key_b64, out) : e;
}

sync_err_t db_form_stored_text(db_conn_t *c, const char *definition, char **out)
{
  *out = NULL;
  if (!strstr(definition, "\"duplicate_key\""))
    return (*out = strdup(definition)) ? SYNC_OK : SYNC_ERR_NOMEM;
  sync_err_t e = conn_dedup_key(c);
  return e == SYNC_OK ? replace_key(definition, c->dedup_key_b64, DB_DEDUP_KEY_PLACEHOLDER, out)
                      : e;
}
