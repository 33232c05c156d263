/* records-page: see records-page.h. */
#include "records-page.h"

#include <glib/gi18n.h>
#include <string.h>

#include "record-item.h"
#include "record-row.h"

struct _FaRecordsPage
{
  AdwBin parent_instance;

  GtkWidget *search_entry;
  GtkWidget *all_button;
  GtkWidget *drafts_button;
  GtkWidget *waiting_button;
  GtkWidget *sent_button;
  GtkWidget *conflicts_button;
  GtkWidget *refused_button;
  GtkWidget *list_stack;
  GtkWidget *list_view;
  GtkWidget *empty_page;

  GListStore *store;
  GtkCustomFilter *filter;
  GtkFilterListModel *filtered;
  GtkSingleSelection *selection;
  FaRecordCounts counts;
  guint64 total;

  char *needle;               /* lower-cased search text, or NULL */
  int group;                  /* -1: all */

  GCancellable *cancellable;
  gboolean loaded_once;       /* until then "no records yet" would be a guess */
  gboolean loading;
  FaStoreReader *reload_again; /* a reload was asked for while one ran */
};

G_DEFINE_FINAL_TYPE (FaRecordsPage, fa_records_page, ADW_TYPE_BIN)

enum { RECORD_ACTIVATED, N_SIGNALS };
static guint signals[N_SIGNALS];

static gboolean
filter_func (gpointer item, gpointer user_data)
{
  FaRecordsPage *self = user_data;
  const FaRecordInfo *info = fa_record_item_get_info (FA_RECORD_ITEM (item));

  if (self->group >= 0 && (int) info->group != self->group)
    return FALSE;
  return self->needle == NULL || strstr (info->search_text, self->needle) != NULL;
}

static void
update_view (FaRecordsPage *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));

  if (!self->loaded_once)
    gtk_stack_set_visible_child_name (GTK_STACK (self->list_stack), "list");
  else if (self->total == 0)
    gtk_stack_set_visible_child_name (GTK_STACK (self->list_stack), "empty");
  else if (n == 0)
    gtk_stack_set_visible_child_name (GTK_STACK (self->list_stack), "no-match");
  else
    gtk_stack_set_visible_child_name (GTK_STACK (self->list_stack), "list");
}

static void
set_group_label (GtkWidget *button, const char *label, guint64 count)
{
  /* Translators: a filter button with a count, e.g. "Drafts (3)" */
  g_autofree char *text = g_strdup_printf (_("%s (%llu)"), label, (unsigned long long) count);
  gtk_button_set_label (GTK_BUTTON (button), text);
}

static void
update_counts (FaRecordsPage *self)
{
  set_group_label (self->all_button, _("_All"), self->total);
  set_group_label (self->drafts_button, _("_Drafts"), self->counts.counts[FA_GROUP_DRAFT]);
  set_group_label (self->waiting_button, _("_Waiting"), self->counts.counts[FA_GROUP_WAITING]);
  set_group_label (self->sent_button, _("S_ent"), self->counts.counts[FA_GROUP_SENT]);
  set_group_label (self->conflicts_button, _("_Conflicts"), self->counts.counts[FA_GROUP_CONFLICT]);
  set_group_label (self->refused_button, _("_Refused"), self->counts.counts[FA_GROUP_REFUSED]);
  gtk_widget_set_tooltip_text (self->waiting_button, _("Finalized, waiting to be sent"));
  gtk_widget_set_tooltip_text (self->sent_button, _("Received by the central server"));
  gtk_widget_set_tooltip_text (self->conflicts_button, _("Changed on the server too: review needed"));
  gtk_widget_set_tooltip_text (self->refused_button, _("Refused by the central server: send again or correct"));
  if (self->counts.counts[FA_GROUP_CONFLICT] > 0)
    gtk_widget_add_css_class (self->conflicts_button, "has-conflicts");
  else
    gtk_widget_remove_css_class (self->conflicts_button, "has-conflicts");
  /* the place exists while something is in it (or it is the group being looked at) */
  gtk_widget_set_visible (self->refused_button, self->counts.counts[FA_GROUP_REFUSED] > 0
                                                || self->group == FA_GROUP_REFUSED);
  if (self->counts.counts[FA_GROUP_REFUSED] > 0)
    gtk_widget_add_css_class (self->refused_button, "has-conflicts");
  else
    gtk_widget_remove_css_class (self->refused_button, "has-conflicts");
}

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FaRecordsPage *self = user_data;   /* a reference held by the load */
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) items = NULL;
  FaRecordCounts counts = { { 0 } };
  g_autoptr (FaStoreReader) again = NULL;

  items = fa_records_load_finish (result, &counts, &error);
  self->loading = FALSE;
  if (items != NULL)
    {
      self->loaded_once = TRUE;
      self->counts = counts;
      self->total = items->len;
      g_list_store_splice (self->store, 0, g_list_model_get_n_items (G_LIST_MODEL (self->store)),
                           items->pdata, items->len);
      update_counts (self);
      update_view (self);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("cannot list the records: %s", error->message);

  again = g_steal_pointer (&self->reload_again);
  if (again != NULL && gtk_widget_get_root (GTK_WIDGET (self)) != NULL)
    fa_records_page_reload (self, again);
  g_object_unref (self);
}

