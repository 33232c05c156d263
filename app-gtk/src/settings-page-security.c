/* settings-page-security: the passphrase change and the emergency wipe of the settings page. */
#include "settings-page-private.h"

#include <glib/gi18n.h>

#include "secret.h"

/* ---- changing the passphrase --------------------------------------------------------------- */

static void
on_passphrase_changed (GObject *source, GAsyncResult *result, gpointer data)
{
  FaSettingsPage *self = data;
  g_autoptr (GError) error = NULL;

  _fa_settings_page_set_busy (self, FALSE);
  if (fa_app_change_passphrase_finish (FA_APP (source), result, &error))
    g_signal_emit (self, _fa_settings_page_signals[FA_SETTINGS_PAGE_MESSAGE], 0,
                   _("The passphrase was changed."));
  else
    {
      _fa_settings_page_show_error (self->passphrase_error, error->message);
      gtk_widget_grab_focus (g_error_matches (error, FA_SYNC_ERROR, SYNC_ERR_PASSPHRASE) ? self->current_pass_row
                                                                                         : self->new_pass_row);
    }
  g_object_unref (self);
}

void
_fa_settings_page_on_change_passphrase (FaSettingsPage *self)
{
  const char *next = gtk_editable_get_text (GTK_EDITABLE (self->new_pass_row));
  char *old, *fresh;

  if (self->busy)
    return;
  if (g_utf8_strlen (next, -1) < SYNC_PASSPHRASE_MIN)
    {
      g_autofree char *msg = g_strdup_printf (_("The new passphrase must have at least %d characters."),
                                              SYNC_PASSPHRASE_MIN);
      _fa_settings_page_show_error (self->passphrase_error, msg);
      gtk_widget_grab_focus (self->new_pass_row);
      return;
    }
  if (g_strcmp0 (next, gtk_editable_get_text (GTK_EDITABLE (self->repeat_pass_row))) != 0)
    {
      _fa_settings_page_show_error (self->passphrase_error, _("The two passphrases differ."));
      gtk_editable_set_text (GTK_EDITABLE (self->repeat_pass_row), "");
      gtk_widget_grab_focus (self->repeat_pass_row);
      return;
    }
  old = fa_secret_take_text (GTK_EDITABLE (self->current_pass_row));
  fresh = fa_secret_take_text (GTK_EDITABLE (self->new_pass_row));
  gtk_editable_set_text (GTK_EDITABLE (self->repeat_pass_row), "");
  _fa_settings_page_set_busy (self, TRUE);
  _fa_settings_page_show_error (self->passphrase_error, NULL);
  fa_app_change_passphrase_async (self->app, old, fresh, on_passphrase_changed, g_object_ref (self));
  fa_secret_free (old);
  fa_secret_free (fresh);
}

/* ---- emergency wipe ------------------------------------------------------------------------ */

/* Translators: the word the officer types to confirm the emergency wipe; keep it short, in
 * capitals, and easy to type */
#define CONFIRM_WORD C_("wipe-confirmation", "DELETE")

static void
on_confirm_changed (GtkEditable *entry, AdwMessageDialog *dialog)
{
  g_autofree char *typed = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  adw_message_dialog_set_response_enabled (dialog, "wipe", g_strcmp0 (typed, CONFIRM_WORD) == 0);
}

static void
on_wipe_response (AdwMessageDialog *dialog, const char *response, FaSettingsPage *self)
{
  g_autoptr (GError) error = NULL;

  if (g_strcmp0 (response, "wipe") != 0)
    return;
  /* the window turns to the create-passphrase page as the store goes */
  if (!fa_app_wipe (self->app, &error))
    g_signal_emit (self, _fa_settings_page_signals[FA_SETTINGS_PAGE_MESSAGE], 0, error->message);
}

void
_fa_settings_page_on_wipe (FaSettingsPage *self)
{
  GtkWindow *parent = GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self)));
  g_autofree char *body = NULL;
  GtkWidget *dialog, *entry;

  /* Translators: %s is the confirmation word ("DELETE") */
  body = g_strdup_printf (_("Every record on this device, sent or not, is destroyed for good: it cannot be "
                            "recovered, not even from a copy of the file. Records not yet sent to the "
                            "central office are lost. Type %s to confirm."), CONFIRM_WORD);
  dialog = adw_message_dialog_new (parent, _("Wipe all data on this device?"), body);
  gtk_widget_set_name (dialog, "wipe-dialog");
  entry = gtk_entry_new ();
  gtk_widget_set_name (entry, "wipe-confirm");
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Confirmation word"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "wipe", _("_Wipe everything"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "wipe", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "wipe", FALSE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (entry, "changed", G_CALLBACK (on_confirm_changed), dialog);
  g_signal_connect (dialog, "response", G_CALLBACK (on_wipe_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}
