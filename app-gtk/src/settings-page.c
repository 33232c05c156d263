/* settings-page: see settings-page.h. */
#include "settings-page-private.h"

#include <cjson/cJSON.h>
#include <glib/gi18n.h>
#include <string.h>

#include "secret.h"

G_DEFINE_FINAL_TYPE (FaSettingsPage, fa_settings_page, ADW_TYPE_BIN)

guint _fa_settings_page_signals[FA_SETTINGS_PAGE_N_SIGNALS];

#define MAX_RETENTION_DAYS 3650

static const char *
text_of (GtkWidget *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

void
_fa_settings_page_show_error (GtkWidget *label, const char *message)
{
  gtk_label_set_text (GTK_LABEL (label), message ? message : "");
  gtk_widget_set_visible (label, message != NULL);
}

static void
hide_errors (FaSettingsPage *self)
{
  _fa_settings_page_show_error (self->enroll_error, NULL);
  _fa_settings_page_show_error (self->passphrase_error, NULL);
  _fa_settings_page_show_error (self->error_label, NULL);
}

void
_fa_settings_page_set_busy (FaSettingsPage *self, gboolean busy)
{
  self->busy = busy;
  gtk_widget_set_sensitive (self->enroll_button, !busy);
  gtk_widget_set_sensitive (self->change_pass_button, !busy);
  gtk_widget_set_sensitive (self->save_button, !busy);
  /* a job holds its own handle on the store, which a wipe must not find open */
  gtk_widget_set_sensitive (self->wipe_button, !busy);
}

gboolean
fa_settings_page_is_busy (FaSettingsPage *self)
{
  return self->busy;
}

static void
on_changed (FaSettingsPage *self)
{
  hide_errors (self);
}

/* "12 Nov 2027" from ms since the epoch or an ISO 8601 text. */
static char *
expiry_text (const cJSON *v)
{
  g_autoptr (GDateTime) dt = NULL;

  if (cJSON_IsNumber (v))
    dt = g_date_time_new_from_unix_local ((gint64) (v->valuedouble / 1000));
  else if (cJSON_IsString (v))
    dt = g_date_time_new_from_iso8601 (v->valuestring, NULL);
  if (dt == NULL)
    return g_strdup (_("not stated"));
  return g_date_time_format (dt, "%e %b %Y");
}

static void
show_enrollment (FaSettingsPage *self)
{
  const char *json = fa_app_get_enrollment_json (self->app);
  cJSON *e = json ? cJSON_Parse (json) : NULL;
  g_autofree char *expiry = NULL;

  gtk_widget_set_visible (self->enrollment_group, e != NULL);
  gtk_button_set_label (GTK_BUTTON (self->enroll_button), e ? _("_Enrol again") : _("_Enrol this device"));
  if (e == NULL)
    return;
#define SHOW(row, key)                                                                         \
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->row),                                     \
                               cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (e, key)) \
                                 ? cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (e, key)) : "")
  SHOW (enrolled_name_row, "name");
  SHOW (enrolled_unit_row, "unit");
  SHOW (enrolled_server_row, "server_url");
#undef SHOW
  expiry = expiry_text (cJSON_GetObjectItemCaseSensitive (e, "credential_expires_at"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->enrolled_expiry_row), expiry);
  cJSON_Delete (e);
}

void
fa_settings_page_load (FaSettingsPage *self, FaApp *app, gboolean first_run)
{
  FaSettings *s = fa_app_get_settings (app);
  sync_store_t *handle = fa_app_get_store (app);
  g_autofree char *description = NULL;
  int days = 0;

  self->app = app;
  self->first_run = first_run;
  gtk_widget_set_visible (self->welcome_title, first_run);
  gtk_widget_set_visible (self->welcome_text, first_run);
  gtk_editable_set_text (GTK_EDITABLE (self->url_row), s->server_url ? s->server_url : "");
  gtk_editable_set_text (GTK_EDITABLE (self->code_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->ca_row), s->ca_file ? s->ca_file : "");
  gtk_editable_set_text (GTK_EDITABLE (self->pin_row), s->pinned_key ? s->pinned_key : "");
  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (self->tls_row), s->ca_file != NULL || s->pinned_key != NULL);
  gtk_editable_set_text (GTK_EDITABLE (self->officer_name_row), s->officer_name ? s->officer_name : "");
  gtk_editable_set_text (GTK_EDITABLE (self->officer_unit_row), s->officer_unit ? s->officer_unit : "");
  gtk_editable_set_text (GTK_EDITABLE (self->store_row), fa_app_get_store_path (app));
  gtk_widget_set_sensitive (self->store_row, s->store_override == NULL);
  if (s->store_override != NULL)
    description = g_strdup (_("Set on the command line (--store) for this session."));
  else if (handle != NULL)
    /* Translators: %s is the UUID the store was created with */
    description = g_strdup_printf (_("This store's own device ID: %s"), sync_store_device_id (handle));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self->storage_group), description);
  if (handle != NULL)
    sync_store_retention_days (handle, &days);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (self->retention_spin), days);
  gtk_editable_set_text (GTK_EDITABLE (self->current_pass_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->new_pass_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->repeat_pass_row), "");
  gtk_button_set_label (GTK_BUTTON (self->save_button), first_run ? _("_Start") : _("_Save"));
  show_enrollment (self);
  hide_errors (self);
}

