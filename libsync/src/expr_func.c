/* The function library of the expression language (proto/FORMS.md, "Functions"): the table
 * the parser checks names and argument counts against, so every function may index its
 * arguments freely, and the logic, select, date and number functions. String functions are in
 * expr_text.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "expr_internal.h"


static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* ---- logic ---------------------------------------------------------------------------- */

static int fn_if(call_t *c, env_t *env, expr_value_t *out, expr_error_t *err)
{
  expr_value_t cond;
  int t;
  if (arg(c, 0, env, &cond, err) != 0)
    return -1;
  t = expr_truthy(&cond);
  expr_value_clear(&cond);
  return arg(c, t ? 1 : 2, env, out, err);
}

static int fn_coalesce(call_t *c, env_t *env, expr_value_t *out, expr_error_t *err)
{
  if (arg(c, 0, env, out, err) != 0)
    return -1;
  if (!expr_is_empty(out))
    return 0;
  expr_value_clear(out);
  return arg(c, 1, env, out, err);
}

static int fn_true(call_t *c, env_t *env, expr_value_t *out, expr_error_t *err)
{
  return ret_bool(out, 1);
}

static int fn_false(call_t *c, env_t *env, expr_value_t *out, expr_error_t *err)
{
  return ret_bool(out, 0);
}

static int fn_boolean(call_t *c, env_t *env, expr_value_t *out, expr_error_t *err)
{
  expr_value_t v;
  if (arg(c, 0, env, &v, err) != 0)
    return -1;
  ret_bool(out, expr_truthy(&v));
  expr_value_clear(&v);
  return 0;
}

static int fn_not(call_t *c, env_t *env, expr_value_t *out, expr_error_t *err)
{
  if (fn_boolean(c, env, out, err) != 0)
    return -1;
  out->b = !out->b;
  return 0;
}

/* ---- select_multiple answers: space-separated names ------------------------------------ */

/* Counts the names of `list`; *found tells whether wanted[0..wlen) is among them. */
static size_t scan_names(const char *list, const char *wanted, size_t wlen, int *found)
{
  size_t count = 0;
  *found = 0;
  for (;;) {
    size_t n = 0;
    while (is_blank(*list))
      list++;
    if (*list == '\0')
      return count;
    while (list[n] != '\0' && !is_blank(list[n]))
      n++;
    count++;
    if (n == wlen && memcmp(list, wanted, n) == 0)
      *found = 1;
    list += n;
  }
}

static int fn_selected(call_t *c, env_t *env, expr_value_t *out, expr_error_t *err)
{
  expr_value_t list, name;
  char lbuf[EXPR_TEXTBUF], nbuf[EXPR_TEXTBUF];
  const char *wanted;
  size_t n;
  int found;
  if (arg(c, 0, env, &list, err) != 0)
    return -1;
  if (arg(c, 1, env, &name, err) != 0) {
    expr_value_clear(&list);
    return -1;
  }
  wanted = expr_value_text(&name, nbuf);   /* a name never holds blanks: trim them */
  while (is_blank(*wanted))
    wanted++;
  n = strlen(wanted);
  while (n > 0 && is_blank(wanted[n - 1]))
    n--;
  scan_names(expr_value_text(&list, lbuf), wanted, n, &found);
  ret_bool(out, n > 0 && found);
  expr_value_clear(&list);
  expr_value_clear(&name);
  return 0;
}

static int fn_count_selected(call_t *c, env_t *env, expr_value_t *out, expr_error_t *err)
{
  expr_value_t list;
  char buf[EXPR_TEXTBUF];
  int found;
  if (arg(c, 0, env, &list, err) != 0)
    return -1;
  ret_num(out, (double)scan_names(expr_value_text(&list, buf), "", 0, &found));
  expr_value_clear(&list);
  return 0;
}

/* ---- dates -------------------------------------------------------------------------------- */

static int ret_date(expr_value_t *out, int32_t days)
{
  out->kind = EXPR_DATE;
  out->days = days;
  return 0;
}

static int fn_today(call_t *c, env_t *env, expr_value_t *out, expr_error_t *err)
{
  return ret_date(out, env->today);
}

/* The argument as a date; *ok is 0 when it is empty or no date. */
static int arg_date(call_t *c, size_t i, env_t *env, int32_t *days, int *ok, expr_error_t *err)
{
  expr_value_t v;
  if (arg(c, i, env, &v, err) != 0)
    return -1;
  *ok = expr_value_to_date(&v, days);
  expr_value_clear(&v);
  return 0;
}

