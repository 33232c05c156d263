/* app: see app.h. */
#include "app-private.h"

#include <glib/gi18n.h>
#include <string.h>

#include "window.h"

#define REFERENCE_FORM_ID "tppo_screening"
#define REFERENCE_FORM_RESOURCE "/id/libsync/FieldApp/forms/tppo_screening.v1.json"

G_DEFINE_FINAL_TYPE (FaApp, fa_app, ADW_TYPE_APPLICATION)

guint _fa_app_signals[FA_APP_N_SIGNALS];

static const GOptionEntry OPTIONS[] = {
  { "config-dir", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Folder of the settings file (default: ~/.config/libsync-app)"), N_("DIR") },
  { "store", 0, 0, G_OPTION_ARG_FILENAME, NULL, N_("Record store file to use"), N_("FILE") },
  { NULL, 0, 0, 0, NULL, NULL, NULL }
};

const char *
fa_app_get_language (FaApp *self)
{
  return self->language;
}

FaSettings *
fa_app_get_settings (FaApp *self)
{
  return self->settings;
}

sync_store_t *
fa_app_get_store (FaApp *self)
{
  return self->store;
}

FaStoreReader *
fa_app_get_reader (FaApp *self)
{
  return self->reader;
}

const char *
fa_app_get_store_path (FaApp *self)
{
  return self->store_path;
}

FaSyncController *
fa_app_get_sync (FaApp *self)
{
  return self->sync;
}

const char *
fa_app_get_default_form_id (FaApp *self)
{
  return self->default_form_id;
}

void
fa_app_notify_records_changed (FaApp *self)
{
  g_signal_emit (self, _fa_app_signals[FA_APP_RECORDS_CHANGED], 0);
}

void
fa_app_set_open_draft (FaApp *self, const char *uuid)
{
  g_autoptr (GError) error = NULL;

  if (g_strcmp0 (self->settings->open_draft, uuid) == 0)
    return;
  fa_settings_set (&self->settings->open_draft, uuid);
  if (!fa_settings_save (self->settings, &error))
    g_warning ("cannot save the settings: %s", error->message);
}

const FaForm *
fa_app_get_form (FaApp *self, const char *form_id, int version, GError **error)
{
  g_autofree char *key = g_strdup_printf ("%s:%d", form_id, version);
  FaForm *form = g_hash_table_lookup (self->forms, key);
  char *json = NULL;
  sync_err_t err;

  if (form != NULL)
    return form;
  if (self->store == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, _("The record store is not open."));
      return NULL;
    }
  err = sync_form_get_json (self->store, form_id, version, &json);
  if (err != SYNC_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("The form “%s” is not on this device."),
                   form_id);
      return NULL;
    }
  form = fa_form_new_from_json (json, self->language, error);
  sync_free (json);
  if (form == NULL)
    return NULL;
  g_hash_table_insert (self->forms, g_steal_pointer (&key), form);
  return form;
}

/* Adds the reference form shipped in the resources (a no-op when it is already stored). */
void
_fa_app_add_bundled_forms (FaApp *self)
{
  g_autoptr (GBytes) bytes = g_resources_lookup_data (REFERENCE_FORM_RESOURCE, 0, NULL);
  sync_form_list_t *list = NULL;
  gsize len = 0;
  const char *data;

  if (bytes != NULL)
    {
      data = g_bytes_get_data (bytes, &len);
      if (sync_form_add (self->store, data, len, NULL, NULL) != SYNC_OK)
        g_warning ("cannot add the reference form: %s", sync_store_errmsg (self->store));
    }
  g_clear_pointer (&self->default_form_id, g_free);
  if (sync_form_list (self->store, &list) == SYNC_OK)
    {
      for (size_t i = 0; i < sync_form_list_count (list); i++)
        if (strcmp (sync_form_list_id (list, i), REFERENCE_FORM_ID) == 0)
          self->default_form_id = g_strdup (REFERENCE_FORM_ID);
      if (self->default_form_id == NULL && sync_form_list_count (list) > 0)
        self->default_form_id = g_strdup (sync_form_list_id (list, 0));
      sync_form_list_free (list);
    }
}

