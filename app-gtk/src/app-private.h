/* app-private.h: what app.c (application, actions, forms, settings) and app-store.c (unlocking,
 * locking, wiping, enrolling) share. */
#pragma once

#include "app.h"

G_BEGIN_DECLS

struct _FaApp
{
  AdwApplication parent_instance;

  char *config_dir_option;
  char *store_option;
  char *language;

  FaSettings *settings;
  char *store_path;           /* the file in use (from the settings) */

  /* while unlocked */
  sync_store_t *store;        /* main thread's handle */
  FaStoreReader *reader;      /* the records list's read-only handle */
  char *passphrase;           /* guarded copy (secret.h): the engine and the jobs open handles */
  char *enrollment_json;      /* sync_store_enrollment, NULL when not enrolled */

  char *default_form_id;
  GHashTable *forms;          /* "id:version" -> FaForm* */
  GPtrArray *retired_forms;   /* FaForm* read before the last pull, kept until the store closes */
  FaSyncController *sync;
  sync_state_t last_state;
  gint64 last_pending;
};

enum { FA_APP_RECORDS_CHANGED, FA_APP_LOCKING, FA_APP_LOCK_CHANGED, FA_APP_N_SIGNALS };
extern guint _fa_app_signals[FA_APP_N_SIGNALS];

/* app.c: adds the reference form shipped in the resources and picks the default form. */
void _fa_app_add_bundled_forms (FaApp *self);
/* app-store.c: reads the enrollment again and (re)starts the engine, or stops it when the store
 * is not enrolled. */
gboolean _fa_app_restart_sync (FaApp *self, GError **error);
/* app-store.c: lock without telling anyone (shutdown, wipe). */
void _fa_app_close_store (FaApp *self);

G_END_DECLS