static int fn_date(call_t *c, env_t *env, expr_value_t *out, expr_error_t *err)
{
  int32_t days;
  int ok;
  if (arg_date(c, 0, env, &days, &ok, err) != 0)
    return -1;
  return ok ? ret_date(out, days) : 0;
}

static int fn_age(call_t *c, env_t *env, expr_value_t *out, expr_error_t *err)
{
  int32_t from, to = env->today;
  int ok, ok_to = 1;
  if (arg_date(c, 0, env, &from, &ok, err) != 0)
    return -1;
  if (c->nkids > 1 && arg_date(c, 1, env, &to, &ok_to, err) != 0)
    return -1;
  return ok && ok_to ? ret_num(out, expr_age_years(from, to)) : 0;
}

/* ---- conversions -------------------------------------------------------------------------- */

static int fn_number(call_t *c, env_t *env, expr_value_t *out, expr_error_t *err)
{
  double x;
  if (arg_number(c, 0, env, &x, err) != 0)
    return -1;
  return ret_num(out, x);
}

static int fn_int(call_t *c, env_t *env, expr_value_t *out, expr_error_t *err)
{
  double x;
  if (arg_number(c, 0, env, &x, err) != 0)
    return -1;
  return ret_num(out, trunc(x));
}

/* x rounded to `places` decimals (negative: tens, hundreds...) on its shortest decimal form,
 * so that round(1.005, 2) is 1.01 as written. Halves go towards +Infinity (XPath round()). */
static double round_places(double x, int places)
{
  char d[24];
  int e10;
  long long keep;
  size_t n;
  int up;

  if (!isfinite(x) || x == 0)
    return x;
  n = expr_shortest_digits(fabs(x), d, &e10);
  keep = (long long)e10 + places + 1;   /* digits left of the cut */
  if (keep >= (long long)n)
    return x;
  if (keep < 0)
    return 0.0;
  up = d[keep] > '5' || (d[keep] == '5' && ((size_t)keep + 1 < n || x > 0));
  if (up) {
    long long i = keep - 1;
    while (i >= 0 && d[i] == '9')
      d[i--] = '0';
    if (i < 0) {   /* 99.5 -> 100: one digit more */
      double r = expr_digits_value("1", 1, (long)e10 + 1);
      return x < 0 ? -r : r;
    }
    d[i]++;
  }
  if (keep == 0)
    return 0.0;
  {
    double r = expr_digits_value(d, (size_t)keep, (long)e10 - (long)keep + 1);
    return x < 0 ? -r : r;
  }
}

static int fn_round(call_t *c, env_t *env, expr_value_t *out, expr_error_t *err)
{
  double x, places = 0;
  if (arg_number(c, 0, env, &x, err) != 0 ||
      (c->nkids > 1 && arg_number(c, 1, env, &places, err) != 0))
    return -1;
  if (isnan(places))
    return ret_num(out, NAN);
  if (places > 400)
    places = 400;
  if (places < -400)
    places = -400;
  return ret_num(out, round_places(x, (int)places));
}

/* ---- the table ----------------------------------------------------------------------------- */

static const expr_func_t functions[] = {
  {"if", 3, 3, -1, fn_if},
  {"selected", 2, 2, -1, fn_selected},
  {"count-selected", 1, 1, -1, fn_count_selected},
  {"today", 0, 0, -1, fn_today},
  {"date", 1, 1, -1, fn_date},
  {"age", 1, 2, -1, fn_age},
  {"string-length", 1, 1, -1, expr_fn_string_length},
  {"regex", 2, 2, 1, expr_fn_regex},
  {"concat", 1, -1, -1, expr_fn_concat},
  {"substr", 2, 3, -1, expr_fn_substr},
  {"starts-with", 2, 2, -1, expr_fn_starts_with},
  {"contains", 2, 2, -1, expr_fn_contains},
  {"coalesce", 2, 2, -1, fn_coalesce},
  {"int", 1, 1, -1, fn_int},
  {"round", 1, 2, -1, fn_round},
  {"number", 1, 1, -1, fn_number},
  {"string", 1, 1, -1, expr_fn_string},
  {"boolean", 1, 1, -1, fn_boolean},
  {"not", 1, 1, -1, fn_not},
  {"true", 0, 0, -1, fn_true},
  {"false", 0, 0, -1, fn_false},
};

const expr_func_t *expr_func_find(const char *name, size_t len)
{
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++)
    if (strlen(functions[i].name) == len && memcmp(functions[i].name, name, len) == 0)
      return &functions[i];
  return NULL;
}
