/* Accessors of a parsed form, label texts with language fallback, and form_free(). */
#include "seal_v2.h"
#include "form_internal.h"

#include <stdlib.h>
#include <string.h>

void form_free(form_t *f)
{
  if (!f)
    return;
  for (size_t s = 0; s < f->n_sections; s++)
    expr_free(f->sections[s].relevant);
  for (size_t i = 0; i < f->n_fields; i++) {
    for (int a = 0; a < ATTR_COUNT_; a++)
      expr_free(f->fields[i].expr[a]);
    free(f->fields[i].json_key);
  }
  for (size_t l = 0; l < f->n_lists; l++) {
    free(f->lists[l].names);
    form_names_free(&f->lists[l].index);
  }
  free(f->sections);
  free(f->fields);
  free(f->lists);
  free(f->order);
  free(f->deps);
  free(f->field_names);
  form_names_free(&f->by_name);
  free(f->ref_slots);
  seal_dict_free(f->seal_dict);
  pthread_mutex_destroy(&f->seal_lock);
  cJSON_Delete(f->root);
  free(f);
}

const char *form_label_text(const form_t *f, const cJSON *label, const char *lang)
{
  if (!label)
    return NULL;
  const cJSON *t = lang ? cJSON_GetObjectItemCaseSensitive(label, lang) : NULL;
  if (!cJSON_IsString(t) || !*t->valuestring)
    t = cJSON_GetObjectItemCaseSensitive(label, f->default_lang);
  return cJSON_IsString(t) ? t->valuestring : NULL;
}

const char *form_id(const form_t *f)
{
  return f ? f->id : NULL;
}

int form_version(const form_t *f)
{
  return f ? f->version : 0;
}

const char *form_title(const form_t *f, const char *lang)
{
  return f ? form_label_text(f, f->title, lang) : NULL;
}

size_t form_field_count(const form_t *f)
{
  return f ? f->n_fields : 0;
}

const char *form_field_name(const form_t *f, size_t i)
{
  return f && i < f->n_fields ? f->fields[i].name : NULL;
}

field_type_t form_field_type(const form_t *f, size_t i)
{
  return f && i < f->n_fields ? f->fields[i].type : FIELD_NOTE;
}

const char *form_field_section(const form_t *f, size_t i)
{
  return f && i < f->n_fields ? f->sections[f->fields[i].section].name : NULL;
}

size_t form_field_choice_count(const form_t *f, size_t i)
{
  if (!f || i >= f->n_fields || f->fields[i].list < 0)
    return 0;
  return f->lists[f->fields[i].list].count;
}

const char *form_field_choice_name(const form_t *f, size_t i, size_t c)
{
  if (!f || i >= f->n_fields || f->fields[i].list < 0)
    return NULL;
  const form_list_t *l = &f->lists[f->fields[i].list];
  return c < l->count ? l->names[c] : NULL;
}
