/* form-page: see form-page.h. */
#include "form-page-private.h"

#include <glib/gi18n.h>
#include <string.h>

#include "field-base.h"
#include "review-page.h"

G_DEFINE_FINAL_TYPE (FaFormPage, fa_form_page, ADW_TYPE_BIN)

guint _fa_form_page_signals[FA_FORM_PAGE_N_SIGNALS];

/* ---- building the pages -------------------------------------------------------------------- */

void
_fa_form_page_clear (FaFormPage *self)
{
  GtkWidget *child;

  g_clear_handle_id (&self->evaluate_source, g_source_remove);
  g_clear_handle_id (&self->autosave_source, g_source_remove);
  while ((child = gtk_widget_get_first_child (self->sections_stack)) != NULL)
    gtk_stack_remove (GTK_STACK (self->sections_stack), child);
  while ((child = gtk_widget_get_first_child (self->sections_list)) != NULL)
    gtk_list_box_remove (GTK_LIST_BOX (self->sections_list), child);
  g_hash_table_remove_all (self->widgets);
  g_ptr_array_set_size (self->section_rows, 0);
  g_ptr_array_set_size (self->section_badges, 0);
  g_clear_pointer (&self->evaluation, cJSON_Delete);
  g_clear_pointer (&self->visited, g_free);
  self->review_row = NULL;
  self->form = NULL;
  self->uuid[0] = '\0';
  g_clear_pointer (&self->refusal, g_free);
  self->correcting = FALSE;
  gtk_widget_set_visible (self->refusal_box, FALSE);
  self->dirty = FALSE;
  self->reviewing = FALSE;
  self->show_all_errors = FALSE;
  self->current = 0;
  gtk_label_set_text (GTK_LABEL (self->save_label), "");
}

static GtkWidget *
sidebar_row (const char *name, const char *label, GtkWidget **badge_out)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *text = g_object_new (GTK_TYPE_LABEL, "label", label, "xalign", 0.0f, "hexpand", TRUE,
                                  "wrap", TRUE, "lines", 2, "ellipsize", PANGO_ELLIPSIZE_END, NULL);
  g_autofree char *id = g_strdup_printf ("section-%s", name);

  gtk_widget_set_name (row, id);
  gtk_box_append (GTK_BOX (box), text);
  if (badge_out != NULL)
    {
      *badge_out = gtk_label_new ("");
      gtk_widget_add_css_class (*badge_out, "issue-badge");
      gtk_widget_set_valign (*badge_out, GTK_ALIGN_CENTER);
      gtk_widget_set_tooltip_text (*badge_out, _("Answers missing or to correct"));
      gtk_box_append (GTK_BOX (box), *badge_out);
    }
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  return row;
}

static void
build_form (FaFormPage *self)
{
  const FaForm *form = self->form;

  self->visited = g_new0 (gboolean, form->sections->len);
  for (guint s = 0; s < form->sections->len; s++)
    {
      const FaSection *sec = g_ptr_array_index (form->sections, s);
      GtkWidget *scroller = gtk_scrolled_window_new ();
      GtkWidget *clamp = adw_clamp_new ();
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 16);
      GtkWidget *badge = NULL;
      GtkWidget *row;

      gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
      adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 720);
      adw_clamp_set_tightening_threshold (ADW_CLAMP (clamp), 560);
      gtk_widget_add_css_class (box, "form-fields");
      for (guint i = 0; i < sec->fields->len; i++)
        {
          const FaField *f = g_ptr_array_index (sec->fields, i);
          GtkWidget *w = fa_field_new (form, f);

          g_signal_connect (w, "changed", G_CALLBACK (_fa_form_page_on_field_changed), self);
          gtk_box_append (GTK_BOX (box), w);
          g_hash_table_insert (self->widgets, f->name, w);
        }
      adw_clamp_set_child (ADW_CLAMP (clamp), box);
      gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), clamp);
      gtk_stack_add_named (GTK_STACK (self->sections_stack), scroller, sec->name);

      row = sidebar_row (sec->name, sec->label, &badge);
      gtk_list_box_append (GTK_LIST_BOX (self->sections_list), row);
      g_ptr_array_add (self->section_rows, row);
      g_ptr_array_add (self->section_badges, badge);
    }
  self->review_row = sidebar_row ("review", self->read_only ? _("Summary") : _("Review and finalize"), NULL);
  gtk_list_box_append (GTK_LIST_BOX (self->sections_list), self->review_row);
  _fa_form_page_set_editable (self, !self->read_only);
}

