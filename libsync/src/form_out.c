/* A growable text buffer that writes compact, deterministic JSON (canonical payloads and
 * form_evaluate results) without building a cJSON tree: one allocation for most records. */
#include "form_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void form_buf_init(form_buf_t *b, size_t cap_hint)
{
  b->len = 0;
  b->oom = 0;
  b->cap = cap_hint < 64 ? 64 : cap_hint;
  b->p = malloc(b->cap);
  if (!b->p) {
    b->cap = 0;
    b->oom = 1;
  }
}

static int reserve(form_buf_t *b, size_t n)
{
  if (b->oom)
    return -1;
  if (b->len + n + 1 <= b->cap)
    return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + n + 1)
    cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) {
    b->oom = 1;
    return -1;
  }
  b->p = p;
  b->cap = cap;
  return 0;
}

void form_buf_put(form_buf_t *b, const char *s, size_t n)
{
  if (reserve(b, n))
    return;
  memcpy(b->p + b->len, s, n);
  b->len += n;
}

void form_buf_puts(form_buf_t *b, const char *s)
{
  form_buf_put(b, s, strlen(s));
}

void form_buf_putc(form_buf_t *b, char c)
{
  if (b->len + 2 <= b->cap || reserve(b, 1) == 0)
    b->p[b->len++] = c;
}

static const char HEX[] = "0123456789abcdef";

void form_buf_json_str(form_buf_t *b, const char *s)
{
  /* 1 for bytes JSON needs escaped (and NUL, which ends the scan) */
  static const unsigned char ESC[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
  };
  size_t n = 0;
  while (!ESC[(unsigned char)s[n]])
    n++;
  if (!s[n]) {   /* the common case: nothing to escape */
    if (reserve(b, n + 2))
      return;
    b->p[b->len] = '"';
    memcpy(b->p + b->len + 1, s, n);
    b->p[b->len + 1 + n] = '"';
    b->len += n + 2;
    return;
  }
  form_buf_putc(b, '"');
  const char *run = s;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    form_buf_put(b, run, (size_t)(s - run));
    run = s + 1;
    char esc[6] = { '\\', 0, 0, 0, 0, 0 };
    size_t n_esc = 2;
    switch (c) {
    case '"': esc[1] = '"'; break;
    case '\\': esc[1] = '\\'; break;
    case '\b': esc[1] = 'b'; break;
    case '\f': esc[1] = 'f'; break;
    case '\n': esc[1] = 'n'; break;
    case '\r': esc[1] = 'r'; break;
    case '\t': esc[1] = 't'; break;
    default:
      esc[1] = 'u'; esc[2] = '0'; esc[3] = '0'; esc[4] = HEX[c >> 4]; esc[5] = HEX[c & 15];
      n_esc = 6;
    }
    form_buf_put(b, esc, n_esc);
  }
  form_buf_put(b, run, (size_t)(s - run));
  form_buf_putc(b, '"');
}

/* Digits of |v| (an integer below 2^63) with a point `point` digits from the right. */
static size_t format_fixed(char *out, int neg, uint64_t v, int point)
{
  char tmp[32];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v || (int)n <= point);
  size_t j = 0;
  if (neg)
    out[j++] = '-';
  while (n) {
    out[j++] = tmp[--n];
    if (point && (int)n == point)
      out[j++] = '.';
  }
  return j;
}

/* printf's %g follows LC_NUMERIC (a GTK app in an Indonesian locale gets "1,5"): keep digits,
 * signs and exponents and turn anything else into '.'. */
static size_t fix_decimal_point(char *s)
{
  size_t j = 0;
  int in_point = 0;
  for (size_t i = 0; s[i]; i++) {
    char c = s[i];
    if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == 'e' || c == 'E') {
      s[j++] = c;
      in_point = 0;
    } else if (!in_point) {
      s[j++] = '.';
      in_point = 1;
    }
  }
  s[j] = '\0';
  return j;
}

void form_buf_json_num(form_buf_t *b, double v)
{
  static const double p10[] = { 1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9 };
  char tmp[64];
  size_t n = 0;
  double a = fabs(v);
  if (floor(a) == a && a < 1e18) {
    n = format_fixed(tmp, v < 0 && a != 0, (uint64_t)a, 0);
  } else if (a < 1e15) {
    /* v = m / 10^k for a small k, exactly as a reader would round it: that is the text */
    for (int k = 1; k <= 9 && !n; k++) {
      double t = a * p10[k];
      if (t < 9007199254740992.0 && floor(t) == t && t / p10[k] == a)
        n = format_fixed(tmp, v < 0 && t != 0, (uint64_t)t, k);
    }
  }
  if (!n) {
    /* snprintf and strtod agree on the locale, so the round trip is checked before fixing. */
    for (int prec = 15; prec <= 17; prec++) {
      snprintf(tmp, sizeof tmp, "%.*g", prec, v);
      if (strtod(tmp, NULL) == v)
        break;
    }
    n = fix_decimal_point(tmp);
  }
  form_buf_put(b, tmp, n);
}

char *form_buf_take(form_buf_t *b)
{
  if (b->oom) {
    form_buf_free(b);
    return NULL;
  }
  b->p[b->len] = '\0';
  char *p = b->p;
  b->p = NULL;
  b->len = b->cap = 0;
  return p;
}

void form_buf_free(form_buf_t *b)
{
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}
