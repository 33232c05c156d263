/* settings-page: server URL, device credential, officer name and unit, store location. Shown as
 * the first-run page until the credential is entered, and later from the menu (Ctrl+,).
 * Signal "saved" when the settings were applied (store reopened, sync restarted). */
#pragma once

#include <adwaita.h>

#include "app.h"

G_BEGIN_DECLS

#define FA_TYPE_SETTINGS_PAGE (fa_settings_page_get_type ())
G_DECLARE_FINAL_TYPE (FaSettingsPage, fa_settings_page, FA, SETTINGS_PAGE, AdwBin)

/* Fills the page from the app's settings; `first_run` shows the welcome text. */
void fa_settings_page_load (FaSettingsPage *self, FaApp *app, gboolean first_run);

G_END_DECLS
