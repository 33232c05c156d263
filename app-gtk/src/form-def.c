/* form-def: see form-def.h. */
#include "form-def.h"

#include <glib/gi18n.h>
#include <string.h>

GQuark fa_form_error_quark (void);
G_DEFINE_QUARK (fa-form-error-quark, fa_form_error)
#define FA_FORM_ERROR (fa_form_error_quark ())

/* Labels for the reference form's calculated values: the definition gives calculated fields no
 * label (they are not asked), but the officer must see them, so the app names the known ones and
 * falls back to the field name for others. `flag` values are 0/1 and shown as No/Yes. */
static const struct {
  const char *name;
  const char *label;
  gboolean flag;
} CALC_LABELS[] = {
  { "age_years",       N_("Age at the interview (years)"),          FALSE },
  { "is_child",        N_("Child (under 18)"),                      TRUE  },
  { "act_count",       N_("Acts marked yes"),                       FALSE },
  { "means_count",     N_("Means marked yes"),                      FALSE },
  { "purpose_count",   N_("Purposes marked yes"),                   FALSE },
  { "ilo_count",       N_("ILO indicators marked yes"),             FALSE },
  { "tppo_indicated",  N_("Indication of trafficking (TPPO)"),      TRUE  },
  { "result_category", N_("Computed screening result"),             FALSE },
};

static char *
pick_label (const cJSON *obj, const char *language, const char *fallback_language)
{
  const cJSON *item;

  if (!cJSON_IsObject (obj))
    return NULL;
  item = cJSON_GetObjectItemCaseSensitive (obj, language);
  if (!cJSON_IsString (item))
    item = cJSON_GetObjectItemCaseSensitive (obj, fallback_language);
  if (!cJSON_IsString (item))
    {
      cJSON_ArrayForEach (item, obj)
        if (cJSON_IsString (item))
          break;
    }
  return cJSON_IsString (item) ? g_strdup (item->valuestring) : NULL;
}

static void
choice_list_free (gpointer data)
{
  FaChoiceList *list = data;
  for (guint i = 0; i < list->choices->len; i++)
    {
      FaChoice *c = g_ptr_array_index (list->choices, i);
      g_free (c->name);
      g_free (c->label);
      g_free (c);
    }
  g_ptr_array_unref (list->choices);
  g_free (list->name);
  g_free (list);
}

static void
field_free (gpointer data)
{
  FaField *f = data;
  g_free (f->name);
  g_free (f->label);
  g_free (f->hint);
  g_free (f);
}

static void
section_free (gpointer data)
{
  FaSection *s = data;
  g_free (s->name);
  g_free (s->label);
  g_ptr_array_unref (s->fields);
  g_free (s);
}

void
fa_form_free (FaForm *form)
{
  if (form == NULL)
    return;
  g_free (form->form_id);
  g_free (form->title);
  g_free (form->language);
  g_free (form->consent_field);
  g_ptr_array_unref (form->sections);
  g_ptr_array_unref (form->fields);
  g_hash_table_unref (form->by_name);
  g_hash_table_unref (form->lists);
  g_free (form);
}

static gboolean
parse_type (const char *s, FaFieldType *out)
{
  static const struct { const char *name; FaFieldType type; } TYPES[] = {
    { "text", FA_KIND_TEXT }, { "integer", FA_KIND_INTEGER }, { "decimal", FA_KIND_DECIMAL },
    { "date", FA_KIND_DATE }, { "select_one", FA_KIND_SELECT_ONE },
    { "select_multiple", FA_KIND_SELECT_MULTIPLE }, { "yes_no", FA_KIND_YES_NO },
    { "note", FA_KIND_NOTE }, { "calculate", FA_KIND_CALCULATE },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (TYPES); i++)
    if (g_strcmp0 (s, TYPES[i].name) == 0)
      {
        *out = TYPES[i].type;
        return TRUE;
      }
  return FALSE;
}

static char *
calc_label (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (CALC_LABELS); i++)
    if (strcmp (CALC_LABELS[i].name, name) == 0)
      return g_strdup (_(CALC_LABELS[i].label));
  return g_strdup (name);
}

static gboolean
calc_is_flag (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (CALC_LABELS); i++)
    if (strcmp (CALC_LABELS[i].name, name) == 0)
      return CALC_LABELS[i].flag;
  return FALSE;
}

