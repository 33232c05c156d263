/* field-text: free text (an entry, or a text view for appearance multiline). */
#pragma once

#include "field-base.h"

G_BEGIN_DECLS

#define FA_TYPE_FIELD_TEXT (fa_field_text_get_type ())
G_DECLARE_FINAL_TYPE (FaFieldText, fa_field_text, FA, FIELD_TEXT, FaFieldBase)

GtkWidget *fa_field_text_new (const FaForm *form, const FaField *field);

G_END_DECLS
