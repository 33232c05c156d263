/* field-choice: select_one (radio list, or a searchable drop-down for long lists) and select_multiple (check list). */
#pragma once

#include "field-base.h"

G_BEGIN_DECLS

#define FA_TYPE_FIELD_CHOICE (fa_field_choice_get_type ())
G_DECLARE_FINAL_TYPE (FaFieldChoice, fa_field_choice, FA, FIELD_CHOICE, FaFieldBase)

GtkWidget *fa_field_choice_new (const FaForm *form, const FaField *field);

G_END_DECLS
