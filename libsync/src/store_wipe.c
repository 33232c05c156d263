/* Emergency wipe (sync/store.h, proto/SECURITY.md 8): first the wrapped data key and its salt are
 * overwritten inside the database (so nothing can be decrypted even if the rest is interrupted),
 * then every file of the store is overwritten with random bytes, synced and deleted. Needs no
 * passphrase and works on a damaged file. */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WIPE_CHUNK 65536

/* Overwrites meta key_wrapped and key_kdf with random bytes of their length, commits and copies
 * the WAL into the database. Best effort: a file that is no store is still wiped below. */
static void destroy_key(const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *sel = NULL, *upd = NULL;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
    goto done;
  sqlite3_busy_timeout(db, 2000);
  if (sqlite3_exec(db, "PRAGMA secure_delete = ON; BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(db, "SELECT key, length(CAST(value AS BLOB)) FROM meta"
                             " WHERE key IN ('key_wrapped', 'key_kdf')", -1, &sel, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(db, "UPDATE meta SET value = ?2 WHERE key = ?1", -1, &upd, NULL) != SQLITE_OK)
    goto done;
  while (sqlite3_step(sel) == SQLITE_ROW) {
    int n = sqlite3_column_int(sel, 1);
    unsigned char *junk = malloc(n > 0 ? (size_t)n : 1);
    if (!junk)
      break;
    randombytes_buf(junk, (size_t)n);
    sqlite3_bind_text(upd, 1, (const char *)sqlite3_column_text(sel, 0), -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(upd, 2, junk, n, free);
    sqlite3_step(upd);
    sqlite3_reset(upd);
  }
  sqlite3_finalize(sel);
  sel = NULL;
  if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
    sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_FULL, NULL, NULL);
done:
  sqlite3_finalize(sel);
  sqlite3_finalize(upd);
  if (db && !sqlite3_get_autocommit(db))
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close_v2(db);
}

/* Overwrites a file with random bytes of its length, syncs and unlinks it. 0 when done or absent. */
static int shred(const char *path)
{
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : -1;
  struct stat sb;
  unsigned char *buf = malloc(WIPE_CHUNK);
  int rc = buf && fstat(fd, &sb) == 0 ? 0 : -1;
  for (off_t done = 0; rc == 0 && done < sb.st_size;) {
    size_t n = sb.st_size - done < WIPE_CHUNK ? (size_t)(sb.st_size - done) : WIPE_CHUNK;
    randombytes_buf(buf, n);
    ssize_t w = pwrite(fd, buf, n, done);
    if (w <= 0)
      rc = -1;
    else
      done += w;
  }
  if (rc == 0 && fsync(fd) != 0)
    rc = -1;
  free(buf);
  close(fd);
  if (rc == 0 && unlink(path) != 0 && errno != ENOENT)
    rc = -1;
  return rc;
}

/* Makes the unlinks durable. */
static void sync_dir(const char *path)
{
  char *copy = strdup(path);
  if (!copy)
    return;
  int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  free(copy);
}

sync_err_t sync_store_wipe(const char *path)
{
  static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
  if (!path || !*path)
    return SYNC_ERR_INVALID_ARG;
  if (sodium_init() < 0)
    return SYNC_ERR_INTERNAL;
  if (strcmp(path, ":memory:") == 0)
    return SYNC_OK;
  if (access(path, F_OK) == 0)
    destroy_key(path);
  int failed = 0;
  for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
    size_t len = strlen(path) + strlen(suffixes[i]) + 1;
    char *name = malloc(len);
    if (!name)
      return SYNC_ERR_NOMEM;
    snprintf(name, len, "%s%s", path, suffixes[i]);
    failed |= shred(name) != 0;
    free(name);
  }
  sync_dir(path);
  return failed ? SYNC_ERR_IO : SYNC_OK;
}
