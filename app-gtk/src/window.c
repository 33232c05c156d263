/* window: see window.h. */
#include "window.h"

#include <glib/gi18n.h>

#include "receipt-page.h"
#include "record-item.h"
#include "sync-banner.h"
#include "sync-status.h"
#include "unlock-page.h"

struct _FaWindow
{
  AdwApplicationWindow parent_instance;

  GtkWidget *header;
  GtkWidget *back_button;
  GtkWidget *window_title;
  GtkWidget *new_button;
  GtkWidget *toast_overlay;
  GtkWidget *stack;
  GtkWidget *records_page;
  GtkWidget *form_page;
  GtkWidget *conflict_page;
  GtkWidget *settings_page;
  GtkWidget *unlock_page;
  GtkWidget *receipt_page;
  GtkWidget *sync_banner;
  GtkWidget *sync_separator;
  GtkWidget *sync_status;

  FaApp *app;
  GPtrArray *toasts;          /* shown or queued, until dismissed (not owned) */
  gulong records_handler;
  gulong lock_handler;
  gulong locking_handler;
  gboolean records_stale;
  guint stats_source;
  gint64 refused;             /* records the server refused, as last counted (-1: not yet) */
};

G_DEFINE_FINAL_TYPE (FaWindow, fa_window, ADW_TYPE_APPLICATION_WINDOW)

static void update_actions (FaWindow *self);

/* A toast the overlay freed (shown and timed out, or dismissed) leaves the list. */
static void
toast_gone (gpointer data, GObject *toast)
{
  FaWindow *self = data;

  g_ptr_array_remove (self->toasts, toast);
}

static void
add_toast (FaWindow *self, AdwToast *toast)
{
  g_ptr_array_add (self->toasts, toast);
  g_object_weak_ref (G_OBJECT (toast), toast_gone, self);
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (self->toast_overlay), toast);
}

void
fa_window_toast (FaWindow *self, const char *message)
{
  AdwToast *toast = adw_toast_new (message);

  adw_toast_set_timeout (toast, 4);
  add_toast (self, toast);
}

void
fa_window_dismiss_toasts (FaWindow *self)
{
  /* each once: libadwaita must not be asked to dismiss a toast twice */
  while (self->toasts->len > 0)
    {
      AdwToast *toast = g_ptr_array_steal_index (self->toasts, self->toasts->len - 1);
      g_object_weak_unref (G_OBJECT (toast), toast_gone, self);
      adw_toast_dismiss (toast);
    }
}

const char *
fa_window_get_page (FaWindow *self)
{
  return gtk_stack_get_visible_child_name (GTK_STACK (self->stack));
}

FaFormPage *
fa_window_get_form_page (FaWindow *self)
{
  return FA_FORM_PAGE (self->form_page);
}

FaRecordsPage *
fa_window_get_records_page (FaWindow *self)
{
  return FA_RECORDS_PAGE (self->records_page);
}

static void
update_titles (FaWindow *self)
{
  const char *page = fa_window_get_page (self);
  FaSettings *s = fa_app_get_settings (self->app);
  g_autofree char *subtitle = NULL;

  if (g_strcmp0 (page, "form") == 0 && fa_form_page_is_open (FA_FORM_PAGE (self->form_page)))
    {
      FaFormPage *form = FA_FORM_PAGE (self->form_page);
      adw_window_title_set_title (ADW_WINDOW_TITLE (self->window_title), fa_form_page_get_title (form));
      adw_window_title_set_subtitle (ADW_WINDOW_TITLE (self->window_title),
                                     fa_form_page_is_correcting (form) ? _("Correcting a refused record")
                                     : fa_form_page_is_read_only (form) ? _("Finalized record (read-only)")
                                     : fa_form_page_get_uuid (form) ? _("Draft, saved as you type")
                                                                    : _("New record"));
      return;
    }
  adw_window_title_set_title (ADW_WINDOW_TITLE (self->window_title),
                              g_strcmp0 (page, "settings") == 0 ? _("Settings")
                              : g_strcmp0 (page, "conflict") == 0 ? _("Review differences")
                              : g_strcmp0 (page, "receipt") == 0 ? _("Proof of delivery")
                                                                 : _("TPPO Screening"));
  if (!fa_app_is_unlocked (self->app))
    {
      /* nothing about the officer or the records before the passphrase */
      adw_window_title_set_subtitle (ADW_WINDOW_TITLE (self->window_title), "");
      return;
    }
  if (s->officer_name && s->officer_unit)
    subtitle = g_strdup_printf ("%s · %s", s->officer_name, s->officer_unit);
  else if (s->officer_name || s->officer_unit)
    subtitle = g_strdup (s->officer_name ? s->officer_name : s->officer_unit);
  adw_window_title_set_subtitle (ADW_WINDOW_TITLE (self->window_title), subtitle ? subtitle : "");
}

