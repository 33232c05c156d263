/* String functions of the expression language: string-length and substr (in UTF-8 code
 * points), regex, concat, starts-with, contains and string(). The results of concat, substr,
 * and string() of a number or date are allocated; everything else borrows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "expr_internal.h"


/* A string of `len` bytes copied from `s`; the empty string allocates nothing. */
static int ret_copy(expr_value_t *out, const char *s, size_t len, size_t pos, expr_error_t *err)
{
  out->kind = EXPR_STR;
  if (len == 0) {
    out->str = "";
    return 0;
  }
  if ((out->owned = malloc(len + 1)) == NULL)
    return expr_fail(err, pos, "out of memory");
  memcpy(out->owned, s, len);
  out->owned[len] = '\0';
  out->str = out->owned;
  return 0;
}

static int is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

static size_t utf8_length(const char *s)
{
  size_t n = 0;
  for (; *s != '\0'; s++)
    n += !is_cont((unsigned char)*s);
  return n;
}

/* Byte offset of code point `i` (the end of the string when there are fewer). */
static size_t utf8_offset(const char *s, size_t i)
{
  size_t off = 0;
  for (; s[off] != '\0'; off++)
    if (!is_cont((unsigned char)s[off]) && i-- == 0)
      return off;
  return off;
}

int expr_fn_string_length(call_t *c, env_t *env, expr_value_t *out, expr_error_t *err)
{
  expr_value_t v;
  char buf[EXPR_TEXTBUF];
  if (arg(c, 0, env, &v, err) != 0)
    return -1;
  ret_num(out, (double)utf8_length(expr_value_text(&v, buf)));
  expr_value_clear(&v);
  return 0;
}

int expr_fn_regex(call_t *c, env_t *env, expr_value_t *out, expr_error_t *err)
{
  expr_value_t s, pat;
  char sbuf[EXPR_TEXTBUF], pbuf[EXPR_TEXTBUF], msg[160];
  regex_t *re = c->re;
  int rc;

  if (arg(c, 0, env, &s, err) != 0)
    return -1;
  if (re == NULL) {
    if (arg(c, 1, env, &pat, err) != 0) {
      expr_value_clear(&s);
      return -1;
    }
    rc = expr_regex_compile(expr_value_text(&pat, pbuf), &re, msg, sizeof msg);
    expr_value_clear(&pat);
    if (rc != 0) {
      expr_value_clear(&s);
      return expr_fail(err, c->kids[1]->pos, "%s", msg);
    }
  }
  rc = regexec(re, expr_value_text(&s, sbuf), 0, NULL, 0);
  expr_value_clear(&s);
  if (re != c->re)
    expr_regex_free(re);
  if (rc != 0 && rc != REG_NOMATCH)
    return expr_fail(err, c->pos, "the regular expression could not be matched");
  return ret_bool(out, rc == 0);
}

int expr_fn_concat(call_t *c, env_t *env, expr_value_t *out, expr_error_t *err)
{
  char *buf = NULL, tbuf[EXPR_TEXTBUF];
  size_t len = 0, cap = 0;

  for (size_t i = 0; i < c->nkids; i++) {
    expr_value_t v;
    const char *t;
    size_t n;
    if (arg(c, i, env, &v, err) != 0) {
      free(buf);
      return -1;
    }
    t = expr_value_text(&v, tbuf);
    n = strlen(t);
    if (len + n + 1 > cap) {
      size_t want = cap * 2 > len + n + 1 ? cap * 2 : len + n + 1 + 32;
      char *grown = realloc(buf, want);
      if (grown == NULL) {
        free(buf);
        expr_value_clear(&v);
        return expr_fail(err, c->pos, "out of memory");
      }
      buf = grown;
      cap = want;
    }
    memcpy(buf + len, t, n);
    len += n;
    expr_value_clear(&v);
  }
  out->kind = EXPR_STR;
  if (len == 0) {
    free(buf);
    out->str = "";
    return 0;
  }
  buf[len] = '\0';
  out->owned = buf;
  out->str = buf;
  return 0;
}

/* A code point index from a number: NaN gives -1, otherwise clamped into [0, len]. */
static long long cp_index(double x, size_t len)
{
  if (isnan(x))
    return -1;
  if (x <= 0)
    return 0;
  if (x >= (double)len)
    return (long long)len;
  return (long long)x;
}

int expr_fn_substr(call_t *c, env_t *env, expr_value_t *out, expr_error_t *err)
{
  expr_value_t s;
  char buf[EXPR_TEXTBUF];
  const char *text;
  double x0, x1 = INFINITY;
  long long from, to;
  size_t len, b0, b1;

  if (arg_number(c, 1, env, &x0, err) != 0 ||
      (c->nkids > 2 && arg_number(c, 2, env, &x1, err) != 0) || arg(c, 0, env, &s, err) != 0)
    return -1;
  text = expr_value_text(&s, buf);
  len = utf8_length(text);
  from = cp_index(x0, len);
  to = cp_index(x1, len);
  if (from < 0 || to <= from) {
    expr_value_clear(&s);
    return ret_copy(out, "", 0, c->pos, err);
  }
  b0 = utf8_offset(text, (size_t)from);
  b1 = b0 + utf8_offset(text + b0, (size_t)(to - from));
  if (ret_copy(out, text + b0, b1 - b0, c->pos, err) != 0) {
    expr_value_clear(&s);
    return -1;
  }
  expr_value_clear(&s);
  return 0;
}

static int two_strings(call_t *c, env_t *env, expr_value_t *a, expr_value_t *b,
                       expr_error_t *err)
{
  if (arg(c, 0, env, a, err) != 0)
    return -1;
  if (arg(c, 1, env, b, err) != 0) {
    expr_value_clear(a);
    return -1;
  }
  return 0;
}

int expr_fn_starts_with(call_t *c, env_t *env, expr_value_t *out, expr_error_t *err)
{
  expr_value_t a, b;
  char abuf[EXPR_TEXTBUF], bbuf[EXPR_TEXTBUF];
  const char *s, *p;
  if (two_strings(c, env, &a, &b, err) != 0)
    return -1;
  s = expr_value_text(&a, abuf);
  p = expr_value_text(&b, bbuf);
  ret_bool(out, strncmp(s, p, strlen(p)) == 0);
  expr_value_clear(&a);
  expr_value_clear(&b);
  return 0;
}

int expr_fn_contains(call_t *c, env_t *env, expr_value_t *out, expr_error_t *err)
{
  expr_value_t a, b;
  char abuf[EXPR_TEXTBUF], bbuf[EXPR_TEXTBUF];
  if (two_strings(c, env, &a, &b, err) != 0)
    return -1;
  ret_bool(out, strstr(expr_value_text(&a, abuf), expr_value_text(&b, bbuf)) != NULL);
  expr_value_clear(&a);
  expr_value_clear(&b);
  return 0;
}

int expr_fn_string(call_t *c, env_t *env, expr_value_t *out, expr_error_t *err)
{
  expr_value_t v;
  char buf[EXPR_TEXTBUF];
  const char *t;
  if (arg(c, 0, env, &v, err) != 0)
    return -1;
  switch (v.kind) {
  case EXPR_STR:
    *out = v;   /* the string (and whatever owns it) moves to the result */
    return 0;
  case EXPR_BOOL:
  case EXPR_EMPTY:
    out->kind = EXPR_STR;
    out->str = expr_value_text(&v, buf);   /* a constant */
    return 0;
  default:
    t = expr_value_text(&v, buf);
    return ret_copy(out, t, strlen(t), c->pos, err);
  }
}
