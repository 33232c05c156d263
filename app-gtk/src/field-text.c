/* field-text: see field-text.h. */
#include "field-text.h"

struct _FaFieldText
{
  FaFieldBase parent_instance;
  GtkWidget *entry;           /* GtkEntry, or NULL for multiline */
  GtkTextBuffer *buffer;      /* multiline */
  GtkWidget *view;
};

G_DEFINE_FINAL_TYPE (FaFieldText, fa_field_text, FA_TYPE_FIELD_BASE)

static char *
current_text (FaFieldText *self)
{
  GtkTextIter start, end;

  if (self->entry != NULL)
    return g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->entry)));
  gtk_text_buffer_get_bounds (self->buffer, &start, &end);
  return gtk_text_buffer_get_text (self->buffer, &start, &end, FALSE);
}

static cJSON *
fa_field_text_get_value (FaFieldBase *base)
{
  g_autofree char *text = current_text (FA_FIELD_TEXT (base));

  g_strstrip (text);
  return *text ? cJSON_CreateString (text) : NULL;
}

static void
fa_field_text_set_value (FaFieldBase *base, const cJSON *value)
{
  FaFieldText *self = FA_FIELD_TEXT (base);
  const char *text = cJSON_IsString (value) ? value->valuestring : "";

  if (self->entry != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->entry), text);
  else
    gtk_text_buffer_set_text (self->buffer, text, -1);
}

static void
fa_field_text_set_editable (FaFieldBase *base, gboolean editable)
{
  FaFieldText *self = FA_FIELD_TEXT (base);

  if (self->entry != NULL)
    gtk_editable_set_editable (GTK_EDITABLE (self->entry), editable);
  else
    gtk_text_view_set_editable (GTK_TEXT_VIEW (self->view), editable);
}

static void
on_changed (FaFieldText *self)
{
  fa_field_base_emit_changed (FA_FIELD_BASE (self));
}

/* Enter moves on to the next question: quick data entry by keyboard. */
static void
on_activate (GtkWidget *entry, FaFieldText *self)
{
  GtkRoot *root = gtk_widget_get_root (entry);
  if (root != NULL)
    gtk_widget_child_focus (GTK_WIDGET (root), GTK_DIR_TAB_FORWARD);
}

static void
fa_field_text_class_init (FaFieldTextClass *klass)
{
  FaFieldBaseClass *base_class = FA_FIELD_BASE_CLASS (klass);

  base_class->get_value = fa_field_text_get_value;
  base_class->set_value = fa_field_text_set_value;
  base_class->set_editable = fa_field_text_set_editable;
}

static void
fa_field_text_init (FaFieldText *self)
{
}

GtkWidget *
fa_field_text_new (const FaForm *form, const FaField *field)
{
  FaFieldText *self = g_object_new (FA_TYPE_FIELD_TEXT, NULL);

  fa_field_base_setup (FA_FIELD_BASE (self), form, field);
  if (field->multiline)
    {
      GtkWidget *scroller = gtk_scrolled_window_new ();

      self->view = gtk_text_view_new ();
      gtk_widget_set_name (self->view, "input");
      gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (self->view), GTK_WRAP_WORD_CHAR);
      gtk_text_view_set_accepts_tab (GTK_TEXT_VIEW (self->view), FALSE);
      gtk_widget_add_css_class (self->view, "field-textview");
      self->buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->view));
      g_signal_connect_swapped (self->buffer, "changed", G_CALLBACK (on_changed), self);
      gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), self->view);
      gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
      gtk_widget_set_size_request (scroller, -1, 84);
      gtk_widget_add_css_class (scroller, "card");
      fa_field_base_set_input (FA_FIELD_BASE (self), scroller);
      fa_field_base_label_input (FA_FIELD_BASE (self), self->view);
    }
  else
    {
      self->entry = gtk_entry_new ();
      gtk_widget_set_name (self->entry, "input");
      gtk_widget_set_hexpand (self->entry, TRUE);
      g_signal_connect_swapped (self->entry, "changed", G_CALLBACK (on_changed), self);
      g_signal_connect (self->entry, "activate", G_CALLBACK (on_activate), self);
      fa_field_base_set_input (FA_FIELD_BASE (self), self->entry);
    }
  return GTK_WIDGET (self);
}
