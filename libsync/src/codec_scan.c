/* Strict JSON validation and minification in one linear pass (codec_internal.h).
 *
 * The scanner is the codec's gatekeeper: a decoder runs it over a whole body before cJSON parses
 * anything, and an encoder embeds a payload only through it, so both sides accept exactly the same
 * texts. It is iterative with a fixed stack of PROTO_MAX_JSON_DEPTH entries and never reads past
 * `len`. It also refuses what cJSON cannot represent faithfully: \u0000 (C strings), lone
 * surrogates, numbers longer than cJSON's 63-byte number buffer and numbers that overflow a double.
 */
#include "codec_internal.h"

#include <stdlib.h>
#include <string.h>

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

#define FAIL(at, msg)                                                                              \
  do {                                                                                             \
    res->err_pos = (at);                                                                           \
    res->err = (msg);                                                                              \
    return -1;                                                                                     \
  } while (0)

size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
  unsigned char c = s[0];
  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF)
    return avail >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (avail < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
      return 0;
    if (c == 0xE0 && s[1] < 0xA0)
      return 0; /* overlong */
    if (c == 0xED && s[1] >= 0xA0)
      return 0; /* UTF-16 surrogate */
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (avail < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
      return 0;
    if (c == 0xF0 && s[1] < 0x90)
      return 0; /* overlong */
    if (c == 0xF4 && s[1] >= 0x90)
      return 0; /* above U+10FFFF */
    return 4;
  }
  return 0;
}

size_t utf8_chars(const char *s)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t avail = strlen(s), n = 0;
  while (avail > 0) {
    size_t k = utf8_seq_len(p, avail);
    if (k == 0)
      return SIZE_MAX;
    p += k;
    avail -= k;
    n++;
  }
  return n;
}

static size_t skip_ws(const unsigned char *s, size_t len, size_t i)
{
  while (i < len && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
    i++;
  return i;
}

static int hex4(const unsigned char *s, unsigned *out)
{
  unsigned v = 0;
  for (int k = 0; k < 4; k++) {
    unsigned char c = s[k];
    unsigned d;
    if (c >= '0' && c <= '9')
      d = (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      d = (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      d = (unsigned)(c - 'A' + 10);
    else
      return -1;
    v = v * 16 + d;
  }
  *out = v;
  return 0;
}

/* s[*pos] is the opening quote; on success *pos is just past the closing quote. */
static int scan_string(const unsigned char *s, size_t len, size_t *pos, json_scan_t *res)
{
  size_t i = *pos + 1;
  for (;;) {
    /* Eight plain bytes at a time: stop at a word holding a byte < 0x20, '"', '\\' or >= 0x80
     * (exact test for "some byte", the byte loop below then finds which). */
    while (len - i >= 8) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      uint64_t q = w ^ (ONES * '"'), b = w ^ (ONES * '\\');
      if ((((w - ONES * 0x20) & ~w) | ((q - ONES) & ~q) | ((b - ONES) & ~b) | w) & HIGHS)
        break;
      i += 8;
    }
    if (i >= len)
      FAIL(len, "unterminated string");
    unsigned char c = s[i];
    if (c == '"')
      break;
    if (c >= 0x20 && c < 0x80 && c != '\\') {
      i++;
      continue;
    }
    if (c < 0x20)
      FAIL(i, "control character in string");
    if (c != '\\') {
      size_t k = utf8_seq_len(s + i, len - i);
      if (k == 0)
        FAIL(i, "invalid UTF-8 in string");
      i += k;
      continue;
    }
    if (i + 1 >= len)
      FAIL(len, "unterminated string");
    unsigned char e = s[i + 1];
    if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' ||
        e == 't') {
      i += 2;
      continue;
    }
    if (e != 'u')
      FAIL(i, "invalid escape in string");
    unsigned cp, lo;
    if (i + 6 > len || hex4(s + i + 2, &cp) != 0)
      FAIL(i, "invalid \\u escape");
    if (cp == 0)
      FAIL(i, "\\u0000 is not allowed in strings");
    if (cp >= 0xDC00 && cp <= 0xDFFF)
      FAIL(i, "unpaired UTF-16 surrogate");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (i + 12 > len || s[i + 6] != '\\' || s[i + 7] != 'u' || hex4(s + i + 8, &lo) != 0 ||
          lo < 0xDC00 || lo > 0xDFFF)
        FAIL(i, "unpaired UTF-16 surrogate");
      i += 12;
    } else {
      i += 6;
    }
  }
  *pos = i + 1;
  return 0;
}

