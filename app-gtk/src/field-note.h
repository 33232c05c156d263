/* field-note: a note: text to read out, no answer. */
#pragma once

#include "field-base.h"

G_BEGIN_DECLS

#define FA_TYPE_FIELD_NOTE (fa_field_note_get_type ())
G_DECLARE_FINAL_TYPE (FaFieldNote, fa_field_note, FA, FIELD_NOTE, FaFieldBase)

GtkWidget *fa_field_note_new (const FaForm *form, const FaField *field);

G_END_DECLS
