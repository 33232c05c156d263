/* A strict (RFC 8259), allocation-free reader for record payloads: one JSON object whose members
 * are handed to a callback with their values decoded. Validation runs on every record write, and
 * building a cJSON tree (a malloc per node and per string) cost more than all the checks together.
 *
 * Strings are decoded into a caller-supplied buffer of len + 1 bytes, which always suffices: a
 * decoded string is never longer than its JSON text, quotes included. Nested values below the
 * members are checked for syntax (up to FORM_JSON_MAX_DEPTH levels) but not kept.
 */
#include "form_internal.h"

#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FORM_JSON_MAX_DEPTH 512

typedef struct jp {
  const char *s;
  size_t n, i;
  char *out;        /* decoded strings go here */
  size_t used;
  int nul;          /* a \u0000 was met */
} jp_t;

static void ws(jp_t *p)
{
  size_t i = p->i;
  while (i < p->n && (p->s[i] == ' ' || p->s[i] == '\n' || p->s[i] == '\t' || p->s[i] == '\r'))
    i++;
  p->i = i;
}

static int hex4(jp_t *p, unsigned *v)
{
  if (p->n - p->i < 4)
    return -1;
  unsigned x = 0;
  for (int k = 0; k < 4; k++) {
    char c = p->s[p->i++];
    x <<= 4;
    if (c >= '0' && c <= '9')
      x |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      x |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      x |= (unsigned)(c - 'A' + 10);
    else
      return -1;
  }
  *v = x;
  return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xC0 | (cp >> 6));
    o[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | (cp >> 18));
  o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* An escape after the backslash; appends to o (when not NULL). */
