/* References between fields (proto/FORMS.md, "Evaluation order"): every ${name} must be a field;
 * fields are ordered so that everything a field's relevance (its own and its section's) and
 * calculation refer to comes first. Required and constraint expressions are checked after the
 * whole pass, so they may refer to anything without creating an order. A cycle is an error that
 * names the fields in it. */
#include "form_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The byte offset of "${name}" in `src`, or -1. */
static long ref_pos(const char *src, const char *name)
{
  size_t n = strlen(name);
  for (const char *p = strstr(src, "${"); p; p = strstr(p + 2, "${"))
    if (strncmp(p + 2, name, n) == 0 && p[2 + n] == '}')
      return (long)(p - src);
  return -1;
}

static int check_refs(form_pctx_t *p, const expr_t *e, const cJSON *obj, const char *attr,
                      const char *where)
{
  if (!e)
    return 0;
  for (size_t i = 0; i < expr_ref_count(e); i++) {
    const char *name = expr_ref_name(e, i);
    if (form_field_index(p->f, name) >= 0)
      continue;
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(obj, attr);
    long pos = cJSON_IsString(src) ? ref_pos(src->valuestring, name) : -1;
    char at[400], q[80];
    if (pos >= 0)
      snprintf(at, sizeof at, "%s, %s at %ld", where, attr, pos);
    else
      snprintf(at, sizeof at, "%s, %s", where, attr);
    form_excerpt(q, sizeof q, name);
    return form_fail(p, SYNC_ERR_EXPR, at, "unknown field '${%s}'", q);
  }
  return 0;
}

static int check_all_refs(form_pctx_t *p)
{
  static const char *const attr[ATTR_COUNT_] = {
    [ATTR_RELEVANT] = "relevant", [ATTR_REQUIRED] = "required", [ATTR_CONSTRAINT] = "constraint",
    [ATTR_CALCULATION] = "calculation" };
  form_t *f = p->f;
  char where[120];
  for (size_t s = 0; s < f->n_sections; s++) {
    snprintf(where, sizeof where, ", section '%s'", f->sections[s].name);
    if (check_refs(p, f->sections[s].relevant, f->sections[s].obj, "relevant", where))
      return -1;
  }
  for (size_t i = 0; i < f->n_fields; i++) {
    snprintf(where, sizeof where, ", field '%s'", f->fields[i].name);
    for (int a = 0; a < ATTR_COUNT_; a++)
      if (check_refs(p, f->fields[i].expr[a], f->fields[i].obj, attr[a], where))
        return -1;
  }
  return 0;
}

/* Adds the field indices `e` refers to at deps[*n ..]; with deps NULL only counts. */
static void add_deps(const form_t *f, const expr_t *e, uint32_t *deps, size_t *n)
{
  if (!e)
    return;
  size_t k = expr_ref_count(e);
  for (size_t i = 0; i < k; i++, ++*n)
    if (deps)
      deps[*n] = (uint32_t)form_field_index(f, expr_ref_name(e, i));
}

static int build_deps(form_t *f)
{
  for (int pass = 0; pass < 2; pass++) {
    size_t n = 0;
    for (size_t i = 0; i < f->n_fields; i++) {
      form_field_t *fd = &f->fields[i];
      fd->dep_first = (uint32_t)n;
      add_deps(f, f->sections[fd->section].relevant, f->deps, &n);
      add_deps(f, fd->expr[ATTR_RELEVANT], f->deps, &n);
      add_deps(f, fd->expr[ATTR_CALCULATION], f->deps, &n);
      fd->dep_count = (uint32_t)(n - fd->dep_first);
    }
    if (pass == 0 && !(f->deps = malloc((n ? n : 1) * sizeof *f->deps)))
      return -1;
  }
  return 0;
}

static int refers_to(const expr_t *e, const char *name)
{
  if (e)
    for (size_t i = 0; i < expr_ref_count(e); i++)
      if (strcmp(expr_ref_name(e, i), name) == 0)
        return 1;
  return 0;
}

/* Describes the edge x -> y: which expression of x refers to y. *attr gets the attribute name
 * alone for field attributes, NULL for a section's relevance. */
static void describe_edge(const form_t *f, uint32_t x, uint32_t y, char *out, size_t n,
                          const char **attr)
{
  const form_field_t *fx = &f->fields[x];
  const char *yn = f->fields[y].name;
  if (refers_to(fx->expr[ATTR_CALCULATION], yn))
    *attr = "calculation";
  else if (refers_to(fx->expr[ATTR_RELEVANT], yn))
    *attr = "relevant";
  else
    *attr = NULL;
  if (*attr)
    snprintf(out, n, "%s of '%s'", *attr, fx->name);
  else
    snprintf(out, n, "relevant of section '%s' (holding '%s')", f->sections[fx->section].name,
             fx->name);
}

