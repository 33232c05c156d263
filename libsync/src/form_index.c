/* Name lookups built once when a form loads, so that validation never scans names: field and
 * choice name -> index (open-addressing hash) and ${reference} string pointer -> field index
 * (identity hash, with the name hash as fallback). */
#include "form_internal.h"

#include <stdlib.h>
#include <string.h>

/* Names are short and mostly distinct in their first and last eight bytes: hash those and the
 * length, in constant time. */
static uint32_t hash_name(const char *s, size_t n)
{
  uint64_t a = 0, b = 0;
  if (n >= 8) {
    memcpy(&a, s, 8);
    memcpy(&b, s + n - 8, 8);
  } else {
    memcpy(&a, s, n);
  }
  uint64_t x = a * 0x9E3779B97F4A7C15ull ^ (b + n) * 0xC2B2AE3D27D4EB4Full;
  x ^= x >> 31;
  x *= 0xD6E8FEB86659FD93ull;
  x ^= x >> 32;
  return (uint32_t)x;
}

static uint32_t hash_ptr(const void *p)
{
  uint64_t x = (uint64_t)(uintptr_t)p;
  x ^= x >> 29;
  x *= 0x9E3779B97F4A7C15ull;
  return (uint32_t)(x >> 32);
}

static size_t table_size(size_t n)
{
  size_t cap = 16;
  while (cap < n * 2)
    cap *= 2;
  return cap;
}

int form_names_build(form_names_t *t, const char *const *names, size_t n, size_t *dup)
{
  size_t cap = table_size(n);
  t->names = names;
  t->slots = calloc(cap, sizeof *t->slots);
  if (!t->slots)
    return -1;
  t->mask = cap - 1;
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(names[i]);
    uint32_t h = hash_name(names[i], len);
    size_t k = h & t->mask;
    for (; t->slots[k].index1; k = (k + 1) & t->mask)
      if (t->slots[k].hash == h && t->slots[k].len == len &&
          memcmp(names[t->slots[k].index1 - 1], names[i], len) == 0) {
        *dup = i;
        return 1;
      }
    t->slots[k].hash = h;
    t->slots[k].len = (uint32_t)len;
    t->slots[k].index1 = (uint32_t)i + 1;
  }
  return 0;
}

long form_names_find(const form_names_t *t, const char *name)
{
  if (!t->slots)
    return -1;
  size_t len = strlen(name);
  uint32_t h = hash_name(name, len);
  for (size_t k = h & t->mask; t->slots[k].index1; k = (k + 1) & t->mask)
    if (t->slots[k].hash == h && t->slots[k].len == len &&
        memcmp(t->names[t->slots[k].index1 - 1], name, len) == 0)
      return (long)t->slots[k].index1 - 1;
  return -1;
}

void form_names_free(form_names_t *t)
{
  free(t->slots);
  t->slots = NULL;
}

int form_build_name_index(form_t *f, size_t *dup)
{
  f->field_names = malloc((f->n_fields ? f->n_fields : 1) * sizeof *f->field_names);
  if (!f->field_names)
    return -1;
  for (size_t i = 0; i < f->n_fields; i++) {
    form_field_t *fd = &f->fields[i];
    f->field_names[i] = fd->name;
    size_t n = strlen(fd->name);   /* names need no escaping */
    if (!(fd->json_key = malloc(n + 4)))
      return -1;
    fd->json_key[0] = '"';
    memcpy(fd->json_key + 1, fd->name, n);
    memcpy(fd->json_key + 1 + n, "\":", 3);
    fd->json_key_len = n + 3;
  }
  return form_names_build(&f->by_name, f->field_names, f->n_fields, dup);
}

long form_field_index(const form_t *f, const char *name)
{
  return form_names_find(&f->by_name, name);
}

long form_ref_index(const form_t *f, const char *name)
{
  if (f->ref_slots) {
    size_t h = hash_ptr(name) & f->ref_mask;
    for (; f->ref_slots[h].ptr; h = (h + 1) & f->ref_mask)
      if (f->ref_slots[h].ptr == name)
        return f->ref_slots[h].field;
  }
  return form_field_index(f, name);
}

static void ref_insert(form_t *f, const char *ptr, uint32_t field)
{
  size_t h = hash_ptr(ptr) & f->ref_mask;
  while (f->ref_slots[h].ptr) {
    if (f->ref_slots[h].ptr == ptr)
      return;
    h = (h + 1) & f->ref_mask;
  }
  f->ref_slots[h].ptr = ptr;
  f->ref_slots[h].field = field;
}

static void refs_of(form_t *f, const expr_t *e, int insert, size_t *count)
{
  if (!e)
    return;
  size_t n = expr_ref_count(e);
  if (!insert) {
    *count += n;
    return;
  }
  for (size_t i = 0; i < n; i++) {
    const char *name = expr_ref_name(e, i);
    long idx = form_field_index(f, name);
    if (idx >= 0)
      ref_insert(f, name, (uint32_t)idx);
  }
}

int form_build_ref_index(form_t *f)
{
  size_t count = 0;
  for (int pass = 0; pass < 2; pass++) {
    for (size_t s = 0; s < f->n_sections; s++)
      refs_of(f, f->sections[s].relevant, pass, &count);
    for (size_t i = 0; i < f->n_fields; i++)
      for (int a = 0; a < ATTR_COUNT_; a++)
        refs_of(f, f->fields[i].expr[a], pass, &count);
    if (pass == 0) {
      size_t cap = table_size(count);
      f->ref_slots = calloc(cap, sizeof *f->ref_slots);
      if (!f->ref_slots)
        return -1;
      f->ref_mask = cap - 1;
    }
  }
  return 0;
}

long form_choice_index(const form_list_t *l, const char *name)
{
  return form_names_find(&l->index, name);
}