/* A toast with a button that runs `action` (a win.* action). */
static void
toast_with_action (FaWindow *self, const char *message, const char *button, const char *action)
{
  AdwToast *toast = adw_toast_new (message);

  adw_toast_set_timeout (toast, 0);   /* stays until dismissed: a refusal needs the officer */
  adw_toast_set_button_label (toast, button);
  adw_toast_set_action_name (toast, action);
  add_toast (self, toast);
}

static gboolean
refresh_stats (gpointer data)
{
  FaWindow *self = data;
  sync_store_t *store = fa_app_get_store (self->app);
  sync_store_stats_t stats;

  self->stats_source = 0;
  if (store == NULL || sync_store_stats (store, &stats) != SYNC_OK)
    return G_SOURCE_REMOVE;
  fa_sync_status_set_store_stats (FA_SYNC_STATUS (self->sync_status), stats.outbox_pending,
                                  stats.outbox_refused, stats.last_sync_ms);
  /* a refusal that came back from the server is announced once, with the way to it */
  if (self->refused >= 0 && stats.outbox_refused > self->refused)
    {
      g_autofree char *text = g_strdup_printf (ngettext ("The central server refused %lld record. See why under Refused.",
                                                         "The central server refused %lld records. See why under Refused.",
                                                         (gulong) (stats.outbox_refused - self->refused)),
                                               (long long) (stats.outbox_refused - self->refused));
      toast_with_action (self, text, _("_Show"), "win.show-refused");
    }
  self->refused = stats.outbox_refused;
  return G_SOURCE_REMOVE;
}

static void
reload_records (FaWindow *self)
{
  self->records_stale = FALSE;
  fa_records_page_reload (FA_RECORDS_PAGE (self->records_page), fa_app_get_reader (self->app));
}

static void
on_records_changed (FaApp *app, FaWindow *self)
{
  if (g_strcmp0 (fa_window_get_page (self), "records") == 0)
    reload_records (self);
  else
    self->records_stale = TRUE;
  if (self->stats_source == 0)
    self->stats_source = g_timeout_add (250, refresh_stats, self);
}

static void
show_page (FaWindow *self, const char *name)
{
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), name);
  if (g_strcmp0 (name, "records") == 0 && self->records_stale)
    reload_records (self);
  update_titles (self);
  update_actions (self);
}

static void
show_records (FaWindow *self)
{
  if (fa_form_page_is_open (FA_FORM_PAGE (self->form_page)))
    fa_form_page_close (FA_FORM_PAGE (self->form_page));
  self->records_stale = TRUE;
  show_page (self, "records");
}

/* ---- opening records ----------------------------------------------------------------------- */

static void
open_record (FaWindow *self, const char *uuid, int group)
{
  g_autoptr (GError) error = NULL;

  if (group == FA_GROUP_CONFLICT)
    {
      if (!fa_conflict_page_open (FA_CONFLICT_PAGE (self->conflict_page), self->app, uuid, &error))
        fa_window_toast (self, error->message);
      else
        show_page (self, "conflict");
      return;
    }
  if (!fa_form_page_open_record (FA_FORM_PAGE (self->form_page), self->app, uuid, &error))
    {
      fa_window_toast (self, error->message);
      return;
    }
  show_page (self, "form");
}

static void
on_record_activated (FaRecordsPage *page, const char *uuid, int group, FaWindow *self)
{
  open_record (self, uuid, group);
}

static void
on_show_receipt (FaFormPage *form, const char *uuid, FaWindow *self)
{
  g_autoptr (GError) error = NULL;

  if (!fa_receipt_page_open (FA_RECEIPT_PAGE (self->receipt_page), self->app, uuid, &error))
    {
      fa_window_toast (self, error->message);
      return;
    }
  fa_form_page_close (FA_FORM_PAGE (self->form_page));
  show_page (self, "receipt");
}

static void
on_form_finished (FaWindow *self)
{
  show_records (self);
}

static void
on_conflicts_resolved (FaWindow *self)
{
  fa_window_toast (self, _("All differences reviewed. The record will be sent at the next sync."));
  show_records (self);
}

static void
on_page_message (GtkWidget *page, const char *message, FaWindow *self)
{
  fa_window_toast (self, message);
}

