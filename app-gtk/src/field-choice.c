/* field-choice: see field-choice.h. */
#include "field-choice.h"

#include <glib/gi18n.h>

#define DROPDOWN_ABOVE 8     /* select_one lists longer than this use a searchable drop-down */

struct _FaFieldChoice
{
  FaFieldBase parent_instance;
  gboolean multiple;
  GPtrArray *buttons;        /* GtkCheckButton*, one per choice (radio or check list) */
  GtkWidget *dropdown;       /* long select_one lists; item 0 is "not answered" */
};

G_DEFINE_FINAL_TYPE (FaFieldChoice, fa_field_choice, FA_TYPE_FIELD_BASE)

static const FaChoiceList *
choices_of (FaFieldChoice *self)
{
  return fa_field_base_get_field (FA_FIELD_BASE (self))->list;
}

static cJSON *
fa_field_choice_get_value (FaFieldBase *base)
{
  FaFieldChoice *self = FA_FIELD_CHOICE (base);
  const FaChoiceList *list = choices_of (self);
  cJSON *array;

  if (self->dropdown != NULL)
    {
      guint sel = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->dropdown));
      if (sel == GTK_INVALID_LIST_POSITION || sel == 0 || sel > list->choices->len)
        return NULL;
      return cJSON_CreateString (((FaChoice *) g_ptr_array_index (list->choices, sel - 1))->name);
    }
  if (!self->multiple)
    {
      for (guint i = 0; i < self->buttons->len; i++)
        if (gtk_check_button_get_active (g_ptr_array_index (self->buttons, i)))
          return cJSON_CreateString (((FaChoice *) g_ptr_array_index (list->choices, i))->name);
      return NULL;
    }
  array = cJSON_CreateArray ();
  for (guint i = 0; i < self->buttons->len; i++)
    if (gtk_check_button_get_active (g_ptr_array_index (self->buttons, i)))
      cJSON_AddItemToArray (array,
                            cJSON_CreateString (((FaChoice *) g_ptr_array_index (list->choices, i))->name));
  if (cJSON_GetArraySize (array) == 0)
    {
      cJSON_Delete (array);
      return NULL;
    }
  return array;
}

static gboolean
value_has (const cJSON *value, const char *name)
{
  const cJSON *item;

  if (cJSON_IsString (value))
    return g_strcmp0 (value->valuestring, name) == 0;
  cJSON_ArrayForEach (item, value)
    if (cJSON_IsString (item) && g_strcmp0 (item->valuestring, name) == 0)
      return TRUE;
  return FALSE;
}

static void
fa_field_choice_set_value (FaFieldBase *base, const cJSON *value)
{
  FaFieldChoice *self = FA_FIELD_CHOICE (base);
  const FaChoiceList *list = choices_of (self);

  if (self->dropdown != NULL)
    {
      guint sel = 0;
      for (guint i = 0; i < list->choices->len; i++)
        if (value_has (value, ((FaChoice *) g_ptr_array_index (list->choices, i))->name))
          sel = i + 1;
      gtk_drop_down_set_selected (GTK_DROP_DOWN (self->dropdown), sel);
      return;
    }
  for (guint i = 0; i < self->buttons->len; i++)
    gtk_check_button_set_active (g_ptr_array_index (self->buttons, i),
                                 value_has (value, ((FaChoice *) g_ptr_array_index (list->choices, i))->name));
  /* A radio group cannot show "nothing chosen" by setting FALSE on the active one alone. */
  if (!self->multiple && value == NULL)
    for (guint i = 0; i < self->buttons->len; i++)
      gtk_check_button_set_active (g_ptr_array_index (self->buttons, i), FALSE);
}

static void
fa_field_choice_set_editable (FaFieldBase *base, gboolean editable)
{
  FaFieldChoice *self = FA_FIELD_CHOICE (base);

  if (self->dropdown != NULL)
    gtk_widget_set_sensitive (self->dropdown, editable);
  for (guint i = 0; i < self->buttons->len; i++)
    gtk_widget_set_sensitive (g_ptr_array_index (self->buttons, i), editable);
}

static void
on_toggled (GtkCheckButton *button, FaFieldChoice *self)
{
  /* A radio group toggles twice (old off, new on): report the new one only. */
  if (!self->multiple && !gtk_check_button_get_active (button))
    return;
  fa_field_base_emit_changed (FA_FIELD_BASE (self));
}

static void
on_selected (FaFieldChoice *self)
{
  fa_field_base_emit_changed (FA_FIELD_BASE (self));
}

static void
fa_field_choice_finalize (GObject *object)
{
  g_ptr_array_unref (FA_FIELD_CHOICE (object)->buttons);
  G_OBJECT_CLASS (fa_field_choice_parent_class)->finalize (object);
}

