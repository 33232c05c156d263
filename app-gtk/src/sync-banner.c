/* sync-banner: see sync-banner.h. */
#include "sync-banner.h"

#include <cjson/cJSON.h>
#include <glib/gi18n.h>

/* A new code needs the administrator, who may be days away: warn a month ahead. */
#define EXPIRY_WARNING_DAYS 30

struct _FaSyncBanner
{
  AdwBin parent_instance;

  GtkWidget *revealer;
  GtkWidget *label;
  GtkWidget *button;

  FaApp *app;                 /* not owned: the app outlives its windows */
  gulong status_handler;
  gulong lock_handler;
};

G_DEFINE_FINAL_TYPE (FaSyncBanner, fa_sync_banner, ADW_TYPE_BIN)

/* Whole days, rounded up, until the enrolled credential expires (0: expired), or G_MAXINT when
 * the enrollment states no expiry. */
static int
credential_days_left (const char *enrollment_json)
{
  cJSON *e = cJSON_Parse (enrollment_json);
  const cJSON *at = cJSON_GetObjectItemCaseSensitive (e, "credential_expires_at");
  int days = G_MAXINT;

  if (cJSON_IsNumber (at) && at->valuedouble > 0)
    {
      double left = (at->valuedouble - (double) (g_get_real_time () / 1000)) / 86400000.0;
      left = CLAMP (left, 0.0, 100000.0);
      days = (int) left + (left > (int) left);
    }
  cJSON_Delete (e);
  return days;
}

/* The words for what blocks sync or soon will, or NULL when nothing the officer must act on
 * does. Caller frees. */
static char *
blocking_message (FaApp *app)
{
  const sync_status_t *st = fa_sync_controller_get_status (fa_app_get_sync (app));
  const char *enrollment = fa_app_get_enrollment_json (app);
  int days;

  if (!fa_app_is_unlocked (app))
    return NULL;
  if (enrollment == NULL)
    return g_strdup (_("This device is not enrolled with the central server yet: records stay on the device "
                       "until it is. Enrol it in Settings with the code from the administrator."));
  if (st->state == SYNC_STATE_ERROR && st->last_error == SYNC_ERR_REVOKED)
    return g_strdup (_("This device was revoked by the central office. Records not yet sent stay on this "
                       "device; contact the administrator."));
  if (st->state == SYNC_STATE_ERROR && st->last_error == SYNC_ERR_AUTH)
    return g_strdup (_("The central server no longer accepts this device's credential (refused or expired). "
                       "Enrol the device again in Settings with a new code from the administrator."));
  days = credential_days_left (enrollment);
  if (days <= 0)
    return g_strdup (_("This device's credential has expired: the central server will refuse it. Enrol the "
                       "device again in Settings with a new code from the administrator."));
  if (days <= EXPIRY_WARNING_DAYS)
    return g_strdup_printf (ngettext ("This device's credential expires in %d day. Ask the administrator for "
                                      "a new code and enrol again in Settings before then.",
                                      "This device's credential expires in %d days. Ask the administrator for "
                                      "a new code and enrol again in Settings before then.", days),
                            days);
  return NULL;
}

static void
refresh (FaSyncBanner *self)
{
  g_autofree char *message = self->app ? blocking_message (self->app) : NULL;

  if (message != NULL)
    gtk_label_set_text (GTK_LABEL (self->label), message);
  gtk_revealer_set_reveal_child (GTK_REVEALER (self->revealer), message != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self), message != NULL);
}

const char *
fa_sync_banner_get_message (FaSyncBanner *self)
{
  return gtk_widget_get_visible (GTK_WIDGET (self)) ? gtk_label_get_text (GTK_LABEL (self->label)) : NULL;
}

static void
unbind (FaSyncBanner *self)
{
  if (self->app == NULL)
    return;
  g_clear_signal_handler (&self->status_handler, fa_app_get_sync (self->app));
  g_clear_signal_handler (&self->lock_handler, self->app);
  self->app = NULL;
}

void
fa_sync_banner_bind (FaSyncBanner *self, FaApp *app)
{
  unbind (self);
  self->app = app;
  self->status_handler = g_signal_connect_swapped (fa_app_get_sync (app), "status-changed",
                                                   G_CALLBACK (refresh), self);
  self->lock_handler = g_signal_connect_swapped (app, "lock-changed", G_CALLBACK (refresh), self);
  refresh (self);
}

static void
fa_sync_banner_dispose (GObject *object)
{
  unbind (FA_SYNC_BANNER (object));
  G_OBJECT_CLASS (fa_sync_banner_parent_class)->dispose (object);
}

static void
fa_sync_banner_class_init (FaSyncBannerClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = fa_sync_banner_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/id/libsync/FieldApp/ui/sync-banner.ui");
  gtk_widget_class_bind_template_child (widget_class, FaSyncBanner, revealer);
  gtk_widget_class_bind_template_child (widget_class, FaSyncBanner, label);
  gtk_widget_class_bind_template_child (widget_class, FaSyncBanner, button);
}

static void
fa_sync_banner_init (FaSyncBanner *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}
