/* app: the FaApp application (AdwApplication). Owns the settings, the store while it is unlocked
 * (the main thread's handle, the records list's read-only handle, the passphrase the engine and
 * background jobs need), the sync controller and the cache of parsed forms; defines the app.*
 * actions and the keyboard accelerators of every action.
 *
 * Locking: the app starts locked. fa_app_unlock_async() opens (or creates) the store with the
 * officer's passphrase; fa_app_lock() closes everything and wipes the passphrase; both emit
 * "lock-changed". Just before the store closes, "locking" gives the pages a last moment with it
 * (save a draft, drop what they show). The passphrase is kept, in guarded memory (secret.h),
 * only while unlocked.
 *
 * Options (also for tests, which run isolated): --config-dir DIR, --store FILE; or the
 * environment variables LIBSYNC_APP_CONFIG_DIR and LIBSYNC_APP_STORE. LIBSYNC_APP_KDF=test
 * creates stores (and changes passphrases) with libsync's test-only key derivation cost: for
 * test suites only, it gives no real protection.
 */
#pragma once

#include <adwaita.h>
#include <sync/sync.h>

#include "form-def.h"
#include "settings.h"
#include "store-reader.h"
#include "sync-controller.h"

G_BEGIN_DECLS

#define FA_TYPE_APP (fa_app_get_type ())
G_DECLARE_FINAL_TYPE (FaApp, fa_app, FA, APP, AdwApplication)

/* GError domain whose codes are sync_err_t values (SYNC_ERR_PASSPHRASE, SYNC_ERR_AUTH, ...). */
#define FA_SYNC_ERROR (fa_sync_error_quark ())
GQuark fa_sync_error_quark (void);

FaApp *fa_app_new (void);

/* The app's language for forms and library messages: "id" or "en", from the message catalogue
 * gettext chose for the locale. */
const char *fa_app_get_language (FaApp *self);

FaSettings *fa_app_get_settings (FaApp *self);

/* The main thread's store handle; NULL while locked. */
sync_store_t *fa_app_get_store (FaApp *self);
/* The read-only handle of the records list (records-loader); NULL while locked. */
FaStoreReader *fa_app_get_reader (FaApp *self);
/* The store file in use (from the settings); never NULL. */
const char *fa_app_get_store_path (FaApp *self);

FaSyncController *fa_app_get_sync (FaApp *self);

/* ---- locking (app-store.c) ---- */

typedef enum {
  FA_STORE_NEW,         /* no store yet: the passphrase is created */
  FA_STORE_PLAIN,       /* written by a version without encryption: the first passphrase given
                         * encrypts it (so it is created, typed twice, too) */
  FA_STORE_ENCRYPTED    /* the passphrase is asked for */
} FaStoreState;

/* What the unlock page asks for. */
FaStoreState fa_app_get_store_state (FaApp *self);
gboolean fa_app_is_unlocked (FaApp *self);
/* Opens the store with `passphrase` on a worker thread (creating it, with the passphrase, when
 * the file does not exist), then starts sync. Errors: FA_SYNC_ERROR / SYNC_ERR_PASSPHRASE for a
 * wrong passphrase, SYNC_ERR_INVALID_ARG for one too short to create a store, others. */
void fa_app_unlock_async (FaApp *self, const char *passphrase, GAsyncReadyCallback callback,
                          gpointer user_data);
gboolean fa_app_unlock_finish (FaApp *self, GAsyncResult *result, GError **error);
/* Stops sync, closes the store handles and wipes the passphrase. */
void fa_app_lock (FaApp *self);
/* Emergency wipe: locks, then destroys the store's key and files (sync_store_wipe). */
gboolean fa_app_wipe (FaApp *self, GError **error);

/* The store's enrollment (sync_store_enrollment), parsed; NULL when not enrolled or locked. */
const char *fa_app_get_enrollment_json (FaApp *self);
/* Enrolls this device with a one-time code on a worker thread, then restarts sync. */
void fa_app_enroll_async (FaApp *self, const char *server_url, const char *code,
                          GAsyncReadyCallback callback, gpointer user_data);
gboolean fa_app_enroll_finish (FaApp *self, GAsyncResult *result, GError **error);
/* Changes the store's passphrase on a worker thread (SYNC_ERR_PASSPHRASE: `old` is wrong). */
void fa_app_change_passphrase_async (FaApp *self, const char *old_passphrase,
                                     const char *new_passphrase, GAsyncReadyCallback callback,
                                     gpointer user_data);
gboolean fa_app_change_passphrase_finish (FaApp *self, GAsyncResult *result, GError **error);

/* ---- records and forms ---- */

/* The parsed form (version 0: newest), cached for the life of the store handle. */
const FaForm *fa_app_get_form (FaApp *self, const char *form_id, int version, GError **error);

/* The form a new record uses: the newest version of the reference form if stored, else of the
 * first stored form. NULL if the store has none. */
const char *fa_app_get_default_form_id (FaApp *self);

/* Saves the settings and restarts sync with them; a changed store file locks the app (the new
 * store needs its own passphrase). */
gboolean fa_app_apply_settings (FaApp *self, GError **error);

/* Records were written (by the UI or by sync): lists should reload. Emits "records-changed". */
void fa_app_notify_records_changed (FaApp *self);

/* Remembers (or, with NULL, forgets) the draft open in the form for "continue after restart". */
void fa_app_set_open_draft (FaApp *self, const char *uuid);

G_END_DECLS
