/* unlock-page: the first thing the app shows, and all it shows while locked. When the store file
 * does not exist the officer creates a passphrase (twice, at least SYNC_PASSPHRASE_MIN
 * characters, with a strength hint); otherwise enters it. A wrong passphrase says so and may be
 * tried again, after a pause that grows with repeated failures (1 s after the third, doubling up
 * to 30 s). The app emits "lock-changed" once the store is open. */
#pragma once

#include <adwaita.h>

#include "app.h"

G_BEGIN_DECLS

#define FA_TYPE_UNLOCK_PAGE (fa_unlock_page_get_type ())
G_DECLARE_FINAL_TYPE (FaUnlockPage, fa_unlock_page, FA, UNLOCK_PAGE, AdwBin)

/* Shows "create" or "enter" for the app's store and focuses the first entry. */
void fa_unlock_page_load (FaUnlockPage *self, FaApp *app);

/* Seconds before the next try is allowed (0: now). */
guint fa_unlock_page_get_wait (FaUnlockPage *self);

G_END_DECLS