/* Answers editable or not (central follow-up fields never are), with the banner and the
 * finalize button that go with it. */
void
_fa_form_page_set_editable (FaFormPage *self, gboolean editable)
{
  GHashTableIter it;
  gpointer w;

  g_hash_table_iter_init (&it, self->widgets);
  while (g_hash_table_iter_next (&it, NULL, &w))
    fa_field_base_set_editable (FA_FIELD_BASE (w), editable && !fa_field_base_get_field (FA_FIELD_BASE (w))->central);
  gtk_label_set_text (GTK_LABEL (self->readonly_banner),
                      self->purged ? _("Removed from the device after the central office received it. "
                                       "The proof of delivery is kept.")
                      : self->sealed ? _("Sealed for the central office: only the central office can read "
                                         "the answers. This device shows the open part only and cannot "
                                         "revise the record; corrections are made centrally.")
                                     : _("This record is finalized and can no longer be changed on this device."));
  /* a refused record says why in its own box instead */
  gtk_widget_set_visible (self->readonly_banner, !editable && self->refusal == NULL);
  gtk_widget_set_visible (self->finalize_button, editable);
  gtk_button_set_label (GTK_BUTTON (self->finalize_button),
                        self->correcting ? _("_Send correction…") : _("_Finalize…"));
}

/* ---- navigation ---------------------------------------------------------------------------- */

static int
relevant_position (FaFormPage *self, guint section, guint *total)
{
  int pos = -1;
  guint n = 0;

  for (guint s = 0; s < self->form->sections->len; s++)
    if (_fa_form_page_section_relevant (self, s))
      {
        if (s == section)
          pos = (int) n;
        n++;
      }
  *total = n;
  return pos;
}

void
_fa_form_page_update_navigation (FaFormPage *self)
{
  guint total = 0;
  int pos;
  g_autofree char *page = NULL;

  if (self->form == NULL)
    return;
  pos = relevant_position (self, self->current, &total);
  if (self->reviewing)
    {
      gtk_label_set_text (GTK_LABEL (self->section_title),
                          self->read_only ? _("Summary of the record") : _("Review and finalize"));
      /* Translators: progress label on the review page; %u is the number of parts */
      page = g_strdup_printf (_("Review (after %u parts)"), total);
      gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (self->progress), 1.0);
      gtk_list_box_select_row (GTK_LIST_BOX (self->sections_list), GTK_LIST_BOX_ROW (self->review_row));
    }
  else
    {
      const FaSection *sec = g_ptr_array_index (self->form->sections, self->current);

      gtk_label_set_text (GTK_LABEL (self->section_title), sec->label);
      /* Translators: "Part 2 of 7" of the form */
      page = g_strdup_printf (_("Part %d of %u"), pos + 1, total);
      gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (self->progress),
                                     (double) (pos + 1) / (double) (total + 1));
      gtk_list_box_select_row (GTK_LIST_BOX (self->sections_list),
                               g_ptr_array_index (self->section_rows, self->current));
    }
  gtk_label_set_text (GTK_LABEL (self->page_label), page);
  gtk_widget_set_visible (self->next_button, !self->reviewing);
  g_signal_emit (self, _fa_form_page_signals[FA_FORM_PAGE_STATE_CHANGED], 0);
}

static void
focus_first_input (GtkWidget *page)
{
  gtk_widget_child_focus (page, GTK_DIR_TAB_FORWARD);
}

static void
show_section (FaFormPage *self, guint section, gboolean focus)
{
  GtkWidget *page;
  GtkAdjustment *adj;

  if (!self->reviewing && section != self->current)
    self->visited[self->current] = TRUE;
  else if (self->reviewing)
    self->visited[self->current] = TRUE;
  _fa_form_page_save (self, FALSE);
  self->current = section;
  self->reviewing = FALSE;
  page = gtk_stack_get_child_by_name (GTK_STACK (self->sections_stack),
                                      ((FaSection *) g_ptr_array_index (self->form->sections, section))->name);
  gtk_stack_set_visible_child (GTK_STACK (self->sections_stack), page);
  gtk_stack_set_visible_child_name (GTK_STACK (self->content_stack), "questions");
  adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (page));
  gtk_adjustment_set_value (adj, 0);
  _fa_form_page_evaluate (self);
  if (focus && !self->read_only)
    focus_first_input (page);
}