/* 1 if the number whose digits (without sign, '.', exponent) are given would overflow a double.
 * Conservative at the boundary: a value above 1.7976931348623157e308 is refused. */
static int number_overflows(const unsigned char *ip, size_t n_int, const unsigned char *fp,
                            size_t n_frac, long exp10)
{
  char digits[64];
  size_t nd = 0, lead = 0;
  int seen = 0;
  for (size_t k = 0; k < n_int + n_frac && nd < sizeof digits - 1; k++) {
    unsigned char d = k < n_int ? ip[k] : fp[k - n_int];
    if (!seen && d == '0') {
      lead++;
      continue;
    }
    seen = 1;
    digits[nd++] = (char)d;
  }
  if (!seen)
    return 0; /* zero */
  digits[nd] = '\0';
  long sci = (long)n_int - 1 - (long)lead + exp10;
  if (sci != 308)
    return sci > 308;
  static const char max_digits[] = "17976931348623157";
  size_t k = 0;
  for (; k < nd; k++) {
    char m = k < sizeof max_digits - 1 ? max_digits[k] : '0';
    if (digits[k] != m)
      return digits[k] > m;
  }
  return 0;
}

static int scan_number(const unsigned char *s, size_t len, size_t *pos, json_scan_t *res)
{
  size_t i = *pos, start = i;
  if (s[i] == '-')
    i++;
  if (i >= len || s[i] < '0' || s[i] > '9')
    FAIL(i, "invalid number");
  size_t int_start = i;
  if (s[i] == '0')
    i++;
  else
    while (i < len && s[i] >= '0' && s[i] <= '9')
      i++;
  size_t n_int = i - int_start, frac_start = i, n_frac = 0;
  if (i < len && s[i] == '.') {
    i++;
    frac_start = i;
    while (i < len && s[i] >= '0' && s[i] <= '9')
      i++;
    n_frac = i - frac_start;
    if (n_frac == 0)
      FAIL(i, "invalid number");
  }
  long exp10 = 0;
  if (i < len && (s[i] == 'e' || s[i] == 'E')) {
    int neg = 0;
    i++;
    if (i < len && (s[i] == '+' || s[i] == '-'))
      neg = s[i++] == '-';
    if (i >= len || s[i] < '0' || s[i] > '9')
      FAIL(i, "invalid number");
    while (i < len && s[i] >= '0' && s[i] <= '9') {
      if (exp10 < 100000)
        exp10 = exp10 * 10 + (s[i] - '0');
      i++;
    }
    if (neg)
      exp10 = -exp10;
  }
  if (i - start > 63)
    FAIL(start, "number longer than 63 characters");
  if (number_overflows(s + int_start, n_int, s + frac_start, n_frac, exp10))
    FAIL(start, "number too large for a double");
  *pos = i;
  return 0;
}

static int scan_literal(const unsigned char *s, size_t len, size_t *pos, json_scan_t *res)
{
  static const char *const lits[] = {"true", "false", "null"};
  for (size_t k = 0; k < 3; k++) {
    size_t n = strlen(lits[k]);
    if (s[*pos] == (unsigned char)lits[k][0]) {
      if (len - *pos < n || memcmp(s + *pos, lits[k], n) != 0)
        FAIL(*pos, "invalid literal");
      *pos += n;
      return 0;
    }
  }
  FAIL(*pos, "expected a value");
}

#define EMIT_SPAN(from, n)                                                                         \
  do {                                                                                             \
    if (out)                                                                                       \
      memcpy(out + o, s + (from), (n));                                                            \
    o += (n);                                                                                      \
  } while (0)

static int capture_add(json_capture_t *cap, size_t start)
{
  if (cap->n == cap->cap) {
    size_t ncap = cap->cap ? cap->cap * 2 : 64;
    json_span_t *p = realloc(cap->spans, ncap * sizeof *p);
    if (!p)
      return -1;
    cap->spans = p;
    cap->cap = ncap;
  }
  cap->spans[cap->n].start = start;
  cap->spans[cap->n].end = start;
  cap->n++;
  return 0;
}

int json_scan(const char *s, size_t len, int max_depth, char *out, json_scan_t *res)
{
  return json_scan_capture(s, len, max_depth, out, res, NULL);
}

