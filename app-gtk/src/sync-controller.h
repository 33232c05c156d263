/* sync-controller: owns the libsync sync engine (its background thread) and a GNetworkMonitor,
 * and turns the engine's status callbacks, which run on the engine thread, into a
 * "status-changed" signal on the main thread.
 *
 * Coalescing: the engine may report progress ten times a second during a 10,000-record sync; the
 * controller keeps only the newest status and schedules at most one main-loop callback at a
 * time, so the UI never queues up work behind a busy sync.
 */
#pragma once

#include <gio/gio.h>
#include <sync/sync.h>

G_BEGIN_DECLS

#define FA_TYPE_SYNC_CONTROLLER (fa_sync_controller_get_type ())
G_DECLARE_FINAL_TYPE (FaSyncController, fa_sync_controller, FA, SYNC_CONTROLLER, GObject)

FaSyncController *fa_sync_controller_new (void);

/* What the engine needs. The engine copies the strings (the passphrase included: it opens its
 * own store handle), so they need not outlive the call. */
typedef struct {
  const char *store_path;
  const char *passphrase;
  const char *server_url;   /* the enrolled server (the engine reads it from the store; the
                             * controller only looks whether it is on this machine) */
  const char *ca_file;      /* or NULL */
  const char *pinned_key;   /* or NULL */
  const char *language;
} FaSyncSetup;

/* (Re)creates and starts the engine. Stops the old one first. FALSE with `error` (plain words)
 * if the engine refused the configuration. */
gboolean fa_sync_controller_configure (FaSyncController *self, const FaSyncSetup *setup, GError **error);

/* Stops the engine thread (cancelling a request in flight) and forgets the last status. */
void fa_sync_controller_shutdown (FaSyncController *self);

gboolean fa_sync_controller_is_configured (FaSyncController *self);

/* "Sync now": wakes the engine, resetting the backoff if it was waiting out a failure. */
void fa_sync_controller_sync_now (FaSyncController *self);

/* The newest status seen on the main thread. */
const sync_status_t *fa_sync_controller_get_status (FaSyncController *self);

/* What GNetworkMonitor says. */
gboolean fa_sync_controller_get_network_available (FaSyncController *self);

/* TRUE while a push or pull is running. */
gboolean fa_sync_controller_is_busy (FaSyncController *self);

G_END_DECLS
