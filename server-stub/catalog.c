/* Merged columns and labels of a form's published versions (catalog.h). */
#include "catalog.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t hash_name(const char *s, size_t n)
{
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

int catalog_col(const catalog_t *cat, const char *name, size_t len)
{
  if (!cat->slots)
    return -1;
  for (size_t i = hash_name(name, len) & cat->mask;; i = (i + 1) & cat->mask) {
    int s = cat->slots[i];
    if (s == 0)
      return -1;
    const char *n = cat->cols[s - 1].name;
    if (strncmp(n, name, len) == 0 && n[len] == '\0')
      return s - 1;
  }
}

const cat_version_t *catalog_version(const catalog_t *cat, int version)
{
  for (size_t i = 0; i < cat->n_versions; i++)
    if (cat->versions[i].version == version)
      return &cat->versions[i];
  return NULL;
}

const cat_version_t *catalog_latest(const catalog_t *cat)
{
  return cat->n_versions ? &cat->versions[cat->n_versions - 1] : NULL;
}

int catalog_choice(const cat_col_t *col, const char *name)
{
  for (size_t i = 0; i < col->n_choices; i++)
    if (strcmp(col->choices[i], name) == 0)
      return (int)i;
  return -1;
}

const char *catalog_text(const catalog_t *cat, const cJSON *label, const char *lang)
{
  if (!cJSON_IsObject(label))
    return NULL;
  const cJSON *t = lang ? cJSON_GetObjectItemCaseSensitive(label, lang) : NULL;
  if (!cJSON_IsString(t) || !t->valuestring[0])
    t = cJSON_GetObjectItemCaseSensitive(label, cat->default_lang);
  return cJSON_IsString(t) ? t->valuestring : NULL;
}

const char *catalog_choice_label(const catalog_t *cat, const cat_version_t *v, size_t col,
                                 size_t ci, const char *lang)
{
  const cat_col_t *c = &cat->cols[col];
  if (ci >= c->n_choices)
    return "";
  const char *t = v && v->choice_label[col] ? catalog_text(cat, v->choice_label[col][ci], lang)
                                            : NULL;
  for (size_t i = cat->n_versions; !t && i-- > 0;) {
    const cat_version_t *o = &cat->versions[i];
    if (o->choice_label[col])
      t = catalog_text(cat, o->choice_label[col][ci], lang);
  }
  return t ? t : c->choices[ci];
}

const char *catalog_field_label(const catalog_t *cat, size_t col, const char *lang)
{
  for (size_t i = cat->n_versions; i-- > 0;) {
    const cJSON *f = cat->versions[i].field[col];
    if (f) {
      const char *t = catalog_text(cat, cJSON_GetObjectItemCaseSensitive(f, "label"), lang);
      if (t)
        return t;
    }
  }
  return cat->cols[col].name;
}

const char *catalog_list_label(const catalog_t *cat, const char *list, const char *choice,
                               const char *lang)
{
  for (size_t i = cat->n_versions; i-- > 0;) {
    const cJSON *lists = cJSON_GetObjectItemCaseSensitive(cat->versions[i].root, "choice_lists");
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(lists, list), *ch;
    cJSON_ArrayForEach(ch, l) {
      const cJSON *n = cJSON_GetObjectItemCaseSensitive(ch, "name");
      if (cJSON_IsString(n) && strcmp(n->valuestring, choice) == 0) {
        const char *t = catalog_text(cat, cJSON_GetObjectItemCaseSensitive(ch, "label"), lang);
        return t ? t : choice;
      }
    }
  }
  return choice;
}

const char *catalog_title(const catalog_t *cat, const char *lang)
{
  const cat_version_t *v = catalog_latest(cat);
  const char *t = v ? catalog_text(cat, cJSON_GetObjectItemCaseSensitive(v->root, "title"), lang)
                    : NULL;
  return t ? t : cat->form_id;
}

const char *catalog_yes_no(int value, const char *lang)
{
  int en = lang && strcmp(lang, "en") == 0;
  return value ? (en ? "Yes" : "Ya") : (en ? "No" : "Tidak");
}

/* ---- loading ------------------------------------------------------------------------------ */

void catalog_free(catalog_t *cat)
{
  if (!cat)
    return;
  for (size_t i = 0; i < cat->n_versions; i++) {
    cat_version_t *v = &cat->versions[i];
    if (v->choice_label)
      for (size_t c = 0; c < cat->n_cols; c++)
        free(v->choice_label[c]);
    free(v->choice_label);
    free(v->field);
    form_free(v->form);
    cJSON_Delete(v->root);
  }
  for (size_t c = 0; c < cat->n_cols; c++)
    free(cat->cols[c].choices);
  free(cat->versions);
  free(cat->cols);
  free(cat->slots);
  free(cat);
}

/* The definition's field objects in document order (= form_t field order). */
static const cJSON *nth_field(const cJSON *root, size_t want)
{
  const cJSON *sections = cJSON_GetObjectItemCaseSensitive(root, "sections"), *s;
  size_t i = 0;
  cJSON_ArrayForEach(s, sections) {
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(s, "fields")) {
      if (i++ == want)
        return f;
    }
  }
  return NULL;
}

