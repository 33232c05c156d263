/* Sections and fields of a definition (proto/FORMS.md, "A section", "A field"). */
#include "form_internal.h"

#include <stdio.h>
#include <string.h>

static const char *const SECTION_KEYS[] = { "name", "label", "relevant", "fields", NULL };

static const char *const FIELD_KEYS[] = {
  "name", "type", "label", "hint", "required", "required_message", "relevant", "constraint",
  "constraint_message", "choices", "calculation", "appearance", "without_consent", NULL
};

static const char *const TYPE_NAMES[] = {
  [FIELD_TEXT] = "text", [FIELD_INTEGER] = "integer", [FIELD_DECIMAL] = "decimal",
  [FIELD_DATE] = "date", [FIELD_SELECT_ONE] = "select_one",
  [FIELD_SELECT_MULTIPLE] = "select_multiple", [FIELD_YES_NO] = "yes_no", [FIELD_NOTE] = "note",
  [FIELD_CALCULATE] = "calculate",
};

static int parse_type(form_pctx_t *p, form_field_t *fd, const char *where)
{
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(fd->obj, "type");
  if (!t)
    return form_fail(p, SYNC_ERR_FORM, where, "'type' is missing");
  if (cJSON_IsString(t))
    for (size_t i = 0; i < sizeof TYPE_NAMES / sizeof TYPE_NAMES[0]; i++)
      if (strcmp(t->valuestring, TYPE_NAMES[i]) == 0) {
        fd->type = (field_type_t)i;
        return 0;
      }
  char q[80];
  form_excerpt(q, sizeof q, cJSON_IsString(t) ? t->valuestring : "(not a string)");
  return form_fail(p, SYNC_ERR_FORM, where,
                   "unknown type '%s' (text, integer, decimal, date, select_one, select_multiple, "
                   "yes_no, note or calculate)", q);
}

/* A label-object attribute; `needed` makes its absence an error. */
static int opt_label(form_pctx_t *p, const form_field_t *fd, const char *key, int needed,
                     const char *where, const cJSON *languages, const cJSON **out)
{
  *out = cJSON_GetObjectItemCaseSensitive(fd->obj, key);
  if (!*out)
    return needed ? form_fail(p, SYNC_ERR_FORM, where, "'%s' is missing", key) : 0;
  return form_check_label(p, *out, key, where, languages);
}

/* Attributes that only answerable types (not note / calculate) may have. */
static int check_answerable_only(form_pctx_t *p, const form_field_t *fd, const char *where)
{
  static const char *const keys[] = { "required", "required_message", "constraint",
                                      "constraint_message", NULL };
  if (fd->type != FIELD_NOTE && fd->type != FIELD_CALCULATE)
    return 0;
  for (size_t i = 0; keys[i]; i++)
    if (cJSON_GetObjectItemCaseSensitive(fd->obj, keys[i]))
      return form_fail(p, SYNC_ERR_FORM, where, "'%s' is not allowed on a %s field", keys[i],
                       TYPE_NAMES[fd->type]);
  return 0;
}

static int parse_choices(form_pctx_t *p, form_field_t *fd, const char *where)
{
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(fd->obj, "choices");
  int select = fd->type == FIELD_SELECT_ONE || fd->type == FIELD_SELECT_MULTIPLE;
  fd->list = -1;
  if (!select)
    return c ? form_fail(p, SYNC_ERR_FORM, where, "'choices' is only for select_one and "
                         "select_multiple fields, not %s", TYPE_NAMES[fd->type]) : 0;
  if (!c)
    return form_fail(p, SYNC_ERR_FORM, where, "'choices' (the name of a choice list) is missing");
  if (!cJSON_IsString(c))
    return form_fail(p, SYNC_ERR_FORM, where, "'choices' must be the name of a choice list");
  for (size_t i = 0; i < p->f->n_lists; i++)
    if (strcmp(p->f->lists[i].name, c->valuestring) == 0) {
      fd->list = (int32_t)i;
      return 0;
    }
  char q[80];
  form_excerpt(q, sizeof q, c->valuestring);
  return form_fail(p, SYNC_ERR_FORM, where, "choice list '%s' does not exist", q);
}

static int parse_exprs(form_pctx_t *p, form_field_t *fd, const char *where)
{
  const cJSON *req = cJSON_GetObjectItemCaseSensitive(fd->obj, "required");
  if (cJSON_IsBool(req))
    fd->required = cJSON_IsTrue(req);
  else if (req && !cJSON_IsString(req))
    return form_fail(p, SYNC_ERR_FORM, where, "'required' must be true, false or an expression");
  else if (form_compile(p, req, "required", where, &fd->expr[ATTR_REQUIRED]))
    return -1;

  const cJSON *calc = cJSON_GetObjectItemCaseSensitive(fd->obj, "calculation");
  if (fd->type == FIELD_CALCULATE && !calc)
    return form_fail(p, SYNC_ERR_FORM, where, "'calculation' is missing");
  if (fd->type != FIELD_CALCULATE && calc)
    return form_fail(p, SYNC_ERR_FORM, where, "'calculation' is only for calculate fields");
  return form_compile(p, cJSON_GetObjectItemCaseSensitive(fd->obj, "relevant"), "relevant", where,
                      &fd->expr[ATTR_RELEVANT]) ||
         form_compile(p, cJSON_GetObjectItemCaseSensitive(fd->obj, "constraint"), "constraint",
                      where, &fd->expr[ATTR_CONSTRAINT]) ||
         form_compile(p, calc, "calculation", where, &fd->expr[ATTR_CALCULATION]);
}