static gboolean
valid_url (const char *url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *scheme = uri ? g_uri_get_scheme (uri) : NULL;

  return scheme != NULL && (strcmp (scheme, "https") == 0 || strcmp (scheme, "http") == 0)
         && g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0';
}

/* Takes the CA file and the key pin into the settings (both apply to enrolling and to every
 * sync). FALSE, with the reason shown in `error_label`, when one of them cannot be right. */
static gboolean
take_tls_settings (FaSettingsPage *self, GtkWidget *error_label)
{
  FaSettings *s = fa_app_get_settings (self->app);
  g_autofree char *ca = g_strstrip (g_strdup (text_of (self->ca_row)));
  g_autofree char *pin = g_strstrip (g_strdup (text_of (self->pin_row)));
  const char *problem = NULL;
  GtkWidget *row = NULL;

  if (*ca != '\0' && !g_file_test (ca, G_FILE_TEST_IS_REGULAR))
    {
      problem = _("The CA certificate file does not exist.");
      row = self->ca_row;
    }
  else if (*pin != '\0' && !fa_settings_pin_valid (pin))
    {
      problem = _("The key pin must look like sha256//… followed by 44 base64 characters.");
      row = self->pin_row;
    }
  if (problem != NULL)
    {
      adw_expander_row_set_expanded (ADW_EXPANDER_ROW (self->tls_row), TRUE);
      _fa_settings_page_show_error (error_label, problem);
      gtk_widget_grab_focus (row);
      return FALSE;
    }
  fa_settings_set (&s->ca_file, ca);
  fa_settings_set (&s->pinned_key, pin);
  return TRUE;
}

/* Takes the officer's entries into the settings, keeps the retention in the store and applies
 * them. FALSE (with the reason shown) when something must be corrected first. */
static gboolean
save_settings (FaSettingsPage *self)
{
  FaSettings *s = fa_app_get_settings (self->app);
  sync_store_t *store = fa_app_get_store (self->app);
  g_autofree char *store_path = g_strstrip (g_strdup (text_of (self->store_row)));
  g_autofree char *name = g_strstrip (g_strdup (text_of (self->officer_name_row)));
  g_autofree char *unit = g_strstrip (g_strdup (text_of (self->officer_unit_row)));
  g_autofree char *default_store = NULL;
  g_autoptr (GError) error = NULL;
  int days = gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (self->retention_spin));

  if (*store_path == '\0')
    {
      _fa_settings_page_show_error (self->error_label, _("Choose where the record store is kept."));
      gtk_widget_grab_focus (self->store_row);
      return FALSE;
    }
  if (!take_tls_settings (self, self->error_label))
    return FALSE;
  if (store != NULL && sync_store_set_retention_days (store, days) != SYNC_OK)
    {
      _fa_settings_page_show_error (self->error_label, sync_store_errmsg (store));
      return FALSE;
    }
  fa_settings_set (&s->officer_name, name);
  fa_settings_set (&s->officer_unit, unit);
  s->setup_done = TRUE;
  if (s->store_override == NULL)
    {
      /* keep the default out of the file, so a changed XDG_DATA_HOME still applies */
      fa_settings_set (&s->store_path, NULL);
      default_store = fa_settings_effective_store_path (s);
      fa_settings_set (&s->store_path, g_strcmp0 (store_path, default_store) == 0 ? NULL : store_path);
    }
  if (!fa_app_apply_settings (self->app, &error))
    {
      g_autofree char *msg = g_strdup_printf (_("The settings were saved, but: %s"), error->message);
      _fa_settings_page_show_error (self->error_label, msg);
      return FALSE;
    }
  return TRUE;
}

static void
on_save_clicked (FaSettingsPage *self)
{
  if (!self->busy && save_settings (self))
    g_signal_emit (self, _fa_settings_page_signals[FA_SETTINGS_PAGE_SAVED], 0);
}

/* ---- enrollment ---------------------------------------------------------------------------- */