static int add_col(catalog_t *cat, size_t *cap, const char *name, field_type_t type,
                   int central, int version)
{
  if (cat->n_cols == *cap) {
    size_t ncap = *cap ? *cap * 2 : 128;
    cat_col_t *n = realloc(cat->cols, ncap * sizeof *n);
    if (!n)
      return -1;
    cat->cols = n;
    *cap = ncap;
  }
  cat_col_t *c = &cat->cols[cat->n_cols++];
  memset(c, 0, sizeof *c);
  c->name = name;
  c->type = type;
  c->central = central;
  c->first_version = version;
  return 0;
}

static int add_choice(cat_col_t *c, const char *name)
{
  if (catalog_choice(c, name) >= 0)
    return 0;
  const char **n = realloc(c->choices, (c->n_choices + 1) * sizeof *n);
  if (!n)
    return -1;
  c->choices = n;
  c->choices[c->n_choices++] = name;
  return 0;
}

static int build_index(catalog_t *cat)
{
  size_t size = 64;
  while (size < cat->n_cols * 3)
    size *= 2;
  cat->slots = calloc(size, sizeof *cat->slots);
  if (!cat->slots)
    return -1;
  cat->mask = size - 1;
  for (size_t c = 0; c < cat->n_cols; c++) {
    const char *n = cat->cols[c].name;
    size_t i = hash_name(n, strlen(n)) & cat->mask;
    while (cat->slots[i])
      i = (i + 1) & cat->mask;
    cat->slots[i] = (int)c + 1;
  }
  return 0;
}

/* Labels of version v for every merged column and choice. */
static int link_labels(catalog_t *cat, cat_version_t *v)
{
  v->field = calloc(cat->n_cols ? cat->n_cols : 1, sizeof *v->field);
  v->choice_label = calloc(cat->n_cols ? cat->n_cols : 1, sizeof *v->choice_label);
  if (!v->field || !v->choice_label)
    return -1;
  const cJSON *lists = cJSON_GetObjectItemCaseSensitive(v->root, "choice_lists");
  for (size_t i = 0; i < form_field_count(v->form); i++) {
    const char *name = form_field_name(v->form, i);
    int col = catalog_col(cat, name, strlen(name));
    if (col < 0)
      continue;
    const cJSON *fobj = nth_field(v->root, i);
    v->field[col] = fobj;
    const cat_col_t *c = &cat->cols[col];
    const cJSON *lname = cJSON_GetObjectItemCaseSensitive(fobj, "choices");
    if (!c->n_choices || !cJSON_IsString(lname))
      continue;
    const cJSON **labels = calloc(c->n_choices, sizeof *labels);
    if (!labels)
      return -1;
    v->choice_label[col] = labels;
    const cJSON *ch;
    cJSON_ArrayForEach(ch, cJSON_GetObjectItemCaseSensitive(lists, lname->valuestring)) {
      const cJSON *n = cJSON_GetObjectItemCaseSensitive(ch, "name");
      int ci = cJSON_IsString(n) ? catalog_choice(c, n->valuestring) : -1;
      if (ci >= 0)
        labels[ci] = cJSON_GetObjectItemCaseSensitive(ch, "label");
    }
  }
  return 0;
}

static int cmp_version(const void *a, const void *b)
{
  const cat_version_t *x = a, *y = b;
  return (x->version > y->version) - (x->version < y->version);
}

