/* settings: the app's configuration, a GKeyFile at <config dir>/settings.ini.
 *
 * The config dir is $XDG_CONFIG_HOME/libsync-app unless --config-dir or $LIBSYNC_APP_CONFIG_DIR
 * says otherwise; the store path comes from the file (default $XDG_DATA_HOME/libsync-app/
 * records.db) unless --store or $LIBSYNC_APP_STORE overrides it, so tests run isolated.
 *
 * No secret is kept here: the device credential lives in the encrypted store (sync_enroll). A
 * device id or secret left by an older version is deleted from the file when it is loaded. The
 * file is mode 0600 in a 0700 directory. Main thread only.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char *config_dir;
  char *file;
  char *store_override;     /* set by --store / $LIBSYNC_APP_STORE; wins over store_path */

  char *server_url;         /* the address last used to enrol (the engine uses the enrolled one) */
  char *ca_file;            /* optional PEM bundle to trust instead of the system's */
  char *pinned_key;         /* optional "sha256//<base64>[;...]" pin of the server's public key */
  char *officer_name;
  char *officer_unit;
  char *store_path;         /* as configured (may be NULL: default) */

  char *open_draft;         /* uuid of the draft open in the form, for "continue after a crash" */
  gboolean setup_done;      /* the first-run page was completed once */
} FaSettings;

FaSettings *fa_settings_load (const char *config_dir_override, const char *store_override);
void fa_settings_free (FaSettings *settings);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FaSettings, fa_settings_free)

gboolean fa_settings_save (FaSettings *settings, GError **error);


/* The store file in use (override, configured or default); never NULL. Caller frees. */
char *fa_settings_effective_store_path (const FaSettings *settings);

/* TRUE when `pin` is one or more "sha256//<base64 of 32 bytes>" separated by ';' (libcurl's
 * CURLOPT_PINNEDPUBLICKEY form; anything else libcurl would read as a file name). */
gboolean fa_settings_pin_valid (const char *pin);

/* Replaces a string member (NULL or "" clears it). */
void fa_settings_set (char **member, const char *value);

G_END_DECLS
