/* field-calc: a calculated value, read-only (computed by libsync). */
#pragma once

#include "field-base.h"

G_BEGIN_DECLS

#define FA_TYPE_FIELD_CALC (fa_field_calc_get_type ())
G_DECLARE_FINAL_TYPE (FaFieldCalc, fa_field_calc, FA, FIELD_CALC, FaFieldBase)

GtkWidget *fa_field_calc_new (const FaForm *form, const FaField *field);

G_END_DECLS
