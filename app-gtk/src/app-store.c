/* app-store: unlocking, locking, wiping and enrolling the store (see app.h). Everything that
 * derives a key (Argon2id: a tenth of a second to half a second) or talks to the server runs on a
 * worker thread with its own store handle; the results are installed on the main thread. */
#include "app-private.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "secret.h"

G_DEFINE_QUARK (fa-sync-error-quark, fa_sync_error)

/* Test suites set LIBSYNC_APP_KDF=test: libsync's minimum cost, no real protection. */
static sync_kdf_strength_t
kdf_strength (void)
{
  return g_strcmp0 (g_getenv ("LIBSYNC_APP_KDF"), "test") == 0 ? SYNC_KDF_TEST : SYNC_KDF_INTERACTIVE;
}

/* One background job: what it needs and what it returns to the main thread. */
typedef struct {
  char *path;
  char *passphrase;           /* guarded */
  char *new_passphrase;       /* guarded; change-passphrase */
  char *server_url;           /* enroll */
  char *code;                 /* enroll; guarded */
  char *ca_file;
  char *pinned_key;
  char *language;
  sync_kdf_strength_t kdf;
  sync_store_t *store;        /* unlock: the handles opened */
  sync_store_t *reader;
} Job;

static void
job_free (gpointer data)
{
  Job *job = data;

  g_free (job->path);
  fa_secret_free (job->passphrase);
  fa_secret_free (job->new_passphrase);
  g_free (job->server_url);
  fa_secret_free (job->code);
  g_free (job->ca_file);
  g_free (job->pinned_key);
  g_free (job->language);
  sync_store_close (job->store);
  sync_store_close (job->reader);
  g_free (job);
}

static Job *
job_new (FaApp *self, const char *passphrase)
{
  Job *job = g_new0 (Job, 1);

  job->path = g_strdup (self->store_path);
  job->passphrase = fa_secret_dup (passphrase);
  job->language = g_strdup (self->language);
  job->ca_file = g_strdup (self->settings->ca_file);
  job->pinned_key = g_strdup (self->settings->pinned_key);
  job->kdf = kdf_strength ();
  return job;
}

static void
return_sync_error (GTask *task, sync_err_t err, const char *message)
{
  g_task_return_new_error (task, FA_SYNC_ERROR, (gint) err, "%s", message);
}

static sync_err_t
open_handle (Job *job, int create, int read_only, sync_store_t **out)
{
  sync_store_opts_t opts;

  sync_store_opts_init (&opts);
  opts.create = create;
  opts.read_only = read_only;
  opts.language = job->language;
  opts.passphrase = job->passphrase;
  opts.kdf = job->kdf;
  return sync_store_open (job->path, &opts, out);
}

/* The words for a failed open: the unlock page shows "wrong passphrase" itself. */
static char *
open_error_message (const char *path, sync_err_t err)
{
  if (err == SYNC_ERR_PASSPHRASE)
    return g_strdup (_("Wrong passphrase"));
  if (err == SYNC_ERR_INVALID_ARG)
    return g_strdup_printf (_("The passphrase must have at least %d characters."), SYNC_PASSPHRASE_MIN);
  /* Translators: %s the file, %s the reason */
  return g_strdup_printf (_("Cannot open the record store %s: %s"), path, sync_strerror (err));
}

/* Runs `thread` on a worker with `job`; `done` then runs on the main thread with the job and the
 * outcome before the caller's callback hears of it. */
typedef void (*JobDone) (FaApp *self, Job *job, GError **error);

typedef struct {
  GTask *outer;
  JobDone done;
} JobRun;

static void
job_finished (GObject *source, GAsyncResult *result, gpointer data)
{
  JobRun *run = data;
  FaApp *self = FA_APP (source);
  GError *error = NULL;

  if (g_task_propagate_boolean (G_TASK (result), &error) && run->done != NULL)
    run->done (self, g_task_get_task_data (G_TASK (result)), &error);
  if (error != NULL)
    g_task_return_error (run->outer, error);
  else
    g_task_return_boolean (run->outer, TRUE);
  g_object_unref (run->outer);
  g_free (run);
}

static void
run_job (FaApp *self, Job *job, GTaskThreadFunc thread, JobDone done, gpointer source_tag,
         GAsyncReadyCallback callback, gpointer user_data)
{
  JobRun *run = g_new0 (JobRun, 1);
  g_autoptr (GTask) inner = NULL;

  run->outer = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (run->outer, source_tag);
  run->done = done;
  inner = g_task_new (self, NULL, job_finished, run);
  g_task_set_task_data (inner, job, job_free);
  g_task_run_in_thread (inner, thread);
}