static void
fa_field_choice_class_init (FaFieldChoiceClass *klass)
{
  FaFieldBaseClass *base_class = FA_FIELD_BASE_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = fa_field_choice_finalize;
  base_class->get_value = fa_field_choice_get_value;
  base_class->set_value = fa_field_choice_set_value;
  base_class->set_editable = fa_field_choice_set_editable;
}

static void
fa_field_choice_init (FaFieldChoice *self)
{
  self->buttons = g_ptr_array_new ();
}

static GtkWidget *
build_dropdown (FaFieldChoice *self, const FaChoiceList *list)
{
  g_autoptr (GtkStringList) model = gtk_string_list_new (NULL);
  GtkExpression *expr;
  GtkWidget *dd;

  /* Translators: the first item of a drop-down list, meaning "no answer yet" */
  gtk_string_list_append (model, _("— Choose —"));
  for (guint i = 0; i < list->choices->len; i++)
    gtk_string_list_append (model, ((FaChoice *) g_ptr_array_index (list->choices, i))->label);
  expr = gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL, "string");
  dd = gtk_drop_down_new (G_LIST_MODEL (g_steal_pointer (&model)), expr);
  gtk_drop_down_set_enable_search (GTK_DROP_DOWN (dd), TRUE);
  gtk_widget_set_halign (dd, GTK_ALIGN_START);
  gtk_widget_set_name (dd, "input");
  g_signal_connect_swapped (dd, "notify::selected", G_CALLBACK (on_selected), self);
  return dd;
}

GtkWidget *
fa_field_choice_new (const FaForm *form, const FaField *field)
{
  FaFieldChoice *self = g_object_new (FA_TYPE_FIELD_CHOICE, NULL);
  const FaChoiceList *list = field->list;
  guint n = list->choices->len;
  guint longest = 0;
  GtkWidget *container;
  GtkCheckButton *group = NULL;
  gboolean horizontal;
  guint columns;

  fa_field_base_setup (FA_FIELD_BASE (self), form, field);
  self->multiple = field->type == FA_KIND_SELECT_MULTIPLE;

  if (!self->multiple && n > DROPDOWN_ABOVE)
    {
      self->dropdown = build_dropdown (self, list);
      fa_field_base_set_input (FA_FIELD_BASE (self), self->dropdown);
      return GTK_WIDGET (self);
    }

  for (guint i = 0; i < n; i++)
    longest = MAX (longest, (guint) g_utf8_strlen (((FaChoice *) g_ptr_array_index (list->choices, i))->label, -1));
  /* Short lists (yes / no / unknown) sit on one line; long ones take two columns. */
  horizontal = n <= 4 && longest <= 24;
  columns = horizontal ? n : (n > 5 ? 2 : 1);

  container = gtk_grid_new ();
  gtk_grid_set_column_spacing (GTK_GRID (container), 18);
  gtk_grid_set_row_spacing (GTK_GRID (container), 0);
  gtk_widget_add_css_class (container, "choice-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (container), GTK_ACCESSIBLE_PROPERTY_LABEL, field->label, -1);

  for (guint i = 0; i < n; i++)
    {
      const FaChoice *c = g_ptr_array_index (list->choices, i);
      g_autofree char *name = g_strdup_printf ("choice-%s", c->name);
      GtkWidget *button = gtk_check_button_new_with_label (c->label);
      guint rows = (n + columns - 1) / columns;

      gtk_widget_set_name (button, name);
      if (!self->multiple)
        {
          if (group == NULL)
            group = GTK_CHECK_BUTTON (button);
          else
            gtk_check_button_set_group (GTK_CHECK_BUTTON (button), group);
        }
      g_signal_connect (button, "toggled", G_CALLBACK (on_toggled), self);
      /* fill columns top to bottom, so the reading order stays the list's order */
      gtk_grid_attach (GTK_GRID (container), button, horizontal ? (int) i : (int) (i / rows),
                       horizontal ? 0 : (int) (i % rows), 1, 1);
      gtk_accessible_update_relation (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_RELATION_DESCRIBED_BY,
                                      gtk_widget_get_first_child (GTK_WIDGET (self)), NULL, -1);
      g_ptr_array_add (self->buttons, button);
    }
  fa_field_base_set_input (FA_FIELD_BASE (self), container);
  if (self->buttons->len > 0)
    gtk_label_set_mnemonic_widget (GTK_LABEL (gtk_widget_get_first_child (GTK_WIDGET (self))),
                                   g_ptr_array_index (self->buttons, 0));
  return GTK_WIDGET (self);
}
