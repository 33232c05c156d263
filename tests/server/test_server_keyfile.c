/* The server's keys live in a 0600 key file beside the database, never in it (proto/SECURITY.md,
 * "Server files and logs"): a copy of central.db cannot forge receipts or test identities, a key
 * file others may read is refused, an older database's keys are moved out, and devices still get
 * form definitions with the duplicate-detection key, byte for byte as published. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_internal.h"
#include "test_support.h"

typedef struct world {
  char *dir, *db, *keys;
} world_t;

static int world_setup(void **state)
{
  world_t *w = calloc(1, sizeof *w);
  w->dir = ts_tempdir();
  w->db = ts_path(w->dir, "central.db");
  w->keys = ts_path(w->dir, "central.db" DB_KEYS_SUFFIX);
  *state = w;
  return 0;
}

static int world_teardown(void **state)
{
  world_t *w = *state;
  ts_rmtree(w->dir);
  free(w->dir);
  free(w->db);
  free(w->keys);
  free(w);
  return 0;
}

static db_conn_t *open_db(const world_t *w, int flags)
{
  db_conn_t *c = NULL;
  char err[512];
  sync_err_t e = db_open(w->db, flags, &c, err, sizeof err);
  if (e != SYNC_OK)
    fail_msg("db_open: %s", err);
  return c;
}

/* A form definition declaring duplicate_key with the server's key, as `form publish` makes it. */
static char *dedup_form(const char *key_b64, char sha[65])
{
  char *text = malloc(1024);
  snprintf(text, 1024,
           "{\"form_id\":\"k\",\"version\":1,\"title\":{\"en\":\"K\"},\"fields\":[{\"name\":"
           "\"full_name\",\"type\":\"text\",\"label\":{\"en\":\"Name\"}}],\"duplicate_key\":"
           "{\"fields\":[\"full_name\"],\"key\":\"%s\"}}", key_b64);
  unsigned char h[32];
  crypto_hash_sha256(h, (const unsigned char *)text, strlen(text));
  sodium_bin2hex(sha, 65, h, sizeof h);
  return text;
}

static void publish(db_conn_t *c, const char *text, const char *sha)
{
  int added = 0;
  int64_t seq;
  assert_int_equal(db_form_publish(c, "k", 1, text, sha, "{}", &added, &seq), SYNC_OK);
  assert_int_equal(added, 1);
}

/* 1 if `needle` (n bytes) occurs in the file at `path` (a missing file holds nothing). */
static int file_holds(const char *path, const void *needle, size_t n)
{
  size_t len = 0;
  char *bytes = ts_read_file(path, &len);
  int found = 0;
  for (size_t i = 0; bytes && !found && i + n <= len; i++)
    found = memcmp(bytes + i, needle, n) == 0;
  free(bytes);
  return found;
}

static int db_files_hold(const world_t *w, const void *needle, size_t n)
{
  char wal[4096], shm[4096];
  snprintf(wal, sizeof wal, "%s-wal", w->db);
  snprintf(shm, sizeof shm, "%s-shm", w->db);
  return file_holds(w->db, needle, n) || file_holds(wal, needle, n) || file_holds(shm, needle, n);
}

static void assert_keys_not_in_database(const world_t *w, const db_keys_t *k)
{
  char sk64[89];
  sodium_bin2base64(sk64, sizeof sk64, k->receipt_sk, sizeof k->receipt_sk,
                    sodium_base64_VARIANT_ORIGINAL);
  assert_false(db_files_hold(w, sk64, strlen(sk64)));
  assert_false(db_files_hold(w, k->receipt_sk, 32));   /* the seed half, raw */
  assert_false(db_files_hold(w, k->dedup_key_b64, strlen(k->dedup_key_b64)));
  assert_false(db_files_hold(w, k->dedup_key, sizeof k->dedup_key));
}

