/* The store handle: open/create/reopen, refusing foreign and newer files, read-only handles,
 * device id, durability settings, batches and stats (sync/store.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h" /* to look at the handle's SQLite connection */
#include "sync/sync.h"
#include "test_support.h"

/* A small form; backquotes stand for double quotes to keep it readable. */
static const char FORM[] =
  "{`format`:1,`form_id`:`visit`,`version`:1,`default_language`:`id`,`languages`:[`id`,`en`],"
  "`title`:{`id`:`Kunjungan`,`en`:`Visit`},"
  "`choice_lists`:{`yn`:[{`name`:`yes`,`label`:{`id`:`Ya`}},{`name`:`no`,`label`:{`id`:`Tidak`}}]},"
  "`sections`:[{`name`:`main`,`label`:{`id`:`Utama`,`en`:`Main`},`fields`:["
  "{`name`:`name`,`type`:`text`,`label`:{`id`:`Nama`,`en`:`Name`},`required`:true},"
  "{`name`:`age`,`type`:`integer`,`label`:{`id`:`Umur`,`en`:`Age`}}]}]}";

typedef struct fixture {
  char *dir;
  char *path;
  char *form;
} fixture_t;

static char *unquote(const char *s)
{
  char *out = strdup(s);
  for (char *p = out; *p; p++)
    if (*p == '`')
      *p = '"';
  return out;
}

static int setup(void **state)
{
  fixture_t *f = calloc(1, sizeof *f);
  f->dir = ts_tempdir();
  f->path = ts_path(f->dir, "store.db");
  f->form = unquote(FORM);
  *state = f;
  return f->dir && f->path ? 0 : -1;
}

static int teardown(void **state)
{
  fixture_t *f = *state;
  ts_rmtree(f->dir);
  free(f->dir);
  free(f->path);
  free(f->form);
  free(f);
  return 0;
}

#define PASSPHRASE "kunci rahasia kantor"

/* Default options with the test passphrase (Argon2id at test cost: see store.h). */
static sync_store_opts_t *test_opts(sync_store_opts_t *o)
{
  sync_store_opts_init(o);
  o->passphrase = PASSPHRASE;
  o->kdf = SYNC_KDF_TEST;
  return o;
}

static sync_store_t *open_store(const fixture_t *f)
{
  sync_store_t *s = NULL;
  sync_store_opts_t o;
  sync_err_t err = sync_store_open(f->path, test_opts(&o), &s);
  assert_int_equal(err, SYNC_OK);
  assert_non_null(s);
  return s;
}

static sync_store_t *open_with_form(const fixture_t *f)
{
  sync_store_t *s = open_store(f);
  assert_int_equal(sync_form_add(s, f->form, strlen(f->form), NULL, NULL), SYNC_OK);
  return s;
}

static void save(sync_store_t *s, const char *name, sync_record_status_t status, char *uuid)
{
  char payload[128];
  snprintf(payload, sizeof payload, "{\"name\":\"%s\",\"age\":30}", name);
  sync_err_t err = sync_record_create(s, "visit", 0, payload, status, uuid);
  if (err)
    fail_msg("save %s: %s: %s", name, sync_errname(err), sync_store_errmsg(s));
}

/* Runs SQL on the file through a connection of its own; returns the first column of the first
 * row as an integer (0 if none). */
static long long raw_sql(const char *path, const char *sql)
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

