/* record-row: one line of the records list: name, interview date, unit, short id, and where the
 * record stands (draft, waiting, sent with the server's receipt time, conflict). */
#pragma once

#include <adwaita.h>

#include "record-item.h"

G_BEGIN_DECLS

#define FA_TYPE_RECORD_ROW (fa_record_row_get_type ())
G_DECLARE_FINAL_TYPE (FaRecordRow, fa_record_row, FA, RECORD_ROW, AdwBin)

GtkWidget *fa_record_row_new (void);
void fa_record_row_set_item (FaRecordRow *self, FaRecordItem *item);

/* The texts a row shows, also used for accessible labels. Caller frees. */
char *fa_record_row_describe_status (const FaRecordInfo *info);

G_END_DECLS