static int parse_field(form_pctx_t *p, const cJSON *obj, uint32_t sec, uint32_t pos,
                       form_field_t *fd, const cJSON *languages)
{
  char where[200];
  snprintf(where, sizeof where, ", section '%s'", p->f->sections[sec].name);
  if (!cJSON_IsObject(obj))
    return form_fail(p, SYNC_ERR_FORM, where, "field %u must be an object", (unsigned)pos + 1);
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(obj, "name");
  if (!name)
    return form_fail(p, SYNC_ERR_FORM, where, "field %u has no 'name'", (unsigned)pos + 1);
  char q[80];
  form_excerpt(q, sizeof q, cJSON_IsString(name) ? name->valuestring : "(not a string)");
  if (!cJSON_IsString(name) || !form_name_ok(name->valuestring))
    return form_fail(p, SYNC_ERR_FORM, where, "field name '%s' must match %s", q, FORM_NAME_RE);
  fd->obj = obj;
  fd->name = name->valuestring;
  fd->section = sec;
  fd->list = -1;
  snprintf(where, sizeof where, ", field '%s'", fd->name);
  if (form_check_keys(p, obj, FIELD_KEYS, where) || parse_type(p, fd, where) ||
      check_answerable_only(p, fd, where))
    return -1;
  if (opt_label(p, fd, "label", fd->type != FIELD_CALCULATE, where, languages, &fd->label) ||
      opt_label(p, fd, "hint", 0, where, languages, &fd->hint) ||
      opt_label(p, fd, "required_message", 0, where, languages, &fd->required_message) ||
      opt_label(p, fd, "constraint_message", 0, where, languages, &fd->constraint_message))
    return -1;
  const cJSON *app = cJSON_GetObjectItemCaseSensitive(obj, "appearance");
  if (app && !cJSON_IsString(app))
    return form_fail(p, SYNC_ERR_FORM, where, "'appearance' must be a string");
  fd->appearance = app ? app->valuestring : NULL;
  const cJSON *wc = cJSON_GetObjectItemCaseSensitive(obj, "without_consent");
  if (wc && !cJSON_IsBool(wc))
    return form_fail(p, SYNC_ERR_FORM, where, "'without_consent' must be true or false");
  fd->without_consent = cJSON_IsTrue(wc);
  return parse_choices(p, fd, where) || parse_exprs(p, fd, where);
}

int form_parse_section(form_pctx_t *p, const cJSON *obj, uint32_t sec, uint32_t *next,
                       const cJSON *languages)
{
  form_t *f = p->f;
  form_section_t *s = &f->sections[sec];
  if (!cJSON_IsObject(obj))
    return form_fail(p, SYNC_ERR_FORM, "", "section %u must be an object", (unsigned)sec + 1);
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(obj, "name");
  char q[80];
  form_excerpt(q, sizeof q, cJSON_IsString(name) ? name->valuestring : "(missing)");
  if (!cJSON_IsString(name) || !form_name_ok(name->valuestring))
    return form_fail(p, SYNC_ERR_FORM, "", "section %u: name '%s' must match %s",
                     (unsigned)sec + 1, q, FORM_NAME_RE);
  for (uint32_t i = 0; i < sec; i++)
    if (strcmp(f->sections[i].name, name->valuestring) == 0)
      return form_fail(p, SYNC_ERR_FORM, "", "section name '%s' is used twice", q);
  s->obj = obj;
  s->name = name->valuestring;
  s->first = *next;
  char where[120];
  snprintf(where, sizeof where, ", section '%s'", s->name);
  if (form_check_keys(p, obj, SECTION_KEYS, where))
    return -1;
  s->label = cJSON_GetObjectItemCaseSensitive(obj, "label");
  if (!s->label)
    return form_fail(p, SYNC_ERR_FORM, where, "'label' is missing");
  if (form_check_label(p, s->label, "label", where, languages) ||
      form_compile(p, cJSON_GetObjectItemCaseSensitive(obj, "relevant"), "relevant", where,
                   &s->relevant))
    return -1;
  const cJSON *fields = cJSON_GetObjectItemCaseSensitive(obj, "fields");
  if (!cJSON_IsArray(fields) || !fields->child)
    return form_fail(p, SYNC_ERR_FORM, where, "'fields' must be a non-empty array");
  uint32_t pos = 0;
  for (const cJSON *x = fields->child; x; x = x->next, pos++) {
    f->n_fields = *next + 1;   /* so that form_free() sees a half-parsed field */
    if (parse_field(p, x, sec, pos, &f->fields[*next], languages))
      return -1;
    ++*next;
    s->count++;
  }
  return 0;
}
