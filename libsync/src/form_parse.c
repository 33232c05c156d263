/* form_parse(): a definition's bytes -> a checked form_t (proto/FORMS.md, "Document"). This file
 * does the document level; sections and fields are in form_parse_field.c, choice lists in
 * form_parse_lists.c, references and evaluation order in form_order.c. */
#include "form_internal.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const TOP_KEYS[] = {
  "format", "form_id", "version", "default_language", "languages", "title", "choice_lists",
  "sections", "consent_field", "encryption", "duplicate_key", NULL
};

static int lang_code_ok(const char *s)
{
  size_t n = strlen(s);
  if (n == 0 || n > 16)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      return 0;
  }
  return 1;
}

static int parse_identity(form_pctx_t *p, const cJSON *root)
{
  form_t *f = p->f;
  const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
  if (!format)
    return form_fail(p, SYNC_ERR_FORM, "", "'format' is missing (this libsync reads format 1)");
  if (!cJSON_IsNumber(format) || format->valuedouble != 1.0) {
    if (cJSON_IsNumber(format) && format->valuedouble > 1.0)
      return form_fail(p, SYNC_ERR_FORM, "",
                       "format %g is newer than this libsync understands (it reads format 1)",
                       format->valuedouble);
    return form_fail(p, SYNC_ERR_FORM, "", "'format' must be 1");
  }
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "form_id");
  if (!cJSON_IsString(id))
    return form_fail(p, SYNC_ERR_FORM, "", "'form_id' is missing or not a string");
  if (!form_name_ok(id->valuestring)) {
    char q[80];
    form_excerpt(q, sizeof q, id->valuestring);
    return form_fail(p, SYNC_ERR_FORM, "", "form_id '%s' must match %s", q, FORM_NAME_RE);
  }
  f->id = id->valuestring;
  const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
  if (!cJSON_IsNumber(ver) || !(ver->valuedouble >= 1.0) || ver->valuedouble > INT_MAX ||
      floor(ver->valuedouble) != ver->valuedouble)
    return form_fail(p, SYNC_ERR_FORM, "", "'version' must be an integer >= 1");
  f->version = (int)ver->valuedouble;
  return 0;
}

static int parse_languages(form_pctx_t *p, const cJSON *root, const cJSON **langs_out)
{
  form_t *f = p->f;
  const cJSON *langs = cJSON_GetObjectItemCaseSensitive(root, "languages");
  if (!cJSON_IsArray(langs) || !langs->child)
    return form_fail(p, SYNC_ERR_FORM, "", "'languages' must be a non-empty array such as [\"id\", \"en\"]");
  int n = 0;
  for (const cJSON *l = langs->child; l; l = l->next) {
    if (++n > FORM_MAX_LANGS)
      return form_fail(p, SYNC_ERR_TOO_LARGE, "", "more than %d languages", FORM_MAX_LANGS);
    if (!cJSON_IsString(l) || !lang_code_ok(l->valuestring))
      return form_fail(p, SYNC_ERR_FORM, "", "languages[%d] must be a language code such as \"id\"",
                       n - 1);
    for (const cJSON *o = langs->child; o != l; o = o->next)
      if (strcmp(o->valuestring, l->valuestring) == 0)
        return form_fail(p, SYNC_ERR_FORM, "", "language '%s' is listed twice", l->valuestring);
  }
  const cJSON *def = cJSON_GetObjectItemCaseSensitive(root, "default_language");
  if (!cJSON_IsString(def))
    return form_fail(p, SYNC_ERR_FORM, "", "'default_language' is missing or not a string");
  for (const cJSON *l = langs->child; l; l = l->next)
    if (strcmp(l->valuestring, def->valuestring) == 0)
      f->default_lang = l->valuestring;
  if (!f->default_lang) {
    char q[80];
    form_excerpt(q, sizeof q, def->valuestring);
    return form_fail(p, SYNC_ERR_FORM, "", "default_language '%s' is not in 'languages'", q);
  }
  *langs_out = langs;
  return 0;
}

/* Counts the fields of every section so that one array holds them all. */
static int count_fields(form_pctx_t *p, const cJSON *sections, size_t *n_sections, size_t *n_fields)
{
  if (!cJSON_IsArray(sections) || !sections->child)
    return form_fail(p, SYNC_ERR_FORM, "", "'sections' must be a non-empty array");
  size_t ns = 0, nf = 0;
  for (const cJSON *s = sections->child; s; s = s->next) {
    if (++ns > FORM_MAX_SECTIONS)
      return form_fail(p, SYNC_ERR_TOO_LARGE, "", "more than %d sections", FORM_MAX_SECTIONS);
    const cJSON *fields = cJSON_IsObject(s) ? cJSON_GetObjectItemCaseSensitive(s, "fields") : NULL;
    if (cJSON_IsArray(fields))
      for (const cJSON *x = fields->child; x; x = x->next)
        if (++nf > FORM_MAX_FIELDS)
          return form_fail(p, SYNC_ERR_TOO_LARGE, "", "more than %d fields", FORM_MAX_FIELDS);
  }
  *n_sections = ns;
  *n_fields = nf;
  return 0;
}

