/* conflict-page: see conflict-page.h. */
#include "conflict-page.h"

#include <glib/gi18n.h>

struct _FaConflictPage
{
  AdwBin parent_instance;

  GtkWidget *heading;
  GtkWidget *grid;
  GtkWidget *done_label;

  FaApp *app;
  char *uuid;
  const FaForm *form;
  guint n_open;
};

G_DEFINE_FINAL_TYPE (FaConflictPage, fa_conflict_page, ADW_TYPE_BIN)

enum { RESOLVED, MESSAGE, N_SIGNALS };
static guint signals[N_SIGNALS];

static void reload (FaConflictPage *self);

static void
on_choice (GtkButton *button, FaConflictPage *self)
{
  sync_store_t *store = fa_app_get_store (self->app);
  gint64 id = *(gint64 *) g_object_get_data (G_OBJECT (button), "conflict-id");
  sync_conflict_choice_t choice = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "choice"));
  sync_err_t err;

  if (store == NULL)
    return;
  err = sync_conflict_resolve (store, id, choice);
  if (err != SYNC_OK)
    {
      g_autofree char *msg = g_strdup_printf (_("The choice was not saved: %s"), sync_store_errmsg (store));
      g_signal_emit (self, signals[MESSAGE], 0, msg);
    }
  else
    {
      fa_app_notify_records_changed (self->app);
      if (choice == SYNC_CONFLICT_TAKE_LOSER)
        fa_sync_controller_sync_now (fa_app_get_sync (self->app));
    }
  reload (self);
  if (self->n_open == 0)
    g_signal_emit (self, signals[RESOLVED], 0);
}

static GtkWidget *
value_card (const char *title, const char *value, gboolean current)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *t = g_object_new (GTK_TYPE_LABEL, "label", title, "xalign", 0.0f, NULL);
  GtkWidget *v = g_object_new (GTK_TYPE_LABEL, "label", *value ? value : _("(no answer)"),
                               "xalign", 0.0f, "wrap", TRUE, NULL);

  gtk_widget_add_css_class (box, "card");
  gtk_widget_add_css_class (box, "conflict-value");
  if (current)
    gtk_widget_add_css_class (box, "current");
  gtk_widget_add_css_class (t, "caption-heading");
  gtk_box_append (GTK_BOX (box), t);
  gtk_box_append (GTK_BOX (box), v);
  if (current)
    {
      GtkWidget *badge = gtk_label_new (_("in the record now"));
      gtk_widget_set_halign (badge, GTK_ALIGN_START);
      gtk_widget_add_css_class (badge, "caption");
      gtk_widget_add_css_class (badge, "success");
      gtk_box_append (GTK_BOX (box), badge);
    }
  gtk_widget_set_hexpand (box, TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (box), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  return box;
}

static GtkWidget *
choice_button (FaConflictPage *self, gint64 id, sync_conflict_choice_t choice, const char *label,
               const char *name)
{
  GtkWidget *b = gtk_button_new_with_mnemonic (label);
  gint64 *idp = g_new (gint64, 1);

  *idp = id;
  gtk_widget_set_name (b, name);
  g_object_set_data_full (G_OBJECT (b), "conflict-id", idp, g_free);
  g_object_set_data (G_OBJECT (b), "choice", GINT_TO_POINTER (choice));
  g_signal_connect (b, "clicked", G_CALLBACK (on_choice), self);
  return b;
}

