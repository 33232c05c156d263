/* field-base: what every question widget shares (FaFieldBase, derivable): the question's title,
 * hint, inline error, accessible relations, the "changed" signal and the value interface the form
 * page uses. One final subclass per field-type family lives in field-<thing>.c.
 *
 * Values are cJSON: get_value returns a new item (NULL when unanswered); set_value takes a
 * borrowed item (NULL clears). Widgets are named "field-<name>" (tests and CSS find them).
 */
#pragma once

#include <gtk/gtk.h>
#include <cjson/cJSON.h>

#include "form-def.h"

G_BEGIN_DECLS

#define FA_TYPE_FIELD_BASE (fa_field_base_get_type ())
G_DECLARE_DERIVABLE_TYPE (FaFieldBase, fa_field_base, FA, FIELD_BASE, GtkWidget)

struct _FaFieldBaseClass
{
  GtkWidgetClass parent_class;

  cJSON *(*get_value) (FaFieldBase *self);
  void (*set_value) (FaFieldBase *self, const cJSON *value);
  void (*set_editable) (FaFieldBase *self, gboolean editable);
};

/* Called by subclasses' constructors. */
void fa_field_base_setup (FaFieldBase *self, const FaForm *form, const FaField *field);
/* Puts the subclass's input widget under the title and labels it for assistive technology. */
void fa_field_base_set_input (FaFieldBase *self, GtkWidget *input);
/* Adds accessible relations to another input widget (for groups of radio/check buttons). */
void fa_field_base_label_input (FaFieldBase *self, GtkWidget *input);
/* Subclasses call this whenever the officer changes the answer. */
void fa_field_base_emit_changed (FaFieldBase *self);

const FaField *fa_field_base_get_field (FaFieldBase *self);
const FaForm *fa_field_base_get_form (FaFieldBase *self);

cJSON *fa_field_base_get_value (FaFieldBase *self);
/* Sets the value without emitting "changed". */
void fa_field_base_set_value (FaFieldBase *self, const cJSON *value);
void fa_field_base_set_editable (FaFieldBase *self, gboolean editable);
/* Shows (or with NULL hides) the error under the question, in the officer's language. */
void fa_field_base_set_error (FaFieldBase *self, const char *message);
const char *fa_field_base_get_error (FaFieldBase *self);
/* TRUE while set_value runs, so subclasses do not report programmatic changes. */
gboolean fa_field_base_is_loading (FaFieldBase *self);

/* Creates the widget for `field`'s type. */
GtkWidget *fa_field_new (const FaForm *form, const FaField *field);

G_END_DECLS