void
fa_records_page_reload (FaRecordsPage *self, FaStoreReader *reader)
{
  g_return_if_fail (FA_IS_RECORDS_PAGE (self));

  if (reader == NULL)
    return;
  if (self->loading)
    {
      g_clear_pointer (&self->reload_again, fa_store_reader_unref);
      self->reload_again = fa_store_reader_ref (reader);
      return;
    }
  self->loading = TRUE;
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  fa_records_load_async (reader, self->cancellable, on_loaded, g_object_ref (self));
}

void
fa_records_page_clear (FaRecordsPage *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_pointer (&self->reload_again, fa_store_reader_unref);
  g_list_store_remove_all (self->store);
  memset (&self->counts, 0, sizeof self->counts);
  self->total = 0;
  self->loaded_once = FALSE;
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  update_counts (self);
  update_view (self);
}

const FaRecordInfo *
fa_records_page_find (FaRecordsPage *self, const char *uuid)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (FaRecordItem) item = g_list_model_get_item (G_LIST_MODEL (self->store), i);
      const FaRecordInfo *info = fa_record_item_get_info (item);
      if (g_strcmp0 (info->uuid, uuid) == 0)
        return info;   /* the store keeps the item alive */
    }
  return NULL;
}

gboolean
fa_records_page_is_loading (FaRecordsPage *self)
{
  return self->loading || self->reload_again != NULL;
}

void
fa_records_page_show_group (FaRecordsPage *self, int group)
{
  GtkWidget *buttons[] = { self->drafts_button, self->waiting_button, self->sent_button,
                           self->conflicts_button, self->refused_button };

  g_return_if_fail (group >= -1 && group < FA_N_GROUPS);
  if (group == FA_GROUP_REFUSED)
    gtk_widget_set_visible (self->refused_button, TRUE);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (group < 0 ? self->all_button : buttons[group]), TRUE);
}

void
fa_records_page_focus_search (FaRecordsPage *self)
{
  gtk_widget_grab_focus (self->search_entry);
}

const FaRecordCounts *
fa_records_page_get_counts (FaRecordsPage *self)
{
  return &self->counts;
}

guint
fa_records_page_get_n_visible (FaRecordsPage *self)
{
  return g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
}

static void
on_search_changed (FaRecordsPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *stripped = g_strstrip (g_strdup (text));

  g_clear_pointer (&self->needle, g_free);
  if (*stripped)
    self->needle = g_utf8_strdown (stripped, -1);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_view (self);
}

/* Enter in the search box moves into the list. */
static void
on_search_activate (FaRecordsPage *self)
{
  if (g_list_model_get_n_items (G_LIST_MODEL (self->filtered)) > 0)
    gtk_widget_child_focus (self->list_view, GTK_DIR_TAB_FORWARD);
}

