/* Value conversions of the expression language (XPath 1.0 boolean(), number(), string()) and
 * locale-independent number text: decimals are turned into "<digits>e<exp>" before strtod, and
 * printed numbers are rebuilt from printf's digits, so no locale's decimal point ever matters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "expr_internal.h"

/* Significant digits kept when converting: enough to round any decimal text correctly. */
#define SIG_MAX 800

static const double pow10_exact[] = {
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* digits[0..n) (no leading zero, n >= 1) times 10^exp, correctly rounded. */
double expr_digits_value(const char *digits, size_t n, long exp)
{
  char buf[SIG_MAX + 32];
  if (n <= 15 && exp >= -22 && exp <= 22) {
    /* Both operands are exact doubles, so one operation rounds correctly. */
    double m = 0;
    for (size_t i = 0; i < n; i++)
      m = m * 10 + (digits[i] - '0');
    return exp < 0 ? m / pow10_exact[-exp] : m * pow10_exact[exp];
  }
  if (exp > 100000)
    return HUGE_VAL;
  if (exp < -100000)
    return 0.0;
  /* No decimal point in the text: strtod reads it the same way in every locale. */
  snprintf(buf, sizeof buf, "%.*se%ld", (int)n, digits, exp);
  return strtod(buf, NULL);
}

double expr_decimal_value(const char *s, size_t len)
{
  char sig[SIG_MAX + 1];
  size_t n = 0;
  long exp = 0;
  int after_dot = 0, sticky = 0;

  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (c == '.') {
      after_dot = 1;
    } else if (n == 0 && c == '0') {
      exp -= after_dot;
    } else if (n < SIG_MAX) {
      sig[n++] = c;
      exp -= after_dot;
    } else {
      sticky |= c != '0';
      exp += !after_dot;
    }
  }
  if (sticky) {
    sig[n++] = '1';
    exp--;
  }
  while (n > 0 && sig[n - 1] == '0') {
    n--;
    exp++;
  }
  return n == 0 ? 0.0 : expr_digits_value(sig, n, exp);
}

static int blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static int digit(char c) { return c >= '0' && c <= '9'; }

double expr_text_to_number(const char *s)
{
  size_t start, end, ndigits = 0;
  int neg = 0;
  double v;

  while (blank(*s))
    s++;
  if (*s == '-') {
    neg = 1;
    s++;
  }
  start = 0;
  end = 0;
  while (digit(s[end]))
    end++, ndigits++;
  if (s[end] == '.') {
    end++;
    while (digit(s[end]))
      end++, ndigits++;
  }
  if (ndigits == 0)
    return NAN;
  v = expr_decimal_value(s + start, end - start);
  s += end;
  while (blank(*s))
    s++;
  if (*s != '\0')
    return NAN;
  return neg ? -v : v;
}

/* Decimal digits of x > 0 with `prec` significant digits: x ~ d1.d2d3... * 10^(*exp10). */
static size_t sci_digits(double x, int prec, char digits[24], int *exp10)
{
  char tmp[64];
  const char *p = tmp;
  size_t n = 0;
  snprintf(tmp, sizeof tmp, "%.*e", prec - 1, x);
  /* "d<decimal point>ddd...e+XX": the decimal point may be any locale's, so skip non-digits. */
  while (*p != '\0' && *p != 'e' && n < 23) {
    if (digit(*p))
      digits[n++] = *p;
    p++;
  }
  digits[n] = '\0';
  *exp10 = *p == 'e' ? atoi(p + 1) : 0;
  return n;
}

size_t expr_shortest_digits(double x, char digits[24], int *exp10)
{
  size_t n = 0;
  /* The shortest of 15, 16 or 17 significant digits that reads back as x. */
  for (int prec = 15; prec <= 17; prec++) {
    n = sci_digits(x, prec, digits, exp10);
    if (prec == 17 || expr_digits_value(digits, n, (long)*exp10 - (long)(n - 1)) == x)
      break;
  }
  while (n > 1 && digits[n - 1] == '0')
    n--;
  digits[n] = '\0';
  return n;
}

void expr_format_number(double x, char buf[EXPR_TEXTBUF])
{
  char digits[24], *o = buf;
  size_t n;
  int e10 = 0;

  if (isnan(x)) {
    strcpy(buf, "NaN");
    return;
  }
  if (isinf(x)) {
    strcpy(buf, x < 0 ? "-Infinity" : "Infinity");
    return;
  }
  if (x == 0) {
    strcpy(buf, "0");
    return;
  }
  if (x == trunc(x) && fabs(x) < 1e21) {
    snprintf(buf, EXPR_TEXTBUF, "%.0f", x);   /* no decimal point, no grouping */
    return;
  }
  if (x < 0)
    *o++ = '-';
  n = expr_shortest_digits(fabs(x), digits, &e10);
  if (e10 >= -6 && e10 < 21) {   /* like JavaScript: 0.000001 but 1e-7 */
    if (e10 < 0) {
      *o++ = '0';
      *o++ = '.';
      for (int i = -1; i > e10; i--)
        *o++ = '0';
      memcpy(o, digits, n);
      o += n;
    } else {
      for (size_t i = 0; i <= (size_t)e10; i++)
        *o++ = i < n ? digits[i] : '0';
      if (n > (size_t)e10 + 1) {
        *o++ = '.';
        memcpy(o, digits + e10 + 1, n - (size_t)e10 - 1);
        o += n - (size_t)e10 - 1;
      }
    }
    *o = '\0';
    return;
  }
  *o++ = digits[0];
  if (n > 1) {
    *o++ = '.';
    memcpy(o, digits + 1, n - 1);
    o += n - 1;
  }
  snprintf(o, (size_t)(buf + EXPR_TEXTBUF - o), "e%c%d", e10 < 0 ? '-' : '+', abs(e10));
}

int expr_is_empty(const expr_value_t *v)
{
  return v->kind == EXPR_EMPTY || (v->kind == EXPR_STR && (v->str == NULL || v->str[0] == '\0'));
}

const char *expr_value_text(const expr_value_t *v, char buf[EXPR_TEXTBUF])
{
  switch (v->kind) {
  case EXPR_STR: return v->str != NULL ? v->str : "";
  case EXPR_BOOL: return v->b ? "true" : "false";
  case EXPR_NUM: expr_format_number(v->num, buf); return buf;
  case EXPR_DATE: expr_format_date(v->days, buf); return buf;
  default: return "";
  }
}

int expr_truthy(const expr_value_t *v)
{
  if (v == NULL)
    return 0;
  switch (v->kind) {
  case EXPR_BOOL: return v->b != 0;
  case EXPR_NUM: return v->num != 0 && !isnan(v->num);
  case EXPR_STR: return v->str != NULL && v->str[0] != '\0';
  case EXPR_DATE: return 1;
  default: return 0;
  }
}

double expr_to_number(const expr_value_t *v)
{
  if (v == NULL)
    return NAN;
  switch (v->kind) {
  case EXPR_BOOL: return v->b ? 1.0 : 0.0;
  case EXPR_NUM: return v->num;
  case EXPR_STR: return v->str != NULL ? expr_text_to_number(v->str) : NAN;
  case EXPR_DATE: return (double)v->days;
  default: return NAN;
  }
}

void expr_value_clear(expr_value_t *v)
{
  if (v == NULL)
    return;
  free(v->owned);
  memset(v, 0, sizeof *v);
}