void
fa_form_page_show_review (FaFormPage *self)
{
  if (self->form == NULL)
    return;
  if (!self->reviewing)
    self->visited[self->current] = TRUE;
  _fa_form_page_save (self, FALSE);
  self->reviewing = TRUE;
  gtk_stack_set_visible_child_name (GTK_STACK (self->content_stack), "review");
  _fa_form_page_evaluate (self);
  fa_review_page_update (FA_REVIEW_PAGE (self->review), self->form, self->evaluation, self->read_only,
                         !self->sealed && !self->purged);
}

static int
neighbour (FaFormPage *self, int direction)
{
  int n = (int) self->form->sections->len;

  for (int s = (int) self->current + direction; s >= 0 && s < n; s += direction)
    if (_fa_form_page_section_relevant (self, (guint) s))
      return s;
  return -1;
}

gboolean
fa_form_page_can_go_previous (FaFormPage *self)
{
  if (self->form == NULL)
    return FALSE;
  return self->reviewing || neighbour (self, -1) >= 0;
}

gboolean
fa_form_page_can_go_next (FaFormPage *self)
{
  return self->form != NULL && !self->reviewing;
}

void
fa_form_page_previous (FaFormPage *self)
{
  int s;

  if (self->form == NULL)
    return;
  if (self->reviewing)
    {
      /* back from the review to the last relevant part */
      for (s = (int) self->form->sections->len - 1; s >= 0; s--)
        if (_fa_form_page_section_relevant (self, (guint) s))
          break;
      show_section (self, (guint) MAX (s, 0), TRUE);
      return;
    }
  s = neighbour (self, -1);
  if (s >= 0)
    show_section (self, (guint) s, TRUE);
}

void
fa_form_page_next (FaFormPage *self)
{
  int s;

  if (self->form == NULL || self->reviewing)
    return;
  _fa_form_page_evaluate (self);
  s = neighbour (self, +1);
  if (s >= 0)
    show_section (self, (guint) s, TRUE);
  else
    fa_form_page_show_review (self);
}

void
fa_form_page_goto_field (FaFormPage *self, const char *name)
{
  const FaField *f = self->form ? fa_form_lookup (self->form, name) : NULL;
  GtkWidget *w;

  if (f == NULL)
    return;
  show_section (self, f->section, FALSE);
  w = g_hash_table_lookup (self->widgets, name);
  if (w != NULL)
    gtk_widget_child_focus (w, GTK_DIR_TAB_FORWARD);
}

static void
on_section_row_activated (GtkListBox *list, GtkListBoxRow *row, FaFormPage *self)
{
  if (GTK_WIDGET (row) == self->review_row)
    {
      fa_form_page_show_review (self);
      return;
    }
  for (guint s = 0; s < self->section_rows->len; s++)
    if (g_ptr_array_index (self->section_rows, s) == (gpointer) row)
      show_section (self, s, FALSE);
}

static void
on_review_goto_field (FaReviewPage *review, const char *field, FaFormPage *self)
{
  fa_form_page_goto_field (self, field);
}

/* ---- opening ------------------------------------------------------------------------------- */

static void
load_values (FaFormPage *self, const cJSON *payload)
{
  for (guint i = 0; i < self->form->fields->len; i++)
    {
      const FaField *f = g_ptr_array_index (self->form->fields, i);
      FaFieldBase *w = g_hash_table_lookup (self->widgets, f->name);
      const cJSON *v = cJSON_GetObjectItemCaseSensitive (payload, f->name);

      if (v != NULL && fa_field_is_answerable (f))
        fa_field_base_set_value (w, v);
    }
}

static void
prefill_new (FaFormPage *self)
{
  FaSettings *settings = fa_app_get_settings (self->app);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");
  cJSON *prefill = cJSON_CreateObject ();
  const FaField *f;

  /* Suggestions the officer can change: today's date and their own unit. */
  if ((f = fa_form_lookup (self->form, "interview_date")) && f->type == FA_KIND_DATE)
    cJSON_AddStringToObject (prefill, "interview_date", today);
  if (settings->officer_unit && (f = fa_form_lookup (self->form, "unit_name")) && f->type == FA_KIND_TEXT)
    cJSON_AddStringToObject (prefill, "unit_name", settings->officer_unit);
  load_values (self, prefill);
  cJSON_Delete (prefill);
}

