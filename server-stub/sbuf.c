/* Growable text buffer and escapers (sbuf.h). */
#include "sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbuf_init(sbuf_t *b)
{
  memset(b, 0, sizeof *b);
}

void sbuf_free(sbuf_t *b)
{
  free(b->data);
  memset(b, 0, sizeof *b);
}

void sbuf_reset(sbuf_t *b)
{
  b->len = 0;
  if (b->data)
    b->data[0] = '\0';
}

int sbuf_failed(const sbuf_t *b)
{
  return b->failed;
}

char *sbuf_take(sbuf_t *b, size_t *len)
{
  if (b->failed) {
    sbuf_free(b);
    return NULL;
  }
  char *d = b->data ? b->data : calloc(1, 1);
  if (len)
    *len = d ? b->len : 0;
  memset(b, 0, sizeof *b);
  return d;
}

static int grow(sbuf_t *b, size_t more)
{
  if (b->failed)
    return -1;
  if (b->len + more + 1 <= b->cap)
    return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + more + 1) {
    if (cap > ((size_t)1 << 40)) {
      b->failed = 1;
      return -1;
    }
    cap *= 2;
  }
  char *d = realloc(b->data, cap);
  if (!d) {
    b->failed = 1;
    return -1;
  }
  b->data = d;
  b->cap = cap;
  return 0;
}

void sbuf_add(sbuf_t *b, const char *s, size_t n)
{
  if (n == 0 || grow(b, n) != 0)
    return;
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void sbuf_puts(sbuf_t *b, const char *s)
{
  if (s)
    sbuf_add(b, s, strlen(s));
}

void sbuf_putc(sbuf_t *b, char c)
{
  sbuf_add(b, &c, 1);
}

void sbuf_printf(sbuf_t *b, const char *fmt, ...)
{
  char small[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->failed = 1;
    return;
  }
  if ((size_t)n < sizeof small) {
    sbuf_add(b, small, (size_t)n);
    return;
  }
  if (grow(b, (size_t)n) != 0)
    return;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

/* Length of the UTF-8 sequence at s (1..4), or 0 if it is not a valid, shortest-form one. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
  unsigned char c = s[0];
  if (c < 0x80)
    return 1;
  size_t len;
  unsigned cp;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
      (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}

size_t utf8_valid_prefix(const char *s, size_t n)
{
  size_t i = 0;
  while (i < n) {
    size_t k = utf8_seq((const unsigned char *)s + i, n - i);
    if (k == 0)
      break;
    i += k;
  }
  return i;
}

static const char REPLACEMENT[] = "\xef\xbf\xbd";

void sbuf_html(sbuf_t *b, const char *s)
{
  if (!s)
    return;
  size_t n = strlen(s), i = 0, run = 0;
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    const char *rep = NULL;
    size_t k = 1;
    switch (c) {
    case '&': rep = "&amp;"; break;
    case '<': rep = "&lt;"; break;
    case '>': rep = "&gt;"; break;
    case '"': rep = "&quot;"; break;
    case '\'': rep = "&#39;"; break;
    default:
      if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
        rep = "";
      } else if (c >= 0x80 && (k = utf8_seq((const unsigned char *)s + i, n - i)) == 0) {
        rep = REPLACEMENT;
        k = 1;
      }
      break;
    }
    if (rep) {
      sbuf_add(b, s + i - run, run);
      sbuf_puts(b, rep);
      run = 0;
    } else {
      run += k;
    }
    i += k;
  }
  sbuf_add(b, s + n - run, run);
}

void sbuf_json_str(sbuf_t *b, const char *s)
{
  sbuf_putc(b, '"');
  size_t n = s ? strlen(s) : 0, i = 0, run = 0;
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    char esc[8];
    const char *rep = NULL;
    size_t k = 1;
    if (c == '"') {
      rep = "\\\"";
    } else if (c == '\\') {
      rep = "\\\\";
    } else if (c < 0x20) {
      switch (c) {
      case '\n': rep = "\\n"; break;
      case '\r': rep = "\\r"; break;
      case '\t': rep = "\\t"; break;
      default:
        snprintf(esc, sizeof esc, "\\u%04x", c);
        rep = esc;
      }
    } else if (c >= 0x80 && (k = utf8_seq((const unsigned char *)s + i, n - i)) == 0) {
      rep = REPLACEMENT;
      k = 1;
    }
    if (rep) {
      sbuf_add(b, s + i - run, run);
      sbuf_puts(b, rep);
      run = 0;
    } else {
      run += k;
    }
    i += k;
  }
  sbuf_add(b, s + n - run, run);
  sbuf_putc(b, '"');
}
