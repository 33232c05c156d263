/* Field-level three-way merge with last-writer-wins by HLC (merge.h, PROTOCOL.md 5). */
#include "merge.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SIDE_DEVICE = 1, SIDE_CENTRAL = 2 };

typedef struct slot {
  const char *key;
  const cJSON *val;      /* borrowed from the D or C document; NULL = no answer */
  int src;               /* SIDE_DEVICE / SIDE_CENTRAL */
  int listed;            /* index + 1 into the fields list, 0 if not conflicting */
} slot_t;

typedef struct merger {
  cJSON *b, *d, *c;
  slot_t *slots;
  size_t n, cap;
  proto_conflict_field_t *fields;
  size_t n_fields, cap_fields;
} merger_t;

/* An absent key and a JSON null are both "no answer". */
static const cJSON *get(const cJSON *obj, const char *key)
{
  const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
  return v && !cJSON_IsNull(v) ? v : NULL;
}

static int same(const cJSON *a, const cJSON *b)
{
  if (!a || !b)
    return a == b;
  return cJSON_Compare(a, b, 1) ? 1 : 0;
}

static char *value_text(const cJSON *v)
{
  return v ? cJSON_PrintUnformatted(v) : strdup("null");
}

static int add_slot(merger_t *m, const char *key)
{
  for (size_t i = 0; i < m->n; i++)
    if (strcmp(m->slots[i].key, key) == 0)
      return 0;
  if (m->n == m->cap) {
    size_t ncap = m->cap ? m->cap * 2 : 32;
    slot_t *ns = realloc(m->slots, ncap * sizeof *ns);
    if (!ns)
      return -1;
    m->slots = ns;
    m->cap = ncap;
  }
  m->slots[m->n++] = (slot_t){.key = key};
  return 0;
}

/* Appends a conflicting field; returns its index or -1. */
static int add_field(merger_t *m, const char *field, int winner, const cJSON *dv, const cJSON *cv)
{
  if (m->n_fields == m->cap_fields) {
    size_t ncap = m->cap_fields ? m->cap_fields * 2 : 8;
    proto_conflict_field_t *nf = realloc(m->fields, ncap * sizeof *nf);
    if (!nf)
      return -1;
    m->fields = nf;
    m->cap_fields = ncap;
  }
  proto_conflict_field_t *f = &m->fields[m->n_fields];
  memset(f, 0, sizeof *f);
  snprintf(f->field, sizeof f->field, "%s", field);
  f->winner = winner == SIDE_DEVICE ? PROTO_SIDE_DEVICE : PROTO_SIDE_CENTRAL;
  f->device_value = value_text(dv);
  f->central_value = value_text(cv);
  if (!f->device_value || !f->central_value) {
    free(f->device_value);
    free(f->central_value);
    return -1;
  }
  return (int)m->n_fields++;
}

static int add_bool_field(merger_t *m, const char *field, int winner, int dv, int cv)
{
  cJSON *d = cJSON_CreateBool(dv), *c = cJSON_CreateBool(cv);
  int rc = d && c ? add_field(m, field, winner, d, c) : -1;
  cJSON_Delete(d);
  cJSON_Delete(c);
  return rc;
}

static int collect_keys(merger_t *m, const cJSON *obj)
{
  for (const cJSON *it = obj ? obj->child : NULL; it; it = it->next)
    if (it->string && add_slot(m, it->string) != 0)
      return -1;
  return 0;
}

/* Re-checks the merged answers against the form version M takes: a value from the other side
 * that does not fit loses to the winning side's value and becomes a conflicting field. */