static void
on_settings_saved (FaWindow *self)
{
  if (!fa_app_is_unlocked (self->app))
    return;   /* another store was chosen: the unlock page is up */
  fa_window_toast (self, _("Settings saved."));
  refresh_stats (self);
  show_records (self);
}

/* ---- locking ------------------------------------------------------------------------------- */

static gboolean offer_resume_idle (gpointer data);

static void
show_unlocked (FaWindow *self)
{
  FaSettings *s = fa_app_get_settings (self->app);

  refresh_stats (self);
  if (!s->setup_done)
    {
      fa_settings_page_load (FA_SETTINGS_PAGE (self->settings_page), self->app, TRUE);
      show_page (self, "settings");
      return;
    }
  show_records (self);
  if (s->open_draft != NULL)
    g_idle_add_full (G_PRIORITY_LOW, offer_resume_idle, g_object_ref (self), g_object_unref);
}

static void
on_lock_changed (FaApp *app, FaWindow *self)
{
  gboolean unlocked = fa_app_is_unlocked (app);

  gtk_widget_set_visible (self->sync_status, unlocked);
  gtk_widget_set_visible (self->sync_separator, unlocked);
  if (unlocked)
    {
      show_unlocked (self);
      return;
    }
  fa_unlock_page_load (FA_UNLOCK_PAGE (self->unlock_page), app);
  show_page (self, "unlock");
}

/* The store is about to close (lock, wipe, another store): the open draft is saved while it
 * still can be, and nothing of the store stays on screen or in the pages. */
static void
on_locking (FaApp *app, FaWindow *self)
{
  fa_form_page_close (FA_FORM_PAGE (self->form_page));
  fa_conflict_page_clear (FA_CONFLICT_PAGE (self->conflict_page));
  fa_receipt_page_clear (FA_RECEIPT_PAGE (self->receipt_page));
  fa_records_page_clear (FA_RECORDS_PAGE (self->records_page));
  fa_window_dismiss_toasts (self);
  self->refused = -1;
}

/* ---- actions ------------------------------------------------------------------------------- */

gboolean
fa_window_new_record (FaWindow *self, const char *form_id, GError **error)
{
  if (form_id == NULL)
    form_id = fa_app_get_default_form_id (self->app);
  if (form_id == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           _("No form is available on this device yet. Sync to receive one."));
      return FALSE;
    }
  if (!fa_form_page_open_new (FA_FORM_PAGE (self->form_page), self->app, form_id, error))
    return FALSE;
  show_page (self, "form");
  return TRUE;
}

static void
win_new_record (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FaWindow *self = user_data;
  g_autoptr (GError) error = NULL;

  if (!fa_window_new_record (self, NULL, &error))
    fa_window_toast (self, error->message);
}

static void
win_sync_now (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FaWindow *self = user_data;
  FaSyncController *sync = fa_app_get_sync (self->app);

  if (!fa_sync_controller_is_configured (sync))
    {
      fa_window_toast (self, _("Sync is not set up: enrol this device in Settings."));
      gtk_widget_activate_action (GTK_WIDGET (self), "win.settings", NULL);
      return;
    }
  /* an open draft is saved first, so the officer never wonders whether it "went" */
  fa_form_page_save_now (FA_FORM_PAGE (self->form_page));
  fa_sync_controller_sync_now (sync);
}

static void
win_search (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FaWindow *self = user_data;

  if (g_strcmp0 (fa_window_get_page (self), "records") != 0)
    show_records (self);
  fa_records_page_focus_search (FA_RECORDS_PAGE (self->records_page));
}

static void
win_settings (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FaWindow *self = user_data;

  if (fa_form_page_is_open (FA_FORM_PAGE (self->form_page)))
    fa_form_page_close (FA_FORM_PAGE (self->form_page));
  fa_settings_page_load (FA_SETTINGS_PAGE (self->settings_page), self->app,
                         !fa_app_get_settings (self->app)->setup_done);
  show_page (self, "settings");
}

static void
win_lock (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FaWindow *self = user_data;

  fa_app_lock (self->app);   /* "locking" saves the open draft first */
}

static void
win_show_records (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  show_records (user_data);
}

static void
win_show_refused (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FaWindow *self = user_data;

  fa_window_dismiss_toasts (self);
  show_records (self);
  fa_records_page_show_group (FA_RECORDS_PAGE (self->records_page), FA_GROUP_REFUSED);
}

static void
win_previous_page (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FaWindow *self = user_data;
  fa_form_page_previous (FA_FORM_PAGE (self->form_page));
}

static void
win_next_page (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FaWindow *self = user_data;
  fa_form_page_next (FA_FORM_PAGE (self->form_page));
}