gboolean
fa_form_page_open_new (FaFormPage *self, FaApp *app, const char *form_id, GError **error)
{
  const FaForm *form;

  fa_form_page_close (self);
  self->app = app;
  form = fa_app_get_form (app, form_id, 0, error);
  if (form == NULL)
    return FALSE;
  self->form = form;
  self->read_only = FALSE;
  self->sealed = FALSE;
  self->purged = FALSE;
  gtk_widget_set_visible (self->receipt_button, FALSE);
  build_form (self);
  prefill_new (self);
  _fa_form_page_evaluate (self);
  show_section (self, 0, TRUE);
  return TRUE;
}

gboolean
fa_form_page_open_record (FaFormPage *self, FaApp *app, const char *uuid, GError **error)
{
  sync_store_t *store = fa_app_get_store (app);
  sync_record_t *rec = NULL;
  const FaForm *form;
  cJSON *payload;

  fa_form_page_close (self);
  self->app = app;
  if (store == NULL || sync_record_get (store, uuid, &rec) != SYNC_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("The record %s is not on this device."), uuid);
      return FALSE;
    }
  form = fa_app_get_form (app, sync_record_form_id (rec), sync_record_form_version (rec), error);
  if (form == NULL)
    {
      sync_record_free (rec);
      return FALSE;
    }
  self->form = form;
  g_strlcpy (self->uuid, uuid, sizeof self->uuid);
  self->read_only = sync_record_status (rec) == SYNC_STATUS_FINAL || sync_record_deleted (rec);
  self->sealed = sync_record_sealed (rec);
  self->purged = sync_record_purged (rec);
  gtk_widget_set_visible (self->receipt_button, sync_record_receipt_time (rec) > 0);
  if (sync_record_delivery (rec) == SYNC_DELIVERY_REFUSED)
    self->refusal = g_strdup (sync_record_refusal (rec));
  payload = cJSON_Parse (sync_record_payload (rec));
  sync_record_free (rec);

  build_form (self);
  _fa_form_page_show_refusal (self, NULL);
  load_values (self, payload);
  cJSON_Delete (payload);
  if (!self->read_only)
    fa_app_set_open_draft (app, self->uuid);
  _fa_form_page_evaluate (self);
  if (self->read_only)
    {
      self->reviewing = TRUE;
      gtk_stack_set_visible_child_name (GTK_STACK (self->content_stack), "review");
      fa_review_page_update (FA_REVIEW_PAGE (self->review), self->form, self->evaluation, TRUE,
                             !self->sealed && !self->purged);
      _fa_form_page_update_navigation (self);
    }
  else
    show_section (self, 0, TRUE);
  return TRUE;
}

void
fa_form_page_close (FaFormPage *self)
{
  if (self->form != NULL)
    {
      _fa_form_page_save (self, FALSE);
      if (self->app != NULL)
        fa_app_set_open_draft (self->app, NULL);
    }
  _fa_form_page_clear (self);
  g_signal_emit (self, _fa_form_page_signals[FA_FORM_PAGE_STATE_CHANGED], 0);
}

/* ---- accessors ----------------------------------------------------------------------------- */

gboolean
fa_form_page_is_open (FaFormPage *self)
{
  return self->form != NULL;
}

gboolean
fa_form_page_is_read_only (FaFormPage *self)
{
  return self->read_only;
}

gboolean
fa_form_page_is_correcting (FaFormPage *self)
{
  return self->correcting;
}

const char *
fa_form_page_get_refusal (FaFormPage *self)
{
  return gtk_widget_get_visible (self->refusal_box) ? gtk_label_get_text (GTK_LABEL (self->refusal_label)) : NULL;
}

const char *
fa_form_page_get_banner (FaFormPage *self)
{
  return gtk_widget_get_visible (self->readonly_banner) ? gtk_label_get_text (GTK_LABEL (self->readonly_banner))
                                                        : NULL;
}

static void
on_receipt_clicked (FaFormPage *self)
{
  if (self->uuid[0] != '\0')
    g_signal_emit (self, _fa_form_page_signals[FA_FORM_PAGE_SHOW_RECEIPT], 0, self->uuid);
}