sync_err_t catalog_from_texts(const char *const *defs, size_t n, catalog_t **out, char *err,
                              size_t errlen)
{
  *out = NULL;
  if (errlen)
    err[0] = '\0';
  if (n == 0)
    return SYNC_ERR_NOT_FOUND;
  catalog_t *cat = calloc(1, sizeof *cat);
  if (!cat || !(cat->versions = calloc(n, sizeof *cat->versions))) {
    free(cat);
    return SYNC_ERR_NOMEM;
  }
  sync_err_t e = SYNC_OK;
  for (size_t i = 0; i < n; i++) {
    cat_version_t *v = &cat->versions[i];
    char why[256];
    if (!(v->form = form_parse(defs[i], strlen(defs[i]), &e, why, sizeof why))) {
      snprintf(err, errlen, "stored form definition does not parse: %s", why);
      e = SYNC_ERR_FORM;
      goto fail;
    }
    if (!(v->root = cJSON_Parse(defs[i]))) {
      e = SYNC_ERR_NOMEM;
      goto fail;
    }
    v->version = form_version(v->form);
    cat->n_versions++;
  }
  qsort(cat->versions, n, sizeof *cat->versions, cmp_version);
  snprintf(cat->form_id, sizeof cat->form_id, "%s", form_id(cat->versions[0].form));
  const cJSON *dl = cJSON_GetObjectItemCaseSensitive(cat->versions[0].root, "default_language");
  snprintf(cat->default_lang, sizeof cat->default_lang, "%s",
           cJSON_IsString(dl) ? dl->valuestring : "id");

  /* Columns: each version's fields that are new, in its order; choices merged likewise. */
  size_t cap = 0;
  for (size_t i = 0; i < n; i++) {
    cat_version_t *v = &cat->versions[i];
    if (strcmp(form_id(v->form), cat->form_id) != 0) {
      snprintf(err, errlen, "definitions of two forms (%s, %s)", cat->form_id, form_id(v->form));
      e = SYNC_ERR_INVALID_ARG;
      goto fail;
    }
    for (size_t f = 0; f < form_field_count(v->form); f++) {
      field_type_t t = form_field_type(v->form, f);
      if (t == FIELD_NOTE)
        continue;
      const char *name = form_field_name(v->form, f);
      int col = -1;
      for (size_t c = 0; c < cat->n_cols; c++)
        if (strcmp(cat->cols[c].name, name) == 0)
          col = (int)c;
      if (col < 0) {
        const cJSON *app = cJSON_GetObjectItemCaseSensitive(nth_field(v->root, f), "appearance");
        int central = cJSON_IsString(app) && strcmp(app->valuestring, "central") == 0;
        if (add_col(cat, &cap, name, t, central, v->version) != 0) {
          e = SYNC_ERR_NOMEM;
          goto fail;
        }
        col = (int)cat->n_cols - 1;
      }
      for (size_t ci = 0; ci < form_field_choice_count(v->form, f); ci++)
        if (add_choice(&cat->cols[col], form_field_choice_name(v->form, f, ci)) != 0) {
          e = SYNC_ERR_NOMEM;
          goto fail;
        }
    }
  }
  if (build_index(cat) != 0) {
    e = SYNC_ERR_NOMEM;
    goto fail;
  }
  for (size_t i = 0; i < n; i++)
    if (link_labels(cat, &cat->versions[i]) != 0) {
      e = SYNC_ERR_NOMEM;
      goto fail;
    }
  *out = cat;
  return SYNC_OK;
fail:
  catalog_free(cat);
  return e;
}

sync_err_t catalog_load(db_conn_t *c, const char *form_id_, catalog_t **out, char *err,
                        size_t errlen)
{
  *out = NULL;
  proto_forms_list_t l;
  sync_err_t e = db_forms_list(c, &l);
  if (e != SYNC_OK) {
    snprintf(err, errlen, "cannot list forms: %s", db_errmsg(c));
    return e;
  }
  char **defs = calloc(l.n_forms ? l.n_forms : 1, sizeof *defs);
  size_t n = 0;
  if (!defs) {
    db_forms_list_free(&l);
    return SYNC_ERR_NOMEM;
  }
  for (size_t i = 0; i < l.n_forms && e == SYNC_OK; i++) {
    if (strcmp(l.forms[i].form_id, form_id_) != 0)
      continue;
    e = db_form_get(c, form_id_, l.forms[i].version, &defs[n], NULL);
    if (e == SYNC_OK)
      n++;
  }
  db_forms_list_free(&l);
  if (e == SYNC_OK) {
    if (n == 0) {
      snprintf(err, errlen, "form %s is not published", form_id_);
      e = SYNC_ERR_NOT_FOUND;
    } else {
      e = catalog_from_texts((const char *const *)defs, n, out, err, errlen);
    }
  } else {
    snprintf(err, errlen, "cannot read form %s: %s", form_id_, db_errmsg(c));
  }
  for (size_t i = 0; i < n; i++)
    free(defs[i]);
  free(defs);
  return e;
}
