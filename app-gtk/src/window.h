/* window: the main window: header bar, a stack of pages (records, form, conflict review,
 * settings/first run) and the sync status bar that is always visible. Defines the win.* actions
 * (new record, sync now, search, settings, back to records, previous/next part, review, finalize).
 */
#pragma once

#include <adwaita.h>

#include "app.h"
#include "form-page.h"
#include "records-page.h"
#include "settings-page.h"
#include "conflict-page.h"

G_BEGIN_DECLS

#define FA_TYPE_WINDOW (fa_window_get_type ())
G_DECLARE_FINAL_TYPE (FaWindow, fa_window, FA, WINDOW, AdwApplicationWindow)

FaWindow *fa_window_new (FaApp *app);

/* The visible page: "records", "form", "conflict" or "settings". */
const char *fa_window_get_page (FaWindow *self);
FaFormPage *fa_window_get_form_page (FaWindow *self);
FaRecordsPage *fa_window_get_records_page (FaWindow *self);
/* Opens a new record of `form_id` (NULL: the default form) on the form page. */
gboolean fa_window_new_record (FaWindow *self, const char *form_id, GError **error);
void fa_window_toast (FaWindow *self, const char *message);
/* Hides the toast on screen, if any. */
void fa_window_dismiss_toasts (FaWindow *self);

G_END_DECLS