int json_scan_capture(const char *src, size_t len, int max_depth, char *out, json_scan_t *res,
                      json_capture_t *cap)
{
  const unsigned char *s = (const unsigned char *)src;
  unsigned char stack[PROTO_MAX_JSON_DEPTH];
  int depth = 0, key_is_payload = 0, capture_here, cap_depth = 0;
  size_t i, o = 0;

  memset(res, 0, sizeof *res);
  if (max_depth > PROTO_MAX_JSON_DEPTH)
    max_depth = PROTO_MAX_JSON_DEPTH;
  i = skip_ws(s, len, 0);

value:
  capture_here = key_is_payload;
  key_is_payload = 0;
  if (i >= len)
    FAIL(i, "unexpected end of input");
  switch (s[i]) {
  case '{':
  case '[': {
    unsigned char open = s[i], close = open == '{' ? '}' : ']';
    if (depth >= max_depth)
      FAIL(i, "nested too deeply");
    if (depth == 0)
      res->type = open == '{' ? JSON_T_OBJECT : JSON_T_ARRAY;
    if (capture_here && open == '{') {
      if (capture_add(cap, o) != 0) {
        cap->oom = 1;
        FAIL(i, "out of memory");
      }
      cap_depth = depth + 1;
    }
    stack[depth++] = open;
    EMIT_SPAN(i, 1);
    i = skip_ws(s, len, i + 1);
    if (i < len && s[i] == close) {
      EMIT_SPAN(i, 1);
      i++;
      goto closed;
    }
    if (depth == 1)
      res->members = 1;
    if (open == '{')
      goto key;
    goto value;
  }
  case '"': {
    size_t start = i;
    if (scan_string(s, len, &i, res) != 0)
      return -1;
    if (depth == 0)
      res->type = JSON_T_STRING;
    EMIT_SPAN(start, i - start);
    goto after;
  }
  case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
  case '8': case '9': {
    size_t start = i;
    if (scan_number(s, len, &i, res) != 0)
      return -1;
    if (depth == 0)
      res->type = JSON_T_NUMBER;
    EMIT_SPAN(start, i - start);
    goto after;
  }
  default: {
    size_t start = i;
    if (scan_literal(s, len, &i, res) != 0)
      return -1;
    if (depth == 0)
      res->type = s[start] == 'n' ? JSON_T_NULL : JSON_T_BOOL;
    EMIT_SPAN(start, i - start);
    goto after;
  }
  }

key:
  if (i >= len || s[i] != '"')
    FAIL(i, "expected a string key");
  {
    size_t start = i;
    if (scan_string(s, len, &i, res) != 0)
      return -1;
    EMIT_SPAN(start, i - start);
    /* The raw key "payload" (no escapes) of an object at the capture level. */
    key_is_payload = cap && cap_depth == 0 && depth == cap->level - 1 && i - start == 9 &&
                     memcmp(s + start, "\"payload\"", 9) == 0;
  }
  i = skip_ws(s, len, i);
  if (i >= len || s[i] != ':')
    FAIL(i, "expected ':'");
  EMIT_SPAN(i, 1);
  i = skip_ws(s, len, i + 1);
  goto value;

closed: /* a container was just closed (its bracket emitted) */
  depth--;
  if (cap_depth && depth == cap_depth - 1) {
    cap->spans[cap->n - 1].end = o;
    cap_depth = 0;
  }
  /* fall through */
after:
  if (depth == 0) {
    i = skip_ws(s, len, i);
    if (i != len)
      FAIL(i, "unexpected data after the JSON value");
    res->out_len = o;
    return 0;
  }
  i = skip_ws(s, len, i);
  if (i >= len)
    FAIL(i, "unexpected end of input");
  if (s[i] == ',') {
    EMIT_SPAN(i, 1);
    i = skip_ws(s, len, i + 1);
    if (depth == 1)
      res->members++;
    if (stack[depth - 1] == '{')
      goto key;
    goto value;
  }
  if (s[i] == (stack[depth - 1] == '{' ? '}' : ']')) {
    EMIT_SPAN(i, 1);
    i++;
    goto closed;
  }
  FAIL(i, stack[depth - 1] == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
}

void json_line_col(const char *s, size_t len, size_t pos, size_t *line, size_t *col)
{
  size_t l = 1, bol = 0;
  if (pos > len)
    pos = len;
  for (size_t k = 0; k < pos; k++)
    if (s[k] == '\n') {
      l++;
      bol = k + 1;
    }
  *line = l;
  *col = pos - bol + 1;
}
