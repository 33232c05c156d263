/* sync-status: the always-visible sync bar: online/offline, how many records wait to be sent,
 * when the last sync succeeded, a plain-words error when it failed, progress during a sync and
 * the Sync now button (win.sync-now). */
#pragma once

#include <adwaita.h>

#include "sync-controller.h"

G_BEGIN_DECLS

#define FA_TYPE_SYNC_STATUS (fa_sync_status_get_type ())
G_DECLARE_FINAL_TYPE (FaSyncStatus, fa_sync_status, FA, SYNC_STATUS, AdwBin)

/* Follows `controller`'s status from now on. `store` (may be NULL) gives the counts before the
 * engine's first report. */
void fa_sync_status_bind (FaSyncStatus *self, FaSyncController *controller);
/* Counts from the store: records waiting and the last sync are used until the engine reports
 * (and when sync is not set up); records the server refused (not waiting: they go out again
 * only when the officer sends or corrects them) are always shown from here. */
void fa_sync_status_set_store_stats (FaSyncStatus *self, gint64 pending, gint64 refused, gint64 last_sync_ms);

G_END_DECLS