static long long handle_sql(sync_store_t *s, const char *sql)
{
  sqlite3_stmt *st;
  long long v = 0;
  assert_int_equal(sqlite3_prepare_v2(s->db, sql, -1, &st, NULL), SQLITE_OK);
  if (sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

/* ---- open / create / reopen --------------------------------------------------------------- */

static void test_open_creates_a_store_and_reopens_it(void **state)
{
  fixture_t *f = *state;
  sync_store_t *s = open_store(f);
  assert_int_equal(sync_store_schema_version(s), STORE_SCHEMA_VERSION);
  assert_string_equal(sync_store_errmsg(s), "");
  char id[64];
  snprintf(id, sizeof id, "%s", sync_store_device_id(s));
  assert_int_equal(strlen(id), SYNC_UUID_STRLEN);
  assert_int_equal(id[14], '4');
  sync_store_close(s);

  s = open_store(f);
  assert_string_equal(sync_store_device_id(s), id);
  assert_int_equal(sync_store_schema_version(s), STORE_SCHEMA_VERSION);
  sync_store_close(s);
  assert_int_equal(raw_sql(f->path, "PRAGMA application_id"), STORE_APPLICATION_ID);
}

static void test_device_ids_differ_between_stores(void **state)
{
  fixture_t *f = *state;
  char *other = ts_path(f->dir, "other.db");
  sync_store_t *a = open_store(f), *b = NULL;
  sync_store_opts_t o;
  assert_int_equal(sync_store_open(other, test_opts(&o), &b), SYNC_OK);
  assert_string_not_equal(sync_store_device_id(a), sync_store_device_id(b));
  sync_store_close(a);
  sync_store_close(b);
  free(other);
}

static void test_missing_file_without_create_is_not_found(void **state)
{
  fixture_t *f = *state;
  sync_store_opts_t o;
  test_opts(&o);
  o.create = 0;
  sync_store_t *s = (sync_store_t *)&o; /* must be reset to NULL */
  assert_int_equal(sync_store_open(f->path, &o, &s), SYNC_ERR_NOT_FOUND);
  assert_null(s);
  o.create = 1;
  o.read_only = 1;
  assert_int_equal(sync_store_open(f->path, &o, &s), SYNC_ERR_NOT_FOUND);
  assert_null(s);
}

static void test_newer_schema_is_refused(void **state)
{
  fixture_t *f = *state;
  sync_store_close(open_store(f));
  raw_sql(f->path, "PRAGMA user_version = 99");
  sync_store_t *s = (sync_store_t *)f;
  sync_store_opts_t o;
  assert_int_equal(sync_store_open(f->path, test_opts(&o), &s), SYNC_ERR_TOO_NEW);
  assert_null(s);
  /* Nothing was changed by the refused open. */
  assert_int_equal(raw_sql(f->path, "PRAGMA user_version"), 99);
}

static void test_file_that_is_not_sqlite_is_refused_as_corrupt(void **state)
{
  fixture_t *f = *state;
  static const char junk[] = "Laporan kunjungan lapangan, bukan basis data.\n";
  char content[8192];
  memset(content, '\n', sizeof content);
  for (size_t i = 0; i + sizeof junk < sizeof content; i += sizeof junk - 1)
    memcpy(content + i, junk, sizeof junk);
  FILE *fp = fopen(f->path, "wb");
  assert_non_null(fp);
  fwrite(content, 1, sizeof content, fp);
  fclose(fp);

  sync_store_t *s = NULL;
  sync_store_opts_t o;
  assert_int_equal(sync_store_open(f->path, test_opts(&o), &s), SYNC_ERR_CORRUPT);
  assert_null(s);
  size_t len;
  char *after = ts_read_file(f->path, &len);
  assert_int_equal(len, sizeof content);
  assert_memory_equal(after, content, len);
  free(after);
}

static void test_sqlite_database_of_another_program_is_refused(void **state)
{
  fixture_t *f = *state;
  raw_sql(f->path, "CREATE TABLE contacts(name TEXT)");
  sync_store_t *s = NULL;
  sync_store_opts_t o;
  assert_int_equal(sync_store_open(f->path, test_opts(&o), &s), SYNC_ERR_CORRUPT);
  assert_null(s);
  raw_sql(f->path, "PRAGMA application_id = 1234");
  assert_int_equal(sync_store_open(f->path, test_opts(&o), &s), SYNC_ERR_CORRUPT);
  assert_null(s);
  assert_int_equal(raw_sql(f->path, "SELECT count(*) FROM sqlite_schema"), 1);
}

static void test_invalid_arguments_are_rejected(void **state)
{
  fixture_t *f = *state;
  sync_store_t *s = NULL;
  sync_store_opts_t o;
  assert_int_equal(sync_store_open(NULL, NULL, &s), SYNC_ERR_INVALID_ARG);
  assert_int_equal(sync_store_open(f->path, NULL, NULL), SYNC_ERR_INVALID_ARG);
  test_opts(&o);
  o.language = "fr";
  assert_int_equal(sync_store_open(f->path, &o, &s), SYNC_ERR_INVALID_ARG);
  assert_null(s);

  s = open_store(f);
  assert_int_equal(sync_store_set_language(s, "xx"), SYNC_ERR_INVALID_ARG);
  assert_string_not_equal(sync_store_errmsg(s), "");
  assert_int_equal(sync_store_set_language(s, "en"), SYNC_OK);
  assert_string_equal(sync_store_errmsg(s), "");
  assert_int_equal(sync_store_stats(s, NULL), SYNC_ERR_INVALID_ARG);
  assert_int_equal(sync_record_create(s, NULL, 0, "{}", SYNC_STATUS_DRAFT, NULL), SYNC_ERR_INVALID_ARG);
  assert_int_equal(sync_record_create(s, "visit", 0, NULL, SYNC_STATUS_DRAFT, NULL), SYNC_ERR_INVALID_ARG);
  assert_int_equal(sync_record_create(s, "visit", 0, "{}", (sync_record_status_t)7, NULL), SYNC_ERR_INVALID_ARG);
  assert_int_equal(sync_record_update(s, NULL, "{}"), SYNC_ERR_INVALID_ARG);
  assert_int_equal(sync_record_finalize(s, "not-a-uuid"), SYNC_ERR_INVALID_ARG);
  sync_record_t *r = (sync_record_t *)s;
  assert_int_equal(sync_record_get(s, "00000000-0000-4000-8000-000000000000", &r), SYNC_ERR_NOT_FOUND);
  assert_null(r);
  sync_store_close(s);

  /* NULL handles are refused everywhere, never dereferenced. */
  assert_int_equal(sync_store_begin(NULL), SYNC_ERR_INVALID_ARG);
  assert_int_equal(sync_store_commit(NULL), SYNC_ERR_INVALID_ARG);
  assert_int_equal(sync_store_rollback(NULL), SYNC_ERR_INVALID_ARG);
  assert_int_equal(sync_store_set_language(NULL, "id"), SYNC_ERR_INVALID_ARG);
  assert_int_equal(sync_record_finalize(NULL, "x"), SYNC_ERR_INVALID_ARG);
  assert_int_equal(sync_form_add(NULL, "{}", 2, NULL, NULL), SYNC_ERR_INVALID_ARG);
  assert_int_equal(sync_store_issue_count(NULL), 0);
  assert_null(sync_store_issue_field(NULL, 0));
  sync_store_close(NULL);
  sync_free(NULL);
}

/* ---- durability settings ------------------------------------------------------------------ */

static void test_full_durability_is_wal_with_synchronous_full(void **state)
{
  fixture_t *f = *state;
  sync_store_t *s = open_store(f);
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(s->db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
  sqlite3_finalize(st);
  assert_int_equal(handle_sql(s, "PRAGMA synchronous"), 2); /* FULL */
  assert_int_equal(handle_sql(s, "PRAGMA foreign_keys"), 1);
  assert_int_equal(handle_sql(s, "PRAGMA secure_delete"), 1); /* freed bytes zeroed */
  assert_int_equal(handle_sql(s, "PRAGMA temp_store"), 2);    /* MEMORY: no temp files */
  assert_true(handle_sql(s, "PRAGMA busy_timeout") >= 1000);
  assert_true(handle_sql(s, "PRAGMA wal_autocheckpoint") > 0);
  sync_store_close(s);

  sync_store_opts_t o;
  test_opts(&o);
  o.durability = SYNC_DURABILITY_NORMAL;
  assert_int_equal(sync_store_open(f->path, &o, &s), SYNC_OK);
  assert_int_equal(handle_sql(s, "PRAGMA synchronous"), 1); /* NORMAL */
  sync_store_close(s);
}

/* ---- read-only handles -------------------------------------------------------------------- */

static void test_read_only_handle_reads_but_refuses_writes(void **state)
{
  fixture_t *f = *state;
  char uuid[SYNC_UUID_STRLEN + 1], draft[SYNC_UUID_STRLEN + 1];
  sync_store_t *rw = open_with_form(f);
  save(rw, "Siti", SYNC_STATUS_FINAL, uuid);
  save(rw, "Wayan", SYNC_STATUS_DRAFT, draft);
  char device[64];
  snprintf(device, sizeof device, "%s", sync_store_device_id(rw));
  sync_store_close(rw);

  sync_store_opts_t o;
  test_opts(&o);
  o.read_only = 1;
  sync_store_t *s = NULL;
  assert_int_equal(sync_store_open(f->path, &o, &s), SYNC_OK);
  assert_string_equal(sync_store_device_id(s), device);

  sync_record_t *r = NULL;
  assert_int_equal(sync_record_get(s, uuid, &r), SYNC_OK);
  assert_string_equal(sync_record_uuid(r), uuid);
  sync_record_free(r);
  sync_store_stats_t st;
  assert_int_equal(sync_store_stats(s, &st), SYNC_OK);
  assert_int_equal(st.finals, 1);

  assert_int_equal(sync_record_create(s, "visit", 0, "{\"name\":\"A\"}", SYNC_STATUS_DRAFT, NULL),
                   SYNC_ERR_READ_ONLY);
  assert_string_not_equal(sync_store_errmsg(s), "");
  assert_int_equal(sync_record_update(s, draft, "{\"name\":\"B\"}"), SYNC_ERR_READ_ONLY);
  assert_int_equal(sync_record_finalize(s, draft), SYNC_ERR_READ_ONLY);
  assert_int_equal(sync_record_revise(s, uuid, "{\"name\":\"C\"}"), SYNC_ERR_READ_ONLY);
  assert_int_equal(sync_record_delete(s, uuid), SYNC_ERR_READ_ONLY);
  assert_int_equal(sync_record_discard(s, draft), SYNC_ERR_READ_ONLY);
  assert_int_equal(sync_form_add(s, f->form, strlen(f->form), NULL, NULL), SYNC_ERR_READ_ONLY);
  assert_int_equal(sync_store_begin(s), SYNC_ERR_READ_ONLY);
  /* Evaluation writes nothing, so it works on a read-only handle. */
  char *out = NULL;
  assert_int_equal(sync_form_evaluate(s, "visit", 0, "{\"name\":\"A\"}", &out), SYNC_OK);
  sync_free(out);
  sync_store_close(s);
  assert_int_equal(raw_sql(f->path, "SELECT count(*) FROM records"), 2);
}

/* ---- batches ------------------------------------------------------------------------------ */

static void test_batch_commits_every_write_at_once(void **state)
{
  fixture_t *f = *state;
  sync_store_t *s = open_with_form(f);
  assert_int_equal(sync_store_begin(s), SYNC_OK);
  for (int i = 0; i < 50; i++)
    save(s, "Batch", SYNC_STATUS_FINAL, NULL);
  /* Another connection sees none of it before the commit. */
  assert_int_equal(raw_sql(f->path, "SELECT count(*) FROM records"), 0);
  assert_int_equal(sync_store_commit(s), SYNC_OK);
  assert_int_equal(raw_sql(f->path, "SELECT count(*) FROM records"), 50);
  assert_int_equal(raw_sql(f->path, "SELECT count(*) FROM outbox"), 50);
  sync_store_close(s);
}

static void test_batch_rollback_discards_every_write(void **state)
{
  fixture_t *f = *state;
  sync_store_t *s = open_with_form(f);
  save(s, "Before", SYNC_STATUS_FINAL, NULL);
  assert_int_equal(sync_store_begin(s), SYNC_OK);
  for (int i = 0; i < 10; i++)
    save(s, "Undone", SYNC_STATUS_FINAL, NULL);
  assert_int_equal(sync_store_rollback(s), SYNC_OK);
  sync_store_stats_t st;
  assert_int_equal(sync_store_stats(s, &st), SYNC_OK);
  assert_int_equal(st.finals, 1);
  assert_int_equal(st.outbox_pending, 1);
  sync_store_close(s);
}

static void test_batches_do_not_nest_and_must_be_open_to_end(void **state)
{
  fixture_t *f = *state;
  sync_store_t *s = open_store(f);
  assert_int_equal(sync_store_commit(s), SYNC_ERR_STATE);
  assert_int_equal(sync_store_rollback(s), SYNC_ERR_STATE);
  assert_int_equal(sync_store_begin(s), SYNC_OK);
  assert_int_equal(sync_store_begin(s), SYNC_ERR_STATE);
  assert_int_equal(sync_store_commit(s), SYNC_OK);
  /* Closing with a batch open rolls it back. */
  assert_int_equal(sync_form_add(s, f->form, strlen(f->form), NULL, NULL), SYNC_OK);
  assert_int_equal(sync_store_begin(s), SYNC_OK);
  save(s, "Lost", SYNC_STATUS_FINAL, NULL);
  sync_store_close(s);
  assert_int_equal(raw_sql(f->path, "SELECT count(*) FROM records"), 0);
}

/* Writes that fail half-way inside a batch: a new record failing at its revision row (after its
 * records row) or at its outbox entry (after both), and a finalize failing at its revision row
 * (after updating the records row). Failures are injected with triggers that a switch table arms
 * (answers are encrypted, so a trigger cannot look at them); the switch is set through the handle's
 * own connection, inside its batch. */
static void inject(sync_store_t *s, const char *where)
{
  char sql[96];
  snprintf(sql, sizeof sql, "UPDATE inject SET target = '%s'", where);
  handle_sql(s, sql);
}

static void test_failing_write_inside_batch_leaves_no_trace(void **state)
{
  fixture_t *f = *state;
  sync_store_close(open_with_form(f));
  raw_sql(f->path, "CREATE TABLE inject(target TEXT)");
  raw_sql(f->path, "INSERT INTO inject VALUES('')");
  raw_sql(f->path, "CREATE TRIGGER fail_rev BEFORE INSERT ON record_revisions "
                   "WHEN (SELECT target FROM inject) = 'revision' "
                   "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  raw_sql(f->path, "CREATE TRIGGER fail_outbox BEFORE INSERT ON outbox "
                   "WHEN (SELECT target FROM inject) = 'outbox' "
                   "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  sync_store_t *s = open_store(f);
  char a[SYNC_UUID_STRLEN + 1], b[SYNC_UUID_STRLEN + 1], boom[SYNC_UUID_STRLEN + 1] = "x";
  char draft[SYNC_UUID_STRLEN + 1];
  save(s, "Boom", SYNC_STATUS_DRAFT, draft);

  assert_int_equal(sync_store_begin(s), SYNC_OK);
  save(s, "Ani", SYNC_STATUS_FINAL, a);
  inject(s, "revision");
  sync_err_t err = sync_record_create(s, "visit", 0, "{\"name\":\"Boom\"}", SYNC_STATUS_FINAL, boom);
  assert_int_equal(err, SYNC_ERR_DB);
  assert_string_equal(boom, "");
  assert_non_null(strstr(sync_store_errmsg(s), "injected failure"));
  assert_int_equal(sync_record_finalize(s, draft), SYNC_ERR_DB);
  inject(s, "outbox");
  assert_int_equal(sync_record_create(s, "visit", 0, "{\"name\":\"Bang\"}", SYNC_STATUS_FINAL, NULL), SYNC_ERR_DB);
  inject(s, "");
  save(s, "Budi", SYNC_STATUS_FINAL, b); /* the batch goes on */
  assert_int_equal(sync_store_commit(s), SYNC_OK);

  assert_int_equal(raw_sql(f->path, "SELECT count(*) FROM records"), 3);
  assert_int_equal(raw_sql(f->path, "SELECT count(*) FROM records WHERE status = 'draft' AND revision = 1"), 1);
  assert_int_equal(raw_sql(f->path, "SELECT count(*) FROM record_revisions"), 2);
  assert_int_equal(raw_sql(f->path, "SELECT count(*) FROM outbox"), 2);
  sync_record_t *r = NULL;
  assert_int_equal(sync_record_get(s, a, &r), SYNC_OK);
  sync_record_free(r);
  assert_int_equal(sync_record_get(s, b, &r), SYNC_OK);
  sync_record_free(r);
  assert_int_equal(sync_record_get(s, draft, &r), SYNC_OK);
  assert_int_equal(sync_record_status(r), SYNC_STATUS_DRAFT);
  assert_non_null(strstr(sync_record_payload(r), "Boom"));
  sync_record_free(r);

  /* The same failures outside a batch roll back their own transaction. */
  inject(s, "revision");
  err = sync_record_create(s, "visit", 0, "{\"name\":\"Boom\"}", SYNC_STATUS_FINAL, NULL);
  assert_int_equal(err, SYNC_ERR_DB);
  inject(s, "outbox");
  assert_int_equal(sync_record_create(s, "visit", 0, "{\"name\":\"Bang\"}", SYNC_STATUS_FINAL, NULL), SYNC_ERR_DB);
  assert_int_equal(raw_sql(f->path, "SELECT count(*) FROM records"), 3);
  inject(s, "");
  save(s, "Citra", SYNC_STATUS_FINAL, NULL);
  assert_int_equal(raw_sql(f->path, "SELECT count(*) FROM records"), 4);
  assert_int_equal(raw_sql(f->path, "SELECT count(*) FROM outbox"), 3);
  sync_store_close(s);
}

static void test_failed_validation_inside_batch_keeps_the_batch(void **state)
{
  fixture_t *f = *state;
  sync_store_t *s = open_with_form(f);
  assert_int_equal(sync_store_begin(s), SYNC_OK);
  save(s, "Dewi", SYNC_STATUS_FINAL, NULL);
  assert_int_equal(sync_record_create(s, "visit", 0, "{\"age\":\"old\"}", SYNC_STATUS_FINAL, NULL),
                   SYNC_ERR_VALIDATION);
  save(s, "Eka", SYNC_STATUS_FINAL, NULL);
  assert_int_equal(sync_store_commit(s), SYNC_OK);
  assert_int_equal(raw_sql(f->path, "SELECT count(*) FROM records"), 2);
  sync_store_close(s);
}

static void test_writer_waits_then_reports_busy(void **state)
{
  fixture_t *f = *state;
  sync_store_t *a = open_with_form(f), *b = NULL;
  sync_store_opts_t o;
  test_opts(&o);
  o.busy_timeout_ms = 50;
  assert_int_equal(sync_store_open(f->path, &o, &b), SYNC_OK);
  save(a, "Before", SYNC_STATUS_FINAL, NULL);
  assert_int_equal(sync_store_begin(a), SYNC_OK); /* a holds the write lock */
  save(a, "Held", SYNC_STATUS_FINAL, NULL);
  assert_int_equal(sync_record_create(b, "visit", 0, "{\"name\":\"Blocked\"}", SYNC_STATUS_FINAL, NULL),
                   SYNC_ERR_BUSY);
  assert_non_null(strstr(sync_store_errmsg(b), "locked"));
  /* Readers are not blocked by a writer (WAL). */
  sync_store_stats_t st;
  assert_int_equal(sync_store_stats(b, &st), SYNC_OK);
  assert_int_equal(st.finals, 1);
  assert_int_equal(sync_store_commit(a), SYNC_OK);
  save(b, "After", SYNC_STATUS_FINAL, NULL);
  assert_int_equal(sync_store_stats(b, &st), SYNC_OK);
  assert_int_equal(st.finals, 3);
  sync_store_close(a);
  sync_store_close(b);
}

/* ---- stats, clock, two handles ------------------------------------------------------------ */

static void test_stats_count_forms_records_and_outbox(void **state)
{
  fixture_t *f = *state;
  sync_store_t *s = open_store(f);
  sync_store_stats_t st;
  assert_int_equal(sync_store_stats(s, &st), SYNC_OK);
  assert_int_equal(st.forms, 0);
  assert_int_equal(st.drafts + st.finals + st.deleted + st.outbox_pending + st.outbox_acked, 0);
  assert_int_equal(st.conflicts, 0);
  assert_int_equal(st.last_sync_ms, 0);

  assert_int_equal(sync_form_add(s, f->form, strlen(f->form), NULL, NULL), SYNC_OK);
  char d1[SYNC_UUID_STRLEN + 1], f1[SYNC_UUID_STRLEN + 1];
  save(s, "A", SYNC_STATUS_DRAFT, d1);
  save(s, "B", SYNC_STATUS_DRAFT, NULL);
  save(s, "C", SYNC_STATUS_FINAL, f1);
  save(s, "D", SYNC_STATUS_FINAL, NULL);
  save(s, "E", SYNC_STATUS_FINAL, NULL);
  assert_int_equal(sync_record_finalize(s, d1), SYNC_OK);
  assert_int_equal(sync_record_delete(s, f1), SYNC_OK);

  assert_int_equal(sync_store_stats(s, &st), SYNC_OK);
  assert_int_equal(st.forms, 1);
  assert_int_equal(st.drafts, 1);
  assert_int_equal(st.finals, 3);
  assert_int_equal(st.deleted, 1);
  assert_int_equal(st.outbox_pending, 5); /* 3 created final + 1 finalized + 1 tombstone */
  assert_int_equal(st.outbox_acked, 0);
  sync_store_close(s);

  raw_sql(f->path, "UPDATE outbox SET acked_at = 1 WHERE seq <= 2");
  raw_sql(f->path, "INSERT INTO sync_state(key, value) VALUES('last_sync_ms', 1732512345678)");
  s = open_store(f);
  assert_int_equal(sync_store_stats(s, &st), SYNC_OK);
  assert_int_equal(st.outbox_pending, 3);
  assert_int_equal(st.outbox_acked, 2);
  assert_int_equal(st.last_sync_ms, 1732512345678LL);
  sync_store_close(s);
}

static void test_clock_never_goes_back_across_reopen(void **state)
{
  fixture_t *f = *state;
  char uuid[SYNC_UUID_STRLEN + 1];
  sync_store_close(open_with_form(f));
  /* A previous session ran with the wall clock years ahead (2030). */
  raw_sql(f->path, "UPDATE meta SET value = '001900000000000-00007' WHERE key = 'hlc'");
  raw_sql(f->path, "INSERT OR IGNORE INTO meta(key, value) VALUES('hlc', '001900000000000-00007')");
  sync_store_t *s = open_store(f);
  save(s, "After", SYNC_STATUS_FINAL, uuid);
  sync_record_t *r = NULL;
  assert_int_equal(sync_record_get(s, uuid, &r), SYNC_OK);
  char expect_prefix[] = "001900000000000-00008-";
  assert_memory_equal(sync_record_hlc(r), expect_prefix, strlen(expect_prefix));
  assert_string_equal(sync_record_hlc(r) + strlen(expect_prefix), sync_store_device_id(s));
  sync_record_free(r);
  sync_store_close(s);
}

static void test_two_handles_on_one_file_share_the_clock(void **state)
{
  fixture_t *f = *state;
  sync_store_t *a = open_with_form(f), *b = open_store(f);
  for (int i = 0; i < 20; i++) {
    save(i % 2 ? a : b, "Turn", SYNC_STATUS_FINAL, NULL);
  }
  /* Every write got a distinct timestamp, in write order (rowid order). */
  assert_int_equal(raw_sql(f->path, "SELECT count(DISTINCT hlc) FROM records"), 20);
  assert_int_equal(raw_sql(f->path, "SELECT count(*) FROM records r1 JOIN records r2 "
                                    "ON r1.rowid < r2.rowid AND r1.hlc >= r2.hlc"), 0);
  sync_store_close(a);
  sync_store_close(b);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_open_creates_a_store_and_reopens_it, setup, teardown),
    cmocka_unit_test_setup_teardown(test_device_ids_differ_between_stores, setup, teardown),
    cmocka_unit_test_setup_teardown(test_missing_file_without_create_is_not_found, setup, teardown),
    cmocka_unit_test_setup_teardown(test_newer_schema_is_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_file_that_is_not_sqlite_is_refused_as_corrupt, setup, teardown),
    cmocka_unit_test_setup_teardown(test_sqlite_database_of_another_program_is_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_invalid_arguments_are_rejected, setup, teardown),
    cmocka_unit_test_setup_teardown(test_full_durability_is_wal_with_synchronous_full, setup, teardown),
    cmocka_unit_test_setup_teardown(test_read_only_handle_reads_but_refuses_writes, setup, teardown),
    cmocka_unit_test_setup_teardown(test_batch_commits_every_write_at_once, setup, teardown),
    cmocka_unit_test_setup_teardown(test_batch_rollback_discards_every_write, setup, teardown),
    cmocka_unit_test_setup_teardown(test_batches_do_not_nest_and_must_be_open_to_end, setup, teardown),
    cmocka_unit_test_setup_teardown(test_failing_write_inside_batch_leaves_no_trace, setup, teardown),
    cmocka_unit_test_setup_teardown(test_failed_validation_inside_batch_keeps_the_batch, setup, teardown),
    cmocka_unit_test_setup_teardown(test_writer_waits_then_reports_busy, setup, teardown),
    cmocka_unit_test_setup_teardown(test_stats_count_forms_records_and_outbox, setup, teardown),
    cmocka_unit_test_setup_teardown(test_clock_never_goes_back_across_reopen, setup, teardown),
    cmocka_unit_test_setup_teardown(test_two_handles_on_one_file_share_the_clock, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