static int apply_form_check(merger_t *m, int form_side, merge_check_fn check, void *ctx)
{
  cJSON *obj = cJSON_CreateObject();
  if (!obj)
    return -1;
  for (size_t i = 0; i < m->n; i++)
    if (m->slots[i].val && !cJSON_AddItemReferenceToObject(obj, m->slots[i].key,
                                                            (cJSON *)m->slots[i].val))
      goto fail;
  char *text = cJSON_PrintUnformatted(obj);
  cJSON_Delete(obj);
  obj = NULL;
  if (!text)
    return -1;
  issue_list_t issues = {0};
  check(ctx, text, &issues);
  free(text);
  int rc = 0;
  for (size_t k = 0; k < issues.count && rc == 0; k++) {
    for (size_t i = 0; i < m->n; i++) {
      slot_t *s = &m->slots[i];
      if (strcmp(s->key, issues.items[k].field) != 0 || !s->val || s->src == form_side)
        continue;
      const cJSON *dv = get(m->d, s->key), *cv = get(m->c, s->key);
      if (same(dv, cv))
        continue;   /* both sides hold it: no side to prefer, nothing truly differs */
      s->val = form_side == SIDE_DEVICE ? dv : cv;
      s->src = form_side;
      if (s->listed) {
        m->fields[s->listed - 1].winner =
          form_side == SIDE_DEVICE ? PROTO_SIDE_DEVICE : PROTO_SIDE_CENTRAL;
      } else {
        int idx = add_field(m, s->key, form_side, dv, cv);
        if (idx < 0)
          rc = -1;
        else
          s->listed = idx + 1;
      }
    }
  }
  issue_list_clear(&issues);
  return rc;
fail:
  cJSON_Delete(obj);
  return -1;
}

static char *print_slots(const merger_t *m)
{
  cJSON *obj = cJSON_CreateObject();
  if (!obj)
    return NULL;
  for (size_t i = 0; i < m->n; i++)
    if (m->slots[i].val &&
        !cJSON_AddItemReferenceToObject(obj, m->slots[i].key, (cJSON *)m->slots[i].val)) {
      cJSON_Delete(obj);
      return NULL;
    }
  char *text = cJSON_PrintUnformatted(obj);
  cJSON_Delete(obj);
  return text;
}

/* Three-way decision for one value: which side it comes from and whether both sides changed it
 * to different values. */
static int decide(int have_base, int b_eq_d, int b_eq_c, int d_eq_c, int device_wins,
                  int *conflicting)
{
  int dch, cch;
  if (have_base) {
    dch = !b_eq_d;
    cch = !b_eq_c;
  } else {
    dch = cch = !d_eq_c;
  }
  *conflicting = 0;
  if (!cch)
    return SIDE_DEVICE;
  if (!dch)
    return SIDE_CENTRAL;
  if (d_eq_c)
    return SIDE_DEVICE;
  *conflicting = 1;
  return device_wins ? SIDE_DEVICE : SIDE_CENTRAL;
}

/* 1 when the answers of `obj` differ from those of the base `b` (no base, or a tombstone base:
 * when obj has any answer). */
static int answers_changed(const cJSON *b, int base_deleted, const cJSON *obj)
{
  const cJSON *base = base_deleted ? NULL : b;
  for (const cJSON *it = obj->child; it; it = it->next)
    if (it->string && !cJSON_IsNull(it) && !same(get(base, it->string), it))
      return 1;
  for (const cJSON *it = base ? base->child : NULL; it; it = it->next)
    if (it->string && !cJSON_IsNull(it) && !get(obj, it->string))
      return 1;
  return 0;
}

