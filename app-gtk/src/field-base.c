/* field-base: see field-base.h. */
#include "field-base.h"

#include <glib/gi18n.h>

#include "field-calc.h"
#include "field-choice.h"
#include "field-date.h"
#include "field-note.h"
#include "field-number.h"
#include "field-text.h"
#include "field-yes-no.h"

typedef struct
{
  const FaForm *form;
  const FaField *field;
  GtkWidget *title_label;
  GtkWidget *hint_label;
  GtkWidget *content;
  GtkWidget *error_label;
  char *error;
  gboolean loading;
} FaFieldBasePrivate;

G_DEFINE_TYPE_WITH_PRIVATE (FaFieldBase, fa_field_base, GTK_TYPE_WIDGET)

enum { CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
fa_field_base_dispose (GObject *object)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (fa_field_base_parent_class)->dispose (object);
}

static void
fa_field_base_finalize (GObject *object)
{
  FaFieldBasePrivate *priv = fa_field_base_get_instance_private (FA_FIELD_BASE (object));

  g_free (priv->error);
  G_OBJECT_CLASS (fa_field_base_parent_class)->finalize (object);
}

static void
fa_field_base_class_init (FaFieldBaseClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fa_field_base_dispose;
  object_class->finalize = fa_field_base_finalize;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "field");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
fa_field_base_init (FaFieldBase *self)
{
  FaFieldBasePrivate *priv = fa_field_base_get_instance_private (self);
  GtkLayoutManager *layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));

  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 4);

  priv->title_label = g_object_new (GTK_TYPE_LABEL, "xalign", 0.0f, "wrap", TRUE,
                                    "wrap-mode", PANGO_WRAP_WORD_CHAR, NULL);
  gtk_widget_add_css_class (priv->title_label, "field-title");
  gtk_widget_set_parent (priv->title_label, GTK_WIDGET (self));

  priv->hint_label = g_object_new (GTK_TYPE_LABEL, "xalign", 0.0f, "wrap", TRUE, "visible", FALSE, NULL);
  gtk_widget_add_css_class (priv->hint_label, "dim-label");
  gtk_widget_add_css_class (priv->hint_label, "caption");
  gtk_widget_set_parent (priv->hint_label, GTK_WIDGET (self));

  priv->content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_parent (priv->content, GTK_WIDGET (self));

  priv->error_label = g_object_new (GTK_TYPE_LABEL, "xalign", 0.0f, "wrap", TRUE, "visible", FALSE, NULL);
  gtk_widget_add_css_class (priv->error_label, "field-error");
  gtk_widget_set_parent (priv->error_label, GTK_WIDGET (self));
}

void
fa_field_base_setup (FaFieldBase *self, const FaForm *form, const FaField *field)
{
  FaFieldBasePrivate *priv = fa_field_base_get_instance_private (self);
  g_autofree char *name = g_strdup_printf ("field-%s", field->name);

  priv->form = form;
  priv->field = field;
  gtk_widget_set_name (GTK_WIDGET (self), name);
  if (field->required && fa_field_is_answerable (field))
    {
      g_autofree char *markup = g_markup_printf_escaped ("%s <span foreground=\"#c01c28\">*</span>",
                                                         field->label);
      gtk_label_set_markup (GTK_LABEL (priv->title_label), markup);
    }
  else
    gtk_label_set_text (GTK_LABEL (priv->title_label), field->label);
  if (field->hint != NULL)
    {
      gtk_label_set_text (GTK_LABEL (priv->hint_label), field->hint);
      gtk_widget_set_visible (priv->hint_label, TRUE);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, field->label, -1);
}

void
fa_field_base_label_input (FaFieldBase *self, GtkWidget *input)
{
  FaFieldBasePrivate *priv = fa_field_base_get_instance_private (self);

  gtk_accessible_update_relation (GTK_ACCESSIBLE (input),
                                  GTK_ACCESSIBLE_RELATION_LABELLED_BY, priv->title_label, NULL,
                                  GTK_ACCESSIBLE_RELATION_DESCRIBED_BY, priv->hint_label,
                                  priv->error_label, NULL,
                                  -1);
  if (priv->field != NULL && priv->field->required)
    gtk_accessible_update_property (GTK_ACCESSIBLE (input), GTK_ACCESSIBLE_PROPERTY_REQUIRED, TRUE, -1);
}