static void
on_group_toggled (FaRecordsPage *self)
{
  /* in FaRecordGroup order */
  GtkWidget *buttons[] = { self->drafts_button, self->waiting_button, self->sent_button,
                           self->conflicts_button, self->refused_button };

  self->group = -1;
  for (int i = 0; i < (int) G_N_ELEMENTS (buttons); i++)
    if (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (buttons[i])))
      self->group = i;
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_view (self);
}

static void
on_list_activate (GtkListView *view, guint position, FaRecordsPage *self)
{
  g_autoptr (FaRecordItem) item = g_list_model_get_item (G_LIST_MODEL (self->filtered), position);
  const FaRecordInfo *info;

  if (item == NULL)
    return;
  info = fa_record_item_get_info (item);
  g_signal_emit (self, signals[RECORD_ACTIVATED], 0, info->uuid, (int) info->group);
}

static void
setup_row (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer data)
{
  gtk_list_item_set_child (list_item, fa_record_row_new ());
}

static void
bind_row (GtkSignalListItemFactory *factory, GtkListItem *list_item, gpointer data)
{
  fa_record_row_set_item (FA_RECORD_ROW (gtk_list_item_get_child (list_item)),
                          FA_RECORD_ITEM (gtk_list_item_get_item (list_item)));
}

static void
fa_records_page_dispose (GObject *object)
{
  FaRecordsPage *self = FA_RECORDS_PAGE (object);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->selection);
  G_OBJECT_CLASS (fa_records_page_parent_class)->dispose (object);
}

static void
fa_records_page_finalize (GObject *object)
{
  FaRecordsPage *self = FA_RECORDS_PAGE (object);

  g_free (self->needle);
  g_clear_pointer (&self->reload_again, fa_store_reader_unref);
  G_OBJECT_CLASS (fa_records_page_parent_class)->finalize (object);
}

static void
fa_records_page_class_init (FaRecordsPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = fa_records_page_dispose;
  G_OBJECT_CLASS (klass)->finalize = fa_records_page_finalize;
  gtk_widget_class_set_template_from_resource (widget_class, "/id/libsync/FieldApp/ui/records-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FaRecordsPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, FaRecordsPage, all_button);
  gtk_widget_class_bind_template_child (widget_class, FaRecordsPage, drafts_button);
  gtk_widget_class_bind_template_child (widget_class, FaRecordsPage, waiting_button);
  gtk_widget_class_bind_template_child (widget_class, FaRecordsPage, sent_button);
  gtk_widget_class_bind_template_child (widget_class, FaRecordsPage, conflicts_button);
  gtk_widget_class_bind_template_child (widget_class, FaRecordsPage, refused_button);
  gtk_widget_class_bind_template_child (widget_class, FaRecordsPage, list_stack);
  gtk_widget_class_bind_template_child (widget_class, FaRecordsPage, list_view);
  gtk_widget_class_bind_template_child (widget_class, FaRecordsPage, empty_page);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_search_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_group_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_list_activate);

  signals[RECORD_ACTIVATED] = g_signal_new ("record-activated", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                            G_TYPE_STRING, G_TYPE_INT);
}

static void
fa_records_page_init (FaRecordsPage *self)
{
  GtkListItemFactory *factory;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->group = -1;
  self->store = g_list_store_new (FA_TYPE_RECORD_ITEM);
  self->filter = gtk_custom_filter_new (filter_func, self, NULL);
  self->filtered = gtk_filter_list_model_new (G_LIST_MODEL (self->store), GTK_FILTER (self->filter));
  self->selection = gtk_single_selection_new (G_LIST_MODEL (self->filtered));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), NULL);
  gtk_list_view_set_factory (GTK_LIST_VIEW (self->list_view), factory);
  g_object_unref (factory);
  gtk_list_view_set_model (GTK_LIST_VIEW (self->list_view), GTK_SELECTION_MODEL (self->selection));
  update_counts (self);
  update_view (self);
}
