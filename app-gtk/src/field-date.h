/* field-date: dates as YYYY-MM-DD, typed or picked from a calendar. */
#pragma once

#include "field-base.h"

G_BEGIN_DECLS

#define FA_TYPE_FIELD_DATE (fa_field_date_get_type ())
G_DECLARE_FINAL_TYPE (FaFieldDate, fa_field_date, FA, FIELD_DATE, FaFieldBase)

GtkWidget *fa_field_date_new (const FaForm *form, const FaField *field);

G_END_DECLS