static int report_cycle(form_pctx_t *p, const uint32_t *stack, size_t from, size_t top)
{
  const form_t *f = p->f;
  char path[1024];
  size_t len = 0;
  for (size_t k = from; k <= top + 1 && len < sizeof path; k++) {
    const char *name = f->fields[k <= top ? stack[k] : stack[from]].name;
    int w = snprintf(path + len, sizeof path - len, "%s%s", k > from ? " -> " : "", name);
    if (w < 0)
      break;
    len += (size_t)w;
  }
  char a[200], b[200];
  const char *attr_a, *attr_b;
  uint32_t x = stack[from], y = stack[top];
  if (from == top) {
    describe_edge(f, x, x, a, sizeof a, &attr_a);
    if (!attr_a)
      return form_fail(p, SYNC_ERR_FORM, "", "relevant of section '%s' refers to its own field "
                       "'%s' (cycle %s)", f->sections[f->fields[x].section].name,
                       f->fields[x].name, path);
    return form_fail(p, SYNC_ERR_FORM, "", "%s refers to '%s' itself (cycle %s)", a,
                     f->fields[x].name, path);
  }
  if (top == from + 1) {
    describe_edge(f, x, y, a, sizeof a, &attr_a);
    describe_edge(f, y, x, b, sizeof b, &attr_b);
    if (attr_a && attr_b && strcmp(attr_a, attr_b) == 0)
      return form_fail(p, SYNC_ERR_FORM, "", "%s of '%s' and '%s' refer to each other (cycle %s)",
                       attr_a, f->fields[x].name, f->fields[y].name, path);
    return form_fail(p, SYNC_ERR_FORM, "", "%s and %s refer to each other (cycle %s)", a, b, path);
  }
  return form_fail(p, SYNC_ERR_FORM, "", "relevant/calculation references form a cycle (%s)",
                   path);
}

/* Depth-first, in document order, dependencies first; iterative so that long chains cannot
 * exhaust the C stack. */
static int order_fields(form_pctx_t *p)
{
  form_t *f = p->f;
  size_t n = f->n_fields, out = 0;
  unsigned char *color = calloc(n ? n : 1, 1);   /* 0 new, 1 on the stack, 2 done */
  uint32_t *stack = malloc((n ? n : 1) * sizeof *stack);
  uint32_t *next = malloc((n ? n : 1) * sizeof *next);
  f->order = malloc((n ? n : 1) * sizeof *f->order);
  int rc = 0;
  if (!color || !stack || !next || !f->order) {
    rc = form_fail(p, SYNC_ERR_NOMEM, "", "out of memory");
    goto done;
  }
  for (size_t r = 0; r < n && rc == 0; r++) {
    if (color[r])
      continue;
    size_t top = 0;
    stack[0] = (uint32_t)r;
    next[0] = 0;
    color[r] = 1;
    for (;;) {
      const form_field_t *u = &f->fields[stack[top]];
      if (next[top] < u->dep_count) {
        uint32_t v = f->deps[u->dep_first + next[top]++];
        if (color[v] == 1) {
          size_t from = top;
          while (stack[from] != v)
            from--;
          rc = report_cycle(p, stack, from, top);
          break;
        }
        if (color[v] == 0) {
          color[v] = 1;
          stack[++top] = v;
          next[top] = 0;
        }
        continue;
      }
      color[stack[top]] = 2;
      f->order[out++] = stack[top];
      if (top == 0)
        break;
      top--;
    }
  }
done:
  free(color);
  free(stack);
  free(next);
  return rc;
}

int form_resolve(form_pctx_t *p)
{
  form_t *f = p->f;
  size_t dup = 0;
  int rc = form_build_name_index(f, &dup);
  if (rc < 0)
    return form_fail(p, SYNC_ERR_NOMEM, "", "out of memory");
  if (rc > 0) {
    char where[120];
    snprintf(where, sizeof where, ", section '%s'", f->sections[f->fields[dup].section].name);
    return form_fail(p, SYNC_ERR_FORM, where, "field name '%s' is used twice", f->fields[dup].name);
  }
  if (check_all_refs(p))
    return -1;
  if (build_deps(f) || form_build_ref_index(f))
    return form_fail(p, SYNC_ERR_NOMEM, "", "out of memory");
  return order_fields(p);
}