void
fa_field_base_set_input (FaFieldBase *self, GtkWidget *input)
{
  FaFieldBasePrivate *priv = fa_field_base_get_instance_private (self);

  gtk_box_append (GTK_BOX (priv->content), input);
  fa_field_base_label_input (self, input);
  gtk_label_set_mnemonic_widget (GTK_LABEL (priv->title_label), input);
}

void
fa_field_base_emit_changed (FaFieldBase *self)
{
  FaFieldBasePrivate *priv = fa_field_base_get_instance_private (self);

  if (!priv->loading)
    g_signal_emit (self, signals[CHANGED], 0);
}

gboolean
fa_field_base_is_loading (FaFieldBase *self)
{
  FaFieldBasePrivate *priv = fa_field_base_get_instance_private (self);
  return priv->loading;
}

const FaField *
fa_field_base_get_field (FaFieldBase *self)
{
  FaFieldBasePrivate *priv = fa_field_base_get_instance_private (self);
  return priv->field;
}

const FaForm *
fa_field_base_get_form (FaFieldBase *self)
{
  FaFieldBasePrivate *priv = fa_field_base_get_instance_private (self);
  return priv->form;
}

cJSON *
fa_field_base_get_value (FaFieldBase *self)
{
  FaFieldBaseClass *klass = FA_FIELD_BASE_GET_CLASS (self);
  return klass->get_value ? klass->get_value (self) : NULL;
}

void
fa_field_base_set_value (FaFieldBase *self, const cJSON *value)
{
  FaFieldBasePrivate *priv = fa_field_base_get_instance_private (self);
  FaFieldBaseClass *klass = FA_FIELD_BASE_GET_CLASS (self);

  if (klass->set_value == NULL)
    return;
  priv->loading = TRUE;
  klass->set_value (self, value);
  priv->loading = FALSE;
}

void
fa_field_base_set_editable (FaFieldBase *self, gboolean editable)
{
  FaFieldBaseClass *klass = FA_FIELD_BASE_GET_CLASS (self);
  if (klass->set_editable)
    klass->set_editable (self, editable);
}

void
fa_field_base_set_error (FaFieldBase *self, const char *message)
{
  FaFieldBasePrivate *priv = fa_field_base_get_instance_private (self);

  if (g_strcmp0 (priv->error, message) == 0)
    return;
  g_free (priv->error);
  priv->error = g_strdup (message);
  gtk_label_set_text (GTK_LABEL (priv->error_label), message ? message : "");
  gtk_widget_set_visible (priv->error_label, message != NULL);
  if (message != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self), "invalid");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "invalid");
  gtk_accessible_update_state (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_STATE_INVALID,
                               message ? GTK_ACCESSIBLE_INVALID_TRUE : GTK_ACCESSIBLE_INVALID_FALSE, -1);
}

const char *
fa_field_base_get_error (FaFieldBase *self)
{
  FaFieldBasePrivate *priv = fa_field_base_get_instance_private (self);
  return priv->error;
}

GtkWidget *
fa_field_new (const FaForm *form, const FaField *field)
{
  switch (field->type)
    {
    case FA_KIND_TEXT:
      return fa_field_text_new (form, field);
    case FA_KIND_INTEGER:
    case FA_KIND_DECIMAL:
      return fa_field_number_new (form, field);
    case FA_KIND_DATE:
      return fa_field_date_new (form, field);
    case FA_KIND_SELECT_ONE:
    case FA_KIND_SELECT_MULTIPLE:
      return fa_field_choice_new (form, field);
    case FA_KIND_YES_NO:
      return fa_field_yes_no_new (form, field);
    case FA_KIND_NOTE:
      return fa_field_note_new (form, field);
    case FA_KIND_CALCULATE:
      return fa_field_calc_new (form, field);
    default:
      g_return_val_if_reached (NULL);
    }
}
