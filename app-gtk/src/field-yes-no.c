/* field-yes-no: see field-yes-no.h. */
#include "field-yes-no.h"

#include <glib/gi18n.h>

struct _FaFieldYesNo
{
  FaFieldBase parent_instance;
  GtkWidget *yes;
  GtkWidget *no;
};

G_DEFINE_FINAL_TYPE (FaFieldYesNo, fa_field_yes_no, FA_TYPE_FIELD_BASE)

static cJSON *
fa_field_yes_no_get_value (FaFieldBase *base)
{
  FaFieldYesNo *self = FA_FIELD_YES_NO (base);

  if (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->yes)))
    return cJSON_CreateTrue ();
  if (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->no)))
    return cJSON_CreateFalse ();
  return NULL;
}

static void
fa_field_yes_no_set_value (FaFieldBase *base, const cJSON *value)
{
  FaFieldYesNo *self = FA_FIELD_YES_NO (base);

  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->yes), cJSON_IsTrue (value));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->no), cJSON_IsFalse (value));
}

static void
fa_field_yes_no_set_editable (FaFieldBase *base, gboolean editable)
{
  FaFieldYesNo *self = FA_FIELD_YES_NO (base);
  gtk_widget_set_sensitive (self->yes, editable);
  gtk_widget_set_sensitive (self->no, editable);
}

static void
on_toggled (GtkToggleButton *button, FaFieldYesNo *self)
{
  if (!gtk_toggle_button_get_active (button))
    return;
  /* the two buttons exclude each other, but clicking the active one again does not clear it */
  if (GTK_WIDGET (button) == self->yes)
    gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->no), FALSE);
  else
    gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->yes), FALSE);
  fa_field_base_emit_changed (FA_FIELD_BASE (self));
}

static void
fa_field_yes_no_class_init (FaFieldYesNoClass *klass)
{
  FaFieldBaseClass *base_class = FA_FIELD_BASE_CLASS (klass);

  base_class->get_value = fa_field_yes_no_get_value;
  base_class->set_value = fa_field_yes_no_set_value;
  base_class->set_editable = fa_field_yes_no_set_editable;
}

static void
fa_field_yes_no_init (FaFieldYesNo *self)
{
}

GtkWidget *
fa_field_yes_no_new (const FaForm *form, const FaField *field)
{
  FaFieldYesNo *self = g_object_new (FA_TYPE_FIELD_YES_NO, NULL);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);

  fa_field_base_setup (FA_FIELD_BASE (self), form, field);
  gtk_widget_add_css_class (box, "linked");
  gtk_widget_set_halign (box, GTK_ALIGN_START);
  self->yes = gtk_toggle_button_new_with_label (_("Yes"));
  self->no = gtk_toggle_button_new_with_label (_("No"));
  gtk_widget_set_name (self->yes, "yes");
  gtk_widget_set_name (self->no, "no");
  gtk_widget_set_size_request (self->yes, 72, -1);
  gtk_widget_set_size_request (self->no, 72, -1);
  g_signal_connect (self->yes, "toggled", G_CALLBACK (on_toggled), self);
  g_signal_connect (self->no, "toggled", G_CALLBACK (on_toggled), self);
  gtk_box_append (GTK_BOX (box), self->yes);
  gtk_box_append (GTK_BOX (box), self->no);
  fa_field_base_set_input (FA_FIELD_BASE (self), box);
  fa_field_base_label_input (FA_FIELD_BASE (self), self->yes);
  fa_field_base_label_input (FA_FIELD_BASE (self), self->no);
  gtk_label_set_mnemonic_widget (GTK_LABEL (gtk_widget_get_first_child (GTK_WIDGET (self))), self->yes);
  return GTK_WIDGET (self);
}