static cJSON *parse_object(const char *text)
{
  cJSON *o = text ? cJSON_Parse(text) : NULL;
  if (o && !cJSON_IsObject(o)) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

sync_err_t merge_revisions(const merge_side_t *base, const merge_side_t *device,
                           const merge_side_t *central, merge_check_fn check, void *ctx,
                           merge_result_t *out)
{
  memset(out, 0, sizeof *out);
  merger_t m = {0};
  sync_err_t e = SYNC_ERR_NOMEM;
  m.d = parse_object(device->payload);
  m.c = parse_object(central->payload);
  m.b = base ? parse_object(base->payload) : NULL;
  if (!m.d || !m.c || (base && !m.b)) {
    e = SYNC_ERR_JSON;
    goto done;
  }
  int device_wins = strcmp(device->hlc, central->hlc) > 0;
  int have_base = base != NULL;
  out->central_form = !device_wins;

  /* $deleted first: it decides the shape of M. */
  int bdel = base ? base->deleted : 0;
  int del_conflict;
  int del_src = decide(have_base, bdel == device->deleted, bdel == central->deleted,
                       device->deleted == central->deleted, device_wins, &del_conflict);
  int merged_del = del_src == SIDE_DEVICE ? device->deleted : central->deleted;
  if (del_conflict &&
      add_bool_field(&m, "$deleted", del_src, device->deleted, central->deleted) < 0)
    goto done;

  if (merged_del) {
    /* A tombstone against a side that changed answers since the base: one record-level
     * conflict, `$deleted` (the lost answers stay in that side's stored revision). */
    if (!del_conflict && device->deleted != central->deleted &&
        answers_changed(m.b, bdel, device->deleted ? m.c : m.d) &&
        add_bool_field(&m, "$deleted", del_src, device->deleted, central->deleted) < 0)
      goto done;
    out->payload = strdup("{}");
    out->deleted = 1;
  } else if (device->deleted || central->deleted) {
    /* Undeleted against a deleting side: the living side's answers, whole. */
    int keeper = device->deleted ? SIDE_CENTRAL : SIDE_DEVICE;
    const cJSON *obj = keeper == SIDE_DEVICE ? m.d : m.c;
    if (collect_keys(&m, obj) != 0)
      goto done;
    for (size_t i = 0; i < m.n; i++) {
      m.slots[i].val = get(obj, m.slots[i].key);
      m.slots[i].src = keeper;
    }
    if (check && apply_form_check(&m, device_wins ? SIDE_DEVICE : SIDE_CENTRAL, check, ctx) != 0)
      goto done;
    out->payload = print_slots(&m);
  } else {
    if (collect_keys(&m, m.d) != 0 || collect_keys(&m, m.c) != 0 || collect_keys(&m, m.b) != 0)
      goto done;
    for (size_t i = 0; i < m.n; i++) {
      slot_t *s = &m.slots[i];
      const cJSON *bv = get(m.b, s->key), *dv = get(m.d, s->key), *cv = get(m.c, s->key);
      int conflicting;
      s->src = decide(have_base, same(bv, dv), same(bv, cv), same(dv, cv), device_wins,
                      &conflicting);
      s->val = s->src == SIDE_DEVICE ? dv : cv;
      if (conflicting) {
        int idx = add_field(&m, s->key, s->src, dv, cv);
        if (idx < 0)
          goto done;
        s->listed = idx + 1;
      }
    }
    if (check && apply_form_check(&m, device_wins ? SIDE_DEVICE : SIDE_CENTRAL, check, ctx) != 0)
      goto done;
    out->payload = print_slots(&m);
  }
  if (!out->payload)
    goto done;
  out->fields = m.fields;
  out->n_fields = m.n_fields;
  m.fields = NULL;
  m.n_fields = 0;
  e = SYNC_OK;
done:
  for (size_t i = 0; i < m.n_fields; i++) {
    free(m.fields[i].device_value);
    free(m.fields[i].central_value);
  }
  free(m.fields);
  free(m.slots);
  cJSON_Delete(m.b);
  cJSON_Delete(m.d);
  cJSON_Delete(m.c);
  if (e != SYNC_OK)
    merge_result_free(out);
  return e;
}

void merge_result_free(merge_result_t *r)
{
  if (!r)
    return;
  free(r->payload);
  for (size_t i = 0; i < r->n_fields; i++) {
    free(r->fields[i].device_value);
    free(r->fields[i].central_value);
  }
  free(r->fields);
  memset(r, 0, sizeof *r);
}
