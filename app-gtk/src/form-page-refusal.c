/* form-page-refusal: a record the central server refused. The page says why in plain words (the
 * store's language, from sync_record_refusal) in a box above the answers, with the ways
 * forward: "Send again" re-checks the answers against the form the device holds now (the
 * server's, once it was pulled), re-seals and queues the record; "Correct" opens the answers
 * editable when they are on the device (not sealed), and sending the correction writes a new
 * revision (sync_record_revise) that goes out with the next sync. See form-page.h. */
#include "form-page-private.h"

#include <glib/gi18n.h>

/* Shows the refusal box of an open refused record, with `note` (what the last attempt said)
 * under the reason; hides it for any other record. */
void
_fa_form_page_show_refusal (FaFormPage *self, const char *note)
{
  g_autofree char *text = NULL;

  if (self->refusal == NULL)
    {
      gtk_widget_set_visible (self->refusal_box, FALSE);
      return;
    }
  /* the library's words already say who refused it (the server, or this device under the
   * server's form), why, and what to do, in the store's language */
  text = g_strdup (*self->refusal ? self->refusal : _("The central server refused this record and gave no reason."));
  if (note != NULL && *note)
    {
      char *both = g_strdup_printf ("%s\n%s", text, note);
      g_free (text);
      text = both;
    }
  gtk_label_set_text (GTK_LABEL (self->refusal_label), text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->refusal_box), GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
  gtk_widget_set_visible (self->fix_button, !self->sealed && !self->purged && !self->correcting);
  gtk_widget_set_visible (self->resend_button, !self->correcting);
  gtk_widget_set_visible (self->refusal_box, TRUE);
}

/* Queued again: the page closes and the list and the status bar say where the record is. */
static void
queued_again (FaFormPage *self, const char *message)
{
  fa_app_notify_records_changed (self->app);
  fa_sync_controller_sync_now (fa_app_get_sync (self->app));
  _fa_form_page_clear (self);
  g_signal_emit (self, _fa_form_page_signals[FA_FORM_PAGE_MESSAGE], 0, message);
  g_signal_emit (self, _fa_form_page_signals[FA_FORM_PAGE_FINISHED], 0);
}

/* The libsync issues of the last call on `store`, one per line, for the box. */
static char *
issues_text (sync_store_t *store)
{
  g_autoptr (GString) s = g_string_new (sync_store_errmsg (store));

  for (size_t i = 0; i < sync_store_issue_count (store); i++)
    g_string_append_printf (s, "\n• %s", sync_store_issue_message (store, i));
  return g_string_free (g_steal_pointer (&s), FALSE);
}

void
_fa_form_page_on_resend_clicked (FaFormPage *self)
{
  sync_store_t *store = self->app ? fa_app_get_store (self->app) : NULL;
  g_autofree char *note = NULL, *issues = NULL;
  sync_err_t err;

  if (store == NULL || self->refusal == NULL)
    return;
  /* checked (and sealed) again under the form the device holds now, and queued */
  err = sync_record_resend (store, self->uuid);
  if (err == SYNC_OK)
    {
      queued_again (self, _("The record was checked again and queued: it is being sent to the central office."));
      return;
    }
  if (err == SYNC_ERR_VALIDATION)
    note = g_strdup_printf ("%s\n%s", (issues = issues_text (store)),
                            self->sealed ? _("The answers are sealed on this device: ask the central office to correct them.")
                                         : _("Press Correct to change the answers, then send the correction."));
  else if (err == SYNC_ERR_STATE && self->sealed)
    note = g_strdup (_("The answers were sealed on this device and cannot be sent again from here. Enter the interview again as a new record, or ask the central office."));
  else
    note = g_strdup (sync_store_errmsg (store));
  _fa_form_page_show_refusal (self, note);
  g_signal_emit (self, _fa_form_page_signals[FA_FORM_PAGE_MESSAGE], 0, _("The record was not sent again: see why above the answers."));
}

void
_fa_form_page_on_fix_clicked (FaFormPage *self)
{
  if (self->refusal == NULL || self->sealed || self->purged)
    return;
  self->correcting = TRUE;
  self->read_only = FALSE;
  _fa_form_page_set_editable (self, TRUE);
  _fa_form_page_show_refusal (self, _("Correct the answers, then press Send correction."));
  self->show_all_errors = TRUE;
  fa_form_page_show_review (self);   /* lists what the form the device holds now finds wrong */
  _fa_form_page_update_navigation (self);
}

gboolean
_fa_form_page_send_correction (FaFormPage *self)
{
  sync_store_t *store = fa_app_get_store (self->app);
  cJSON *answers = _fa_form_page_collect_answers (self);
  char *text = cJSON_PrintUnformatted (answers);
  sync_err_t err = sync_record_revise (store, self->uuid, text);

  cJSON_free (text);
  cJSON_Delete (answers);
  if (err != SYNC_OK)
    {
      g_autofree char *note = issues_text (store);
      _fa_form_page_show_refusal (self, note);
      fa_form_page_show_review (self);
      g_signal_emit (self, _fa_form_page_signals[FA_FORM_PAGE_MESSAGE], 0,
                     _("The correction was not saved: see why above the answers."));
      return FALSE;
    }
  self->dirty = FALSE;
  queued_again (self, _("Correction saved and queued: it is being sent to the central office."));
  return TRUE;
}
