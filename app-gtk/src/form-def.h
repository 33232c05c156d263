/* form-def: the app's read-only view of a form definition (proto/FORMS.md), parsed with cJSON.
 *
 * The library validates definitions and answers; this model only carries what the UI needs to
 * draw the form: sections, fields, choice lists and labels in the UI language (falling back to
 * the form's default language). A FaForm is immutable after parsing; the app caches one per
 * (form id, version) and shares it between pages. Main thread only.
 */
#pragma once

#include <glib.h>
#include <cjson/cJSON.h>

G_BEGIN_DECLS

typedef enum {
  FA_KIND_TEXT,
  FA_KIND_INTEGER,
  FA_KIND_DECIMAL,
  FA_KIND_DATE,
  FA_KIND_SELECT_ONE,
  FA_KIND_SELECT_MULTIPLE,
  FA_KIND_YES_NO,
  FA_KIND_NOTE,
  FA_KIND_CALCULATE
} FaFieldType;

typedef struct {
  char *name;
  char *label;
} FaChoice;

typedef struct {
  char *name;
  GPtrArray *choices;         /* FaChoice* */
} FaChoiceList;

typedef struct {
  char *name;
  FaFieldType type;
  char *label;                /* never NULL: calculated fields get a UI label (fa_form_calc_label) */
  char *hint;                 /* NULL if none */
  gboolean required;          /* "required": true (an expression counts as possibly required) */
  gboolean multiline;         /* appearance "multiline" */
  gboolean central;           /* appearance "central": set by central staff, read-only here */
  const FaChoiceList *list;   /* select_one / select_multiple */
  guint section;              /* index into FaForm.sections */
} FaField;

typedef struct {
  char *name;
  char *label;
  GPtrArray *fields;          /* FaField*, borrowed from FaForm.fields */
} FaSection;

typedef struct {
  char *form_id;
  int version;
  char *title;
  char *language;             /* the language the labels were picked in */
  char *consent_field;        /* NULL if the form names none */
  GPtrArray *sections;        /* FaSection* */
  GPtrArray *fields;          /* FaField*, form order */
  GHashTable *by_name;        /* name -> FaField* */
  GHashTable *lists;          /* name -> FaChoiceList* */
} FaForm;

/* Parses `json` picking labels in `language` ("id"/"en"). NULL with `error` set on failure. */
FaForm *fa_form_new_from_json (const char *json, const char *language, GError **error);
void fa_form_free (FaForm *form);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FaForm, fa_form_free)

const FaField *fa_form_lookup (const FaForm *form, const char *name);
const FaChoice *fa_choice_list_lookup (const FaChoiceList *list, const char *name);
gboolean fa_field_is_answerable (const FaField *field);

/* Text for people of one answer (`value` may be NULL or JSON null: returns ""). Choice names
 * become their labels, booleans Yes/No, dates stay ISO (YYYY-MM-DD is unambiguous in both
 * languages). Calculated flags such as is_child show as Yes/No. Caller frees. */
char *fa_form_format_value (const FaForm *form, const FaField *field, const cJSON *value);

/* The same for a JSON text value (as the conflict API returns them). */
char *fa_form_format_json_value (const FaForm *form, const char *field_name, const char *json_value);

G_END_DECLS
