/* field-number: see field-number.h. */
#include "field-number.h"

#include <math.h>
#include <string.h>

struct _FaFieldNumber
{
  FaFieldBase parent_instance;
  GtkWidget *entry;
  gboolean decimal;
};

G_DEFINE_FINAL_TYPE (FaFieldNumber, fa_field_number, FA_TYPE_FIELD_BASE)

/* A number typed as people type it: "12", "-3", "1,5" or "1.5". Anything else is passed to the
 * library as text, which reports a type error in the officer's language. */
static cJSON *
fa_field_number_get_value (FaFieldBase *base)
{
  FaFieldNumber *self = FA_FIELD_NUMBER (base);
  g_autofree char *text = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->entry)));
  char *end = NULL;
  double d;

  g_strstrip (text);
  if (*text == '\0')
    return NULL;
  if (self->decimal)
    g_strdelimit (text, ",", '.');
  d = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || !isfinite (d) || strpbrk (text, "xXpP") != NULL)
    return cJSON_CreateString (text);
  return cJSON_CreateNumber (d);
}

static void
fa_field_number_set_value (FaFieldBase *base, const cJSON *value)
{
  FaFieldNumber *self = FA_FIELD_NUMBER (base);
  char buf[G_ASCII_DTOSTR_BUF_SIZE] = "";

  if (cJSON_IsNumber (value))
    {
      if (!self->decimal)
        g_snprintf (buf, sizeof buf, "%.0f", value->valuedouble);
      else
        {
          g_ascii_formatd (buf, sizeof buf, "%.10g", value->valuedouble);
          if (g_strcmp0 (fa_field_base_get_form (base)->language, "id") == 0)
            g_strdelimit (buf, ".", ',');
        }
    }
  else if (cJSON_IsString (value))
    g_strlcpy (buf, value->valuestring, sizeof buf);
  gtk_editable_set_text (GTK_EDITABLE (self->entry), buf);
}

static void
fa_field_number_set_editable (FaFieldBase *base, gboolean editable)
{
  gtk_editable_set_editable (GTK_EDITABLE (FA_FIELD_NUMBER (base)->entry), editable);
}

static void
on_changed (FaFieldNumber *self)
{
  fa_field_base_emit_changed (FA_FIELD_BASE (self));
}

static void
on_activate (GtkWidget *entry, FaFieldNumber *self)
{
  GtkRoot *root = gtk_widget_get_root (entry);
  if (root != NULL)
    gtk_widget_child_focus (GTK_WIDGET (root), GTK_DIR_TAB_FORWARD);
}

static void
fa_field_number_class_init (FaFieldNumberClass *klass)
{
  FaFieldBaseClass *base_class = FA_FIELD_BASE_CLASS (klass);

  base_class->get_value = fa_field_number_get_value;
  base_class->set_value = fa_field_number_set_value;
  base_class->set_editable = fa_field_number_set_editable;
}

static void
fa_field_number_init (FaFieldNumber *self)
{
}

GtkWidget *
fa_field_number_new (const FaForm *form, const FaField *field)
{
  FaFieldNumber *self = g_object_new (FA_TYPE_FIELD_NUMBER, NULL);

  fa_field_base_setup (FA_FIELD_BASE (self), form, field);
  self->decimal = field->type == FA_KIND_DECIMAL;
  self->entry = g_object_new (GTK_TYPE_ENTRY,
                              "input-purpose", self->decimal ? GTK_INPUT_PURPOSE_NUMBER : GTK_INPUT_PURPOSE_DIGITS,
                              "width-chars", 12, "max-width-chars", 16, "halign", GTK_ALIGN_START,
                              "xalign", 1.0f, NULL);
  gtk_widget_set_name (self->entry, "input");
  g_signal_connect_swapped (self->entry, "changed", G_CALLBACK (on_changed), self);
  g_signal_connect (self->entry, "activate", G_CALLBACK (on_activate), self);
  fa_field_base_set_input (FA_FIELD_BASE (self), self->entry);
  return GTK_WIDGET (self);
}