static void
reload (FaConflictPage *self)
{
  sync_store_t *store = fa_app_get_store (self->app);
  sync_conflict_list_t *list = NULL;
  GtkWidget *child;
  int row = 0;

  while ((child = gtk_widget_get_first_child (self->grid)) != NULL)
    gtk_grid_remove (GTK_GRID (self->grid), child);
  self->n_open = 0;
  if (store == NULL || sync_conflict_list (store, self->uuid, 0, &list) != SYNC_OK)
    return;

  for (size_t i = 0; i < sync_conflict_list_count (list); i++)
    {
      const char *field = sync_conflict_field (list, i);
      const FaField *f = self->form ? fa_form_lookup (self->form, field) : NULL;
      gboolean device_wins = g_strcmp0 (sync_conflict_winner (list, i), "device") == 0;
      g_autofree char *device = fa_form_format_json_value (self->form, field, sync_conflict_device_value (list, i));
      g_autofree char *central = fa_form_format_json_value (self->form, field, sync_conflict_central_value (list, i));
      g_autofree char *keep_name = g_strdup_printf ("keep-%s", field);
      g_autofree char *take_name = g_strdup_printf ("take-%s", field);
      gint64 id = sync_conflict_id (list, i);
      GtkWidget *question = g_object_new (GTK_TYPE_LABEL, "label", f ? f->label : field, "xalign", 0.0f,
                                          "yalign", 0.0f, "wrap", TRUE, "max-width-chars", 28,
                                          "margin-top", 8, NULL);
      GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
      GtkWidget *keep = choice_button (self, id, SYNC_CONFLICT_ACCEPT_MERGED,
                                       device_wins ? _("_Keep this device's value") : _("_Keep the central value"),
                                       keep_name);
      GtkWidget *take = choice_button (self, id, SYNC_CONFLICT_TAKE_LOSER,
                                       device_wins ? _("Use the _central value") : _("Use _this device's value"),
                                       take_name);

      gtk_widget_add_css_class (keep, "suggested-action");
      gtk_box_append (GTK_BOX (buttons), keep);
      gtk_box_append (GTK_BOX (buttons), take);
      gtk_grid_attach (GTK_GRID (self->grid), question, 0, row, 1, 2);
      gtk_grid_attach (GTK_GRID (self->grid), value_card (_("This device"), device, device_wins), 1, row, 1, 1);
      gtk_grid_attach (GTK_GRID (self->grid), value_card (_("Central office"), central, !device_wins), 2, row, 1, 1);
      gtk_grid_attach (GTK_GRID (self->grid), buttons, 1, row + 1, 2, 1);
      row += 2;
      self->n_open++;
    }
  sync_conflict_list_free (list);
  gtk_widget_set_visible (self->done_label, self->n_open == 0);
}

gboolean
fa_conflict_page_open (FaConflictPage *self, FaApp *app, const char *uuid, GError **error)
{
  sync_store_t *store = fa_app_get_store (app);
  sync_record_t *rec = NULL;
  g_autofree char *heading = NULL;
  const char *name = NULL;
  cJSON *payload = NULL;

  self->app = app;
  g_free (self->uuid);
  self->uuid = g_strdup (uuid);
  if (store == NULL || sync_record_get (store, uuid, &rec) != SYNC_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("The record %s is not on this device."), uuid);
      return FALSE;
    }
  self->form = fa_app_get_form (app, sync_record_form_id (rec), sync_record_form_version (rec), NULL);
  payload = cJSON_Parse (sync_record_payload (rec));
  name = cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (payload, "full_name"));
  /* Translators: %s is the person's name or the record id */
  heading = g_strdup_printf (_("Review differences: %s"), name ? name : uuid);
  gtk_label_set_text (GTK_LABEL (self->heading), heading);
  cJSON_Delete (payload);
  sync_record_free (rec);
  reload (self);
  return TRUE;
}

void
fa_conflict_page_clear (FaConflictPage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (self->grid)) != NULL)
    gtk_grid_remove (GTK_GRID (self->grid), child);
  gtk_label_set_text (GTK_LABEL (self->heading), "");
  g_clear_pointer (&self->uuid, g_free);
  self->form = NULL;
  self->n_open = 0;
}

guint
fa_conflict_page_get_n_open (FaConflictPage *self)
{
  return self->n_open;
}

static void
fa_conflict_page_dispose (GObject *object)
{
  G_OBJECT_CLASS (fa_conflict_page_parent_class)->dispose (object);
}

static void
fa_conflict_page_finalize (GObject *object)
{
  g_free (FA_CONFLICT_PAGE (object)->uuid);
  G_OBJECT_CLASS (fa_conflict_page_parent_class)->finalize (object);
}

static void
fa_conflict_page_class_init (FaConflictPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = fa_conflict_page_dispose;
  G_OBJECT_CLASS (klass)->finalize = fa_conflict_page_finalize;
  gtk_widget_class_set_template_from_resource (widget_class, "/id/libsync/FieldApp/ui/conflict-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FaConflictPage, heading);
  gtk_widget_class_bind_template_child (widget_class, FaConflictPage, grid);
  gtk_widget_class_bind_template_child (widget_class, FaConflictPage, done_label);

  signals[RESOLVED] = g_signal_new ("resolved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[MESSAGE] = g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
fa_conflict_page_init (FaConflictPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
