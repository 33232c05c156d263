/* sync-controller: see sync-controller.h. */
#include "sync-controller.h"

#include <glib/gi18n.h>
#include <string.h>

struct _FaSyncController
{
  GObject parent_instance;

  sync_engine_t *engine;
  GNetworkMonitor *monitor;
  gulong monitor_handler;
  gboolean network_available;
  gboolean loopback_server;     /* a 127.0.0.1 server is reachable without any network */

  sync_status_t status;         /* main thread's copy */

  /* Written by the engine thread, read by the main thread. */
  GMutex lock;
  sync_status_t incoming;
  guint incoming_generation;    /* of the engine that wrote `incoming` */
  gboolean delivery_scheduled;
  guint generation;             /* bumped when an engine is gone: its reports are dropped */
};

G_DEFINE_FINAL_TYPE (FaSyncController, fa_sync_controller, G_TYPE_OBJECT)

enum { STATUS_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* The newest report reaches the main thread if the engine that wrote it is still the current
 * one, even when the delivery was scheduled by an engine that has gone since (a restart while a
 * delivery was pending must not lose the new engine's reports). */
static gboolean
deliver_status (gpointer data)
{
  FaSyncController *self = data;
  gboolean fresh;

  g_mutex_lock (&self->lock);
  fresh = self->incoming_generation == self->generation;
  if (fresh)
    self->status = self->incoming;
  self->delivery_scheduled = FALSE;
  g_mutex_unlock (&self->lock);

  if (fresh)
    g_signal_emit (self, signals[STATUS_CHANGED], 0);
  return G_SOURCE_REMOVE;
}

/* Runs on the engine's thread: copy, and hand over to the main loop at most once at a time. */
static void
on_engine_status (const sync_status_t *status, void *user_data)
{
  FaSyncController *self = user_data;
  gboolean schedule = FALSE;

  g_mutex_lock (&self->lock);
  self->incoming = *status;
  self->incoming_generation = self->generation;
  if (!self->delivery_scheduled)
    {
      self->delivery_scheduled = TRUE;
      schedule = TRUE;
    }
  g_mutex_unlock (&self->lock);

  if (schedule)
    g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, deliver_status, g_object_ref (self),
                                g_object_unref);
}

static void
on_network_changed (GNetworkMonitor *monitor, gboolean available, gpointer user_data)
{
  FaSyncController *self = user_data;

  if (available == self->network_available)
    return;
  self->network_available = available;
  /* A loopback server (development, tests) does not care about the outside network. */
  if (self->engine != NULL && !self->loopback_server)
    sync_engine_network_changed (self->engine, available);
  g_signal_emit (self, signals[STATUS_CHANGED], 0);
}

static void
stop_engine (FaSyncController *self)
{
  sync_engine_t *engine = self->engine;

  if (engine == NULL)
    return;
  self->engine = NULL;
  /* sync_engine_free stops the thread: it cancels the request in flight, so this is quick. Its
   * last reports (STOPPED among them, on this thread) still belong to the old generation. */
  sync_engine_free (engine);
  g_mutex_lock (&self->lock);
  self->generation++;
  g_mutex_unlock (&self->lock);
}

static void
fa_sync_controller_dispose (GObject *object)
{
  FaSyncController *self = FA_SYNC_CONTROLLER (object);

  stop_engine (self);
  if (self->monitor != NULL)
    {
      g_clear_signal_handler (&self->monitor_handler, self->monitor);
      self->monitor = NULL;  /* the default monitor is a singleton we do not own */
    }
  G_OBJECT_CLASS (fa_sync_controller_parent_class)->dispose (object);
}

static void
fa_sync_controller_finalize (GObject *object)
{
  FaSyncController *self = FA_SYNC_CONTROLLER (object);

  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (fa_sync_controller_parent_class)->finalize (object);
}

static void
fa_sync_controller_class_init (FaSyncControllerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fa_sync_controller_dispose;
  object_class->finalize = fa_sync_controller_finalize;

  signals[STATUS_CHANGED] = g_signal_new ("status-changed", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
fa_sync_controller_init (FaSyncController *self)
{
  g_mutex_init (&self->lock);
  self->status.state = SYNC_STATE_STOPPED;
  self->monitor = g_network_monitor_get_default ();
  self->network_available = g_network_monitor_get_network_available (self->monitor);
  self->monitor_handler = g_signal_connect (self->monitor, "network-changed",
                                            G_CALLBACK (on_network_changed), self);
}

FaSyncController *
fa_sync_controller_new (void)
{
  return g_object_new (FA_TYPE_SYNC_CONTROLLER, NULL);
}

static gboolean
is_loopback_url (const char *url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *host = uri ? g_uri_get_host (uri) : NULL;

  return host != NULL && (strcmp (host, "127.0.0.1") == 0 || strcmp (host, "localhost") == 0
                          || strcmp (host, "::1") == 0);
}

static void
reset_status (FaSyncController *self)
{
  memset (&self->status, 0, sizeof self->status);
  self->status.state = SYNC_STATE_STOPPED;
}

gboolean
fa_sync_controller_configure (FaSyncController *self, const FaSyncSetup *setup, GError **error)
{
  sync_engine_config_t config;
  sync_engine_t *engine = NULL;
  char errbuf[256] = "";
  sync_err_t err;

  g_return_val_if_fail (FA_IS_SYNC_CONTROLLER (self), FALSE);

  stop_engine (self);
  reset_status (self);

  sync_engine_config_init (&config);
  config.store_path = setup->store_path;
  config.store_passphrase = setup->passphrase;
  config.server_url = NULL;     /* the enrolled server */
  config.ca_file = setup->ca_file;
  config.pinned_pubkey = setup->pinned_key;
  config.allow_plain_http_loopback = 1;
  config.language = setup->language;
  config.on_status = on_engine_status;
  config.user_data = self;
  self->loopback_server = setup->server_url != NULL && is_loopback_url (setup->server_url);

  err = sync_engine_new (&config, &engine, errbuf, sizeof errbuf);
  if (err != SYNC_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s",
                   errbuf[0] ? errbuf : sync_strerror (err));
      g_signal_emit (self, signals[STATUS_CHANGED], 0);
      return FALSE;
    }
  self->engine = engine;
  sync_engine_status (engine, &self->status);
  err = sync_engine_start (engine);
  if (err != SYNC_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", sync_strerror (err));
      stop_engine (self);
      return FALSE;
    }
  if (!self->network_available && !self->loopback_server)
    sync_engine_network_changed (engine, 0);
  g_signal_emit (self, signals[STATUS_CHANGED], 0);
  return TRUE;
}

void
fa_sync_controller_shutdown (FaSyncController *self)
{
  g_return_if_fail (FA_IS_SYNC_CONTROLLER (self));
  stop_engine (self);
  reset_status (self);
  g_signal_emit (self, signals[STATUS_CHANGED], 0);
}

gboolean
fa_sync_controller_is_configured (FaSyncController *self)
{
  return self->engine != NULL;
}

void
fa_sync_controller_sync_now (FaSyncController *self)
{
  g_return_if_fail (FA_IS_SYNC_CONTROLLER (self));
  if (self->engine == NULL)
    return;
  /* network_changed(online) also resets the backoff: the officer asked for it now. */
  if (self->status.state == SYNC_STATE_OFFLINE || self->status.state == SYNC_STATE_ERROR)
    sync_engine_network_changed (self->engine, 1);
  sync_engine_wake (self->engine);
}

const sync_status_t *
fa_sync_controller_get_status (FaSyncController *self)
{
  return &self->status;
}

gboolean
fa_sync_controller_get_network_available (FaSyncController *self)
{
  return self->network_available || self->loopback_server;
}

gboolean
fa_sync_controller_is_busy (FaSyncController *self)
{
  return self->status.state == SYNC_STATE_CONNECTING || self->status.state == SYNC_STATE_PUSHING
         || self->status.state == SYNC_STATE_PULLING;
}