static void
win_review (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FaWindow *self = user_data;
  fa_form_page_show_review (FA_FORM_PAGE (self->form_page));
}

static void
win_finalize (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  FaWindow *self = user_data;
  fa_form_page_finalize (FA_FORM_PAGE (self->form_page));
}

static const GActionEntry WIN_ACTIONS[] = {
  { "new-record", win_new_record, NULL, NULL, NULL, { 0 } },
  { "sync-now", win_sync_now, NULL, NULL, NULL, { 0 } },
  { "search", win_search, NULL, NULL, NULL, { 0 } },
  { "settings", win_settings, NULL, NULL, NULL, { 0 } },
  { "lock", win_lock, NULL, NULL, NULL, { 0 } },
  { "show-records", win_show_records, NULL, NULL, NULL, { 0 } },
  { "show-refused", win_show_refused, NULL, NULL, NULL, { 0 } },
  { "previous-page", win_previous_page, NULL, NULL, NULL, { 0 } },
  { "next-page", win_next_page, NULL, NULL, NULL, { 0 } },
  { "review", win_review, NULL, NULL, NULL, { 0 } },
  { "finalize", win_finalize, NULL, NULL, NULL, { 0 } },
};

static void
set_enabled (FaWindow *self, const char *name, gboolean enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

static void
update_actions (FaWindow *self)
{
  const char *page = fa_window_get_page (self);
  FaFormPage *form = FA_FORM_PAGE (self->form_page);
  gboolean ready, in_form, first_run;

  if (self->app == NULL)
    return;   /* still being built */
  ready = fa_app_is_unlocked (self->app);
  in_form = g_strcmp0 (page, "form") == 0 && fa_form_page_is_open (form);
  first_run = !fa_app_get_settings (self->app)->setup_done;

  set_enabled (self, "new-record", ready);
  set_enabled (self, "search", ready);
  set_enabled (self, "show-records", ready && g_strcmp0 (page, "records") != 0);
  set_enabled (self, "show-refused", ready);
  set_enabled (self, "previous-page", in_form && fa_form_page_can_go_previous (form));
  set_enabled (self, "next-page", in_form && fa_form_page_can_go_next (form));
  set_enabled (self, "review", in_form && !fa_form_page_is_reviewing (form));
  set_enabled (self, "finalize", in_form && !fa_form_page_is_read_only (form));
  set_enabled (self, "settings", ready && (!first_run || g_strcmp0 (page, "settings") != 0));
  set_enabled (self, "lock", ready);
  set_enabled (self, "sync-now", ready);
  gtk_widget_set_visible (self->back_button, ready && g_strcmp0 (page, "records") != 0);
  gtk_widget_set_visible (self->new_button, ready && g_strcmp0 (page, "records") == 0);
  update_titles (self);
}

/* ---- restart after a crash or a close mid-form --------------------------------------------- */

static void
on_resume_response (AdwMessageDialog *dialog, const char *response, FaWindow *self)
{
  FaSettings *s = fa_app_get_settings (self->app);
  g_autofree char *uuid = g_strdup (s->open_draft);

  if (g_strcmp0 (response, "continue") == 0 && uuid != NULL)
    open_record (self, uuid, FA_GROUP_DRAFT);
  else
    fa_app_set_open_draft (self->app, NULL);
}

static void
offer_resume (FaWindow *self)
{
  FaSettings *s = fa_app_get_settings (self->app);
  sync_store_t *store = fa_app_get_store (self->app);
  sync_record_t *rec = NULL;
  GtkWidget *dialog;
  gboolean draft;

  if (s->open_draft == NULL || store == NULL)
    return;
  if (sync_record_get (store, s->open_draft, &rec) != SYNC_OK)
    {
      fa_app_set_open_draft (self->app, NULL);
      return;
    }
  draft = sync_record_status (rec) == SYNC_STATUS_DRAFT && !sync_record_deleted (rec);
  sync_record_free (rec);
  if (!draft)
    {
      fa_app_set_open_draft (self->app, NULL);
      return;
    }
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Continue the unfinished interview?"),
                                   _("The app was closed while a record was being filled in. Every answer "
                                     "up to the last automatic save is kept as a draft."));
  gtk_widget_set_name (dialog, "resume-dialog");
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "later", _("_Later"),
                                    "continue", _("_Continue"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "continue", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "continue");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "later");
  g_signal_connect (dialog, "response", G_CALLBACK (on_resume_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static gboolean
offer_resume_idle (gpointer data)
{
  offer_resume (data);
  return G_SOURCE_REMOVE;
}

/* ---- class --------------------------------------------------------------------------------- */

static gboolean
fa_window_close_request (GtkWindow *window)
{
  FaWindow *self = FA_WINDOW (window);

  /* Save, but keep the draft marked open: the next start offers to continue it. */
  fa_form_page_save_now (FA_FORM_PAGE (self->form_page));
  return GTK_WINDOW_CLASS (fa_window_parent_class)->close_request (window);
}

static void
fa_window_dispose (GObject *object)
{
  FaWindow *self = FA_WINDOW (object);

  g_clear_handle_id (&self->stats_source, g_source_remove);
  if (self->toasts != NULL)
    {
      for (guint i = 0; i < self->toasts->len; i++)
        g_object_weak_unref (g_ptr_array_index (self->toasts, i), toast_gone, self);
      g_clear_pointer (&self->toasts, g_ptr_array_unref);
    }
  if (self->app != NULL)
    {
      g_clear_signal_handler (&self->records_handler, self->app);
      g_clear_signal_handler (&self->lock_handler, self->app);
      g_clear_signal_handler (&self->locking_handler, self->app);
    }
  G_OBJECT_CLASS (fa_window_parent_class)->dispose (object);
}

static void
fa_window_class_init (FaWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = fa_window_dispose;
  GTK_WINDOW_CLASS (klass)->close_request = fa_window_close_request;

  g_type_ensure (FA_TYPE_RECORDS_PAGE);
  g_type_ensure (FA_TYPE_FORM_PAGE);
  g_type_ensure (FA_TYPE_CONFLICT_PAGE);
  g_type_ensure (FA_TYPE_SETTINGS_PAGE);
  g_type_ensure (FA_TYPE_SYNC_STATUS);
  g_type_ensure (FA_TYPE_SYNC_BANNER);
  g_type_ensure (FA_TYPE_UNLOCK_PAGE);
  g_type_ensure (FA_TYPE_RECEIPT_PAGE);
  gtk_widget_class_set_template_from_resource (widget_class, "/id/libsync/FieldApp/ui/window.ui");
  gtk_widget_class_bind_template_child (widget_class, FaWindow, header);
  gtk_widget_class_bind_template_child (widget_class, FaWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, FaWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, FaWindow, new_button);
  gtk_widget_class_bind_template_child_full (widget_class, "toasts", FALSE,
                                             G_STRUCT_OFFSET (FaWindow, toast_overlay));
  gtk_widget_class_bind_template_child (widget_class, FaWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, FaWindow, records_page);
  gtk_widget_class_bind_template_child (widget_class, FaWindow, form_page);
  gtk_widget_class_bind_template_child (widget_class, FaWindow, conflict_page);
  gtk_widget_class_bind_template_child (widget_class, FaWindow, settings_page);
  gtk_widget_class_bind_template_child (widget_class, FaWindow, unlock_page);
  gtk_widget_class_bind_template_child (widget_class, FaWindow, receipt_page);
  gtk_widget_class_bind_template_child (widget_class, FaWindow, sync_banner);
  gtk_widget_class_bind_template_child (widget_class, FaWindow, sync_separator);
  gtk_widget_class_bind_template_child (widget_class, FaWindow, sync_status);
  gtk_widget_class_bind_template_callback (widget_class, on_record_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_form_finished);
  gtk_widget_class_bind_template_callback (widget_class, on_show_receipt);
  gtk_widget_class_bind_template_callback (widget_class, on_conflicts_resolved);
  gtk_widget_class_bind_template_callback (widget_class, on_page_message);
  gtk_widget_class_bind_template_callback (widget_class, on_settings_saved);
  gtk_widget_class_bind_template_callback (widget_class, update_actions);
}

static void
fa_window_init (FaWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->toasts = g_ptr_array_new ();
  self->refused = -1;
  g_action_map_add_action_entries (G_ACTION_MAP (self), WIN_ACTIONS, G_N_ELEMENTS (WIN_ACTIONS), self);
}

FaWindow *
fa_window_new (FaApp *app)
{
  FaWindow *self = g_object_new (FA_TYPE_WINDOW, "application", app, NULL);

  self->app = app;
  self->records_handler = g_signal_connect (app, "records-changed", G_CALLBACK (on_records_changed), self);
  self->lock_handler = g_signal_connect (app, "lock-changed", G_CALLBACK (on_lock_changed), self);
  self->locking_handler = g_signal_connect (app, "locking", G_CALLBACK (on_locking), self);
  fa_sync_status_bind (FA_SYNC_STATUS (self->sync_status), fa_app_get_sync (app));
  fa_sync_banner_bind (FA_SYNC_BANNER (self->sync_banner), app);
  on_lock_changed (app, self);
  return self;
}