gboolean
fa_app_apply_settings (FaApp *self, GError **error)
{
  g_autofree char *path = fa_settings_effective_store_path (self->settings);

  if (!fa_settings_save (self->settings, error))
    return FALSE;
  if (g_strcmp0 (path, self->store_path) != 0)
    {
      /* another store: it has its own passphrase */
      _fa_app_close_store (self);
      g_free (self->store_path);
      self->store_path = g_steal_pointer (&path);
      g_signal_emit (self, _fa_app_signals[FA_APP_LOCK_CHANGED], 0);
      return TRUE;
    }
  return _fa_app_restart_sync (self, error);
}

/* Forgets the parsed forms, so the next lookup reads the store again; the old ones stay alive
 * (an open page may use one) until the store closes. */
static void
forget_forms (FaApp *self)
{
  GHashTableIter it;
  gpointer key, value;

  g_hash_table_iter_init (&it, self->forms);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      g_ptr_array_add (self->retired_forms, value);
      g_hash_table_iter_steal (&it);
      g_free (key);
    }
}

/* Reload lists when a sync run acknowledged or pulled something. A pull may have brought a new
 * form version ("the newest" changes) or the server's definition of a version the device had
 * only bundled (same id and version, the server's content: sealed, its rules), so every form
 * is read again. */
static void
on_sync_status (FaSyncController *sync, FaApp *self)
{
  const sync_status_t *st = fa_sync_controller_get_status (sync);
  gboolean was_busy = self->last_state == SYNC_STATE_PUSHING || self->last_state == SYNC_STATE_PULLING
                      || self->last_state == SYNC_STATE_CONNECTING;
  gboolean busy = fa_sync_controller_is_busy (sync);

  if (was_busy && !busy && st->progress.pulled > 0)
    forget_forms (self);
  if ((was_busy && !busy) || (!busy && st->pending != self->last_pending))
    fa_app_notify_records_changed (self);
  self->last_state = st->state;
  self->last_pending = st->pending;
}

/* ---- actions ------------------------------------------------------------------------------ */

static void
app_quit (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FaApp *self = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (self));

  /* Closing each window saves any open draft first. */
  for (GList *l = windows; l != NULL;)
    {
      GList *next = l->next;
      gtk_window_close (GTK_WINDOW (l->data));
      l = next;
    }
}

static void
app_about (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FaApp *self = user_data;
  GtkWindow *win = gtk_application_get_active_window (GTK_APPLICATION (self));
  const char *developers[] = { "libsync contributors", NULL };
  g_autofree char *lib = g_strdup_printf ("libsync %s", sync_version ());

  adw_show_about_window (win,
                         "application-name", _("TPPO Screening"),
                         "application-icon", FA_APP_ID,
                         "version", FA_VERSION,
                         "developer-name", "libsync",
                         "developers", developers,
                         "comments", _("Offline-first screening of possible victims of human trafficking (TPPO)."),
                         "debug-info", lib,
                         "license-type", GTK_LICENSE_CUSTOM,
                         NULL);
}

static const GActionEntry APP_ACTIONS[] = {
  { "quit", app_quit, NULL, NULL, NULL, { 0 } },
  { "about", app_about, NULL, NULL, NULL, { 0 } },
};

static const struct {
  const char *action;
  const char *accels[3];
} ACCELS[] = {
  { "app.quit", { "<Control>q", NULL } },
  { "win.new-record", { "<Control>n", NULL } },
  { "win.sync-now", { "<Control>s", NULL } },
  { "win.search", { "<Control>f", NULL } },
  { "win.settings", { "<Control>comma", NULL } },
  { "win.lock", { "<Control>l", NULL } },
  { "win.show-records", { "<Control>w", "<Alt>Home", NULL } },
  { "win.previous-page", { "<Alt>Left", "<Control>Page_Up", NULL } },
  { "win.next-page", { "<Alt>Right", "<Control>Page_Down", NULL } },
  { "win.review", { "<Control>r", NULL } },
  { "win.finalize", { "<Control>Return", "<Control>KP_Enter", NULL } },
  { "win.show-help-overlay", { "<Control>question", "F1", NULL } },
};

/* ---- lifecycle ---------------------------------------------------------------------------- */