static void test_a_copy_of_the_database_holds_no_server_key(void **state)
{
  world_t *w = *state;
  db_conn_t *c = open_db(w, DB_OPEN_CREATE);
  db_keys_t k;
  assert_int_equal(db_keys_get(c, &k), SYNC_OK);
  char sha[65];
  char *text = dedup_form(k.dedup_key_b64, sha);
  publish(c, text, sha);
  /* devices get the definition they hash: the key is put back, byte for byte */
  char *got = NULL, got_sha[65];
  assert_int_equal(db_form_get(c, "k", 1, &got, got_sha), SYNC_OK);
  assert_string_equal(got, text);
  assert_string_equal(got_sha, sha);
  free(got);
  db_close(c);

  struct stat st;
  assert_int_equal(stat(w->keys, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_keys_not_in_database(w, &k);
  db_keys_wipe(&k);
  free(text);
}

static void test_a_key_file_others_may_read_is_refused(void **state)
{
  world_t *w = *state;
  db_close(open_db(w, DB_OPEN_CREATE));
  assert_int_equal(chmod(w->keys, 0640), 0);
  db_conn_t *c = NULL;
  char err[512];
  assert_int_equal(db_open(w->db, 0, &c, err, sizeof err), SYNC_ERR_IO);
  assert_non_null(strstr(err, "chmod 600"));
  assert_non_null(strstr(err, DB_KEYS_SUFFIX));
  /* legitimate use: fixed as the message says, the server opens again with the same keys */
  assert_int_equal(chmod(w->keys, 0600), 0);
  c = open_db(w, 0);
  db_keys_t k;
  assert_int_equal(db_keys_get(c, &k), SYNC_OK);
  db_keys_wipe(&k);
  db_close(c);
}

static void test_a_missing_key_file_is_named(void **state)
{
  world_t *w = *state;
  db_close(open_db(w, DB_OPEN_CREATE));
  assert_int_equal(unlink(w->keys), 0);
  db_conn_t *c = open_db(w, 0);
  db_keys_t k;
  assert_int_equal(db_keys_get(c, &k), SYNC_ERR_CORRUPT);
  assert_non_null(strstr(db_keys_error(c), "missing"));
  db_close(c);
}

/* A database of a server before the key file: keys in meta, the dedup key in the definition. */
static void make_older_database(const world_t *w, db_keys_t *k, char **text, char sha[65])
{
  db_conn_t *c = open_db(w, DB_OPEN_CREATE);
  assert_int_equal(db_keys_get(c, k), SYNC_OK);
  *text = dedup_form(k->dedup_key_b64, sha);
  char sk64[89], *sql;
  sodium_bin2base64(sk64, sizeof sk64, k->receipt_sk, sizeof k->receipt_sk,
                    sodium_base64_VARIANT_ORIGINAL);
  sql = sqlite3_mprintf("INSERT INTO meta(key, value) VALUES ('receipt_secret_key', %Q),"
                        " ('receipt_public_key', %Q), ('dedup_key', %Q);"
                        "INSERT INTO forms(form_id, version, definition, sha256, title,"
                        " published_at, seq) VALUES ('k', 1, %Q, %Q, '{}', 1, 1)",
                        sk64, k->receipt_pk, k->dedup_key_b64, *text, sha);
  assert_int_equal(sqlite3_exec(c->h, sql, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_free(sql);
  db_close(c);
  assert_int_equal(unlink(w->keys), 0);
}

static void test_an_older_databases_keys_are_moved_out(void **state)
{
  world_t *w = *state;
  db_keys_t old, k;
  char *text, sha[65];
  make_older_database(w, &old, &text, sha);

  /* read-only (admin listings) still works before the move */
  db_conn_t *c = open_db(w, DB_OPEN_READONLY);
  assert_int_equal(db_keys_get(c, &k), SYNC_OK);
  assert_string_equal(k.receipt_pk, old.receipt_pk);
  db_keys_wipe(&k);
  db_close(c);

  c = open_db(w, 0);   /* the first writable open moves them */
  assert_int_equal(db_keys_get(c, &k), SYNC_OK);
  assert_memory_equal(k.receipt_sk, old.receipt_sk, sizeof k.receipt_sk);
  assert_memory_equal(k.dedup_key, old.dedup_key, sizeof k.dedup_key);
  char *got = NULL;
  assert_int_equal(db_form_get(c, "k", 1, &got, NULL), SYNC_OK);
  assert_string_equal(got, text);
  free(got);
  assert_int_equal(sqlite3_exec(c->h, "VACUUM", NULL, NULL, NULL), SQLITE_OK);
  db_close(c);
  assert_keys_not_in_database(w, &old);
  db_keys_wipe(&k);
  db_keys_wipe(&old);
  free(text);
}

static void test_a_key_file_of_other_keys_stops_the_move(void **state)
{
  world_t *w = *state;
  db_keys_t old;
  char *text, sha[65];
  make_older_database(w, &old, &text, sha);
  /* another server's key file beside it: neither is silently chosen */
  world_t other = {.db = ts_path(w->dir, "other.db")};
  db_close(open_db(&other, DB_OPEN_CREATE));
  char *other_keys = ts_path(w->dir, "other.db" DB_KEYS_SUFFIX);
  assert_int_equal(rename(other_keys, w->keys), 0);
  db_conn_t *c = NULL;
  char err[512];
  assert_int_not_equal(db_open(w->db, 0, &c, err, sizeof err), SYNC_OK);
  assert_non_null(strstr(err, "other keys"));
  free(other_keys);
  free(other.db);
  db_keys_wipe(&old);
  free(text);
}

int main(void)
{
  if (sodium_init() < 0)
    return 1;
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_a_copy_of_the_database_holds_no_server_key, world_setup,
                                    world_teardown),
    cmocka_unit_test_setup_teardown(test_a_key_file_others_may_read_is_refused, world_setup,
                                    world_teardown),
    cmocka_unit_test_setup_teardown(test_a_missing_key_file_is_named, world_setup,
                                    world_teardown),
    cmocka_unit_test_setup_teardown(test_an_older_databases_keys_are_moved_out, world_setup,
                                    world_teardown),
    cmocka_unit_test_setup_teardown(test_a_key_file_of_other_keys_stops_the_move, world_setup,
                                    world_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
