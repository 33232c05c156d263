/* record-row: see record-row.h. */
#include "record-row.h"

#include <glib/gi18n.h>

#include "format.h"

struct _FaRecordRow
{
  AdwBin parent_instance;
  GtkWidget *icon;
  GtkWidget *title;
  GtkWidget *subtitle;
  GtkWidget *reason;
  GtkWidget *sealed_badge;
  GtkWidget *status;
};

G_DEFINE_FINAL_TYPE (FaRecordRow, fa_record_row, ADW_TYPE_BIN)

static void
fa_record_row_dispose (GObject *object)
{
  G_OBJECT_CLASS (fa_record_row_parent_class)->dispose (object);
}

static void
fa_record_row_class_init (FaRecordRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = fa_record_row_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/id/libsync/FieldApp/ui/record-row.ui");
  gtk_widget_class_bind_template_child (widget_class, FaRecordRow, icon);
  gtk_widget_class_bind_template_child (widget_class, FaRecordRow, title);
  gtk_widget_class_bind_template_child (widget_class, FaRecordRow, subtitle);
  gtk_widget_class_bind_template_child (widget_class, FaRecordRow, reason);
  gtk_widget_class_bind_template_child (widget_class, FaRecordRow, sealed_badge);
  gtk_widget_class_bind_template_child (widget_class, FaRecordRow, status);
}

static void
fa_record_row_init (FaRecordRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
fa_record_row_new (void)
{
  return g_object_new (FA_TYPE_RECORD_ROW, NULL);
}

char *
fa_record_row_describe_status (const FaRecordInfo *info)
{
  g_autofree char *when = NULL;

  switch (info->group)
    {
    case FA_GROUP_DRAFT:
      when = fa_format_when (info->updated_ms);
      /* Translators: %s is "today 10:32" or a date */
      return g_strdup_printf (_("Draft · last edited %s"), when);
    case FA_GROUP_WAITING:
      return g_strdup (_("Waiting to be sent"));
    case FA_GROUP_REFUSED:
      return g_strdup (_("Refused by the server"));
    case FA_GROUP_SENT:
      if (info->purged)
        return g_strdup (_("Removed from the device after the central office received it"));
      if (info->received_ms <= 0)
        return g_strdup (_("Sent"));
      when = fa_format_when (info->received_ms);
      /* Translators: %s is "today 10:32" or a date; the time the server stored the record */
      return g_strdup_printf (_("Sent · received by the server %s"), when);
    case FA_GROUP_CONFLICT:
      return g_strdup_printf (ngettext ("Needs review: %u answer differs",
                                        "Needs review: %u answers differ",
                                        info->open_conflicts), info->open_conflicts);
    default:
      return g_strdup ("");
    }
}

void
fa_record_row_set_item (FaRecordRow *self, FaRecordItem *item)
{
  const FaRecordInfo *info = fa_record_item_get_info (item);
  static const char *const ICONS[] = {
    "document-edit-symbolic", "document-send-symbolic", "emblem-ok-symbolic", "dialog-warning-symbolic",
    "dialog-error-symbolic",
  };
  static const char *const CLASSES[] = { "draft", "waiting", "sent", "conflict", "refused" };
  g_autofree char *status = fa_record_row_describe_status (info);
  g_autofree char *subtitle = NULL;
  g_autofree char *short_id = g_strndup (info->uuid, 8);
  g_autofree char *accessible = NULL;
  g_autofree char *reason = NULL;
  const char *title = info->name ? info->name : _("Name not recorded");

  /* Translators: record list line: interview date · unit · short record id */
  subtitle = g_strdup_printf (_("Interview %s · %s · ID %s"),
                              info->interview_date ? info->interview_date : _("date not set"),
                              info->unit_name ? info->unit_name : _("unit not set"), short_id);
  gtk_label_set_text (GTK_LABEL (self->title), title);
  gtk_label_set_text (GTK_LABEL (self->subtitle), subtitle);
  gtk_label_set_text (GTK_LABEL (self->status), status);
  gtk_image_set_from_icon_name (GTK_IMAGE (self->icon), ICONS[info->group]);
  for (guint i = 0; i < G_N_ELEMENTS (CLASSES); i++)
    gtk_widget_remove_css_class (self->status, CLASSES[i]);
  gtk_widget_add_css_class (self->status, CLASSES[info->group]);
  gtk_widget_set_tooltip_text (self->status, status);
  /* the server's reason is read on the row itself, not in a tooltip */
  if (info->group == FA_GROUP_REFUSED)
    /* Translators: %s is the reason the server refused the record, in plain words */
    reason = g_strdup_printf (_("Why: %s"), info->refusal ? info->refusal : _("the server gave no reason"));
  gtk_label_set_text (GTK_LABEL (self->reason), reason ? reason : "");
  gtk_widget_set_visible (self->reason, reason != NULL);
  gtk_widget_set_visible (self->sealed_badge, info->sealed);
  gtk_widget_set_name (GTK_WIDGET (self), info->uuid);
  accessible = g_strdup_printf ("%s, %s, %s%s%s%s%s", title, subtitle, status, reason ? ", " : "",
                                reason ? reason : "", info->sealed ? ", " : "",
                                info->sealed ? _("Sealed for the central office") : "");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
}
