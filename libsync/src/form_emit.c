/* Writes the outcome of a validation run: the canonical payload (keys in form order, only answered
 * relevant fields and computed values) and the form_evaluate document around it. */
#include "form_internal.h"

#include <math.h>
#include <string.h>

static int has_output(const form_field_t *fd, const form_state_t *st)
{
  const expr_value_t *v = &st->value;
  if (!st->relevant || st->issue || fd->type == FIELD_NOTE)
    return 0;
  switch (v->kind) {
  case EXPR_EMPTY: return 0;
  case EXPR_NUM: return isfinite(v->num);
  case EXPR_STR: return v->str && v->str[0];
  case EXPR_BOOL:
  case EXPR_DATE: return 1;
  }
  return 0;
}

static void write_value(form_buf_t *b, const form_field_t *fd, const form_state_t *st)
{
  const expr_value_t *v = &st->value;
  char date[11];
  switch (v->kind) {
  case EXPR_NUM:
    form_buf_json_num(b, v->num);
    break;
  case EXPR_BOOL:
    form_buf_puts(b, v->b ? "true" : "false");
    break;
  case EXPR_DATE:
    if (fd->type == FIELD_DATE) {   /* an answer, already checked to be "YYYY-MM-DD" */
      form_buf_json_str(b, st->raw.str);
      break;
    }
    expr_format_date(v->days, date);
    date[10] = '\0';
    form_buf_json_str(b, date);
    break;
  case EXPR_STR:
    if (fd->type == FIELD_TEXT && st->raw.plain) {   /* the common case: copy it as it came */
      form_buf_putc(b, '"');
      form_buf_put(b, st->raw.str, st->raw.len);
      form_buf_putc(b, '"');
      break;
    }
    if (fd->type != FIELD_SELECT_MULTIPLE) {
      form_buf_json_str(b, v->str);
      break;
    }
    /* "a b c" -> ["a","b","c"]; choice names hold no spaces or characters that need escaping */
    form_buf_putc(b, '[');
    for (const char *s = v->str; *s;) {
      const char *sp = strchr(s, ' ');
      size_t n = sp ? (size_t)(sp - s) : strlen(s);
      if (s != v->str)
        form_buf_putc(b, ',');
      form_buf_putc(b, '"');
      form_buf_put(b, s, n);
      form_buf_putc(b, '"');
      s += n + (sp ? 1 : 0);
    }
    form_buf_putc(b, ']');
    break;
  case EXPR_EMPTY:
    form_buf_puts(b, "null");
    break;
  }
}

void form_write_payload(const form_run_t *r, form_buf_t *b)
{
  const form_t *f = r->f;
  int first = 1;
  form_buf_putc(b, '{');
  for (size_t i = 0; i < f->n_fields; i++) {
    const form_field_t *fd = &f->fields[i];
    if (!has_output(fd, &r->st[i]))
      continue;
    if (!first)
      form_buf_putc(b, ',');
    first = 0;
    form_buf_put(b, fd->json_key, fd->json_key_len);
    write_value(b, fd, &r->st[i]);
  }
  form_buf_putc(b, '}');
}

void form_write_evaluation(const form_run_t *r, form_buf_t *b)
{
  const form_t *f = r->f;
  form_buf_puts(b, "{\"payload\":");
  form_write_payload(r, b);
  form_buf_puts(b, ",\"relevant\":{");
  for (size_t i = 0; i < f->n_fields; i++) {
    if (i)
      form_buf_putc(b, ',');
    form_buf_put(b, f->fields[i].json_key, f->fields[i].json_key_len);
    form_buf_puts(b, r->st[i].relevant ? "true" : "false");
  }
  form_buf_puts(b, "},\"issues\":[");
  size_t listed = r->issues ? r->issues->count - r->issues_from : 0;
  for (size_t k = 0; k < r->n_issues && k < listed; k++) {
    const issue_t *it = &r->issues->items[r->issues_from + k];
    if (k)
      form_buf_putc(b, ',');
    form_buf_puts(b, "{\"field\":");
    form_buf_json_str(b, it->field);
    form_buf_puts(b, ",\"code\":");
    form_buf_json_str(b, it->code);
    form_buf_puts(b, ",\"message\":");
    form_buf_json_str(b, it->message);
    form_buf_putc(b, '}');
  }
  form_buf_puts(b, r->n_issues ? "],\"complete\":false}" : "],\"complete\":true}");
}