static int escape(jp_t *p, char *o, size_t *olen)
{
  if (p->i >= p->n)
    return -1;
  char c = p->s[p->i++], r;
  switch (c) {
  case '"': r = '"'; break;
  case '\\': r = '\\'; break;
  case '/': r = '/'; break;
  case 'b': r = '\b'; break;
  case 'f': r = '\f'; break;
  case 'n': r = '\n'; break;
  case 'r': r = '\r'; break;
  case 't': r = '\t'; break;
  case 'u': {
    unsigned cp, lo;
    if (hex4(p, &cp))
      return -1;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
      return -1;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (p->n - p->i < 2 || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u')
        return -1;
      p->i += 2;
      if (hex4(p, &lo) || lo < 0xDC00 || lo > 0xDFFF)
        return -1;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (cp == 0) {
      p->nul = 1;
      return -1;
    }
    if (o)
      *olen += put_utf8(o + *olen, cp);
    return 0;
  }
  default: return -1;
  }
  if (o)
    o[(*olen)++] = r;
  return 0;
}

/* Bytes that end a plain run inside a string: '"', '\\', control characters (1) and bytes of
 * multi-byte UTF-8 sequences (2), which need a validity check. */
static const unsigned char SPECIAL[256] = {
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
  0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
  2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

/* A string at p->i (the opening quote). With `keep`, decodes it NUL-terminated into p->out. */
static int string(jp_t *p, int keep, const char **res, size_t *len, int *flags)
{
  char *o = keep ? p->out + p->used : NULL;
  const unsigned char *s = (const unsigned char *)p->s;
  size_t olen = 0, i = p->i + 1, n = p->n;
  int high = 0, escaped = 0;
  for (;;) {
    size_t start = i;
    unsigned char k = 0;
    /* eight bytes at a time while none is '"', '\\' or a control character */
    while (n - i >= 8) {
      uint64_t w, q, e;
      memcpy(&w, s + i, 8);
      q = w ^ 0x2222222222222222ull;
      e = w ^ 0x5C5C5C5C5C5C5C5Cull;
      if ((((w - 0x2020202020202020ull) & ~w) | ((q - 0x0101010101010101ull) & ~q) |
           ((e - 0x0101010101010101ull) & ~e)) & 0x8080808080808080ull)
        break;
      high |= (w & 0x8080808080808080ull) != 0;
      i += 8;
    }
    while (i < n && (k = SPECIAL[s[i]]) != 1) {
      high |= k;
      i++;
    }
    if (o) {
      memcpy(o + olen, s + start, i - start);
      olen += i - start;
    }
    if (i >= n || s[i] < 0x20)
      goto fail;
    if (s[i++] == '"')
      break;
    escaped = 1;
    p->i = i;
    if (escape(p, o, &olen))
      return -1;
    i = p->i;
  }
  p->i = i;
  if (o) {
    o[olen] = '\0';
    p->used += olen + 1;
    *res = o;
    *len = olen;
    *flags = (!high || form_utf8_ok(o, olen) ? FJ_UTF8 : 0) | (escaped ? 0 : FJ_PLAIN);
  }
  return 0;
fail:
  p->i = i;
  return -1;
}

static double pow10_exact(int e)
{
  static const double t[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                              1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
  return t[e];
}

/* strtod in the "C" locale whatever the process locale is (slow path, rare). */
static double c_strtod(const char *s, size_t n)
{
  char small[128];
  char *buf = n < sizeof small ? small : malloc(n + 1);
  if (!buf)
    return NAN;
  memcpy(buf, s, n);
  buf[n] = '\0';
  locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
  locale_t old = c ? uselocale(c) : (locale_t)0;
  double v = strtod(buf, NULL);
  if (c) {
    uselocale(old);
    freelocale(c);
  }
  if (buf != small)
    free(buf);
  return v;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int number(jp_t *p, double *v)
{
  size_t start = p->i;
  int neg = 0, digits = 0, exp = 0, frac = 0;
  uint64_t m = 0;
  if (p->i < p->n && p->s[p->i] == '-') {
    neg = 1;
    p->i++;
  }
  if (p->i >= p->n || !(p->s[p->i] >= '0' && p->s[p->i] <= '9'))
    return -1;
  if (p->s[p->i] == '0') {
    p->i++;
  } else {
    for (; p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9'; p->i++)
      if (++digits <= 19)
        m = m * 10 + (uint64_t)(p->s[p->i] - '0');
  }
  if (p->i < p->n && p->s[p->i] == '.') {
    p->i++;
    if (p->i >= p->n || !(p->s[p->i] >= '0' && p->s[p->i] <= '9'))
      return -1;
    for (; p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9'; p->i++, frac++)
      if ((m != 0 || p->s[p->i] != '0') && ++digits <= 19)
        m = m * 10 + (uint64_t)(p->s[p->i] - '0');
  }
  if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
    p->i++;
    int eneg = 0;
    if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-'))
      eneg = p->s[p->i++] == '-';
    if (p->i >= p->n || !(p->s[p->i] >= '0' && p->s[p->i] <= '9'))
      return -1;
    for (; p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9'; p->i++)
      if (exp < 100000)
        exp = exp * 10 + (p->s[p->i] - '0');
    if (eneg)
      exp = -exp;
  }
  int e10 = exp - frac;
  /* Exact when the digits fit in 2^53 and the power of ten is exact (Clinger's fast path). */
  if (digits <= 15 && e10 >= -22 && e10 <= 22) {
    double d = (double)m;
    d = e10 < 0 ? d / pow10_exact(-e10) : d * pow10_exact(e10);
    *v = neg ? -d : d;
  } else {
    *v = c_strtod(p->s + start, p->i - start);
  }
  return 0;
}

static int literal(jp_t *p, const char *word, size_t n)
{
  if (p->n - p->i < n || memcmp(p->s + p->i, word, n) != 0)
    return -1;
  p->i += n;
  return 0;
}

/* Any value, checked and skipped; nesting is tracked in a bit stack (1 = object), no recursion. */
static int skip(jp_t *p)
{
  unsigned char stack[FORM_JSON_MAX_DEPTH / 8];
  size_t depth = 0;
  const char *unused;
  size_t ulen;
  int uok;
  for (;;) {
    ws(p);
    if (p->i >= p->n)
      return -1;
    char c = p->s[p->i];
    int opened = 0;
    if (c == '{' || c == '[') {
      if (depth == FORM_JSON_MAX_DEPTH)
        return -1;
      if (c == '{')
        stack[depth / 8] |= (unsigned char)(1u << (depth % 8));
      else
        stack[depth / 8] &= (unsigned char)~(1u << (depth % 8));
      depth++;
      p->i++;
      ws(p);
      if (p->i < p->n && p->s[p->i] == (c == '{' ? '}' : ']')) {
        p->i++;
        depth--;
      } else {
        opened = 1;
      }
    } else if (c == '"') {
      if (string(p, 0, &unused, &ulen, &uok))
        return -1;
    } else if (c == 't' || c == 'f' || c == 'n') {
      if (literal(p, c == 't' ? "true" : c == 'f' ? "false" : "null", c == 'f' ? 5 : 4))
        return -1;
    } else {
      double d;
      if (number(p, &d))
        return -1;
    }
    /* after a value (or at the start of a container's first member): what comes next */
    for (;;) {
      if (depth == 0)
        return 0;
      int in_obj = (stack[(depth - 1) / 8] >> ((depth - 1) % 8)) & 1;
      if (!opened) {
        ws(p);
        if (p->i >= p->n)
          return -1;
        char d = p->s[p->i];
        if (d == (in_obj ? '}' : ']')) {
          p->i++;
          depth--;
          continue;
        }
        if (d != ',')
          return -1;
        p->i++;
      }
      if (in_obj) {
        ws(p);
        if (p->i >= p->n || p->s[p->i] != '"' || string(p, 0, &unused, &ulen, &uok))
          return -1;
        ws(p);
        if (p->i >= p->n || p->s[p->i] != ':')
          return -1;
        p->i++;
      }
      break;
    }
  }
}

/* A member's value: scalars decoded, an array of strings kept as packed strings. */
static int member_value(jp_t *p, form_jval_t *v)
{
  memset(v, 0, sizeof *v);
  char c = p->s[p->i];
  if (c == '"') {
    size_t len;
    int ok;
    v->kind = FJ_STR;
    if (string(p, 1, &v->str, &len, &ok))
      return -1;
    v->len = (uint32_t)len;
    v->ok = (uint8_t)((ok & FJ_UTF8) != 0);
    v->plain = (uint8_t)((ok & FJ_PLAIN) != 0);
    return 0;
  }
  if (c == '[') {
    v->kind = FJ_ARR;
    v->ok = 1;
    v->str = p->out + p->used;
    p->i++;
    ws(p);
    if (p->i < p->n && p->s[p->i] == ']') {
      p->i++;
      return 0;
    }
    for (;;) {
      ws(p);
      if (p->i >= p->n)
        return -1;
      if (p->s[p->i] == '"' && v->ok) {
        const char *s;
        size_t len;
        int ok;
        if (string(p, 1, &s, &len, &ok))
          return -1;
      } else {
        v->ok = 0;   /* not all strings */
        if (skip(p))
          return -1;
      }
      v->count++;
      ws(p);
      if (p->i >= p->n)
        return -1;
      if (p->s[p->i] == ']') {
        p->i++;
        return 0;
      }
      if (p->s[p->i++] != ',')
        return -1;
    }
  }
  if (c == '{') {
    v->kind = FJ_OBJ;
    return skip(p);
  }
  if (c == 't' || c == 'f' || c == 'n') {
    v->kind = c == 't' ? FJ_TRUE : c == 'f' ? FJ_FALSE : FJ_NULL;
    return literal(p, c == 't' ? "true" : c == 'f' ? "false" : "null", c == 'f' ? 5 : 4);
  }
  v->kind = FJ_NUM;
  return number(p, &v->num);
}

int form_json_object(const char *s, size_t n, char *strbuf, form_member_fn fn, void *user,
                     size_t *err_off)
{
  jp_t p = { s, n, 0, strbuf, 0, 0 };
  int rc = FORM_JSON_MALFORMED;
  ws(&p);
  if (p.i < n && s[p.i] != '{') {
    if (skip(&p) == 0) {
      ws(&p);
      if (p.i == n)
        return FORM_JSON_NOT_OBJECT;
    }
    goto fail;
  }
  if (p.i >= n)
    goto fail;
  p.i++;
  ws(&p);
  if (p.i < n && s[p.i] == '}') {
    p.i++;
  } else {
    for (;;) {
      ws(&p);
      const char *key;
      size_t klen;
      int kok;
      if (p.i >= n || s[p.i] != '"' || string(&p, 1, &key, &klen, &kok))
        goto fail;
      ws(&p);
      if (p.i >= n || s[p.i] != ':')
        goto fail;
      p.i++;
      ws(&p);
      form_jval_t v;
      if (p.i >= n || member_value(&p, &v))
        goto fail;
      int r = fn(user, key, klen, &v);
      if (r)
        return r;
      ws(&p);
      if (p.i >= n)
        goto fail;
      if (s[p.i] == '}') {
        p.i++;
        break;
      }
      if (s[p.i++] != ',')
        goto fail;
    }
  }
  ws(&p);
  if (p.i == n)
    return 0;
fail:
  if (p.nul)
    rc = FORM_JSON_NUL;
  *err_off = p.i < n ? p.i : n;
  return rc;
}