static int parse_consent(form_pctx_t *p, const cJSON *root)
{
  form_t *f = p->f;
  f->consent_field = -1;
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(root, "consent_field");
  if (!c)
    return 0;
  if (!cJSON_IsString(c))
    return form_fail(p, SYNC_ERR_FORM, "", "'consent_field' must be a field name");
  long i = form_field_index(f, c->valuestring);
  if (i < 0) {
    char q[80];
    form_excerpt(q, sizeof q, c->valuestring);
    return form_fail(p, SYNC_ERR_FORM, "", "consent_field '%s' is not a field of this form", q);
  }
  if (f->fields[i].type != FIELD_SELECT_ONE && f->fields[i].type != FIELD_YES_NO)
    return form_fail(p, SYNC_ERR_FORM, "",
                     "consent_field '%s' must be a select_one or yes_no field", c->valuestring);
  if (f->fields[i].type == FIELD_SELECT_ONE &&
      form_choice_index(&f->lists[f->fields[i].list], "yes") < 0)
    return form_fail(p, SYNC_ERR_FORM, "",
                     "consent_field '%s' has no choice 'yes' (the answer that records consent)",
                     c->valuestring);
  f->consent_field = (int)i;
  return 0;
}

static int parse_document(form_pctx_t *p, cJSON *root)
{
  form_t *f = p->f;
  if (!cJSON_IsObject(root))
    return form_fail(p, SYNC_ERR_FORM, "", "must be a JSON object");
  const cJSON *langs = NULL;
  if (parse_identity(p, root) || form_check_keys(p, root, TOP_KEYS, "") ||
      parse_languages(p, root, &langs))
    return -1;
  f->title = cJSON_GetObjectItemCaseSensitive(root, "title");
  if (!f->title)
    return form_fail(p, SYNC_ERR_FORM, "", "'title' is missing");
  if (form_check_label(p, f->title, "title", "", langs) ||
      form_parse_lists(p, cJSON_GetObjectItemCaseSensitive(root, "choice_lists"), langs))
    return -1;

  const cJSON *sections = cJSON_GetObjectItemCaseSensitive(root, "sections");
  size_t ns = 0, nf = 0;
  if (count_fields(p, sections, &ns, &nf))
    return -1;
  f->sections = calloc(ns, sizeof *f->sections);
  f->fields = calloc(nf ? nf : 1, sizeof *f->fields);
  if (!f->sections || !f->fields)
    return form_fail(p, SYNC_ERR_NOMEM, "", "out of memory");
  uint32_t sec = 0, next = 0;
  for (const cJSON *s = sections->child; s; s = s->next, sec++) {
    f->n_sections = sec + 1;
    if (form_parse_section(p, s, sec, &next, langs))
      return -1;
    f->n_fields = next;
  }
  if (form_resolve(p) || parse_consent(p, root))
    return -1;
  return form_parse_security(p, root);
}

form_t *form_parse(const char *json, size_t len, sync_err_t *err, char *errbuf, size_t errlen)
{
  form_pctx_t p = { NULL, SYNC_OK, errbuf, errlen };
  sync_err_t dummy;
  if (!err)
    err = &dummy;
  if (errbuf && errlen)
    errbuf[0] = '\0';
  if (!json && len) {
    *err = SYNC_ERR_INVALID_ARG;
    form_fail(&p, SYNC_ERR_INVALID_ARG, "", "no text");
    return NULL;
  }
  if (len > FORM_MAX_DEF_BYTES) {
    *err = SYNC_ERR_TOO_LARGE;
    form_fail(&p, SYNC_ERR_TOO_LARGE, "", "%zu bytes; the limit is %u bytes (4 MiB)", len,
              (unsigned)FORM_MAX_DEF_BYTES);
    return NULL;
  }
  unsigned long line, col;
  size_t bad = form_utf8_prefix(json, len);
  const char *what = "not valid UTF-8";
  if (bad == len) {
    bad = form_find_nul(json, len);
    what = "NUL characters are not allowed";
  }
  cJSON *root = NULL;
  if (bad == len) {
    int trailing = 0;
    root = form_json_parse(json, len, &bad, &trailing);
    what = trailing ? "malformed JSON: text after the end of the document" : "malformed JSON";
  }
  if (!root) {
    form_line_col(json, bad, &line, &col);
    *err = SYNC_ERR_JSON;
    if (errbuf && errlen)
      snprintf(errbuf, errlen, "line %lu, column %lu: %s", line, col, what);
    return NULL;
  }
  form_t *f = calloc(1, sizeof *f);
  if (!f) {
    cJSON_Delete(root);
    *err = SYNC_ERR_NOMEM;
    form_fail(&p, SYNC_ERR_NOMEM, "", "out of memory");
    return NULL;
  }
  f->root = root;
  f->consent_field = -1;
  pthread_mutex_init(&f->seal_lock, NULL);
  p.f = f;
  if (parse_document(&p, root)) {
    *err = p.err;
    form_free(f);
    return NULL;
  }
  *err = SYNC_OK;
  return f;
}
