/* form-page-save: autosave of drafts, finalizing, and sending a correction of a refused
 * record (form-page-refusal.c). See form-page.h. */
#include "form-page-private.h"

#include <glib/gi18n.h>

static gboolean
evaluate_timeout (gpointer data)
{
  FaFormPage *self = data;
  self->evaluate_source = 0;
  _fa_form_page_evaluate (self);
  return G_SOURCE_REMOVE;
}

static gboolean
is_blocking_code (const char *code)
{
  /* the codes that stop even a draft from being stored (proto/FORMS.md) */
  return g_strcmp0 (code, "type") == 0 || g_strcmp0 (code, "choice") == 0
         || g_strcmp0 (code, "unknown_field") == 0 || g_strcmp0 (code, "expression") == 0;
}

static sync_err_t
write_draft (FaFormPage *self, sync_store_t *store, const char *text)
{
  if (self->uuid[0] == '\0')
    return sync_record_create (store, self->form->form_id, self->form->version, text,
                               SYNC_STATUS_DRAFT, self->uuid);
  return sync_record_update (store, self->uuid, text);
}

gboolean
_fa_form_page_save (FaFormPage *self, gboolean force)
{
  sync_store_t *store = self->app ? fa_app_get_store (self->app) : NULL;
  gboolean created = self->uuid[0] == '\0';
  g_autoptr (GDateTime) now = NULL;
  g_autofree char *when = NULL, *label = NULL;
  cJSON *answers;
  char *text;
  sync_err_t err;

  g_clear_handle_id (&self->autosave_source, g_source_remove);
  /* a correction is not a draft: it is written once, by "Send correction" */
  if (self->form == NULL || self->read_only || self->correcting || (!self->dirty && !force) || store == NULL)
    return TRUE;

  answers = _fa_form_page_collect_answers (self);
  text = cJSON_PrintUnformatted (answers);
  err = write_draft (self, store, text);
  if (err == SYNC_ERR_VALIDATION)
    {
      /* A half-typed answer of the wrong kind (letters in a number, a date like 31-02-2026)
       * must not cost the officer every other answer: keep the rest, the error stays shown. */
      for (size_t i = 0; i < sync_store_issue_count (store); i++)
        if (is_blocking_code (sync_store_issue_code (store, i)))
          cJSON_DeleteItemFromObjectCaseSensitive (answers, sync_store_issue_field (store, i));
      cJSON_free (text);
      text = cJSON_PrintUnformatted (answers);
      err = write_draft (self, store, text);
    }
  cJSON_free (text);
  cJSON_Delete (answers);

  now = g_date_time_new_now_local ();
  when = g_date_time_format (now, "%H:%M:%S");
  if (err != SYNC_OK)
    {
      if (created)
        self->uuid[0] = '\0';
      label = g_strdup_printf (_("Could not save the draft: %s"), sync_store_errmsg (store));
      gtk_label_set_text (GTK_LABEL (self->save_label), label);
      gtk_widget_add_css_class (self->save_label, "error");
      return FALSE;
    }
  self->dirty = FALSE;
  /* Translators: %s is a time of day */
  label = g_strdup_printf (_("Draft saved at %s"), when);
  gtk_label_set_text (GTK_LABEL (self->save_label), label);
  gtk_widget_remove_css_class (self->save_label, "error");
  if (created)
    fa_app_set_open_draft (self->app, self->uuid);
  g_signal_emit (self, _fa_form_page_signals[FA_FORM_PAGE_SAVED], 0);
  fa_app_notify_records_changed (self->app);
  return TRUE;
}

gboolean
fa_form_page_save_now (FaFormPage *self)
{
  return _fa_form_page_save (self, FALSE);
}

static gboolean
autosave_timeout (gpointer data)
{
  FaFormPage *self = data;
  self->autosave_source = 0;
  _fa_form_page_save (self, FALSE);
  return G_SOURCE_REMOVE;
}

void
_fa_form_page_on_field_changed (FaFieldBase *field, FaFormPage *self)
{
  if (self->read_only)
    return;
  self->dirty = TRUE;
  if (self->correcting)
    {
      g_clear_handle_id (&self->evaluate_source, g_source_remove);
      self->evaluate_source = g_timeout_add (EVALUATE_DELAY_MS, evaluate_timeout, self);
      return;
    }
  g_clear_handle_id (&self->evaluate_source, g_source_remove);
  self->evaluate_source = g_timeout_add (EVALUATE_DELAY_MS, evaluate_timeout, self);
  g_clear_handle_id (&self->autosave_source, g_source_remove);
  self->autosave_source = g_timeout_add (AUTOSAVE_DELAY_MS, autosave_timeout, self);
}

static void
on_finalize_response (AdwMessageDialog *dialog, const char *response, FaFormPage *self)
{
  sync_store_t *store = fa_app_get_store (self->app);
  sync_err_t err;

  if (g_strcmp0 (response, "finalize") != 0 || self->form == NULL || store == NULL)
    return;
  if (self->correcting)
    {
      _fa_form_page_send_correction (self);
      return;
    }
  if (self->uuid[0] == '\0' && !_fa_form_page_save (self, TRUE))
    return;
  err = sync_record_finalize (store, self->uuid);
  if (err != SYNC_OK)
    {
      g_autofree char *msg = g_strdup_printf (_("The record was not finalized: %s"),
                                              sync_store_errmsg (store));
      self->show_all_errors = TRUE;
      fa_form_page_show_review (self);
      g_signal_emit (self, _fa_form_page_signals[FA_FORM_PAGE_MESSAGE], 0, msg);
      return;
    }
  fa_app_set_open_draft (self->app, NULL);
  fa_app_notify_records_changed (self->app);
  fa_sync_controller_sync_now (fa_app_get_sync (self->app));
  _fa_form_page_clear (self);
  /* only what is known now: queued (and sent if enrolled); the status bar and the list tell
   * the outcome, and a refusal is announced when it comes back */
  g_signal_emit (self, _fa_form_page_signals[FA_FORM_PAGE_MESSAGE], 0,
                 fa_sync_controller_is_configured (fa_app_get_sync (self->app))
                   ? _("Record finalized and queued for the central office. The status bar shows when it has arrived.")
                   : _("Record finalized. It stays on this device until the device is enrolled in Settings."));
  g_signal_emit (self, _fa_form_page_signals[FA_FORM_PAGE_FINISHED], 0);
}

void
fa_form_page_finalize (FaFormPage *self)
{
  GtkWidget *dialog;

  if (self->form == NULL || self->read_only)
    return;
  _fa_form_page_save (self, FALSE);
  _fa_form_page_evaluate (self);
  if (!cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (self->evaluation, "complete")))
    {
      self->show_all_errors = TRUE;
      fa_form_page_show_review (self);
      _fa_form_page_apply_evaluation (self);
      g_signal_emit (self, _fa_form_page_signals[FA_FORM_PAGE_MESSAGE], 0,
                     _("Some answers are missing or need correcting: see the list."));
      return;
    }
  if (self->correcting)
    dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                     _("Send the corrected record?"),
                                     _("The corrected answers become a new revision of the record and are "
                                       "sent to the central office with the next sync."));
  else
    dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                     _("Finalize this record?"),
                                     _("After finalizing, the answers can no longer be changed on this "
                                       "device. The record is then queued for the central office."));
  gtk_widget_set_name (dialog, "finalize-dialog");
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "finalize", self->correcting ? _("_Send correction") : _("_Finalize"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "finalize",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "finalize");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (on_finalize_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
}
