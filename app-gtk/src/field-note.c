/* field-note: see field-note.h. The note's text is the field's label, shown as a calm card. */
#include "field-note.h"

struct _FaFieldNote
{
  FaFieldBase parent_instance;
};

G_DEFINE_FINAL_TYPE (FaFieldNote, fa_field_note, FA_TYPE_FIELD_BASE)

static void
fa_field_note_class_init (FaFieldNoteClass *klass)
{
}

static void
fa_field_note_init (FaFieldNote *self)
{
  gtk_widget_add_css_class (GTK_WIDGET (self), "note");
}

GtkWidget *
fa_field_note_new (const FaForm *form, const FaField *field)
{
  FaFieldNote *self = g_object_new (FA_TYPE_FIELD_NOTE, NULL);

  fa_field_base_setup (FA_FIELD_BASE (self), form, field);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  field->label, -1);
  return GTK_WIDGET (self);
}
