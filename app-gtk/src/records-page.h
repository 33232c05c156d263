/* records-page: every record on the device in groups (drafts, waiting to be sent, sent with the
 * server's receipt time, conflicts to review, and, while there are any, records the server
 * refused, each with its reason) with counts, and a search by name, record ID
 * or date. The list is read on a worker thread (records-loader) and shown with a GtkListView, so
 * 10,000 records stay smooth.
 *
 * Signal "record-activated" (uuid, group as int) when the officer opens a record. */
#pragma once

#include <adwaita.h>

#include "record-item.h"
#include "records-loader.h"

G_BEGIN_DECLS

#define FA_TYPE_RECORDS_PAGE (fa_records_page_get_type ())
G_DECLARE_FINAL_TYPE (FaRecordsPage, fa_records_page, FA, RECORDS_PAGE, AdwBin)

/* Re-reads the store through `reader` in the background (coalescing calls made while a load
 * runs); NULL (locked) does nothing. */
void fa_records_page_reload (FaRecordsPage *self, FaStoreReader *reader);
/* Forgets every row (the store was locked or wiped: nothing of it stays on screen). */
void fa_records_page_clear (FaRecordsPage *self);
void fa_records_page_focus_search (FaRecordsPage *self);
/* Shows only the records of `group` (a FaRecordGroup), or all of them for -1. */
void fa_records_page_show_group (FaRecordsPage *self, int group);
const FaRecordCounts *fa_records_page_get_counts (FaRecordsPage *self);
/* Number of rows shown (after group and search filters). */
guint fa_records_page_get_n_visible (FaRecordsPage *self);
/* The row of `uuid` as last loaded, or NULL (tests). */
const FaRecordInfo *fa_records_page_find (FaRecordsPage *self, const char *uuid);
/* TRUE while a reload runs (tests wait for it). */
gboolean fa_records_page_is_loading (FaRecordsPage *self);

G_END_DECLS
