/* sync-banner: a banner across the top of the window when sync cannot work until the officer or
 * the administrator acts: the device was revoked by the central office, its credential was
 * refused or has expired (enrol again), or it was never enrolled; and a month before the
 * credential expires, so the officer can get a new code in time. Hidden otherwise, and while
 * the app is locked. Its button opens Settings (win.settings). */
#pragma once

#include <adwaita.h>

#include "app.h"

G_BEGIN_DECLS

#define FA_TYPE_SYNC_BANNER (fa_sync_banner_get_type ())
G_DECLARE_FINAL_TYPE (FaSyncBanner, fa_sync_banner, FA, SYNC_BANNER, AdwBin)

/* Follows the app's lock state and its sync controller from now on. */
void fa_sync_banner_bind (FaSyncBanner *self, FaApp *app);

/* The message shown, or NULL when hidden (tests). */
const char *fa_sync_banner_get_message (FaSyncBanner *self);

G_END_DECLS
