/* field-number: integer and decimal answers (decimal comma or point). */
#pragma once

#include "field-base.h"

G_BEGIN_DECLS

#define FA_TYPE_FIELD_NUMBER (fa_field_number_get_type ())
G_DECLARE_FINAL_TYPE (FaFieldNumber, fa_field_number, FA, FIELD_NUMBER, FaFieldBase)

GtkWidget *fa_field_number_new (const FaForm *form, const FaField *field);

G_END_DECLS
