/* settings-page: enrollment with the central server (server address and one-time code, then
 * what the device was enrolled as), the officer's name and unit, the store location and how
 * long delivered records are kept, changing the passphrase, and the emergency wipe. Shown as the
 * first-run page after the store is first unlocked, and later from the menu (Ctrl+,).
 *
 * Signals: "saved" when the settings were applied (or the device enrolled on the first run);
 * "message" (string) for a toast. */
#pragma once

#include <adwaita.h>

#include "app.h"

G_BEGIN_DECLS

#define FA_TYPE_SETTINGS_PAGE (fa_settings_page_get_type ())
G_DECLARE_FINAL_TYPE (FaSettingsPage, fa_settings_page, FA, SETTINGS_PAGE, AdwBin)

/* Fills the page from the app's settings and store; `first_run` shows the welcome text. */
void fa_settings_page_load (FaSettingsPage *self, FaApp *app, gboolean first_run);

/* TRUE while an enrollment or a passphrase change runs (tests wait for it). */
gboolean fa_settings_page_is_busy (FaSettingsPage *self);

G_END_DECLS
