/* field-calc: see field-calc.h. The value is whatever libsync computed in the last evaluation;
 * the officer cannot edit it. */
#include "field-calc.h"

#include <glib/gi18n.h>

struct _FaFieldCalc
{
  FaFieldBase parent_instance;
  GtkWidget *value_label;
  cJSON *value;
};

G_DEFINE_FINAL_TYPE (FaFieldCalc, fa_field_calc, FA_TYPE_FIELD_BASE)

static cJSON *
fa_field_calc_get_value (FaFieldBase *base)
{
  FaFieldCalc *self = FA_FIELD_CALC (base);
  /* never sent back: the library computes it; the form page skips calculated fields */
  return self->value ? cJSON_Duplicate (self->value, TRUE) : NULL;
}

static void
fa_field_calc_set_value (FaFieldBase *base, const cJSON *value)
{
  FaFieldCalc *self = FA_FIELD_CALC (base);
  g_autofree char *text = NULL;

  g_clear_pointer (&self->value, cJSON_Delete);
  if (value != NULL && !cJSON_IsNull (value))
    self->value = cJSON_Duplicate (value, TRUE);
  text = fa_form_format_value (fa_field_base_get_form (base), fa_field_base_get_field (base), self->value);
  /* Translators: shown for a calculated value that cannot be computed yet */
  gtk_label_set_text (GTK_LABEL (self->value_label), *text ? text : _("— not yet known —"));
}

static void
fa_field_calc_finalize (GObject *object)
{
  g_clear_pointer (&FA_FIELD_CALC (object)->value, cJSON_Delete);
  G_OBJECT_CLASS (fa_field_calc_parent_class)->finalize (object);
}

static void
fa_field_calc_class_init (FaFieldCalcClass *klass)
{
  FaFieldBaseClass *base_class = FA_FIELD_BASE_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = fa_field_calc_finalize;
  base_class->get_value = fa_field_calc_get_value;
  base_class->set_value = fa_field_calc_set_value;
}

static void
fa_field_calc_init (FaFieldCalc *self)
{
  gtk_widget_add_css_class (GTK_WIDGET (self), "calc");
}

GtkWidget *
fa_field_calc_new (const FaForm *form, const FaField *field)
{
  FaFieldCalc *self = g_object_new (FA_TYPE_FIELD_CALC, NULL);

  fa_field_base_setup (FA_FIELD_BASE (self), form, field);
  self->value_label = g_object_new (GTK_TYPE_LABEL, "xalign", 0.0f,
                                    "wrap", TRUE, NULL);
  gtk_widget_set_name (self->value_label, "value");
  gtk_widget_add_css_class (self->value_label, "calc-value");
  fa_field_base_set_input (FA_FIELD_BASE (self), self->value_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->value_label),
                                  GTK_ACCESSIBLE_PROPERTY_READ_ONLY, TRUE, -1);
  fa_field_base_set_value (FA_FIELD_BASE (self), NULL);
  return GTK_WIDGET (self);
}
