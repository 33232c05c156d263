/* settings-page: see settings-page.h. */
#include "settings-page.h"

#include <glib/gi18n.h>
#include <string.h>

struct _FaSettingsPage
{
  AdwBin parent_instance;

  GtkWidget *welcome_title;
  GtkWidget *welcome_text;
  GtkWidget *url_row;
  GtkWidget *device_id_row;
  GtkWidget *secret_row;
  GtkWidget *officer_name_row;
  GtkWidget *officer_unit_row;
  GtkWidget *storage_group;
  GtkWidget *store_row;
  GtkWidget *choose_button;
  GtkWidget *error_label;
  GtkWidget *save_button;

  FaApp *app;
  gboolean first_run;
  GtkFileChooserNative *chooser;
};

G_DEFINE_FINAL_TYPE (FaSettingsPage, fa_settings_page, ADW_TYPE_BIN)

enum { SAVED, N_SIGNALS };
static guint signals[N_SIGNALS];

static const char *
text_of (GtkWidget *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static void
show_error (FaSettingsPage *self, const char *message)
{
  gtk_label_set_text (GTK_LABEL (self->error_label), message ? message : "");
  gtk_widget_set_visible (self->error_label, message != NULL);
}

static void
on_changed (FaSettingsPage *self)
{
  show_error (self, NULL);
}

void
fa_settings_page_load (FaSettingsPage *self, FaApp *app, gboolean first_run)
{
  FaSettings *s = fa_app_get_settings (app);
  g_autofree char *store = fa_settings_effective_store_path (s);
  sync_store_t *handle = fa_app_get_store (app);
  g_autofree char *description = NULL;

  self->app = app;
  self->first_run = first_run;
  gtk_widget_set_visible (self->welcome_title, first_run);
  gtk_widget_set_visible (self->welcome_text, first_run);
  gtk_editable_set_text (GTK_EDITABLE (self->url_row), s->server_url ? s->server_url : "");
  gtk_editable_set_text (GTK_EDITABLE (self->device_id_row), s->device_id ? s->device_id : "");
  gtk_editable_set_text (GTK_EDITABLE (self->secret_row), s->device_secret ? s->device_secret : "");
  gtk_editable_set_text (GTK_EDITABLE (self->officer_name_row), s->officer_name ? s->officer_name : "");
  gtk_editable_set_text (GTK_EDITABLE (self->officer_unit_row), s->officer_unit ? s->officer_unit : "");
  gtk_editable_set_text (GTK_EDITABLE (self->store_row), store);
  gtk_widget_set_sensitive (self->store_row, s->store_override == NULL);
  if (s->store_override != NULL)
    description = g_strdup (_("Set on the command line (--store) for this session."));
  else if (handle != NULL)
    /* Translators: %s is the UUID the store was created with */
    description = g_strdup_printf (_("This store's own device ID: %s"), sync_store_device_id (handle));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self->storage_group), description);
  gtk_button_set_label (GTK_BUTTON (self->save_button), first_run ? _("_Start") : _("_Save"));
  show_error (self, NULL);
}

static gboolean
valid_url (const char *url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *scheme = uri ? g_uri_get_scheme (uri) : NULL;

  return scheme != NULL && (strcmp (scheme, "https") == 0 || strcmp (scheme, "http") == 0)
         && g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0';
}

static void
on_save_clicked (FaSettingsPage *self)
{
  FaSettings *s = fa_app_get_settings (self->app);
  g_autofree char *url = g_strstrip (g_strdup (text_of (self->url_row)));
  g_autofree char *id = g_strstrip (g_strdup (text_of (self->device_id_row)));
  g_autofree char *secret = g_strstrip (g_strdup (text_of (self->secret_row)));
  g_autofree char *store = g_strstrip (g_strdup (text_of (self->store_row)));
  g_autofree char *name = g_strstrip (g_strdup (text_of (self->officer_name_row)));
  g_autofree char *unit = g_strstrip (g_strdup (text_of (self->officer_unit_row)));
  g_autofree char *default_store = NULL;
  g_autoptr (GError) error = NULL;

  if (!valid_url (url))
    {
      show_error (self, _("Enter the server address, for example https://pusat.example.id"));
      gtk_widget_grab_focus (self->url_row);
      return;
    }
  if (*id == '\0' || *secret == '\0')
    {
      show_error (self, _("Enter the device ID and the secret given by the server administrator."));
      gtk_widget_grab_focus (*id == '\0' ? self->device_id_row : self->secret_row);
      return;
    }
  if (*store == '\0')
    {
      show_error (self, _("Choose where the record store is kept."));
      gtk_widget_grab_focus (self->store_row);
      return;
    }
  fa_settings_set (&s->server_url, url);
  fa_settings_set (&s->device_id, id);
  fa_settings_set (&s->device_secret, secret);
  fa_settings_set (&s->officer_name, name);
  fa_settings_set (&s->officer_unit, unit);
  if (s->store_override == NULL)
    {
      /* keep the default out of the file, so a changed XDG_DATA_HOME still applies */
      fa_settings_set (&s->store_path, NULL);
      default_store = fa_settings_effective_store_path (s);
      fa_settings_set (&s->store_path, g_strcmp0 (store, default_store) == 0 ? NULL : store);
    }
  if (!fa_app_apply_settings (self->app, &error))
    {
      g_autofree char *msg = g_strdup_printf (_("The settings were saved, but: %s"), error->message);
      show_error (self, msg);
      return;
    }
  g_signal_emit (self, signals[SAVED], 0);
}

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
  gtk_widget_class_bind_template_child (widget_class, FaSettingsPage, welcome_title);
  gtk_widget_class_bind_template_child (widget_class, FaSettingsPage, welcome_text);
  gtk_widget_class_bind_template_child (widget_class, FaSettingsPage, url_row);
  gtk_widget_class_bind_template_child (widget_class, FaSettingsPage, device_id_row);
  gtk_widget_class_bind_template_child (widget_class, FaSettingsPage, secret_row);
  gtk_widget_class_bind_template_child (widget_class, FaSettingsPage, officer_name_row);
  gtk_widget_class_bind_template_child (widget_class, FaSettingsPage, officer_unit_row);
  gtk_widget_class_bind_template_child (widget_class, FaSettingsPage, storage_group);
  gtk_widget_class_bind_template_child (widget_class, FaSettingsPage, store_row);
  gtk_widget_class_bind_template_child (widget_class, FaSettingsPage, choose_button);
  gtk_widget_class_bind_template_child (widget_class, FaSettingsPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, FaSettingsPage, save_button);
  gtk_widget_class_bind_template_callback (widget_class, on_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_save_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_choose_clicked);

  signals[SAVED] = g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                 NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
fa_settings_page_init (FaSettingsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
