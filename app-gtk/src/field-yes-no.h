/* field-yes-no: yes_no answers as two toggle buttons. */
#pragma once

#include "field-base.h"

G_BEGIN_DECLS

#define FA_TYPE_FIELD_YES_NO (fa_field_yes_no_get_type ())
G_DECLARE_FINAL_TYPE (FaFieldYesNo, fa_field_yes_no, FA, FIELD_YES_NO, FaFieldBase)

GtkWidget *fa_field_yes_no_new (const FaForm *form, const FaField *field);

G_END_DECLS
