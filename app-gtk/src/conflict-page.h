/* conflict-page: side-by-side review of a record's conflicting answers (sync_conflict_list:
 * this device's value and the central office's value per field); the officer keeps the merged
 * value or takes the other one (sync_conflict_resolve), which goes back through sync.
 *
 * Signals: "resolved" (all conflicts of the record are reviewed), "message" (string, for a toast).
 */
#pragma once

#include <adwaita.h>

#include "app.h"

G_BEGIN_DECLS

#define FA_TYPE_CONFLICT_PAGE (fa_conflict_page_get_type ())
G_DECLARE_FINAL_TYPE (FaConflictPage, fa_conflict_page, FA, CONFLICT_PAGE, AdwBin)

gboolean fa_conflict_page_open (FaConflictPage *self, FaApp *app, const char *uuid, GError **error);
/* Forgets the record shown (the store is closing). */
void fa_conflict_page_clear (FaConflictPage *self);
/* Number of open conflicts shown. */
guint fa_conflict_page_get_n_open (FaConflictPage *self);

G_END_DECLS
