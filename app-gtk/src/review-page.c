/* review-page: see review-page.h. Emits "goto-field" (string: field name) when the officer picks
 * an item of the "still to complete" list. */
#include "review-page.h"

#include <glib/gi18n.h>

struct _FaReviewPage
{
  AdwBin parent_instance;

  GtkWidget *scroller;
  GtkWidget *result_group;
  GtkWidget *todo_group;
  GtkWidget *complete_label;
  GtkWidget *summary_box;

  GPtrArray *result_rows;     /* widgets added to result_group / todo_group, removed on update */
  GPtrArray *todo_rows;
};

G_DEFINE_FINAL_TYPE (FaReviewPage, fa_review_page, ADW_TYPE_BIN)

enum { GOTO_FIELD, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
fa_review_page_dispose (GObject *object)
{
  G_OBJECT_CLASS (fa_review_page_parent_class)->dispose (object);
}

static void
fa_review_page_finalize (GObject *object)
{
  FaReviewPage *self = FA_REVIEW_PAGE (object);
  g_ptr_array_unref (self->result_rows);
  g_ptr_array_unref (self->todo_rows);
  G_OBJECT_CLASS (fa_review_page_parent_class)->finalize (object);
}

static void
fa_review_page_class_init (FaReviewPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = fa_review_page_dispose;
  G_OBJECT_CLASS (klass)->finalize = fa_review_page_finalize;
  gtk_widget_class_set_template_from_resource (widget_class, "/id/libsync/FieldApp/ui/review-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FaReviewPage, scroller);
  gtk_widget_class_bind_template_child (widget_class, FaReviewPage, result_group);
  gtk_widget_class_bind_template_child (widget_class, FaReviewPage, todo_group);
  gtk_widget_class_bind_template_child (widget_class, FaReviewPage, complete_label);
  gtk_widget_class_bind_template_child (widget_class, FaReviewPage, summary_box);

  signals[GOTO_FIELD] = g_signal_new ("goto-field", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                      NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
fa_review_page_init (FaReviewPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->result_rows = g_ptr_array_new ();
  self->todo_rows = g_ptr_array_new ();
}

static void
clear_group (GtkWidget *group, GPtrArray *rows)
{
  for (guint i = 0; i < rows->len; i++)
    adw_preferences_group_remove (ADW_PREFERENCES_GROUP (group), g_ptr_array_index (rows, i));
  g_ptr_array_set_size (rows, 0);
}

static GtkWidget *
value_row (const char *title, const char *value)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *label = g_object_new (GTK_TYPE_LABEL, "label", value, "wrap", TRUE, "xalign", 1.0f,
                                   "width-chars", 18, "max-width-chars", 40,
                                   NULL);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 3);
  gtk_widget_add_css_class (label, "review-value");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  return row;
}

static void
on_todo_activated (AdwActionRow *row, FaReviewPage *self)
{
  g_signal_emit (self, signals[GOTO_FIELD], 0, gtk_widget_get_name (GTK_WIDGET (row)));
}

static gboolean
relevant (const cJSON *evaluation, const char *name)
{
  const cJSON *rel = cJSON_GetObjectItemCaseSensitive (evaluation, "relevant");
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (rel, name);
  return v == NULL || cJSON_IsTrue (v);
}

void
fa_review_page_update (FaReviewPage *self, const FaForm *form, const cJSON *evaluation,
                       gboolean read_only, gboolean show_results)
{
  const cJSON *payload = cJSON_GetObjectItemCaseSensitive (evaluation, "payload");
  const cJSON *issues = cJSON_GetObjectItemCaseSensitive (evaluation, "issues");
  const cJSON *issue;
  GtkWidget *child;
  guint n_issues = 0;

  clear_group (self->result_group, self->result_rows);
  clear_group (self->todo_group, self->todo_rows);
  while ((child = gtk_widget_get_first_child (self->summary_box)) != NULL)
    gtk_box_remove (GTK_BOX (self->summary_box), child);

  /* computed values: the screening result first, then the rest in form order */
  {
    static const char *const HEADLINE[] = { "result_category", "tppo_indicated", "is_child", NULL };
    g_autoptr (GPtrArray) order = g_ptr_array_new ();

    for (const char *const *h = HEADLINE; *h; h++)
      if (fa_form_lookup (form, *h) != NULL)
        g_ptr_array_add (order, (gpointer) fa_form_lookup (form, *h));
    for (guint i = 0; i < form->fields->len; i++)
      if (!g_strv_contains (HEADLINE, ((FaField *) g_ptr_array_index (form->fields, i))->name))
        g_ptr_array_add (order, g_ptr_array_index (form->fields, i));

    for (guint i = 0; i < order->len; i++)
      {
        const FaField *f = g_ptr_array_index (order, i);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive (payload, f->name);
        g_autofree char *text = NULL;
        GtkWidget *row;

        if (f->type != FA_KIND_CALCULATE || v == NULL || cJSON_IsNull (v))
          continue;
        text = fa_form_format_value (form, f, v);
        row = value_row (f->label, text);
        gtk_widget_set_name (row, f->name);
        adw_preferences_group_add (ADW_PREFERENCES_GROUP (self->result_group), row);
        g_ptr_array_add (self->result_rows, row);
      }
  }
  gtk_widget_set_visible (self->result_group, show_results && self->result_rows->len > 0);

  /* what is missing or wrong */
  cJSON_ArrayForEach (issue, issues)
    {
      const char *field = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (issue, "field"));
      const char *message = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (issue, "message"));
      const FaField *f = field && *field ? fa_form_lookup (form, field) : NULL;
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), f ? f->label : _("The whole record"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), message ? message : "");
      adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 2);
      gtk_widget_add_css_class (row, "todo-row");
      if (f != NULL)
        {
          gtk_widget_set_name (row, f->name);
          gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
          g_signal_connect (row, "activated", G_CALLBACK (on_todo_activated), self);
        }
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (self->todo_group), row);
      g_ptr_array_add (self->todo_rows, row);
      n_issues++;
    }
  gtk_widget_set_visible (self->todo_group, n_issues > 0 && !read_only);
  gtk_widget_set_visible (self->complete_label, n_issues == 0 && !read_only);

  /* every answer, by part */
  for (guint s = 0; s < form->sections->len; s++)
    {
      const FaSection *sec = g_ptr_array_index (form->sections, s);
      GtkWidget *group = NULL;

      for (guint i = 0; i < sec->fields->len; i++)
        {
          const FaField *f = g_ptr_array_index (sec->fields, i);
          const cJSON *v = cJSON_GetObjectItemCaseSensitive (payload, f->name);
          g_autofree char *text = NULL;

          if (!fa_field_is_answerable (f) || v == NULL || !relevant (evaluation, f->name))
            continue;
          if (group == NULL)
            {
              group = adw_preferences_group_new ();
              g_autofree char *title = g_markup_escape_text (sec->label, -1);
              adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), title);
              gtk_box_append (GTK_BOX (self->summary_box), group);
            }
          text = fa_form_format_value (form, f, v);
          adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), value_row (f->label, text));
        }
    }
}
