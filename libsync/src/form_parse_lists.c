/* The "choice_lists" object of a definition: list name -> non-empty array of {name, label}. */
#include "form_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const CHOICE_KEYS[] = { "name", "label", NULL };

static int parse_choice(form_pctx_t *p, form_list_t *l, const cJSON *c, uint32_t j,
                        const char *where, const cJSON *languages)
{
  if (!cJSON_IsObject(c))
    return form_fail(p, SYNC_ERR_FORM, where, "choice %u must be an object {\"name\", \"label\"}",
                     (unsigned)j + 1);
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
  if (!cJSON_IsString(name))
    return form_fail(p, SYNC_ERR_FORM, where, "choice %u has no 'name' string", (unsigned)j + 1);
  if (!form_choice_name_ok(name->valuestring)) {
    char q[80];
    form_excerpt(q, sizeof q, name->valuestring);
    return form_fail(p, SYNC_ERR_FORM, where, "choice name '%s' must match %s", q, FORM_CHOICE_RE);
  }
  char at[200];
  snprintf(at, sizeof at, "%s, choice '%s'", where, name->valuestring);
  if (form_check_keys(p, c, CHOICE_KEYS, at))
    return -1;
  const cJSON *label = cJSON_GetObjectItemCaseSensitive(c, "label");
  if (!label)
    return form_fail(p, SYNC_ERR_FORM, at, "'label' is missing");
  if (form_check_label(p, label, "label", at, languages))
    return -1;
  l->names[j] = name->valuestring;
  return 0;
}

static int parse_list(form_pctx_t *p, form_list_t *l, const cJSON *arr, size_t *total,
                      const cJSON *languages)
{
  char where[120];
  snprintf(where, sizeof where, ", choice list '%s'", l->name);
  if (!cJSON_IsArray(arr) || !arr->child)
    return form_fail(p, SYNC_ERR_FORM, where, "must be a non-empty array of choices");
  uint32_t n = 0;
  for (const cJSON *c = arr->child; c; c = c->next) {
    if (++n > FORM_MAX_CHOICES)
      return form_fail(p, SYNC_ERR_TOO_LARGE, where, "more than %d choices", FORM_MAX_CHOICES);
    if (++*total > FORM_MAX_ALL_CHOICES)
      return form_fail(p, SYNC_ERR_TOO_LARGE, where, "more than %d choices in all lists",
                       FORM_MAX_ALL_CHOICES);
  }
  l->names = calloc(n, sizeof *l->names);
  if (!l->names)
    return form_fail(p, SYNC_ERR_NOMEM, where, "out of memory");
  l->count = n;
  uint32_t j = 0;
  for (const cJSON *c = arr->child; c; c = c->next, j++)
    if (parse_choice(p, l, c, j, where, languages))
      return -1;
  size_t dup = 0;
  int rc = form_names_build(&l->index, l->names, l->count, &dup);
  if (rc < 0)
    return form_fail(p, SYNC_ERR_NOMEM, where, "out of memory");
  if (rc > 0)
    return form_fail(p, SYNC_ERR_FORM, where, "choice name '%s' appears twice", l->names[dup]);
  return 0;
}

int form_parse_lists(form_pctx_t *p, const cJSON *lists, const cJSON *languages)
{
  form_t *f = p->f;
  if (!lists)
    return 0;
  if (!cJSON_IsObject(lists))
    return form_fail(p, SYNC_ERR_FORM, "", "'choice_lists' must be an object: list name -> choices");
  size_t n = 0;
  for (const cJSON *it = lists->child; it; it = it->next)
    if (++n > FORM_MAX_LISTS)
      return form_fail(p, SYNC_ERR_TOO_LARGE, "", "more than %d choice lists", FORM_MAX_LISTS);
  if (n == 0)
    return 0;
  f->lists = calloc(n, sizeof *f->lists);
  if (!f->lists)
    return form_fail(p, SYNC_ERR_NOMEM, "", "out of memory");
  size_t total = 0, i = 0;
  for (const cJSON *it = lists->child; it; it = it->next, i++) {
    if (!form_choice_name_ok(it->string)) {
      char q[80];
      form_excerpt(q, sizeof q, it->string);
      return form_fail(p, SYNC_ERR_FORM, "", "choice list name '%s' must match %s", q,
                       FORM_CHOICE_RE);
    }
    for (size_t k = 0; k < i; k++)
      if (strcmp(f->lists[k].name, it->string) == 0)
        return form_fail(p, SYNC_ERR_FORM, "", "choice list '%s' is defined twice", it->string);
    f->lists[i].name = it->string;
    f->n_lists = i + 1;
    if (parse_list(p, &f->lists[i], it, &total, languages))
      return -1;
  }
  return 0;
}