static void
on_enrolled (GObject *source, GAsyncResult *result, gpointer data)
{
  FaSettingsPage *self = data;
  g_autoptr (GError) error = NULL;

  _fa_settings_page_set_busy (self, FALSE);
  if (!fa_app_enroll_finish (FA_APP (source), result, &error))
    {
      g_autofree char *msg = g_strdup_printf (_("The device was not enrolled: %s"), error->message);
      _fa_settings_page_show_error (self->enroll_error, msg);
      gtk_widget_grab_focus (self->code_row);
    }
  else if (self->first_run)
    {
      /* the first-run page is done once the device is enrolled */
      if (save_settings (self))
        g_signal_emit (self, _fa_settings_page_signals[FA_SETTINGS_PAGE_SAVED], 0);
    }
  else
    {
      show_enrollment (self);
      g_signal_emit (self, _fa_settings_page_signals[FA_SETTINGS_PAGE_MESSAGE], 0,
                     _("This device is enrolled."));
    }
  g_object_unref (self);
}

static void
on_enroll_clicked (FaSettingsPage *self)
{
  FaSettings *s = fa_app_get_settings (self->app);
  g_autofree char *url = g_strstrip (g_strdup (text_of (self->url_row)));
  g_autoptr (GError) error = NULL;
  char *code;

  if (self->busy)
    return;
  if (!valid_url (url))
    {
      _fa_settings_page_show_error (self->enroll_error, _("Enter the server address, for example https://pusat.example.id"));
      gtk_widget_grab_focus (self->url_row);
      return;
    }
  if (strspn (text_of (self->code_row), " \t-") == strlen (text_of (self->code_row)))
    {
      _fa_settings_page_show_error (self->enroll_error, _("Enter the enrolment code given by the administrator."));
      gtk_widget_grab_focus (self->code_row);
      return;
    }
  if (!take_tls_settings (self, self->enroll_error))
    return;
  fa_settings_set (&s->server_url, url);
  if (!fa_settings_save (s, &error))
    g_warning ("cannot save the settings: %s", error->message);
  code = fa_secret_take_text (GTK_EDITABLE (self->code_row));
  _fa_settings_page_set_busy (self, TRUE);
  hide_errors (self);
  fa_app_enroll_async (self->app, url, code, on_enrolled, g_object_ref (self));
  fa_secret_free (code);
}

/* ---- store location ------------------------------------------------------------------------ */

static void
on_chooser_response (GtkNativeDialog *dialog, int response, FaSettingsPage *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      if (path)
        gtk_editable_set_text (GTK_EDITABLE (self->store_row), path);
    }
  g_clear_object (&self->chooser);
}

static void
on_choose_clicked (FaSettingsPage *self)
{
  GtkWindow *parent = GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self)));

  self->chooser = gtk_file_chooser_native_new (_("Record store file"), parent, GTK_FILE_CHOOSER_ACTION_SAVE,
                                               _("_Choose"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), "records.db");
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* ---- class --------------------------------------------------------------------------------- */

static void
fa_settings_page_dispose (GObject *object)
{
  g_clear_object (&FA_SETTINGS_PAGE (object)->chooser);
  G_OBJECT_CLASS (fa_settings_page_parent_class)->dispose (object);
}

static void
fa_settings_page_class_init (FaSettingsPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = fa_settings_page_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/id/libsync/FieldApp/ui/settings-page.ui");
#define CHILD(name) gtk_widget_class_bind_template_child (widget_class, FaSettingsPage, name)
  CHILD (welcome_title);
  CHILD (welcome_text);
  CHILD (enrollment_group);
  CHILD (enrolled_name_row);
  CHILD (enrolled_unit_row);
  CHILD (enrolled_server_row);
  CHILD (enrolled_expiry_row);
  CHILD (enroll_group);
  CHILD (url_row);
  CHILD (code_row);
  CHILD (tls_row);
  CHILD (ca_row);
  CHILD (pin_row);
  CHILD (enroll_button);
  CHILD (enroll_error);
  CHILD (officer_name_row);
  CHILD (officer_unit_row);
  CHILD (storage_group);
  CHILD (store_row);
  CHILD (choose_button);
  CHILD (retention_spin);
  CHILD (current_pass_row);
  CHILD (new_pass_row);
  CHILD (repeat_pass_row);
  CHILD (change_pass_button);
  CHILD (passphrase_error);
  CHILD (wipe_button);
  CHILD (error_label);
  CHILD (save_button);
#undef CHILD
  gtk_widget_class_bind_template_callback (widget_class, on_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_save_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_enroll_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_choose_clicked);
  gtk_widget_class_bind_template_callback_full (widget_class, "on_change_passphrase",
                                                G_CALLBACK (_fa_settings_page_on_change_passphrase));
  gtk_widget_class_bind_template_callback_full (widget_class, "on_wipe",
                                                G_CALLBACK (_fa_settings_page_on_wipe));

  _fa_settings_page_signals[FA_SETTINGS_PAGE_SAVED] =
    g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  _fa_settings_page_signals[FA_SETTINGS_PAGE_MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
fa_settings_page_init (FaSettingsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_spin_button_set_range (GTK_SPIN_BUTTON (self->retention_spin), 0, MAX_RETENTION_DAYS);
  gtk_spin_button_set_increments (GTK_SPIN_BUTTON (self->retention_spin), 1, 30);
}
