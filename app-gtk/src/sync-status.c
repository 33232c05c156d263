/* sync-status: see sync-status.h. */
#include "sync-status.h"

#include <glib/gi18n.h>

#include "format.h"

struct _FaSyncStatus
{
  AdwBin parent_instance;

  GtkWidget *state_icon;
  GtkWidget *state_label;
  GtkWidget *detail_label;
  GtkWidget *progress;
  GtkWidget *sync_button;

  FaSyncController *controller;
  gulong handler;
  gint64 store_pending;
  gint64 store_refused;
  gint64 store_last_sync_ms;
  guint tick;                 /* refreshes "last sync 5 minutes ago" */
};

G_DEFINE_FINAL_TYPE (FaSyncStatus, fa_sync_status, ADW_TYPE_BIN)

static void
refresh (FaSyncStatus *self)
{
  const sync_status_t *st = self->controller ? fa_sync_controller_get_status (self->controller) : NULL;
  gboolean configured = self->controller && fa_sync_controller_is_configured (self->controller);
  gboolean online = self->controller && fa_sync_controller_get_network_available (self->controller);
  gboolean busy = self->controller && fa_sync_controller_is_busy (self->controller);
  g_autoptr (GString) detail = g_string_new (NULL);
  const char *icon, *state;
  gint64 pending, last;

  pending = configured && st->state != SYNC_STATE_STOPPED ? st->pending : self->store_pending;
  last = configured && st->last_success_ms > 0 ? st->last_success_ms : self->store_last_sync_ms;

  gtk_widget_remove_css_class (GTK_WIDGET (self), "failed");
  if (!configured)
    {
      icon = "network-offline-symbolic";
      state = _("Sync not set up");
    }
  else if (busy)
    {
      icon = "emblem-synchronizing-symbolic";
      state = st->state == SYNC_STATE_PULLING ? _("Receiving updates…")
              : st->state == SYNC_STATE_CONNECTING ? _("Connecting…") : _("Sending…");
    }
  else if (st->state == SYNC_STATE_ERROR)
    {
      icon = "dialog-warning-symbolic";
      state = _("Sync failed");
      gtk_widget_add_css_class (GTK_WIDGET (self), "failed");
    }
  else if (st->state == SYNC_STATE_OFFLINE || !online)
    {
      icon = "network-offline-symbolic";
      state = _("Offline");
    }
  else
    {
      icon = "network-transmit-receive-symbolic";
      state = _("Online");
    }
  gtk_image_set_from_icon_name (GTK_IMAGE (self->state_icon), icon);
  gtk_label_set_text (GTK_LABEL (self->state_label), state);

  if (pending > 0)
    g_string_append_printf (detail, ngettext ("%lld record waiting to be sent",
                                              "%lld records waiting to be sent",
                                              (gulong) pending), (long long) pending);
  else
    g_string_append (detail, _("Nothing waiting to be sent"));
  if (self->store_refused > 0)
    {
      g_string_append (detail, " · ");
      g_string_append_printf (detail, ngettext ("%lld refused by the server (see Refused)",
                                                "%lld refused by the server (see Refused)",
                                                (gulong) self->store_refused), (long long) self->store_refused);
      gtk_widget_add_css_class (GTK_WIDGET (self), "failed");
    }
  if (last > 0)
    {
      g_autofree char *when = fa_format_when (last);
      g_string_append (detail, " · ");
      /* Translators: %s is "today 10:32" or a date and time */
      g_string_append_printf (detail, _("last sync %s"), when);
    }
  else
    {
      g_string_append (detail, " · ");
      g_string_append (detail, _("never synced"));
    }
  if (configured && st->message[0] != '\0' && !busy)
    {
      g_string_append (detail, " · ");
      g_string_append (detail, st->message);
    }
  else if (!configured)
    {
      g_string_append (detail, " · ");
      g_string_append (detail, _("enrol this device in Settings"));
    }
  gtk_label_set_text (GTK_LABEL (self->detail_label), detail->str);
  gtk_widget_set_tooltip_text (self->detail_label, detail->str);

  gtk_widget_set_visible (self->progress, busy);
  if (busy)
    {
      g_autofree char *text = NULL;
      const sync_progress_t *p = &st->progress;

      if (st->state == SYNC_STATE_PUSHING && p->records_total > 0)
        {
          gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (self->progress),
                                         CLAMP ((double) p->records_done / (double) p->records_total, 0.0, 1.0));
          /* Translators: sync progress, "120 of 10000 sent" */
          text = g_strdup_printf (_("%lld of %lld sent"),
                                  (long long) p->records_done, (long long) p->records_total);
        }
      else
        {
          gtk_progress_bar_pulse (GTK_PROGRESS_BAR (self->progress));
          text = g_strdup (state);
        }
      gtk_progress_bar_set_text (GTK_PROGRESS_BAR (self->progress), text);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  detail->str, -1);
}

static gboolean
on_tick (gpointer data)
{
  refresh (data);
  return G_SOURCE_CONTINUE;
}

void
fa_sync_status_bind (FaSyncStatus *self, FaSyncController *controller)
{
  if (self->controller != NULL)
    {
      g_clear_signal_handler (&self->handler, self->controller);
      g_clear_object (&self->controller);
    }
  if (controller != NULL)
    {
      self->controller = g_object_ref (controller);
      self->handler = g_signal_connect_swapped (controller, "status-changed", G_CALLBACK (refresh), self);
    }
  refresh (self);
}

void
fa_sync_status_set_store_stats (FaSyncStatus *self, gint64 pending, gint64 refused, gint64 last_sync_ms)
{
  self->store_pending = pending;
  self->store_refused = refused;
  self->store_last_sync_ms = last_sync_ms;
  refresh (self);
}

static void
fa_sync_status_dispose (GObject *object)
{
  FaSyncStatus *self = FA_SYNC_STATUS (object);

  g_clear_handle_id (&self->tick, g_source_remove);
  fa_sync_status_bind (self, NULL);
  G_OBJECT_CLASS (fa_sync_status_parent_class)->dispose (object);
}

static void
fa_sync_status_class_init (FaSyncStatusClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = fa_sync_status_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/id/libsync/FieldApp/ui/sync-status.ui");
  gtk_widget_class_bind_template_child (widget_class, FaSyncStatus, state_icon);
  gtk_widget_class_bind_template_child (widget_class, FaSyncStatus, state_label);
  gtk_widget_class_bind_template_child (widget_class, FaSyncStatus, detail_label);
  gtk_widget_class_bind_template_child (widget_class, FaSyncStatus, progress);
  gtk_widget_class_bind_template_child (widget_class, FaSyncStatus, sync_button);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_STATUS);
}

static void
fa_sync_status_init (FaSyncStatus *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->tick = g_timeout_add_seconds (30, on_tick, self);
}