static gint
fa_app_handle_local_options (GApplication *app, GVariantDict *options)
{
  FaApp *self = FA_APP (app);

  g_variant_dict_lookup (options, "config-dir", "^ay", &self->config_dir_option);
  g_variant_dict_lookup (options, "store", "^ay", &self->store_option);
  return -1;
}

static void
fa_app_startup (GApplication *app)
{
  FaApp *self = FA_APP (app);

  G_APPLICATION_CLASS (fa_app_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), APP_ACTIONS, G_N_ELEMENTS (APP_ACTIONS), self);
  for (gsize i = 0; i < G_N_ELEMENTS (ACCELS); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), ACCELS[i].action, ACCELS[i].accels);

  self->settings = fa_settings_load (self->config_dir_option, self->store_option);
  self->store_path = fa_settings_effective_store_path (self->settings);
}

static void
fa_app_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (fa_window_new (FA_APP (app)));
  gtk_window_present (window);
}

static void
fa_app_shutdown (GApplication *app)
{
  FaApp *self = FA_APP (app);

  _fa_app_close_store (self);
  G_APPLICATION_CLASS (fa_app_parent_class)->shutdown (app);
}

static void
fa_app_finalize (GObject *object)
{
  FaApp *self = FA_APP (object);

  _fa_app_close_store (self);
  g_clear_object (&self->sync);
  g_clear_pointer (&self->forms, g_hash_table_unref);
  g_clear_pointer (&self->retired_forms, g_ptr_array_unref);
  g_clear_pointer (&self->settings, fa_settings_free);
  g_free (self->config_dir_option);
  g_free (self->store_option);
  g_free (self->language);
  g_free (self->store_path);
  G_OBJECT_CLASS (fa_app_parent_class)->finalize (object);
}

/* Generated by glib-compile-resources --manual-register (app_core is a static library, so an
 * automatic constructor in an otherwise unreferenced object would be dropped by the linker). */
void fa_register_resource (void);

static void
fa_app_class_init (FaAppClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = fa_app_finalize;
  app_class->handle_local_options = fa_app_handle_local_options;
  app_class->startup = fa_app_startup;
  app_class->activate = fa_app_activate;
  app_class->shutdown = fa_app_shutdown;
  fa_register_resource ();

  _fa_app_signals[FA_APP_RECORDS_CHANGED] =
    g_signal_new ("records-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  _fa_app_signals[FA_APP_LOCKING] =
    g_signal_new ("locking", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  _fa_app_signals[FA_APP_LOCK_CHANGED] =
    g_signal_new ("lock-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
fa_app_init (FaApp *self)
{
  /* Translators: the code of the language you translate into ("id" for Bahasa Indonesia). The
   * app shows the form's labels and the library's messages in this language. */
  const char *code = C_("ui-language-code", "en");
  GOptionEntry options[G_N_ELEMENTS (OPTIONS)];

  self->language = g_strdup (strcmp (code, "id") == 0 ? "id" : "en");
  self->forms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) fa_form_free);
  self->retired_forms = g_ptr_array_new_with_free_func ((GDestroyNotify) fa_form_free);
  self->sync = fa_sync_controller_new ();
  self->last_state = SYNC_STATE_STOPPED;
  g_signal_connect (self->sync, "status-changed", G_CALLBACK (on_sync_status), self);

  memcpy (options, OPTIONS, sizeof options);
  for (gsize i = 0; options[i].long_name != NULL; i++)
    {
      options[i].description = _(options[i].description);
      options[i].arg_description = _(options[i].arg_description);
    }
  g_application_add_main_option_entries (G_APPLICATION (self), options);
}

FaApp *
fa_app_new (void)
{
  GApplicationFlags flags = G_APPLICATION_DEFAULT_FLAGS;

  /* Several instances (tests, a second officer's account) must not talk over D-Bus. */
  if (g_getenv ("LIBSYNC_APP_NON_UNIQUE") != NULL || g_getenv ("LIBSYNC_APP_CONFIG_DIR") != NULL)
    flags |= G_APPLICATION_NON_UNIQUE;
  return g_object_new (FA_TYPE_APP,
                       "application-id", FA_APP_ID,
                       "flags", flags,
                       "resource-base-path", "/id/libsync/FieldApp",
                       NULL);
}