/* ---- unlocking ----------------------------------------------------------------------------- */

/* Stores of schema 2 and older are in clear; opening one with a passphrase encrypts it in place
 * with that passphrase (proto/SECURITY.md 5). */
#define FIRST_ENCRYPTED_SCHEMA 3

FaStoreState
fa_app_get_store_state (FaApp *self)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  int version = FIRST_ENCRYPTED_SCHEMA;

  if (!g_file_test (self->store_path, G_FILE_TEST_EXISTS))
    return FA_STORE_NEW;
  /* only the schema number, read as SQLite sees it; anything unreadable is left to the open */
  if (sqlite3_open_v2 (self->store_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK
      && sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK
      && sqlite3_step (st) == SQLITE_ROW)
    version = sqlite3_column_int (st, 0);
  sqlite3_finalize (st);
  sqlite3_close (db);
  return version < FIRST_ENCRYPTED_SCHEMA ? FA_STORE_PLAIN : FA_STORE_ENCRYPTED;
}

gboolean
fa_app_is_unlocked (FaApp *self)
{
  return self->store != NULL;
}

static void
unlock_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Job *job = data;
  g_autofree char *dir = g_path_get_dirname (job->path);
  g_autofree char *message = NULL;
  sync_err_t err;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      message = g_strdup_printf (_("Cannot create the folder %s: %s"), dir, g_strerror (errno));
      return_sync_error (task, SYNC_ERR_IO, message);
      return;
    }
  err = open_handle (job, 1, 0, &job->store);
  if (err == SYNC_OK)
    err = open_handle (job, 0, 1, &job->reader);
  if (err != SYNC_OK)
    {
      message = open_error_message (job->path, err);
      return_sync_error (task, err, message);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
unlock_done (FaApp *self, Job *job, GError **error)
{
  g_autoptr (GError) sync_error = NULL;

  self->store = g_steal_pointer (&job->store);
  self->reader = fa_store_reader_new (g_steal_pointer (&job->reader));
  self->passphrase = g_steal_pointer (&job->passphrase);
  _fa_app_add_bundled_forms (self);
  if (!_fa_app_restart_sync (self, &sync_error))
    g_warning ("sync is not running: %s", sync_error->message);
  g_signal_emit (self, _fa_app_signals[FA_APP_LOCK_CHANGED], 0);
  fa_app_notify_records_changed (self);
}

void
fa_app_unlock_async (FaApp *self, const char *passphrase, GAsyncReadyCallback callback,
                     gpointer user_data)
{
  g_return_if_fail (!fa_app_is_unlocked (self));
  run_job (self, job_new (self, passphrase), unlock_thread, unlock_done, fa_app_unlock_async,
           callback, user_data);
}

gboolean
fa_app_unlock_finish (FaApp *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- locking and wiping -------------------------------------------------------------------- */

void
_fa_app_close_store (FaApp *self)
{
  if (fa_app_is_unlocked (self))
    g_signal_emit (self, _fa_app_signals[FA_APP_LOCKING], 0);
  fa_sync_controller_shutdown (self->sync);
  g_hash_table_remove_all (self->forms);
  g_ptr_array_set_size (self->retired_forms, 0);
  g_clear_pointer (&self->default_form_id, g_free);
  g_clear_pointer (&self->store, sync_store_close);
  if (self->reader != NULL)
    {
      fa_store_reader_close (self->reader);   /* waits for a list load in flight */
      g_clear_pointer (&self->reader, fa_store_reader_unref);
    }
  g_clear_pointer (&self->passphrase, fa_secret_free);
  g_clear_pointer (&self->enrollment_json, g_free);
}

void
fa_app_lock (FaApp *self)
{
  if (!fa_app_is_unlocked (self))
    return;
  _fa_app_close_store (self);
  g_signal_emit (self, _fa_app_signals[FA_APP_LOCK_CHANGED], 0);
}

gboolean
fa_app_wipe (FaApp *self, GError **error)
{
  sync_err_t err;

  _fa_app_close_store (self);
  fa_app_set_open_draft (self, NULL);
  err = sync_store_wipe (self->store_path);
  g_signal_emit (self, _fa_app_signals[FA_APP_LOCK_CHANGED], 0);
  if (err != SYNC_OK)
    {
      g_set_error (error, FA_SYNC_ERROR, (gint) err, _("The record store could not be wiped: %s"),
                   sync_strerror (err));
      return FALSE;
    }
  return TRUE;
}

/* ---- enrollment ---------------------------------------------------------------------------- */

const char *
fa_app_get_enrollment_json (FaApp *self)
{
  return self->enrollment_json;
}

gboolean
_fa_app_restart_sync (FaApp *self, GError **error)
{
  char *json = NULL;
  cJSON *enrollment;
  FaSyncSetup setup = { 0 };
  gboolean ok;

  g_clear_pointer (&self->enrollment_json, g_free);
  if (self->store == NULL || sync_store_enrollment (self->store, &json) != SYNC_OK)
    {
      fa_sync_controller_shutdown (self->sync);   /* not enrolled: nothing to sync with */
      return TRUE;
    }
  self->enrollment_json = g_strdup (json);
  sync_free (json);
  enrollment = cJSON_Parse (self->enrollment_json);
  setup.store_path = self->store_path;
  setup.passphrase = self->passphrase;
  setup.server_url = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (enrollment, "server_url"));
  setup.ca_file = self->settings->ca_file;
  setup.pinned_key = self->settings->pinned_key;
  setup.language = self->language;
  ok = fa_sync_controller_configure (self->sync, &setup, error);
  cJSON_Delete (enrollment);
  return ok;
}

static void
enroll_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Job *job = data;
  sync_enroll_config_t config;
  sync_store_t *store = NULL;
  char errbuf[256] = "";
  g_autofree char *message = NULL;
  sync_err_t err;

  err = open_handle (job, 0, 0, &store);
  if (err != SYNC_OK)
    {
      message = open_error_message (job->path, err);
      return_sync_error (task, err, message);
      return;
    }
  sync_enroll_config_init (&config);
  config.server_url = job->server_url;
  config.code = job->code;
  config.ca_file = job->ca_file;
  config.pinned_pubkey = job->pinned_key;
  config.allow_plain_http_loopback = 1;
  config.language = job->language;
  err = sync_enroll (store, &config, errbuf, sizeof errbuf);
  sync_store_close (store);
  if (err != SYNC_OK)
    {
      return_sync_error (task, err, errbuf[0] ? errbuf : sync_strerror (err));
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
enroll_done (FaApp *self, Job *job, GError **error)
{
  if (!fa_app_is_unlocked (self))
    return;   /* locked meanwhile: the next unlock starts sync with the new credential */
  _fa_app_restart_sync (self, error);
}

void
fa_app_enroll_async (FaApp *self, const char *server_url, const char *code,
                     GAsyncReadyCallback callback, gpointer user_data)
{
  Job *job;

  g_return_if_fail (fa_app_is_unlocked (self));
  job = job_new (self, self->passphrase);
  job->server_url = g_strdup (server_url);
  job->code = fa_secret_dup (code);
  run_job (self, job, enroll_thread, enroll_done, fa_app_enroll_async, callback, user_data);
}

gboolean
fa_app_enroll_finish (FaApp *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- changing the passphrase --------------------------------------------------------------- */

static void
change_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Job *job = data;
  sync_store_t *store = NULL;
  g_autofree char *message = NULL;
  sync_err_t err;

  /* opening with the old passphrase is what checks it */
  err = open_handle (job, 0, 0, &store);
  if (err == SYNC_OK)
    err = sync_store_change_passphrase (store, job->passphrase, job->new_passphrase, job->kdf);
  sync_store_close (store);
  if (err == SYNC_ERR_PASSPHRASE)
    message = g_strdup (_("The current passphrase is wrong."));
  else if (err == SYNC_ERR_INVALID_ARG)
    message = g_strdup_printf (_("The new passphrase must have at least %d characters."), SYNC_PASSPHRASE_MIN);
  else if (err != SYNC_OK)
    message = open_error_message (job->path, err);
  if (message != NULL)
    return_sync_error (task, err, message);
  else
    g_task_return_boolean (task, TRUE);
}

static void
change_done (FaApp *self, Job *job, GError **error)
{
  if (!fa_app_is_unlocked (self))
    return;
  /* the engine opened its handle with the old passphrase: give it the new one */
  fa_secret_free (self->passphrase);
  self->passphrase = g_steal_pointer (&job->new_passphrase);
  _fa_app_restart_sync (self, error);
}

void
fa_app_change_passphrase_async (FaApp *self, const char *old_passphrase, const char *new_passphrase,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  Job *job;

  g_return_if_fail (fa_app_is_unlocked (self));
  job = job_new (self, old_passphrase);
  job->new_passphrase = fa_secret_dup (new_passphrase);
  run_job (self, job, change_thread, change_done, fa_app_change_passphrase_async, callback, user_data);
}

gboolean
fa_app_change_passphrase_finish (FaApp *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
