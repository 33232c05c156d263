/* One answer against its field type (proto/FORMS.md, "Answers"): JSON type and format, choice
 * names, and the expression value the answer stands for. Also the per-call arena. */
#include "form_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct form_chunk {
  form_chunk_t *next;
  size_t cap, used;
  _Alignas(8) char data[];
};

void form_arena_init(form_arena_t *a)
{
  a->p = a->first;
  a->used = 0;
  a->cap = sizeof a->first;
  a->chunks = NULL;
}

void *form_arena_alloc(form_arena_t *a, size_t n)
{
  n = (n + 7) & ~(size_t)7;
  if (n == 0)
    n = 8;
  if (a->cap - a->used < n) {
    size_t cap = n > 4096 ? n : 4096;
    form_chunk_t *c = malloc(sizeof *c + cap);
    if (!c)
      return NULL;
    c->next = a->chunks;
    a->chunks = c;
    a->p = c->data;
    a->cap = cap;
    a->used = 0;
  }
  void *p = a->p + a->used;
  a->used += n;
  memset(p, 0, n);
  return p;
}

void form_arena_free(form_arena_t *a)
{
  while (a->chunks) {
    form_chunk_t *next = a->chunks->next;
    free(a->chunks);
    a->chunks = next;
  }
  form_arena_init(a);
}

int form_unanswered(const form_jval_t *v)
{
  return v->kind == FJ_NULL || (v->kind == FJ_STR && v->len == 0) ||
         (v->kind == FJ_ARR && v->count == 0);
}

static form_msg_t decode_text(const form_jval_t *v, expr_value_t *out)
{
  if (v->kind != FJ_STR)
    return FMSG_TYPE_TEXT;
  if (v->len > FORM_MAX_TEXT_BYTES)
    return FMSG_TEXT_TOO_LONG;
  if (!v->ok)
    return FMSG_TEXT_UTF8;
  out->kind = EXPR_STR;
  out->str = v->str;
  return FMSG_COUNT_;
}

static form_msg_t decode_number(const form_jval_t *v, int integer, expr_value_t *out)
{
  if (v->kind != FJ_NUM || !isfinite(v->num))
    return integer ? FMSG_TYPE_INTEGER : FMSG_TYPE_DECIMAL;
  double d = v->num;
  if (integer && floor(d) != d)
    return FMSG_TYPE_INTEGER;
  if (integer && fabs(d) > FORM_MAX_INT)
    return FMSG_INTEGER_RANGE;
  out->kind = EXPR_NUM;
  out->num = d == 0 ? 0.0 : d;   /* no -0 */
  return FMSG_COUNT_;
}

static form_msg_t decode_date(const form_jval_t *v, expr_value_t *out)
{
  if (v->kind != FJ_STR)
    return FMSG_TYPE_DATE;
  const char *s = v->str;
  for (int i = 0; i < 10; i++) {
    int dash = i == 4 || i == 7;
    if (dash ? s[i] != '-' : !(s[i] >= '0' && s[i] <= '9'))
      return FMSG_TYPE_DATE;
  }
  int32_t days;
  if (s[10] != '\0' || expr_parse_date(s, &days) != 0)
    return FMSG_TYPE_DATE;
  out->kind = EXPR_DATE;
  out->days = days;
  return FMSG_COUNT_;
}

static form_msg_t decode_select_one(const form_list_t *l, const form_jval_t *v,
                                    expr_value_t *out)
{
  if (v->kind != FJ_STR)
    return FMSG_TYPE_SELECT_ONE;
  long c = form_choice_index(l, v->str);
  if (c < 0)
    return FMSG_CHOICE_UNKNOWN;
  out->kind = EXPR_STR;
  out->str = l->names[c];
  return FMSG_COUNT_;
}

/* Names become "a b c" in list order, so the same selection always reads and stores the same. */
static form_msg_t decode_select_multiple(form_run_t *r, const form_list_t *l,
                                         const form_jval_t *v, expr_value_t *out)
{
  if (v->kind != FJ_ARR || !v->ok)
    return FMSG_TYPE_SELECT_MULTIPLE;
  unsigned char *seen = form_arena_alloc(&r->arena, (l->count + 7) / 8);
  if (!seen) {
    r->nomem = 1;
    return FMSG_COUNT_;
  }
  size_t total = 0;
  const char *e = v->str;
  for (uint32_t k = 0; k < v->count; k++, e += strlen(e) + 1) {
    long c = form_choice_index(l, e);
    if (c < 0)
      return FMSG_CHOICE_UNKNOWN;
    if (seen[c / 8] & (1u << (c % 8)))
      return FMSG_CHOICE_REPEATED;
    seen[c / 8] |= (unsigned char)(1u << (c % 8));
    total += strlen(l->names[c]) + 1;
  }
  char *joined = form_arena_alloc(&r->arena, total);
  if (!joined) {
    r->nomem = 1;
    return FMSG_COUNT_;
  }
  size_t len = 0;
  for (uint32_t c = 0; c < l->count; c++) {
    if (!(seen[c / 8] & (1u << (c % 8))))
      continue;
    size_t n = strlen(l->names[c]);
    if (len)
      joined[len++] = ' ';
    memcpy(joined + len, l->names[c], n);
    len += n;
  }
  joined[len] = '\0';
  out->kind = EXPR_STR;
  out->str = joined;
  return FMSG_COUNT_;
}

void form_decode_answer(form_run_t *r, size_t i)
{
  const form_field_t *fd = &r->f->fields[i];
  form_state_t *st = &r->st[i];
  const form_jval_t *v = &st->raw;
  expr_value_t *out = &st->value;
  form_msg_t m = FMSG_COUNT_;
  if (fd->type == FIELD_CALCULATE || form_unanswered(v))
    return;   /* calculated values are never taken from the caller */
  switch (fd->type) {
  case FIELD_TEXT: m = decode_text(v, out); break;
  case FIELD_INTEGER: m = decode_number(v, 1, out); break;
  case FIELD_DECIMAL: m = decode_number(v, 0, out); break;
  case FIELD_DATE: m = decode_date(v, out); break;
  case FIELD_SELECT_ONE: m = decode_select_one(&r->f->lists[fd->list], v, out); break;
  case FIELD_SELECT_MULTIPLE:
    m = decode_select_multiple(r, &r->f->lists[fd->list], v, out);
    break;
  case FIELD_YES_NO:
    if (v->kind == FJ_TRUE || v->kind == FJ_FALSE) {
      out->kind = EXPR_BOOL;
      out->b = v->kind == FJ_TRUE;
    } else {
      m = FMSG_TYPE_YES_NO;
    }
    break;
  case FIELD_NOTE: m = FMSG_NOTE_ANSWER; break;
  case FIELD_CALCULATE: break;
  }
  if (m != FMSG_COUNT_) {
    out->kind = EXPR_EMPTY;
    st->issue = (uint8_t)(m + 1);
  }
}