static gboolean
parse_lists (FaForm *form, const cJSON *lists, const char *lang, const char *deflang, GError **error)
{
  const cJSON *list;

  cJSON_ArrayForEach (list, lists)
    {
      FaChoiceList *cl = g_new0 (FaChoiceList, 1);
      const cJSON *choice;

      cl->name = g_strdup (list->string);
      cl->choices = g_ptr_array_new ();
      g_hash_table_insert (form->lists, cl->name, cl);
      cJSON_ArrayForEach (choice, list)
        {
          const cJSON *name = cJSON_GetObjectItemCaseSensitive (choice, "name");
          FaChoice *c;

          if (!cJSON_IsString (name))
            {
              g_set_error (error, FA_FORM_ERROR, 1, "choice list %s: a choice without a name", cl->name);
              return FALSE;
            }
          c = g_new0 (FaChoice, 1);
          c->name = g_strdup (name->valuestring);
          c->label = pick_label (cJSON_GetObjectItemCaseSensitive (choice, "label"), lang, deflang);
          if (c->label == NULL)
            c->label = g_strdup (c->name);
          g_ptr_array_add (cl->choices, c);
        }
    }
  return TRUE;
}

static FaField *
parse_field (FaForm *form, const cJSON *jf, guint section, const char *lang, const char *deflang,
             GError **error)
{
  const cJSON *name = cJSON_GetObjectItemCaseSensitive (jf, "name");
  const cJSON *type = cJSON_GetObjectItemCaseSensitive (jf, "type");
  const cJSON *req = cJSON_GetObjectItemCaseSensitive (jf, "required");
  const cJSON *app = cJSON_GetObjectItemCaseSensitive (jf, "appearance");
  const cJSON *choices = cJSON_GetObjectItemCaseSensitive (jf, "choices");
  FaField *f;

  if (!cJSON_IsString (name) || !cJSON_IsString (type))
    {
      g_set_error (error, FA_FORM_ERROR, 1, "a field without a name or a type");
      return NULL;
    }
  f = g_new0 (FaField, 1);
  f->name = g_strdup (name->valuestring);
  f->section = section;
  if (!parse_type (type->valuestring, &f->type))
    {
      g_set_error (error, FA_FORM_ERROR, 1, "field %s: unknown type %s", f->name, type->valuestring);
      field_free (f);
      return NULL;
    }
  f->label = pick_label (cJSON_GetObjectItemCaseSensitive (jf, "label"), lang, deflang);
  if (f->label == NULL)
    f->label = f->type == FA_KIND_CALCULATE ? calc_label (f->name) : g_strdup (f->name);
  f->hint = pick_label (cJSON_GetObjectItemCaseSensitive (jf, "hint"), lang, deflang);
  f->required = cJSON_IsTrue (req);
  f->multiline = cJSON_IsString (app) && strstr (app->valuestring, "multiline") != NULL;
  f->central = cJSON_IsString (app) && strstr (app->valuestring, "central") != NULL;
  if (f->central && f->hint == NULL)
    f->hint = g_strdup (_("Set by the central office; shown here after a sync."));
  if (cJSON_IsString (choices))
    f->list = g_hash_table_lookup (form->lists, choices->valuestring);
  if ((f->type == FA_KIND_SELECT_ONE || f->type == FA_KIND_SELECT_MULTIPLE) && f->list == NULL)
    {
      g_set_error (error, FA_FORM_ERROR, 1, "field %s: unknown choice list", f->name);
      field_free (f);
      return NULL;
    }
  return f;
}

FaForm *
fa_form_new_from_json (const char *json, const char *language, GError **error)
{
  g_autoptr (FaForm) form = NULL;
  cJSON *root = cJSON_Parse (json);
  const cJSON *sections, *js, *deflang_item, *consent;
  const char *deflang;

  if (root == NULL)
    {
      g_set_error (error, FA_FORM_ERROR, 1, "the form definition is not valid JSON");
      return NULL;
    }

  form = g_new0 (FaForm, 1);
  form->sections = g_ptr_array_new_with_free_func (section_free);
  form->fields = g_ptr_array_new_with_free_func (field_free);
  form->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  form->lists = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, choice_list_free);

  deflang_item = cJSON_GetObjectItemCaseSensitive (root, "default_language");
  deflang = cJSON_IsString (deflang_item) ? deflang_item->valuestring : "id";
  form->language = g_strdup (language ? language : deflang);
  form->form_id = g_strdup (cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (root, "form_id")));
  form->version = (int) cJSON_GetNumberValue (cJSON_GetObjectItemCaseSensitive (root, "version"));
  form->title = pick_label (cJSON_GetObjectItemCaseSensitive (root, "title"), form->language, deflang);
  consent = cJSON_GetObjectItemCaseSensitive (root, "consent_field");
  form->consent_field = cJSON_IsString (consent) ? g_strdup (consent->valuestring) : NULL;
  if (form->form_id == NULL || form->title == NULL)
    {
      g_set_error (error, FA_FORM_ERROR, 1, "the form has no id or title");
      goto fail;
    }

  if (!parse_lists (form, cJSON_GetObjectItemCaseSensitive (root, "choice_lists"), form->language,
                    deflang, error))
    goto fail;

  sections = cJSON_GetObjectItemCaseSensitive (root, "sections");
  cJSON_ArrayForEach (js, sections)
    {
      FaSection *s = g_new0 (FaSection, 1);
      const cJSON *jf;

      s->name = g_strdup (cJSON_GetStringValue (cJSON_GetObjectItemCaseSensitive (js, "name")));
      s->label = pick_label (cJSON_GetObjectItemCaseSensitive (js, "label"), form->language, deflang);
      if (s->label == NULL)
        s->label = g_strdup (s->name ? s->name : "");
      s->fields = g_ptr_array_new ();
      g_ptr_array_add (form->sections, s);
      cJSON_ArrayForEach (jf, cJSON_GetObjectItemCaseSensitive (js, "fields"))
        {
          FaField *f = parse_field (form, jf, form->sections->len - 1, form->language, deflang, error);
          if (f == NULL)
            goto fail;
          g_ptr_array_add (form->fields, f);
          g_ptr_array_add (s->fields, f);
          g_hash_table_insert (form->by_name, f->name, f);
        }
    }
  if (form->sections->len == 0)
    {
      g_set_error (error, FA_FORM_ERROR, 1, "the form has no sections");
      goto fail;
    }
  cJSON_Delete (root);
  return g_steal_pointer (&form);

