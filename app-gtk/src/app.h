/* app: the FaApp application (AdwApplication). Owns the settings, the main thread's store handle,
 * the sync controller and the cache of parsed forms; defines the app.* actions and the keyboard
 * accelerators of every action.
 *
 * Options (also for tests, which run isolated): --config-dir DIR, --store FILE; or the
 * environment variables LIBSYNC_APP_CONFIG_DIR and LIBSYNC_APP_STORE.
 */
#pragma once

#include <adwaita.h>
#include <sync/sync.h>

#include "form-def.h"
#include "settings.h"
#include "sync-controller.h"

G_BEGIN_DECLS

#define FA_TYPE_APP (fa_app_get_type ())
G_DECLARE_FINAL_TYPE (FaApp, fa_app, FA, APP, AdwApplication)

FaApp *fa_app_new (void);

/* The app's language for forms and library messages: "id" or "en", from the message catalogue
 * gettext chose for the locale. */
const char *fa_app_get_language (FaApp *self);

FaSettings *fa_app_get_settings (FaApp *self);

/* The main thread's store handle (NULL before the first-run page is done or when the store could
 * not be opened: fa_app_get_store_error says why). */
sync_store_t *fa_app_get_store (FaApp *self);
const char *fa_app_get_store_error (FaApp *self);
const char *fa_app_get_store_path (FaApp *self);

FaSyncController *fa_app_get_sync (FaApp *self);

/* The parsed form (version 0: newest), cached for the life of the store handle. */
const FaForm *fa_app_get_form (FaApp *self, const char *form_id, int version, GError **error);

/* The form a new record uses: the newest version of the reference form if stored, else of the
 * first stored form. NULL if the store has none. */
const char *fa_app_get_default_form_id (FaApp *self);

/* Saves the settings, (re)opens the store and restarts sync with them. */
gboolean fa_app_apply_settings (FaApp *self, GError **error);

/* Records were written (by the UI or by sync): lists should reload. Emits "records-changed". */
void fa_app_notify_records_changed (FaApp *self);

/* Remembers (or, with NULL, forgets) the draft open in the form for "continue after restart". */
void fa_app_set_open_draft (FaApp *self, const char *uuid);

G_END_DECLS
