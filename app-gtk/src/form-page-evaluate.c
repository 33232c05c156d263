/* form-page-evaluate: the answers in the widgets, sync_form_evaluate, and what its result
 * changes on screen (relevance, calculated values, inline errors, badges). See form-page.h. */
#include "form-page-private.h"

cJSON *
_fa_form_page_collect_answers (FaFormPage *self)
{
  cJSON *answers = cJSON_CreateObject ();

  for (guint i = 0; i < self->form->fields->len; i++)
    {
      const FaField *f = g_ptr_array_index (self->form->fields, i);
      FaFieldBase *w;
      cJSON *v;

      if (!fa_field_is_answerable (f) || f->central)
        continue;   /* central staff's answers come from the server, never from this form */
      w = g_hash_table_lookup (self->widgets, f->name);
      v = w ? fa_field_base_get_value (w) : NULL;
      if (v != NULL)
        cJSON_AddItemToObject (answers, f->name, v);
    }
  return answers;
}

gboolean
_fa_form_page_is_relevant (FaFormPage *self, const char *name)
{
  const cJSON *rel = cJSON_GetObjectItemCaseSensitive (self->evaluation, "relevant");
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (rel, name);
  return v == NULL || cJSON_IsTrue (v);
}

gboolean
_fa_form_page_section_relevant (FaFormPage *self, guint s)
{
  const FaSection *sec = g_ptr_array_index (self->form->sections, s);

  for (guint i = 0; i < sec->fields->len; i++)
    if (_fa_form_page_is_relevant (self, ((FaField *) g_ptr_array_index (sec->fields, i))->name))
      return TRUE;
  return FALSE;
}

static gboolean
show_issue (FaFormPage *self, const FaField *f, const char *code)
{
  if (g_strcmp0 (code, "required") != 0)
    return TRUE;
  return self->show_all_errors || self->visited[f->section];
}

void
_fa_form_page_apply_evaluation (FaFormPage *self)
{
  const cJSON *payload = cJSON_GetObjectItemCaseSensitive (self->evaluation, "payload");
  const cJSON *issues = cJSON_GetObjectItemCaseSensitive (self->evaluation, "issues");
  g_autoptr (GHashTable) messages = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree guint *per_section = g_new0 (guint, self->form->sections->len);
  const cJSON *issue;

  cJSON_ArrayForEach (issue, issues)
    {
      const char *field = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (issue, "field"));
      const char *code = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (issue, "code"));
      const char *message = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (issue, "message"));
      const FaField *f = field ? fa_form_lookup (self->form, field) : NULL;

      if (f == NULL || !show_issue (self, f, code))
        continue;
      per_section[f->section]++;
      if (!g_hash_table_contains (messages, field))
        g_hash_table_insert (messages, (gpointer) field, (gpointer) (message ? message : code));
    }

  for (guint i = 0; i < self->form->fields->len; i++)
    {
      const FaField *f = g_ptr_array_index (self->form->fields, i);
      FaFieldBase *w = g_hash_table_lookup (self->widgets, f->name);

      gtk_widget_set_visible (GTK_WIDGET (w), _fa_form_page_is_relevant (self, f->name));
      if (f->type == FA_KIND_CALCULATE)
        fa_field_base_set_value (w, cJSON_GetObjectItemCaseSensitive (payload, f->name));
      fa_field_base_set_error (w, self->read_only ? NULL : g_hash_table_lookup (messages, f->name));
    }

  for (guint s = 0; s < self->form->sections->len; s++)
    {
      GtkWidget *badge = g_ptr_array_index (self->section_badges, s);
      g_autofree char *n = g_strdup_printf ("%u", per_section[s]);

      gtk_widget_set_visible (g_ptr_array_index (self->section_rows, s), _fa_form_page_section_relevant (self, s));
      gtk_label_set_text (GTK_LABEL (badge), n);
      gtk_widget_set_visible (badge, per_section[s] > 0 && !self->read_only);
    }
  if (self->reviewing)
    fa_review_page_update (FA_REVIEW_PAGE (self->review), self->form, self->evaluation, self->read_only,
                           !self->sealed && !self->purged);
  _fa_form_page_update_navigation (self);
}

void
_fa_form_page_evaluate (FaFormPage *self)
{
  sync_store_t *store = self->app ? fa_app_get_store (self->app) : NULL;
  cJSON *answers;
  char *text, *out = NULL;
  sync_err_t err;

  g_clear_handle_id (&self->evaluate_source, g_source_remove);
  if (self->form == NULL || store == NULL)
    return;
  answers = _fa_form_page_collect_answers (self);
  text = cJSON_PrintUnformatted (answers);
  cJSON_Delete (answers);
  err = sync_form_evaluate (store, self->form->form_id, self->form->version, text, &out);
  cJSON_free (text);
  if (err != SYNC_OK)
    {
      g_warning ("evaluate failed: %s", sync_store_errmsg (store));
      return;
    }
  g_clear_pointer (&self->evaluation, cJSON_Delete);
  self->evaluation = cJSON_Parse (out);
  sync_free (out);
  _fa_form_page_apply_evaluation (self);
}

void
fa_form_page_evaluate_now (FaFormPage *self)
{
  _fa_form_page_evaluate (self);
}
