/* Validation issue list (issues.h). */
#include "issues.h"

#include <stdlib.h>
#include <string.h>

static char *dup_or_empty(const char *s)
{
  return strdup(s ? s : "");
}

int issue_list_add(issue_list_t *l, const char *field, const char *code, const char *message)
{
  if (l->count == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    issue_t *items = realloc(l->items, cap * sizeof *items);
    if (!items)
      return -1;
    l->items = items;
    l->cap = cap;
  }
  issue_t it = { dup_or_empty(field), dup_or_empty(code), dup_or_empty(message) };
  if (!it.field || !it.code || !it.message) {
    free(it.field);
    free(it.code);
    free(it.message);
    return -1;
  }
  l->items[l->count++] = it;
  return 0;
}

void issue_list_clear(issue_list_t *l)
{
  for (size_t i = 0; i < l->count; i++) {
    free(l->items[i].field);
    free(l->items[i].code);
    free(l->items[i].message);
  }
  free(l->items);
  l->items = NULL;
  l->count = l->cap = 0;
}