fail:
  cJSON_Delete (root);
  return NULL;
}

const FaField *
fa_form_lookup (const FaForm *form, const char *name)
{
  return g_hash_table_lookup (form->by_name, name);
}

const FaChoice *
fa_choice_list_lookup (const FaChoiceList *list, const char *name)
{
  if (list == NULL || name == NULL)
    return NULL;
  for (guint i = 0; i < list->choices->len; i++)
    {
      const FaChoice *c = g_ptr_array_index (list->choices, i);
      if (strcmp (c->name, name) == 0)
        return c;
    }
  return NULL;
}

gboolean
fa_field_is_answerable (const FaField *field)
{
  return field->type != FA_KIND_NOTE && field->type != FA_KIND_CALCULATE;
}

/* The label of `name` in any list of the form (for calculated values such as result_category,
 * which produce a choice name of a list the form also uses for a question). */
static const char *
any_list_label (const FaForm *form, const char *name)
{
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init (&it, form->lists);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      const FaChoice *c = fa_choice_list_lookup (value, name);
      if (c != NULL && strcmp (((FaChoiceList *) value)->name, "yes_no") != 0)
        return c->label;
    }
  return NULL;
}

static char *
format_number (double d)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (d == (double) (gint64) d && d < 9.007199254740992e15 && d > -9.007199254740992e15)
    return g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) d);
  g_ascii_formatd (buf, sizeof buf, "%.6g", d);
  return g_strdup (buf);
}

char *
fa_form_format_value (const FaForm *form, const FaField *field, const cJSON *value)
{
  if (value == NULL || cJSON_IsNull (value))
    return g_strdup ("");
  if (cJSON_IsBool (value))
    return g_strdup (cJSON_IsTrue (value) ? _("Yes") : _("No"));
  if (cJSON_IsNumber (value))
    {
      if (field != NULL && field->type == FA_KIND_CALCULATE && calc_is_flag (field->name))
        return g_strdup (value->valuedouble != 0 ? _("Yes") : _("No"));
      return format_number (value->valuedouble);
    }
  if (cJSON_IsString (value))
    {
      const FaChoice *c = field ? fa_choice_list_lookup (field->list, value->valuestring) : NULL;
      const char *any;

      if (c != NULL)
        return g_strdup (c->label);
      if (field != NULL && field->type == FA_KIND_CALCULATE
          && (any = any_list_label (form, value->valuestring)) != NULL)
        return g_strdup (any);
      return g_strdup (value->valuestring);
    }
  if (cJSON_IsArray (value))
    {
      g_autoptr (GString) s = g_string_new (NULL);
      const cJSON *item;

      cJSON_ArrayForEach (item, value)
        {
          g_autofree char *one = fa_form_format_value (form, field, item);
          if (s->len > 0)
            g_string_append (s, ", ");
          g_string_append (s, one);
        }
      return g_string_free (g_steal_pointer (&s), FALSE);
    }
  {
    char *raw = cJSON_PrintUnformatted (value);
    char *out = g_strdup (raw);
    cJSON_free (raw);
    return out;
  }
}

char *
fa_form_format_json_value (const FaForm *form, const char *field_name, const char *json_value)
{
  cJSON *v;
  char *out;

  if (json_value == NULL)
    return g_strdup ("");
  v = cJSON_Parse (json_value);
  if (v == NULL)
    return g_strdup (json_value);
  out = fa_form_format_value (form, form ? fa_form_lookup (form, field_name) : NULL, v);
  cJSON_Delete (v);
  return out;
}