gboolean
fa_form_page_is_reviewing (FaFormPage *self)
{
  return self->reviewing;
}

const char *
fa_form_page_get_uuid (FaFormPage *self)
{
  return self->uuid[0] ? self->uuid : NULL;
}

const char *
fa_form_page_get_title (FaFormPage *self)
{
  return self->form ? self->form->title : NULL;
}

GtkWidget *
fa_form_page_get_field_widget (FaFormPage *self, const char *name)
{
  return g_hash_table_lookup (self->widgets, name);
}

/* ---- class --------------------------------------------------------------------------------- */

static void
fa_form_page_dispose (GObject *object)
{
  FaFormPage *self = FA_FORM_PAGE (object);

  if (self->form != NULL)
    _fa_form_page_save (self, FALSE);
  _fa_form_page_clear (self);
  G_OBJECT_CLASS (fa_form_page_parent_class)->dispose (object);
}

static void
fa_form_page_finalize_object (GObject *object)
{
  FaFormPage *self = FA_FORM_PAGE (object);

  g_clear_pointer (&self->widgets, g_hash_table_unref);
  g_clear_pointer (&self->section_rows, g_ptr_array_unref);
  g_clear_pointer (&self->section_badges, g_ptr_array_unref);
  G_OBJECT_CLASS (fa_form_page_parent_class)->finalize (object);
}

static void
fa_form_page_class_init (FaFormPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fa_form_page_dispose;
  object_class->finalize = fa_form_page_finalize_object;

  g_type_ensure (FA_TYPE_REVIEW_PAGE);
  gtk_widget_class_set_template_from_resource (widget_class, "/id/libsync/FieldApp/ui/form-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FaFormPage, sections_list);
  gtk_widget_class_bind_template_child (widget_class, FaFormPage, readonly_banner);
  gtk_widget_class_bind_template_child (widget_class, FaFormPage, section_title);
  gtk_widget_class_bind_template_child (widget_class, FaFormPage, page_label);
  gtk_widget_class_bind_template_child (widget_class, FaFormPage, progress);
  gtk_widget_class_bind_template_child (widget_class, FaFormPage, content_stack);
  gtk_widget_class_bind_template_child (widget_class, FaFormPage, sections_stack);
  gtk_widget_class_bind_template_child (widget_class, FaFormPage, review);
  gtk_widget_class_bind_template_child (widget_class, FaFormPage, prev_button);
  gtk_widget_class_bind_template_child (widget_class, FaFormPage, next_button);
  gtk_widget_class_bind_template_child (widget_class, FaFormPage, finalize_button);
  gtk_widget_class_bind_template_child (widget_class, FaFormPage, save_label);
  gtk_widget_class_bind_template_child (widget_class, FaFormPage, receipt_button);
  gtk_widget_class_bind_template_child (widget_class, FaFormPage, refusal_box);
  gtk_widget_class_bind_template_child (widget_class, FaFormPage, refusal_label);
  gtk_widget_class_bind_template_child (widget_class, FaFormPage, fix_button);
  gtk_widget_class_bind_template_child (widget_class, FaFormPage, resend_button);
  gtk_widget_class_bind_template_callback_full (widget_class, "on_fix_clicked",
                                                G_CALLBACK (_fa_form_page_on_fix_clicked));
  gtk_widget_class_bind_template_callback_full (widget_class, "on_resend_clicked",
                                                G_CALLBACK (_fa_form_page_on_resend_clicked));
  gtk_widget_class_bind_template_callback (widget_class, on_section_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_review_goto_field);
  gtk_widget_class_bind_template_callback (widget_class, on_receipt_clicked);

  _fa_form_page_signals[FA_FORM_PAGE_FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 0);
  _fa_form_page_signals[FA_FORM_PAGE_SAVED] = g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                 NULL, NULL, NULL, G_TYPE_NONE, 0);
  _fa_form_page_signals[FA_FORM_PAGE_STATE_CHANGED] = g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  _fa_form_page_signals[FA_FORM_PAGE_MESSAGE] = g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  _fa_form_page_signals[FA_FORM_PAGE_SHOW_RECEIPT] =
    g_signal_new ("show-receipt", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
fa_form_page_init (FaFormPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->widgets = g_hash_table_new (g_str_hash, g_str_equal);
  self->section_rows = g_ptr_array_new ();
  self->section_badges = g_ptr_array_new ();
}
