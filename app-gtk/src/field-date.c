/* field-date: see field-date.h. */
#include "field-date.h"

#include <glib/gi18n.h>
#include <stdio.h>

struct _FaFieldDate
{
  FaFieldBase parent_instance;
  GtkWidget *entry;
  GtkWidget *button;
  GtkWidget *calendar;
  GtkWidget *popover;
  gboolean updating;
};

G_DEFINE_FINAL_TYPE (FaFieldDate, fa_field_date, FA_TYPE_FIELD_BASE)

/* "2026-10-20" as typed; "20-10-2026" and "20/10/2026" (day first, as written in Indonesia) are
 * turned into ISO. Anything else goes to the library as typed, which reports the format error. */
static char *
normalise_date (const char *text)
{
  int d, m, y;
  char sep1, sep2, tail;

  if (sscanf (text, "%2d%c%2d%c%4d%c", &d, &sep1, &m, &sep2, &y, &tail) == 5
      && (sep1 == '-' || sep1 == '/' || sep1 == '.') && sep2 == sep1 && y >= 1000)
    return g_strdup_printf ("%04d-%02d-%02d", y, m, d);
  return g_strdup (text);
}

static cJSON *
fa_field_date_get_value (FaFieldBase *base)
{
  FaFieldDate *self = FA_FIELD_DATE (base);
  g_autofree char *text = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->entry)));
  g_autofree char *iso = NULL;

  g_strstrip (text);
  if (*text == '\0')
    return NULL;
  iso = normalise_date (text);
  return cJSON_CreateString (iso);
}

static void
fa_field_date_set_value (FaFieldBase *base, const cJSON *value)
{
  FaFieldDate *self = FA_FIELD_DATE (base);
  gtk_editable_set_text (GTK_EDITABLE (self->entry), cJSON_IsString (value) ? value->valuestring : "");
}

static void
fa_field_date_set_editable (FaFieldBase *base, gboolean editable)
{
  FaFieldDate *self = FA_FIELD_DATE (base);
  gtk_editable_set_editable (GTK_EDITABLE (self->entry), editable);
  gtk_widget_set_sensitive (self->button, editable);
}

static void
on_changed (FaFieldDate *self)
{
  fa_field_base_emit_changed (FA_FIELD_BASE (self));
}

static void
on_activate (GtkWidget *entry, FaFieldDate *self)
{
  GtkRoot *root = gtk_widget_get_root (entry);
  if (root != NULL)
    gtk_widget_child_focus (GTK_WIDGET (root), GTK_DIR_TAB_FORWARD);
}

/* Opening the calendar shows the typed date, or today. */
static void
on_popover_show (FaFieldDate *self)
{
  g_autofree char *text = normalise_date (gtk_editable_get_text (GTK_EDITABLE (self->entry)));
  g_autoptr (GDateTime) dt = NULL;
  int y, m, d;

  if (sscanf (text, "%4d-%2d-%2d", &y, &m, &d) == 3)
    dt = g_date_time_new_local (y, m, d, 0, 0, 0);
  if (dt == NULL)
    dt = g_date_time_new_now_local ();
  self->updating = TRUE;
  gtk_calendar_select_day (GTK_CALENDAR (self->calendar), dt);
  self->updating = FALSE;
}

static void
on_day_selected (FaFieldDate *self)
{
  g_autoptr (GDateTime) dt = gtk_calendar_get_date (GTK_CALENDAR (self->calendar));
  g_autofree char *iso = g_date_time_format (dt, "%Y-%m-%d");

  if (self->updating)
    return;
  gtk_editable_set_text (GTK_EDITABLE (self->entry), iso);
  gtk_popover_popdown (GTK_POPOVER (self->popover));
}

static void
fa_field_date_class_init (FaFieldDateClass *klass)
{
  FaFieldBaseClass *base_class = FA_FIELD_BASE_CLASS (klass);

  base_class->get_value = fa_field_date_get_value;
  base_class->set_value = fa_field_date_set_value;
  base_class->set_editable = fa_field_date_set_editable;
}

static void
fa_field_date_init (FaFieldDate *self)
{
}

GtkWidget *
fa_field_date_new (const FaForm *form, const FaField *field)
{
  FaFieldDate *self = g_object_new (FA_TYPE_FIELD_DATE, NULL);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);

  fa_field_base_setup (FA_FIELD_BASE (self), form, field);
  gtk_widget_add_css_class (box, "linked");
  gtk_widget_set_halign (box, GTK_ALIGN_START);

  self->entry = g_object_new (GTK_TYPE_ENTRY, "width-chars", 12, "max-width-chars", 12,
                              /* Translators: the date format shown as placeholder; keep the
                               * digits order (year-month-day) */
                              "placeholder-text", _("YYYY-MM-DD"), NULL);
  gtk_widget_set_name (self->entry, "input");
  g_signal_connect_swapped (self->entry, "changed", G_CALLBACK (on_changed), self);
  g_signal_connect (self->entry, "activate", G_CALLBACK (on_activate), self);
  gtk_box_append (GTK_BOX (box), self->entry);

  self->calendar = gtk_calendar_new ();
  self->popover = gtk_popover_new ();
  gtk_popover_set_child (GTK_POPOVER (self->popover), self->calendar);
  g_signal_connect_swapped (self->popover, "show", G_CALLBACK (on_popover_show), self);
  g_signal_connect_swapped (self->calendar, "day-selected", G_CALLBACK (on_day_selected), self);

  self->button = g_object_new (GTK_TYPE_MENU_BUTTON, "icon-name", "x-office-calendar-symbolic",
                               "tooltip-text", _("Choose a date"), "popover", self->popover, NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Choose a date"), -1);
  gtk_box_append (GTK_BOX (box), self->button);

  fa_field_base_set_input (FA_FIELD_BASE (self), box);
  fa_field_base_label_input (FA_FIELD_BASE (self), self->entry);
  gtk_label_set_mnemonic_widget (GTK_LABEL (gtk_widget_get_first_child (GTK_WIDGET (self))), self->entry);
  return GTK_WIDGET (self);
}
